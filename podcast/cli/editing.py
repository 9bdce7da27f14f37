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
@click.option(
    "--chapters", "kinds", flag_value="chapters", multiple=True, help="Suggest chapters (where the topic changes)."
)
@click.option(
    "--notes", "kinds", flag_value="notes", multiple=True, help="Suggest a description, topics, links, books."
)
@click.option("--names", "kinds", flag_value="names", multiple=True, help="Suggest guests, the place, glossary names.")
@click.option(
    "--chapter-count",
    type=click.IntRange(2, 60),
    default=None,
    metavar="N",
    help="Suggest N chapters (implies --chapters; default: as many as the topic changes, 3-10 per 40 minutes).",
)
@click.option("--accept", default="", metavar="all|1,3,5-7", help="Accept these suggestions.")
@click.option("--reject", default="", metavar="all|1,3,5-7", help="Reject these suggestions (no longer listed).")
@click.option(
    "--edit",
    "edits",
    multiple=True,
    metavar='N="text"',
    help="Change suggestion N's text (a chapter title, a name) before accepting it; repeatable.",
)
@click.option(
    "--labels", type=click.Path(dir_okay=False, path_type=Path), help="Also write the cuts as Audacity labels."
)
@common
@run_options
@click.pass_obj
def suggest_command(
    app: App,
    slug: str,
    kinds: tuple[str, ...],
    accept: str,
    reject: str,
    edits: tuple[str, ...],
    labels: Path | None,
    chapter_count: int | None,
) -> None:
    """Suggest cuts: fillers ("euh", "ben"), hesitations, repeated false starts, coughs and long
    pauses, from the transcript's words and the sound. Nothing is cut until you accept.

    With --chapters, --notes or --names, suggest instead from the transcript, offline: chapters
    with titles, a description quoted from what was said, the topics, links and books, the
    guests, the place and names for the glossary. An accepted one is written into episode.toml
    (chapters, guests, location, summary), notes.md (topics, mentions) or config.toml (glossary),
    keeping your comments and layout. `podcast review SLUG` shows the same suggestions.

    \b
    Examples:
      podcast suggest 2024-05-atd                  # list them (episodes/SLUG/suggestions.json)
      podcast suggest 2024-05-atd --accept 1,3,5-7
      podcast suggest 2024-05-atd --accept all --reject 4
      podcast suggest 2024-05-atd --labels euh.txt # to check them in Audacity
      podcast suggest 2024-05-atd --chapters --notes --names
      podcast suggest 2024-05-atd --chapter-count 6 # six chapters, not as many as it finds
      podcast suggest 2024-05-atd --chapters --edit '12=Les territoires zéro chômeur' --accept 12
    """
    from podcast.core import fsutil
    from podcast.domain.suggestions import Proposal, Suggestion
    from podcast.workflows import suggest

    kinds = tuple(dict.fromkeys(kinds + (("chapters",) if chapter_count else ())))
    every = ("chapters", "notes", "names")  # without a kind: the cuts and every proposal found before
    found = suggest.run(
        app.config(),
        slug,
        accept=accept,
        reject=reject,
        dry_run=app.dry_run,
        kinds=kinds,
        edits=suggest.parse_edits(edits),
        chapter_count=chapter_count or 0,
    )
    listed: list[Suggestion | Proposal] = []
    listed += [s for s in found.suggestions if s.status != "rejected"] if not kinds else []
    listed += [p for p in found.proposals if p.status != "rejected" and suggest.KIND_OF.get(p.kind) in (kinds or every)]
    for item in listed:
        app.echo(suggest.describe(item))
    for line in found.written:
        app.echo(("would write " if app.dry_run else "wrote ") + line)
    accepted = sum(s.status == "accepted" for s in listed)
    summary = f"{len(listed)} suggestion(s), {accepted} accepted"
    if not kinds and not found.words:
        summary += "; no transcript yet: fillers and repeats need `podcast transcribe` first"
    if app.dry_run:
        summary += " (dry run: nothing written)"
    elif any(s.status == "accepted" for s in found.suggestions) and not kinds:
        summary += "; `podcast publish` cuts the accepted cuts"
    app.echo(summary)
    if labels is not None and not app.dry_run:
        fsutil.write_text(labels, suggest.labels(found.suggestions))
        app.echo(f"wrote {labels}")
