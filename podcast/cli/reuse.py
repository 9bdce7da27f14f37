"""Transcript reuse for the communications team: export, search, quotes, newsletters."""

from __future__ import annotations

from pathlib import Path

import click

from podcast.cli.base import App, DefaultGroup, cli, common, run_options
from podcast.domain.transcript import FORMATS


@cli.group(name="transcript", cls=DefaultGroup)
def transcript_group() -> None:
    """An episode's transcript: print or export it; import one corrected in another tool.

    \b
    Examples:
      podcast transcript 2024-05-atd --format md          # timestamped paragraphs to quote
      podcast transcript import 2024-05-atd corrige.srt   # corrected in Subtitle Edit
    """


@transcript_group.command(name="export")
@click.argument("slug")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default="txt",
    show_default=True,
    help="Which transcript format.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@common
@click.pass_obj
def transcript_command(app: App, slug: str, fmt: str, output: Path | None) -> None:
    """Print or export an episode's transcript (run `podcast transcribe SLUG` first); the
    default when `podcast transcript` is given a slug.

    \b
    Examples:
      podcast transcript 2024-05-atd --format md          # timestamped paragraphs to quote
      podcast transcript 2024-05-atd --format srt -o sous-titres.srt
    """
    from podcast.workflows import transcripts

    text = transcripts.export(app.config(), slug, fmt, output)
    if text is not None:
        click.echo(text, nl=False)
    else:
        app.echo(f"wrote {output}")


@transcript_group.command(name="import")
@click.argument("slug")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@common
@run_options
@click.pass_obj
def transcript_import(app: App, slug: str, file: Path) -> None:
    """Use FILE (WebVTT, SubRip or JSON, corrected in Subtitle Edit, Aegisub...) as the
    episode's transcript: times as `podcast transcript` exported them (the published episode).
    It is kept in episodes/SLUG/transcript.vtt, counts as reviewed, and every output uses it at
    the next publish; Whisper is not run again.

    \b
    Example:
      podcast transcript import 2024-05-atd ~/Documents/2024-05-atd.srt
    """
    from podcast.workflows import transcripts

    saved = transcripts.import_file(app.config(), slug, file, dry_run=app.dry_run)
    app.echo(saved.describe(app.dry_run))


@cli.command(name="search")
@click.argument("words")
@click.option("--limit", default=20, show_default=True, help="At most this many passages.")
@common
@click.pass_obj
def search_command(app: App, words: str, limit: int) -> None:
    """Search every episode's transcript (accents and case ignored); print episode, speaker,
    timestamp and a link to that second on the episode's page.

    \b
    Example:
      podcast search "territoires zéro chômeur"
    """
    from podcast.core import timecode
    from podcast.release import search

    hits = search.search(app.config(), words, limit)
    for hit in hits:
        who = f" {hit.speaker}:" if hit.speaker else ""
        click.echo(f"{hit.slug} [{timecode.short(hit.start)}]{who} {hit.snippet}\n  {hit.title} — {hit.url}")
    app.echo(f"{len(hits)} passage(s)")


@cli.command(name="quote")
@click.argument("slug")
@click.option("--at", "at_text", required=True, help="Where the quote starts: 00:12:30, 12:30 or seconds.")
@click.option("--duration", default=30.0, show_default=True, type=click.FloatRange(1, 600), help="Seconds.")
@click.option("--clip", is_flag=True, help="Also export the audio excerpt (MP3) and an audiogram (MP4).")
@common
@click.pass_obj
def quote_command(app: App, slug: str, at_text: str, duration: float, clip: bool) -> None:
    """Print what is said at a moment of an episode, with the speaker and a deep link.

    \b
    Examples:
      podcast quote 2024-05-atd --at 00:12:30 --duration 30
      podcast quote 2024-05-atd --at 12:30 --duration 20 --clip   # MP3 + MP4 for social networks
    """
    from podcast.core import timecode
    from podcast.workflows import quote as quotes

    try:
        at = timecode.parse(at_text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None
    config = app.config()
    found = quotes.quote(config, slug, at, duration)
    who = ", ".join(found.speakers)
    click.echo(f"« {found.text} »" + (f" — {who}" if who else ""))
    click.echo(found.url)
    if clip:
        mp3, mp4 = quotes.clip(config, found, at, duration)
        app.echo(f"audio: {mp3}\naudiogram: {mp4}")


@cli.command(name="newsletter")
@click.argument("slug")
@common
@click.pass_obj
def newsletter_command(app: App, slug: str) -> None:
    """Write an HTML and a plain-text snippet announcing the episode (and print the text).

    \b
    Example:
      podcast newsletter 2024-05-atd
    """
    from podcast.workflows import newsletter

    plain, paths = newsletter.write(app.config(), slug)
    click.echo(plain, nl=False)
    app.echo(f"\n(written to {paths[0]} and {paths[1].name})")


@cli.command(name="review")
@click.argument("slug")
@click.option("--port", default=0, help="Port on 127.0.0.1 (default: a free one).")
@click.option("--no-browser", is_flag=True, help="Do not open the page in the browser.")
@common
@run_options
@click.pass_obj
def review_command(app: App, slug: str, port: int, no_browser: bool) -> None:
    """Proofread the transcript in the browser: the unsure words highlighted, a click on a
    word plays from there, edit, split and merge cues, name the speakers, save. The saved
    transcript is kept in episodes/SLUG/transcript.vtt and the episode counts as reviewed.

    \b
    Keys on the page: Esc play/pause, F1 back 5 s, F2 next unsure word, Ctrl+S save.

    \b
    Example:
      podcast review 2024-05-atd
    """
    from podcast.workflows import review

    def ready(url: str) -> None:
        app.echo(f"proofreading page for {slug}: {url} (Ctrl-C to stop)")

    if app.dry_run:
        review.page_data(app.config(), slug)
        app.echo(f"would serve the proofreading page for {slug} on 127.0.0.1")
        return
    review.run(app.config(), slug, port, open_browser=not no_browser, on_ready=ready)
