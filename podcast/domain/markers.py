"""Markers from the producer's editor (pure): what Audacity, Reaper/Ultraschall, Adobe Audition,
Hindenburg, Podlove/mp4chaps tools and recorders export, as cuts (regions) and chapters (points),
in the recording's timeline; and the episode's cuts and chapters written back as Audacity labels.

The format is recognised from the content; an unknown one, a bad time or a marker past the end
of the recording is an error naming the file and the line.

- Audacity label track: "start<TAB>end<TAB>label", seconds (a region when end > start); the
  extended format's frequency lines (starting with "\\") are skipped.
- Chapter text (Reaper/Ultraschall, mp4chaps): "HH:MM:SS.mmm Title <url>".
- Podlove Simple Chapters (XML, psc:chapter start/title/href) and Podcasting 2.0 JSON chapters
  ({"chapters": [{"startTime", "title", "url"}]}).
- Reaper Region/Marker Manager CSV: "#,Name,Start,End,Length" (R = region, M = marker), times
  as shown by REAPER's ruler in minutes:seconds or seconds.
- Adobe Audition marker list: tab-separated "Name, Start, Duration, Time Format, Type,
  Description"; a duration makes it a range; "decimal" times or sample counts ("44100 Hz").
- Hindenburg project (.nhsx, a Session document): its Marker elements (Name, Time).
- WAV files: the RIFF cue points ("cue ") named by "labl", a length in "ltxt" making a region.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import re
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree

from podcast.core import safejson, timecode
from podcast.core.errors import EpisodeError
from podcast.core.text import text_problem, url_problem

FORMATS = (
    "Audacity labels, Reaper/Ultraschall chapters or region CSV, Audition marker CSV, Hindenburg project, "
    "Podlove Simple Chapters, JSON chapters, mp4chaps chapter text, WAV cue markers"
)
_CHAPTER_LINE = re.compile(r"^\s*((?:\d+:)?\d{1,2}:\d{2}(?:[.,]\d+)?)\s+(.*?)\s*(?:<(https?://[^>\s]+)>)?\s*$")
_NUMBER = r"-?\d+(?:[.,]\d+)?"
MAX_BYTES = 5_000_000  # a marker file is small; a WAV's markers are read around its audio
_AUDACITY_LINE = re.compile(rf"^\s*({_NUMBER})\t({_NUMBER})(?:\t(.*))?$")


class MarkerError(EpisodeError):
    """A marker file that cannot be read."""


@dataclass(frozen=True)
class Marker:
    start: float  # seconds, the recording's timeline
    end: float | None  # None for a point (a chapter); a region (a cut) otherwise
    title: str
    line: int  # where it is in its file (1-based; 0 when the format has no lines)
    url: str = ""

    @property
    def is_region(self) -> bool:
        return self.end is not None and self.end > self.start


def read(path: Path, name: str = "") -> list[Marker]:
    """The markers of `path`, whatever the editor that wrote it, their titles and links checked."""
    name = name or path.name
    try:
        with path.open("rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as exc:
        raise MarkerError(f"{name}: cannot read it ({exc.strerror or exc})") from None
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return checked(wav_markers(_wav_head(path, data), name), name)
    if len(data) > MAX_BYTES:
        raise MarkerError(f"{name}: over {MAX_BYTES // 1_000_000} MB: not a marker file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")  # Audition and older tools write the system's code page
    return checked(parse(text, name), name)


def _wav_head(path: Path, data: bytes) -> bytes:
    """The chunks of a WAV file but its audio (which can be gigabytes), read chunk by chunk."""
    if len(data) <= MAX_BYTES:
        return data
    parts = [data[:12]]
    with path.open("rb") as file:
        position = 12
        while True:
            file.seek(position)
            header = file.read(8)
            if len(header) < 8:
                break
            size = struct.unpack_from("<I", header, 4)[0]
            body = b"" if header[:4] == b"data" else file.read(min(size, MAX_BYTES))
            parts.append(header[:4] + struct.pack("<I", len(body)) + body + (b"\0" if len(body) & 1 else b""))
            position += 8 + size + (size & 1)
    return b"".join(parts)


def checked(found: list[Marker], name: str) -> list[Marker]:
    """Markers whose titles and links can reach tags, the feed and pages (http(s) links only)."""
    for marker in found:
        where = f"line {marker.line}" if marker.line else f"the marker at {timecode.format(marker.start)}"
        if why := text_problem(marker.title):
            raise MarkerError(f"{name}, {where}: the title {why}")
        if marker.url and (why := url_problem(marker.url)):
            raise MarkerError(f"{name}, {where}: the link {why}")
    return found


def parse(text: str, name: str) -> list[Marker]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    first = next((line for line in lines if line.strip()), "")
    if first.lstrip().startswith("<"):
        return xml_markers(text, name)
    if first.lstrip().startswith("{"):
        return json_chapters(text, name)
    header = first.strip().lower()
    if header.startswith("#,name,start"):
        return reaper_csv(text, name)
    if header.startswith("name\tstart\tduration"):
        return audition(text, name)
    if _AUDACITY_LINE.match(first):
        return audacity(lines, name)
    if _CHAPTER_LINE.match(first):
        return chapter_text(lines, name)
    raise MarkerError(
        f"{name}, line 1: not a marker format this tool reads ({first.strip()[:60]!r}); it reads {FORMATS}"
    )


def audacity(lines: Sequence[str], name: str) -> list[Marker]:
    found = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("\\"):  # blank, or the extended format's frequencies
            continue
        match = _AUDACITY_LINE.match(line)
        if not match:
            raise MarkerError(f"{name}, line {number}: not an Audacity label (start<TAB>end<TAB>label): {line[:60]!r}")
        start, end = _seconds(match.group(1), name, number), _seconds(match.group(2), name, number)
        if end < start:
            raise MarkerError(f"{name}, line {number}: the label ends before it starts")
        found.append(Marker(start, end if end > start else None, (match.group(3) or "").strip(), number))
    return found


def chapter_text(lines: Sequence[str], name: str) -> list[Marker]:
    found = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _CHAPTER_LINE.match(line)
        if not match:
            raise MarkerError(f"{name}, line {number}: not a chapter line (HH:MM:SS.mmm Title <url>): {line[:60]!r}")
        found.append(Marker(_time(match.group(1), name, number), None, match.group(2), number, match.group(3) or ""))
    return found


def reaper_csv(text: str, name: str) -> list[Marker]:
    found = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), 1):
        if number == 1 or not any(cell.strip() for cell in row):
            continue
        if len(row) < 3:
            raise MarkerError(f"{name}, line {number}: expected #,Name,Start,End,Length")
        kind, title, start = row[0].strip().upper(), row[1].strip(), row[2].strip()
        end = row[3].strip() if len(row) > 3 else ""
        begin = _time(start, name, number)
        region = kind.startswith("R") and end
        found.append(Marker(begin, _time(end, name, number) if region else None, title, number))
    return found


def audition(text: str, name: str) -> list[Marker]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if number == 1 or not line.strip():
            continue
        cells = line.split("\t")
        if len(cells) < 4:
            raise MarkerError(f"{name}, line {number}: expected Name, Start, Duration, Time Format (tab-separated)")
        title, start, duration, fmt = (cell.strip() for cell in cells[:4])
        begin = _audition_time(start, fmt, name, number)
        length = _audition_time(duration, fmt, name, number) if duration else 0.0
        found.append(Marker(begin, begin + length if length > 0 else None, title, number))
    return found


def _audition_time(value: str, fmt: str, name: str, number: int) -> float:
    rate = re.match(r"^([0-9]{1,9})\s*hz$", fmt.strip().lower())
    if rate and int(rate.group(1)):  # a sample count
        if not re.fullmatch(r"[0-9]{1,15}", value):
            raise MarkerError(f"{name}, line {number}: {value[:40]!r} is not a sample count")
        return _in_range(int(value) / int(rate.group(1)), name, f"line {number}")
    return _time(value, name, number)


def xml_markers(text: str, name: str) -> list[Marker]:
    """Podlove Simple Chapters or a Hindenburg project, by the document's root element."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        raise MarkerError(f"{name}, line {exc.lineno}: not readable XML ({exc.msg})") from None
    if _local(root.tag) == "chapters":
        return podlove(root, name)
    found = []
    for element in root.iter():
        if _local(element.tag) == "marker":
            when = element.get("Time") or element.get("time") or element.get("Start") or ""
            title = element.get("Name") or element.get("name") or ""
            found.append(Marker(_time(when, name, element.sourceline or 0), None, title, element.sourceline or 0))
    if not found:
        raise MarkerError(
            f"{name}: an XML file with neither Podlove chapters nor Marker elements (of a Hindenburg project)"
        )
    return found


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def podlove(root: etree._Element, name: str) -> list[Marker]:
    """Podlove Simple Chapters: <psc:chapter start="00:01:02.500" title="..." href="..."/>."""
    found = []
    for element in root:
        if _local(element.tag) != "chapter":
            continue
        line = element.sourceline or 0
        start = element.get("start")
        if not start:
            raise MarkerError(f"{name}, line {line}: a chapter without a start")
        title, url = element.get("title") or "", element.get("href") or ""
        found.append(Marker(_time(start, name, line), None, title, line, url))
    return found


def json_chapters(text: str, name: str) -> list[Marker]:
    """Podcasting 2.0 JSON chapters: {"version": "1.2.0", "chapters": [{"startTime": 12.5, ...}]}."""
    try:
        data = safejson.loads(text, limit=MAX_BYTES)
    except safejson.JsonProblem as exc:
        raise MarkerError(f"{name}: not readable JSON: {exc}") from None
    items = data.get("chapters") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise MarkerError(f'{name}: JSON without a "chapters" list (Podcasting 2.0 chapters are read)')
    found = []
    for number, item in enumerate(items, 1):
        start = item.get("startTime") if isinstance(item, dict) else None
        if isinstance(start, bool) or not isinstance(start, int | float) or start < 0:
            raise MarkerError(f"{name}, chapter {number}: startTime must be a number of seconds")
        title, url = item.get("title", ""), item.get("url", "")
        if not isinstance(title, str) or not isinstance(url, str):
            raise MarkerError(f"{name}, chapter {number}: title and url must be text")
        found.append(Marker(_in_range(float(start), name, f"chapter {number}"), None, title, 0, url))
    return found


def wav_markers(data: bytes, name: str) -> list[Marker]:
    """Cue points of a WAV file, named by their labl chunk, with an ltxt length for regions."""
    rate = 0
    cues: dict[int, int] = {}
    labels: dict[int, str] = {}
    lengths: dict[int, int] = {}
    for chunk, body in _chunks(data, 12, len(data)):
        if chunk == b"fmt " and len(body) >= 8:
            rate = struct.unpack_from("<I", body, 4)[0]
        elif chunk == b"cue " and len(body) >= 4:
            count = struct.unpack_from("<I", body, 0)[0]
            for i in range(min(count, (len(body) - 4) // 24)):
                ident, _, _, _, _, offset = struct.unpack_from("<II4sIII", body, 4 + 24 * i)
                cues[ident] = offset
        elif chunk == b"LIST" and body[:4] == b"adtl":
            _labels(body, labels, lengths)
    if not rate:
        raise MarkerError(f"{name}: a WAV file without a format chunk")
    found = []
    for ident, offset in sorted(cues.items(), key=lambda item: item[1]):
        start = offset / rate
        end = (offset + lengths[ident]) / rate if lengths.get(ident) else None
        found.append(Marker(round(start, 3), round(end, 3) if end else None, labels.get(ident, ""), 0))
    return found


def _labels(body: bytes, labels: dict[int, str], lengths: dict[int, int]) -> None:
    """A LIST/adtl chunk's labl (name) and ltxt (region length) entries, by cue id."""
    for sub, content in _chunks(body, 4, len(body)):
        if sub == b"labl" and len(content) >= 4:
            labels[struct.unpack_from("<I", content)[0]] = _zstring(content[4:])
        elif sub == b"ltxt" and len(content) >= 8:
            ident, length = struct.unpack_from("<II", content)
            lengths[ident] = length


def _chunks(data: bytes, start: int, end: int) -> Iterable[tuple[bytes, bytes]]:
    position = start
    while position + 8 <= end:
        chunk, size = data[position : position + 4], struct.unpack_from("<I", data, position + 4)[0]
        yield chunk, data[position + 8 : min(end, position + 8 + size)]
        position += 8 + size + (size & 1)  # chunks are padded to an even size


def _zstring(raw: bytes) -> str:
    text = raw.split(b"\0", 1)[0]
    try:
        return text.decode("utf-8").strip()
    except UnicodeDecodeError:
        return text.decode("latin-1").strip()


def _seconds(text: str, name: str, number: int) -> float:
    value = float(text.replace(",", "."))
    if value < 0:
        raise MarkerError(f"{name}, line {number}: a negative time")
    return _in_range(value, name, f"line {number}")


def _in_range(value: float, name: str, where: str) -> float:
    """A time in seconds as a number the rest of the tool can handle (400 digits overflow to
    infinity, which no time code can show)."""
    if not (math.isfinite(value) and 0 <= value < timecode.MAX_HOURS * 3600):
        raise MarkerError(f"{name}, {where}: a time past {timecode.MAX_HOURS} hours: not a time in a recording")
    return value


def _time(text: str, name: str, number: int) -> float:
    text = text.strip().replace(",", ".")
    if re.fullmatch(r"\d+\.\d+\.\d+", text):
        raise MarkerError(
            f"{name}, line {number}: {text!r} is in measures.beats: "
            "set REAPER's ruler to minutes:seconds and export again"
        )
    try:
        return timecode.parse(text)
    except ValueError as exc:
        raise MarkerError(f"{name}, line {number}: {exc}") from None


def check_inside(found: Sequence[Marker], duration: float, name: str) -> None:
    """A marker past the end of the recording is an error naming its line."""
    for marker in found:
        last = marker.end if marker.end is not None else marker.start
        if last > duration + 0.05:
            where = f"line {marker.line}" if marker.line else f"the marker {marker.title!r}"
            raise MarkerError(
                f"{name}, {where}: {timecode.format(last)} is past the end of the recording "
                f"({timecode.format(duration)})"
            )


def to_audacity(cuts: Iterable[tuple[float, float, str]], chapters: Iterable[tuple[float, str]]) -> str:
    """Audacity labels (source timeline): regions for the cuts, points for the chapters."""
    rows = [(start, end, label) for start, end, label in cuts] + [(start, start, title) for start, title in chapters]
    return "".join(f"{a:.6f}\t{b:.6f}\t{label}\n" for a, b, label in sorted(rows))


def regions(found: Sequence[Marker], duration: float, name: str) -> list[Marker]:
    """The regions (cuts) of the markers, sorted; every marker checked against the recording's
    length and the regions against each other."""
    check_inside(found, duration, name)
    spans = sorted((m for m in found if m.is_region), key=lambda m: m.start)
    for a, b in itertools.pairwise(spans):
        if a.end is not None and b.start < a.end:
            where = f"lines {a.line} and {b.line}" if a.line else f"at {timecode.format(b.start)}"
            raise MarkerError(f"{name}: the regions {a.title!r} and {b.title!r} overlap ({where})")
    return spans


def named(found: Sequence[Marker], word: str) -> list[Marker]:
    """Points (chapters) without a name, as recorders write their cue points, named "`word` N"
    by their place in time among the points: a chapter needs a title wherever it is shown."""
    points = sorted((m for m in found if not m.is_region), key=lambda m: m.start)
    number = {id(m): n for n, m in enumerate(points, 1)}
    unnamed = {id(m) for m in points if not m.title.strip()}
    return [replace(m, title=f"{word} {number[id(m)]}") if id(m) in unnamed else m for m in found]
