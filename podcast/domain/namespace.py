"""Facts of the Podcasting 2.0 namespace that are data, not XML: the service slugs
`podcast:block` names, the protocols of `podcast:socialInteract`, the limits apps truncate at,
recurrence rules for `podcast:updateFrequency` (checked, described, and inferred from a
publication history), and the SRI form of `podcast:integrity`."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# https://github.com/Podcastindex-org/podcast-namespace/blob/main/serviceslugs.txt
SERVICE_SLUGS = frozenset(
    [
        "acast",
        "amazon",
        "anchor",
        "apple",
        "audible",
        "audioboom",
        "backtracks",
        "bitcoin",
        "blubrry",
        "buzzsprout",
        "captivate",
        "castos",
        "castopod",
        "facebook",
        "fireside",
        "fyyd",
        "google",
        "gpodder",
        "hypercatcher",
        "kasts",
        "libsyn",
        "mastodon",
        "megafono",
        "megaphone",
        "omnystudio",
        "overcast",
        "paypal",
        "pinecast",
        "podbean",
        "podcastaddict",
        "podcastguru",
        "podcastindex",
        "podcasts",
        "podchaser",
        "podcloud",
        "podfriend",
        "podiant",
        "podigee",
        "podnews",
        "podomatic",
        "podserve",
        "podverse",
        "redcircle",
        "relay",
        "resonaterecordings",
        "rss",
        "shoutengine",
        "simplecast",
        "slack",
        "soundcloud",
        "spotify",
        "spreaker",
        "tiktok",
        "transistor",
        "twitter",
        "whooshkaa",
        "youtube",
        "zencast",
    ]
)
BLOCK_ALL = "all"  # our spelling of an unbounded <podcast:block>yes</podcast:block>
# https://github.com/Podcastindex-org/podcast-namespace/blob/main/socialprotocols.txt
SOCIAL_PROTOCOLS = ("activitypub", "atproto", "nostr", "matrix", "hive", "twitter", "lightning", "disabled")
# The framework the namespace cites for purpose="ai-content".
AI_DISCLOSURE_URL = "https://shouldidisclose.ai"

TXT_MAX = 4000  # characters of a podcast:txt value before aggregators truncate
PURPOSE_MAX = 128
SHORT_TEXT_MAX = 128  # updateFrequency and trailer titles
VERIFY_PURPOSES = ("verify", "applepodcastsverify")
RESERVED_PURPOSES = ("ai-content",)  # set through its own key, not as free text

_FREQS = ("SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_RRULE_PARTS = frozenset(
    [
        "FREQ",
        "UNTIL",
        "COUNT",
        "INTERVAL",
        "BYSECOND",
        "BYMINUTE",
        "BYHOUR",
        "BYDAY",
        "BYMONTHDAY",
        "BYYEARDAY",
        "BYWEEKNO",
        "BYMONTH",
        "BYSETPOS",
        "WKST",
    ]
)


def rrule_parts(rule: str) -> dict[str, str]:
    """An RFC 5545 RRULE as NAME → value (names upper-cased); '' values kept for the checker."""
    parts: dict[str, str] = {}
    for chunk in rule.strip().removeprefix("RRULE:").split(";"):
        name, _, value = chunk.partition("=")
        parts[name.strip().upper()] = value.strip()
    return parts


def rrule_problem(rule: str, has_start: bool) -> str:
    """Why `rule` is not an RFC 5545 recurrence rule apps can read ('' when it is one)."""
    parts = rrule_parts(rule)
    unknown = sorted(set(parts) - _RRULE_PARTS)
    if unknown:
        return f"'{unknown[0]}' is not part of an RFC 5545 rule (e.g. \"FREQ=WEEKLY;INTERVAL=2\")"
    if parts.get("FREQ", "").upper() not in _FREQS:
        return f'must start with FREQ={"|".join(_FREQS[3:])} (e.g. "FREQ=MONTHLY")'
    for name in ("INTERVAL", "COUNT"):
        if name in parts and not (parts[name].isdigit() and int(parts[name]) > 0):
            return f"{name} must be a whole number above 0, not {parts[name]!r}"
    if "COUNT" in parts and "UNTIL" in parts:
        return "COUNT and UNTIL cannot both be given"
    if "COUNT" in parts and not has_start:
        return "a rule with COUNT needs dtstart (the date of the first episode it counts)"
    return ""


@dataclass(frozen=True)
class Frequency:
    """A release rhythm: FREQ and INTERVAL of an RRULE."""

    freq: str  # DAILY, WEEKLY, MONTHLY, YEARLY
    interval: int = 1

    @property
    def rrule(self) -> str:
        return f"FREQ={self.freq}" + (f";INTERVAL={self.interval}" if self.interval > 1 else "")

    @classmethod
    def of(cls, rule: str) -> Frequency:
        parts = rrule_parts(rule)
        interval = parts.get("INTERVAL", "1")
        return cls(parts.get("FREQ", "").upper(), int(interval) if interval.isdigit() else 1)


MIN_HISTORY = 3  # episodes needed before a rhythm is inferred


def infer_frequency(dates: Sequence[dt.datetime], recent: int = 12) -> Frequency | None:
    """The rhythm of the last `recent` intervals between publications (their median, rounded
    to days, weeks, months or years); None with fewer than MIN_HISTORY dates or no rhythm."""
    ordered = sorted(dates)[-(recent + 1) :]
    if len(ordered) < MIN_HISTORY:
        return None
    days = statistics.median((b - a).total_seconds() / 86400 for a, b in itertools.pairwise(ordered))
    if days < 0.5:
        return None
    if days < 4:
        return Frequency("DAILY", max(1, round(days)))
    if days < 26:
        return Frequency("WEEKLY", max(1, round(days / 7)))
    if days < 320:
        return Frequency("MONTHLY", max(1, round(days / 30.44)))
    return Frequency("YEARLY", max(1, round(days / 365.25)))


def sri(digest_sha384: bytes) -> str:
    """The Subresource Integrity string of a file whose SHA-384 digest is given."""
    return "sha384-" + base64.b64encode(digest_sha384).decode("ascii")


def sri_of(data: bytes) -> str:
    return sri(hashlib.sha384(data).digest())
