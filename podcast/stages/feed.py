"""feed: the RSS feed (the only module that uses feedgen), checked, then published last.

Only episodes whose media are confirmed present in storage appear; episodes marked draft or
dated in the future wait. The XML is deterministic (lastBuildDate is the newest episode's
date), so an unchanged show regenerates byte-identical XML and nothing is published.
feedgen lacks the podcast: namespace and refuses Apple's true/false for itunes:explicit, so
both come from our own feedgen extension.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from .. import apple, chapters, edits, fsutil, i18n, notes, storage
from .. import episode as episodes
from ..config import Config
from ..episode import Episode
from ..errors import FeedError, PodcastError
from ..ids import episode_guid, episode_page_url, show_guid
from ..state import State

log = logging.getLogger("podcast.feed")

FEED_KEY = "feed.xml"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
MAX_DESCRIPTION_BYTES = 4000
TRANSCRIPT_TYPES = {
    "transcript.vtt": "text/vtt",
    "transcript.srt": "application/x-subrip",
    "transcript.json": "application/json",
    "transcript.html": "text/html",
    "transcript.txt": "text/plain",
}
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Remove characters XML 1.0 cannot carry (control characters)."""
    return _XML_INVALID.sub("", text)


def truncate_bytes(text: str, limit: int = MAX_DESCRIPTION_BYTES) -> str:
    """Cut `text` to at most `limit` UTF-8 bytes, at a word boundary, never mid-character."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len("…".encode())
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


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
        state = State(ep.state_path)
        record = state.get("upload")
        published = (record.info.get("published") if record else None) or {}
        if state.get("withdrawn"):
            plan.waiting.append(f"{slug}: withdrawn (podcast unpublish)")
        elif ep.meta.draft:
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


# ---------------------------------------------------------------------------------------
# Our feedgen extension: the podcast: namespace and Apple's itunes:explicit true/false


def _el(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = xml_elem(tag, parent)
    if text is not None:
        element.text = clean_text(text)
    for key, value in attrs.items():
        if value:
            element.attrib[key] = clean_text(value)
    return element


def _persons(parent: Any, persons: list[dict[str, str]]) -> None:
    for person in persons:
        _el(
            parent,
            f"{{{PODCAST_NS}}}person",
            person["name"],
            role=person["role"],
            href=person["href"],
            img=person["img"],
        )


class PodcastExtension(BaseExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.explicit: bool | None = None
        self.guid = ""
        self.locked_owner: str | None = None
        self.persons: list[dict[str, str]] = []
        self.funding: list[tuple[str, str]] = []
        self.location = ""
        self.license = ""
        self.medium = ""

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        channel = rss_feed[0]
        if self.explicit is not None:
            _el(channel, f"{{{ITUNES_NS}}}explicit", "true" if self.explicit else "false")
        if self.locked_owner is not None:
            _el(channel, f"{{{PODCAST_NS}}}locked", "yes", owner=self.locked_owner)
        if self.guid:
            _el(channel, f"{{{PODCAST_NS}}}guid", self.guid)
        if self.medium:
            _el(channel, f"{{{PODCAST_NS}}}medium", self.medium)
        if self.license:
            _el(channel, f"{{{PODCAST_NS}}}license", self.license)
        if self.location:
            _el(channel, f"{{{PODCAST_NS}}}location", self.location)
        for url, text in self.funding:
            _el(channel, f"{{{PODCAST_NS}}}funding", text or url, url=url)
        _persons(channel, self.persons)
        return rss_feed


class PodcastEntryExtension(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.explicit: bool | None = None
        self.season: int | None = None
        self.episode: int | None = None
        self.transcripts: list[dict[str, str]] = []
        self.chapters_url = ""
        self.persons: list[dict[str, str]] = []
        self.location = ""
        self.soundbites: list[tuple[float, float, str]] = []

    def extend_rss(self, item: Any) -> Any:
        if self.explicit is not None:
            _el(item, f"{{{ITUNES_NS}}}explicit", "true" if self.explicit else "false")
        if self.season is not None:
            _el(item, f"{{{PODCAST_NS}}}season", str(self.season))
        if self.episode is not None:
            _el(item, f"{{{PODCAST_NS}}}episode", str(self.episode))
        for transcript in self.transcripts:
            _el(item, f"{{{PODCAST_NS}}}transcript", None, **transcript)
        if self.chapters_url:
            _el(item, f"{{{PODCAST_NS}}}chapters", None, url=self.chapters_url, type="application/json+chapters")
        _persons(item, self.persons)
        if self.location:
            _el(item, f"{{{PODCAST_NS}}}location", self.location)
        for start, duration, title in self.soundbites:
            _el(item, f"{{{PODCAST_NS}}}soundbite", title, startTime=f"{start:g}", duration=f"{duration:g}")
        return item


# ---------------------------------------------------------------------------------------
# Building


def show_description(config: Config) -> str:
    return truncate_bytes(clean_text(config.show.description or config.show.title))


def item_summary(ep: Episode) -> str:
    text = ep.meta.summary or notes.to_text(ep.notes) or ep.meta.title
    return truncate_bytes(clean_text(text))


def show_notes_html(config: Config, ep: Episode, chapter_list: list[dict[str, Any]]) -> str:
    """The notes as sanitised HTML, then the chapters with timestamps and the guests' bios."""
    words = i18n.strings(config.show.language)
    parts = [cached_notes_html(config, ep.notes)] if ep.notes.strip() else []
    notes_have_chapters = bool(chapters.from_notes(ep.notes))
    if chapter_list and not notes_have_chapters:
        rows = "".join(
            f"<li>{edits.format_time(c['startTime'])[:8]} — {html.escape(c['title'])}</li>" for c in chapter_list
        )
        parts.append(f"<p><strong>{words['chapters']}</strong></p><ul>{rows}</ul>")
    guests = [g for g in ep.meta.guests if g.bio or g.org or g.url]
    for guest in guests:
        name = html.escape(guest.name)
        if guest.url:
            name = f'<a href="{html.escape(guest.url, quote=True)}">{name}</a>'
        about = " — ".join(html.escape(x) for x in (guest.org, guest.bio) if x)
        parts.append(f"<p><strong>{words['guest']}</strong> : {name}{', ' + about if about else ''}</p>")
    body = "\n".join(part for part in parts if part)
    return notes.sanitize(body).replace("]]>", "]]&gt;")


NOTES_CACHE_VERSION = "1"


def cached_notes_html(config: Config, markdown: str) -> str:
    """Rendered notes, cached by content: a 1,000-episode feed re-renders only what changed."""
    key = fsutil.sha256_text(NOTES_CACHE_VERSION + markdown)[:24]
    path = config.build_dir / "cache" / "notes" / f"{key}.html"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        rendered = notes.to_html(clean_text(markdown))
        fsutil.write_text(path, rendered)
        return rendered


def _published_chapters(ep: Episode, item: Item) -> list[dict[str, Any]]:
    if "chapters.json" not in item.published:
        return []
    path = ep.build / "chapters.json"
    if not path.is_file():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")).get("chapters", []))


def build_xml(config: Config, plan: FeedPlan, artwork_key: str | None) -> bytes:
    show = config.show
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", PodcastExtension, PodcastEntryExtension)
    fg.title(clean_text(show.title))
    fg.link(href=config.feed_url, rel="self")
    fg.link(href=show.link or show.base_url, rel="alternate")  # the last link is RSS <link>
    fg.description(show_description(config))
    fg.language(show.language)
    fg.generator("podcast (python-feedgen)")
    if show.copyright:
        fg.copyright(clean_text(show.copyright))
    fg.podcast.itunes_author(clean_text(show.author or show.title))
    if show.owner.email:
        owner = clean_text(show.owner.name or show.author or show.title)
        fg.podcast.itunes_owner(name=owner, email=show.owner.email)
    fg.podcast.itunes_type(show.type)
    fg.podcast.itunes_category([_category(c) for c in show.categories])
    if show.new_feed_url:
        fg.podcast.itunes_new_feed_url(show.new_feed_url)
    if artwork_key:
        url = storage.public_url(config, artwork_key)
        fg.image(url=url, title=clean_text(show.title), link=show.link or show.base_url)
        fg.podcast.itunes_image(url)
    ext = fg.podcastindex
    ext.explicit = show.explicit
    ext.guid = show_guid(config)
    ext.locked_owner = show.owner.email if show.locked else None
    ext.medium = show.medium
    ext.license = show.license
    ext.location = show.location
    ext.funding = [(f.url, f.text) for f in show.funding]
    ext.persons = [{"name": h.name, "role": h.role, "href": h.href, "img": h.img} for h in show.hosts]
    newest = max((it.date for it in plan.items), default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    fg.lastBuildDate(newest)
    for item in plan.items:  # already sorted newest first
        _add_item(config, fg, item)
    return bytes(fg.rss_str(pretty=True))


def _category(text: str) -> dict[str, str]:
    cat, sub = apple.split(text)
    return {"cat": cat, "sub": sub} if sub else {"cat": cat}


def _add_item(config: Config, fg: FeedGenerator, item: Item) -> None:
    ep, meta = item.episode, item.episode.meta
    language = config.transcribe.language if config.transcribe.language != "auto" else config.show.language
    fe = fg.add_entry(order="append")
    fe.title(clean_text(meta.title))
    fe.guid(episode_guid(config, ep.slug, meta.guid), permalink=False)
    fe.link(href=episode_page_url(config, ep.slug))
    fe.pubDate(item.date)
    fe.description(item_summary(ep))
    chapter_list = _published_chapters(ep, item)
    content = show_notes_html(config, ep, chapter_list)
    if content:
        fe.content(content, type="CDATA")
    audio = item.published["audio"]
    fe.enclosure(storage.public_url(config, audio["key"]), str(audio["size"]), audio["type"])
    if item.duration:
        fe.podcast.itunes_duration(round(item.duration))
    if meta.number is not None:
        fe.podcast.itunes_episode(meta.number)
    if meta.season is not None:
        fe.podcast.itunes_season(meta.season)
    fe.podcast.itunes_episode_type(meta.episode_type)
    if "image" in item.published:
        fe.podcast.itunes_image(storage.public_url(config, item.published["image"]["key"]))
    ext = fe.podcastindex
    ext.explicit = meta.explicit
    ext.season, ext.episode = meta.season, meta.number
    for role, mime in TRANSCRIPT_TYPES.items():
        if role in item.published:
            entry = {"url": storage.public_url(config, item.published[role]["key"]), "type": mime, "language": language}
            if mime == "text/vtt":
                entry["rel"] = "captions"
            ext.transcripts.append(entry)
    if "chapters.json" in item.published:
        ext.chapters_url = storage.public_url(config, item.published["chapters.json"]["key"])
    ext.persons = [{"name": g.name, "role": g.role, "href": g.url, "img": g.img} for g in meta.guests]
    ext.location = meta.location
    ext.soundbites = soundbites(ep)


def soundbites(ep: Episode) -> list[tuple[float, float, str]]:
    if not ep.meta.soundbites:
        return []
    edl = json.loads(ep.edit_list.read_text(encoding="utf-8")) if ep.edit_list.is_file() else None
    found = []
    for bite in ep.meta.soundbites:
        try:
            start = edits.map_saved(edl, edits.parse_time(bite.start))
        except ValueError as exc:
            raise FeedError(f"{ep.slug}: soundbite at {bite.start} {exc}") from None
        found.append((start, bite.duration, clean_text(bite.title)))
    return found


# ---------------------------------------------------------------------------------------
# Publishing


def artwork_key(config: Config) -> str | None:
    art = config.artwork_path
    if art is None:
        return None
    return storage.check_key(f"artwork-{fsutil.sha256_file(art)[:12]}{art.suffix.lower()}")


@dataclass
class FeedResult:
    changed: bool
    plan: FeedPlan
    size: int
    message: str
    findings: list[Any] = field(default_factory=list)


def publish_feed(config: Config, *, dry_run: bool = False, force: bool = False) -> FeedResult:
    from .. import check  # the checker reads the feed this module builds

    plan = collect(config)
    store = storage.open_storage(config)
    art_key = artwork_key(config)
    xml = build_xml(config, plan, art_key)
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
    art = config.artwork_path
    if art is not None and art_key is not None and not store.same(art_key, art):
        store.put_file(art_key, art)
    from .. import search, site

    pages = site.publish(config, plan, store)  # pages before the feed that links to them
    search.update_index(config)
    findings = check.run(config, plan, xml, store, art_key, previous=record.info if record else {})
    errors = [f for f in findings if f.level == "error"]
    if errors and not force:
        first = errors[0]
        raise FeedError(f"feed not published: `podcast check` found {len(errors)} error(s), first: {first.line()}")
    fsutil.write_bytes(config.build_dir / FEED_KEY, xml)
    store.put_bytes(FEED_KEY, xml)
    guids = {it.episode.slug: episode_guid(config, it.episode.slug, it.episode.meta.guid) for it in plan.items}
    published_guids = {**(record.info.get("guids", {}) if record else {}), **guids}
    state.record_done("feed", digest, {}, {"episodes": list(guids), "guids": published_guids})
    note = f" despite {len(errors)} error(s) (--force)" if errors else ""
    pages_note = f", {pages} page(s) updated" if pages else ""
    message = f"published {FEED_KEY} ({count}, {len(xml):,} bytes){pages_note}{note}"
    return FeedResult(True, plan, len(xml), message, findings)
