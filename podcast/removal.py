"""`podcast unpublish`: take an episode out of the feed first (a release without it), then
delete its published objects."""

from __future__ import annotations

from . import episode as episodes
from . import pipeline, storage
from .catalog import WITHDRAWN
from .config import Config


def unpublish(config: Config, slug: str, *, dry_run: bool = False) -> list[str]:
    """Take an episode out of the feed (published first), then delete its objects."""
    ep = episodes.load(config, slug)
    store = storage.open_storage(config)
    keys = list(store.list(f"episodes/{slug}"))
    if dry_run:
        return [f"would remove {slug} from the feed, then delete:"] + [
            f"  {key} ({size:,} bytes)" for key, size in keys
        ]
    state = ep.state()
    state.records.pop("upload", None)
    state.record_done(WITHDRAWN, "", {}, {"objects": len(keys)})
    result = pipeline.release(config)
    lines = [f"{slug} removed from the feed; {result.message}"]
    for key, size in keys:
        store.delete(key)
        lines.append(f"deleted {key} ({size:,} bytes)")
    return lines
