"""The catalog: which episodes are live, and what each one published.

An episode is live when its media are confirmed present in storage (the upload stage's
record) and it is neither a draft, withdrawn, nor dated in the future. The feed, the pages,
the search index and `podcast check` all read the show through this one view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from podcast.core import fsutil
from podcast.core.errors import EpisodeError, PodcastError
from podcast.domain import soundbites as soundbites_rule
from podcast.domain.edits import EditList
from podcast.domain.transcript import Segment
from podcast.edges.storage import content_type
from podcast.project import episode as episodes
from podcast.project.config import Config
from podcast.project.episode import Episode, Publication
from podcast.project.ids import check_key, key_suffix


@dataclass
class Item:
    episode: Episode
    date: dt.datetime
    publication: Publication

    def edit_list(self) -> EditList | None:
        """The edit list of the published audio (what listeners hear)."""
        return self.publication.edit_list() or self.episode.edit_list()

    def segments(self) -> list[Segment]:
        """The published transcript's cues."""
        return self.episode.published_segments(self.publication)

    @property
    def duration(self) -> float | None:
        audio = self.publication.audio
        return audio.duration if audio else None

    def chapters(self) -> list[dict[str, Any]]:
        """The chapters of the published audio (published timeline)."""
        if "chapters.json" not in self.publication.objects:
            return []
        return self.publication.chapters


@dataclass
class Catalog:
    items: list[Item] = field(default_factory=list)  # newest first
    waiting: list[str] = field(default_factory=list)  # "slug: reason"


def collect(config: Config, now: dt.datetime | None = None) -> Catalog:
    now = now or dt.datetime.now(dt.UTC)
    catalog = Catalog()
    for slug in episodes.all_slugs(config):
        try:
            ep = episodes.load(config, slug)
        except PodcastError as exc:
            catalog.waiting.append(f"{slug}: {exc}")
            continue
        state = ep.state()
        publication = ep.publication(state)
        if state.withdrawn:
            catalog.waiting.append(f"{slug}: withdrawn (podcast unpublish)")
        elif ep.meta.draft:
            catalog.waiting.append(f"{slug}: draft")
        elif publication.audio is None:
            catalog.waiting.append(f"{slug}: not published yet")
        elif ep.meta.date and ep.meta.date > now:
            catalog.waiting.append(f"{slug}: dated {ep.meta.date:%Y-%m-%d %H:%M}, in the future")
        else:
            date = ep.meta.date or dt.datetime.fromisoformat(publication.at)
            catalog.items.append(Item(ep, date, publication))
    catalog.items.sort(key=lambda it: (it.date, it.episode.slug), reverse=True)
    return catalog


@dataclass(frozen=True)
class Referenced:
    """An object the feed (or its pages) points at: what `podcast check` confirms is there, and
    what the ledger records as used."""

    key: str
    size: int
    type: str
    episode: str = ""  # "" for the show's own (its art)


def referenced(config: Config, shown: Catalog, art_key: str | None) -> list[Referenced]:
    """Every object the feed built from `shown` references: each episode's published files, then
    the show's art."""
    found = [
        Referenced(obj.key, obj.size, obj.type, item.episode.slug)
        for item in shown.items
        for obj in item.publication.objects.values()
    ]
    art = config.artwork_path
    if art_key and art is not None:
        found.append(Referenced(art_key, art.stat().st_size, content_type(art_key)))
    return found


@dataclass(frozen=True)
class Released:
    """The feed's record (build/state.json): the episodes it carried and, for a public feed,
    the first GUID each one (and the show) was published with, never overwritten: a GUID that
    changes later keeps failing `podcast check`, even after a forced publication."""

    episodes: tuple[str, ...] = ()
    public_guids: dict[str, str] = field(default_factory=dict)
    public_show_guid: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "episodes": list(self.episodes),
            "public_guids": dict(self.public_guids),
            "public_show_guid": self.public_show_guid,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], at: str = "") -> Released:
        guids = data.get("public_guids") or {}
        return cls(
            tuple(str(slug) for slug in data.get("episodes") or ()),
            {str(k): str(v) for k, v in guids.items()} if isinstance(guids, dict) else {},
            str(data.get("public_show_guid") or ""),
        )


def artwork_key(config: Config) -> str | None:
    """The show art's content-addressed key."""
    art = config.artwork_path
    if art is None:
        return None
    return check_key(f"artwork-{fsutil.sha256_file(art)[:12]}{key_suffix(art.suffix)}")


def soundbites(item: Item) -> list[tuple[float, float, str]]:
    """(start in the published audio's timeline, duration, title) of each declared soundbite."""
    ep = item.episode
    if not ep.meta.soundbites:
        return []
    edl = item.edit_list()
    found = []
    for bite in ep.meta.soundbites:
        try:
            start = soundbites_rule.place(bite, edl)
        except ValueError as exc:
            raise EpisodeError(f"{ep.slug}: soundbite at {bite.start} {exc}") from None
        found.append((start, bite.duration, bite.title))
    return found
