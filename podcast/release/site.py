"""The show's static web site (Jinja2; templates overridable from the project's templates/
folder), published beside the feed:

- index.html (the show, subscribe buttons, about, the 30 newest episodes) and page/N/index.html;
- episodes/SLUG/index.html (cover, player, chapters, notes, share, the transcript) and
  episodes/SLUG/embed.html (the player alone, for an <iframe>) with episodes/SLUG/oembed.json;
- people/NAME/index.html for each guest and host; sitemap.xml and robots.txt;
- assets/ and images/ (covers in three sizes and formats, the social card, the icon, the logo),
  content-addressed: a key never changes meaning, so they are cached for a year.

Every page links what it shows relatively (a copy of public/ served elsewhere still plays); what
crawlers and other sites read (canonical, Open Graph, JSON-LD, oEmbed, the sitemap) is absolute,
from show.base_url.
"""

from __future__ import annotations

import colorsys
import functools
import html
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, TemplateError, select_autoescape
from markupsafe import Markup

from podcast.core import fsutil, i18n, safejson, timecode
from podcast.core.errors import PodcastError
from podcast.core.text import url_join
from podcast.domain import transcript, typography
from podcast.domain.transcript import Segment
from podcast.edges import images, storage
from podcast.project.config import Config
from podcast.project.ids import episode_page_url, is_public, public_url
from podcast.release import notes
from podcast.release.catalog import Catalog, Item, artwork_key

ASSETS = ("site.css", "site.js")
PER_PAGE = 30  # episodes on the home page and each following page
COVER_SIZES = (300, 600, 1400)
COVER_KINDS = (("avif", "image/avif"), ("webp", "image/webp"), ("jpg", "image/jpeg"))  # best first
IMAGES_VERSION = "1"  # part of every image key: bump it when a recipe changes
PAPER = "#fdfcf8"  # the pages' background (site.css): the accent colour is checked against it
EMBED_HEIGHT = 220  # px: the embed page's player, as the embed code and oEmbed give it


@dataclass
class Page:
    key: str
    path: Path  # rendered file in build/site/


@dataclass(frozen=True)
class Cover:
    """A square cover in every size and format the pages use (keys relative to the root)."""

    srcsets: tuple[tuple[str, str], ...]  # (MIME type, "key 300w, key 600w, ...") best first
    jpg: dict[int, str]  # nominal size → JPEG key
    social: str  # the 1200×630 card for link previews
    sizes: tuple[int, ...]  # the widths really made (a small cover is never enlarged)

    def src(self, size: int) -> str:
        return self.jpg[size]

    def srcset(self, root: str) -> list[tuple[str, str]]:
        return [(mime, ", ".join(f"{root}{part}" for part in parts.split(", "))) for mime, parts in self.srcsets]


@dataclass
class Site:
    """What one rendering makes, and the images it needs made."""

    config: Config
    out: Path
    pages: list[Page] = field(default_factory=list)
    covers: dict[Path, Cover] = field(default_factory=dict)

    def write(self, key: str, text: str) -> None:
        _write_if_changed(self.out / key, text)
        self.pages.append(Page(key, self.out / key))

    def image(self, key: str) -> Path:
        """The path of an image key, listed for publication (made by the caller when missing).
        Images always live in build/site/: a preview rendered elsewhere reuses them."""
        path = self.config.build_dir / "site" / key
        self.pages.append(Page(key, path))
        return path


def render_template(env: Environment, name: str, **context: Any) -> str:
    """`name` rendered; an error in a template (the project's own, in templates/) is one line
    naming the template and the line."""
    try:
        return env.get_template(name).render(**context)
    except TemplateError as exc:
        where = f"{getattr(exc, 'filename', None) or name}"
        line = getattr(exc, "lineno", None)
        raise PodcastError(f"template {where}{f', line {line}' if line else ''}: {exc.message or exc}") from None


def environment(config: Config) -> Environment:
    loaders: list[Any] = []
    custom = config.root / "templates"
    if custom.is_dir():
        loaders.append(FileSystemLoader(str(custom)))
    loaders.append(PackageLoader("podcast", "templates"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html"]),
        keep_trailing_newline=True,
        finalize=_typeset(config.show.language),
    )
    env.filters["clock"] = timecode.short
    return env


def _typeset(language: str) -> Any:
    """Every text a template prints, set in the show's typography before it is escaped (French:
    « », ’, no-break spaces; any other language as it is). Markup already made (the notes'
    HTML, JSON-LD), machine values (`Verbatim`: a media type and its codecs), JSON data for the
    scripts ("{…}", "[…]": its words are set where it is made) and non-text values pass
    untouched; so do web addresses inside a text."""
    # A site prints the same labels, titles and names on every page: each is set once.
    setting = functools.lru_cache(maxsize=8192)(typography.for_language(language))

    def finalize(value: Any) -> Any:
        if isinstance(value, Verbatim | Markup) or not isinstance(value, str):
            return value
        if not value.lstrip().startswith(("{", "[")):
            return setting(value)
        return value

    return finalize


class Verbatim(str):
    """A machine value a template prints (a media type with its codecs): escaped, never typeset."""

    __slots__ = ()


def _asset_keys(env: Environment) -> dict[str, tuple[str, str]]:
    """suffix → (content-addressed key, content)."""
    found = {}
    for name in ASSETS:
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, f"assets/{name}")
        stem, suffix = name.split(".")
        found[suffix] = (f"assets/{stem}-{fsutil.sha256_text(source)[:12]}.{suffix}", source)
    return found


# ---------------------------------------------------------------------------------------
# Images


def cover(site: Site, source: Path) -> Cover:
    """The web sizes of the square art at `source`, made once (their keys derive from its
    content) and listed for publication."""
    if source in site.covers:
        return site.covers[source]
    digest = _image_digest(source)
    side = min(images.dimensions(source)) or max(COVER_SIZES)
    widths = {size: min(size, side) for size in COVER_SIZES}
    keys = {(size, kind): f"images/cover{size}-{digest}.{kind}" for size in COVER_SIZES for kind, _ in COVER_KINDS}
    missing = {target: site.image(key) for target, key in keys.items()}
    missing = {target: path for target, path in missing.items() if not path.is_file()}
    if missing:
        images.web_covers(source, missing)
    social = social_key(source)
    if not (path := site.image(social)).is_file():
        images.social_card(source, path)
    srcsets = tuple(
        (mime, ", ".join(f"{keys[(size, kind)]} {widths[size]}w" for size in dict.fromkeys(COVER_SIZES)))
        for kind, mime in COVER_KINDS
    )
    made = Cover(srcsets, {size: keys[(size, "jpg")] for size in COVER_SIZES}, social, tuple(widths.values()))
    site.covers[source] = made
    return made


def _image_digest(source: Path) -> str:
    return fsutil.sha256_text(IMAGES_VERSION + fsutil.sha256_file(source))[:12]


def social_key(source: Path) -> str:
    """The key of the 1200×630 link-preview card made from the cover at `source` (the feed's
    podcast:image purpose="social" names it too)."""
    return f"images/social-{_image_digest(source)}.jpg"


def _logo(site: Site) -> dict[str, Any] | None:
    config = site.config
    if not config.show.theme.logo:
        return None
    source = config.root / config.show.theme.logo
    key = f"images/logo-{fsutil.sha256_text(IMAGES_VERSION + fsutil.sha256_file(source))[:12]}.png"
    path = site.image(key)
    if path.is_file():
        width, height = images.dimensions(path)
    else:
        width, height = images.web_logo(source, path)
    return {"key": key, "width": width // 2, "height": height // 2}  # drawn at half size: sharp on 2x screens


def _icon(site: Site, art: Path | None) -> str:
    """A 180 px PNG of the cover: the tab's icon and the phone's home-screen icon."""
    if art is None:
        return ""
    key = f"images/icon-{fsutil.sha256_text(IMAGES_VERSION + fsutil.sha256_file(art))[:12]}.png"
    path = site.image(key)
    if not path.is_file():
        images.web_covers(art, {(180, "png"): path})
    return key


# ---------------------------------------------------------------------------------------
# Theme


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _rgb(colour: str) -> tuple[float, float, float]:
    return (int(colour[1:3], 16) / 255, int(colour[3:5], 16) / 255, int(colour[5:7], 16) / 255)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours."""
    la, lb = sorted((_luminance(_rgb(a)), _luminance(_rgb(b))), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def readable_accent(accent: str, background: str = PAPER, ratio: float = 4.8) -> str:
    """`accent`, darkened as little as needed for text of that colour on `background` (and white
    text on it) to reach `ratio` (WCAG AA asks 4.5): the show's colour, always legible."""
    h, lightness, s = colorsys.rgb_to_hls(*_rgb(accent))
    colour = accent.lower()
    while contrast(colour, background) < ratio and lightness > 0:
        lightness = max(0.0, lightness - 0.02)
        r, g, b = colorsys.hls_to_rgb(h, lightness, s)
        colour = f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"
    return colour


# ---------------------------------------------------------------------------------------
# Subscribe buttons

APPLE_ID = re.compile(r"/id(\d+)")


def subscribe_links(config: Config) -> list[tuple[str, str]]:
    """(app name, link) for each app the show can be followed in with one tap: the show's page
    in a directory when config gives it, else a link made from the feed URL (AntennaPod always;
    Podcast Addict and Pocket Casts fetch the feed from their servers, so only a public one) or
    from the Apple Podcasts ID (Overcast, Pocket Casts)."""
    links, feed = config.show.links, config.feed_url
    apple = APPLE_ID.search(links.apple)
    public = is_public(feed)
    made = {
        "apple": links.apple,
        "spotify": links.spotify,
        "deezer": links.deezer,
        "pocketcasts": links.pocketcasts
        or (f"https://pca.st/itunes/{apple.group(1)}" if apple else "")
        or (f"https://pcasts.in/feed/{feed.split('://', 1)[1]}" if public else ""),
        "overcast": links.overcast or (f"https://overcast.fm/itunes{apple.group(1)}" if apple else ""),
        "antennapod": links.antennapod or f"https://antennapod.org/deeplink/subscribe?url={quote(feed, safe='')}",
        "podcastaddict": links.podcastaddict
        or (f"https://podcastaddict.com/feed/{quote(feed, safe='')}" if public else ""),
        "amazon": links.amazon,
        "podcastindex": links.podcastindex,
    }
    return [(APP_NAMES[key], url) for key, url in made.items() if url]


APP_NAMES = {
    "apple": "Apple Podcasts",
    "spotify": "Spotify",
    "deezer": "Deezer",
    "pocketcasts": "Pocket Casts",
    "overcast": "Overcast",
    "antennapod": "AntennaPod",
    "podcastaddict": "Podcast Addict",
    "amazon": "Amazon Music",
    "podcastindex": "Podcast Index",
}


# ---------------------------------------------------------------------------------------
# What the templates read


def _date(item: Item, language: str) -> tuple[str, str]:
    """The date as listeners read it ("14 mai 2024"), and in ISO form for <time>."""
    local = item.date
    months = i18n.strings(language)["months"].split()
    return f"{local.day} {months[local.month - 1]} {local.year}", local.date().isoformat()


def duration_text(seconds: float | None, words: dict[str, str]) -> str:
    """ "42 min", "1 h 05 min"."""
    if not seconds:
        return ""
    minutes = max(1, round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} {words['hours']} {minutes:02d} {words['minutes']}" if hours else f"{minutes} {words['minutes']}"


def person_slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-") or "personne"


def episode_context(config: Config, item: Item, site: Site | None = None) -> dict[str, Any]:
    ep, meta = item.episode, item.episode.meta
    audio = item.publication.audio
    assert audio is not None  # the catalog lists only episodes whose audio is published
    words = i18n.strings(config.show.language)
    date, date_iso = _date(item, config.show.language)
    image = item.publication.objects.get("image")
    image_key = image.key if image else artwork_key(config)
    art = ep.artwork
    art_cover = cover(site, art) if site is not None and art is not None and art.is_file() else None
    return {
        "slug": ep.slug,
        "title": meta.title,
        "summary": notes.item_summary(ep),
        "number": meta.number,
        "season": meta.season,
        "type": meta.episode_type,
        "date": date,
        "date_iso": date_iso,
        "url": episode_page_url(config, ep.slug),
        "embed_url": public_url(config, f"episodes/{ep.slug}/embed.html"),
        "oembed_url": public_url(config, f"episodes/{ep.slug}/oembed.json"),
        "page": f"episodes/{ep.slug}/index.html",
        "audio": public_url(config, audio.key),  # absolute, for crawlers (Open Graph, JSON-LD)
        "audio_key": audio.key,  # relative to the site's root, for the page's own player
        "audio_type": audio.type,
        "audio_size": audio.size,
        "sources": _sources(item),
        "image": public_url(config, image_key) if image_key else "",
        "cover": art_cover,
        "social": public_url(config, art_cover.social) if art_cover else "",
        "guests": ", ".join(g.name for g in meta.guests),
        "guests_list": [
            {"name": g.name, "org": g.org, "role": g.role, "url": g.url, "img": g.img, "slug": person_slug(g.name)}
            for g in meta.guests
        ],
        "duration": item.duration,
        "duration_text": duration_text(item.duration, words),
        "duration_iso": f"PT{round(item.duration)}S" if item.duration else "",
    }


def _sources(item: Item) -> list[dict[str, str]]:
    """The player's <source>s: the lighter rendition first (a browser that plays it takes it and
    saves the bytes), then the MP3 every browser plays."""
    found = []
    light, audio = item.publication.light, item.publication.audio
    if light is not None:
        found.append({"key": light.key, "type": Verbatim(f'{light.media_type}; codecs="{light.codecs}"')})
    if audio is not None:
        found.append({"key": audio.key, "type": audio.type})
    return found


def json_ld(config: Config, context: dict[str, Any]) -> str:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": context["title"],
        "url": context["url"],
        "datePublished": context["date_iso"],
        "description": context["summary"],
        "associatedMedia": {
            "@type": "MediaObject",
            "contentUrl": context["audio"],
            "encodingFormat": context["audio_type"],
            **({"duration": context["duration_iso"]} if context["duration_iso"] else {}),
        },
        "partOfSeries": {"@type": "PodcastSeries", "name": config.show.title, "url": public_url(config, "index.html")},
    }
    if context["image"]:
        data["image"] = context["image"]
    if context["number"] is not None:
        data["episodeNumber"] = context["number"]
    if context["season"] is not None:
        data["partOfSeason"] = {"@type": "PodcastSeason", "seasonNumber": context["season"]}
    if context["duration"]:
        data["timeRequired"] = context["duration_iso"]
    if context["guests_list"]:
        data["actor"] = [{"@type": "Person", "name": g["name"]} for g in context["guests_list"]]
    return script_json(data)


def series_json_ld(config: Config, artwork_url: str) -> str:
    show = config.show
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastSeries",
        "name": show.title,
        "url": public_url(config, "index.html"),
        "description": notes.show_description(config),
        "inLanguage": show.language,
        "webFeed": config.feed_url,
    }
    if artwork_url:
        data["image"] = artwork_url
    if show.author:
        data["author"] = {"@type": "Organization", "name": show.author}
    return script_json(data)


def script_json(data: Any) -> str:
    """JSON to put inside a <script> element: "<" could close the element or open a comment,
    so "<" and ">" are written \\u003c and \\u003e (the same string to a JSON reader)."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def passages(segments: list[Segment], longest: float = 30.0) -> list[list[Segment]]:
    """Speaker turns, cut into passages of at most `longest` seconds: each gets its own
    clickable timestamp, fine enough to quote from."""
    found: list[list[Segment]] = []
    for turn in transcript.turns(segments):
        start = len(found)
        for seg in turn:
            if len(found) > start and seg.end - found[-1][0].start <= longest:
                found[-1].append(seg)
            else:
                found.append([seg])
    return found


def _transcript(item: Item, photos: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "start": f"{turn[0].start:g}",
            "stamp": timecode.short(turn[0].start),
            "speaker": turn[0].speaker,
            "photo": photos.get(turn[0].speaker, ""),
            "cues": [(f"{seg.start:g}", seg.text) for seg in turn],
        }
        for turn in passages(item.segments())
    ]


def _chapters(item: Item) -> list[dict[str, Any]]:
    return [
        {"start": f"{c['startTime']:g}", "stamp": timecode.short(float(str(c["startTime"]))), "title": c["title"]}
        for c in item.chapters()
    ]


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        fsutil.write_text(path, text)


# ---------------------------------------------------------------------------------------
# The pages


def render(config: Config, shown: Catalog, out: Path | None = None) -> list[Page]:
    """Render the whole site into `out` (build/site/ by default; `podcast serve` renders a
    preview elsewhere); returns every file to publish, images included."""
    site = Site(config, out or config.build_dir / "site")
    env = environment(config)
    words = i18n.strings(config.show.language)
    setting = typography.for_language(config.show.language)
    assets = _asset_keys(env)
    for key, source in assets.values():
        site.write(key, source)
    art = config.artwork_path
    show_cover = cover(site, art) if art is not None and art.is_file() else None
    accent = readable_accent(config.show.theme.accent)
    common = {
        "show": config.show,
        "t": words,
        "feed_url": config.feed_url,
        "assets": {kind: key for kind, (key, _) in assets.items()},
        "accent": accent,
        "show_cover": show_cover,
        "logo": _logo(site),
        "icon": _icon(site, art),
        "home_url": public_url(config, "index.html"),
        "subscribe": subscribe_links(config),
        "show_social": public_url(config, show_cover.social) if show_cover else "",
        # an attribute: escaped; its words set here (the template prints JSON as it is)
        "words_json": json.dumps({k: setting(words[k]) for k in JS_WORDS}, ensure_ascii=False),
    }
    episodes = [episode_context(config, item, site) for item in shown.items]
    _home_pages(site, env, common, episodes)
    people = _people(config, episodes)
    for item, context in zip(shown.items, episodes, strict=True):
        _episode_pages(site, env, common, item, context, people)
    _people_pages(site, env, common, people, episodes)
    _crawler_files(site, episodes)
    return site.pages


JS_WORDS = (
    "play",
    "pause",
    "resume",
    "of",
    "matches",
    "quote_copied",
    "quote_open",
    "quote_close",
    "link_copied",
    "code_copied",
    "copy_failed",
    "rss_copied",
    "now_playing",
    "listen_from",
)


def _home_pages(site: Site, env: Environment, common: dict[str, Any], episodes: list[dict[str, Any]]) -> None:
    config = site.config
    serial = config.show.type == "serial"
    ordered = sorted(episodes, key=lambda e: (e["season"] or 0, e["date_iso"]), reverse=False) if serial else episodes
    chunks = [ordered[i : i + PER_PAGE] for i in range(0, len(ordered), PER_PAGE)] or [[]]
    art = common["show_cover"]
    artwork_url = public_url(config, art.src(1400)) if art else ""
    hosts = [{"name": h.name, "href": h.href, "img": h.img, "slug": person_slug(h.name)} for h in config.show.hosts]
    for number, chunk in enumerate(chunks, start=1):
        key = "index.html" if number == 1 else f"page/{number}/index.html"
        root = "" if number == 1 else "../../"
        seasons: list[tuple[int | None, list[dict[str, Any]]]] = []
        for ep in chunk:
            if serial and seasons and seasons[-1][0] == ep["season"]:
                seasons[-1][1].append(ep)
            else:
                seasons.append((ep["season"] if serial else None, [ep]))
        pager = {
            "number": number,
            "count": len(chunks),
            "newer": ("index.html" if number == 2 else f"page/{number - 1}/index.html") if number > 1 else "",
            "older": f"page/{number + 1}/index.html" if number < len(chunks) else "",
            "pages": [(n, "index.html" if n == 1 else f"page/{n}/index.html") for n in range(1, len(chunks) + 1)],
        }
        text = render_template(
            env,
            "index.html",
            **common,
            root=root,
            canonical=public_url(config, key),
            seasons=seasons,
            episodes=chunk,
            pager=pager,
            description=config.show.description,
            meta_description=notes.show_description(config),  # never empty: the title at least
            hosts=hosts,
            funding=config.show.funding,
            artwork_url=artwork_url,
            artwork_key=art.src(600) if art else "",
            jsonld=series_json_ld(config, artwork_url),
        )
        site.write(key, text)


def _episode_pages(
    site: Site,
    env: Environment,
    common: dict[str, Any],
    item: Item,
    context: dict[str, Any],
    people: dict[str, dict[str, Any]],
) -> None:
    config = site.config
    slug = item.episode.slug
    photos = {name: p["img"] for name, p in people.items() if p["img"]}
    chapters = _chapters(item)
    ep_cover = context["cover"] or common["show_cover"]
    media = {
        "title": context["title"],
        "artist": config.show.title,
        "artwork": [
            {"src": f"../../{ep_cover.src(size)}", "sizes": f"{width}x{width}", "type": "image/jpeg"}
            for size, width in zip(COVER_SIZES, ep_cover.sizes, strict=True)
        ]
        if ep_cover
        else [],
        "url": context["url"],
        "show": config.show.title,
        "duration": context["duration"] or 0,
    }
    embed_code = (
        f'<iframe src="{html.escape(context["embed_url"])}" title="{html.escape(context["title"])}" '
        f'width="100%" height="{EMBED_HEIGHT}" style="border:0;max-width:44rem" loading="lazy"></iframe>'
    )
    shared = {
        **common,
        "root": "../../",
        "ep": context,
        "ep_cover": ep_cover,
        "chapters": chapters,
        "media_json": script_json(media),
        "embed_code": embed_code,
        "jsonld": json_ld(config, context),
        "social": context["social"] or common["show_social"],
    }
    page = render_template(
        env,
        "episode.html",
        **shared,
        canonical=context["url"],
        transcript=_transcript(item, photos),
        notes=notes.episode_notes(config, item.episode, "", item.edit_list(), typeset=True),
    )
    site.write(f"episodes/{slug}/index.html", page)
    site.write(f"episodes/{slug}/embed.html", render_template(env, "embed.html", **shared, canonical=context["url"]))
    site.write(f"episodes/{slug}/oembed.json", json.dumps(_oembed(config, context, ep_cover, embed_code), indent=1))


def _oembed(config: Config, context: dict[str, Any], art: Cover | None, code: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "title": context["title"],
        "author_name": config.show.author or config.show.title,
        "author_url": public_url(config, "index.html"),
        "provider_name": config.show.title,
        "provider_url": public_url(config, "index.html"),
        "cache_age": 86400,
        "html": code,
        "width": 704,
        "height": EMBED_HEIGHT,
    }
    if art is not None:
        size = min(600, max(art.sizes))
        data.update(thumbnail_url=public_url(config, art.src(600)), thumbnail_width=size, thumbnail_height=size)
    return data


def _people(config: Config, episodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Everyone with a page: the hosts and every guest, by name (their newest details win)."""
    found: dict[str, dict[str, Any]] = {}
    taken: set[str] = set()

    def add(name: str, **details: str) -> dict[str, Any]:
        if name not in found:
            slug = base = person_slug(name)
            n = 2
            while slug in taken:
                slug, n = f"{base}-{n}", n + 1
            taken.add(slug)
            found[name] = {"name": name, "slug": slug, "episodes": [], "href": "", "img": "", "org": "", "role": ""}
        person = found[name]
        for key, value in details.items():
            if value and not person[key]:
                person[key] = value
        return person

    for host in config.show.hosts:
        add(host.name, href=host.href, img=host.img, role=host.role)
    for ep in episodes:
        for guest in ep["guests_list"]:
            person = add(guest["name"], href=guest["url"], img=guest["img"], org=guest["org"], role=guest["role"])
            person["episodes"].append(ep)
            guest["slug"] = person["slug"]
    return found


def _people_pages(
    site: Site,
    env: Environment,
    common: dict[str, Any],
    people: dict[str, dict[str, Any]],
    episodes: list[dict[str, Any]],
) -> None:
    hosts = {h.name for h in site.config.show.hosts}
    for person in people.values():
        listed = episodes if person["name"] in hosts else person["episodes"]
        key = f"people/{person['slug']}/index.html"
        text = render_template(
            env,
            "person.html",
            **common,
            root="../../",
            canonical=public_url(site.config, key),
            person=person,
            episodes=listed,
        )
        site.write(key, text)


def _crawler_files(site: Site, episodes: list[dict[str, Any]]) -> None:
    config = site.config
    dates = {ep["url"]: ep["date_iso"] for ep in episodes}
    urls = [public_url(config, p.key) for p in site.pages if p.key.endswith("index.html")]
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for url in urls:
        lastmod = f"<lastmod>{dates[url]}</lastmod>" if url in dates else ""
        lines.append(f"<url><loc>{html.escape(url)}</loc>{lastmod}</url>")
    lines.append("</urlset>")
    site.write("sitemap.xml", "\n".join(lines) + "\n")
    site.write("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {url_join(config.show.base_url, 'sitemap.xml')}\n")


PAGES_RECORD = "pages.json"  # in build/: each page's key and the SHA-256 of what was last sent


def publish(config: Config, shown: Catalog, store: storage.Storage) -> tuple[int, dict[str, int]]:
    """Render every page and upload those whose content changed; returns how many were sent,
    and every page's key and size (what the release references). A page sent before with these
    very bytes to the same bucket, and still in the ledger (not deleted by us since), is not
    asked about again: a no-change publish of a 50-episode show makes no request for its 150
    pages."""
    record = config.build_dir / PAGES_RECORD
    target = _target(config)
    sent_before = _pages_sent(record, target)
    ledger: Mapping[str, object] = {}  # a local folder is always compared: only a bucket's answer costs a request
    if isinstance(store, storage.Recorded) and isinstance(store.backend, storage.S3Storage):
        ledger = store.ledger.entries
    sent, keys, digests = 0, {}, {}
    for page in render(config, shown):
        digest = fsutil.sha256_file(page.path)
        known = sent_before.get(page.key) == digest and page.key in ledger
        if not known and not store.same(page.key, page.path):
            store.put_file(page.key, page.path)
            sent += 1
        keys[page.key], digests[page.key] = page.path.stat().st_size, digest
    data = {"version": 1, "target": target, "pages": digests}
    fsutil.write_text(record, json.dumps(data, indent=1, sort_keys=True) + "\n")
    return sent, keys


def _target(config: Config) -> str:
    """Where the pages go (the storage settings, as text): another bucket or folder is a new start."""
    settings = config.storage
    return "|".join((settings.kind, settings.path, settings.bucket, settings.prefix, settings.endpoint_url))


def _pages_sent(record: Path, target: str) -> dict[str, str]:
    try:
        data = safejson.loads(record.read_text(encoding="utf-8"), limit=safejson.OURS)
    except (FileNotFoundError, ValueError):
        return {}  # never published, or a damaged record: every page is checked against the store
    same_place = isinstance(data, dict) and data.get("version") == 1 and data.get("target") == target
    pages = data.get("pages") if same_place else None
    return {k: v for k, v in pages.items() if isinstance(v, str)} if isinstance(pages, dict) else {}
