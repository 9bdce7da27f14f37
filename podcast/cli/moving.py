"""Bringing a show in from another host, and moving its feed: import, move."""

from __future__ import annotations

from pathlib import Path

import click

from podcast.cli.base import App, cli, common, run_options, show
from podcast.core.errors import ConfigError
from podcast.project.config import resolve_project
from podcast.workflows import importer, move


@cli.command(name="import")
@click.argument("source")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--owner", default="", metavar="EMAIL", help="Your e-mail, when the feed is locked (podcast:locked).")
@click.option("--yes-it-is-mine", "mine", is_flag=True, help="Import a locked feed that names no owner.")
@click.option(
    "--reprocess", multiple=True, metavar="SLUG", help="Edit and process this episode with our stages (or 'all')."
)
@click.option(
    "--transcribe",
    multiple=True,
    metavar="SLUG",
    help="Transcribe this episode (or 'all') when the feed has no transcript.",
)
@click.option(
    "--retag", is_flag=True, help="Write our tags into the audio (it then changes: apps may download it again)."
)
@click.option("--jobs", default=3, show_default=True, type=click.IntRange(1, 8), help="Downloads at a time.")
@click.option(
    "--update-show",
    is_flag=True,
    help="Let config.toml take the feed's show settings (title, GUID, owner...) where they differ.",
)
@click.option(
    "--metadata-only",
    is_flag=True,
    help="Import every episode's details but not its audio (pending: a later import fetches it).",
)
@common
@run_options
@click.pass_obj
def import_command(app: App, /, source: str, directory: Path | None, **choices: object) -> None:
    """Bring a show in from its current host: SOURCE is its feed's URL or a saved feed file.

    Creates the project in DIRECTORY (or fills the current one): the show's settings and
    podcast:guid, and each episode with its GUID, date, notes, guests, chapters, art,
    transcript and audio, published as it was. A config.toml still as `podcast init` left it
    is filled from the feed; one you edited is changed only with --update-show. An episode
    whose audio cannot be downloaded is imported with its audio pending. Run it again to add
    new episodes and fetch pending audio: the others are left exactly as they are. Then
    `podcast move` says how to move the feed.

    \b
    Examples:
      podcast import https://feeds.example.org/paroles.rss paroles-solidaires
      podcast import saved-feed.xml --owner contact@paroles.example.org
      podcast import https://feeds.example.org/paroles.rss --metadata-only    # audio later
    """
    root = directory if directory is not None else _current_project(app)
    # click hands the options over by name; importer.Options declares (and its fields check) their types
    options = importer.Options(**choices, dry_run=app.dry_run, progress=app.options().progress)  # type: ignore[arg-type]
    show(app, importer.run(root, source, options).report(app.dry_run))


def _current_project(app: App) -> Path:
    try:
        return resolve_project(app.project)
    except ConfigError:
        raise ConfigError("no project here: `podcast import SOURCE DIRECTORY` creates one from the feed") from None


@cli.command(name="move")
@click.option("--to", "to", default="", metavar="URL", help="The feed's new address, when the show leaves this tool.")
@common
@click.pass_obj
def move_command(app: App, to: str) -> None:
    """Print the steps to move the feed without losing a listener: onto this tool after
    `podcast import`, or away from it with --to.

    \b
    Examples:
      podcast move                                   # after podcast import
      podcast move --to https://new-host.example/feed.xml
    """
    show(app, move.report(app.config(), to))
