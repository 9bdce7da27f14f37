"""Log grammars on recorded lines, and the two readers (DuckDB's scan, Python's parse) agreeing
line by line on every format, hostile lines included; the pure counting rules."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from podcast.domain import audience, logformats
from podcast.edges.analytics import LogFile, Store

from . import logtruth
from .logtruth import Media

# Recorded lines, as the documentation of each server shows them.
S3_LINE = (
    "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be awsexamplebucket1 [06/Feb/2019:00:00:38 +0000] "
    "192.0.2.3 79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be 3E57427F3EXAMPLE REST.GET.OBJECT "
    'show/episodes/ep/ep-0123456789ab.mp3 "GET /show/episodes/ep/ep-0123456789ab.mp3 HTTP/1.1" 206 - 1048576 '
    '41943040 70 10 "-" "Podcasts/1650.20 CFNetwork/1474 Darwin/23.0.0" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6Uk'
    "FVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1."
    "amazonaws.com TLSV1.2 - -"
)
CLOUDFRONT_LINE = (
    "2019-12-04\t21:02:31\tLAX1\t392\t192.0.2.100\tGET\td111111abcdef8.cloudfront.net\t/episodes/ep/ep-0123456789ab.mp3"
    "\t200\t-\tMozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20"
    "Chrome/78.0.3904.108%20Safari/537.36\t-\t-\tHit\tSOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==\t"
    "d111111abcdef8.cloudfront.net\thttps\t23\t0.001\t-\tTLSv1.2\tECDHE-RSA-AES128-GCM-SHA256\tHit\tHTTP/2.0\t-\t-\t"
    "11040\t0.001\tHit\taudio/mpeg\t78\t-\t-"
)
APACHE_LINE = (
    '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /episodes/ep/ep-0123456789ab.mp3?x=1 HTTP/1.0" 200 2326 '
    '"http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav) \\"quoted\\""'
)


def test_recorded_lines() -> None:
    s3 = logformats.parse("s3", S3_LINE)
    assert s3 == logformats.Request(
        dt.datetime(2019, 2, 6, 0, 0, 38, tzinfo=dt.UTC),
        "192.0.2.3",
        "GET",
        "episodes/ep/ep-0123456789ab.mp3",
        206,
        1048576,
        "Podcasts/1650.20 CFNetwork/1474 Darwin/23.0.0",
    )
    cloudfront = logformats.parse("cloudfront", CLOUDFRONT_LINE)
    assert cloudfront is not None and cloudfront.bytes == 78  # sc-bytes 392 includes the headers
    assert cloudfront.agent.startswith("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")
    apache = logformats.parse("combined", APACHE_LINE)
    assert apache is not None and apache.time == dt.datetime(2000, 10, 10, 20, 55, 36, tzinfo=dt.UTC)
    assert apache.key == "episodes/ep/ep-0123456789ab.mp3" and apache.agent.endswith('\\"quoted\\"')
    assert logformats.parse("combined", "#Version: 1.0") is None
    assert logformats.parse("cloudfront", "#Fields: date time") is None
    assert logformats.media_key("/show/episodes/ep/index.html") == "episodes/ep/index.html"
    assert logformats.media_key("/feed.xml") == "" and logformats.media_key("/episodes/../etc/passwd") == ""


def test_serve_lines_escape_what_would_end_a_field() -> None:
    when = dt.datetime(2024, 5, 14, 10, tzinfo=dt.UTC)
    line = logformats.combined_line("::1", when, 'GET /a"b HTTP/1.1', 200, 10, "", 'Evil"\n1.2.3.4 - - [x] "GET')
    assert "\n" not in line and line.count('"') == 6
    parsed = logformats.parse("combined", line)
    assert parsed is not None and parsed.ip == "::1" and parsed.agent.startswith("Evil\\x22\\x0A")


HOSTILE = [
    '1.2.3.4 - - [14/May/2024:10:00:00 +0200] "GET /episodes/ep/ep-0123456789ab.mp3 HTTP/2.0" 206 - "-" "a\\"b"',
    '1.2.3.4 - - [14/May/2024:10:00:00 +0000] "GET /episodes/ep/ep-0123456789ab.mp3" 200 5 "-" "x" 0.002 extra fields',
    '1.2.3.4 - - [14/May/2024:10:00:00 +0000] "GET /episodes/ep/ep-0123456789ab.mp3 HTTP/1.1" 200 5',
    '1.2.3.4 - - [14/May/2024:10:00:00 +0000] "-" 400 0 "-" "-"',
    '1.2.3.4 - - [14/May/2024:10:00:00 +0000] "\\x16\\x03\\x01" 400 157 "-" "-"',
    '1.2.3.4 - - [31/Feb/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"',
    '1.2.3.4 - - [14/Mai/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 5 "-" "x"',
    '٣.٣.٣.٣ - - [14/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 ٣ "-" "x"',
    '1.2.3.4 - - [14/May/2024:10:00:00 +0000] "GET /episodes/ep/ep-0123456789ab.mp3 HTTP/1.1" 200 5 "-" "'
    + "A" * 20000
    + '"',
    "\t".join(["2024-05-14", "10:00:00", "X", "10", "1.2.3.4", "GET", "h", "/p"]),
    "",
    "   ",
]


@pytest.mark.parametrize("fmt", logformats.FORMATS)
def test_duckdb_and_python_read_every_line_alike(fmt: str, tmp_path: Path) -> None:
    media = [Media(f"episodes/ep{i}/ep{i}-0123456789ab.mp3", f"ep{i}", 40_000_000, 1_000_000) for i in range(4)]
    truth = logtruth.scenario(*media)
    writers: dict[str, Callable[[logtruth.Hit], str]] = {
        "combined": logtruth.combined,
        "s3": logtruth.s3,
        "cloudfront": logtruth.cloudfront,
    }
    writer = writers[fmt]
    lines = [writer(hit) for hit in truth.hits] + HOSTILE + [S3_LINE, CLOUDFRONT_LINE, APACHE_LINE]
    path = tmp_path / "log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Store(tmp_path / "db.duckdb", tmp_path / "scratch") as store:
        rows = store.requests(LogFile(path, fmt))
    engine: Counter[tuple[str, object]] = Counter()
    for line, ok, time, ip, method, key, status, sent, agent in rows:
        engine[(line, (time.astimezone(dt.UTC), ip, method, key, status, sent, agent) if ok else None)] += 1
    python: Counter[tuple[str, object]] = Counter()
    for line in lines:
        if (fmt == "cloudfront" and line.startswith("#")) or not line.strip():
            continue  # a header, a blank line: no request
        found = logformats.parse(fmt, line)
        python[
            (
                line,
                (found.time, found.ip, found.method, found.key, found.status, found.bytes, found.agent)
                if found
                else None,
            )
        ] += 1
    assert engine == python
    assert sum(1 for (_, parsed) in python if parsed) >= len(truth.hits)


def test_ipv6_is_cut_to_64_bits_alike_in_sql_and_python(tmp_path: Path) -> None:
    generator = random.Random(7)
    samples = ["1.2.3.4", "::ffff:192.0.2.1", "::1", "::", "2001:db8::", "fe80::1:2:3:4:5", "2001:DB8:0:0:1::1"]
    for _ in range(300):
        address = ipaddress.IPv6Address(generator.getrandbits(128) & ~((1 << generator.randrange(0, 128)) - 1))
        samples += [str(address), address.exploded, address.exploded.upper()]
    with Store(tmp_path / "db.duckdb", tmp_path / "scratch") as store:
        found = {ip: store.query("SELECT ipkey(?)", [ip])[0][0] for ip in samples}
    assert found == {ip: audience.listener_ip(ip) for ip in samples}
    assert audience.listener_ip("2001:db8:1:2:aaaa::1") == audience.listener_ip("2001:0db8:0001:0002:ffff::9")


def test_every_opawg_example_is_classified_as_its_entry() -> None:
    agents = audience.Agents()
    checked = 0
    for kind in ("bots", "apps", "libraries", "browsers"):
        runtime = {e["name"]: e for e in json.loads((audience.OPAWG / f"{kind}.runtime.json").read_text())["entries"]}
        for entry in json.loads((logtruth.OPAWG / f"{kind}.examples.json").read_text())["entries"]:
            bot = kind == "bots" or runtime[entry["name"]].get("category") == "bot"
            for example in entry["examples"]:
                found = agents.classify(example)
                checked += 1
                if bot:
                    assert not found.counted, (example, found)
                else:
                    assert found == audience.Agent(kind.rstrip("s"), entry["name"]), example
    assert checked > 1000
    assert agents.classify("") == audience.Agent("none", "") and agents.classify("Zork/1.0").name == audience.UNKNOWN
    assert agents.classify(logtruth.OUR_CHECK).kind == "own" and agents.classify(logtruth.WATCH).kind == "watch"


def test_thresholds() -> None:
    header = b"ID3\x04\x00\x00\x00\x00\x02\x01"  # syncsafe 257
    assert audience.id3_size(header) == 10 + 257
    assert audience.id3_size(b"ID3\x04\x00\x10\x00\x00\x00\x01") == 10 + 1 + 10  # with a footer
    assert audience.id3_size(b"\xff\xfb\x90\x00" + b"\x00" * 6) == 0
    assert audience.id3_size(b"ID3\x04\x00\x00\x80\x00\x00\x00") is None
    assert audience.mp3_kbps(b"\xff\xfb\x70\x00") == 96 and audience.mp3_kbps(b"\xff\xfb\x90\x00") == 128
    assert audience.mp3_kbps(b"\xff\xf3\x70\x00") == 56  # MPEG-2
    assert audience.mp3_kbps(b"RIFF") is None
    assert audience.threshold(40_000_000, 500_000, 2400.0) == 500_000 + 987_500  # header + 60 s at the average
    assert audience.threshold(40_000_000, 1000, None, 96) == 1000 + 720_000
    assert audience.threshold(600_000, 1000, 30.0) == 600_000  # under a minute: the whole file
    assert audience.threshold(40_000_000, None, 2400.0) == 40_000_000  # header unknown: the whole file
