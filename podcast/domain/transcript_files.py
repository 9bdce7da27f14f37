"""Transcripts made elsewhere, read in: WebVTT, SubRip and Podcasting 2.0 JSON become cues (an
imported episode's, one corrected in Subtitle Edit or Aegisub, the proofreading page's); the
producer's own copy is written as WebVTT; cues move between the recording's timeline (where the
producer's copy lives) and the published one."""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable, Sequence

from podcast.core import safejson, timecode
from podcast.core.errors import TranscriptFileError
from podcast.core.text import text_problem
from podcast.domain.edits import EditList
from podcast.domain.transcript import Segment, to_vtt

_TIMING = re.compile(r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s*-->\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})(?:\s+.*)?$")
_VOICE = re.compile(r"<v(?:\.[^ >]*)?\s+([^>]+)>")
_TAG = re.compile(r"</?[^>]+>")
MAX_CUE_CHARS = 2000
LATEST = 10 * 3600  # no cue starts or ends later than this (seconds): no episode is longer
MAX_FILE_BYTES = 16 << 20


def parse(text: str, kind: str, name: str = "transcript", speakers: Sequence[str] = ()) -> list[Segment]:
    """Cues from a transcript file's text; `kind` is a suffix or a MIME type (vtt, srt, json).
    `speakers` are the names an SRT line may start with ("Name: text")."""
    kind = kind.lower()
    if "vtt" in kind:
        cues = parse_vtt(text, name)
    elif "srt" in kind or "subrip" in kind:
        cues = parse_srt(text, name, speakers)
    elif "json" in kind:
        cues = parse_json(text, name)
    else:
        raise TranscriptFileError(f"{name}: a transcript must be WebVTT (.vtt), SubRip (.srt) or JSON")
    return check(cues, name)


def parse_vtt(text: str, name: str = "transcript.vtt") -> list[Segment]:
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or not lines[0].startswith("WEBVTT"):
        raise TranscriptFileError(f"{name}: not WebVTT (its first line must be WEBVTT)")
    cues: list[Segment] = []
    for number, block in _blocks(lines[1:]):
        timing = next((i for i, line in enumerate(block) if "-->" in line), None)
        if timing is None or block[0].startswith(("NOTE", "STYLE", "REGION")):
            continue
        start, end = _times(block[timing], name, number + timing + 2)  # after the WEBVTT line, from 1
        payload = " ".join(block[timing + 1 :])
        voice = _VOICE.search(payload)
        cues.append(Segment(start, end, _plain(payload), [], _plain(voice.group(1)) if voice else ""))
    return cues


def parse_srt(text: str, name: str = "transcript.srt", speakers: Sequence[str] = ()) -> list[Segment]:
    lines = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cues: list[Segment] = []
    known = sorted(speakers, key=len, reverse=True)
    for number, block in _blocks(lines):
        timing = next((i for i, line in enumerate(block) if "-->" in line), None)
        if timing is None:
            raise TranscriptFileError(f"{name}, line {number + 1}: a SubRip cue without its times")
        start, end = _times(block[timing], name, number + timing + 1)
        body = _plain(" ".join(block[timing + 1 :]))
        speaker = next((s for s in known if body.startswith(f"{s}:")), "")
        cues.append(Segment(start, end, body[len(speaker) + 1 :].strip() if speaker else body, [], speaker))
    return cues


def parse_json(text: str, name: str = "transcript.json") -> list[Segment]:
    """Podcasting 2.0 JSON transcript: {"segments": [{"startTime", "endTime", "body", "speaker"}]}."""
    try:
        data = safejson.loads(text, limit=MAX_FILE_BYTES)
        cues = [
            Segment(
                float(s["startTime"]),
                float(s["endTime"]),
                _plain(str(s["body"])),
                [],
                _plain(str(s.get("speaker", ""))),
            )
            for s in data["segments"]
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise TranscriptFileError(f"{name}: not a Podcasting 2.0 JSON transcript ({exc})") from None
    return _joined(cues)


def _joined(cues: list[Segment]) -> list[Segment]:
    """JSON transcripts often hold one word per segment: words of one speaker, close in time,
    become one cue (a sentence, or at most 7 s)."""
    joined: list[Segment] = []
    for cue in cues:
        last = joined[-1] if joined else None
        if (
            last
            and cue.speaker == last.speaker
            and cue.start - last.end < 0.8
            and cue.end - last.start <= 7.0
            and not last.text.endswith((".", "?", "!", "…"))
        ):
            last.end, last.text = cue.end, f"{last.text} {cue.text}".strip()
        else:
            joined.append(Segment(cue.start, cue.end, cue.text, [], cue.speaker))
    return joined


def _blocks(lines: list[str]) -> Iterable[tuple[int, list[str]]]:
    """(line number of its first line, its lines) for each blank-line-separated block."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(lines):
        if line.strip():
            if not block:
                first = number
            block.append(line.strip())
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


def _times(line: str, name: str, number: int) -> tuple[float, float]:
    """A cue timing line's (start, end); `number` is its line number, to name it in errors."""
    match = _TIMING.match(line)
    if not match:
        raise TranscriptFileError(f"{name}, line {number}: not a cue timing: {line!r}")
    try:
        start, end = (timecode.parse(t.replace(",", ".")) for t in match.groups())
    except ValueError as exc:
        raise TranscriptFileError(f"{name}, line {number}: {exc}") from None
    if end < start:
        raise TranscriptFileError(f"{name}, line {number}: the cue ends before it starts: {line!r}")
    return start, end


def _plain(text: str) -> str:
    """Cue text as text: tags (voices, styles, inline times) dropped, entities decoded."""
    cleaned = " ".join(html.unescape(_TAG.sub("", text)).split())
    return re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", cleaned)


def check(cues: list[Segment], name: str) -> list[Segment]:
    """Cues that can be published: in time order, with times a WebVTT cue can have (from zero,
    ending after they start), of sane length, with text."""
    kept = [c for c in cues if c.text]
    if not kept:
        raise TranscriptFileError(f"{name}: no cue with text")
    for cue in kept:
        if not (math.isfinite(cue.start) and math.isfinite(cue.end) and 0 <= cue.start <= LATEST):
            raise TranscriptFileError(f"{name}: the cue {_quoted(cue.text)} starts at {cue.start}: not a time")
        if not cue.start <= cue.end <= LATEST:
            raise TranscriptFileError(
                f"{name}: the cue at {timecode.format(cue.start)} ends at {cue.end}, "
                + ("before it starts" if cue.end < cue.start else "not a time in an episode")
            )
        if len(cue.text) > MAX_CUE_CHARS:
            raise TranscriptFileError(
                f"{name}: the cue at {timecode.format(cue.start)} is over {MAX_CUE_CHARS} characters"
            )
        if why := text_problem(cue.speaker):
            raise TranscriptFileError(f"{name}: the speaker at {timecode.format(cue.start)} {why}")
    kept.sort(key=lambda c: (c.start, c.end))
    return kept


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:40] + "…")


def to_recording(cues: Iterable[Segment], edl: EditList | None) -> list[Segment]:
    """Cues in the published timeline → in the recording's (kept in the episode folder)."""
    if edl is None:
        return list(cues)
    return [
        Segment(round(edl.to_source(c.start), 3), round(edl.to_source(c.end), 3), c.text, [], c.speaker) for c in cues
    ]


def to_published(cues: Iterable[Segment], edl: EditList | None) -> tuple[list[Segment], list[Segment]]:
    """Cues in the recording's timeline → (in the published timeline, those that fell inside a cut)."""
    if edl is None:
        return list(cues), []
    kept, dropped = [], []
    for cue in cues:
        mapped = edl.range_to_output(cue.start, cue.end)
        if mapped is None:
            dropped.append(cue)
        else:
            kept.append(Segment(mapped[0], mapped[1], cue.text, [], cue.speaker))
    return kept, dropped


def own_vtt(cues: Sequence[Segment], note: str) -> str:
    """The producer's copy: WebVTT with speaker voices, a NOTE saying where it comes from."""
    body = to_vtt(list(cues))
    header, _, rest = body.partition("\n\n")
    note = " ".join(note.replace("-->", "->").split())  # a NOTE ends at a blank line and holds no "-->"
    return f"{header}\n\nNOTE {note}\n\n{rest}"
