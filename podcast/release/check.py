"""`podcast check`: an offline pre-publish linter for the show, its feed and the published files.

It runs automatically before the feed is published (errors refuse the publication unless
--force). Each finding names the element, the episode and the fix.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from lxml import etree

from podcast.core.errors import FeedError, FetchError, PodcastError
from podcast.core.report import Level, Report
from podcast.domain import directories, namespace
from podcast.edges import http as web
from podcast.edges import images as artwork
from podcast.edges import storage
from podcast.project import episode as episodes
from podcast.project import imported_feed
from podcast.project.config import FEED_NAME, Config
from podcast.project.episode import Episode
from podcast.project.ids import (
    enclosure_url,
    episode_guid,
    guid_from_feed_url,
    is_public,
    preview_guids,
    public_url,
    show_guid,
)
from podcast.project.state import State
from podcast.release import art, catalog, notes, rss
from podcast.release.catalog import Catalog, Item, Referenced, Released
from podcast.release.notes import MAX_DESCRIPTION_BYTES
from podcast.release.notify import TOKEN_ENV as NOTIFY_TOKEN_ENV

LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,8})?$")
NUMBER_IN_TITLE = re.compile(r"(?i)(^\s*\d+\s*[-.:–—]|\b(ép\.?|épisode|episode|ep\.?|#)\s*\d+)")


@dataclass(frozen=True)
class Finding:
    level: Level
    element: str
    message: str
    fix: str
    episode: str = ""

    def line(self) -> str:
        where = self.episode or "show"
        return f"{self.level.label}: [{where}] {self.element}: {self.message} (fix: {self.fix})"


ERROR, WARNING = Level.ERROR, Level.WARNING


def report(findings: list[Finding]) -> Report:
    """`podcast check`'s report: each finding, then the count."""
    out = Report()
    for finding in findings:
        out.add(finding.level, finding.line())
    errors = sum(f.level == ERROR for f in findings)
    out.info(f"{errors} error(s), {len(findings) - errors} warning(s)")
    return out


def run(
    config: Config,
    shown: Catalog,
    xml: bytes,
    store: storage.Storage,
    art_key: str | None,
    previous: Released | None = None,
    *,
    http: bool = False,
) -> list[Finding]:
    previous = previous or Released()
    findings = [*channel_rules(config, xml), *item_rules(config, shown, previous), *namespace_rules(config, shown)]
    findings += guid_rules(config, previous, _live_guid(store))
    objects = catalog.referenced(config, shown, art_key)
    findings += object_rules(store, objects)
    if http:
        findings += http_rules(config, objects)
    return findings


def check_project(config: Config, *, http: bool = False) -> list[Finding]:
    """Everything, without publishing: what `podcast check` prints."""
    shown = catalog.collect(config)
    art_key = catalog.artwork_key(config)
    previous = State(config.build_dir / "state.json").result("feed", Released) or Released()
    try:
        xml = rss.build(config, shown, art_key, art.show_images(config))
    except FeedError as exc:  # e.g. no title: say why with the show's rules, not the builder's
        findings = [
            *_text_rules(config),
            *_owner_rules(config),
            *guid_rules(config, previous, None),
            *imported_identity_rules(config),
        ]
        return findings or [Finding(ERROR, "feed", str(exc), "fix config.toml")]
    return run(config, shown, xml, storage.open_storage(config), art_key, previous, http=http)


def _live_guid(store: storage.Storage) -> str | None:
    """The podcast:guid of the feed listeners get now (None when there is none)."""
    data = store.get_bytes(FEED_NAME)
    if not data:
        return None
    try:
        found = etree.fromstring(data).find(f"channel/{{{rss.PODCAST_NS}}}guid")
    except etree.XMLSyntaxError:
        return None
    return found.text.strip() if found is not None and found.text else None


def guid_rules(config: Config, previous: Released, live: str | None) -> Iterable[Finding]:
    """A public show's podcast:guid is its identity for directories and apps: fixed once, never
    derived from a preview address, never changed after the first public publication."""
    guid = show_guid(config)
    if not is_public(config.show.base_url):
        return
    fixed = f'guid = "{guid_from_feed_url(config.feed_url)}"'
    first = previous.public_show_guid
    if first and first != guid:
        yield Finding(
            ERROR,
            "podcast:guid",
            f"changed from {first} (published) to {guid}: directories and apps would see a new show",
            f'set guid = "{first}" in [show] of config.toml',
        )
    elif live and live != guid and live not in preview_guids(config):
        yield Finding(
            ERROR,
            "podcast:guid",
            f"the published feed has {live}, this one would have {guid}: listeners would see a new show",
            f'set guid = "{live}" in [show] of config.toml',
        )
    elif guid in preview_guids(config) and guid != first:
        yield Finding(
            ERROR,
            "podcast:guid",
            f"{guid} comes from a local preview address (every show an older `podcast init` made shares it)",
            f"set {fixed} in [show] of config.toml (the Podcasting 2.0 rule on the public feed URL)",
        )
    elif not config.show.guid:
        yield Finding(
            ERROR,
            "podcast:guid",
            "not fixed in config.toml: it would change if the feed ever moved",
            f"add {fixed} to [show] of config.toml, once; never change it",
        )


def channel_rules(config: Config, xml: bytes) -> Iterable[Finding]:
    try:
        etree.fromstring(xml)
    except etree.XMLSyntaxError as exc:
        yield Finding(ERROR, "feed", f"not well-formed XML: {exc}", "report this as a bug")
    for rules in (_text_rules, _owner_rules, _category_rules, _artwork_rules, _identity_rules):
        yield from rules(config)


def namespace_rules(config: Config, shown: Catalog) -> Iterable[Finding]:
    """The Podcasting 2.0 tags beyond the core set: each value missing or contradicting another."""
    for rules in (_ai_content_rules, _remote_rules, _frequency_rules, _block_rules, _notify_rules):
        yield from rules(config, shown)
    for item in shown.items:
        if item.episode.meta.episode_type == "trailer" and len(item.episode.meta.title) > namespace.SHORT_TEXT_MAX:
            yield Finding(
                WARNING,
                "podcast:trailer",
                f"the title is over {namespace.SHORT_TEXT_MAX} characters: apps truncate it",
                "shorten the trailer's title",
                item.episode.slug,
            )


def _ai_content_rules(config: Config, shown: Catalog) -> Iterable[Finding]:
    if config.show.ai_content is not None:
        return
    undecided = [it.episode.slug for it in shown.items if it.episode.meta.ai_content is None]
    if undecided or not shown.items:
        listed = f" (episodes without their own: {', '.join(undecided[:5])}{'…' if len(undecided) > 5 else ''})"
        yield Finding(
            WARNING,
            "podcast:txt ai-content",
            "not decided: say whether AI was used to make the show (the transcripts, chapters and suggested "
            f"cuts this tool makes are machine-made){listed if undecided else ''}",
            f"set ai_content = true or false in [show] of config.toml (guidance: {namespace.AI_DISCLOSURE_URL})",
        )


def _remote_rules(config: Config, shown: Catalog) -> Iterable[Finding]:
    own = show_guid(config)
    feeds = [(f"show.podroll[{i}]", feed) for i, feed in enumerate(config.show.podroll)]
    if config.show.publisher:
        feeds.append(("show.publisher", config.show.publisher))
    for key, feed in feeds:
        if not feed.guid:
            yield Finding(
                WARNING,
                "podcast:remoteItem",
                f"{key} has no guid: {rss.remote_guid(feed)} is computed from {feed.url} by the namespace's rule, "
                "which is wrong if that show kept its GUID through a move",
                f"run `podcast podroll {'publisher' if key == 'show.publisher' else 'add'} {feed.url}` "
                "(it reads the GUID from the feed)",
            )
        elif rss.remote_guid(feed) == own:
            yield Finding(WARNING, "podcast:remoteItem", f"{key} is this show itself", f"remove {key}")


def _frequency_rules(config: Config, shown: Catalog) -> Iterable[Finding]:
    setting = config.show.update_frequency
    if setting.rrule == "auto" and not setting.complete and rss.frequency(config, shown) is None:
        yield Finding(
            WARNING,
            "podcast:updateFrequency",
            f'rrule = "auto" needs {namespace.MIN_HISTORY} episodes with a regular rhythm: left out for now',
            'wait for more episodes, or write the rule (e.g. rrule = "FREQ=MONTHLY")',
        )


def _block_rules(config: Config, shown: Catalog) -> Iterable[Finding]:
    block = config.show.block
    if namespace.BLOCK_ALL in block:
        yield Finding(
            WARNING,
            "podcast:block",
            "the show asks every directory and app not to list it",
            'remove "all" from show.block unless the show should be private',
        )
    for key, url in vars(config.show.links).items():
        slug = directories.BY_KEY[key].block_slug if key in directories.BY_KEY else key
        if url and slug in block:
            yield Finding(
                WARNING,
                "podcast:block",
                f"the show blocks '{slug}' but links to it (show.links.{key}): that directory may drop it",
                f"remove '{slug}' from show.block, or the link",
            )


def _notify_rules(config: Config, shown: Catalog) -> Iterable[Finding]:
    notify = config.notify
    if notify.podping and not os.environ.get(NOTIFY_TOKEN_ENV):
        yield Finding(
            WARNING,
            "podcast:podping",
            f"notify.podping is on but ${NOTIFY_TOKEN_ENV} is not set: no Podping will be sent",
            f"ask podping@podcastindex.org for a token and set {NOTIFY_TOKEN_ENV} in the environment",
        )
    if notify.websub_hub and not notify.websub_hub.startswith("https://"):
        yield Finding(WARNING, "atom:link hub", f"{notify.websub_hub} is not https", "use the hub's https:// address")


def _text_rules(config: Config) -> Iterable[Finding]:
    show = config.show
    if not show.title.strip():
        yield Finding(ERROR, "channel title", "empty", "set show.title in config.toml")
    if not show.description.strip():
        yield Finding(WARNING, "channel description", "empty: the title is used", "set show.description")
    elif len(show.description.encode()) > MAX_DESCRIPTION_BYTES:
        yield Finding(WARNING, "channel description", f"over {MAX_DESCRIPTION_BYTES} bytes: truncated", "shorten it")
    if not LANGUAGE_RE.match(show.language):
        yield Finding(ERROR, "channel language", f"'{show.language}' is not a language code", 'use e.g. "fr"')


def _owner_rules(config: Config) -> Iterable[Finding]:
    show = config.show
    if not show.author:
        yield Finding(WARNING, "itunes:author", "empty: the title is used", "set show.author")
    if not show.owner.email:
        yield Finding(
            WARNING, "itunes:owner", "no email: directories use it to verify ownership", "set [show.owner] email"
        )
    if show.locked and not show.owner.email:
        yield Finding(WARNING, "podcast:locked", "locked without an owner email", "set [show.owner] email")


def _category_rules(config: Config) -> Iterable[Finding]:
    if not config.show.categories:
        yield Finding(ERROR, "itunes:category", "none", "set show.categories")
    # Each category is checked against Apple's list when config.toml loads.


def _artwork_rules(config: Config) -> Iterable[Finding]:
    if config.artwork_path is None:
        yield Finding(ERROR, "itunes:image", "no show artwork", "set show.artwork (1400–3000 px square)")
        return
    yield from _artwork(config.artwork_path.name, artwork.inspect(config.artwork_path), "itunes:image", "")
    if artwork.is_placeholder(config.artwork_path):
        yield Finding(
            WARNING,
            "itunes:image",
            f"{config.artwork_path.name} is the placeholder cover `podcast init` made",
            f"replace {config.artwork_path} with the show's cover (square, 1400–3000 px)",
        )


def _identity_rules(config: Config) -> Iterable[Finding]:
    show = config.show
    if not show.base_url.startswith("https://"):
        yield Finding(
            WARNING,
            "enclosure URLs",
            f"{show.base_url} is not https: directories require https",
            "serve the files over https and set show.base_url",
        )


def _inspect(ep: Episode, name: str) -> artwork.Report:
    try:
        return artwork.inspect(ep.file(name))
    except PodcastError as exc:
        return artwork.Report(ep.folder / name, errors=[str(exc)])


def _artwork(name: str, report: artwork.Report, element: str, slug: str) -> Iterable[Finding]:
    for message in report.errors:
        yield Finding(ERROR, element, f"{name}: {message}", "run `podcast artwork fix`", slug)
    for message in report.warnings:
        yield Finding(WARNING, element, f"{name}: {message}", "run `podcast artwork fix`", slug)


def item_rules(config: Config, shown: Catalog, previous: Released) -> Iterable[Finding]:
    yield from _guid_rules(config, shown, previous)
    yield from imported_rules(config, shown)
    for item in shown.items:
        yield from _episode_text_rules(item)
        yield from _episode_content_rules(config, item)
    numbers = Counter((it.episode.meta.season, it.episode.meta.number) for it in shown.items)
    for item in shown.items:
        meta, slug = item.episode.meta, item.episode.slug
        if meta.number is not None and numbers[(meta.season, meta.number)] > 1:
            yield Finding(
                WARNING,
                "itunes:episode",
                f"season {meta.season} episode {meta.number} is used twice",
                "number each episode once per season",
                slug,
            )


def _guid_rules(config: Config, shown: Catalog, previous: Released) -> Iterable[Finding]:
    guids = Counter(episode_guid(config, it.episode.slug, it.episode.meta.guid) for it in shown.items)
    published = previous.public_guids if is_public(config.show.base_url) else {}
    for item in shown.items:
        slug = item.episode.slug
        guid = episode_guid(config, slug, item.episode.meta.guid)
        if guids[guid] > 1:
            yield Finding(
                ERROR,
                "item guid",
                f"{guid} is used by more than one episode",
                "give each episode its own guid (or none: one is derived from the slug)",
                slug,
            )
        if slug in published and published[slug] != guid:
            yield Finding(
                ERROR,
                "item guid",
                f"changed from {published[slug]} to {guid}: apps would show the episode twice",
                f'set guid = "{published[slug]}" in episode.toml',
                slug,
            )


def imported_identity_rules(config: Config) -> Iterable[Finding]:
    """An imported show is the same show: its podcast:guid is the old feed's, whatever the
    address it is previewed or published at (directories and apps know the show by it)."""
    record = imported_feed.load(config.root)
    if record is None or not record.guid or show_guid(config) == record.guid:
        return
    fix = f'set guid = "{record.guid}" in [show] of config.toml'
    if record.source:
        fix += f" (or `podcast import {record.source} --update-show`)"
    yield Finding(
        ERROR,
        "podcast:guid",
        f"{show_guid(config)} here, {record.guid} in the feed this show was imported from: "
        "directories and apps would see a new show",
        fix,
    )


def imported_rules(config: Config, shown: Catalog) -> Iterable[Finding]:
    """An imported show keeps every episode of the old feed, with its GUID and date: an app
    subscribed there sees the same episodes here, none twice, none lost."""
    yield from imported_identity_rules(config)
    record = imported_feed.load(config.root)
    by_guid = {episode_guid(config, it.episode.slug, it.episode.meta.guid): it for it in shown.items}
    pending = _pending_guids(config) if record else set()
    for entry in record.items if record else ():
        guid, title = entry.guid, entry.title
        item = by_guid.get(guid)
        if item is None:
            yield Finding(
                ERROR,
                "imported episode",
                f"{title!r} (GUID {guid}) of the old feed is not in ours: its listeners would lose it",
                "run `podcast import` again: its audio is pending"
                if guid in pending
                else "publish it (`podcast status` says where it is), or remove its [[items]] entry from "
                f"{imported_feed.NAME} if it should go",
            )
            continue
        date = entry.date
        if entry.when and item.date != entry.when:
            yield Finding(
                ERROR,
                "item pubDate",
                f"{item.date:%Y-%m-%d %H:%M %z} here, {date} in the old feed: apps would reorder or repeat it",
                f"set date = {date} in episode.toml",
                item.episode.slug,
            )


def _pending_guids(config: Config) -> set[str]:
    """GUIDs of imported episodes whose audio is still to be fetched."""
    found = set()
    for slug in episodes.all_slugs(config):
        try:
            ep = episodes.load(config, slug)
        except PodcastError:
            continue
        if ep.audio_pending:
            found.add(ep.meta.guid)
    return found


def _episode_text_rules(item: Item) -> Iterable[Finding]:
    meta, slug = item.episode.meta, item.episode.slug
    if NUMBER_IN_TITLE.search(meta.title):
        yield Finding(
            WARNING, "item title", f"{meta.title!r} contains its number", "put the number in `number =`", slug
        )
    if meta.date is None:
        yield Finding(
            WARNING,
            "item pubDate",
            "no date in episode.toml: the first publication time is used",
            "set date = 2024-05-14T10:00:00",
            slug,
        )
    if len(meta.summary.encode()) > MAX_DESCRIPTION_BYTES:
        yield Finding(
            WARNING, "item description", f"summary over {MAX_DESCRIPTION_BYTES} bytes: truncated", "shorten it", slug
        )


def _episode_content_rules(config: Config, item: Item) -> Iterable[Finding]:
    ep, slug = item.episode, item.episode.slug
    if not item.duration:
        yield Finding(WARNING, "itunes:duration", "unknown", f"run `podcast publish {slug} --force`", slug)
    if (
        len(notes.feed_html(config, ep, item.chapters(), item.edit_list(), limit=None).encode())
        > notes.MAX_FEED_NOTES_BYTES
    ):
        yield Finding(
            WARNING,
            "content:encoded",
            f"the notes are over {notes.MAX_FEED_NOTES_BYTES:,} bytes: the feed carries their start and a "
            "link to the episode page, which has them whole",
            "shorten notes.md if apps should show them whole",
            slug,
        )
    if ep.meta.artwork:
        yield from _artwork(ep.meta.artwork, _inspect(ep, ep.meta.artwork), "item itunes:image", slug)


def object_rules(store: storage.Storage, objects: list[Referenced]) -> Iterable[Finding]:
    for ref in objects:
        key, slug = ref.key, ref.episode
        info = store.head(key)
        if info is None:
            yield Finding(
                ERROR,
                "published file",
                f"{key} is missing from storage",
                f"run `podcast publish {slug or '--all'}`",
                slug,
            )
        elif info.size != ref.size:
            yield Finding(
                ERROR,
                "published file",
                f"{key} has {info.size} bytes, the feed says {ref.size}",
                f"run `podcast upload {slug} --force`",
                slug,
            )
        elif info.content_type and _mime(info.content_type) != _mime(ref.type):
            yield Finding(
                ERROR,
                "published file",
                f"{key} is served as {info.content_type}, expected {ref.type}",
                f"run `podcast upload {slug} --force`",
                slug,
            )


def _mime(value: str) -> str:
    return value.split(";")[0].strip().lower()


def http_rules(config: Config, objects: list[Referenced]) -> Iterable[Finding]:
    """HEAD and a one-byte Range request on each public URL, as a podcast app would (the audio
    through the analytics prefix, whose redirect is followed)."""
    for ref in objects:
        audio = ref.type.startswith("audio/")
        url = enclosure_url(config, ref.key) if audio else public_url(config, ref.key)
        try:
            found = web.probe(url)
        except FetchError as exc:
            yield Finding(
                ERROR, "public URL", str(exc), "check show.base_url and that the files are served", ref.episode
            )
            continue
        yield from _served_rules(url, found, ref)


def _served_rules(url: str, found: web.Probe, ref: Referenced) -> Iterable[Finding]:
    slug = ref.episode
    if found.length != str(ref.size):
        yield Finding(
            ERROR,
            "public URL",
            f"{url}: Content-Length {found.length}, expected {ref.size}",
            "republish, or purge the CDN",
            slug,
        )
    if _mime(found.content_type) != _mime(ref.type):
        yield Finding(
            ERROR,
            "public URL",
            f"{url}: Content-Type {found.content_type!r}, expected {ref.type}",
            "set the server's or bucket's content types",
            slug,
        )
    if found.range_status != 206 or not found.content_range.startswith("bytes 0-1/"):
        yield Finding(
            ERROR,
            "public URL",
            f"{url}: no Range support (status {found.range_status})",
            "serve the files from a server that supports byte ranges (apps need it to seek)",
            slug,
        )
    if not found.cors and key_is_readable_across_origins(url):
        yield Finding(
            WARNING,
            "public URL",
            f"{url}: no Access-Control-Allow-Origin header: web players on other sites cannot read it",
            "run `podcast bucket-policy --apply` (S3) or set CORS on the server",
            slug,
        )


def key_is_readable_across_origins(url: str) -> bool:
    """Transcripts and chapters are fetched by web players and directories from other sites."""
    return "/transcript-" in url or "/chapters-" in url
