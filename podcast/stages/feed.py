"""feed: the RSS feed (the only module that uses feedgen), published last.

Only episodes whose media are confirmed present in storage appear; episodes marked draft or
dated in the future wait. The XML is deterministic (lastBuildDate is the newest episode's
date), so an unchanged show regenerates byte-identical XML and nothing is published.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from .. import episode as episodes
from .. import fsutil, notes, storage
from ..config import Config
from ..episode import Episode
from ..errors import FeedError, PodcastError
from ..ids import episode_guid, show_guid
from ..state import State

log = logging.getLogger("podcast.feed")

FEED_KEY = "feed.xml"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
TRANSCRIPT_ROLES = {
    "transcript.vtt": "text/vtt",
    "transcript.srt": "application/x-subrip",
    "transcript.json": "application/json",
    "transcript.txt": "text/plain",
}


@dataclass
class Item:
    episode: Episode
    date: dt.datetime
    published: dict[str, dict[str, Any]]
    duration: float | None


@dataclass
class FeedPlan:
    items: list[Item] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # "slug: reason"


def collect(config: Config, now: dt.datetime | None = None) -> FeedPlan:
    now = now or dt.datetime.now(dt.UTC)
    plan = FeedPlan()
    for slug in episodes.all_slugs(config):
        try:
            ep = episodes.load(config, slug)
        except PodcastError as exc:
            plan.waiting.append(f"{slug}: {exc}")
            continue
        record = State(ep.state_path).get("upload")
        published = (record.info.get("published") if record else None) or {}
        if ep.meta.draft:
            plan.waiting.append(f"{slug}: draft")
        elif "audio" not in published:
            plan.waiting.append(f"{slug}: not published yet")
        elif ep.meta.date and ep.meta.date > now:
            plan.waiting.append(f"{slug}: dated {ep.meta.date:%Y-%m-%d %H:%M}, in the future")
        else:
            assert record is not None
            date = ep.meta.date or dt.datetime.fromisoformat(record.at)
            plan.items.append(Item(ep, date, published, record.info.get("duration")))
    plan.items.sort(key=lambda it: (it.date, it.episode.slug), reverse=True)
    return plan


class PodcastNamespace(BaseExtension):  # type: ignore[misc]
    """The few podcast: channel tags the foundation emits (the feed issue completes them)."""

    def __init__(self) -> None:
        self.guid: str | None = None
        self.locked_owner: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        if self.locked_owner is not None:
            locked = xml_elem(f"{{{PODCAST_NS}}}locked", channel)
            locked.text = "yes"
            if self.locked_owner:
                locked.attrib["owner"] = self.locked_owner
        if self.guid:
            xml_elem(f"{{{PODCAST_NS}}}guid", channel).text = self.guid
        return rss_feed


class PodcastNamespaceEntry(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.transcripts: list[tuple[str, str, str]] = []  # (url, type, language)
        self.chapters_url: str = ""

    def extend_rss(self, item: Any) -> Any:
        if self.chapters_url:
            el = xml_elem(f"{{{PODCAST_NS}}}chapters", item)
            el.attrib.update({"url": self.chapters_url, "type": "application/json+chapters"})
        for url, mime, language in self.transcripts:
            el = xml_elem(f"{{{PODCAST_NS}}}transcript", item)
            el.attrib.update({"url": url, "type": mime, "language": language})
            if mime == "text/vtt":
                el.attrib["rel"] = "captions"
        return item


def build_xml(config: Config, plan: FeedPlan, artwork_key: str | None) -> bytes:
    show = config.show
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", PodcastNamespace, PodcastNamespaceEntry)
    fg.title(show.title)
    fg.link(href=config.feed_url, rel="self")
    fg.link(href=show.link or config.show.base_url, rel="alternate")  # the last link is RSS <link>
    fg.description(show.description or show.title)
    fg.language(show.language)
    fg.generator("podcast (https://github.com/) via python-feedgen")
    if show.copyright:
        fg.copyright(show.copyright)
    fg.podcast.itunes_author(show.author or show.title)
    fg.podcast.itunes_summary(show.description or show.title)
    if show.owner.name or show.owner.email:
        fg.podcast.itunes_owner(name=show.owner.name or show.author, email=show.owner.email)
    fg.podcast.itunes_explicit("yes" if show.explicit else "no")
    fg.podcast.itunes_type(show.type)
    fg.podcast.itunes_category([_category(c) for c in show.categories])
    if artwork_key:
        url = storage.public_url(config, artwork_key)
        fg.image(url=url, title=show.title, link=show.link or config.show.base_url)
        fg.podcast.itunes_image(url)
    fg.podcastindex.guid = show_guid(config)
    fg.podcastindex.locked_owner = show.owner.email
    newest = max((it.date for it in plan.items), default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    fg.lastBuildDate(newest)
    for item in plan.items:  # already sorted newest first
        _add_item(config, fg, item)
    return bytes(fg.rss_str(pretty=True))


def _category(text: str) -> dict[str, str]:
    cat, _, sub = (part.strip() for part in text.partition(">"))
    return {"cat": cat, "sub": sub} if sub else {"cat": cat}


def _add_item(config: Config, fg: FeedGenerator, item: Item) -> None:
    ep, meta = item.episode, item.episode.meta
    fe = fg.add_entry(order="append")
    fe.title(meta.title)
    fe.guid(episode_guid(config, ep.slug, ep.meta.guid), permalink=False)
    fe.pubDate(item.date)
    summary = meta.summary or notes.to_text(ep.notes)[:600] or meta.title
    fe.description(summary)
    if ep.notes.strip():
        fe.content(notes.to_html(ep.notes), type="CDATA")
    audio = item.published["audio"]
    fe.enclosure(storage.public_url(config, audio["key"]), str(audio["size"]), audio["type"])
    if item.duration:
        fe.podcast.itunes_duration(round(item.duration))
    if meta.number is not None:
        fe.podcast.itunes_episode(meta.number)
    if meta.season is not None:
        fe.podcast.itunes_season(meta.season)
    fe.podcast.itunes_episode_type(meta.episode_type)
    if meta.explicit is not None:
        fe.podcast.itunes_explicit("yes" if meta.explicit else "no")
    if "chapters.json" in item.published:
        fe.podcastindex.chapters_url = storage.public_url(config, item.published["chapters.json"]["key"])
    for role, mime in TRANSCRIPT_ROLES.items():
        if role in item.published:
            url = storage.public_url(config, item.published[role]["key"])
            fe.podcastindex.transcripts.append(
                (
                    url,
                    mime,
                    config.transcribe.language if config.transcribe.language != "auto" else config.show.language,
                )
            )


def referenced_keys(plan: FeedPlan) -> dict[str, int]:
    return {obj["key"]: int(obj["size"]) for item in plan.items for obj in item.published.values()}


def verify_present(store: storage.Storage, keys: dict[str, int]) -> None:
    for key, size in sorted(keys.items()):
        info = store.head(key)
        if info is None:
            raise FeedError(f"feed not published: {key} is missing from storage (run `podcast publish`)")
        if info.size != size:
            raise FeedError(f"feed not published: {key} has {info.size} bytes in storage, expected {size}")


@dataclass
class FeedResult:
    changed: bool
    plan: FeedPlan
    size: int
    message: str


def publish_feed(config: Config, *, dry_run: bool = False, force: bool = False) -> FeedResult:
    plan = collect(config)
    store = storage.open_storage(config)
    artwork_key = None
    art = config.artwork_path
    if art is not None:
        artwork_key = storage.check_key(f"artwork-{fsutil.sha256_file(art)[:12]}{art.suffix.lower()}")
    xml = build_xml(config, plan, artwork_key)
    state = State(config.build_dir / "state.json")
    digest = fsutil.sha256_text(xml.decode("utf-8"))
    record = state.get("feed")
    current = store.head(FEED_KEY)
    unchanged = (
        record is not None
        and record.status == "done"
        and record.fingerprint == digest
        and current is not None
        and current.size == len(xml)
    )
    count = f"{len(plan.items)} episode{'s' if len(plan.items) != 1 else ''}"
    if unchanged and not force:
        return FeedResult(False, plan, len(xml), f"feed up to date ({count})")
    if dry_run:
        return FeedResult(True, plan, len(xml), f"would publish {FEED_KEY} ({count}, {len(xml):,} bytes)")
    if art is not None and artwork_key is not None and store.head(artwork_key) is None:
        store.put_file(artwork_key, art)
    keys = referenced_keys(plan)
    if artwork_key:
        keys[artwork_key] = art.stat().st_size if art else 0
    verify_present(store, keys)
    fsutil.write_bytes(config.build_dir / FEED_KEY, xml)
    store.put_bytes(FEED_KEY, xml)
    state.record_done("feed", digest, {}, {"episodes": [it.episode.slug for it in plan.items]})
    return FeedResult(True, plan, len(xml), f"published {FEED_KEY} ({count}, {len(xml):,} bytes)")
