"""The `podcast` group, the options every command shares, and the one place where errors
become messages. The commands live beside this module, by what they are for.

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

from podcast import __version__, pipeline
from podcast.cli import ui
from podcast.core.errors import Interrupted, PodcastError
from podcast.core.report import Level, Report
from podcast.project.config import Config, load_config, resolve_project

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


class Text(click.ParamType):  # type: ignore[type-arg]  # click's stubs: ParamType is not generic at run time
    """Free text from the command line: refused when the terminal did not send UTF-8 (Python
    then carries the undecodable bytes as surrogates, which no file or tag can hold)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            byte = ord(text[exc.start]) - 0xDC00 if 0xDC80 <= ord(text[exc.start]) <= 0xDCFF else 0
            self.fail(
                f"{text.encode('utf-8', 'replace').decode()!r} is not UTF-8 text (byte 0x{byte:02x}): "
                "set the terminal to UTF-8 (LANG=fr_FR.UTF-8) or type the text again",
                param,
                ctx,
            )
        return text


TEXT = Text()


def confirm(question: str) -> bool:
    """Yes or no, at the terminal or from piped input (y, yes, o, oui); no when input has ended."""
    if sys.stdin.isatty():
        return bool(click.confirm(question, default=False))
    answer = ask(f"{question} [y/N]")
    return (answer or "").strip().lower() in ("y", "yes", "o", "oui")


def ask(question: str, default: str = "") -> str | None:
    """An answer typed at the terminal, or the next line of piped input (`printf 'Titre\\n…' |
    podcast init`); None once piped input has ended. Either way, one line of text (UTF-8)."""
    if sys.stdin.isatty():
        return str(click.prompt(question, default=default, show_default=bool(default), type=TEXT))
    try:
        line = sys.stdin.readline()
    except UnicodeDecodeError:
        raise click.BadParameter("the answers piped in are not UTF-8 text") from None
    if not line:
        return None
    answer = TEXT.convert(line.strip(), None, None) or default
    click.echo(f"{question}: {answer}")
    return answer


class PodcastGroup(click.Group):
    """The one place where errors become messages: ours as one line, and anything else (a bug)
    as one line asking for a report, with the traceback under -vv. Ctrl-C goes on to __main__.
    Usage errors are one line too (click's own format spends three on them)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except click.exceptions.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "podcast"
            click.echo(f"error: {exc.format_message()} (see `{command} --help`)", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.ClickException as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:  # Ctrl-C or end of input at a prompt: __main__ reports it
            raise Interrupted from None
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, BrokenPipeError):
            raise  # BrokenPipeError: the reader went away (`| head`): click ends quietly (status 1)
        except PodcastError as exc:
            _traceback_if_verbose(ctx)
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:  # past click untouched (it would print a blank line): __main__ reports it
            raise Interrupted from None
        except Exception as exc:
            _traceback_if_verbose(ctx)
            click.echo(
                f"error: internal error ({type(exc).__name__}: {_one_line(exc)}); this is a bug: please report it "
                "with the output of the same command run with -vv",
                err=True,
            )
            sys.exit(1)


class DefaultGroup(click.Group):
    """A group whose first subcommand is also what runs when none is named: `podcast
    transcript SLUG` stays `podcast transcript export SLUG` beside `podcast transcript import`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args.insert(0, next(iter(self.commands)))
        return super().parse_args(ctx, args)


def _traceback_if_verbose(ctx: click.Context) -> None:
    app = ctx.find_object(App)
    if app and app.verbose > 1:
        traceback.print_exc()


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] or "no message"


@click.group(cls=PodcastGroup, epilog=EPILOG_EXAMPLES, context_settings={"help_option_names": ["-h", "--help"]})
@common
@run_options
@click.version_option(__version__, prog_name="podcast")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Produce and publish a podcast: normalise and edit audio, transcribe, tag, upload,
    and regenerate the RSS feed. Each stage runs only when its inputs changed."""
    ctx.ensure_object(App)


def show(app: App, report: Report) -> None:
    """Print a report the one way every command does (information on stdout unless -q, warnings
    and errors on stderr) and exit non-zero when it holds an error."""
    for line in report:
        if line.level >= Level.WARNING:
            click.echo(line.text, err=True)
        else:
            app.echo(line.text)
    if not report.ok:
        sys.exit(report.exit_code)


def show_run(app: App, run: pipeline.RunReport) -> None:
    show(app, run.report(app.dry_run))
