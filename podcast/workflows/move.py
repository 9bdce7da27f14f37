"""`podcast move`: the exact steps to move a show's feed without losing a listener, in either
direction: onto this tool (after `podcast import`) or away from it (`--to URL`).

What directories and apps honour, as their documentation and hosts' migration guides describe it:
- Apple Podcasts: an HTTP 301 on the old feed URL, and <itunes:new-feed-url> in the old feed;
  keep both at least four weeks. Podcasts Connect shows the new URL once Apple has seen it.
- Spotify: the 301; Spotify for Creators also has a "feed URL" setting for the show.
- Podcast Index (and apps built on it): the 301, <itunes:new-feed-url>, and podcast:guid,
  which identifies the show whatever its URL.
- Pocket Casts, Overcast, AntennaPod, Podcast Addict, gPodder: the 301 (most read
  <itunes:new-feed-url> too); an app that refreshes rarely follows it on its next refresh.
Whatever the direction, the same podcast:guid and the same item GUIDs and dates are what make
an app see the same show and the same episodes.
"""

from __future__ import annotations

import contextlib

from podcast.core.errors import PodcastError
from podcast.core.report import Report
from podcast.core.text import url_problem
from podcast.project import episode as episodes
from podcast.project import imported_feed
from podcast.project.config import FEED_NAME, Config
from podcast.project.ids import show_guid

REDIRECT_WEEKS = 4


def steps(config: Config, to: str = "") -> list[str]:
    """What to do, in order, for the move this project is in."""
    if to or config.show.new_feed_url:
        return leaving(config, to or config.show.new_feed_url)
    record = imported_feed.load(config.root)
    if record is None:
        raise PodcastError(
            "nothing to move: this show was not imported (`podcast import FEED`), and no --to URL "
            "(or show.new_feed_url) says where it is going"
        )
    return arriving(config, record)


def arriving(config: Config, record: imported_feed.ImportedFeed) -> list[str]:
    old = record.source or "the old feed's address"
    count = len(record.items)
    pending = _pending(config)
    first = (
        [
            f"0. {len(pending)} episode(s) have their audio pending ({', '.join(pending)}): run "
            f"`podcast import {record.source or 'FEED'}` again first, or the move would lose them.",
        ]
        if pending
        else []
    )
    return [
        f"Moving {config.show.title!r} from {old} to {config.feed_url}:",
        *first,
        "1. Publish everything here first, and check it as an app would:",
        "     podcast publish --all && podcast check --http",
        f"   check compares our feed with the {count} episode(s) of the old one:",
        "   every GUID present, every date the same.",
        f"2. Our feed carries podcast:guid {show_guid(config)}, the same as the old feed's"
        " (set show.guid if check says otherwise).",
        f"3. At the old host, redirect the feed permanently (HTTP 301) to {config.feed_url}; most hosts have a",
        "   'move your podcast' or 'redirect feed' setting, which also sets <itunes:new-feed-url> in the old feed.",
        f"4. Keep that redirect at least {REDIRECT_WEEKS} weeks (Apple's advice), better for good: an app that"
        " refreshes rarely follows it later.",
        "5. Then tell the directories you manage: Apple Podcasts Connect and Spotify for Creators pick up the",
        "   new URL from the redirect; check each one shows the show once, with its episodes.",
        "Apps keep their subscribers and downloads: same podcast:guid, same episode GUIDs and dates,",
        "and the same audio bytes for episodes published as they were.",
    ]


def _pending(config: Config) -> list[str]:
    """Imported episodes whose audio has not been downloaded yet."""
    found = []
    for slug in episodes.all_slugs(config):
        with contextlib.suppress(PodcastError):
            if episodes.load(config, slug).audio_pending:
                found.append(slug)
    return found


def leaving(config: Config, to: str) -> list[str]:
    if why := url_problem(to):
        raise PodcastError(f"--to {why}")
    here = config.feed_url
    lines = [
        f"Moving {config.show.title!r} from {here} to {to}:",
        "1. Publish the show at its new host first, with the same podcast:guid"
        f" ({show_guid(config)}) and the same episode GUIDs and dates.",
    ]
    if config.show.new_feed_url != to:
        lines.append(f'2. Set new_feed_url = "{to}" in [show] of config.toml, then `podcast feed`: our feed')
        lines.append("   then carries <itunes:new-feed-url>, which Apple and Podcast Index follow.")
    else:
        lines.append("2. show.new_feed_url is set: our feed carries <itunes:new-feed-url> (run `podcast feed`).")
    lines.append(f"3. Redirect {here} permanently (HTTP 301) to {to}:")
    lines += _redirect_how(config, to)
    lines += [
        f"4. Keep publishing our feed and the redirect at least {REDIRECT_WEEKS} weeks; never delete the old files",
        "   while apps may still fetch them (`podcast prune` deletes nothing the feed uses).",
    ]
    return lines


def _redirect_how(config: Config, to: str) -> list[str]:
    if config.storage.kind == "s3":
        return [
            "   S3: `podcast feed` stores feed.xml with x-amz-website-redirect-location: the bucket's *website*",
            "   endpoint answers 301 (the REST endpoint serves our feed, which names the new URL). Behind a CDN,",
            "   set the redirect there. A store that ignores the header (SeaweedFS, MinIO) needs a web server",
            "   in front for the redirect.",
        ]
    path = f"/{FEED_NAME}"
    return [
        "   nginx:   location = " + path + " { return 301 " + to + "; }",
        f"   Apache:  Redirect permanent {path} {to}",
        f"   Caddy:   redir {path} {to} permanent",
        "   (podcast serve is for previews; it does not redirect.)",
    ]


def report(config: Config, to: str = "") -> Report:
    """`podcast move`: the steps, as a report."""
    out = Report()
    for line in steps(config, to):
        out.info(line)
    return out
