"""Producing and publishing: project, episodes, stages, feed, checks, preview."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from podcast import pipeline
from podcast.cli import ui
from podcast.cli.base import TEXT, App, ask, cli, common, run_options, show, show_run
from podcast.core.errors import PodcastError
from podcast.core.report import Report
from podcast.workflows import doctor, guide, scaffold


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--title", type=TEXT, help="The show's title (asked when not given).")
@click.option("--author", type=TEXT, help="Who makes the show: itunes:author, the owner's name (asked).")
@click.option("--email", type=TEXT, help="The owner's e-mail, which directories verify the show with (asked).")
@click.option("--host", "hosts", type=TEXT, multiple=True, help="A host's name, for transcripts and quotes (asked).")
@click.option("--description", type=TEXT, default="", help="What the show is about.")
@click.option("--language", default="fr", show_default=True, help="ISO 639-1 code of the spoken language.")
@click.option("--base-url", default="http://127.0.0.1:8000", show_default=True, help="Where files are served from.")
@click.option("--no-input", is_flag=True, help="Ask nothing (for scripts): what is not given stays empty.")
@common
@click.pass_obj
def init(app: App, /, directory: Path, no_input: bool, hosts: tuple[str, ...], **given: Any) -> None:
    """Create config.toml (every key documented), a placeholder cover, episodes/ and a
    .gitignore in DIR.

    Asks for the title, the author, the owner's e-mail and the host's name unless they are
    given (or --no-input). Answers may be piped in, one per line, in that order.

    \b
    Examples:
      podcast init mon-podcast
      podcast init mon-podcast --title "Paroles solidaires" --email contact@example.org --host "Karim"
      printf 'Paroles solidaires\\nParoles\\ncontact@example.org\\nKarim\\n' | podcast init mon-podcast
    """
    notes = Report()
    questions = {
        "title": ("Title of the show", "Mon podcast"),
        "author": ("Author (a person or an organisation)", ""),
        "email": ("Owner's e-mail (directories verify the show with it)", ""),
        "host": ("Host's name (who presents the show)", ""),
    }
    answers: dict[str, str] = {}
    for key, (question, fallback) in questions.items():
        if given.get(key) is not None or (key == "host" and hosts):
            continue
        answer = None if no_input else ask(question, fallback)
        if answer is None and not no_input and key == "title":
            notes.warning(f"warning: no answer for the title (input ended): {fallback!r}, set show.title later")
        answers[key] = answer if answer is not None else fallback
    host = answers.pop("host", "")
    given.update({key: value for key, value in answers.items()})
    names = [*hosts, *([host] if host.strip() else [])]
    given["hosts"] = tuple(scaffold.host(name) for name in names)
    report = scaffold.create(directory, scaffold.ShowAnswers(**given))
    notes.extend(report)
    show(app, notes)


@cli.command()
@click.argument("slug")
@click.option("--title", required=True, type=TEXT, help="The episode's title.")
@click.option(
    "--source",
    "sources",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Recording to copy into the episode folder (repeat for a recording in parts).",
)
@common
@click.pass_obj
def new(app: App, slug: str, title: str, sources: tuple[Path, ...]) -> None:
    """Create episodes/SLUG/ with episode.toml and notes.md.

    \b
    Example:
      podcast new 2024-05-atd --title "Doit-on refonder la société ?" --source interview.wav
    """
    config = app.config()
    folder = scaffold.new_episode(config, slug, title, list(sources))
    show(app, scaffold.new_report(config, folder, list(sources)))


@cli.command()
@common
@click.pass_obj
def status(app: App) -> None:
    """Show each episode's stages: done, stale, missing, failed or no recording.

    \b
    Example:
      podcast status
    """
    show(app, pipeline.status_report(app.config(), ui.table))


def _targets(slugs: tuple[str, ...], all_: bool) -> pipeline.Selection:
    if all_ and slugs:
        raise click.UsageError("give episode slugs or --all, not both")
    if not all_ and not slugs:
        raise click.UsageError("name at least one episode, or use --all")
    return pipeline.Selection.all() if all_ else pipeline.Selection.of(slugs)


@cli.command()
@click.argument("slugs", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Every episode (those without a recording are skipped).")
@common
@run_options
@click.pass_obj
def publish(app: App, slugs: tuple[str, ...], all_: bool) -> None:
    """Run every out-of-date stage for the episodes, then publish the feed.

    \b
    Examples:
      podcast publish --all
      podcast publish 2024-05-atd --dry-run
    """
    config, selection = app.config(), _targets(slugs, all_)
    run = pipeline.publish(config, selection, app.options())
    show(app, guide.after_publish(config, run, selection, app.dry_run))


def _stage_command(name: str, summary: str) -> None:
    @cli.command(name=name, help=f"{summary}\n\n\b\nExample:\n  podcast {name} 2024-05-atd")
    @click.argument("slugs", nargs=-1)
    @click.option("--all", "all_", is_flag=True, help="Every episode.")
    @common
    @run_options
    @click.pass_obj
    def command(app: App, slugs: tuple[str, ...], all_: bool) -> None:
        show_run(app, pipeline.run_stages(app.config(), _targets(slugs, all_), [name], app.options()))


_stage_command("process", "Edit, clean up, normalise loudness and encode the recording.")
_stage_command("transcribe", "Transcribe the processed audio with Whisper (offline).")
_stage_command("tag", "Write ID3 tags and cover art into the episode's MP3.")
_stage_command("upload", "Publish the episode's files to storage (the feed is not touched).")


@cli.command()
@common
@run_options
@click.pass_obj
def feed(app: App) -> None:
    """Regenerate the RSS feed and publish it (only episodes whose files are published).

    \b
    Example:
      podcast feed --dry-run
    """
    show_run(app, pipeline.feed(app.config(), app.options()))


@cli.command(name="check")
@click.option("--http", is_flag=True, help="Also request every public URL (HEAD and a Range request).")
@common
@click.pass_obj
def check_command(app: App, http: bool) -> None:
    """Lint the show, its feed and the published files before listeners see them.

    Runs automatically before `podcast feed` publishes; errors block the feed unless --force.

    \b
    Example:
      podcast check
      podcast check --http     # with `podcast serve` running, or against the CDN/bucket
    """
    from podcast.release import check

    show(app, check.report(check.check_project(app.config(), http=http)))


@cli.command(name="doctor")
@click.option("--no-model", is_flag=True, help="Check the model's files without loading it.")
@common
@click.pass_obj
def doctor_command(app: App, no_model: bool) -> None:
    """Check ffmpeg, the Whisper model, storage and episodes; say what to fix.

    \b
    Example:
      podcast doctor
    """
    try:
        config, error = app.config(), ""
    except PodcastError as exc:
        config, error = None, str(exc)
    show(app, doctor.run(config, error, load_model=not no_model))


@cli.command()
@click.option("--bind", help="Address to listen on (default from config: 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), help="Port (default from config: 8000; 0 picks a free one).")
@common
@click.pass_obj
def serve(app: App, bind: str | None, port: int | None) -> None:
    """Preview the show: the published folder over HTTP, with the feed and the pages made for
    the address they are served from, so a phone on the same network plays everything.

    Requests are logged in build/serve/access.log (combined format): `podcast stats` counts
    them when no other logs are configured.

    \b
    Example:
      podcast serve --bind 0.0.0.0     # reachable from a phone on the same network (QR code)
    """
    from podcast.workflows.serve import preview_server

    config = app.config()
    served = preview_server(config, bind or config.serve.bind, port if port is not None else config.serve.port)
    click.echo(f"serving {config.public_dir}, feed and pages made for each address (never written there)")
    click.echo(f"  on this machine: {served.local}/index.html  (feed: {served.local}/feed.xml)")
    if served.network:
        click.echo(f"  on the network:  {served.network}/index.html  (feed: {served.network}/feed.xml)")
        click.echo("subscribe from a phone on the same network: scan the feed's address")
        click.echo(ui.qr_code(f"{served.network}/feed.xml"), nl=False)
    elif served.everywhere:
        click.echo("  (no network address found on this machine: is it connected to the Wi-Fi?)")
    else:
        click.echo("  (only this machine can reach it: --bind 0.0.0.0 lets a phone on the same network in)")
    click.echo("Ctrl-C stops")
    try:
        served.server.serve_forever()  # until Ctrl-C, reported by __main__ like any interruption
    finally:
        served.server.server_close()


@cli.command()
@common
@run_options
@click.pass_obj
def demo(app: App) -> None:
    """Generate the demo interview into episodes/demo/ and publish every episode.

    \b
    Example:
      podcast demo
    """
    from podcast.workflows import demo as demo_module

    config = app.config()
    generated, run = demo_module.run(config, app.options())
    out = Report()
    if generated:
        out.info(generated)
    out.extend(run.report(app.dry_run))
    out.extend(guide.after_demo(config))
    show(app, out)


@cli.group(name="model")
def model_group() -> None:
    """Whisper models: `base` comes with podcast; bigger ones (small, medium, large-v3,
    large-v3-turbo) are downloaded once, for producers with internet, then work offline.

    \b
    Examples:
      podcast model list
      podcast model pull small          # then: transcribe.model = "small"
    """


@model_group.command(name="pull")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Download even when the model is over 1 GB.")
@common
@run_options
@click.pass_obj
def model_pull(app: App, name: str, yes: bool) -> None:
    """Download model NAME once into the cache (resumed if interrupted, checked against the
    hub's checksums). $PODCAST_MODEL_HUB names a mirror of the Hugging Face hub.

    \b
    Examples:
      podcast model pull small
      podcast model pull large-v3-turbo --yes     # 1.6 GB
    """
    from podcast.workflows import models

    progress = ui.progress_factory(not app.quiet)
    pulled = models.pull(name, yes=yes, dry_run=app.dry_run, say=app.echo, progress=progress)
    if app.dry_run:
        app.echo(f"would download {name} ({pulled.size / 1e6:,.0f} MB) into {pulled.folder}")
    elif pulled.fetched == 0:
        app.echo(f"{name} is already here: {pulled.folder}")
    else:
        app.echo(f'{name} ready in {pulled.folder}: set transcribe.model = "{name}"')


@model_group.command(name="list")
@common
@click.pass_obj
def model_list(app: App) -> None:
    """The models `podcast model pull` knows, and those already downloaded.

    \b
    Example:
      podcast model list
    """
    from podcast.workflows import models

    rows = [[name, str(path) if path else "-"] for name, path in models.installed()]
    click.echo(ui.table(["MODEL", "DOWNLOADED"], rows))
