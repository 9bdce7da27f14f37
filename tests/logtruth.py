"""Access logs written from a scripted ground truth, in every format `podcast stats` reads.

Each story is what listeners (and bots, and our own checks) did, written as requests; beside
it, the downloads the IAB rules give, decided here from the story itself (an app's name is the
OPAWG entry whose real example user agent the listener sends), never by the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

OPAWG = Path(__file__).resolve().parent / "fixtures" / "opawg"
DAY = dt.date(2024, 5, 14)
HEADERS = 300  # CloudFront's sc-bytes counts the response headers too


def examples(name: str, kind: str = "apps") -> list[str]:
    for entry in json.loads((OPAWG / f"{kind}.examples.json").read_text(encoding="utf-8"))["entries"]:
        if entry["name"] == name:
            return list(entry["examples"])
    raise KeyError(name)


APPLE = examples("Apple Podcasts")[0]
ANTENNAPOD = examples("AntennaPod")[0]
SPOTIFY = examples("Spotify")[0]
OVERCAST = examples("Overcast")[0]
POCKET_CASTS = examples("Pocket Casts")[0]
CHROME = examples("Chrome", "browsers")[0]
BOTS = examples("Googlebot", "bots") + examples("AhrefsBot", "bots")
WATCH = "atc/1.0 watchOS/7.1 model/Watch5,1 hwp/t8006 build/18R590 (6; dt:201)"
OUR_CHECK = "podcast/0.1.0 (+https://github.com/podcast; offline-first podcast tool)"


@dataclass(frozen=True)
class Media:
    key: str  # "episodes/SLUG/FILE"
    episode: str
    size: int
    threshold: int  # ID3 header + one minute, computed by the test from the file itself


@dataclass(frozen=True)
class Hit:
    time: dt.datetime
    ip: str
    agent: str
    method: str
    path: str  # the key or another path ("feed.xml")
    status: int
    sent: int  # body bytes sent
    length: int  # the body's announced length (Content-Length)


@dataclass
class Truth:
    hits: list[Hit] = field(default_factory=list)
    downloads: Counter[tuple[str, dt.date, str]] = field(default_factory=Counter)  # (episode, day, app)
    malformed: int = 0

    def at(self, day: dt.date, hour: float) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) + dt.timedelta(hours=hour)

    def get(self, when: dt.datetime, ip: str, agent: str, media: Media, start: int, end: int | None) -> None:
        """A GET for bytes start..end (inclusive; None: to the end), sent whole."""
        last = media.size - 1 if end is None else min(end, media.size - 1)
        ranged = start > 0 or end is not None
        body = last - start + 1
        self.hits.append(Hit(when, ip, agent, "GET", media.key, 206 if ranged else 200, body, body))

    def cut(self, when: dt.datetime, ip: str, agent: str, media: Media, sent: int) -> None:
        """A whole-file GET the listener stopped after `sent` bytes."""
        self.hits.append(Hit(when, ip, agent, "GET", media.key, 200, sent, media.size))

    def other(self, when: dt.datetime, ip: str, agent: str, method: str, path: str, status: int, sent: int) -> None:
        self.hits.append(Hit(when, ip, agent, method, path, status, sent, sent))

    def counts(self, media: Media, day: dt.date, app: str, n: int = 1) -> None:
        self.downloads[(media.episode, day, app)] += n

    def by_episode(self) -> dict[str, int]:
        found: Counter[str] = Counter()
        for (episode, _, _), n in self.downloads.items():
            found[episode] += n
        return dict(found)

    def by_app(self) -> dict[str, int]:
        found: Counter[str] = Counter()
        for (_, _, app), n in self.downloads.items():
            found[app] += n
        return dict(found)


def scenario(ep1: Media, ep1_old: Media, ep2: Media, ep3: Media) -> Truth:
    """The stories. ep1_old is ep1's superseded file; ep3 an imported episode (published as-is)."""
    t = Truth()
    d0, d1 = DAY, DAY + dt.timedelta(days=1)
    minute = ep1.threshold

    # Apple Podcasts: the 2-byte probe, then the file in three ranges (together over a minute)
    t.get(t.at(d0, 8), "203.0.113.10", APPLE, ep1, 0, 1)
    t.get(t.at(d0, 8.01), "203.0.113.10", APPLE, ep1, 0, minute // 3)
    t.get(t.at(d0, 8.02), "203.0.113.10", APPLE, ep1, minute // 3 + 1, 2 * minute // 3)
    t.get(t.at(d0, 8.03), "203.0.113.10", APPLE, ep1, 2 * minute // 3 + 1, minute + 5000)
    t.counts(ep1, d0, "Apple Podcasts")

    # AntennaPod on IPv6: two addresses of one /64 (privacy addresses), half the minute each
    t.get(t.at(d0, 9), "2001:db8:1:2::10", ANTENNAPOD, ep1, 0, minute // 2)
    t.get(t.at(d0, 9.5), "2001:DB8:1:2:ffff:ee:dd:20", ANTENNAPOD, ep1, minute // 2 + 1, minute + 10)
    t.counts(ep1, d0, "AntennaPod")
    # ...and another /64 is another listener
    t.get(t.at(d0, 9.7), "2001:db8:1:3::10", ANTENNAPOD, ep1, 0, None)
    t.counts(ep1, d0, "AntennaPod")

    # one household: one IP, three apps, three downloads
    for agent, app in ((SPOTIFY, "Spotify"), (OVERCAST, "Overcast"), (POCKET_CASTS, "Pocket Casts")):
        t.get(t.at(d0, 12), "198.51.100.7", agent, ep1, 0, None)
        t.counts(ep1, d0, app)

    # a HEAD prefetch, then a listener who stops under a minute: nothing
    t.other(t.at(d0, 13), "192.0.2.44", POCKET_CASTS, "HEAD", ep2.key, 200, 0)
    t.cut(t.at(d0, 13.1), "192.0.2.44", POCKET_CASTS, ep2, ep2.threshold - 1000)
    # ...and one who stops just over a minute: a download
    t.cut(t.at(d0, 13.2), "192.0.2.45", POCKET_CASTS, ep2, ep2.threshold + 1000)
    t.counts(ep2, d0, "Pocket Casts")

    # re-downloads: twice the same calendar day (one), then after midnight UTC (another)
    t.get(t.at(d0, 10), "192.0.2.77", OVERCAST, ep1, 0, None)
    t.get(t.at(d0, 22), "192.0.2.77", OVERCAST, ep1, 0, None)
    t.counts(ep1, d0, "Overcast")
    t.get(t.at(d1, 1), "192.0.2.77", OVERCAST, ep1, 0, None)
    t.counts(ep1, d1, "Overcast")

    # a browser, the superseded file (still ep1's), the imported episode
    t.get(t.at(d0, 15), "192.0.2.90", CHROME, ep2, 0, None)
    t.counts(ep2, d0, "Chrome")
    t.get(t.at(d1, 7), "192.0.2.91", SPOTIFY, ep1_old, 0, None)
    t.counts(ep1, d1, "Spotify")
    t.get(t.at(d1, 8), "192.0.2.92", APPLE, ep3, 0, None)
    t.counts(ep3, d1, "Apple Podcasts")

    # never counted: bots (the OPAWG's own examples), Apple Watch duplicates, our own checks,
    # no user agent, 304s and errors, the feed and the pages
    for index, agent in enumerate(BOTS):
        t.get(t.at(d0, 16), f"66.249.66.{index + 1}", agent, ep1, 0, None)
    t.get(t.at(d0, 17), "203.0.113.10", WATCH, ep1, 0, None)
    t.other(t.at(d0, 18), "127.0.0.1", OUR_CHECK, "HEAD", ep2.key, 200, 0)
    t.get(t.at(d0, 18), "127.0.0.1", OUR_CHECK, ep2, 0, 1)
    t.get(t.at(d0, 18.1), "192.0.2.99", "", ep2, 0, None)
    t.other(t.at(d0, 19), "192.0.2.100", OVERCAST, "GET", ep2.key, 304, 0)
    t.other(t.at(d0, 19), "192.0.2.101", OVERCAST, "GET", ep2.key, 416, 0)
    t.other(t.at(d0, 19), "192.0.2.102", OVERCAST, "POST", ep2.key, 405, 0)
    for hour in range(0, 24, 2):
        t.other(t.at(d0, hour), "198.51.100.7", SPOTIFY, "GET", "feed.xml", 200, 4000)
    t.other(t.at(d0, 20), "192.0.2.103", CHROME, "GET", "episodes/ep2/index.html", 200, 9000)
    t.other(t.at(d0, 20), "192.0.2.103", CHROME, "GET", "episodes/unknown/unknown-0123456789ab.mp3", 404, 0)
    t.hits.sort(key=lambda h: h.time)
    return t


# ---------------------------------------------------------------------------------------
# Writers


def _clock(time: dt.datetime) -> str:
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    return f"{time:%d}/{months[time.month - 1]}/{time:%Y:%H:%M:%S} +0000"


def combined(hit: Hit, base: str = "") -> str:
    """nginx's combined format (quotes in a field as \\x22)."""
    agent = hit.agent.replace('"', "\\x22") or "-"
    sent = str(hit.sent) if hit.sent else "-"
    return (
        f'{hit.ip} - - [{_clock(hit.time)}] "{hit.method} {base}/{hit.path}?from=rss HTTP/1.1" {hit.status} {sent} '
        f'"-" "{agent}"'
    )


def s3(hit: Hit, bucket: str = "show", prefix: str = "podcast") -> str:
    """An S3 server access log record (the documented field order, with the newer fields)."""
    key = f"{prefix}/{hit.path}" if prefix else hit.path
    operation = f"REST.{hit.method}.OBJECT"
    sent = str(hit.sent) if hit.sent else "-"
    agent = f'"{hit.agent}"' if hit.agent else "-"
    return (
        f"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be {bucket} [{_clock(hit.time)}] {hit.ip} "
        f'- 3E57427F3EXAMPLE {operation} {quote(key)} "{hit.method} /{bucket}/{key} HTTP/1.1" {hit.status} - '
        f'{sent} {hit.length} 70 10 "-" {agent} - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/'
        f"XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader {bucket}.s3.eu-west-3.amazonaws.com TLSv1.2 - -"
    )


CLOUDFRONT_HEADER = (
    "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
    "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header "
    "cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type "
    "cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type "
    "sc-content-type sc-content-len sc-range-start sc-range-end\n"
)


def cloudfront(hit: Hit) -> str:
    """A CloudFront standard log record (tab-separated, user agent URL-encoded)."""
    agent = quote(hit.agent, safe="/;()+:,.=") if hit.agent else "-"
    ranged = hit.status == 206
    fields = [
        f"{hit.time:%Y-%m-%d}",
        f"{hit.time:%H:%M:%S}",
        "CDG50-C1",
        str(hit.sent + HEADERS),
        hit.ip,
        hit.method,
        "d111111abcdef8.cloudfront.net",
        f"/{hit.path}",
        str(hit.status),
        "-",
        agent,
        "from=rss",
        "-",
        "Miss",
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
        "podcast.example.org",
        "https",
        "180",
        "0.042",
        "-",
        "TLSv1.3",
        "TLS_AES_128_GCM_SHA256",
        "Miss",
        "HTTP/2.0",
        "-",
        "-",
        "11040",
        "0.010",
        "Miss",
        "audio/mpeg",
        str(hit.length) if hit.method != "HEAD" else "-",
        "0" if ranged else "-",
        str(hit.length - 1) if ranged else "-",
    ]
    return "\t".join(fields)


MALFORMED = ("this is not a log line", '203.0.113.10 - - [14/May/2024:25:99:00 +0000] "GET / HTTP/1.1"')
