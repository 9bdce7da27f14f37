"""The RSS feed as bytes (pure: the catalog in, XML out). The only module that uses feedgen.

The XML is deterministic (lastBuildDate is the newest episode's date), so an unchanged show
regenerates byte-identical XML and nothing is published. feedgen lacks the podcast: namespace
and refuses Apple's true/false for itunes:explicit, so those elements come from our own
extension, declared below as two tables: one row per element, for the channel and for an item.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from email.utils import format_datetime
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem

from podcast.core import i18n
from podcast.core.errors import FeedError
from podcast.domain import apple, namespace, transcript
from podcast.project.config import Config, RemoteFeed, Social, Txt
from podcast.project.episode import PublishedObject
from podcast.project.ids import enclosure_url, episode_guid, episode_page_url, guid_from_feed_url, public_url, show_guid
from podcast.release import catalog, notes
from podcast.release.art import ShowImage
from podcast.release.catalog import Catalog, Item

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
ATOM_NS = "http://www.w3.org/2005/Atom"
NAMESPACES = {"podcast": PODCAST_NS, "itunes": ITUNES_NS, "atom": ATOM_NS}

# A child element: (name, text or None, attributes).
Child = tuple[str, str | None, dict[str, str]]
# An element's occurrences: (text or None, attributes) or (text, attributes, children); empty
# attributes are left out.
Occurrence = tuple[str | None, dict[str, str]] | tuple[str | None, dict[str, str], Sequence[Child]]
Occurrences = Iterable[Occurrence]


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


def _bitrate(obj: PublishedObject) -> str:
    return str(round(obj.size * 8 / obj.duration)) if obj.duration else ""


def _alternates(config: Config, item: Item) -> Occurrences:
    """The MP3 (the enclosure, default) and the lighter rendition, for apps that choose."""
    audio, light = item.publication.audio, item.publication.light
    if audio is None or light is None:
        return []
    words = i18n.strings(config.show.language)
    main = {
        "type": audio.type,
        "length": str(audio.size),
        "bitrate": _bitrate(audio),
        "default": "true",
        "title": "MP3" if audio.codecs == "mp3" else "AAC",
    }
    lighter = {
        "type": light.media_type,
        "length": str(light.size),
        "bitrate": _bitrate(light),
        "title": words["light_version"],
        "codecs": light.codecs,
    }
    integrity = [("podcast:integrity", None, {"type": "sri", "value": light.integrity})] if light.integrity else []
    return [
        (None, main, [("podcast:source", None, {"uri": enclosure_url(config, audio.key)})]),
        (None, lighter, [("podcast:source", None, {"uri": enclosure_url(config, light.key)}), *integrity]),
    ]


def _txt(entries: tuple[Txt, ...], ai_content: bool | None) -> Occurrences:
    yield from ((t.text, {"purpose": t.purpose}) for t in entries)
    if ai_content is not None:
        yield ("true" if ai_content else "false"), {"purpose": "ai-content"}


def remote_guid(feed: RemoteFeed) -> str:
    """The remote show's podcast:guid: given, or computed from its feed URL by the namespace's rule."""
    return feed.guid or guid_from_feed_url(feed.url)


def _remote_item(feed: RemoteFeed, **extra: str) -> Child:
    return (
        "podcast:remoteItem",
        None,
        {"feedGuid": remote_guid(feed), "feedUrl": feed.url, "title": feed.title, **extra},
    )


def _podroll(config: Config) -> Occurrences:
    podroll = config.show.podroll
    return [(None, {}, [_remote_item(feed) for feed in podroll])] if podroll else []


def _publisher(config: Config) -> Occurrences:
    feed = config.show.publisher
    return [(None, {}, [_remote_item(feed, medium="publisher")])] if feed else []


def _social(entries: tuple[Social, ...]) -> Occurrences:
    for social in entries:
        priority = "" if social.priority is None else str(social.priority)
        yield (
            None,
            {
                "protocol": social.protocol,
                "uri": social.uri,
                "accountId": social.account_id,
                "accountUrl": social.account_url,
                "priority": priority,
            },
        )


def _block(config: Config) -> Occurrences:
    for slug in config.show.block:
        yield ("yes", {}) if slug == namespace.BLOCK_ALL else ("yes", {"id": slug})


def frequency(config: Config, shown: Catalog) -> tuple[str, dict[str, str]] | None:
    """podcast:updateFrequency's text and attributes, or None: the rule configured, or with
    rrule = "auto" the rhythm of the publication history (None while it is too short)."""
    setting = config.show.update_frequency
    rule = setting.rrule
    if rule == "auto":
        found = namespace.infer_frequency([it.date for it in shown.items])
        rule = found.rrule if found else ""
    words = config.show.language
    text = setting.text
    if not text and rule:
        rhythm = namespace.Frequency.of(rule)
        text = i18n.frequency(words, rhythm.freq, rhythm.interval) or rule
    if setting.complete:
        text = text if setting.text else i18n.strings(words)["complete"]
        return text, {"complete": "true"}
    if not rule:
        return None
    start = setting.dtstart.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z") if setting.dtstart else ""
    return text, {"rrule": rule, "dtstart": start}


def _trailers(config: Config, shown: Catalog) -> Occurrences:
    for item in shown.items:
        audio, meta = item.publication.audio, item.episode.meta
        if meta.episode_type != "trailer" or audio is None:
            continue
        yield (
            meta.title,
            {
                "url": enclosure_url(config, audio.key),  # counted like the enclosure
                "pubdate": format_datetime(item.date),
                "length": str(audio.size),
                "type": audio.type,
                "season": "" if meta.season is None else str(meta.season),
            },
        )


def _images(config: Config, images: Sequence[ShowImage]) -> Occurrences:
    alt = config.show.artwork_alt or config.show.title
    for image in images:
        if image.purpose:
            size = {"width": str(image.width), "height": str(image.height)} if image.width else {}
            yield (
                None,
                {
                    "href": public_url(config, image.key),
                    "alt": alt,
                    "aspect-ratio": image.aspect_ratio if image.width else "",
                    **size,
                    "type": image.type,
                    "purpose": image.purpose,
                },
            )


CHANNEL: tuple[tuple[str, Callable[[Config, Catalog, Sequence[ShowImage]], Occurrences]], ...] = (
    ("atom:link", lambda c, s, i: _once(None, rel="hub", href=c.notify.websub_hub) if c.notify.websub_hub else []),
    ("itunes:explicit", lambda c, s, i: _explicit(c.show.explicit)),
    ("podcast:locked", lambda c, s, i: _once("yes", owner=c.show.owner.email) if c.show.locked else []),
    ("podcast:guid", lambda c, s, i: _once(show_guid(c))),
    ("podcast:medium", lambda c, s, i: _if(c.show.medium)),
    ("podcast:license", lambda c, s, i: _if(c.show.license)),
    ("podcast:location", lambda c, s, i: _if(c.show.location)),
    ("podcast:funding", lambda c, s, i: [(f.text or f.url, {"url": str(f.url)}) for f in c.show.funding]),
    (
        "podcast:person",
        lambda c, s, i: [(h.name, {"role": h.role, "href": h.href, "img": h.img}) for h in c.show.hosts],
    ),
    ("podcast:txt", lambda c, s, i: _txt(c.show.txt, c.show.ai_content)),
    ("podcast:image", lambda c, s, i: _images(c, i)),
    ("podcast:updateFrequency", lambda c, s, i: [found] if (found := frequency(c, s)) else []),
    ("podcast:trailer", lambda c, s, i: _trailers(c, s)),
    ("podcast:podroll", lambda c, s, i: _podroll(c)),
    ("podcast:publisher", lambda c, s, i: _publisher(c)),
    ("podcast:socialInteract", lambda c, s, i: _social(c.show.social)),
    ("podcast:block", lambda c, s, i: _block(c)),
    ("podcast:podping", lambda c, s, i: _once(None, usesPodping="true") if c.notify.podping else []),
)

ITEM: tuple[tuple[str, Callable[[Config, Item], Occurrences]], ...] = (
    (
        "itunes:explicit",
        lambda c, it: _explicit(c.show.explicit if it.episode.meta.explicit is None else it.episode.meta.explicit),
    ),
    ("podcast:season", lambda c, it: _if(it.episode.meta.season)),
    ("podcast:episode", lambda c, it: _if(it.episode.meta.number)),
    ("podcast:transcript", _transcripts),
    ("podcast:alternateEnclosure", _alternates),
    ("podcast:chapters", _chapters),
    (
        "podcast:person",
        lambda c, it: [(g.name, {"role": g.role, "href": g.url, "img": g.img}) for g in it.episode.meta.guests],
    ),
    ("podcast:location", lambda c, it: _if(it.episode.meta.location)),
    (
        "podcast:txt",
        lambda c, it: _txt(
            it.episode.meta.txt, c.show.ai_content if it.episode.meta.ai_content is None else it.episode.meta.ai_content
        ),
    ),
    ("podcast:socialInteract", lambda c, it: _social(it.episode.meta.social)),
    (
        "podcast:soundbite",
        lambda c, it: [
            (title, {"startTime": f"{start:g}", "duration": f"{length:g}"})
            for start, length, title in catalog.soundbites(it)
        ],
    ),
)


# An element to write: (name, text, attributes, children).
Element = tuple[str, str | None, dict[str, str], Sequence[Child]]


def _elements(name: str, rows: Occurrences) -> list[Element]:
    found: list[Element] = []
    for occurrence in rows:
        children: Sequence[Child] = occurrence[2] if len(occurrence) == 3 else ()
        found.append((name, occurrence[0], occurrence[1], children))
    return found


def _emit(parent: Any, elements: list[Element]) -> None:
    for name, text, attrs, children in elements:
        element = _element(parent, name, text, attrs)
        for child in children:
            _element(element, *child)


def _element(parent: Any, name: str, text: str | None, attrs: dict[str, str]) -> Any:
    prefix, local = name.split(":")
    element = xml_elem(f"{{{NAMESPACES[prefix]}}}{local}", parent)
    if text is not None:
        element.text = notes.clean_text(text)
    for key, value in attrs.items():
        if value:
            element.attrib[key] = notes.clean_text(value)
    return element


class _ChannelExtension(BaseExtension):  # type: ignore[misc]  # feedgen is untyped: its base class is Any
    def __init__(self) -> None:
        self.elements: list[Element] = []

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, rss_feed: Any) -> Any:
        _emit(rss_feed[0], self.elements)
        return rss_feed


class _ItemExtension(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped: its base class is Any
    def __init__(self) -> None:
        self.elements: list[Element] = []

    def extend_rss(self, item: Any) -> Any:
        _emit(item, self.elements)
        return item


def build(config: Config, shown: Catalog, artwork_key: str | None, images: Sequence[ShowImage] = ()) -> bytes:
    """The feed of `shown`'s items (newest first), with the show art at `artwork_key` and the
    sizes made from it (`podcast:image`)."""
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
    fg.podcastindex.elements = [el for name, rows in CHANNEL for el in _elements(name, rows(config, shown, images))]
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
    fe.podcastindex.elements = [el for name, rows in ITEM for el in _elements(name, rows(config, item))]
