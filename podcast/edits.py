"""The edit decision list: which parts of the source recording reach the published audio.

Pure functions only. Times are seconds on the source timeline (all source files joined in
order). Cuts come from the producer (`[edit] cuts`) or from silence analysis (trimmed ends,
shortened pauses); jingles are placed before and after. The same list is saved beside the
output so transcript and chapter times can be mapped between the two timelines.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .errors import EpisodeError

CROSSFADE = 0.010  # seconds of overlap at each splice: short enough to be inaudible, no click
TRIM_KEEP = 0.25  # seconds of silence kept before the first and after the last word

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


@dataclass(frozen=True, order=True)
class Cut:
    start: float
    end: float
    kind: str = "cut"  # cut | trim | pause

    @property
    def length(self) -> float:
        return self.end - self.start


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
class Jingle:
    name: str
    length: float
    overlap: float


@dataclass(frozen=True)
class EditList:
    source_duration: float
    cuts: tuple[Cut, ...]
    segments: tuple[Segment, ...]
    crossfade: float
    intro: Jingle | None = None
    outro: Jingle | None = None

    @property
    def speech_duration(self) -> float:
        last = self.segments[-1]
        return last.out_start + last.length - self.offset

    @property
    def offset(self) -> float:
        """Where the source's first kept sample lands in the output (after the intro)."""
        return self.intro.length - self.intro.overlap if self.intro else 0.0

    @property
    def duration(self) -> float:
        tail = self.outro.length - self.outro.overlap if self.outro else 0.0
        return self.offset + self.speech_duration + tail

    def to_output(self, src: float) -> float:
        """Map a source time to the published timeline; a time inside a cut is an error."""
        for seg in self.segments:
            if seg.src_start - 1e-6 <= src <= seg.src_end + 1e-6:
                return round(seg.out_start + (src - seg.src_start), 3)
        raise ValueError(f"{format_time(src)} falls inside a cut")

    def describe(self) -> list[str]:
        lines = [f"source: {format_time(self.source_duration)}"]
        if self.intro:
            lines.append(
                f"intro  {self.intro.name}: 00:00:00.000 → {format_time(self.intro.length)} (output), "
                f"{self.intro.overlap:g} s overlap with the speech"
            )
        labels = {"cut": "cut   ", "trim": "trim  ", "pause": "pause "}
        for cut in self.cuts:
            after = next((s for s in self.segments if abs(s.src_start - cut.end) < 1e-6), None)
            where = f"splice at {format_time(after.out_start)} (output)" if after and cut.start > 0 else "at an end"
            what = "shortened" if cut.kind == "pause" else "removed"
            lines.append(
                f"{labels[cut.kind]} {format_time(cut.start)} → {format_time(cut.end)} (source, "
                f"{cut.length:.3f} s {what})  {where}"
            )
        for seg in self.segments:
            lines.append(
                f"keep   {format_time(seg.src_start)} → {format_time(seg.src_end)} (source)"
                f"  = {format_time(seg.out_start)} → {format_time(seg.out_start + seg.length)} (output)"
            )
        if self.outro:
            start = self.duration - self.outro.length
            lines.append(f"outro  {self.outro.name}: {format_time(start)} → {format_time(self.duration)} (output)")
        lines.append(f"output: {format_time(self.duration)}")
        return lines

    def as_dict(self) -> dict[str, object]:
        return {
            "source_duration": round(self.source_duration, 3),
            "output_duration": round(self.duration, 3),
            "offset": round(self.offset, 3),
            "crossfade": self.crossfade,
            "intro": vars(self.intro) if self.intro else None,
            "outro": vars(self.outro) if self.outro else None,
            "cuts": [{"start": round(c.start, 3), "end": round(c.end, 3), "kind": c.kind} for c in self.cuts],
            "segments": [
                {"src_start": round(s.src_start, 3), "src_end": round(s.src_end, 3), "out_start": round(s.out_start, 3)}
                for s in self.segments
            ],
        }


def parse_cut(text: str) -> Cut:
    start_text, sep, end_text = text.partition("-")
    if not sep:
        raise ValueError(f"cut {text!r}: expected START-END, e.g. 00:12:03.5-00:12:10")
    start, end = parse_time(start_text), parse_time(end_text)
    if end <= start:
        raise ValueError(f"cut {text!r}: the end is not after the start")
    return Cut(start, end)


def silence_cuts(
    silences: Sequence[tuple[float, float]], duration: float, *, trim: bool, pause_max: float, pause_target: float
) -> list[Cut]:
    """Cuts that trim silent ends and shorten pauses longer than `pause_max` to `pause_target`."""
    cuts = []
    for start, end in silences:
        if trim and start <= 0.01 and end - TRIM_KEEP > 0:
            cuts.append(Cut(0.0, end - TRIM_KEEP, "trim"))
        elif trim and end >= duration - 0.01 and start + TRIM_KEEP < duration:
            cuts.append(Cut(start + TRIM_KEEP, duration, "trim"))
        elif pause_max > 0 and end - start > pause_max and start > 0.01 and end < duration - 0.01:
            half = pause_target / 2
            cuts.append(Cut(start + half, end - half, "pause"))
    return [c for c in cuts if c.length > 2 * CROSSFADE]


def build(
    cut_texts: Sequence[str],
    source_duration: float,
    *,
    auto_cuts: Sequence[Cut] = (),
    intro: Jingle | None = None,
    outro: Jingle | None = None,
    crossfade: float = CROSSFADE,
) -> EditList:
    try:
        cuts = sorted(parse_cut(text) for text in cut_texts)
    except ValueError as exc:
        raise EpisodeError(f"[edit] {exc}") from None
    _check_producer_cuts(cuts, source_duration)
    # Automatic cuts never override the producer's: one touching a declared cut is dropped.
    for auto in auto_cuts:
        if all(auto.end <= c.start or auto.start >= c.end for c in cuts):
            cuts.append(auto)
    cuts.sort(key=lambda c: c.start)
    segments = _kept_segments(cuts, source_duration, crossfade, intro)
    speech = segments[-1].out_start + segments[-1].length - (segments[0].out_start if segments else 0)
    for jingle in (intro, outro):
        if jingle and (jingle.overlap >= jingle.length or 2 * jingle.overlap >= speech):
            raise EpisodeError(
                f"jingle {jingle.name}: the {jingle.overlap:g} s overlap is longer than the jingle or the speech"
            )
    return EditList(source_duration, tuple(cuts), tuple(segments), crossfade, intro, outro)


def _check_producer_cuts(cuts: list[Cut], source_duration: float) -> None:
    for a, b in itertools.pairwise(cuts):
        if b.start < a.end:
            raise EpisodeError(
                f"[edit] cuts {format_time(a.start)}-{format_time(a.end)} and "
                f"{format_time(b.start)}-{format_time(b.end)} overlap"
            )
    for cut in cuts:
        if cut.end > source_duration + 0.001:
            raise EpisodeError(
                f"[edit] cut {format_time(cut.start)}-{format_time(cut.end)} goes past the end of the "
                f"recording ({format_time(source_duration)})"
            )


def _kept_segments(cuts: list[Cut], source_duration: float, crossfade: float, intro: Jingle | None) -> list[Segment]:
    kept: list[tuple[float, float]] = []
    position = 0.0
    for cut in cuts:
        if cut.start > position:
            kept.append((position, cut.start))
        position = max(position, cut.end)
    if position < source_duration:
        kept.append((position, source_duration))
    kept = [(a, b) for a, b in kept if b - a > 2 * crossfade]
    if not kept:
        raise EpisodeError("[edit] the cuts remove the whole recording")
    segments: list[Segment] = []
    out = intro.length - intro.overlap if intro else 0.0
    for index, (start, end) in enumerate(kept):
        if index:
            out -= crossfade  # each splice overlaps the two sides by `crossfade`
        segments.append(Segment(start, end, round(out, 6)))
        out += end - start
    return segments


def map_saved(edl: dict[str, Any] | None, source_time: float) -> float:
    """Map a source time through a saved edit list (edits.json) to the published timeline.

    A time in the trimmed start maps to the start of the speech; a time inside any other cut,
    or past the end of the recording, raises ValueError saying which."""
    if edl is None:
        return source_time
    if source_time >= edl["source_duration"]:
        raise ValueError(f"is beyond the end of the recording ({format_time(edl['source_duration'])})")
    segments = edl["segments"]
    for seg in segments:
        if seg["src_start"] - 0.001 <= source_time <= seg["src_end"] + 0.001:
            return round(max(0.0, seg["out_start"] + (source_time - seg["src_start"])), 3)
    if source_time < segments[0]["src_start"]:
        return float(edl["offset"])
    raise ValueError("falls inside a cut")


def unmap_saved(edl: dict[str, Any] | None, output_time: float) -> float:
    """The source time heard at `output_time` of the published audio (inverse of map_saved);
    times in the jingles map to the nearest speech."""
    if edl is None:
        return output_time
    segments = edl["segments"]
    for seg in reversed(segments):
        if output_time >= seg["out_start"]:
            return min(seg["src_end"], seg["src_start"] + (output_time - seg["out_start"]))
    return float(segments[0]["src_start"])
