"""`podcast podroll add URL` and `podcast podroll publisher URL`: another show named in the feed
by its podcast:guid. The feed is fetched once, now, to read its GUID and title (a show that moved
keeps its GUID, which the URL alone cannot give); a feed without one, or one that cannot be
fetched, gets the GUID the namespace's rule computes from its URL, and the report says which.
The entry is written to config.toml through the style-preserving writer."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from podcast.core.errors import ConfigError, FetchError, ImportProblem
from podcast.core.report import Report
from podcast.core.text import url_problem
from podcast.domain import feedreader
from podcast.edges import http
from podcast.project import producer_files
from podcast.project.config import CONFIG_NAME, Config
from podcast.project.ids import guid_from_feed_url, show_guid
from podcast.release import rss

Fetch = Callable[[str, int], tuple[bytes, str]]
MAX_FEED = 64 << 20


def add(
    config: Config,
    url: str,
    *,
    publisher: bool = False,
    title: str = "",
    dry_run: bool = False,
    fetch: Fetch = http.fetch,
) -> Report:
    if why := url_problem(url):
        raise ConfigError(f"{url}: {why}")
    out = Report()
    guid, found_title = _identify(url, out, fetch)
    if guid == show_guid(config):
        raise ConfigError(f"{url} is this show itself (podcast:guid {guid})")
    title = title or found_title
    row = {"guid": guid, "url": url, "title": title}
    path = config.root / CONFIG_NAME
    if publisher:
        where = "[show.publisher]"
        with producer_files.edit(path, config.root, dry_run=dry_run) as document:
            document.set_all({f"show.publisher.{key}": value for key, value in row.items() if value})
    else:
        where = "[[show.podroll]]"
        if any(rss.remote_guid(feed) == guid for feed in config.show.podroll):
            out.info(f"{url} is already in the podroll (podcast:guid {guid}): nothing to change")
            return out
        with producer_files.edit(path, config.root, dry_run=dry_run) as document:
            document.append("show.podroll", row)
    verb = "would add" if dry_run else "added"
    out.info(f"{verb} {where} guid = {guid!r}{f', title = {title!r}' if title else ''} to {CONFIG_NAME}")
    return out


def _identify(url: str, out: Report, fetch: Fetch) -> tuple[str, str]:
    """(podcast:guid, title) of the feed at `url`: read from it, or the GUID computed."""
    computed = guid_from_feed_url(url)
    try:
        data, final = fetch(url, MAX_FEED)
    except FetchError as exc:
        out.warning(f"warning: {exc}: the GUID is computed from the URL by the Podcasting 2.0 rule ({computed})")
        return computed, ""
    with tempfile.TemporaryDirectory(prefix="podcast-podroll-") as folder:
        path = Path(folder) / "feed.xml"
        path.write_bytes(data)
        try:
            show = feedreader.read_show(path, final)
        except ImportProblem as exc:  # it names the feed's address already
            raise ConfigError(str(exc)) from None
    if show.guid:
        out.info(f"read podcast:guid {show.guid} from the feed ({show.title})")
        return show.guid, show.title
    out.info(f"the feed has no podcast:guid: computed from its URL by the Podcasting 2.0 rule ({computed})")
    return computed, show.title
