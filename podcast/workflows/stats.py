"""`podcast stats`, reading: the new part of every access log since the last run, counted into
the audience file (build/stats/audience.duckdb) by the IAB rules.

What was read is remembered, so re-reading the same logs never counts twice:
- a file by the hash of its first 4 KiB of text (decompressed), with the bytes and lines read:
  a log that grows is read from where the last run stopped, a rotated one (access.log →
  access.log.1 → access.log.2.gz) is recognised under its new name and not read again;
- an S3 object (server access logs, CloudFront logs in a bucket) by its key: each run lists only
  the keys after those read more than a day before.
Only whole lines are read: a line being written is left for the next run.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import glob
import gzip
import hashlib
import logging
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, cast

from podcast.core import fsutil
from podcast.core.errors import PodcastError, StorageError
from podcast.core.report import Level, Report
from podcast.domain import audience
from podcast.edges import analytics, storage
from podcast.edges.analytics import LogFile, LogRecord, MediaObject, Store
from podcast.project import episode as episodes
from podcast.project.config import Config, LogSource
from podcast.project.ledger import Ledger

log = logging.getLogger("podcast.stats")

DB_NAME = "audience.duckdb"
HEAD = 4096  # a log file is known by the hash of its first bytes (of text, after gzip)
# An episode's audio: its MP3 (or M4A) and its lighter rendition (SLUG-light-HASH.ogg): a download
# of either is a download of the episode.
AUDIO_KEY = re.compile(r"^episodes/([a-z0-9][a-z0-9-]*)/\1(-light)?-[0-9a-f]{12}\.(mp3|m4a|aac|ogg|oga|opus|wav|flac)$")
S3_WORKERS = 8
SHOWN_PROBLEMS = 5  # lines that do not parse: how many are named (all are counted)


def stats_dir(config: Config) -> Path:
    return config.build_dir / "stats"


def database(config: Config) -> Path:
    return stats_dir(config) / DB_NAME


@dataclass(frozen=True)
class Planned:
    """A piece of log a run reads: a file from an offset, or a bucket's object."""

    source: str
    name: str  # the file's path or the object's key
    size: int  # bytes on disk or in the bucket
    fmt: str
    ident: str = ""  # a file: the hash of its first bytes
    head: int = 0  # how many bytes that hash covers
    start: int = 0  # bytes of text already read (a grown or rotated log)
    lines: int = 0  # lines already read
    replaces: str = ""  # a record of the same file under a shorter head, replaced by this one
    gzipped: bool = False

    def describe(self) -> str:
        what = f"from byte {self.start:,}" if self.start else "new"
        return f"{self.source}: {self.name} ({self.size:,} bytes, {what})"


@dataclass
class ReadReport:
    planned: list[Planned] = field(default_factory=list)
    lines: int = 0
    audio_requests: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (level: "info" or "warning", text)
    closed: int = 0

    def report(self, dry_run: bool) -> Report:
        out = Report()
        if dry_run:
            for item in self.planned:
                out.info(f"would read {item.describe()}")
            out.info("dry run: nothing read, nothing written" if self.planned else "no new logs to read")
        elif not self.planned:
            out.info("no new log lines since the last run")
        else:
            out.info(
                f"read {self.lines:,} log lines from {len(self.planned)} new log part(s): "
                f"{self.audio_requests:,} requests for episode audio kept"
            )
            left = {k: v for k, v in self.reasons.items() if v and k not in ("other", "malformed")}
            if left:
                out.info("left out: " + ", ".join(f"{REASONS.get(k, k)} {v:,}" for k, v in sorted(left.items())))
        for level, text in self.problems:
            out.add(Level.WARNING if level == "warning" else Level.INFO, text)
        return out


# What each reason a request was left out means, as reports say it.
REASONS = {
    "head": "HEAD requests",
    "method": "other methods",
    "status": "errors and 304s",
    "probe": "2-byte probes",
    "late": "lines for days already closed",
    "partial": "listeners under one minute",
    "heavy": "downloads over the daily IP limit",
    "other": "requests for other files",
    "malformed": "lines that do not parse",
    **audience.EXCLUDED,
}


# ---------------------------------------------------------------------------------------
# The run


def update(
    config: Config, *, rebuild: bool = False, dry_run: bool = False, now: dt.datetime | None = None
) -> ReadReport:
    """Read what is new in every configured log into the audience file."""
    now = now or dt.datetime.now(dt.UTC)
    folder = stats_dir(config)
    if dry_run:
        return _dry_run(config, rebuild)
    with fsutil.project_lock(folder):
        for stale in folder.glob(".run-*"):
            shutil.rmtree(stale, ignore_errors=True)  # what an interrupted run left (only our names)
        try:
            with (
                tempfile.TemporaryDirectory(prefix=".run-", dir=folder) as scratch,
                _open(config, Path(scratch)) as store,
            ):
                return _update(config, store, Path(scratch), rebuild, now)
        except analytics.StatsError:
            broken = _broken_gzip(config)  # one damaged .gz fails the whole scan: find it, read the others
            if not broken:
                raise
        with tempfile.TemporaryDirectory(prefix=".run-", dir=folder) as scratch, _open(config, Path(scratch)) as store:
            report = _update(config, store, Path(scratch), rebuild, now, skip=broken)
        report.problems += [
            ("warning", f"{path}: a damaged gzip file (cut short?): skipped") for path in sorted(broken)
        ]
        return report


def _dry_run(config: Config, rebuild: bool) -> ReadReport:
    report = ReadReport()
    path = database(config)
    store = None
    if path.exists() and not rebuild:
        with contextlib.suppress(PodcastError):
            store = Store(path, stats_dir(config) / ".dry-run", read_only=True)
    try:
        for source in sources(config):
            known = store.read_logs(source.label) if store else {}
            report.planned += source.plan(known, report.problems)
    finally:
        if store:
            store.close()
        shutil.rmtree(stats_dir(config) / ".dry-run", ignore_errors=True)
    return report


@contextlib.contextmanager
def _open(config: Config, scratch: Path) -> Iterator[Store]:
    store = Store(database(config), scratch / "duckdb")
    try:
        yield store
    finally:
        store.close()


def _update(
    config: Config, store: Store, scratch: Path, rebuild: bool, now: dt.datetime, skip: frozenset[str] = frozenset()
) -> ReadReport:
    report = ReadReport()
    with store.transaction():
        if rebuild:
            store.reset()
        store.set_objects(media_objects(config, store))
        files: list[LogFile] = []
        origins: list[_Origin] = []
        fetched: dict[str, _Fetched] = {}
        for source in sources(config):
            planned = [p for p in source.plan(store.read_logs(source.label), report.problems) if p.name not in skip]
            report.planned += planned
            if planned:
                got = source.fetch(planned, scratch, report.problems)
                files += got.files
                origins += got.origins
                fetched[source.label] = got
        result = store.ingest(files, lambda agent: audience.agents().classify(agent), config.stats.ip_daily_limit)
        report.lines, report.audio_requests, report.reasons = result.lines, result.audio_requests, result.reasons
        report.problems += _malformed(store, files, origins, result)
        for label, got in fetched.items():
            store.remember(label, got.records, got.forget)
        report.closed = store.close_days((now - dt.timedelta(days=audience.GRACE_DAYS)).date())
        if report.closed and not store.open_days():
            store.new_secret()
    if result.reasons.get("late"):
        report.problems.append(
            (
                "warning",
                f"{result.reasons['late']:,} requests are for days already closed (logs delivered more than "
                f"{audience.GRACE_DAYS} days late, or older logs added since): not counted; "
                "`podcast stats --rebuild` reads every log again",
            )
        )
    return report


# ---------------------------------------------------------------------------------------
# What was published: every audio object, the episode it belongs to, the bytes of a download


def media_objects(config: Config, store: Store) -> list[MediaObject]:
    """Every audio object this tool published (the ledger keeps superseded ones; each episode's
    current publication adds its duration): its episode comes from its key."""
    sizes = {key: entry.size for key, entry in Ledger(config.build_dir).entries.items() if AUDIO_KEY.match(key)}
    durations: dict[str, float | None] = {}
    for slug in episodes.all_slugs(config):
        with contextlib.suppress(PodcastError, OSError, ValueError):
            publication = episodes.load(config, slug).publication()
            for audio in (publication.audio, publication.light):
                if audio is not None and AUDIO_KEY.match(audio.key):
                    sizes[audio.key] = audio.size
                    durations[audio.key] = audio.duration
    known = store.objects()
    found = []
    reader = None
    for key, size in sorted(sizes.items()):
        slug = key.split("/")[1]
        old = known.get(key)
        if old and old[1] == size and old[2] < size:
            found.append(MediaObject(key, slug, size, old[2]))  # its threshold is known already
            continue
        reader = reader or storage.open_storage(config)
        found.append(MediaObject(key, slug, size, _threshold(reader, key, size, durations.get(key))))
    return found


def _threshold(reader: storage.Storage, key: str, size: int, duration: float | None) -> int:
    """Step 2 of the guidelines for one file: its ID3 header (read from storage) plus one minute."""
    try:
        first = reader.read_range(key, 0, 10)
        header = audience.id3_size(first) if first else None
        frame = reader.read_range(key, header, 4) if header is not None else None
    except (StorageError, OSError) as exc:
        log.info("%s: cannot read its header (%s): a download is the whole file", key, exc)
        return size
    kbps = audience.mp3_kbps(frame) if frame else None
    return audience.threshold(size, header, duration, kbps)


# ---------------------------------------------------------------------------------------
# Log sources


@dataclass
class _Origin:
    """Where the lines of a file given to the engine came from (to name a bad line)."""

    parts: list[tuple[int, str, int]]  # (first line in the file, original name, its line number there)


@dataclass
class _Fetched:
    files: list[LogFile] = field(default_factory=list)
    origins: list[_Origin] = field(default_factory=list)
    records: list[LogRecord] = field(default_factory=list)
    forget: list[str] = field(default_factory=list)


class Source:
    label: str

    def plan(self, known: dict[str, LogRecord], problems: list[tuple[str, str]]) -> list[Planned]:
        raise NotImplementedError

    def fetch(self, planned: list[Planned], scratch: Path, problems: list[tuple[str, str]]) -> _Fetched:
        raise NotImplementedError


def sources(config: Config) -> list[Source]:
    logs = config.stats.logs or (LogSource("serve"),)
    found: list[Source] = []
    for spec in logs:
        if spec.format == "serve":
            serve_log = config.serve_log.relative_to(config.root).as_posix()
            found.append(FileSource("serve", "combined", [serve_log + "*"], config.root))
        elif spec.bucket:
            found.append(BucketSource(config, spec))
        else:
            found.append(FileSource(f"{spec.format} files", spec.format, list(spec.files), config.root))
    return found


class FileSource(Source):
    """Log files (globs; named explicitly, so they may be outside the project)."""

    def __init__(self, label: str, fmt: str, patterns: list[str], root: Path) -> None:
        self.label = f"{label} {' '.join(patterns)}"
        self.fmt = fmt
        self.patterns = patterns
        self.root = root

    def paths(self) -> list[Path]:
        found: dict[Path, None] = {}
        for pattern in self.patterns:
            full = pattern if Path(pattern).is_absolute() else str(self.root / pattern)
            for name in sorted(glob.glob(full)):
                path = Path(name)
                if path.is_file() and not path.name.startswith("."):
                    found[path] = None
        return list(found)

    def plan(self, known: dict[str, LogRecord], problems: list[tuple[str, str]]) -> list[Planned]:
        heads = sorted({record.head for record in known.values()} | {HEAD}, reverse=True)
        planned: dict[str, Planned] = {}
        paths = self.paths()
        if not paths:
            level = "info" if self.label.startswith("serve ") else "warning"
            problems.append((level, f"no log file matches {' '.join(self.patterns)} ({self.label.split()[0]})"))
        for path in paths:
            try:
                item = self._plan_file(path, known, heads)
            except (OSError, EOFError, zlib.error) as exc:
                problems.append(
                    ("warning", f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc}): skipped")
                )
                continue
            if item is None:
                continue
            other = planned.get(item.ident)
            if other is None or (other.gzipped and not item.gzipped):  # a log being compressed: read the plain one
                planned[item.ident] = item
        return list(planned.values())

    def _plan_file(self, path: Path, known: dict[str, LogRecord], heads: list[int]) -> Planned | None:
        gzipped = _is_gzip(path)
        with _text(path, gzipped) as handle:
            first = handle.read(HEAD)
        size = path.stat().st_size
        if not first:
            return None
        ident, head = _ident(first[: min(HEAD, len(first))]), min(HEAD, len(first))
        match = None
        for length in heads:  # a record made while the file was shorter than HEAD
            if length <= len(first):
                candidate = _ident(first[:length])
                if candidate in known:
                    match = candidate
                    break
        item = Planned(self.label, str(path), size, self.fmt, ident, head, gzipped=gzipped)
        if match is None:
            return item
        record = known[match]
        replaces = match if match != ident else ""
        if record.complete or (not gzipped and size == record.bytes and not replaces):
            return None
        if not gzipped and size < record.bytes:
            log.info("%s: shorter than what was read of it: skipped", path)
            return None
        return replace(item, start=record.bytes, lines=record.lines, replaces=replaces)

    def fetch(self, planned: list[Planned], scratch: Path, problems: list[tuple[str, str]]) -> _Fetched:
        got = _Fetched()
        for item in planned:
            path = Path(item.name)
            log.info("reading %s", item.describe())
            try:
                if item.gzipped and item.start == 0:
                    got.files.append(LogFile(path, item.fmt))  # read as it is (DuckDB decompresses)
                    got.origins.append(_Origin([(1, item.name, 1)]))
                    got.records.append(LogRecord(item.ident, item.name, 0, 0, item.head, True))
                else:
                    copy = scratch / f"part-{len(got.files)}.log"
                    lines, end = _copy_lines(path, item.gzipped, item.start, copy)
                    got.files.append(LogFile(copy, item.fmt))
                    got.origins.append(_Origin([(1, item.name, item.lines + 1)]))
                    got.records.append(
                        LogRecord(item.ident, item.name, item.lines + lines, end, item.head, item.gzipped)
                    )
            except (OSError, EOFError, zlib.error) as exc:
                problems.append(
                    ("warning", f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc}): skipped")
                )
                continue
            if item.replaces:
                got.forget.append(item.replaces)  # the record made when the file was shorter
        return got


class BucketSource(Source):
    """Log objects in a bucket (S3 server access logs; CloudFront logs), only new keys."""

    def __init__(self, config: Config, spec: LogSource) -> None:
        self.label = f"s3://{spec.bucket}/{spec.prefix}"
        self.fmt = "s3" if spec.format == "s3" else "cloudfront"
        settings = replace(
            config.storage,
            kind="s3",
            bucket=spec.bucket,
            prefix=spec.prefix.strip("/"),
            region=spec.region or config.storage.region,
            endpoint_url=spec.endpoint_url or config.storage.endpoint_url,
            profile=spec.profile or config.storage.profile,
        )
        self.settings = settings
        self.prefix = spec.prefix
        self._store: storage.S3Storage | None = None

    @property
    def store(self) -> storage.S3Storage:
        if self._store is None:
            self._store = storage.S3Storage(self.settings)
        return self._store

    def plan(self, known: dict[str, LogRecord], problems: list[tuple[str, str]]) -> list[Planned]:
        start = _start_after(known)
        return [
            Planned(self.label, key, size, self.fmt, ident=key)
            for key, size in self.store.list_after(start)
            if key not in known and not key.endswith("/")
        ]

    def fetch(self, planned: list[Planned], scratch: Path, problems: list[tuple[str, str]]) -> _Fetched:
        got = _Fetched()
        log.info(
            "%s: downloading %d new log object(s), %s bytes",
            self.label,
            len(planned),
            f"{sum(p.size for p in planned):,}",
        )
        batch = scratch / f"{self.fmt}-objects.log"
        origin = _Origin([])
        line = 1
        with concurrent.futures.ThreadPoolExecutor(S3_WORKERS) as pool, batch.open("wb") as out:
            for item, data in zip(planned, pool.map(lambda p: self.store.get_raw(p.name), planned), strict=True):
                if data is None:
                    continue  # deleted since it was listed
                try:
                    text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
                except (OSError, EOFError, zlib.error) as exc:
                    problems.append(("warning", f"{item.name}: not a readable log ({exc}): skipped"))
                    continue
                if text and not text.endswith(b"\n"):
                    text += b"\n"
                out.write(text)
                origin.parts.append((line, item.name, 1))
                count = text.count(b"\n")
                line += count
                got.records.append(LogRecord(item.name, item.name, count, len(data), 0, True))
        if origin.parts:
            got.files.append(LogFile(batch, self.fmt))
            got.origins.append(origin)
        return got


def _start_after(known: dict[str, LogRecord]) -> str:
    """List after the greatest key read a day or more before the last run: the keys of the last
    day are listed again, so an object delivered late under an earlier name is still found."""
    stamps = [r.read_at for r in known.values() if r.read_at is not None]
    if not stamps:
        return ""
    horizon = max(stamps) - dt.timedelta(days=1)
    return max((key for key, r in known.items() if r.read_at is not None and r.read_at <= horizon), default="")


# ---------------------------------------------------------------------------------------
# Files: identity, whole lines


def _broken_gzip(config: Config) -> frozenset[str]:
    """The configured .gz logs that do not decompress to their end."""
    broken = set()
    for source in sources(config):
        if isinstance(source, FileSource):
            for path in source.paths():
                if _is_gzip(path):
                    try:
                        with gzip.open(path, "rb") as handle:
                            while handle.read(1 << 20):
                                pass
                    except (OSError, EOFError, zlib.error):
                        broken.add(str(path))
    return frozenset(broken)


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(2) == b"\x1f\x8b"


def _text(path: Path, gzipped: bool) -> IO[bytes]:
    return cast(IO[bytes], gzip.open(path, "rb")) if gzipped else path.open("rb")


def _ident(first: bytes) -> str:
    return hashlib.sha256(first).hexdigest()[:32]


def _copy_lines(path: Path, gzipped: bool, start: int, target: Path) -> tuple[int, int]:
    """Copy the whole lines of `path`'s text from byte `start` to `target`: (lines, end byte)."""
    lines = 0
    position = start
    pending = b""
    with _text(path, gzipped) as source, target.open("wb") as out:
        _skip(source, start)
        while chunk := source.read(1 << 20):
            chunk = pending + chunk
            cut = chunk.rfind(b"\n") + 1
            out.write(chunk[:cut])
            lines += chunk.count(b"\n", 0, cut)
            position += cut
            pending = chunk[cut:]
    return lines, position


def _skip(handle: IO[bytes], count: int) -> None:
    if count:
        handle.seek(count)  # a gzip stream decompresses up to there


# ---------------------------------------------------------------------------------------
# Lines that do not parse: counted, and the first few named by file and line


def _malformed(
    store: Store, files: list[LogFile], origins: list[_Origin], result: analytics.Ingested
) -> list[tuple[str, str]]:
    total = sum(result.malformed.values()) + len(result.rejected)
    if not total:
        return []
    named: list[str] = []
    for index, count in sorted(result.malformed.items()):
        if len(named) >= SHOWN_PROBLEMS or not count:
            continue
        wanted = set(store.malformed_lines(files[index], SHOWN_PROBLEMS))
        for number in _line_numbers(files[index].path, wanted):
            named.append(_where(origins[index], number))
    for path, number, why in result.rejected[:SHOWN_PROBLEMS]:
        found = next((i for i, f in enumerate(files) if str(f.path) == path), None)
        named.append(f"{_where(origins[found], number) if found is not None else f'{path}:{number}'} ({why})")
    shown = ", ".join(named[:SHOWN_PROBLEMS])
    return [("warning", f"{total:,} log line(s) could not be read and were not counted: {shown}")]


def _line_numbers(path: Path, wanted: set[str]) -> Iterator[int]:
    """Line numbers of the lines of `path` (plain or gzip) whose text is in `wanted`."""
    if not wanted:
        return
    with _text(path, _is_gzip(path)) as handle:
        for number, raw in enumerate(handle, 1):
            if raw.rstrip(b"\r\n").decode("utf-8", "replace") in wanted:
                yield number
                wanted.discard(raw.rstrip(b"\r\n").decode("utf-8", "replace"))
                if not wanted:
                    return


def _where(origin: _Origin, number: int) -> str:
    first, name, base = max((p for p in origin.parts if p[0] <= number), default=(1, "?", 1))
    return f"{name}:{base + number - first}"
