"""`podcast directories`: getting the show listed. What every directory requires is checked
against the live feed (what the directory itself will fetch), then each directory's submission
page is printed with what to paste there; with a Podcast Index API key and secret in the
environment, the feed is added to Podcast Index and pinged through its API. A directory page
found that way becomes the show's subscribe link (`[show.links]`), which the pages show.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from lxml import etree

from podcast.core import safejson
from podcast.core.errors import FetchError, ImportProblem
from podcast.core.report import Level, Report
from podcast.domain import apple, feedreader, namespace
from podcast.domain.directories import DIRECTORIES, Directory
from podcast.edges import http
from podcast.edges import images as artwork
from podcast.project import producer_files
from podcast.project.config import CONFIG_NAME, Config
from podcast.project.ids import is_public

KEY_ENV = "PODCAST_INDEX_API_KEY"
SECRET_ENV = "PODCAST_INDEX_API_SECRET"
API_ENV = "PODCAST_INDEX_API"  # another address for the API (a mirror, or a stand-in in tests)
API = "https://api.podcastindex.org/api/1.0"
PAGE = "https://podcastindex.org/podcast/{id}"
ITUNES = "{http://www.itunes.com/dtds/podcast-1.0.dtd}"
PODCAST = "{https://podcastindex.org/namespace/1.0}"
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
MAX_FEED = 64 << 20
MAX_ART = 20 << 20
API_ANSWER_MAX = 1 << 20  # the API's answers are a few kilobytes
Fetch = Callable[[str, int], tuple[bytes, str]]  # URL, size limit → body and final URL


@dataclass(frozen=True)
class Live:
    """What the directories will read from the live feed."""

    url: str  # where it was finally served from
    show: feedreader.Show
    items: int
    explicit: bool  # itunes:explicit is present
    txt_purposes: tuple[str, ...]
    blocked: tuple[str, ...]  # podcast:block ids with "yes" ("" = every platform)


def run(config: Config, *, dry_run: bool = False, fetch: Fetch = http.fetch) -> Report:
    out = Report()
    feed = config.feed_url
    out.info(f"Getting {config.show.title!r} listed: the feed is {feed}")
    live = _live(feed, out, fetch)
    if live is not None:
        _requirements(config, live, out, fetch)
    for directory in DIRECTORIES:
        _directory(config, directory, live, out)
    _podcastindex(config, out, dry_run=dry_run)
    return out


def _live(feed: str, out: Report, fetch: Fetch) -> Live | None:
    try:
        data, final = fetch(feed, MAX_FEED)
    except FetchError as exc:
        out.error(f"error: the live feed cannot be read: {exc} (publish it with `podcast publish --all`)")
        return None
    with tempfile.TemporaryDirectory(prefix="podcast-directories-") as folder:
        path = Path(folder) / "feed.xml"
        path.write_bytes(data)
        try:
            show = feedreader.read_show(path, final)
            root = etree.parse(str(path), SAFE).getroot()
        except (ImportProblem, etree.XMLSyntaxError) as exc:
            out.error(f"error: the live feed at {final} is not a feed directories can read: {exc}")
            return None
    channel = root.find("channel")
    assert channel is not None  # read_show found its title
    blocked = tuple(
        b.get("id", "") for b in channel.findall(f"{PODCAST}block") if (b.text or "").strip().lower() == "yes"
    )
    return Live(
        final,
        show,
        len(channel.findall("item")),
        channel.find(f"{ITUNES}explicit") is not None,
        tuple(t.get("purpose", "") for t in channel.findall(f"{PODCAST}txt")),
        blocked,
    )


def _requirements(config: Config, live: Live, out: Report, fetch: Fetch) -> None:
    """What every directory checks before it accepts a feed, read from the live feed."""
    show = live.show
    checks: list[tuple[bool, str, str]] = [
        (live.url.startswith("https://"), "the feed is served over https", "serve it over https (show.base_url)"),
        (is_public(live.url), "the feed is at a public address", "set show.base_url to the public address"),
        (bool(show.owner_email), f"owner e-mail: {show.owner_email or 'none'}", "set [show.owner] email"),
        (
            bool(show.categories) and all(not apple.problem(c) for c in show.categories),
            f"category: {', '.join(show.categories) or 'none'}",
            "set show.categories from Apple's list",
        ),
        (live.explicit, "explicit flag (itunes:explicit)", "set show.explicit"),
        (bool(show.author), f"author: {show.author or 'none'}", "set show.author"),
        (bool(show.description), "a description", "set show.description"),
        (live.items > 0, f"{live.items} episode(s) in the feed", "publish at least one episode first"),
    ]
    checks.append(_art(show.image, fetch))
    out.info("Before submitting (checked on the live feed):")
    for ok, what, fix in checks:
        out.add(
            Level.INFO if ok else Level.ERROR, f"  {'ok' if ok else 'MISSING'}: {what}" + ("" if ok else f": {fix}")
        )
    if "" in live.blocked:
        out.error(
            '  MISSING: the feed asks every platform not to list it (podcast:block yes): remove "all" from show.block'
        )


def _art(url: str, fetch: Fetch) -> tuple[bool, str, str]:
    fix = "a square JPEG or PNG of 1400–3000 px (`podcast artwork check`)"
    if not url:
        return False, "artwork: none in the feed", fix
    try:
        data, _ = fetch(url, MAX_ART)
    except FetchError as exc:
        return False, f"artwork cannot be fetched: {exc}", "publish it (`podcast feed`)"
    with tempfile.TemporaryDirectory(prefix="podcast-art-") as folder:
        path = Path(folder) / ("cover.png" if url.lower().endswith(".png") else "cover.jpg")
        path.write_bytes(data)
        report = artwork.inspect(path)
    width, height = report.size
    if report.errors:
        return False, f"artwork {width}×{height}: {'; '.join(report.errors)}", fix
    return True, f"artwork {width}×{height} px, {len(data) // 1024} KB", fix


def _directory(config: Config, directory: Directory, live: Live | None, out: Report) -> None:
    link = getattr(config.show.links, directory.key, "")
    blocked = directory.block_slug in config.show.block or namespace.BLOCK_ALL in config.show.block
    state = "listed: " + link if link else "blocked by show.block: skip it" if blocked else "not listed yet"
    out.info(f"{directory.name} ({state})")
    if link or blocked:
        return
    out.info(f"  submit at {directory.submit}")
    for number, step in enumerate(directory.steps, 1):
        out.info(f"  {number}. {step.format(feed=config.feed_url)}")
    if directory.needs_email and not config.show.owner.email:
        out.warning(f"warning: {directory.name} verifies the show by e-mail: set [show.owner] email first")
    if directory.verify_purpose and live and directory.verify_purpose not in live.txt_purposes:
        out.info(f'  (no podcast:txt purpose="{directory.verify_purpose}" in the feed yet: add it only if asked)')
    if directory.link_hint:
        out.info(f'  once listed, set show.links.{directory.key} = "{directory.link_hint}": the site links to it')


# ---------------------------------------------------------------------------------------
# Podcast Index API


def auth_headers(key: str, secret: str, now: float | None = None) -> dict[str, str]:
    """Podcast Index's authentication: the key, the time, and the SHA-1 of key + secret + time."""
    stamp = str(int(time.time() if now is None else now))
    digest = hashlib.sha1((key + secret + stamp).encode(), usedforsecurity=False).hexdigest()
    return {"X-Auth-Key": key, "X-Auth-Date": stamp, "Authorization": digest}


def _podcastindex(config: Config, out: Report, *, dry_run: bool) -> None:
    key, secret = os.environ.get(KEY_ENV, "").strip(), os.environ.get(SECRET_ENV, "").strip()
    if not (key and secret):
        out.info(f"Podcast Index API: set {KEY_ENV} and {SECRET_ENV} (api.podcastindex.org) to add the feed from here")
        return
    if not is_public(config.feed_url):
        out.warning(f"warning: Podcast Index API not used: {config.feed_url} is a local preview")
        return
    base = os.environ.get(API_ENV, API).rstrip("/")
    feed = config.feed_url
    if dry_run:
        out.info(f"would look the feed up, add it if missing, and ping it: {base}/podcasts/byfeedurl?url={feed}")
        return
    try:
        feed_id = _add(base, key, secret, feed, out)
    except FetchError as exc:
        out.error(f"error: Podcast Index API: {exc}")
        return
    if feed_id:
        _remember_link(config, PAGE.format(id=feed_id), out)


def _call(base: str, path: str, key: str, secret: str, query: dict[str, str]) -> dict[str, Any]:
    url = f"{base}/{path}?{urlencode(query)}"
    answer = http.send(url, "GET", headers=auth_headers(key, secret))
    try:
        data = safejson.loads(answer.body or b"{}", limit=API_ANSWER_MAX)
    except safejson.JsonProblem:  # a proxy's error page: the status says what happened
        data = {}
    if not isinstance(data, dict):
        data = {}
    if answer.status in (401, 403):
        raise FetchError(f"{path}: refused ({answer.status}): check {KEY_ENV} and {SECRET_ENV}")
    if answer.status >= 400:
        said = str(data.get("description", ""))[:200]
        raise FetchError(f"{path}: the API answered {answer.status}{': ' + said if said else ''}")
    return data


def _add(base: str, key: str, secret: str, feed: str, out: Report) -> int | None:
    found = _call(base, "podcasts/byfeedurl", key, secret, {"url": feed}).get("feed")
    feed_id = found.get("id") if isinstance(found, dict) else None
    if isinstance(feed_id, int) and feed_id > 0:
        out.info(f"Podcast Index: already listed (feed {feed_id})")
    else:
        added = _call(base, "add/byfeedurl", key, secret, {"url": feed})
        feed_id = added.get("feedId")
        if not (isinstance(feed_id, int) and feed_id > 0):
            out.error(f"error: Podcast Index did not add the feed: {str(added.get('description', added))[:200]}")
            return None
        out.info(f"Podcast Index: feed added (feed {feed_id})")
    _call(base, "hub/pubnotify", key, secret, {"url": feed})
    out.info("Podcast Index: pinged, it reads the feed now")
    return feed_id


def _remember_link(config: Config, page: str, out: Report) -> None:
    if config.show.links.podcastindex == page:
        return
    if config.show.links.podcastindex:
        out.info(f"  Podcast Index page: {page} (show.links.podcastindex says {config.show.links.podcastindex})")
        return
    with producer_files.edit(config.root / CONFIG_NAME, config.root) as document:
        document.set("show.links.podcastindex", page)
    out.info(f"  show.links.podcastindex = {page} written to {CONFIG_NAME}: the site links to it from now on")
