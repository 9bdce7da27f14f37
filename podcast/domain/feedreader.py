"""Reading another host's podcast feed (RSS 2.0 with the iTunes, Podcasting 2.0, Podlove and
content namespaces), for `podcast import`. Pure: a file in, plain data out.

The parser resolves no entities and fetches nothing (no XXE, no billion laughs), and reads the
items one at a time (a 5,000-item feed stays in bounded memory). It is tolerant of what the big
hosts really publish: notes in CDATA or only in itunes:summary, HTML entities, relative URLs,
items without a guid (apps then key them by the enclosure URL, and so do we), several
enclosures, query strings in media URLs. Text comes out as text (tags dropped, control
characters removed); URLs only when they are http(s).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nh3
from lxml import etree

from podcast.core import timecode
from podcast.core.errors import ImportProblem
from podcast.core.text import url_problem
from podcast.domain import apple

ITUNES = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST = "https://podcastindex.org/namespace/1.0"
PODCAST_OLD = "https://github.com/Podcastindex-org/podcast-namespace/blob/main/docs/1.0.md"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
ATOM = "http://www.w3.org/2005/Atom"
PSC = "http://podlove.org/simple-chapters"
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Person:
    name: str
    role: str = ""
    href: str = ""
    img: str = ""


@dataclass
class Show:
    title: str = ""
    description: str = ""
    author: str = ""
    owner_name: str = ""
    owner_email: str = ""
    language: str = ""
    categories: list[str] = field(default_factory=list)
    explicit: bool = False
    type: str = "episodic"
    link: str = ""
    copyright: str = ""
    image: str = ""
    funding: list[tuple[str, str]] = field(default_factory=list)
    persons: list[Person] = field(default_factory=list)
    location: str = ""
    license: str = ""
    guid: str = ""
    locked: bool = False
    locked_owner: str = ""
    new_feed_url: str = ""
    self_url: str = ""
    problems: list[str] = field(default_factory=list)  # what was left out, and why


@dataclass(frozen=True)
class Enclosure:
    url: str
    length: int
    type: str


@dataclass(frozen=True)
class Chapter:
    start: float
    title: str
    url: str = ""
    img: str = ""


@dataclass(frozen=True)
class Transcript:
    url: str
    type: str
    language: str = ""
    rel: str = ""


@dataclass
class Item:
    guid: str
    title: str
    date: dt.datetime | None
    enclosure: Enclosure
    season: int | None = None
    number: int | None = None
    episode_type: str = "full"
    explicit: bool | None = None
    duration: float | None = None
    summary: str = ""
    notes_html: str = ""
    link: str = ""
    image: str = ""
    persons: list[Person] = field(default_factory=list)
    chapters: list[Chapter] = field(default_factory=list)
    chapters_url: str = ""
    soundbites: list[tuple[float, float, str]] = field(default_factory=list)
    transcripts: list[Transcript] = field(default_factory=list)
    location: str = ""


@dataclass(frozen=True)
class Skipped:
    """An item that cannot be an episode (no audio), and why."""

    title: str
    why: str


def _parser_options() -> dict[str, object]:
    return {"resolve_entities": False, "no_network": True, "huge_tree": False, "load_dtd": False}


def read_show(path: Path, source_url: str) -> Show:
    """The channel's metadata (items are skipped as they stream past)."""
    _sniff(path)
    show = Show()
    try:
        for _, element in etree.iterparse(str(path), events=("end",), **_parser_options()):
            if element.tag == "item":
                element.clear(keep_tail=False)
            elif element.tag == "channel":
                _fill_show(show, element, source_url)
                break
    except etree.XMLSyntaxError as exc:
        raise ImportProblem(f"{source_url}: not well-formed XML ({exc}): not a feed this tool can read") from None
    if not show.title:
        raise ImportProblem(f"{source_url}: no channel title: is it a podcast feed (RSS 2.0)?")
    return show


def read_items(path: Path, base_url: str) -> Iterator[Item | Skipped]:
    """Every item, in the feed's order, as an Item, or Skipped when it has no audio."""
    try:
        for _, element in etree.iterparse(str(path), events=("end",), tag="item", **_parser_options()):
            yield _item(element, base_url)
            element.clear(keep_tail=False)
            while element.getprevious() is not None:  # free what came before, too
                del element.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise ImportProblem(f"not well-formed XML ({exc})") from None


def _sniff(path: Path) -> None:
    head = path.open("rb").read(2048).lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512]:
        raise ImportProblem("this is a web page, not a feed: open it in a browser and copy the address of its RSS link")
    if not head.startswith(b"<"):
        raise ImportProblem("this is not XML, so not a podcast feed")
    if b"<feed" in head and b"<rss" not in head:
        raise ImportProblem("this is an Atom feed: podcast apps and this tool read RSS 2.0 feeds")


def text(value: str | None) -> str:
    """A plain-text field (a title, a name) as a listener reads it: entities decoded (hosts
    often escape twice), control characters gone, whitespace folded. "<" stays a character:
    whatever writes it into HTML or XML escapes it."""
    if not value:
        return ""
    return " ".join(_CONTROL.sub("", html.unescape(value)).split())


def html_text(value: str | None) -> str:
    """An HTML field (a description, a summary) as plain text: tags dropped, then as `text`."""
    if not value:
        return ""
    return text(nh3.clean(value, tags=set()) if "<" in value or "&" in value else value)


def _first(element: etree._Element, path: str) -> etree._Element | None:
    """The first match of `path`; podcast: also in the namespace's first URI, which older feeds use."""
    for podcast in (PODCAST, PODCAST_OLD):
        names = {"itunes": ITUNES, "podcast": podcast, "content": CONTENT, "atom": ATOM}
        found = element.find(path, namespaces=names)
        if found is not None or "podcast:" not in path:
            return found
    return None


def _each(element: etree._Element, local: str) -> Iterator[etree._Element]:
    """Children podcast:LOCAL, in either of the namespace's URIs."""
    for podcast in (PODCAST, PODCAST_OLD):
        yield from element.iterfind(f"{{{podcast}}}{local}")


def _find(element: etree._Element, path: str) -> str:
    found = _first(element, path)
    return (found.text or "") if found is not None else ""


def _attr(element: etree._Element, path: str, name: str) -> str:
    found = _first(element, path)
    return (found.get(name) or "").strip() if found is not None else ""


def _url(value: str, base: str, problems: list[str] | None = None, what: str = "") -> str:
    """`value` as an absolute http(s) URL, or '' (with the reason in `problems`)."""
    value = value.strip()
    if not value:
        return ""
    absolute = urljoin(base, value) if base else value
    if url_problem(absolute):
        if problems is not None:
            problems.append(f"{what}: {value!r} is not an http(s) address: left out")
        return ""
    return absolute


def _bool(value: str) -> bool | None:
    value = value.strip().lower()
    if value in ("yes", "true", "explicit"):
        return True
    if value in ("no", "false", "clean"):
        return False
    return None


def _int(value: str) -> int | None:
    value = value.strip()  # ASCII digits only: str.isdigit() also takes "³", which int() refuses
    return int(value) if value.isascii() and value.isdigit() and len(value) < 7 else None


MAX_LENGTH_DIGITS = 13  # an enclosure's length in bytes: up to 10 TB, more than any episode


def _length(value: str) -> int:
    """An enclosure's length attribute in bytes (0 when absent or not a number): real episodes
    are tens of megabytes, so any count of ASCII digits up to MAX_LENGTH_DIGITS."""
    value = value.strip()
    if not value or len(value) > MAX_LENGTH_DIGITS or not all("0" <= c <= "9" for c in value):
        return 0
    return int(value)


def _fill_show(show: Show, channel: etree._Element, source_url: str) -> None:
    self_url = _attr(channel, "atom:link[@rel='self']", "href")
    base = _url(self_url, source_url) or source_url
    show.self_url = base
    show.title = text(_find(channel, "title"))
    show.description = html_text(_find(channel, "description") or _find(channel, "itunes:summary"))
    show.author = text(_find(channel, "itunes:author"))
    show.owner_name = text(_find(channel, "itunes:owner/itunes:name"))
    show.owner_email = text(_find(channel, "itunes:owner/itunes:email"))
    show.language = _language(_find(channel, "language"))
    show.categories = _categories(channel, show.problems)
    show.explicit = bool(_bool(_find(channel, "itunes:explicit")))
    show.type = "serial" if _find(channel, "itunes:type").strip().lower() == "serial" else "episodic"
    show.link = _url(_find(channel, "link"), base, show.problems, "channel link")
    show.copyright = text(_find(channel, "copyright"))
    image = _attr(channel, "itunes:image", "href") or _find(channel, "image/url")
    show.image = _url(image, base, show.problems, "image")
    for funding in _each(channel, "funding"):
        if url := _url(funding.get("url") or "", base, show.problems, "podcast:funding"):
            show.funding.append((url, text(funding.text)))
    show.persons = _persons(channel, base, show.problems)
    show.location = text(_find(channel, "podcast:location"))
    show.license = text(_find(channel, "podcast:license"))
    show.guid = _find(channel, "podcast:guid").strip()
    locked = _first(channel, "podcast:locked")
    if locked is not None:
        show.locked = _bool(locked.text or "") is True
        show.locked_owner = (locked.get("owner") or "").strip()
    show.new_feed_url = _url(_find(channel, "itunes:new-feed-url"), base)


def _language(value: str) -> str:
    value = value.strip()
    match = re.match(r"^([A-Za-z]{2,3})(?:[-_]([A-Za-z]{2,8}))?", value)
    if not match:
        return ""
    return match.group(1).lower() + (f"-{match.group(2).upper()}" if match.group(2) else "")


def _categories(channel: etree._Element, problems: list[str]) -> list[str]:
    found = []
    for category in channel.iterfind(f"{{{ITUNES}}}category"):
        parent = html.unescape(category.get("text") or "").strip()
        subs = [html.unescape(s.get("text") or "").strip() for s in category.iterfind(f"{{{ITUNES}}}category")]
        for name in [f"{parent} > {sub}" for sub in subs] or [parent]:
            if why := apple.problem(name):
                problems.append(f"category {name!r}: {why}: left out")
            elif name not in found:
                found.append(name)
    return found


def _persons(element: etree._Element, base: str, problems: list[str]) -> list[Person]:
    persons = []
    for person in _each(element, "person"):
        name = text(person.text)
        if name:
            persons.append(
                Person(
                    name,
                    (person.get("role") or "").strip().lower(),
                    _url(person.get("href") or "", base, problems, f"podcast:person {name}"),
                    _url(person.get("img") or "", base, problems, f"podcast:person {name}"),
                )
            )
    return persons


def _item(element: etree._Element, base: str) -> Item | Skipped:
    title = text(_find(element, "title")) or text(_find(element, "itunes:title"))
    enclosure = _enclosure(element, base)
    if enclosure is None:
        return Skipped(title or "(untitled)", "no audio enclosure")
    guid = _find(element, "guid").strip() or enclosure.url  # what apps key an item by without a guid
    content = _find(element, "content:encoded")
    description = _find(element, "description")
    summary = _find(element, "itunes:summary")
    notes_html = content or description or summary
    item = Item(
        guid=guid,
        title=title or "(untitled)",
        date=_date(_find(element, "pubDate")),
        enclosure=enclosure,
        season=_int(_find(element, "itunes:season") or _find(element, "podcast:season")),
        number=_int(_find(element, "itunes:episode") or _find(element, "podcast:episode")),
        episode_type=_episode_type(_find(element, "itunes:episodeType")),
        explicit=_bool(_find(element, "itunes:explicit")),
        duration=_duration(_find(element, "itunes:duration")),
        summary=html_text(description if content else summary),
        notes_html=notes_html.strip(),
        link=_url(_find(element, "link"), base),
        image=_url(_attr(element, "itunes:image", "href"), base),
        persons=_persons(element, base, []),
        chapters=_podlove_chapters(element, base),
        chapters_url=_url(_attr(element, "podcast:chapters", "url"), base),
        soundbites=_soundbites(element),
        transcripts=_transcripts(element, base),
        location=text(_find(element, "podcast:location")),
    )
    return item


def _enclosure(element: etree._Element, base: str) -> Enclosure | None:
    """The item's audio: the first audio enclosure (some hosts list a video or a second
    format after it), else the first enclosure."""
    found = []
    for enclosure in element.iterfind("enclosure"):
        url = _url(enclosure.get("url") or "", base)
        if url:
            length = _length(enclosure.get("length") or "")
            found.append(Enclosure(url, length, (enclosure.get("type") or "").strip().lower()))
    audio = [e for e in found if e.type.startswith("audio/")]
    return (audio or found)[0] if found else None


def _date(value: str) -> dt.datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _episode_type(value: str) -> str:
    value = value.strip().lower()
    return value if value in ("full", "trailer", "bonus") else "full"


def _duration(value: str) -> float | None:
    try:
        return timecode.parse(value) if value.strip() else None
    except ValueError:
        return None


def _podlove_chapters(element: etree._Element, base: str) -> list[Chapter]:
    chapters = []
    for chapter in element.iterfind(f"{{{PSC}}}chapters/{{{PSC}}}chapter"):
        try:
            start = timecode.parse(chapter.get("start") or "")
        except ValueError:
            continue
        title = text(chapter.get("title"))
        if title:
            url = _url(chapter.get("href") or "", base)
            chapters.append(Chapter(start, title, url, _url(chapter.get("image") or "", base)))
    return chapters


def _soundbites(element: etree._Element) -> list[tuple[float, float, str]]:
    found = []
    for bite in _each(element, "soundbite"):
        try:
            start, length = float(bite.get("startTime") or ""), float(bite.get("duration") or "")
        except ValueError:
            continue
        if math.isfinite(start + length) and start >= 0 and length > 0:  # "1e999" is a float: infinity
            found.append((start, length, text(bite.text)))
    return found


def _transcripts(element: etree._Element, base: str) -> list[Transcript]:
    found = []
    for transcript in _each(element, "transcript"):
        if url := _url(transcript.get("url") or "", base):
            found.append(
                Transcript(
                    url,
                    (transcript.get("type") or "").strip().lower(),
                    (transcript.get("language") or "").strip(),
                    (transcript.get("rel") or "").strip(),
                )
            )
    return found


def media_name(url: str, fallback: str) -> str:
    """A file name for a media URL: its last path segment (no query string), made safe."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    stem, _, suffix = name.rpartition(".")
    if not stem:
        stem, suffix = name, ""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:60] or fallback
    suffix = re.sub(r"[^A-Za-z0-9]", "", suffix).lower()[:5]
    return f"{stem}.{suffix}" if suffix else stem
