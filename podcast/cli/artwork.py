"""Show and episode artwork: check against directory rules, fix."""

from __future__ import annotations

from pathlib import Path

import click

from podcast.cli.base import App, cli, common, show
from podcast.project.episode import artwork_paths


@cli.group(name="artwork")
def artwork_group() -> None:
    """Check show and episode art against directory rules, or fix it.

    \b
    Example:
      podcast artwork check
      podcast artwork fix artwork/cover.jpg
    """


def _art_paths(app: App, paths: tuple[Path, ...]) -> list[Path]:
    return list(paths) or artwork_paths(app.config())


@artwork_group.command(name="check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@common
@click.pass_obj
def artwork_check(app: App, paths: tuple[Path, ...]) -> None:
    """Check artwork: JPEG/PNG, square, 1400–3000 px, RGB, extension matching the format.

    \b
    Example:
      podcast artwork check                 # the show's and every episode's art
    """
    from podcast.workflows import artwork

    show(app, artwork.check(_art_paths(app, paths)))


@artwork_group.command(name="fix")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@common
@click.pass_obj
def artwork_fix(app: App, paths: tuple[Path, ...]) -> None:
    """Rewrite artwork in the required form (RGB, square, 1400–3000 px, real format = extension);
    the original is kept as NAME.orig.

    \b
    Example:
      podcast artwork fix artwork/cover.jpg
    """
    from podcast.workflows import artwork

    show(app, artwork.fix(_art_paths(app, paths)))


@artwork_group.command(name="generate")
@click.option("--force", is_flag=True, help="Replace the cover even when it is not the placeholder (kept as .orig).")
@common
@click.pass_obj
def artwork_generate(app: App, force: bool) -> None:
    """Make the placeholder cover again with the show's current title (after a title change).

    \b
    Example:
      podcast artwork generate
    """
    from podcast.workflows import artwork

    show(app, artwork.generate(app.config(), force=force))
