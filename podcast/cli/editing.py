"""Working with the producer's editor: markers import/export, suggested cuts."""

from __future__ import annotations

from pathlib import Path

import click

from podcast.cli.base import App, cli, common, run_options


@cli.group(name="markers")
def markers_group() -> None:
    """The editor's markers: cuts (regions) and chapters (points) from Audacity, Reaper,
    Audition, Hindenburg, Podlove or a recorder's WAV cue points; and back to Audacity.

    \b
    Examples:
      podcast markers import 2024-05-atd labels.txt
      podcast markers export 2024-05-atd -o coupes.txt
    """


@markers_group.command(name="import")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Replace the markers file already imported.")
@common
@run_options
@click.pass_obj
def markers_import(app: App, slug: str, file: Path, replace: bool) -> None:
    """Use FILE's markers for the episode: its regions are cut, its points become chapters
    (unless episode.toml lists [[chapters]]). Times are in the recording's timeline.

    \b
    Examples:
      podcast markers import 2024-05-atd ~/audacity/labels.txt
      podcast markers import 2024-05-atd interview.wav      # the recorder's cue markers
    """
    from podcast.workflows import markers as marker_files

    imported = marker_files.import_file(app.config(), slug, file, replace=replace, dry_run=app.dry_run)
    app.echo(marker_files.describe(imported, app.dry_run))


@markers_group.command(name="export")
@click.argument("slug")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@common
@click.pass_obj
def markers_export(app: App, slug: str, output: Path | None) -> None:
    """The episode's cuts and chapters as an Audacity label track, in the recording's
    timeline: open the raw recording in Audacity, then File > Import > Labels.

    \b
    Example:
      podcast markers export 2024-05-atd -o coupes.txt
    """
    from podcast.core import fsutil
    from podcast.workflows import markers as marker_files

    text = marker_files.export_labels(app.config(), slug)
    if output is None:
        click.echo(text, nl=False)
    else:
        fsutil.write_text(output, text)
        app.echo(f"wrote {output}")


@cli.command(name="suggest")
@click.argument("slug")
@click.option("--accept", default="", metavar="all|1,3,5-7", help="Accept these suggestions (cut at the next publish).")
@click.option("--reject", default="", metavar="all|1,3,5-7", help="Reject these suggestions (no longer listed).")
@click.option("--labels", type=click.Path(dir_okay=False, path_type=Path), help="Also write them as Audacity labels.")
@common
@run_options
@click.pass_obj
def suggest_command(app: App, slug: str, accept: str, reject: str, labels: Path | None) -> None:
    """Suggest cuts: fillers ("euh", "ben"), hesitations, repeated false starts, coughs and long
    pauses, from the transcript's words and the sound. Nothing is cut until you accept.

    \b
    Examples:
      podcast suggest 2024-05-atd                  # list them (episodes/SLUG/suggestions.json)
      podcast suggest 2024-05-atd --accept 1,3,5-7
      podcast suggest 2024-05-atd --accept all --reject 4
      podcast suggest 2024-05-atd --labels euh.txt # to check them in Audacity
    """
    from podcast.core import fsutil
    from podcast.workflows import suggest

    found = suggest.run(app.config(), slug, accept=accept, reject=reject, dry_run=app.dry_run)
    shown = [s for s in found.suggestions if s.status != "rejected"]
    for item in shown:
        app.echo(suggest.describe(item))
    accepted = sum(s.status == "accepted" for s in found.suggestions)
    summary = f"{len(shown)} suggestion(s), {accepted} accepted"
    if not found.words:
        summary += "; no transcript yet: fillers and repeats need `podcast transcribe` first"
    if app.dry_run:
        summary += " (dry run: nothing written)"
    elif accepted:
        summary += "; `podcast publish` cuts the accepted ones"
    app.echo(summary)
    if labels is not None and not app.dry_run:
        fsutil.write_text(labels, suggest.labels(found.suggestions))
        app.echo(f"wrote {labels}")
