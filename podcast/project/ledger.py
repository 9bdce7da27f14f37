"""The ledger: every object this tool put in storage, and when the published feed and pages last
referenced it (build/ledger.json).

It is what makes deleting safe: `podcast unpublish` and `podcast prune` delete only objects
the ledger lists, never whatever a folder or a bucket happens to hold. Objects a release
references are recorded too (so a show published before the ledger existed is known from its
next release). Losing the file loses nothing: unknown objects are simply never deleted.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from podcast.core import fsutil, safejson

NAME = "ledger.json"
VERSION = 1


@dataclass
class Entry:
    size: int
    put_at: str = ""  # when this tool last wrote it ("" for objects first seen in a release)
    referenced_at: str = ""  # when a release last referenced it
    referenced: bool = False  # referenced by the current feed or pages

    def idle_since(self) -> dt.datetime:
        """Since when nothing published has needed the object."""
        stamp = self.referenced_at or self.put_at or "1970-01-01T00:00:00+00:00"
        return dt.datetime.fromisoformat(stamp)


class Ledger:
    def __init__(self, build_dir: Path) -> None:
        self.path = build_dir / NAME
        self.entries: dict[str, Entry] = {}
        try:
            data = safejson.loads(self.path.read_text(encoding="utf-8"), limit=safejson.OURS)
        except (FileNotFoundError, ValueError):
            return  # no ledger yet, or a damaged one: nothing is known, so nothing is deleted
        if data.get("version") == VERSION:
            self.entries = {key: Entry(**value) for key, value in data.get("objects", {}).items()}

    def save(self) -> None:
        data = {"version": VERSION, "objects": {key: asdict(e) for key, e in sorted(self.entries.items())}}
        fsutil.write_text(self.path, json.dumps(data, indent=1) + "\n")

    def put(self, key: str, size: int) -> None:
        entry = self.entries.get(key)
        now = _now()
        if entry is None:
            self.entries[key] = Entry(size, put_at=now)
        else:
            entry.size, entry.put_at = size, now
        self.save()

    def released(self, referenced: dict[str, int]) -> None:
        """A release now references exactly `referenced` (key → size): mark them, and mark every
        other known object as no longer referenced (from now on)."""
        now = _now()
        for key, entry in self.entries.items():
            if key in referenced:
                entry.referenced, entry.referenced_at = True, now
            elif entry.referenced:
                entry.referenced, entry.referenced_at = False, now
        for key, size in referenced.items():
            if key not in self.entries:
                self.entries[key] = Entry(size, referenced_at=now, referenced=True)
        self.save()

    def forget(self, keys: Iterable[str]) -> None:
        for key in keys:
            self.entries.pop(key, None)
        self.save()

    def superseded(self) -> dict[str, Entry]:
        """Objects this tool published that nothing published references any more."""
        return {key: entry for key, entry in self.entries.items() if not entry.referenced}


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
