"""The IAB counting rules that need no engine: who is a listener, what an agent is, how many
bytes make a download (IAB Tech Lab, Podcast Measurement Technical Guidelines v2.2).

- Step 1.2 (filtering): bots and non-listening agents out, named by the OPAWG lists
  (`opawg/`, MIT); Apple Watch duplicates out; 2-byte probes out; our own checks out.
- Step 1.3 (HTTP requests): GET with 200 or 206 only (HEAD, 304 and errors are not downloads).
- Step 2 (file threshold): the ID3 header plus one minute of audio, or the whole file when
  shorter (or when the header cannot be known).
- Step 3 (uniques): a listener is an IP address (IPv6 cut to its first 64 bits, as v2.1 added)
  and a user agent; byte ranges of one listener for one file in one window are added up.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from podcast import __version__

# Our own requests (`podcast check --http`, imports): recognisable, never counted.
AGENT_NAME = "podcast"
USER_AGENT = f"{AGENT_NAME}/{__version__} (+https://github.com/podcast; offline-first podcast tool)"
OWN_AGENT = rf"^{AGENT_NAME}/[0-9][0-9A-Za-z.+-]* \(\+https://github\.com/podcast; offline-first podcast tool\)$"
_OWN = re.compile(OWN_AGENT)

COUNTED_STATUSES = (200, 206)  # Step 1.3: 200 and 206 (partial) GETs; 304 and errors are not downloads
PROBE_BYTES = 2  # Step 1.2 (6): a range request for bytes 0-1 checks Range support, it is not a download
SECONDS = 60  # Step 2: one minute of audio
GRACE_DAYS = 3  # a day's listener hashes are kept this long after it ends, for logs delivered late

OPAWG = Path(__file__).with_name("opawg")
LISTS = ("bots", "apps", "libraries", "browsers")  # the order the OPAWG README prescribes

# What an agent is, for counting: the kinds below are left out, with the reason reported.
EXCLUDED = {
    "bot": "bots and non-listening agents (OPAWG)",
    "own": "this tool's own checks",
    "watch": "Apple Watch duplicates",
    "none": "no user agent",
}
UNKNOWN = "Other"
BREAKDOWNS = ("episode", "app", "day", "week", "month")  # how reports group downloads


@dataclass(frozen=True)
class Agent:
    kind: str  # "app", "library", "browser", "unknown" (counted) or a key of EXCLUDED
    name: str  # the app's name (the OPAWG entry), or "" when excluded

    @property
    def counted(self) -> bool:
        return self.kind not in EXCLUDED


@dataclass(frozen=True)
class _Entry:
    name: str
    pattern: re.Pattern[str]
    kind: str


class Agents:
    """The OPAWG classifier: bots, then apps, then libraries, then browsers; in each list the
    first entry whose pattern matches wins (the lists' own rule, so everyone gets one answer)."""

    def __init__(self, folder: Path = OPAWG) -> None:
        self.entries: list[_Entry] = []
        for name in LISTS:
            data = json.loads((folder / f"{name}.runtime.json").read_text(encoding="utf-8"))
            for item in data["entries"]:
                kind = "bot" if name == "bots" or item.get("category") == "bot" else name.rstrip("s")
                self.entries.append(_Entry(item["name"], re.compile(item["pattern"]), kind))
        # one pattern saying whether any entry matches: most agents are decided in one search
        self._any = re.compile("|".join(f"(?:{e.pattern.pattern})" for e in self.entries))

    @functools.lru_cache(maxsize=65536)  # noqa: B019 - one classifier per run; agents repeat
    def classify(self, agent: str) -> Agent:
        agent = agent.replace("\n", "").replace("\r", "")
        if agent in ("", "-"):
            return Agent("none", "")
        if _OWN.match(agent):
            return Agent("own", "")
        if is_watch_duplicate(agent):
            return Agent("watch", "")
        if self._any.search(agent):
            for entry in self.entries:
                if entry.pattern.search(agent):
                    return Agent(entry.kind, "" if entry.kind == "bot" else entry.name)
        return Agent("unknown", UNKNOWN)


@functools.cache
def agents() -> Agents:
    return Agents()


def is_watch_duplicate(agent: str) -> bool:
    """Step 1.2 (7): a paired Apple Watch downloads again what the phone downloaded."""
    return (agent.startswith("atc/") and "watchOS" in agent) or "(null)/(null) watchOS" in agent


def listener_ip(ip: str) -> str:
    """The address part of a listener: IPv4 whole; IPv6 cut to its first 64 bits (a device
    cycles through addresses of its /64), written as four hex groups; an IPv4-mapped IPv6
    address as the IPv4 address. Anything else is kept as it came (an IPv6-looking one
    lower-cased)."""
    text = ip.lower() if ":" in ip else ip
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            return str(address.ipv4_mapped)
        value = int(address) >> 64
        return ":".join(f"{(value >> shift) & 0xFFFF:x}" for shift in (48, 32, 16, 0))
    return str(address)


# ---------------------------------------------------------------------------------------
# Step 2: how many bytes make a download


def id3_size(header: bytes) -> int | None:
    """The size of an ID3v2 tag from the file's first 10 bytes (0 when there is none; None
    when the header is damaged)."""
    if len(header) < 10 or header[:3] != b"ID3":
        return 0 if len(header) >= 3 else None
    size_bytes = header[6:10]
    if any(b & 0x80 for b in size_bytes):
        return None
    size = (size_bytes[0] << 21) | (size_bytes[1] << 14) | (size_bytes[2] << 7) | size_bytes[3]
    footer = 10 if header[5] & 0x10 else 0
    return 10 + size + footer


_MPEG1_L3 = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_L3 = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)


def mp3_kbps(frame: bytes) -> int | None:
    """The bitrate of an MPEG layer III frame header (the 4 bytes after the ID3 tag)."""
    if len(frame) < 4 or frame[0] != 0xFF or (frame[1] & 0xE0) != 0xE0:
        return None
    version, layer, index = (frame[1] >> 3) & 3, (frame[1] >> 1) & 3, frame[2] >> 4
    if layer != 1 or version == 1 or index in (0, 15):
        return None
    return (_MPEG1_L3 if version == 3 else _MPEG2_L3)[index]


def threshold(size: int, header: int | None, duration: float | None, kbps: int | None = None) -> int:
    """Bytes a listener must receive for a download: the header (ID3) plus one minute of audio,
    at the file's average rate (from its duration) or its frame bitrate; the whole file when
    that is more, or when the header or the rate is unknown (the guidelines' alternative)."""
    if header is None or header >= size:
        return size
    if duration and duration > 0:
        rate = (size - header) / duration
    elif kbps:
        rate = kbps * 1000 / 8
    else:
        return size
    return min(size, header + math.ceil(rate * SECONDS))
