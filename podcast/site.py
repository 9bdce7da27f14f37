"""The show's static web pages (Jinja2; templates overridable from the project's templates/
folder), published beside the feed: a home page and one page per episode with the player,
chapters and the full transcript, each timestamp carrying its start in data-start."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape

from . import edits, fsutil, i18n, storage, transcript
from .config import Config
from .ids import episode_page_url
from .stages.feed import FeedPlan, Item, artwork_key, cached_notes_html, item_summary
from .whisper import Segment

ASSETS = ("site.css", "site.js")


@dataclass
class Page:
    key: str
    path: Path  # rendered file in build/site/


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


def load_segments(build: Path) -> list[Segment]:
    path = build / "transcript.segments.json"
    if not path.is_file():
        return []
    return [
        Segment(s["start"], s["end"], s["text"], [], s.get("speaker", ""))
        for s in json.loads(path.read_text(encoding="utf-8"))
    ]


def _date(item: Item, language: str) -> tuple[str, str]:
    local = item.date
    months = [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ]
    text = f"{local.day} {months[local.month - 1]} {local.year}" if language == "fr" else local.strftime("%d %B %Y")
    return text, local.date().isoformat()


def episode_context(config: Config, item: Item) -> dict[str, Any]:
    ep, meta = item.episode, item.episode.meta
    audio = item.published["audio"]
    date, date_iso = _date(item, config.show.language)
    image_key = item.published.get("image", {}).get("key") or artwork_key(config)
    return {
        "slug": ep.slug,
        "title": meta.title,
        "summary": item_summary(ep),
        "number": meta.number,
        "season": meta.season,
        "date": date,
        "date_iso": date_iso,
        "url": episode_page_url(config, ep.slug),
        "page": f"episodes/{ep.slug}/index.html",
        "audio": storage.public_url(config, audio["key"]),
        "audio_type": audio["type"],
        "image": storage.public_url(config, image_key) if image_key else "",
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
            "url": storage.public_url(config, "index.html"),
        },
    }
    if context["number"] is not None:
        data["episodeNumber"] = context["number"]
    if context["duration"]:
        data["timeRequired"] = f"PT{round(context['duration'])}S"
    # inside <script>, "<" could close the element or open a comment: written as \u003c
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")


def render(config: Config, plan: FeedPlan) -> list[Page]:
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
    episodes = [episode_context(config, item) for item in plan.items]
    index = env.get_template("index.html").render(
        **common,
        root="",
        episodes=episodes,
        links=links,
        description=config.show.description,
        artwork_url=storage.public_url(config, art) if art else "",
    )
    _write_if_changed(out / "index.html", index)
    pages.append(Page("index.html", out / "index.html"))
    for item, context in zip(plan.items, episodes, strict=True):
        key = f"episodes/{item.episode.slug}/index.html"
        chapters = _chapters(item)
        paragraphs = [
            {
                "start": f"{turn[0].start:g}",
                "end": f"{turn[-1].end:g}",
                "stamp": transcript.timestamp(turn[0].start)[:8],
                "speaker": turn[0].speaker,
                "text": " ".join(seg.text for seg in turn),
            }
            for turn in passages(load_segments(item.episode.build))
        ]
        page = env.get_template("episode.html").render(
            **common,
            root="../../",
            ep=context,
            chapters=chapters,
            transcript=paragraphs,
            notes=cached_notes_html(config, item.episode.notes) if item.episode.notes.strip() else "",
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
    path = item.episode.build / "chapters.json"
    if "chapters.json" not in item.published or not path.is_file():
        return []
    return [
        {"start": f"{c['startTime']:g}", "stamp": edits.format_time(c["startTime"])[:8], "title": c["title"]}
        for c in json.loads(path.read_text(encoding="utf-8"))["chapters"]
    ]


def _write_if_changed(path: Path, text: str) -> None:
    if not path.is_file() or path.read_text(encoding="utf-8") != text:
        fsutil.write_text(path, text)


def publish(config: Config, plan: FeedPlan, store: storage.Storage) -> int:
    """Render every page and upload those whose content changed; returns how many were sent."""
    sent = 0
    for page in render(config, plan):
        if not store.same(page.key, page.path):
            store.put_file(page.key, page.path)
            sent += 1
    return sent
