"""What each stage last produced, from which inputs: the memory behind incremental runs.

One JSON file per episode (`build/SLUG/state.json`) and one for the show (`build/state.json`).
A stage record holds the fingerprint of the job it ran, the hashes of its outputs and its
result (a typed dataclass of the stage, stored as JSON: see `Result`). Records are written only
after the outputs are in place, so an interrupted run leaves the previous record describing
files that still exist.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar

from podcast.core import fsutil, safejson

VERSION = 2
READABLE = (1, 2)  # version 1 kept a stage's result under "info", in the same shape
WITHDRAWN = "withdrawn"  # the record `podcast unpublish` leaves in place of the upload's


class Result(Protocol):
    """A stage's result as it is stored: a frozen dataclass that writes and reads itself."""

    def to_json(self) -> dict[str, Any]: ...

    @classmethod
    def from_json(cls, data: dict[str, Any], at: str = "") -> Self: ...


@dataclass(frozen=True)
class StageRecord:
    status: str  # "done" | "failed"
    fingerprint: str = ""
    outputs: dict[str, str] = field(default_factory=dict)  # path (relative to build) → sha256
    result: dict[str, Any] = field(default_factory=dict)  # the stage's Result, as JSON
    error: str = ""
    at: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StageRecord:
        return cls(
            str(data.get("status", "")),
            str(data.get("fingerprint", "")),
            dict(data.get("outputs") or {}),
            dict(data.get("result", data.get("info")) or {}),
            str(data.get("error", "")),
            str(data.get("at", "")),
        )


@dataclass(frozen=True)
class FileHash:
    """A cached sha256, valid while the file keeps its size and modification time."""

    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True)
class Withdrawn:
    """What `podcast unpublish` left: how many objects it deleted."""

    objects: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], at: str = "") -> Withdrawn:
        return cls(int(data.get("objects", 0)))


R = TypeVar("R", bound=Result)


class State:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, StageRecord] = {}
        self._hashes: dict[str, FileHash] = {}
        if path.is_file():
            self._read()

    def _read(self) -> None:
        try:
            data = safejson.loads(self.path.read_text(encoding="utf-8"), limit=safejson.OURS)
        except (OSError, ValueError):
            return  # unreadable state = start afresh; outputs are rebuilt, nothing is lost
        if not isinstance(data, dict) or data.get("version") not in READABLE:
            return
        try:
            self.records = {name: StageRecord.from_json(rec) for name, rec in data.get("stages", {}).items()}
            self._hashes = {key: _file_hash(entry) for key, entry in data.get("hashes", {}).items()}
        except (TypeError, ValueError, AttributeError, IndexError, KeyError):
            self.records, self._hashes = {}, {}  # a damaged file: start afresh, as above

    def save(self) -> None:
        data = {
            "version": VERSION,
            "stages": {name: asdict(rec) for name, rec in self.records.items()},
            "hashes": {key: asdict(entry) for key, entry in self._hashes.items()},
        }
        fsutil.write_text(self.path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))

    def get(self, stage: str) -> StageRecord | None:
        return self.records.get(stage)

    def result(self, stage: str, kind: type[R]) -> R | None:
        """The stage's last good result (kept beside a later failure), or None."""
        record = self.records.get(stage)
        if record is None or not record.result:
            return None
        return kind.from_json(record.result, record.at)

    def record_done(self, stage: str, fingerprint: str, outputs: dict[str, str], result: Result | None) -> None:
        data = result.to_json() if result is not None else {}
        self.records[stage] = StageRecord("done", fingerprint, outputs, data, "", _now())
        self.save()

    def record_failed(self, stage: str, error: str) -> None:
        previous = self.records.get(stage)
        # Keep what the last good run produced (e.g. what is published) beside the failure.
        result = previous.result if previous else {}
        outputs = previous.outputs if previous else {}
        self.records[stage] = StageRecord("failed", "", outputs, result, error, _now())
        self.save()

    def forget(self, stage: str) -> None:
        if self.records.pop(stage, None) is not None:
            self.save()

    @property
    def withdrawn(self) -> bool:
        return WITHDRAWN in self.records

    def withdraw(self, objects: int) -> None:
        """`podcast unpublish`: the episode's publication is forgotten, its withdrawal recorded."""
        self.records.pop("upload", None)
        self.record_done(WITHDRAWN, "", {}, Withdrawn(objects))

    def restore(self) -> None:
        """`podcast publish SLUG` after an unpublish: the episode may be published again."""
        self.forget(WITHDRAWN)

    def file_hash(self, path: Path) -> str:
        """sha256 of a file, cached by (size, mtime) so large recordings are read once."""
        stat = path.stat()
        key = str(path.resolve())
        cached = self._hashes.get(key)
        if cached and cached.size == stat.st_size and cached.mtime_ns == stat.st_mtime_ns:
            return cached.sha256
        digest = fsutil.sha256_file(path)
        self._hashes[key] = FileHash(stat.st_size, stat.st_mtime_ns, digest)
        return digest


def _file_hash(entry: Any) -> FileHash:
    if isinstance(entry, list):  # version 1: [size, mtime_ns, sha256]
        return FileHash(int(entry[0]), int(entry[1]), str(entry[2]))
    return FileHash(int(entry["size"]), int(entry["mtime_ns"]), str(entry["sha256"]))


def fingerprint(*parts: Any) -> str:
    return fsutil.sha256_text(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
