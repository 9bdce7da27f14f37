"""The fixed stage order, incremental runs, --dry-run, and the run summary.

process → transcribe → tag → upload, per episode; then the feed, once, last. A stage runs
only when the fingerprint of its inputs differs from the one recorded after its last good
run (or its outputs are gone). One bad episode does not stop the others.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from . import episode as episodes
from .config import Config
from .errors import PodcastError, RecordingMissing, ToolMissing
from .stages import Context, ProgressFactory, Stage, no_progress
from .stages.audio import AudioStage
from .stages.feed import FeedResult, publish_feed
from .stages.tag import TagStage
from .stages.transcribe import TranscribeStage
from .stages.upload import WITHDRAWN, UploadStage
from .state import State, fingerprint

log = logging.getLogger("podcast.pipeline")

STAGES: list[Stage] = [AudioStage(), TranscribeStage(), TagStage(), UploadStage()]
BY_NAME: dict[str, Stage] = {stage.name: stage for stage in STAGES}


@dataclass
class Options:
    dry_run: bool = False
    force: bool = False
    progress: ProgressFactory | None = None


@dataclass
class EpisodeReport:
    slug: str
    ran: list[tuple[str, str]] = field(default_factory=list)
    current: list[str] = field(default_factory=list)
    planned: list[str] = field(default_factory=list)
    skipped: str = ""
    failed: tuple[str, str] | None = None


@dataclass
class RunReport:
    episodes: list[EpisodeReport] = field(default_factory=list)
    feed: FeedResult | None = None
    feed_error: str = ""

    @property
    def ok(self) -> bool:
        return not self.feed_error and all(ep.failed is None for ep in self.episodes)

    @property
    def did_work(self) -> bool:
        return any(ep.ran for ep in self.episodes) or bool(self.feed and self.feed.changed)

    def lines(self, dry_run: bool = False) -> list[str]:
        out: list[str] = []
        for ep in self.episodes:
            if ep.skipped:
                out.append(f"{ep.slug}: skipped: {ep.skipped}")
                continue
            for stage, message in ep.ran:
                out.append(f"{ep.slug}: {stage}: {message}")
            out.extend(f"{ep.slug}: {line}" for line in ep.planned)
            if ep.failed:
                out.append(f"{ep.slug}: {ep.failed[0]} FAILED: {ep.failed[1]}")
            elif not ep.ran and not ep.planned:
                out.append(f"{ep.slug}: up to date")
        if self.feed_error:
            out.append(f"feed FAILED: {self.feed_error}")
        elif self.feed:
            out.append(self.feed.message)
            out.extend(f"  not in the feed: {reason}" for reason in self.feed.plan.waiting)
        failed = [ep.slug for ep in self.episodes if ep.failed]
        if failed:
            out.append(f"{len(failed)} episode(s) failed: {', '.join(failed)}")
        elif not self.did_work and not dry_run and not self.feed_error:
            out.append("nothing to do: everything is up to date")
        return out


def make_context(config: Config, slug: str, options: Options, shared: dict[str, Any]) -> Context:
    ep = episodes.load(config, slug)
    return Context(config, ep, State(ep.state_path), options.progress or no_progress, shared)


@dataclass
class Status:
    state: str  # 'done' | 'stale' | 'missing' | 'failed' | 'off' | 'no recording'
    detail: str = ""
    inputs: Any = None  # what the stage's output depends on, when they could be read
    problem: str = ""  # why they could not


def stage_status(stage: Stage, ctx: Context) -> Status:
    record = ctx.state.get(stage.name)
    try:
        inputs = stage.inputs(ctx)
    except ToolMissing:
        raise  # fatal for the whole run, never a per-episode state
    except RecordingMissing as exc:
        return Status("no recording", str(exc), problem=str(exc))
    except PodcastError as exc:
        return Status("missing" if record is None else "stale", str(exc), problem=str(exc))
    if inputs is None:
        return Status("off", "disabled in config.toml")
    if record is None:
        return Status("missing", "never run", inputs)
    if record.status == "failed":
        return Status("failed", record.error, inputs)
    if record.fingerprint != fingerprint(stage.name, stage.version, inputs):
        return Status("stale", "inputs changed", inputs)
    for rel, digest in record.outputs.items():
        path = ctx.episode.build / rel
        if not path.is_file() or ctx.state.file_hash(path) != digest:
            return Status("stale", f"{rel} missing or changed", inputs)
    return Status("done", "", inputs)


def run_episode(ctx: Context, stages: list[Stage], options: Options, *, skip_missing: bool) -> EpisodeReport:
    report = EpisodeReport(ctx.episode.slug)
    waiting_on = ""
    for stage in stages:
        if options.dry_run and waiting_on:
            report.planned.append(f"{stage.name}: would run after {waiting_on}")
            continue
        status = stage_status(stage, ctx)
        if status.state == "off":
            continue
        if status.state == "done" and not options.force:
            report.current.append(stage.name)
            continue
        if status.state == "no recording":
            if skip_missing:
                report.skipped = status.detail
            else:
                report.failed = (stage.name, status.detail)
            return report
        if options.dry_run:
            waiting_on = stage.name
            try:
                plan = stage.plan(ctx)
            except PodcastError as exc:
                report.failed = (stage.name, str(exc))
                return report
            report.planned.append(f"{stage.name}: would run ({status.detail or status.state})")
            report.planned.extend(f"  {line}" for line in plan)
            continue
        try:
            if status.problem:  # the inputs could not be read: the stage cannot run
                raise PodcastError(status.problem)
            outcome = stage.run(ctx)
        except ToolMissing:
            raise
        except (PodcastError, OSError) as exc:
            message = _os_message(exc) if isinstance(exc, OSError) else str(exc)
            report.failed = (stage.name, message)
            with contextlib.suppress(OSError):  # the disk that failed the stage may refuse the record too
                ctx.state.record_failed(stage.name, message)
            return report
        outputs = {str(p.relative_to(ctx.episode.build)): ctx.state.file_hash(p) for p in outcome.outputs}
        try:
            fp = fingerprint(stage.name, stage.version, status.inputs)
            ctx.state.record_done(stage.name, fp, outputs, outcome.info)
        except OSError as exc:
            report.failed = (stage.name, _os_message(exc))
            return report
        report.ran.append((stage.name, outcome.message))
    return report


def _os_message(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def run(
    config: Config,
    slugs: list[str] | None,
    stage_names: list[str],
    options: Options,
    *,
    with_feed: bool,
) -> RunReport:
    """Run `stage_names` for `slugs` (None = every episode, skipping those without a recording)."""
    report = RunReport()
    targets = slugs if slugs is not None else episodes.all_slugs(config)
    stages = [BY_NAME[name] for name in stage_names]
    shared: dict[str, Any] = {}
    for slug in targets:
        try:
            ctx = make_context(config, slug, options, shared)
        except ToolMissing:
            raise
        except PodcastError as exc:
            report.episodes.append(EpisodeReport(slug, failed=("load", str(exc))))
            continue
        if ctx.state.get(WITHDRAWN) and "upload" in stage_names:
            if slugs is None:
                report.episodes.append(
                    EpisodeReport(
                        slug, skipped=f"withdrawn by `podcast unpublish` (`podcast publish {slug}` brings it back)"
                    )
                )
                continue
            if not options.dry_run:
                ctx.state.records.pop(WITHDRAWN)
                ctx.state.save()
        report.episodes.append(run_episode(ctx, stages, options, skip_missing=slugs is None))
    if with_feed:
        report.feed, report.feed_error = feed(config, options)
    return report


def feed(config: Config, options: Options) -> tuple[FeedResult | None, str]:
    try:
        return publish_feed(config, dry_run=options.dry_run, force=options.force), ""
    except ToolMissing:
        raise
    except PodcastError as exc:
        return None, str(exc)


def status_table(config: Config) -> list[list[str]]:
    """One row per episode: slug, the status of each stage, and a note."""
    rows = []
    for slug in episodes.all_slugs(config):
        try:
            ctx = make_context(config, slug, Options(), {})
        except PodcastError as exc:
            rows.append([slug, *["-"] * len(STAGES), str(exc)])
            continue
        cells, note = [], ""
        upstream_ok = True
        for stage in STAGES:
            found = stage_status(stage, ctx)
            status, detail = found.state, found.detail
            if not upstream_ok and status == "done":
                status = "stale"
            if status not in ("done", "off"):
                upstream_ok = False
                if status in ("no recording", "failed") and not note:
                    note = detail
            cells.append(status)
        published = ctx.state.get("upload")
        if published and published.info.get("published") and not note:
            note = "published"
        if ctx.episode.meta.draft:
            note = f"draft; {note}" if note else "draft"
        rows.append([slug, *cells, note])
    return rows
