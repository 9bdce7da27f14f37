"""`podcast check`: an offline pre-publish linter for the show, its feed and the published files.

It runs automatically before the feed is published (errors refuse the publication unless
--force). Each finding names the element, the episode and the fix.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from . import apple, artwork, catalog, rss, storage
from .catalog import Catalog
from .config import Config
from .ids import episode_guid, public_url
from .notes import MAX_DESCRIPTION_BYTES
from .state import State

LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,8})?$")
NUMBER_IN_TITLE = re.compile(r"(?i)(^\s*\d+\s*[-.:–—]|\b(ép\.?|épisode|episode|ep\.?|#)\s*\d+)")


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning"
    element: str
    message: str
    fix: str
    episode: str = ""

    def line(self) -> str:
        where = self.episode or "show"
        return f"{self.level}: [{where}] {self.element}: {self.message} (fix: {self.fix})"


def run(
    config: Config,
    shown: Catalog,
    xml: bytes,
    store: storage.Storage,
    art_key: str | None,
    previous: dict[str, Any] | None = None,
    *,
    http: bool = False,
) -> list[Finding]:
    findings = [*channel_rules(config, xml), *item_rules(config, shown, previous or {})]
    objects = _objects(shown, config, art_key)
    findings += object_rules(store, objects)
    if http:
        findings += http_rules(config, objects)
    return findings


def check_project(config: Config, *, http: bool = False) -> list[Finding]:
    """Everything, without publishing: what `podcast check` prints."""
    shown = catalog.collect(config)
    art_key = catalog.artwork_key(config)
    xml = rss.build(config, shown, art_key)
    record = State(config.build_dir / "state.json").get("feed")
    return run(config, shown, xml, storage.open_storage(config), art_key, record.info if record else {}, http=http)


def channel_rules(config: Config, xml: bytes) -> Iterable[Finding]:
    try:
        etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        yield Finding("error", "feed", f"not well-formed XML: {exc}", "report this as a bug")
    for rules in (_text_rules, _owner_rules, _category_rules, _artwork_rules, _identity_rules):
        yield from rules(config)


def _text_rules(config: Config) -> Iterable[Finding]:
    show = config.show
    if not show.title.strip():
        yield Finding("error", "channel title", "empty", "set show.title in config.toml")
    if not show.description.strip():
        yield Finding("warning", "channel description", "empty: the title is used", "set show.description")
    elif len(show.description.encode()) > MAX_DESCRIPTION_BYTES:
        yield Finding("warning", "channel description", f"over {MAX_DESCRIPTION_BYTES} bytes: truncated", "shorten it")
    if not LANGUAGE_RE.match(show.language):
        yield Finding("error", "channel language", f"'{show.language}' is not a language code", 'use e.g. "fr"')


def _owner_rules(config: Config) -> Iterable[Finding]:
    show = config.show
    if not show.author:
        yield Finding("warning", "itunes:author", "empty: the title is used", "set show.author")
    if not show.owner.email:
        yield Finding(
            "warning", "itunes:owner", "no email: directories use it to verify ownership", "set [show.owner] email"
        )
    if show.locked and not show.owner.email:
        yield Finding("warning", "podcast:locked", "locked without an owner email", "set [show.owner] email")


def _category_rules(config: Config) -> Iterable[Finding]:
    if not config.show.categories:
        yield Finding("error", "itunes:category", "none", "set show.categories")
    for category in config.show.categories:
        if why := apple.problem(category):
            yield Finding("error", "itunes:category", why, "use a category from Apple's list")


def _artwork_rules(config: Config) -> Iterable[Finding]:
    if config.artwork_path is None:
        yield Finding("error", "itunes:image", "no show artwork", "set show.artwork (1400–3000 px square)")
    else:
        yield from _artwork(config.artwork_path.name, artwork.inspect(config.artwork_path), "itunes:image", "")


def _identity_rules(config: Config) -> Iterable[Finding]:
    show = config.show
    if not show.base_url.startswith("https://"):
        yield Finding(
            "warning",
            "enclosure URLs",
            f"{show.base_url} is not https: directories require https",
            "serve the files over https and set show.base_url",
        )
    if not show.guid:
        yield Finding(
            "warning",
            "podcast:guid",
            "computed from the feed URL on each run",
            "store it once as show.guid so it never changes (podcast init does)",
        )


def _artwork(name: str, report: artwork.Report, element: str, slug: str) -> Iterable[Finding]:
    for message in report.errors:
        yield Finding("error", element, f"{name}: {message}", "run `podcast artwork fix`", slug)
    for message in report.warnings:
        yield Finding("warning", element, f"{name}: {message}", "run `podcast artwork fix`", slug)


def item_rules(config: Config, shown: Catalog, previous: dict[str, Any]) -> Iterable[Finding]:
    guids = Counter(episode_guid(config, it.episode.slug, it.episode.meta.guid) for it in shown.items)
    numbers = Counter(
        (it.episode.meta.season, it.episode.meta.number) for it in shown.items if it.episode.meta.number is not None
    )
    published = previous.get("guids", {})
    for item in shown.items:
        ep, meta, slug = item.episode, item.episode.meta, item.episode.slug
        guid = episode_guid(config, slug, meta.guid)
        if guids[guid] > 1:
            yield Finding(
                "error",
                "item guid",
                f"{guid} is used by more than one episode",
                "give each episode its own guid (or none: one is derived from the slug)",
                slug,
            )
        if slug in published and published[slug] != guid:
            yield Finding(
                "error",
                "item guid",
                f"changed from {published[slug]} to {guid}: apps would show the episode twice",
                f'set guid = "{published[slug]}" in episode.toml',
                slug,
            )
        if NUMBER_IN_TITLE.search(meta.title):
            yield Finding(
                "warning",
                "item title",
                f"{meta.title!r} contains its number",
                "put the number in `number =`, not in the title",
                slug,
            )
        if meta.number is not None and numbers[(meta.season, meta.number)] > 1:
            yield Finding(
                "warning",
                "itunes:episode",
                f"season {meta.season} episode {meta.number} is used twice",
                "number each episode once per season",
                slug,
            )
        if meta.date is None:
            yield Finding(
                "warning",
                "item pubDate",
                "no date in episode.toml: the first publication time is used",
                "set date = 2024-05-14T10:00:00",
                slug,
            )
        if len(meta.summary.encode()) > MAX_DESCRIPTION_BYTES:
            yield Finding(
                "warning",
                "item description",
                f"summary over {MAX_DESCRIPTION_BYTES} bytes: truncated",
                "shorten summary",
                slug,
            )
        if not item.duration:
            yield Finding("warning", "itunes:duration", "unknown", f"run `podcast publish {slug} --force`", slug)
        if meta.artwork:
            yield from _artwork(meta.artwork, artwork.inspect(ep.folder / meta.artwork), "item itunes:image", slug)


def _objects(shown: Catalog, config: Config, art_key: str | None) -> list[tuple[str, dict[str, Any], str]]:
    """(key, expected {size, type}, episode) of every object the feed references."""
    found = [
        (obj.key, {"size": obj.size, "type": obj.type}, it.episode.slug)
        for it in shown.items
        for obj in it.publication.objects.values()
    ]
    if art_key and config.artwork_path:
        size = config.artwork_path.stat().st_size
        found.append((art_key, {"size": size, "type": storage.content_type(art_key)}, ""))
    return found


def object_rules(store: storage.Storage, objects: list[tuple[str, dict[str, Any], str]]) -> Iterable[Finding]:
    for key, expected, slug in objects:
        info = store.head(key)
        if info is None:
            yield Finding(
                "error",
                "published file",
                f"{key} is missing from storage",
                f"run `podcast publish {slug or '--all'}`",
                slug,
            )
        elif info.size != int(expected["size"]):
            yield Finding(
                "error",
                "published file",
                f"{key} has {info.size} bytes, the feed says {expected['size']}",
                f"run `podcast upload {slug} --force`",
                slug,
            )
        elif info.content_type and _mime(info.content_type) != _mime(str(expected["type"])):
            yield Finding(
                "error",
                "published file",
                f"{key} is served as {info.content_type}, expected {expected['type']}",
                f"run `podcast upload {slug} --force`",
                slug,
            )


def _mime(value: str) -> str:
    return value.split(";")[0].strip().lower()


def http_rules(config: Config, objects: list[tuple[str, dict[str, Any], str]]) -> Iterable[Finding]:
    """HEAD and a one-byte Range request on each public URL, as a podcast app would."""
    for key, expected, slug in objects:
        url = public_url(config, key)
        try:
            head = urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=10)
            length, ctype = head.headers.get("Content-Length"), head.headers.get("Content-Type", "")
            head.close()
            ranged = urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=0-1"}), timeout=10)
            status, content_range = ranged.status, ranged.headers.get("Content-Range", "")
            ranged.read()
            ranged.close()
        except (urllib.error.URLError, OSError) as exc:
            yield Finding(
                "error",
                "public URL",
                f"{url}: {getattr(exc, 'reason', exc)}",
                "check show.base_url and that the files are served",
                slug,
            )
            continue
        if length != str(expected["size"]):
            yield Finding(
                "error",
                "public URL",
                f"{url}: Content-Length {length}, expected {expected['size']}",
                "republish, or purge the CDN",
                slug,
            )
        if _mime(ctype) != _mime(str(expected["type"])):
            yield Finding(
                "error",
                "public URL",
                f"{url}: Content-Type {ctype!r}, expected {expected['type']}",
                "set the server's or bucket's content types",
                slug,
            )
        if status != 206 or not content_range.startswith("bytes 0-1/"):
            yield Finding(
                "error",
                "public URL",
                f"{url}: no Range support (status {status})",
                "serve the files from a server that supports byte ranges (apps need it to seek)",
                slug,
            )
