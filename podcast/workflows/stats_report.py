"""`podcast stats`, reporting: the downloads counted in the audience file, per episode (total,
first 7 and 30 days), per app, per day/week/month; as terminal tables, CSV, JSON, or one
self-contained HTML page with charts for the board (never published: it refuses `public/`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podcast import __version__
from podcast.core import fsutil, i18n
from podcast.core.errors import PodcastError
from podcast.core.report import Report
from podcast.domain import audience, charts
from podcast.edges.analytics import Store
from podcast.project import episode as episodes
from podcast.project.config import Config
from podcast.release import catalog, site
from podcast.workflows import stats

CURVE_DAYS = 30
TOP_APPS = 10


@dataclass(frozen=True)
class EpisodeInfo:
    slug: str
    title: str
    published: dt.date | None  # the UTC day it was released (first 7/30 days count from it)


@dataclass(frozen=True)
class EpisodeRow:
    slug: str
    title: str
    published: dt.date | None
    first_7: int
    first_30: int
    total: int


@dataclass
class Numbers:
    show: str
    language: str
    rows: list[tuple[dt.date, str, int]]  # (day, episode, downloads): every day
    episodes: dict[str, EpisodeInfo]
    apps: list[tuple[str, int]] = field(default_factory=list)  # (app, downloads) in the period, most first
    left_out: dict[str, int] = field(default_factory=dict)
    since: dt.date | None = None
    episode: str | None = None
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())

    @property
    def period(self) -> list[tuple[dt.date, str, int]]:
        """The rows `--since` and `--episode` select."""
        return [
            r
            for r in self.rows
            if (not self.since or r[0] >= self.since) and (not self.episode or r[1] == self.episode)
        ]

    @property
    def total(self) -> int:
        return sum(r[2] for r in self.period)

    def span(self) -> tuple[dt.date, dt.date] | None:
        days = [r[0] for r in self.period]
        return (min(days), max(days)) if days else None

    def by_episode(self) -> list[EpisodeRow]:
        totals: dict[str, int] = defaultdict(int)
        for _, slug, n in self.period:
            totals[slug] += n
        early: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for day, slug, n in self.rows:
            published = self.info(slug).published
            if published is not None and 0 <= (day - published).days < CURVE_DAYS:
                early[slug][1] += n
                if (day - published).days < 7:
                    early[slug][0] += n
        slugs = sorted(set(totals) | ({self.episode} if self.episode else set()), key=self._order)
        return [
            EpisodeRow(s, self.info(s).title, self.info(s).published, early[s][0], early[s][1], totals.get(s, 0))
            for s in slugs
        ]

    def _order(self, slug: str) -> tuple[dt.date, str]:
        return (self.info(slug).published or dt.date.min, slug)

    def info(self, slug: str) -> EpisodeInfo:
        return self.episodes.get(slug) or EpisodeInfo(slug, slug, None)

    def by_app(self) -> list[tuple[str, int, float]]:
        whole = sum(n for _, n in self.apps) or 1
        return [(app, n, n / whole) for app, n in self.apps]

    def by_period(self, unit: str) -> list[tuple[dt.date, int]]:
        """Downloads per day, week (from Monday) or month, every period of the span listed."""
        span = self.span()
        if span is None:
            return []
        totals: dict[dt.date, int] = defaultdict(int)
        for day, _, n in self.period:
            totals[period_start(day, unit)] += n
        found, current = [], period_start(span[0], unit)
        while current <= span[1]:
            found.append((current, totals.get(current, 0)))
            current = next_period(current, unit)
        return found

    def curves(self) -> tuple[dict[str, list[int | None]], list[float | None]]:
        """Each episode's cumulative downloads on its days 1..30 (None for days not yet lived),
        and the show's median of those on each day: over the episodes that lived that day, when
        they are at least half of them and two or more (a median of one episode says nothing)."""
        daily: dict[str, list[int]] = defaultdict(lambda: [0] * CURVE_DAYS)
        for day, slug, n in self.rows:
            published = self.info(slug).published
            if published is not None and 0 <= (day - published).days < CURVE_DAYS:
                daily[slug][(day - published).days] += n
        found: dict[str, list[int | None]] = {}
        for slug, info in self.episodes.items():
            if info.published is None or info.published > self.today:
                continue
            lived = min(CURVE_DAYS, (self.today - info.published).days + 1)
            running, series = 0, []
            for index in range(CURVE_DAYS):
                running += daily[slug][index] if slug in daily else 0
                series.append(running if index < lived else None)
            found[slug] = series
        median: list[float | None] = []
        enough = max(2, (len(found) + 1) // 2)
        for index in range(CURVE_DAYS):
            values = [v for s in found.values() if (v := s[index]) is not None]
            median.append(statistics.median(values) if len(values) >= enough else None)
        return found, median


def period_start(day: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return day - dt.timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def next_period(day: dt.date, unit: str) -> dt.date:
    if unit == "week":
        return day + dt.timedelta(days=7)
    if unit == "month":
        return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return day + dt.timedelta(days=1)


def label(day: dt.date, unit: str) -> str:
    return day.strftime("%Y-%m") if unit == "month" else day.isoformat()


def numbers(config: Config, since: dt.date | None = None, episode: str | None = None) -> Numbers:
    """What the audience file holds (empty before the first run)."""
    info = episode_infos(config)
    if episode is not None:
        episodes.check_slug(episode)
    path = stats.database(config)
    rows: list[tuple[dt.date, str, int]] = []
    apps: list[tuple[str, int]] = []
    left: dict[str, int] = {}
    if path.exists():
        with Store(path, stats.stats_dir(config) / ".report", read_only=True) as store:
            rows, apps, left = store.daily(), store.apps(since, episode), store.left_out(since)
    return Numbers(config.show.title, config.show.language, rows, info, apps, left, since, episode)


def episode_infos(config: Config) -> dict[str, EpisodeInfo]:
    """Titles and release days: live episodes from the catalog, others from their folder."""
    found = {
        item.episode.slug: EpisodeInfo(item.episode.slug, item.episode.meta.title, item.date.astimezone(dt.UTC).date())
        for item in catalog.collect(config).items
    }
    for slug in episodes.all_slugs(config):
        if slug not in found:
            try:
                meta = episodes.load(config, slug).meta
            except PodcastError:
                continue
            found[slug] = EpisodeInfo(slug, meta.title, meta.date.astimezone(dt.UTC).date() if meta.date else None)
    return found


# ---------------------------------------------------------------------------------------
# Outputs


def tables(found: Numbers, by: str | None) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) of each table the terminal shows: one with --by, else three."""
    chosen = [by] if by else ["episode", "app", "month"]
    return [_table(found, name) for name in chosen]


def _table(found: Numbers, by: str) -> tuple[str, list[str], list[list[str]]]:
    header, rows = breakdown(found, by)
    titles = {"episode": "per episode", "app": "per app", "day": "per day", "week": "per week", "month": "per month"}
    return f"Downloads {titles[by]}", header, [[_cell(v) for v in row] for row in rows]


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value * 100:.1f} %"
    if isinstance(value, int):
        return f"{value:,}"
    return "" if value is None else str(value)


def breakdown(found: Numbers, by: str) -> tuple[list[str], list[list[Any]]]:
    if by == "episode":
        header = ["episode", "title", "published", "first 7 days", "first 30 days", "total"]
        rows: list[list[Any]] = [
            [r.slug, r.title, r.published.isoformat() if r.published else "", r.first_7, r.first_30, r.total]
            for r in found.by_episode()
        ]
        return header, rows
    if by == "app":
        return ["app", "downloads", "share"], [[a, n, s] for a, n, s in found.by_app()]
    return [by, "downloads"], [[label(d, by), n] for d, n in found.by_period(by)]


def summary(found: Numbers) -> list[str]:
    span = found.span()
    if span is None:
        return [
            "no downloads counted yet (run `podcast stats` where the logs are configured; see `podcast stats --help`)"
        ]
    lines = [f"{found.total:,} downloads from {span[0]} to {span[1]} (IAB v2.2 rules, UTC calendar days)"]
    left = {k: v for k, v in found.left_out.items() if v and k not in ("other",)}
    if left:
        lines.append("left out: " + ", ".join(f"{stats.REASONS.get(k, k)} {v:,}" for k, v in sorted(left.items())))
    return lines


def to_csv(found: Numbers, by: str) -> str:
    header, rows = breakdown(found, by)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([h.replace(" ", "_") for h in header])
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    return out.getvalue()


def _csv_cell(value: object) -> object:
    """A cell a spreadsheet reads as text, never as a formula (=, +, -, @ at the start)."""
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def to_json(found: Numbers) -> str:
    span = found.span()
    data = {
        "show": found.show,
        "generated_by": f"podcast {__version__}",
        "rules": "IAB Podcast Measurement Technical Guidelines v2.2, calendar-day (UTC) window",
        "since": found.since.isoformat() if found.since else None,
        "episode": found.episode,
        "from": span[0].isoformat() if span else None,
        "to": span[1].isoformat() if span else None,
        "downloads": found.total,
        "episodes": [
            {
                "slug": r.slug,
                "title": r.title,
                "published": r.published.isoformat() if r.published else None,
                "first_7_days": r.first_7,
                "first_30_days": r.first_30,
                "total": r.total,
            }
            for r in found.by_episode()
        ],
        "apps": [{"app": a, "downloads": n, "share": round(s, 4)} for a, n, s in found.by_app()],
        "months": [{"month": label(d, "month"), "downloads": n} for d, n in found.by_period("month")],
        "days": [{"day": d.isoformat(), "downloads": n} for d, n in found.by_period("day")],
        "left_out": dict(sorted(found.left_out.items())),
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def write(config: Config, target: Path, text: str) -> None:
    """A report file, written whole or not at all; never into the published folder, nor over
    the producer's files."""
    resolved = target.resolve()
    public = config.public_dir
    if config.storage.kind == "local" and (resolved == public or resolved.is_relative_to(public)):
        raise PodcastError(
            f"{target}: inside the published folder ({public}): the report is private, write it elsewhere"
        )
    producers = config.episodes_dir.resolve()
    if resolved.is_relative_to(producers) or resolved == (config.root / "config.toml").resolve():
        raise PodcastError(f"{target}: the producer's files are never overwritten: write the report elsewhere")
    if target.is_dir():
        raise PodcastError(f"{target}: a folder: name a file")
    try:
        fsutil.write_text(target, text)
    except OSError as exc:
        raise PodcastError(f"{target}: cannot write it ({exc.strerror or exc})") from None


# ---------------------------------------------------------------------------------------
# The HTML page


WORDS: dict[str, dict[str, Any]] = {
    "fr": {
        "title": "Audience",
        "lead": "Téléchargements comptés selon les règles de l'IAB (Podcast Measurement Technical Guidelines v2.2)",
        "downloads": "téléchargements",
        "episodes": "épisodes",
        "over_time": "Téléchargements dans le temps",
        "per": {"day": "par jour", "week": "par semaine", "month": "par mois"},
        "first_days": "Les 30 premiers jours de chaque épisode",
        "first_days_lead": "Téléchargements cumulés depuis la sortie (trait plein), comparés à la médiane "
        "des épisodes (tirets).",
        "apps": "Applications d'écoute",
        "table": "Voir les chiffres",
        "episode": "Épisode",
        "published": "Sortie",
        "first_7": "7 premiers jours",
        "first_30": "30 premiers jours",
        "total": "Total",
        "median": "médiane",
        "period": "Période",
        "app": "Application",
        "share": "Part",
        "day": "Jour",
        "method": "Comment ces chiffres sont comptés",
        "method_text": "Un téléchargement est compté au plus une fois par auditeur (adresse IP et application), "
        "par épisode et par jour (UTC), et seulement si au moins une minute d'audio a été envoyée. "
        "Les robots (listes de l'OPAWG), les requêtes HEAD, les sondes de 2 octets et les doublons "
        "de l'Apple Watch sont écartés. Aucune adresse IP n'est conservée.",
        "left_out": "Écarté",
        "none": "Aucun téléchargement compté pour l'instant.",
        "from": "du",
        "to": "au",
        "reasons": {
            "bot": "robots et agents qui n'écoutent pas (OPAWG)",
            "own": "vérifications de cet outil",
            "watch": "doublons de l'Apple Watch",
            "none": "sans agent utilisateur",
            "head": "requêtes HEAD",
            "method": "autres méthodes",
            "status": "erreurs et 304",
            "probe": "sondes de 2 octets",
            "late": "lignes de jours déjà clos",
            "partial": "auditeurs sous une minute",
            "heavy": "au-delà de la limite quotidienne par adresse IP",
            "malformed": "lignes illisibles",
        },
    },
    "en": {
        "title": "Audience",
        "lead": "Downloads counted by the IAB rules (Podcast Measurement Technical Guidelines v2.2)",
        "downloads": "downloads",
        "episodes": "episodes",
        "over_time": "Downloads over time",
        "per": {"day": "per day", "week": "per week", "month": "per month"},
        "first_days": "Each episode's first 30 days",
        "first_days_lead": "Cumulative downloads since release (solid line) against the median episode (dashed).",
        "apps": "Listening apps",
        "table": "See the numbers",
        "episode": "Episode",
        "published": "Released",
        "first_7": "First 7 days",
        "first_30": "First 30 days",
        "total": "Total",
        "median": "median",
        "period": "Period",
        "app": "App",
        "share": "Share",
        "day": "Day",
        "method": "How these numbers are counted",
        "method_text": "A download is counted at most once per listener (IP address and app), per episode and "
        "per day (UTC), and only when at least one minute of audio was sent. Bots (OPAWG lists), HEAD "
        "requests, 2-byte probes and Apple Watch duplicates are left out. No IP address is kept.",
        "left_out": "Left out",
        "none": "No downloads counted yet.",
        "from": "from",
        "to": "to",
    },
}


def html(config: Config, found: Numbers) -> str:
    words = i18n.localised(WORDS, found.language)
    span = found.span()
    unit = (
        "day"
        if span and (span[1] - span[0]).days <= 62
        else "week"
        if span and (span[1] - span[0]).days <= 366
        else "month"
    )
    over_time = found.by_period(unit)
    curves, median = found.curves()
    recent = sorted(curves, key=found._order, reverse=True)[:12]
    top = max([v for s in curves.values() for v in s if v is not None] + [m or 0 for m in median] + [1])
    apps = _top_apps(found.by_app())
    context = {
        "words": words,
        "show": found.show,
        "language": found.language.split("-")[0] or "en",
        "span": span,
        "total_text": charts.number(found.total),
        "median_text": charts.number(median[-1] or 0),
        "unit": unit,
        "over_time": [(label(d, unit), n) for d, n in over_time],
        "over_time_chart": charts.bars(
            "time",
            f"{words['over_time']} {words['per'][unit]}",
            _describe(words, [(label(d, unit), n) for d, n in over_time]),
            [(label(d, unit), n) for d, n in over_time],
        )
        if over_time
        else "",
        "episodes": found.by_episode(),
        "curves": [
            {
                "slug": slug,
                "title": found.info(slug).title,
                "chart": charts.curve(
                    f"c{index}",
                    found.info(slug).title,
                    _curve_text(words, curves[slug], median),
                    curves[slug],
                    median,
                    top,
                ),
            }
            for index, slug in enumerate(recent)
        ],
        "median_30": median[-1],
        "apps": apps,
        "apps_chart": charts.shares("apps", words["apps"], _describe(words, [(a, n) for a, n, _ in apps]), apps)
        if apps
        else "",
        "left_out": [
            (words.get("reasons", stats.REASONS).get(k, stats.REASONS.get(k, k)), v)
            for k, v in sorted(found.left_out.items())
            if v and k != "other"
        ],
        "version": __version__,
    }
    return site.render_template(site.environment(config), "stats.html", **context)


def _top_apps(apps: list[tuple[str, int, float]]) -> list[tuple[str, int, float]]:
    if len(apps) <= TOP_APPS:
        return apps
    rest = apps[TOP_APPS - 1 :]
    return [
        *apps[: TOP_APPS - 1],
        (audience.UNKNOWN + f" ({len(rest)})", sum(n for _, n, _ in rest), sum(s for *_, s in rest)),
    ]


def _describe(words: dict[str, Any], points: Iterable[tuple[str, int]]) -> str:
    values = list(points)
    if not values:
        return str(words["none"])
    best = max(values, key=lambda p: p[1])
    return f"{sum(v for _, v in values):,} {words['downloads']}; max {best[1]:,} ({best[0]})"


def _curve_text(words: dict[str, Any], series: list[int | None], median: list[float | None]) -> str:
    lived = [v for v in series if v is not None]
    days = len(lived)
    if not days:
        return str(words["none"])
    middle = median[days - 1]
    versus = f", {words['median']} {middle:g}" if middle is not None else ""
    return f"{lived[-1]:,} {words['downloads']} ({words['day']} {days}){versus}"


# ---------------------------------------------------------------------------------------
# One command: read what is new, then report


@dataclass(frozen=True)
class Request:
    since: dt.date | None = None
    episode: str | None = None
    by: str | None = None
    csv: Path | None = None  # Path("-"): standard output
    json: Path | None = None
    html: Path | None = None
    read: bool = True
    rebuild: bool = False


@dataclass
class Outcome:
    report: Report = field(default_factory=Report)  # what was read and written, then the numbers
    numbers: Numbers | None = None
    stdout: str = ""  # a CSV or JSON asked for on standard output (then no tables)

    @property
    def lines(self) -> list[tuple[str, str]]:
        """(level, text) of the report's lines."""
        return [(line.level.label, line.text) for line in self.report]


def run(config: Config, request: Request, *, dry_run: bool = False, now: dt.datetime | None = None) -> Outcome:
    """Read what is new (unless `request.read` is off), count, and write the files asked for."""
    outcome = Outcome()
    if request.read or request.rebuild:
        read = stats.update(config, rebuild=request.rebuild, dry_run=dry_run, now=now)
        outcome.report.extend(read.report(dry_run))
    found = numbers(config, request.since, request.episode)
    if now is not None:
        found.today = now.astimezone(dt.UTC).date()
    outcome.numbers = found
    outputs: list[tuple[Path | None, Callable[[], str]]] = [
        (request.csv, lambda: to_csv(found, request.by or "episode")),
        (request.json, lambda: to_json(found)),
        (request.html, lambda: html(config, found)),
    ]
    for target, render in outputs:
        if target is None:
            continue
        text = render()
        if str(target) == "-":
            outcome.stdout += text
        elif dry_run:
            outcome.report.info(f"would write {target}")
        else:
            write(config, target, text)
            outcome.report.info(f"wrote {target}")
    return outcome
