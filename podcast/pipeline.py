"""The fixed stage order, incremental runs, --dry-run, the run report, and the release.

process → transcribe → tag → upload, per episode; then the release, once, last: art → pages →
`podcast check` → feed → records. Before any stage, the episode's own data (chapters against
the cuts, times, markers, soundbites) is checked, so a mistake is found in seconds, `-n`
included, not after the audio is processed. A stage runs only when the fingerprint of its job
differs from the one recorded after its last good run (or its outputs are gone); its typed
result is recorded and handed to the later stages. One bad episode does not stop the others; a
fatal error (a missing tool, a broken model) stops the run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from podcast.core import fsutil
from podcast.core.errors import FatalError, FeedError, MediaError, PodcastError, RecordingMissing
from podcast.core.progress import ProgressFactory, no_progress
from podcast.core.report import Level, Line, Report
from podcast.domain.edits import EditList
from podcast.edges import ffmpeg, storage
from podcast.project import episode as episodes
from podcast.project.config import FEED_NAME, Config
from podcast.project.ids import episode_guid, is_public, show_guid
from podcast.project.state import StageRecord, State, fingerprint
from podcast.release import art as show_art
from podcast.release import catalog, check, notify, rss, site
from podcast.release.catalog import Catalog, Released
from podcast.stages import Context, Models, Stage, Upstream, job_key
from podcast.stages.process import ProcessStage
from podcast.stages.tag import TagStage
from podcast.stages.transcribe import TranscribeStage
from podcast.stages.upload import UploadStage

log = logging.getLogger("podcast.pipeline")

STAGES: tuple[Stage[Any], ...] = (ProcessStage(), TranscribeStage(), TagStage(), UploadStage())
STAGE_NAMES: tuple[str, ...] = tuple(stage.name for stage in STAGES)
BY_NAME: dict[str, Stage[Any]] = {stage.name: stage for stage in STAGES}
CHECK = "check"  # the episode's own data, checked before its first stage runs


@dataclass(frozen=True)
class Options:
    dry_run: bool = False
    force: bool = False
    progress: ProgressFactory | None = None


@dataclass(frozen=True)
class Selection:
    """The episodes a command names: some by slug, or every one (`--all`: then an episode whose
    recording is not there yet is skipped with a message instead of failing)."""

    slugs: tuple[str, ...] = ()
    every: bool = False

    @classmethod
    def all(cls) -> Selection:
        return cls(every=True)

    @classmethod
    def of(cls, slugs: Sequence[str]) -> Selection:
        return cls(tuple(slugs))


@dataclass(frozen=True)
class Ran:
    stage: str
    message: str
    seconds: float  # how long the stage took


@dataclass
class EpisodeReport:
    slug: str
    ran: list[Ran] = field(default_factory=list)
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
    notes: list[Line] = field(default_factory=list)  # the notifications sent (or that would be)


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
            out.extend(self.release.notes)
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
    for ran in ep.ran:
        out.info(f"{ep.slug}: {ran.stage}: {ran.message} (took {_took(ran.seconds)})")
    for line in ep.planned:
        out.info(f"{ep.slug}: {line}")
    if ep.failed:
        out.error(f"{ep.slug}: {ep.failed[0]} FAILED: {ep.failed[1]}")
    elif not ep.ran and not ep.planned:
        out.info(f"{ep.slug}: up to date")


def _took(seconds: float) -> str:
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {seconds % 60:04.1f} s"


# -- Running stages ------------------------------------------------------------------------------


def make_context(config: Config, slug: str, options: Options, models: Models | None = None) -> Context:
    ep = episodes.load(config, slug)
    state = ep.state()
    return Context(config, ep, state, options.progress or no_progress, models or Models(), Upstream.read(state))


@dataclass(frozen=True)
class Status:
    state: str  # 'done' | 'stale' | 'missing' | 'failed' | 'off' | 'no recording'
    detail: str = ""
    job: Any = None  # what the stage would run, when its inputs could be read
    problem: str = ""  # why they could not


def stage_status(stage: Stage[Any], ctx: Context) -> Status:
    record = ctx.state.get(stage.name)
    try:
        job = stage.prepare(ctx)
    except FatalError:
        raise  # fatal for the whole run, never a per-episode state
    except RecordingMissing as exc:
        return Status("no recording", str(exc), problem=str(exc))
    except PodcastError as exc:
        return Status("missing" if record is None else "stale", str(exc), problem=str(exc))
    return _compare(stage, ctx, record, job)


def job_fingerprint(stage: Stage[Any], job: Any) -> str:
    return fingerprint(stage.name, stage.version, job_key(job))


def _compare(stage: Stage[Any], ctx: Context, record: StageRecord | None, job: Any) -> Status:
    """The stage's status from its record and the job it would run now."""
    if job is None:
        return Status("off", "disabled in config.toml")
    if record is None:
        return Status("missing", "never run", job)
    if record.status == "failed":
        return Status("failed", record.error, job)
    if record.fingerprint != job_fingerprint(stage, job):
        return Status("stale", "inputs changed", job)
    changed = _changed_output(ctx, record.outputs)
    return Status("stale", f"{changed} missing or changed", job) if changed else Status("done", "", job)


def _changed_output(ctx: Context, outputs: dict[str, str]) -> str:
    """The first recorded output that is gone or differs from what the stage wrote ('' if none)."""
    for rel, digest in outputs.items():
        path = ctx.episode.build / rel
        if not path.is_file() or ctx.state.file_hash(path) != digest:
            return rel
    return ""


def check_episode(ctx: Context) -> None:
    """The episode's own data, before any stage: its chapters against its declared cuts and the
    recording's length, its markers, its soundbites. Raises the EpisodeError a later stage would."""
    ep = ctx.episode
    if not ep.meta.source or ep.missing_sources():
        return  # said by the stages (no recording yet)
    try:
        probes = [ffmpeg.probe(path) for path in ep.require_sources()]
    except MediaError:
        return  # not audio ffmpeg can read: the process stage says so, and records it
    durations = [probe.duration for probe in probes]
    total = max(durations) if ep.meta.edit.mode == "multitrack" else sum(durations)
    ep.check_declared(total)


def run_episode(ctx: Context, stages: Sequence[Stage[Any]], options: Options, *, skip_missing: bool) -> EpisodeReport:
    """Run each out-of-date stage in order; stop at the first failure (later stages need it)."""
    report = EpisodeReport(ctx.episode.slug)
    _stages_in_order(ctx, stages, options, report, skip_missing)
    return report


def _stages_in_order(
    ctx: Context, stages: Sequence[Stage[Any]], options: Options, report: EpisodeReport, skip_missing: bool
) -> None:
    waiting_on, checked = "", False
    for stage in stages:
        if options.dry_run and waiting_on:
            report.planned.append(f"{stage.name}: would run after {waiting_on}")
            continue
        ctx = dataclasses.replace(ctx, upstream=Upstream.read(ctx.state))
        status = stage_status(stage, ctx)
        if status.state == "off" or (status.state == "done" and not options.force):
            if status.state == "done":
                report.current.append(stage.name)
            continue
        if status.state == "no recording":
            report.skipped, report.failed = (status.detail, None) if skip_missing else ("", (stage.name, status.detail))
            return
        if not checked and not _episode_checked(ctx, report):
            return
        checked = True
        waiting_on = stage.name if options.dry_run else ""
        act = _plan_stage if options.dry_run else _run_stage
        if not act(stage, ctx, status, report):
            return


def _episode_checked(ctx: Context, report: EpisodeReport) -> bool:
    """Before the first stage that runs: the episode's own data, in seconds, not after the audio."""
    try:
        check_episode(ctx)
    except PodcastError as exc:
        report.failed = (CHECK, str(exc))
        with contextlib.suppress(OSError):
            ctx.state.record_failed(CHECK, str(exc))  # `podcast status` says why, until it is fixed
        return False
    if ctx.state.get(CHECK) is not None:
        ctx.state.forget(CHECK)
    return True


def _plan_stage(stage: Stage[Any], ctx: Context, status: Status, report: EpisodeReport) -> bool:
    """Say what `stage` would do; False when it could not say (recorded as the failure)."""
    try:
        if status.problem:
            raise PodcastError(status.problem)
        plan = stage.describe(ctx, status.job)
    except PodcastError as exc:
        report.failed = (stage.name, str(exc))
        return False
    report.planned.append(f"{stage.name}: would run ({status.detail or status.state})")
    report.planned.extend(f"  {line}" for line in plan)
    return True


def _run_stage(stage: Stage[Any], ctx: Context, status: Status, report: EpisodeReport) -> bool:
    """Run `stage` and record what it produced; False when it failed (recorded)."""
    started = time.monotonic()
    try:
        if status.problem:  # the inputs could not be read: the stage cannot run
            raise PodcastError(status.problem)
        outcome = stage.run(ctx, status.job)
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
        ctx.state.record_done(stage.name, job_fingerprint(stage, status.job), outputs, outcome.result)
    except OSError as exc:
        report.failed = (stage.name, _os_message(exc))
        return False
    report.ran.append(Ran(stage.name, outcome.message, time.monotonic() - started))
    return True


def _os_message(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"


def lock(config: Config) -> contextlib.AbstractContextManager[None]:
    """One run at a time on a project; the first clears what an interrupted run left behind."""
    clean = [config.build_dir, config.episodes_dir]
    if config.storage.kind == "local":
        clean.append(config.public_dir)
    return fsutil.project_lock(config.build_dir, tuple(clean))


def _locked(config: Config, options: Options) -> contextlib.AbstractContextManager[None]:
    """The project's lock, except for a dry run (it changes nothing and needs none)."""
    return contextlib.nullcontext() if options.dry_run else lock(config)


def publish(config: Config, selection: Selection, options: Options) -> RunReport:
    """`podcast publish`: every out-of-date stage of the episodes, then the release."""
    with _locked(config, options):
        report = _run_stages(config, selection, STAGE_NAMES, options)
        release_into(report, config, options)
        return report


def run_stages(config: Config, selection: Selection, names: Sequence[str], options: Options) -> RunReport:
    """`podcast process|transcribe|tag|upload`: those stages only, no release."""
    with _locked(config, options):
        return _run_stages(config, selection, names, options)


def feed(config: Config, options: Options) -> RunReport:
    """`podcast feed`: the release alone (pages, check, feed), from what is already published."""
    with _locked(config, options):
        report = RunReport()
        release_into(report, config, options)
        return report


def _run_stages(config: Config, selection: Selection, names: Sequence[str], options: Options) -> RunReport:
    report = RunReport()
    if selection.every:
        targets, strays = episodes.scan(config)
        report.warnings += [f"{name}: not an episode folder, skipped ({why})" for name, why in strays]
    else:
        targets = list(selection.slugs)
    stages = [BY_NAME[name] for name in names]
    models = Models()  # loaded once, when the first episode needs them
    for slug in targets:
        try:
            ctx = make_context(config, slug, options, models)
        except FatalError:
            raise
        except PodcastError as exc:
            report.episodes.append(EpisodeReport(slug, failed=("load", str(exc))))
            continue
        if ctx.state.withdrawn and "upload" in names:
            if selection.every:
                why = f"withdrawn by `podcast unpublish` (`podcast publish {slug}` brings it back)"
                report.episodes.append(EpisodeReport(slug, skipped=why))
                continue
            if not options.dry_run:
                ctx.state.restore()
        report.episodes.append(run_episode(ctx, stages, options, skip_missing=selection.every))
    return report


# -- The release ---------------------------------------------------------------------------------


def release_into(report: RunReport, config: Config, options: Options) -> None:
    """Run `release`, recording its outcome (or its error) in `report`."""
    try:
        report.release = _release(config, dry_run=options.dry_run, force=options.force)
    except FatalError:
        raise
    except PodcastError as exc:
        report.release_error = str(exc)


def release(config: Config, *, dry_run: bool = False, force: bool = False) -> Release:
    """Publish the show as it now stands: the art and the pages first, then `podcast check` on
    everything the new feed references, and the feed last, so listeners never get a feed that
    points at a missing file."""
    with contextlib.nullcontext() if dry_run else lock(config):
        return _release(config, dry_run=dry_run, force=force)


@dataclass(frozen=True)
class Draft:
    """The feed as it would be published now, and what is known of the one before."""

    shown: Catalog
    xml: bytes
    art_key: str | None
    record: StageRecord | None
    previous: Released
    unchanged: bool

    @property
    def count(self) -> str:
        return f"{len(self.shown.items)} episode{'s' if len(self.shown.items) != 1 else ''}"

    @property
    def new_bytes(self) -> bool:
        """The feed differs from the last one published (not a forced re-publish of the same)."""
        return self.record is None or self.record.fingerprint != fsutil.sha256_text(self.xml.decode("utf-8"))


def _release(config: Config, *, dry_run: bool, force: bool) -> Release:
    store = storage.open_storage(config)
    draft = _draft(config, store)
    if draft.unchanged and not force:  # the pages may still have changed (subscribe links, templates)
        pages = 0 if dry_run else site.publish(config, draft.shown, store)[0]
        pages_note = f", {pages} page(s) updated" if pages else ""
        return Release(pages > 0, draft.shown, len(draft.xml), f"feed up to date ({draft.count}){pages_note}")
    if dry_run:
        message = f"would publish {FEED_NAME} ({draft.count}, {len(draft.xml):,} bytes)"
        return Release(True, draft.shown, len(draft.xml), message, notes=_notifications(config, draft, dry_run=True))
    referenced = {ref.key: ref.size for ref in catalog.referenced(config, draft.shown, draft.art_key)}
    _publish_artwork(config, store, draft.art_key)
    pages, page_keys = site.publish(config, draft.shown, store)  # pages before the feed that links to them
    findings = check.run(config, draft.shown, draft.xml, store, draft.art_key, draft.previous)
    errors = [f for f in findings if f.level == Level.ERROR]
    if errors and not force:
        raise FeedError(f"feed not published: `podcast check` found {len(errors)} error(s), first: {errors[0].line()}")
    _publish_feed(config, store, draft, {**referenced, **page_keys})
    note = f" despite {len(errors)} error(s) (--force)" if errors else ""
    pages_note = f", {pages} page(s) updated" if pages else ""
    message = f"published {FEED_NAME} ({draft.count}, {len(draft.xml):,} bytes){pages_note}{note}"
    sent = _notifications(config, draft, dry_run=False)  # apps hear of it now, not at their next poll
    return Release(True, draft.shown, len(draft.xml), message, findings, sent)


def _draft(config: Config, store: storage.Recorded) -> Draft:
    shown = catalog.collect(config)
    art_key = catalog.artwork_key(config)
    xml = rss.build(config, shown, art_key, show_art.show_images(config))
    state = _show_state(config)
    record = state.get("feed")
    current = store.head(FEED_NAME)
    unchanged = (
        record is not None
        and record.status == "done"
        and record.fingerprint == fsutil.sha256_text(xml.decode("utf-8"))
        and current is not None
        and current.size == len(xml)
    )
    previous = state.result("feed", Released) or Released()
    return Draft(shown, xml, art_key, record, previous, unchanged)


def _show_state(config: Config) -> State:
    return State(config.build_dir / "state.json")


def _publish_artwork(config: Config, store: storage.Recorded, art_key: str | None) -> None:
    art = config.artwork_path
    if art is not None and art_key is not None and not store.same(art_key, art):
        store.put_file(art_key, art)


def _notifications(config: Config, draft: Draft, *, dry_run: bool) -> list[Line]:
    """WebSub and Podping, only when the feed's bytes changed."""
    if not draft.new_bytes:
        return []
    return notify.plan_lines(config) if dry_run else notify.send_all(config)


def _publish_feed(config: Config, store: storage.Recorded, draft: Draft, used: dict[str, int]) -> None:
    """The feed last; then the ledger (what it uses now) and its record (the GUIDs it carried)."""
    fsutil.write_bytes(config.build_dir / FEED_NAME, draft.xml)
    store.put_bytes(FEED_NAME, draft.xml, redirect=config.show.new_feed_url)  # the show is leaving: 301 there
    store.ledger.released({**used, FEED_NAME: len(draft.xml)})
    digest = fsutil.sha256_text(draft.xml.decode("utf-8"))
    _show_state(config).record_done("feed", digest, {}, _identity(config, draft.shown, draft.previous))


def _identity(config: Config, shown: Catalog, previous: Released) -> Released:
    """The feed's record: the episodes in the feed and, for a public feed, the first GUID each
    one (and the show) was published with, never overwritten."""
    guids = {it.episode.slug: episode_guid(config, it.episode.slug, it.episode.meta.guid) for it in shown.items}
    if not is_public(config.show.base_url):
        return Released(tuple(guids))
    return Released(tuple(guids), {**guids, **previous.public_guids}, previous.public_show_guid or show_guid(config))


# -- Reading the project ---------------------------------------------------------------------------


def edit_plan(config: Config, slug: str) -> EditList:
    """The edit list `podcast process` would apply now (the recording analysed for silences)."""
    ctx = make_context(config, slug, Options())
    process = ProcessStage()
    return process.edit_list(ctx, process.prepare(ctx))


def status_report(config: Config, table: Callable[[list[str], list[list[str]]], str]) -> Report:
    """`podcast status`: the table (laid out by `table`), then notes about the show."""
    rows, notes = status(config)
    out = Report()
    header = ["EPISODE", *(s.name.upper() for s in STAGES), "TRANSCRIPT", "NOTE"]
    out.info(table(header, rows) if rows else "no episodes yet: `podcast new SLUG --title ...`")
    for note in notes:
        out.info(note)
    return out


def status(config: Config) -> tuple[list[list[str]], list[str]]:
    """`podcast status`: the table, and notes about the show (what superseded files take)."""
    notes = []
    entries = storage.open_storage(config).ledger.superseded()
    if entries:
        total = sum(e.size for e in entries.values())
        notes.append(
            f"superseded published files: {len(entries)}, {total / 1e6:.1f} MB "
            "(`podcast prune` lists them, with the date each becomes deletable)"
        )
    return status_table(config), notes


def status_table(config: Config) -> list[list[str]]:
    """One row per episode: slug, the status of each stage, and a note; then the folders of
    episodes/ that are not episodes, and why."""
    slugs, strays = episodes.scan(config)
    models = Models()
    rows = [_status_row(config, slug, models) for slug in slugs]
    rows += [[name, *["-"] * len(STAGES), "-", f"not an episode: {why}"] for name, why in strays]
    return rows


def _status_row(config: Config, slug: str, models: Models) -> list[str]:
    try:
        ctx = make_context(config, slug, Options(), models)
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
    note = _note(ctx, note)
    review = "-"
    if ctx.episode.has_transcript:
        review = "reviewed" if ctx.episode.transcript_reviewed else "not reviewed"
    return [slug, *cells, review, note]


def _note(ctx: Context, stages_note: str) -> str:
    """What the status table says of an episode beside its stages."""
    checked = ctx.state.get(CHECK)
    if checked is not None and checked.status == "failed":
        note = f"check FAILED: {checked.error}"
    elif stages_note:
        note = stages_note
    elif ctx.state.withdrawn:
        note = "withdrawn (podcast unpublish)"
    else:
        note = "published" if ctx.episode.publication(ctx.state).audio else ""
    if ctx.episode.meta.draft:
        note = f"draft; {note}" if note else "draft"
    return note
