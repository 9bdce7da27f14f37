"""The RSS feed as bytes (pure: the catalog in, XML out). The only module that uses feedgen.

The XML is deterministic (lastBuildDate is the newest episode's date), so an unchanged show
regenerates byte-identical XML and nothing is published. feedgen lacks the podcast: namespace
and refuses Apple's true/false for itunes:explicit, so those elements come from our own
extension, declared below as two tables: one row per element, for the channel and for an item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from podcast.core.errors import FeedError
from podcast.domain import apple, transcript
from podcast.project.config import Config
from podcast.project.ids import enclosure_url, episode_guid, episode_page_url, public_url, show_guid
from podcast.release import catalog, notes
from podcast.release.catalog import Catalog, Item

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
NAMESPACES = {"podcast": PODCAST_NS, "itunes": ITUNES_NS}

# An element's occurrences: (text or None, attributes); empty attributes are left out.
Occurrences = Iterable[tuple[str | None, dict[str, str]]]


def _once(text: str | None, **attrs: str) -> Occurrences:
    return [(text, attrs)]


def _if(value: object, text: str | None = None, **attrs: str) -> Occurrences:
    return _once(text if text is not None else str(value), **attrs) if value not in (None, "") else []


def _explicit(value: bool | None) -> Occurrences:
    return [] if value is None else _once("true" if value else "false")


def _transcripts(config: Config, item: Item) -> Occurrences:
    language = config.transcribe.language if config.transcribe.language != "auto" else config.show.language
    for fmt, spec in transcript.FORMATS.items():
        obj = item.publication.objects.get(f"transcript.{fmt}")
        if obj and spec.in_feed:
            mime = obj.type.split(";")[0].strip()
            yield None, {"url": public_url(config, obj.key), "type": mime, "language": language, "rel": spec.rel}


def _chapters(config: Config, item: Item) -> Occurrences:
    obj = item.publication.objects.get("chapters.json")
    return _once(None, url=public_url(config, obj.key), type="application/json+chapters") if obj else []


CHANNEL: tuple[tuple[str, Callable[[Config], Occurrences]], ...] = (
    ("itunes:explicit", lambda c: _explicit(c.show.explicit)),
    ("podcast:locked", lambda c: _once("yes", owner=c.show.owner.email) if c.show.locked else []),
    ("podcast:guid", lambda c: _once(show_guid(c))),
    ("podcast:medium", lambda c: _if(c.show.medium)),
    ("podcast:license", lambda c: _if(c.show.license)),
    ("podcast:location", lambda c: _if(c.show.location)),
    ("podcast:funding", lambda c: [(f.text or f.url, {"url": f.url}) for f in c.show.funding]),
    ("podcast:person", lambda c: [(h.name, {"role": h.role, "href": h.href, "img": h.img}) for h in c.show.hosts]),
)

ITEM: tuple[tuple[str, Callable[[Config, Item], Occurrences]], ...] = (
    (
        "itunes:explicit",
        lambda c, it: _explicit(c.show.explicit if it.episode.meta.explicit is None else it.episode.meta.explicit),
    ),
    ("podcast:season", lambda c, it: _if(it.episode.meta.season)),
    ("podcast:episode", lambda c, it: _if(it.episode.meta.number)),
    ("podcast:transcript", _transcripts),
    ("podcast:chapters", _chapters),
    (
        "podcast:person",
        lambda c, it: [(g.name, {"role": g.role, "href": g.url, "img": g.img}) for g in it.episode.meta.guests],
    ),
    ("podcast:location", lambda c, it: _if(it.episode.meta.location)),
    (
        "podcast:soundbite",
        lambda c, it: [
            (title, {"startTime": f"{start:g}", "duration": f"{length:g}"})
            for start, length, title in catalog.soundbites(it)
        ],
    ),
)


def _emit(parent: Any, elements: list[tuple[str, str | None, dict[str, str]]]) -> None:
    for name, text, attrs in elements:
        prefix, local = name.split(":")
        element = xml_elem(f"{{{NAMESPACES[prefix]}}}{local}", parent)
        if text is not None:
            element.text = notes.clean_text(text)
        for key, value in attrs.items():
            if value:
                element.attrib[key] = notes.clean_text(value)


class _ChannelExtension(BaseExtension):  # type: ignore[misc]  # feedgen is untyped: its base class is Any
    def __init__(self) -> None:
        self.elements: list[tuple[str, str | None, dict[str, str]]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        _emit(rss_feed[0], self.elements)
        return rss_feed


class _ItemExtension(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped: its base class is Any
    def __init__(self) -> None:
        self.elements: list[tuple[str, str | None, dict[str, str]]] = []

    def extend_rss(self, item: Any) -> Any:
        _emit(item, self.elements)
        return item


def build(config: Config, shown: Catalog, artwork_key: str | None) -> bytes:
    """The feed of `shown`'s items (newest first), with the show art at `artwork_key`."""
    show = config.show
    if not show.title.strip():
        raise FeedError("the show has no title: set show.title in config.toml")
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcastindex", _ChannelExtension, _ItemExtension)
    fg.title(notes.clean_text(show.title))
    home = show.link or public_url(config, "index.html")  # a bucket answers its bare URL with 403
    fg.link(href=config.feed_url, rel="self", type="application/rss+xml")
    fg.link(href=home, rel="alternate")  # the last link is RSS <link>
    fg.description(notes.description_html(notes.show_description(config)))
    fg.language(show.language)
    fg.generator("podcast (python-feedgen)")
    if show.copyright:
        fg.copyright(notes.clean_text(show.copyright))
    fg.podcast.itunes_author(notes.clean_text(show.author or show.title))
    if show.owner.email:
        owner = notes.clean_text(show.owner.name or show.author or show.title)
        fg.podcast.itunes_owner(name=owner, email=show.owner.email)
    fg.podcast.itunes_type(show.type)
    fg.podcast.itunes_category([_category(c) for c in show.categories])
    if show.new_feed_url:
        fg.podcast.itunes_new_feed_url(show.new_feed_url)
    if artwork_key:
        url = public_url(config, artwork_key)
        fg.image(url=url, title=notes.clean_text(show.title), link=home)
        fg.podcast.itunes_image(url)
    fg.podcastindex.elements = [(name, text, attrs) for name, rows in CHANNEL for text, attrs in rows(config)]
    newest = max((it.date for it in shown.items), default=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    fg.lastBuildDate(newest)
    for item in shown.items:  # already sorted newest first
        _add_item(config, fg, item, artwork_key)
    try:
        return bytes(fg.rss_str(pretty=True))
    except ValueError as exc:  # feedgen's "Required fields not set" and its value checks
        raise FeedError(f"the feed cannot be built: {exc}") from None


def _category(text: str) -> dict[str, str]:
    cat, sub = apple.split(text)
    return {"cat": cat, "sub": sub} if sub else {"cat": cat}


def _add_item(config: Config, fg: FeedGenerator, item: Item, artwork_key: str | None) -> None:
    ep, meta = item.episode, item.episode.meta
    fe = fg.add_entry(order="append")
    fe.title(notes.clean_text(meta.title))
    fe.guid(episode_guid(config, ep.slug, meta.guid), permalink=False)
    fe.link(href=episode_page_url(config, ep.slug))
    fe.pubDate(item.date)
    fe.description(notes.description_html(notes.item_summary(ep)))
    content = notes.feed_html(config, ep, item.chapters(), item.edit_list())
    if content:
        fe.content(content, type="CDATA")
    audio = item.publication.audio
    assert audio is not None  # the catalog lists only episodes whose audio is published
    fe.enclosure(enclosure_url(config, audio.key), str(audio.size), audio.type)
    if item.duration:
        fe.podcast.itunes_duration(round(item.duration))
    if meta.number is not None:
        fe.podcast.itunes_episode(meta.number)
    if meta.season is not None:
        fe.podcast.itunes_season(meta.season)
    fe.podcast.itunes_episode_type(meta.episode_type)
    image = item.publication.objects.get("image")
    image_key = image.key if image else artwork_key  # the episode's art, else the show's
    if image_key:
        fe.podcast.itunes_image(public_url(config, image_key))
    fe.podcastindex.elements = [(name, text, attrs) for name, rows in ITEM for text, attrs in rows(config, item)]
