"""Access-log grammars, as data: each format's line pattern and how its fields become a request.

One grammar serves two readers: the analytical engine (`edges/analytics`, DuckDB's RE2) reads
millions of lines with these patterns, and `parse` below reads one line in Python (tests on
recorded text, line numbers of the lines that do not parse). Patterns use only what RE2 and
Python's `re` (ASCII mode) read the same way.

- `combined`: the nginx/Apache "combined" format (and the common format, without referer and
  agent), which `podcast serve` writes too. nginx escapes a quote in a field as \\x22, Apache
  as \\"; both are read.
- `s3`: Amazon S3 server access logs (space-separated, [time], quoted URI, referer, agent).
- `cloudfront`: CloudFront standard logs (W3C extended, tab-separated, `#` header lines,
  user agent URL-encoded, sc-content-len and the range fields at the end).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import unquote

FORMATS = ("combined", "s3", "cloudfront")

_QUOTED = r'"((?:[^"\\]|\\.)*)"'  # a quoted field; \" and \x22 escapes inside

# field names, in the order of the pattern's capture groups
COMBINED = (
    r"^(\S+) \S+ \S+ \[([^\]]+)\] " + _QUOTED + r" (\d{3}|-) (\d+|-)(?: " + _QUOTED + " " + _QUOTED + ")?",
    ("ip", "time", "request", "status", "bytes", "referer", "agent"),
)
# The combined grammar again, for an engine that splits a line at its quotes first (faster than
# capturing groups): a line with no backslash whose 7 parts are `HEAD "request" MID "referer"
# "agent"` reads the same as with COMBINED; any other line is read with COMBINED itself.
COMBINED_HEAD = r"^[^ \[\]]+ [^ \[\]]+ [^ \[\]]+ \[[^\]]+\] $"  # 'IP ident user [time] '
COMBINED_MID = r"^ (\d{3}|-) (\d+|-) $"  # ' status bytes '
S3 = (
    r'^\S+ \S+ \[([^\]]+)\] (\S+) \S+ \S+ (\S+) (\S+) (?:"[^"]*"|-) (\d{3}|-) \S+ (\d+|-) (?:\d+|-) (?:\d+|-) '
    r'(?:\d+|-) (?:"[^"]*"|-) (?:"([^"]*)"|-)',
    ("time", "ip", "operation", "key", "status", "bytes", "agent"),
)
CLOUDFRONT = (
    r"^(\d{4}-\d\d-\d\d)\t(\d\d:\d\d:\d\d)\t[^\t]*\t(\d+)\t([^\t]+)\t([A-Z]+)\t[^\t]*\t([^\t]+)\t(\d{3})\t[^\t]*"
    r"\t([^\t]*)(?:(?:\t[^\t]*){19}\t(\d+|-))?",
    ("date", "clock", "bytes", "ip", "method", "path", "status", "agent", "content_length"),
)
GRAMMARS: dict[str, tuple[str, tuple[str, ...]]] = {"combined": COMBINED, "s3": S3, "cloudfront": CLOUDFRONT}

# The request line of the combined format: method, target, protocol.
REQUEST = r"^([A-Z]+) (\S+)(?: HTTP/\d(?:\.\d)?)?$"
# A published media key inside a URL path or an S3 key: "episodes/SLUG/FILE" at its end
# (whatever prefix or base path the server puts before it), query string removed first.
MEDIA_KEY = r"(?:^|/)(episodes/[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*)$"
TIME_FORMAT = "%d/%b/%Y:%H:%M:%S %z"  # [10/Oct/2000:13:55:36 -0700] (combined and S3)
COMMENT = "#"  # CloudFront's #Version and #Fields lines

_MONTHS = {
    m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}
_COMPILED = {name: re.compile(pattern, re.ASCII) for name, (pattern, _) in GRAMMARS.items()}
_REQUEST = re.compile(REQUEST, re.ASCII)
_MEDIA_KEY = re.compile(MEDIA_KEY, re.ASCII)


@dataclass(frozen=True)
class Request:
    """One logged request, as the counting rules see it."""

    time: dt.datetime  # aware, UTC
    ip: str
    method: str
    key: str  # the published media key it asked for ("episodes/SLUG/FILE"), or "" for anything else
    status: int
    bytes: int  # body bytes sent
    agent: str


def s3_method(operation: str) -> str:
    """REST.GET.OBJECT → GET, WEBSITE.HEAD.OBJECT → HEAD; '' for other operations."""
    parts = operation.split(".")
    return parts[1] if len(parts) == 3 and parts[0] in ("REST", "WEBSITE") and parts[2] == "OBJECT" else ""


def media_key(path: str) -> str:
    """The published key a URL path or S3 key names ('' when it names none)."""
    found = _MEDIA_KEY.search(path.split("?", 1)[0].split("#", 1)[0])
    return found.group(1) if found else ""


def parse(fmt: str, line: str) -> Request | None:
    """One line in `fmt`, or None when it is malformed (a CloudFront # line is None too)."""
    found = _COMPILED[fmt].match(line.rstrip("\r\n"))
    if not found:
        return None
    fields = dict(zip(GRAMMARS[fmt][1], (g or "" for g in found.groups()), strict=True))
    try:
        return _READERS[fmt](fields)
    except ValueError:
        return None


def _number(text: str) -> int:
    return 0 if text in ("", "-") else int(text)


_LOG_TIME = re.compile(r"^(\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$", re.ASCII)


def _log_time(text: str) -> dt.datetime:
    """[10/Oct/2000:13:55:36 -0700] in UTC (month names are English whatever the locale)."""
    found = _LOG_TIME.match(text)
    if not found or found.group(2).title() not in _MONTHS:
        raise ValueError(f"not a log time: {text!r}")
    day, month, year, hour, minute, second, sign, zone_h, zone_m = found.groups()
    offset = dt.timedelta(hours=int(zone_h), minutes=int(zone_m)) * (-1 if sign == "-" else 1)
    local = dt.datetime(
        int(year), _MONTHS[month.title()], int(day), int(hour), int(minute), int(second), tzinfo=dt.timezone(offset)
    )
    return local.astimezone(dt.UTC)


def _combined(f: dict[str, str]) -> Request:
    request = _REQUEST.match(f["request"])
    method, target = (request.group(1), request.group(2)) if request else ("", "")
    return Request(
        _log_time(f["time"]), f["ip"], method, media_key(target), _number(f["status"]), _number(f["bytes"]), f["agent"]
    )


def _s3(f: dict[str, str]) -> Request:
    return Request(
        _log_time(f["time"]),
        f["ip"],
        s3_method(f["operation"]),
        media_key(f["key"]),
        _number(f["status"]),
        _number(f["bytes"]),
        f["agent"],
    )


def _cloudfront(f: dict[str, str]) -> Request:
    time = dt.datetime.fromisoformat(f"{f['date']}T{f['clock']}+00:00")
    sent = _number(f["bytes"])
    if f["content_length"] not in ("", "-"):  # sc-bytes counts the headers too
        sent = min(sent, int(f["content_length"]))
    agent = unquote(f["agent"]) if f["agent"] != "-" else ""
    return Request(time, f["ip"], f["method"], media_key(f["path"]), _number(f["status"]), sent, agent)


_READERS = {"combined": _combined, "s3": _s3, "cloudfront": _cloudfront}


def combined_line(
    ip: str, time: dt.datetime, request: str, status: int, sent: int, referer: str = "", agent: str = ""
) -> str:
    """A line in the combined format (what `podcast serve` writes), quotes and controls escaped
    as nginx does (\\xHH), so no field can end early or start a new line."""
    stamp = time.strftime("%d/") + list(_MONTHS)[time.month - 1] + time.strftime("/%Y:%H:%M:%S %z")
    return (
        f'{ip} - - [{stamp}] "{_escape(request)}" {status} {sent if sent else "-"} '
        f'"{_escape(referer) or "-"}" "{_escape(agent) or "-"}"'
    )


def _escape(text: str) -> str:
    return "".join(f"\\x{ord(c):02X}" if c in '"\\' or ord(c) < 0x20 or ord(c) == 0x7F else c for c in text)
