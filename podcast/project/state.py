"""What each stage last produced, from which inputs: the memory behind incremental runs.

One JSON file per episode (`build/SLUG/state.json`) and one for the show (`build/state.json`).
A stage record holds the fingerprint of its inputs, the hashes of its outputs and any
facts later stages need (duration, published keys). Records are written only after the
outputs are in place, so an interrupted run leaves the previous record describing files
that still exist.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podcast.core import fsutil

VERSION = 1


@dataclass
class StageRecord:
    status: str  # "done" | "failed"
    fingerprint: str = ""
    outputs: dict[str, str] = field(default_factory=dict)  # path (relative to build) → sha256
    info: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    at: str = ""


class State:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, StageRecord] = {}
        self._hashes: dict[str, list[Any]] = {}
        if path.is_file():
            self._read()

    def _read(self) -> None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return  # unreadable state = start afresh; outputs are rebuilt, nothing is lost
        if data.get("version") != VERSION:
            return
        for name, rec in data.get("stages", {}).items():
            self.records[name] = StageRecord(**rec)
        self._hashes = data.get("hashes", {})

    def save(self) -> None:
        data = {
            "version": VERSION,
            "stages": {name: vars(rec) for name, rec in self.records.items()},
            "hashes": self._hashes,
        }
        fsutil.write_text(self.path, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True))

    def get(self, stage: str) -> StageRecord | None:
        return self.records.get(stage)

    def record_done(self, stage: str, fingerprint: str, outputs: dict[str, str], info: dict[str, Any]) -> None:
        previous = self.records.get(stage)
        merged = {**(previous.info if previous else {}), **info}
        self.records[stage] = StageRecord("done", fingerprint, outputs, merged, "", _now())
        self.save()

    def record_failed(self, stage: str, error: str) -> None:
        previous = self.records.get(stage)
        # Keep what the last good run produced (e.g. what is published) beside the failure.
        info = previous.info if previous else {}
        outputs = previous.outputs if previous else {}
        self.records[stage] = StageRecord("failed", "", outputs, info, error, _now())
        self.save()

    def file_hash(self, path: Path) -> str:
        """sha256 of a file, cached by (size, mtime) so large recordings are read once."""
        stat = path.stat()
        key = str(path.resolve())
        cached = self._hashes.get(key)
        if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
            return str(cached[2])
        digest = fsutil.sha256_file(path)
        self._hashes[key] = [stat.st_size, stat.st_mtime_ns, digest]
        return digest


def fingerprint(*parts: Any) -> str:
    return fsutil.sha256_text(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
