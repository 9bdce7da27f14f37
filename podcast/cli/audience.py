"""Audience: `podcast stats`, downloads counted the IAB way from the access logs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from podcast.cli import ui
from podcast.cli.base import App, cli, common, run_options, show
from podcast.domain.audience import BREAKDOWNS

OUTPUT = click.Path(dir_okay=False, allow_dash=True, path_type=Path)


@cli.command()
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only downloads on this day (UTC) or later.")
@click.option("--episode", metavar="SLUG", help="Only this episode.")
@click.option("--by", type=click.Choice(BREAKDOWNS), help="One table: per episode, app, day, week or month.")
@click.option(
    "--csv",
    "csv_path",
    type=OUTPUT,
    metavar="FILE",
    help="Write the table (--by, default episode) as CSV ('-': print it).",
)
@click.option("--json", "json_path", type=OUTPUT, metavar="FILE", help="Write every number as JSON ('-': print it).")
@click.option(
    "--html",
    "html_path",
    type=OUTPUT,
    metavar="FILE",
    help="Write a self-contained page with charts (never into public/).",
)
@click.option("--no-read", is_flag=True, help="Report what was counted before; read no logs.")
@click.option("--rebuild", is_flag=True, help="Forget what was read and count every log again.")
@common
@run_options
@click.pass_obj
def stats(app: App, /, since: dt.datetime | None, by: str | None, no_read: bool, rebuild: bool, **given: Any) -> None:
    """Read the new lines of the access logs ([stats] logs in config.toml: S3 server access
    logs, CloudFront logs, nginx/Apache files; by default `podcast serve`'s own log), count
    downloads by the IAB rules and report them: per episode (total, first 7 and 30 days), per
    app, per month.

    A download is one listener (IP address and user agent, IPv6 cut to 64 bits) per episode
    per UTC day, once at least one minute of audio was sent; bots, HEAD requests, 2-byte probes
    and our own checks are left out. Logs already read are remembered: running it again never
    counts twice. No IP address or user agent is kept.

    \b
    Examples:
      podcast stats
      podcast stats --by week --since 2024-01-01
      podcast stats --html audience.html --csv episodes.csv
      podcast stats --episode 2024-05-atd --by day --no-read
    """
    from podcast.workflows import stats_report

    request = stats_report.Request(
        since.date() if since else None,
        given["episode"],
        by,
        given["csv_path"],
        given["json_path"],
        given["html_path"],
        read=not no_read,
        rebuild=rebuild,
    )
    outcome = stats_report.run(app.config(), request, dry_run=app.dry_run)
    show(app, outcome.report)
    if outcome.stdout:
        click.echo(outcome.stdout, nl=False)
        return
    assert outcome.numbers is not None
    for line in stats_report.summary(outcome.numbers):
        app.echo(line)
    if outcome.numbers.span():
        for title, header, rows in stats_report.tables(outcome.numbers, by):
            app.echo(f"\n{title}\n{ui.table(header, rows)}")
