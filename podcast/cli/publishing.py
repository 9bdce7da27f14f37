"""Storage operations beyond publishing (unpublish, prune, private links, public access), and
reaching listeners: directories, the podroll."""

from __future__ import annotations

import click

from podcast.cli.base import App, cli, common, confirm, run_options, show
from podcast.core.report import Report


@cli.command()
@click.argument("slug")
@click.option("--yes", is_flag=True, help="Do it without asking.")
@common
@run_options
@click.pass_obj
def unpublish(app: App, slug: str, yes: bool) -> None:
    """Remove an episode from the feed (published first), then delete its published files.

    Asks first (the list of files), unless --yes. The episode's folder and build outputs stay;
    `podcast publish SLUG` brings it back.

    \b
    Examples:
      podcast unpublish 2024-05-atd --dry-run
      podcast unpublish 2024-05-atd --yes
    """
    from podcast.workflows import removal

    config = app.config()
    if not yes and not app.dry_run:
        show(app, removal.unpublish(config, slug, dry_run=True))
        if not confirm(f"Remove {slug} from the feed and delete these files?"):
            refused = Report()
            refused.error(f"error: nothing done: `podcast unpublish {slug} --yes` does it without asking")
            show(app, refused)
    show(app, removal.unpublish(config, slug, dry_run=app.dry_run))


@cli.command()
@click.option("--days", default=7.0, show_default=True, type=float, help="Unused for at least this many days.")
@click.option("--yes", is_flag=True, help="Delete them (without it, they are only listed).")
@common
@click.pass_obj
def prune(app: App, days: float, yes: bool) -> None:
    """List the published files nothing published references any more (superseded audio after
    a re-edit, an orphan from a failed publication), with the date each becomes deletable;
    --yes deletes those unused for DAYS days.

    Only files this tool published are considered, never one the current feed or pages use;
    the default of 7 days lets a listener who started a download finish it.

    \b
    Examples:
      podcast prune                 # what would go
      podcast prune --days 30 --yes
    """
    from podcast.workflows.removal import prune as prune_objects

    show(app, prune_objects(app.config(), days, delete=yes))


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
    from podcast.workflows import bucket

    click.echo(bucket.share(app.config(), slug, bucket.parse_duration(expires)))


@cli.command(name="bucket-policy")
@click.option("--apply", is_flag=True, help="Set them on the bucket (otherwise the changes are only shown).")
@common
@click.pass_obj
def bucket_policy(app: App, apply: bool) -> None:
    """Show (or --apply) the bucket policy and CORS rules that let listeners and web players
    read the published files, merged into what the bucket already has (other statements and
    rules are kept).

    Public access comes from this policy or from a CDN in front of a private bucket; object
    ACLs are not used (many S3-compatible stores ignore them).

    \b
    Examples:
      podcast bucket-policy            # the diff: what --apply would change
      podcast bucket-policy --apply
    """
    from podcast.workflows import bucket

    if apply:
        plan, message = bucket.apply_access(app.config())
    else:
        plan, message = bucket.access(app.config()), ""
    for line in plan.diff() or ["the bucket already has the policy statement and the CORS rule: nothing to change"]:
        click.echo(line)
    if message:
        app.echo(message)
    elif plan.changes:
        app.echo("nothing changed: run `podcast bucket-policy --apply` to set them")


@cli.command(name="directories")
@common
@run_options
@click.pass_obj
def directories_command(app: App) -> None:
    """Get the show listed: check what Apple Podcasts, Spotify, Podcast Index, Amazon, Deezer
    and Podcast Addict require on the live feed, and print each one's submission page with
    what to paste there.

    With PODCAST_INDEX_API_KEY and PODCAST_INDEX_API_SECRET in the environment, the feed is
    added to Podcast Index and pinged through its API, and its page becomes the show's
    subscribe link (show.links.podcastindex).

    \b
    Examples:
      podcast directories
      PODCAST_INDEX_API_KEY=... PODCAST_INDEX_API_SECRET=... podcast directories
    """
    from podcast.workflows import directories

    show(app, directories.run(app.config(), dry_run=app.dry_run))


@cli.group(name="podroll")
def podroll_group() -> None:
    """Shows the association recommends (podcast:podroll) and its publisher feed.

    \b
    Examples:
      podcast podroll add https://feeds.example.org/emission-amie.xml
      podcast podroll publisher https://association.example.org/publisher.xml
    """


@podroll_group.command(name="add")
@click.argument("url")
@click.option("--title", default="", help="The name to show (default: the feed's title).")
@common
@run_options
@click.pass_obj
def podroll_add(app: App, url: str, title: str) -> None:
    """Recommend the show whose feed is at URL: its podcast:guid is read from the feed (or
    computed from URL by the Podcasting 2.0 rule when it has none) and added to config.toml.

    \b
    Example:
      podcast podroll add https://feeds.example.org/emission-amie.xml
    """
    from podcast.workflows import podroll

    show(app, podroll.add(app.config(), url, title=title, dry_run=app.dry_run))


@podroll_group.command(name="publisher")
@click.argument("url")
@common
@run_options
@click.pass_obj
def podroll_publisher(app: App, url: str) -> None:
    """Name the association's publisher feed (podcast:publisher) at URL, by its podcast:guid.

    \b
    Example:
      podcast podroll publisher https://association.example.org/publisher.xml
    """
    from podcast.workflows import podroll

    show(app, podroll.add(app.config(), url, publisher=True, dry_run=app.dry_run))
