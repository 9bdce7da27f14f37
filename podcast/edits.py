"""The edit decision list: which parts of the source recording reach the published audio.

Pure functions only. Times are seconds on the source timeline (all source files joined in
order). The same list is saved beside the output so transcript and chapter times can be
mapped between the source and the published timelines.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .errors import EpisodeError

CROSSFADE = 0.010  # seconds of overlap at each splice: short enough to be inaudible, no click

_TIME_RE = re.compile(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d+(?:\.\d+)?)$")


def parse_time(text: str) -> float:
    """'01:02:03.5', '02:03', '123.5' → seconds."""
    match = _TIME_RE.match(text.strip())
    if not match:
        raise ValueError(f"not a time: {text!r} (use HH:MM:SS.s, MM:SS or seconds)")
    hours, minutes, seconds = match.groups()
    if (hours or minutes) and float(seconds) >= 60:
        raise ValueError(f"not a time: {text!r} (seconds must be under 60)")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def format_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest / 1000:06.3f}"


@dataclass(frozen=True)
class Segment:
    """A kept range of the source, and where it starts in the output."""

    src_start: float
    src_end: float
    out_start: float

    @property
    def length(self) -> float:
        return self.src_end - self.src_start


@dataclass(frozen=True)
class EditList:
    source_duration: float
    cuts: tuple[tuple[float, float], ...]
    segments: tuple[Segment, ...]
    crossfade: float

    @property
    def duration(self) -> float:
        last = self.segments[-1]
        return last.out_start + last.length

    def to_output(self, src: float) -> float:
        """Map a source time to the published timeline; a time inside a cut is an error."""
        for seg in self.segments:
            if seg.src_start <= src <= seg.src_end:
                return round(seg.out_start + (src - seg.src_start), 3)
        raise ValueError(f"{format_time(src)} falls inside a cut")

    def describe(self) -> list[str]:
        lines = [f"source: {format_time(self.source_duration)}"]
        for start, end in self.cuts:
            after = next((s for s in self.segments if abs(s.src_start - end) < 1e-6), None)
            where = f"splice at {format_time(after.out_start)} (output)" if after and after.out_start else "at an end"
            lines.append(f"cut    {format_time(start)} → {format_time(end)} (source, {end - start:.3f} s)  {where}")
        for seg in self.segments:
            lines.append(
                f"keep   {format_time(seg.src_start)} → {format_time(seg.src_end)} (source)"
                f"  = {format_time(seg.out_start)} → {format_time(seg.out_start + seg.length)} (output)"
            )
        lines.append(f"output: {format_time(self.duration)}")
        return lines

    def as_dict(self) -> dict[str, object]:
        return {
            "source_duration": round(self.source_duration, 3),
            "output_duration": round(self.duration, 3),
            "crossfade": self.crossfade,
            "cuts": [[round(a, 3), round(b, 3)] for a, b in self.cuts],
            "segments": [
                {"src_start": round(s.src_start, 3), "src_end": round(s.src_end, 3), "out_start": round(s.out_start, 3)}
                for s in self.segments
            ],
        }


def parse_cut(text: str) -> tuple[float, float]:
    start_text, sep, end_text = text.partition("-")
    if not sep:
        raise ValueError(f"cut {text!r}: expected START-END, e.g. 00:12:03.5-00:12:10")
    start, end = parse_time(start_text), parse_time(end_text)
    if end <= start:
        raise ValueError(f"cut {text!r}: the end is not after the start")
    return start, end


def build(cut_texts: tuple[str, ...], source_duration: float, crossfade: float = CROSSFADE) -> EditList:
    try:
        cuts = sorted(parse_cut(text) for text in cut_texts)
    except ValueError as exc:
        raise EpisodeError(f"[edit] {exc}") from None
    for (a_start, a_end), (b_start, b_end) in itertools.pairwise(cuts):
        if b_start < a_end:
            raise EpisodeError(
                f"[edit] cuts {format_time(a_start)}-{format_time(a_end)} and "
                f"{format_time(b_start)}-{format_time(b_end)} overlap"
            )
    for start, end in cuts:
        if end > source_duration + 0.001:
            raise EpisodeError(
                f"[edit] cut {format_time(start)}-{format_time(end)} goes past the end of the "
                f"recording ({format_time(source_duration)})"
            )
    kept: list[tuple[float, float]] = []
    position = 0.0
    for start, end in cuts:
        if start > position:
            kept.append((position, start))
        position = end
    if position < source_duration:
        kept.append((position, source_duration))
    kept = [(a, b) for a, b in kept if b - a > 2 * crossfade]
    if not kept:
        raise EpisodeError("[edit] the cuts remove the whole recording")
    segments: list[Segment] = []
    out = 0.0
    for index, (start, end) in enumerate(kept):
        if index:
            out -= crossfade  # each splice overlaps the two sides by `crossfade`
        segments.append(Segment(start, end, round(out, 6)))
        out += end - start
    return EditList(source_duration, tuple(cuts), tuple(segments), crossfade)
