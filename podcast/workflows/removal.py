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
from podcast.core.report import Report
from podcast.core.text import url_join
from podcast.edges import storage
from podcast.project import episode as episodes
from podcast.project.config import FEED_NAME, Config


@dataclass(frozen=True)
class Unused:
    key: str
    size: int
    idle_since: dt.datetime  # since when nothing published has needed it

    def deletable_from(self, days: float) -> dt.datetime:
        return self.idle_since + dt.timedelta(days=days)


def unpublish(config: Config, slug: str, *, dry_run: bool = False) -> Report:
    """Take an episode out of the feed (a release without it, published first), then delete
    the objects it had published, as recorded in the ledger."""
    out = Report()
    episodes.load(config, slug)
    if dry_run:
        out.info(f"would remove {slug} from the feed, then delete:")
        for key, size in doomed(config, slug):
            out.info(f"  {key} ({size:,} bytes)")
        return out
    with pipeline.lock(config):
        ep = episodes.load(config, slug)
        prefix = f"episodes/{slug}/"
        ep.state().withdraw(len(doomed(config, slug)))
        result = pipeline.release(config)
        store = storage.open_storage(config)  # the release updated the ledger
        protected = _live_keys(config, store)
        out.info(f"{slug} removed from the feed; {result.message}")
        for key, entry in sorted(store.ledger.superseded().items()):
            if key.startswith(prefix) and key not in protected:
                store.delete(key)
                out.info(f"deleted {key} ({entry.size:,} bytes)")
    out.info(f"`podcast status` shows it withdrawn; `podcast publish {slug}` brings it back")
    return out


def doomed(config: Config, slug: str) -> list[tuple[str, int]]:
    """(key, size) of what unpublishing `slug` would delete: what the ledger says it published."""
    store = storage.open_storage(config)
    prefix = f"episodes/{slug}/"
    return sorted((key, e.size) for key, e in store.ledger.entries.items() if key.startswith(prefix))


def superseded(config: Config) -> list[Unused]:
    """Objects this tool published that nothing published references now (nor the live feed)."""
    store = storage.open_storage(config)
    protected = _live_keys(config, store)
    return [
        Unused(key, entry.size, entry.idle_since())
        for key, entry in sorted(store.ledger.superseded().items())
        if key not in protected
    ]


def prune(config: Config, days: float, *, delete: bool, now: dt.datetime | None = None) -> Report:
    """Every superseded object with the date it becomes deletable (unused for `days` days);
    with `delete`, delete those whose date has come."""
    if days < 0:
        raise PodcastError("--days must be 0 or more")
    now = now or dt.datetime.now(dt.UTC)
    out = Report()
    with pipeline.lock(config):
        found = superseded(config)
        if not found:
            out.info("nothing to prune: no published file is superseded")
            return out
        ready = [u for u in found if u.deletable_from(days) <= now]
        waiting = [u for u in found if u.deletable_from(days) > now]
        if delete and ready:
            store = storage.open_storage(config)
            for item in ready:
                store.delete(item.key)
            out.info(f"deleted {len(ready)} object(s), {sum(u.size for u in ready):,} bytes:")
            for item in ready:
                out.info(f"  {item.key} ({item.size:,} bytes)")
            found = waiting
        _listing(out, found, days, now)
        if ready and not delete:
            out.info(f"nothing deleted: `podcast prune --yes` deletes the {len(ready)} deletable now")
    return out


def _listing(out: Report, found: list[Unused], days: float, now: dt.datetime) -> None:
    if not found:
        return
    total = sum(u.size for u in found)
    out.info(f"{len(found)} superseded file(s), {total:,} bytes (nothing the feed or pages use now):")
    for item in found:
        when = item.deletable_from(days)
        state = "deletable now" if when <= now else f"deletable from {when:%Y-%m-%d %H:%M} UTC"
        out.info(f"  {item.key} ({item.size:,} bytes, unused since {item.idle_since:%Y-%m-%d}): {state}")
    if all(u.deletable_from(days) > now for u in found):
        first = min(u.deletable_from(days) for u in found)
        out.info(
            f"none deletable yet: files stay {days:g} days after their last use (a listener may still be "
            f"downloading one); the first on {first:%Y-%m-%d}"
        )


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
