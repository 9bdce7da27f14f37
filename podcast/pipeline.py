"""The fixed stage order, incremental runs, --dry-run, the run report, and the release.

process → transcribe → tag → upload, per episode; then the release, once, last: pages →
search index → `podcast check` → feed. A stage runs only when the fingerprint of its inputs
differs from the one recorded after its last good run (or its outputs are gone). One bad
episode does not stop the others; a fatal error (a missing tool, a broken model) stops the run.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from podcast.core import fsutil
from podcast.core.errors import FatalError, FeedError, PodcastError, RecordingMissing
from podcast.core.progress import ProgressFactory, no_progress
from podcast.core.report import Level, Report
from podcast.domain.edits import EditList
from podcast.edges import storage
from podcast.project import episode as episodes
from podcast.project.config import FEED_NAME, Config
from podcast.project.ids import episode_guid, is_public, show_guid
from podcast.project.state import StageRecord, State, fingerprint
from podcast.release import catalog, check, rss, search, site
from podcast.release.catalog import WITHDRAWN, Catalog
from podcast.stages import Context, Stage
from podcast.stages.process import ProcessStage
from podcast.stages.tag import TagStage
from podcast.stages.transcribe import TranscribeStage
from podcast.stages.upload import UploadStage

log = logging.getLogger("podcast.pipeline")

STAGES: list[Stage] = [ProcessStage(), TranscribeStage(), TagStage(), UploadStage()]
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
class Release:
    """What `release` did (or would do) with the feed."""

    changed: bool
    shown: Catalog
    size: int
    message: str
    findings: list[check.Finding] = field(default_factory=list)


@dataclass
class RunReport:
    episodes: list[EpisodeReport] = field(default_factory=list)
    release: Release | None = None
    release_error: str = ""
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.release_error and all(ep.failed is None for ep in self.episodes)

    @property
    def did_work(self) -> bool:
        return any(ep.ran for ep in self.episodes) or bool(self.release and self.release.changed)

    def report(self, dry_run: bool = False) -> Report:
        out = Report()
        for text in self.warnings:
            out.warning(f"warning: {text}")
        for ep in self.episodes:
            _episode_lines(ep, out)
        if self.release_error:
            out.error(f"feed FAILED: {self.release_error}")
        elif self.release:
            out.info(self.release.message)
            for reason in self.release.shown.waiting:
                out.info(f"  not in the feed: {reason}")
        failed = [ep.slug for ep in self.episodes if ep.failed]
        if failed:
            out.error(f"{len(failed)} episode(s) failed: {', '.join(failed)}")
        elif not self.did_work and not dry_run and not self.release_error:
            out.info("nothing to do: everything is up to date")
        return out


def _episode_lines(ep: EpisodeReport, out: Report) -> None:
    if ep.skipped:
        out.info(f"{ep.slug}: skipped: {ep.skipped}")
        return
    for stage, message in ep.ran:
        out.info(f"{ep.slug}: {stage}: {message}")
    for line in ep.planned:
        out.info(f"{ep.slug}: {line}")
    if ep.failed:
        out.error(f"{ep.slug}: {ep.failed[0]} FAILED: {ep.failed[1]}")
    elif not ep.ran and not ep.planned:
        out.info(f"{ep.slug}: up to date")


def make_context(config: Config, slug: str, options: Options, shared: dict[str, Any]) -> Context:
    ep = episodes.load(config, slug)
    return Context(config, ep, ep.state(), options.progress or no_progress, shared)


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
    except FatalError:
        raise  # fatal for the whole run, never a per-episode state
    except RecordingMissing as exc:
        return Status("no recording", str(exc), problem=str(exc))
    except PodcastError as exc:
        return Status("missing" if record is None else "stale", str(exc), problem=str(exc))
    return _compare(stage, ctx, record, inputs)


def _compare(stage: Stage, ctx: Context, record: StageRecord | None, inputs: Any) -> Status:
    """The stage's status from its record and the inputs it would read now."""
    if inputs is None:
        return Status("off", "disabled in config.toml")
    if record is None:
        return Status("missing", "never run", inputs)
    if record.status == "failed":
        return Status("failed", record.error, inputs)
    if record.fingerprint != fingerprint(stage.name, stage.version, inputs):
        return Status("stale", "inputs changed", inputs)
    changed = _changed_output(ctx, record.outputs)
    return Status("stale", f"{changed} missing or changed", inputs) if changed else Status("done", "", inputs)


def _changed_output(ctx: Context, outputs: dict[str, str]) -> str:
    """The first recorded output that is gone or differs from what the stage wrote ('' if none)."""
    for rel, digest in outputs.items():
        path = ctx.episode.build / rel
        if not path.is_file() or ctx.state.file_hash(path) != digest:
            return rel
    return ""


def run_episode(ctx: Context, stages: list[Stage], options: Options, *, skip_missing: bool) -> EpisodeReport:
    """Run each out-of-date stage in order; stop at the first failure (later stages need it)."""
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
            if not _plan_stage(stage, ctx, status, report):
                return report
        elif not _run_stage(stage, ctx, status, report):
            return report
    return report


def _plan_stage(stage: Stage, ctx: Context, status: Status, report: EpisodeReport) -> bool:
    """Say what `stage` would do; False when it could not say (recorded as the failure)."""
    try:
        plan = stage.plan(ctx)
    except PodcastError as exc:
        report.failed = (stage.name, str(exc))
        return False
    report.planned.append(f"{stage.name}: would run ({status.detail or status.state})")
    report.planned.extend(f"  {line}" for line in plan)
    return True


def _run_stage(stage: Stage, ctx: Context, status: Status, report: EpisodeReport) -> bool:
    """Run `stage` and record what it produced; False when it failed (recorded)."""
    try:
        if status.problem:  # the inputs could not be read: the stage cannot run
            raise PodcastError(status.problem)
        outcome = stage.run(ctx)
        outputs = {str(p.relative_to(ctx.episode.build)): ctx.state.file_hash(p) for p in outcome.outputs}
    except FatalError:
        raise
    except (PodcastError, OSError) as exc:
        message = _os_message(exc) if isinstance(exc, OSError) else str(exc)
        report.failed = (stage.name, message)
        with contextlib.suppress(OSError):  # the disk that failed the stage may refuse the record too
            ctx.state.record_failed(stage.name, message)
        return False
    try:
        ctx.state.record_done(stage.name, fingerprint(stage.name, stage.version, status.inputs), outputs, outcome.info)
    except OSError as exc:
        report.failed = (stage.name, _os_message(exc))
        return False
    report.ran.append((stage.name, outcome.message))
    return True


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
    """Run `stage_names` for `slugs` (None = every episode, skipping those without a recording),
    holding the project's lock (a dry run changes nothing and needs none)."""
    with contextlib.nullcontext() if options.dry_run else lock(config):
        return _run(config, slugs, stage_names, options, with_feed=with_feed)


def lock(config: Config) -> contextlib.AbstractContextManager[None]:
    """One run at a time on a project; the first clears what an interrupted run left behind."""
    clean = [config.build_dir, config.episodes_dir]
    if config.storage.kind == "local":
        clean.append(config.public_dir)
    return fsutil.project_lock(config.build_dir, tuple(clean))


def _run(
    config: Config, slugs: list[str] | None, stage_names: list[str], options: Options, *, with_feed: bool
) -> RunReport:
    report = RunReport()
    if slugs is None:
        targets, strays = episodes.scan(config)
        report.warnings += [f"{name}: not an episode folder, skipped ({why})" for name, why in strays]
    else:
        targets = slugs
    stages = [BY_NAME[name] for name in stage_names]
    shared: dict[str, Any] = {}
    for slug in targets:
        try:
            ctx = make_context(config, slug, options, shared)
        except FatalError:
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
        release_into(report, config, options)
    return report


def release_into(report: RunReport, config: Config, options: Options) -> None:
    """Run `release`, recording its outcome (or its error) in `report`."""
    try:
        report.release = release(config, dry_run=options.dry_run, force=options.force)
    except FatalError:
        raise
    except PodcastError as exc:
        report.release_error = str(exc)


def release(config: Config, *, dry_run: bool = False, force: bool = False) -> Release:
    """Publish the show as it now stands: the art and the pages first, then the search index,
    then `podcast check` on everything the new feed references, and the feed last, so
    listeners never get a feed that points at a missing file."""
    with contextlib.nullcontext() if dry_run else lock(config):
        return _release(config, dry_run=dry_run, force=force)


def _release(config: Config, *, dry_run: bool, force: bool) -> Release:
    shown = catalog.collect(config)
    store = storage.open_storage(config)
    art_key = catalog.artwork_key(config)
    xml = rss.build(config, shown, art_key)
    state = State(config.build_dir / "state.json")
    digest = fsutil.sha256_text(xml.decode("utf-8"))
    record = state.get("feed")
    current = store.head(FEED_NAME)
    unchanged = (
        record is not None
        and record.status == "done"
        and record.fingerprint == digest
        and current is not None
        and current.size == len(xml)
    )
    count = f"{len(shown.items)} episode{'s' if len(shown.items) != 1 else ''}"
    if unchanged and not force:
        return Release(False, shown, len(xml), f"feed up to date ({count})")
    if dry_run:
        return Release(True, shown, len(xml), f"would publish {FEED_NAME} ({count}, {len(xml):,} bytes)")
    art = config.artwork_path
    referenced = {obj.key: obj.size for it in shown.items for obj in it.publication.objects.values()}
    if art is not None and art_key is not None:
        if not store.same(art_key, art):
            store.put_file(art_key, art)
        referenced[art_key] = art.stat().st_size
    pages, page_keys = site.publish(config, shown, store)  # pages before the feed that links to them
    search.update_index(config)
    findings = check.run(config, shown, xml, store, art_key, previous=record.info if record else {})
    errors = [f for f in findings if f.level == Level.ERROR]
    if errors and not force:
        first = errors[0]
        raise FeedError(f"feed not published: `podcast check` found {len(errors)} error(s), first: {first.line()}")
    fsutil.write_bytes(config.build_dir / FEED_NAME, xml)
    store.put_bytes(FEED_NAME, xml, redirect=config.show.new_feed_url)  # the show is leaving: 301 there
    store.ledger.released({**referenced, **page_keys, FEED_NAME: len(xml)})
    state.record_done("feed", digest, {}, _identity(config, shown, record.info if record else {}))
    note = f" despite {len(errors)} error(s) (--force)" if errors else ""
    pages_note = f", {pages} page(s) updated" if pages else ""
    message = f"published {FEED_NAME} ({count}, {len(xml):,} bytes){pages_note}{note}"
    return Release(True, shown, len(xml), message, findings)


def _identity(config: Config, shown: Catalog, previous: dict[str, Any]) -> dict[str, Any]:
    """What the feed record keeps: the episodes in the feed and, for a public feed, the first
    GUID each one (and the show) was published with, never overwritten: a GUID that changes
    later keeps failing `podcast check`, even after a forced publication."""
    guids = {it.episode.slug: episode_guid(config, it.episode.slug, it.episode.meta.guid) for it in shown.items}
    info: dict[str, Any] = {"episodes": list(guids)}
    if is_public(config.show.base_url):
        info["public_guids"] = {**guids, **previous.get("public_guids", {})}
        info["public_show_guid"] = previous.get("public_show_guid") or show_guid(config)
    return info


def edit_plan(config: Config, slug: str) -> EditList:
    """The edit list `podcast process` would apply now (the recording analysed for silences)."""
    ctx = make_context(config, slug, Options(), {})
    return ProcessStage().edit_list(ctx)


def status(config: Config) -> tuple[list[list[str]], list[str]]:
    """`podcast status`: the table, and notes about the show (what superseded files take)."""
    notes = []
    entries = storage.open_storage(config).ledger.superseded()
    if entries:
        total = sum(e.size for e in entries.values())
        notes.append(
            f"superseded published files: {len(entries)}, {total / 1e6:.1f} MB "
            "(`podcast prune` lists those unused for 7 days)"
        )
    return status_table(config), notes


def status_table(config: Config) -> list[list[str]]:
    """One row per episode: slug, the status of each stage, and a note; then the folders of
    episodes/ that are not episodes, and why."""
    slugs, strays = episodes.scan(config)
    rows = [_status_row(config, slug) for slug in slugs]
    rows += [[name, *["-"] * len(STAGES), "-", f"not an episode: {why}"] for name, why in strays]
    return rows


def _status_row(config: Config, slug: str) -> list[str]:
    try:
        ctx = make_context(config, slug, Options(), {})
    except PodcastError as exc:
        return [slug, *["-"] * len(STAGES), "-", str(exc)]
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
    if ctx.episode.publication(ctx.state).audio and not note:
        note = "published"
    review = "-"
    if ctx.episode.has_transcript:
        review = "reviewed" if ctx.episode.transcript_reviewed else "not reviewed"
    if ctx.episode.meta.draft:
        note = f"draft; {note}" if note else "draft"
    return [slug, *cells, review, note]
