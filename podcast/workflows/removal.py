"""Deleting published objects: `podcast unpublish` and `podcast prune`, the only code that
deletes from storage.

Both delete only objects the ledger says this tool published, never whatever a folder or a
bucket holds, and never an object the current feed or pages reference (the live feed in
storage is read too, in case another machine published it).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from podcast import pipeline
from podcast.core.errors import PodcastError
from podcast.core.text import url_join
from podcast.edges import storage
from podcast.project import episode as episodes
from podcast.project.config import FEED_NAME, Config
from podcast.project.ledger import Entry


@dataclass(frozen=True)
class Unused:
    key: str
    size: int
    idle_days: float


def unpublish(config: Config, slug: str, *, dry_run: bool = False) -> list[str]:
    """Take an episode out of the feed (a release without it, published first), then delete
    the objects it had published, as recorded in the ledger."""
    ep = episodes.load(config, slug)
    store = storage.open_storage(config)
    prefix = f"episodes/{slug}/"
    known = sorted((key, e.size) for key, e in store.ledger.entries.items() if key.startswith(prefix))
    if dry_run:
        return [f"would remove {slug} from the feed, then delete:"] + [f"  {k} ({size:,} bytes)" for k, size in known]
    with pipeline.lock(config):
        ep.state().withdraw(len(known))
        result = pipeline.release(config)
        store = storage.open_storage(config)  # the release updated the ledger
        protected = _live_keys(config, store)
        lines = [f"{slug} removed from the feed; {result.message}"]
        for key, entry in sorted(store.ledger.superseded().items()):
            if key.startswith(prefix) and key not in protected:
                store.delete(key)
                lines.append(f"deleted {key} ({entry.size:,} bytes)")
    return lines


def unused(config: Config, days: float, now: dt.datetime | None = None) -> list[Unused]:
    """Objects this tool published that nothing published has referenced for `days` days."""
    now = now or dt.datetime.now(dt.UTC)
    store = storage.open_storage(config)
    protected = _live_keys(config, store)
    found = []
    for key, entry in sorted(store.ledger.superseded().items()):
        idle = _idle_days(entry, now)
        if idle >= days and key not in protected:
            found.append(Unused(key, entry.size, idle))
    return found


def prune(config: Config, days: float, *, delete: bool) -> list[str]:
    """List (or, with `delete`, delete) what `unused` finds."""
    if days < 0:
        raise PodcastError("--days must be 0 or more")
    with pipeline.lock(config):
        found = unused(config, days)
        total = sum(u.size for u in found)
        if not found:
            return [f"nothing to prune: every object unused for {days:g} days or more is gone"]
        lines = [f"  {u.key} ({u.size:,} bytes, unused for {u.idle_days:.0f} days)" for u in found]
        if not delete:
            return [
                f"{len(found)} object(s), {total:,} bytes, unused for {days:g} days or more:",
                *lines,
                "nothing deleted: run `podcast prune --yes` to delete them",
            ]
        store = storage.open_storage(config)
        for item in found:
            store.delete(item.key)
        return [f"deleted {len(found)} object(s), {total:,} bytes:", *lines]


def _idle_days(entry: Entry, now: dt.datetime) -> float:
    return (now - entry.idle_since()).total_seconds() / 86400


_URL_ATTR = re.compile(rb'(?:url|href)="([^"]+)"')


def _live_keys(config: Config, store: storage.Recorded) -> set[str]:
    """Keys the feed listeners get now links to (whoever published it)."""
    data = store.get_bytes(FEED_NAME)
    if not data:
        return set()
    base = url_join(config.show.base_url, "")
    return {
        url.decode("utf-8", "replace")[len(base) :]
        for url in _URL_ATTR.findall(data)
        if url.decode("utf-8", "replace").startswith(base)
    } | {FEED_NAME}
