"""Object-storage operations beyond publishing: unpublish, private links, public access."""

from __future__ import annotations

import click

from .base import App, cli, common, run_options


@cli.command()
@click.argument("slug")
@common
@run_options
@click.pass_obj
def unpublish(app: App, slug: str) -> None:
    """Remove an episode from the feed (published first), then delete its published files.

    The episode's folder and build outputs stay; `podcast publish SLUG` brings it back.

    \b
    Example:
      podcast unpublish 2024-05-atd --dry-run
    """
    from ..removal import unpublish as unpublish_episode

    for line in unpublish_episode(app.config(), slug, dry_run=app.dry_run):
        app.echo(line)


@cli.command()
@click.argument("slug")
@click.option("--expires", default="7d", show_default=True, help="How long the link works: 30m, 12h, 7d (max).")
@common
@click.pass_obj
def share(app: App, slug: str, expires: str) -> None:
    """Print a private, expiring (SigV4 presigned) link to the episode's audio on S3.

    \b
    Example:
      podcast share 2024-05-atd --expires 2d
    """
    from .. import bucket

    click.echo(bucket.share(app.config(), slug, bucket.parse_duration(expires)))


@cli.command(name="bucket-policy")
@click.option("--apply", is_flag=True, help="Set it on the bucket (otherwise it is printed).")
@common
@click.pass_obj
def bucket_policy(app: App, apply: bool) -> None:
    """Print (or --apply) the bucket policy that makes published files publicly readable.

    Public access comes from this policy or from a CDN in front of a private bucket; object
    ACLs are not used (many S3-compatible stores ignore them).

    \b
    Example:
      podcast bucket-policy --apply
    """
    import json

    from .. import bucket

    if apply:
        app.echo(bucket.apply_public_read_policy(app.config()))
    else:
        click.echo(json.dumps(bucket.public_read_policy(app.config()), indent=2))
