"""`imported-feed.toml`: what `podcast import` recorded of the feed a show came from.

Its source URL, its podcast:guid, when it was first imported, and every item it had (GUID,
title, date, enclosure length). An entry, once written, never changes: `podcast check` fails
when one of these GUIDs is missing from our feed or its date changed, so an app subscribed to
the old feed sees the same episodes here, none twice, none lost. Read and written only here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit

from podcast.core import fsutil
from podcast.core.errors import ConfigError
from podcast.project import producer_files

NAME = "imported-feed.toml"

HEADER = (
    "Written by `podcast import`: the feed this show came from and every episode it had.\n"
    "`podcast check` fails when one of these GUIDs is missing from our feed or its date changed."
)


@dataclass(frozen=True)
class OldItem:
    guid: str
    title: str = ""
    date: str = ""  # ISO 8601 with its zone, as the old feed gave it ("" when it had none)
    length: int = 0

    @property
    def when(self) -> dt.datetime | None:
        try:
            return dt.datetime.fromisoformat(self.date) if self.date else None
        except ValueError:
            return None


@dataclass(frozen=True)
class ImportedFeed:
    source: str = ""
    guid: str = ""
    imported: str = ""
    items: tuple[OldItem, ...] = field(default_factory=tuple)

    def merged(self, source: str, guid: str, items: Iterable[OldItem]) -> ImportedFeed:
        """This record with the items it did not have yet (what it had is never changed)."""
        known = {item.guid for item in self.items}
        added = []
        for item in items:
            if item.guid not in known:
                added.append(item)
                known.add(item.guid)
        return ImportedFeed(
            self.source or source,
            self.guid or guid,
            self.imported or dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            (*self.items, *added),
        )


def path(root: Path) -> Path:
    return root / NAME


def load(root: Path) -> ImportedFeed | None:
    """The record, or None for a show that was not imported."""
    if not path(root).exists():
        return None
    raw = producer_files.read(path(root), root)
    try:
        items = tuple(_item(entry) for entry in raw.get("items", []))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path(root)}: an [[items]] entry is malformed ({exc})") from None
    return ImportedFeed(str(raw.get("source", "")), str(raw.get("guid", "")), str(raw.get("imported", "")), items)


def _item(entry: Any) -> OldItem:
    if not isinstance(entry, dict) or not isinstance(entry.get("guid"), str):
        raise ValueError("each needs a guid")
    length = entry.get("length", 0)
    return OldItem(
        entry["guid"], str(entry.get("title", "")), str(entry.get("date", "")), length if isinstance(length, int) else 0
    )


def save(root: Path, record: ImportedFeed) -> None:
    document = tomlkit.document()
    for line in HEADER.splitlines():
        document.add(tomlkit.comment(line))
    document["source"] = record.source
    document["guid"] = record.guid
    document["imported"] = record.imported
    rows = tomlkit.aot()
    for item in record.items:
        row = tomlkit.table()
        row.update({"guid": item.guid, "title": item.title, "date": item.date, "length": item.length})
        rows.append(row)
    document["items"] = rows
    fsutil.write_text(path(root), tomlkit.dumps(document))
