"""The show's static web pages (Jinja2; templates overridable from the project's templates/
folder), published beside the feed: a home page and one page per episode with the player,
chapters and the full transcript, each timestamp carrying its start in data-start."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, TemplateError, select_autoescape

from podcast.core import fsutil, i18n, timecode
from podcast.core.errors import PodcastError
from podcast.domain import transcript
from podcast.domain.transcript import Segment
from podcast.edges import storage
from podcast.project.config import Config
from podcast.project.ids import episode_page_url, public_url
from podcast.release import notes
from podcast.release.catalog import Catalog, Item, artwork_key

ASSETS = ("site.css", "site.js")


@dataclass
class Page:
    key: str
    path: Path  # rendered file in build/site/


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
    return Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]), keep_trailing_newline=True)


def _asset_keys(config: Config, env: Environment) -> dict[str, tuple[str, str]]:
    """name → (content-addressed key, content)."""
    found = {}
    for name in ASSETS:
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, f"assets/{name}")
        stem, suffix = name.split(".")
        found[suffix] = (f"assets/{stem}-{fsutil.sha256_text(source)[:12]}.{suffix}", source)
    return found


def _date(item: Item, language: str) -> tuple[str, str]:
    """The date as listeners read it ("14 mai 2024"), and in ISO form for <time>."""
    local = item.date
    months = i18n.strings(language)["months"].split()
    return f"{local.day} {months[local.month - 1]} {local.year}", local.date().isoformat()


def episode_context(config: Config, item: Item) -> dict[str, Any]:
    ep, meta = item.episode, item.episode.meta
    audio = item.publication.audio
    assert audio is not None  # the catalog lists only episodes whose audio is published
    date, date_iso = _date(item, config.show.language)
    image = item.publication.objects.get("image")
    image_key = image.key if image else artwork_key(config)
    return {
        "slug": ep.slug,
        "title": meta.title,
        "summary": notes.item_summary(ep),
        "number": meta.number,
        "season": meta.season,
        "date": date,
        "date_iso": date_iso,
        "url": episode_page_url(config, ep.slug),
        "page": f"episodes/{ep.slug}/index.html",
        "audio": public_url(config, audio.key),  # absolute, for crawlers (Open Graph, JSON-LD)
        "audio_key": audio.key,  # relative to the site's root, for the page's own player
        "audio_type": audio.type,
        "image": public_url(config, image_key) if image_key else "",
        "guests": ", ".join(g.name for g in meta.guests),
        "guests_list": meta.guests,
        "duration": item.duration,
    }


def json_ld(config: Config, context: dict[str, Any]) -> str:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "PodcastEpisode",
        "name": context["title"],
        "url": context["url"],
        "datePublished": context["date_iso"],
        "description": context["summary"],
        "associatedMedia": {"@type": "MediaObject", "contentUrl": context["audio"]},
        "partOfSeries": {
            "@type": "PodcastSeries",
            "name": config.show.title,
            "url": public_url(config, "index.html"),
        },
    }
    if context["number"] is not None:
        data["episodeNumber"] = context["number"]
    if context["duration"]:
        data["timeRequired"] = f"PT{round(context['duration'])}S"
    return script_json(data)


def script_json(data: Any) -> str:
    """JSON to put inside a <script> element: "<" could close the element or open a comment,
    so "<" and ">" are written \\u003c and \\u003e (the same string to a JSON reader)."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def render(config: Config, shown: Catalog) -> list[Page]:
    env = environment(config)
    words = i18n.strings(config.show.language)
    assets = _asset_keys(config, env)
    out = config.build_dir / "site"
    art = artwork_key(config)
    links = [
        (name.capitalize().replace("Antennapod", "AntennaPod").replace("Pocketcasts", "Pocket Casts"), url)
        for name, url in vars(config.show.links).items()
        if url
    ]
    common = {
        "show": config.show,
        "t": words,
        "feed_url": config.feed_url,
        "assets": {kind: key for kind, (key, _) in assets.items()},
    }
    pages = [Page(key, out / key) for key, _ in assets.values()]
    for key, source in assets.values():
        _write_if_changed(out / key, source)
    episodes = [episode_context(config, item) for item in shown.items]
    index = render_template(
        env,
        "index.html",
        **common,
        root="",
        episodes=episodes,
        links=links,
        description=config.show.description,
        artwork_url=public_url(config, art) if art else "",
        artwork_key=art or "",
    )
    _write_if_changed(out / "index.html", index)
    pages.append(Page("index.html", out / "index.html"))
    for item, context in zip(shown.items, episodes, strict=True):
        key = f"episodes/{item.episode.slug}/index.html"
        chapters = _chapters(item)
        paragraphs = [
            {
                "start": f"{turn[0].start:g}",
                "end": f"{turn[-1].end:g}",
                "stamp": timecode.short(turn[0].start),
                "speaker": turn[0].speaker,
                "text": " ".join(seg.text for seg in turn),
            }
            for turn in passages(item.segments())
        ]
        page = render_template(
            env,
            "episode.html",
            **common,
            root="../../",
            ep=context,
            chapters=chapters,
            transcript=paragraphs,
            notes=notes.episode_notes(config, item.episode, "", item.edit_list()),
            jsonld=json_ld(config, context),
        )
        _write_if_changed(out / key, page)
        pages.append(Page(key, out / key))
    return pages


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


def _chapters(item: Item) -> list[dict[str, Any]]:
    return [
        {"start": f"{c['startTime']:g}", "stamp": timecode.short(float(str(c["startTime"]))), "title": c["title"]}
        for c in item.chapters()
    ]


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        fsutil.write_text(path, text)


def publish(config: Config, shown: Catalog, store: storage.Storage) -> tuple[int, dict[str, int]]:
    """Render every page and upload those whose content changed; returns how many were sent,
    and every page's key and size (what the release references)."""
    sent = 0
    keys = {}
    for page in render(config, shown):
        if not store.same(page.key, page.path):
            store.put_file(page.key, page.path)
            sent += 1
        keys[page.key] = page.path.stat().st_size
    return sent, keys
