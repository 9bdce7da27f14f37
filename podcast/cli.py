"""The `podcast` command. Each command parses its flags, calls one function and reports.

Errors are turned into one line on stderr and a non-zero exit in one place
(`PodcastGroup.invoke`); tracebacks only with -vv.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from . import __version__, doctor, pipeline, scaffold, ui
from .config import Config, load_config, resolve_project
from .episode import artwork_paths
from .errors import PodcastError

EPILOG_EXAMPLES = """
\b
Examples:
  podcast init mon-podcast             create a project
  podcast new 2024-05-atd --title "Doit-on refonder la société ?" --source interview.wav
  podcast status                       what is done, stale or missing
  podcast publish --all                run every out-of-date stage, then the feed
  podcast publish 2024-05-atd --dry-run   show what would happen
  podcast serve                        preview public/ at http://127.0.0.1:8000/feed.xml
"""


@dataclass
class App:
    project: Path | None = None
    verbose: int = 0
    quiet: bool = False
    dry_run: bool = False
    force: bool = False
    overrides: dict[str, str] = field(default_factory=dict)
    _config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(resolve_project(self.project), self.overrides)
        return self._config

    def options(self) -> pipeline.Options:
        return pipeline.Options(self.dry_run, self.force, ui.progress_factory(not self.quiet))

    def echo(self, text: str) -> None:
        if not self.quiet:
            click.echo(text)


def _set(attr: str) -> Any:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        app = ctx.ensure_object(App)
        if attr == "verbose":
            app.verbose += value
        elif attr == "overrides":
            for item in value:
                key, sep, val = item.partition("=")
                if not sep:
                    raise click.BadParameter(f"expected SECTION.KEY=VALUE, got {item!r}")
                app.overrides[key.strip()] = val.strip()
        elif value:
            setattr(app, attr, value)
        ui.setup_logging(app.verbose, app.quiet)
        return value

    return callback


def common(f: Any) -> Any:
    """Options accepted before or after the command name."""
    options = [
        click.option(
            "--project",
            type=click.Path(file_okay=False, path_type=Path),
            expose_value=False,
            callback=_set("project"),
            help="Project folder (default: nearest folder with config.toml, or $PODCAST_PROJECT).",
        ),
        click.option(
            "-v",
            "--verbose",
            count=True,
            expose_value=False,
            callback=_set("verbose"),
            help="Show what runs, including the exact ffmpeg command lines (-vv: tracebacks).",
        ),
        click.option("-q", "--quiet", is_flag=True, expose_value=False, callback=_set("quiet"), help="Only errors."),
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="SECTION.KEY=VALUE",
            expose_value=False,
            callback=_set("overrides"),
            help="Override a config.toml value for this run.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def run_options(f: Any) -> Any:
    f = click.option(
        "--force", is_flag=True, expose_value=False, callback=_set("force"), help="Re-run even what is up to date."
    )(f)
    f = click.option(
        "-n",
        "--dry-run",
        is_flag=True,
        expose_value=False,
        callback=_set("dry_run"),
        help="Show what would be done; change nothing.",
    )(f)
    return f


class PodcastGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PodcastError as exc:
            app = ctx.find_object(App)
            if app and app.verbose > 1:
                traceback.print_exc()
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted: outputs and published files from earlier runs are intact", err=True)
            sys.exit(130)


@click.group(cls=PodcastGroup, epilog=EPILOG_EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@common
@run_options
@click.version_option(__version__, prog_name="podcast")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Produce and publish a podcast: normalise and edit audio, transcribe, tag, upload,
    and regenerate the RSS feed. Each stage runs only when its inputs changed."""
    ctx.ensure_object(App)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--title", default="Mon podcast", help="The show's title.")
@common
@click.pass_obj
def init(app: App, directory: Path, title: str) -> None:
    """Create config.toml (every key documented) and episodes/ in DIRECTORY.

    \b
    Example:
      podcast init mon-podcast --title "Paroles solidaires"
    """
    for path in scaffold.init(directory, title):
        app.echo(f"created {path}")


@cli.command()
@click.argument("slug")
@click.option("--title", required=True, help="The episode's title.")
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
    folder = scaffold.new_episode(app.config(), slug, title, list(sources))
    app.echo(f"created {folder}: edit episode.toml and notes.md, then `podcast publish {slug}`")


@cli.command()
@common
@click.pass_obj
def status(app: App) -> None:
    """Show each episode's stages: done, stale, missing, failed or no recording.

    \b
    Example:
      podcast status
    """
    rows = pipeline.status_table(app.config())
    header = ["EPISODE", *(s.name.upper() for s in pipeline.STAGES), "NOTE"]
    click.echo(ui.table(header, rows) if rows else "no episodes yet: `podcast new SLUG --title ...`")


def _report(app: App, report: pipeline.RunReport) -> None:
    for line in report.lines(app.dry_run):
        if line.startswith(("error", "feed FAILED")) or " FAILED: " in line or "failed:" in line:
            click.echo(line, err=True)
        else:
            app.echo(line)
    if not report.ok:
        sys.exit(1)


def _targets(slugs: tuple[str, ...], all_: bool) -> list[str] | None:
    if all_ and slugs:
        raise click.UsageError("give episode slugs or --all, not both")
    if not all_ and not slugs:
        raise click.UsageError("name at least one episode, or use --all")
    return None if all_ else list(slugs)


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
    names = [s.name for s in pipeline.STAGES]
    _report(app, pipeline.run(app.config(), _targets(slugs, all_), names, app.options(), with_feed=True))


def _stage_command(name: str, summary: str) -> None:
    @cli.command(name=name, help=f"{summary}\n\n\b\nExample:\n  podcast {name} 2024-05-atd")
    @click.argument("slugs", nargs=-1)
    @click.option("--all", "all_", is_flag=True, help="Every episode.")
    @common
    @run_options
    @click.pass_obj
    def command(app: App, slugs: tuple[str, ...], all_: bool) -> None:
        _report(app, pipeline.run(app.config(), _targets(slugs, all_), [name], app.options(), with_feed=False))


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
    report = pipeline.RunReport()
    report.feed, report.feed_error = pipeline.feed(app.config(), app.options())
    _report(app, report)


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
    from . import check

    findings = check.check_project(app.config(), http=http)
    for finding in findings:
        click.echo(finding.line(), err=finding.level == "error")
    errors = sum(f.level == "error" for f in findings)
    app.echo(f"{errors} error(s), {len(findings) - errors} warning(s)")
    if errors:
        sys.exit(1)


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
    checks = doctor.run_checks(config, error, load_model=not no_model)
    for check in checks:
        mark = "ok  " if check.ok else ("FAIL" if check.required else "warn")
        click.echo(f"{mark}  {check.name}: {check.detail}")
    if any(not c.ok and c.required for c in checks):
        sys.exit(1)


@cli.command(name="transcript")
@click.argument("slug")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["vtt", "srt", "json", "txt", "md", "html"]),
    default="txt",
    show_default=True,
    help="Which transcript format.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to this file.")
@common
@click.pass_obj
def transcript_command(app: App, slug: str, fmt: str, output: Path | None) -> None:
    """Print or export an episode's transcript (run `podcast transcribe SLUG` first).

    \b
    Examples:
      podcast transcript 2024-05-atd --format md          # timestamped paragraphs to quote
      podcast transcript 2024-05-atd --format srt -o sous-titres.srt
    """
    from . import episode as episodes
    from . import fsutil

    ep = episodes.load(app.config(), slug)
    path = ep.transcript(fmt)
    if not path.is_file():
        raise PodcastError(f"{slug} has no transcript yet: run `podcast transcribe {slug}`")
    if output is None:
        click.echo(path.read_text(encoding="utf-8"), nl=False)
    else:
        fsutil.copy_file(path, output)
        app.echo(f"wrote {output}")


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
    from . import search
    from .edits import format_time

    hits = search.search(app.config(), words, limit)
    for hit in hits:
        who = f" {hit.speaker}:" if hit.speaker else ""
        click.echo(f"{hit.slug} [{format_time(hit.start)[:8]}]{who} {hit.snippet}\n  {hit.title} — {hit.url}")
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
    from . import quote as quotes
    from .edits import parse_time

    try:
        at = parse_time(at_text)
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
    from . import episode as episodes
    from . import fsutil
    from . import quote as quotes

    config = app.config()
    html_text, plain = quotes.newsletter(config, slug)
    build = episodes.load(config, slug).build
    fsutil.write_text(build / "newsletter.html", html_text)
    fsutil.write_text(build / "newsletter.txt", plain)
    click.echo(plain, nl=False)
    app.echo(f"\n(written to {build / 'newsletter.html'} and newsletter.txt)")


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
    from .stages.upload import unpublish as unpublish_episode

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
    from .stages.upload import parse_duration
    from .stages.upload import share as share_link

    click.echo(share_link(app.config(), slug, parse_duration(expires)))


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

    from . import storage

    store = storage.open_storage(app.config())
    if not isinstance(store, storage.S3Storage):
        raise PodcastError('bucket-policy needs S3 storage (storage.kind = "s3")')
    if apply:
        store.apply_public_read_policy()
        app.echo(f"public-read policy set on {store.describe()}")
    else:
        click.echo(json.dumps(store.public_read_policy(), indent=2))


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
    from . import artwork

    failed = False
    for path in _art_paths(app, paths):
        report = artwork.inspect(path)
        status = "ok  " if report.ok else "FAIL"
        failed |= not report.ok
        click.echo(f"{status}  {path}: {report.format} {report.size[0]}×{report.size[1]} {report.mode}".rstrip())
        for message in report.errors:
            click.echo(f"      error: {message}")
        for message in report.warnings:
            click.echo(f"      warning: {message}")
    if failed:
        click.echo("error: fix the artwork above, e.g. with `podcast artwork fix`", err=True)
        sys.exit(1)


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
    from . import artwork

    for path in _art_paths(app, paths):
        backup = artwork.fix(path)
        app.echo(f"fixed {path} (original kept as {backup.name})" if backup else f"{path}: already fine")


@cli.command()
@click.option("--bind", help="Address to listen on (default from config: 127.0.0.1).")
@click.option("--port", type=int, help="Port (default from config: 8000).")
@common
@click.pass_obj
def serve(app: App, bind: str | None, port: int | None) -> None:
    """Serve the published folder over HTTP to preview the feed in a podcast app.

    \b
    Example:
      podcast serve --bind 0.0.0.0     # reachable from a phone on the same network
    """
    from .serve import make_server

    config = app.config()
    server = make_server(config.public_dir, bind or config.serve.bind, port or config.serve.port)
    address = f"http://{bind or config.serve.bind}:{server.server_address[1]}/"
    click.echo(f"serving {config.public_dir} at {address} (feed: {address}feed.xml); Ctrl-C stops")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


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
    from . import demo as demo_module

    config = app.config()
    recording = config.episodes_dir / "demo" / "recording.wav"
    if app.force or not recording.exists():
        seconds = demo_module.write_recording(recording)
        app.echo(f"generated {recording} ({seconds:.0f} s)")
    report = pipeline.run(config, None, [s.name for s in pipeline.STAGES], app.options(), with_feed=True)
    try:
        _report(app, report)
    finally:
        app.echo(f"feed: {config.public_dir / 'feed.xml'} (served as {config.feed_url} by `podcast serve`)")
        app.echo(f"files: {config.public_dir}/episodes/  build outputs: {config.build_dir}/")


def main() -> None:
    cli(prog_name="podcast")
