"""The edit decision list: which parts of the source recording reach the published audio.

Pure functions only. Times are seconds on the source timeline (all source files joined in
order). Cuts come from the producer (`[edit] cuts`) or from silence analysis (trimmed ends,
shortened pauses); jingles are placed before and after. The same list is saved beside the
output (`to_json`/`from_json`; the episode owns the file) so transcript, chapter and marker
times can be mapped between the two timelines.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass

from podcast.core import safejson, timecode
from podcast.core.errors import EpisodeError

CROSSFADE = 0.010  # seconds of overlap at each splice: short enough to be inaudible, no click
TRIM_KEEP = 0.25  # seconds of silence kept before the first and after the last word


@dataclass(frozen=True, order=True)
class Cut:
    start: float
    end: float
    kind: str = "cut"  # cut | trim | pause | suggested (an accepted suggestion)

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class KeptRange:
    """A range of the source that reaches the output, and where it starts there."""

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
    kept: tuple[KeptRange, ...]
    crossfade: float
    intro: Jingle | None = None
    outro: Jingle | None = None

    @property
    def speech_duration(self) -> float:
        last = self.kept[-1]
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
        """Map a source time to the published timeline. A time in the trimmed start maps to
        the start of the speech; a time inside any other cut, or past the end of the
        recording, raises ValueError saying which."""
        if src >= self.source_duration + 0.001:
            raise ValueError(f"is beyond the end of the recording ({timecode.format(self.source_duration)})")
        for kept in self.kept:
            if kept.src_start - 0.001 <= src <= kept.src_end + 0.001:
                return round(max(0.0, kept.out_start + (src - kept.src_start)), 3)
        if src < self.kept[0].src_start:
            return round(self.offset, 3)
        raise ValueError("falls inside a cut")

    def range_to_output(self, start: float, end: float) -> tuple[float, float] | None:
        """The part of [start, end] (source timeline) that reaches the output, in the published
        timeline; None when all of it was cut."""
        pieces = [
            (max(start, k.src_start), min(end, k.src_end), k)
            for k in self.kept
            if min(end, k.src_end) > max(start, k.src_start) or (start == end and k.src_start <= start <= k.src_end)
        ]
        if not pieces:
            return None
        (first_start, _, first), (_, last_end, last) = pieces[0], pieces[-1]
        return (
            round(first.out_start + first_start - first.src_start, 3),
            round(last.out_start + last_end - last.src_start, 3),
        )

    def to_source(self, out: float) -> float:
        """The source time heard at `out` in the published audio (the inverse of to_output);
        times in the jingles map to the nearest speech."""
        for kept in reversed(self.kept):
            if out >= kept.out_start:
                return min(kept.src_end, kept.src_start + (out - kept.out_start))
        return self.kept[0].src_start

    def describe(self) -> list[str]:
        lines = [f"source: {timecode.format(self.source_duration)}"]
        if self.intro:
            lines.append(
                f"intro  {self.intro.name}: 00:00:00.000 → {timecode.format(self.intro.length)} (output), "
                f"{self.intro.overlap:g} s overlap with the speech"
            )
        labels = {"cut": "cut   ", "trim": "trim  ", "pause": "pause ", "suggested": "sugg. "}
        for cut in self.cuts:
            after = next((s for s in self.kept if abs(s.src_start - cut.end) < 1e-6), None)
            where = f"splice at {timecode.format(after.out_start)} (output)" if after and cut.start > 0 else "at an end"
            what = "shortened" if cut.kind == "pause" else "removed"
            lines.append(
                f"{labels[cut.kind]} {timecode.format(cut.start)} → {timecode.format(cut.end)} (source, "
                f"{cut.length:.3f} s {what})  {where}"
            )
        for seg in self.kept:
            lines.append(
                f"keep   {timecode.format(seg.src_start)} → {timecode.format(seg.src_end)} (source)"
                f"  = {timecode.format(seg.out_start)} → {timecode.format(seg.out_start + seg.length)} (output)"
            )
        if self.outro:
            start = self.duration - self.outro.length
            end = timecode.format(self.duration)
            lines.append(f"outro  {self.outro.name}: {timecode.format(start)} → {end} (output)")
        lines.append(f"output: {timecode.format(self.duration)}")
        return lines

    def to_json(self) -> str:
        data = {
            "source_duration": round(self.source_duration, 3),
            "output_duration": round(self.duration, 3),
            "offset": round(self.offset, 3),
            "crossfade": self.crossfade,
            "intro": vars(self.intro) if self.intro else None,
            "outro": vars(self.outro) if self.outro else None,
            "cuts": [{"start": round(c.start, 3), "end": round(c.end, 3), "kind": c.kind} for c in self.cuts],
            "segments": [
                {"src_start": round(k.src_start, 3), "src_end": round(k.src_end, 3), "out_start": round(k.out_start, 3)}
                for k in self.kept
            ],
        }
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> EditList:
        """The list `to_json` saved; ValueError when the text is not one."""
        try:
            data = safejson.loads(text, limit=safejson.OURS)
            return cls(
                source_duration=float(data["source_duration"]),
                cuts=tuple(Cut(float(c["start"]), float(c["end"]), str(c["kind"])) for c in data["cuts"]),
                kept=tuple(
                    KeptRange(float(k["src_start"]), float(k["src_end"]), float(k["out_start"]))
                    for k in data["segments"]
                ),
                crossfade=float(data["crossfade"]),
                intro=Jingle(**data["intro"]) if data.get("intro") else None,
                outro=Jingle(**data["outro"]) if data.get("outro") else None,
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a saved edit list ({exc})") from None

    @classmethod
    def whole(cls, duration: float) -> EditList:
        """The recording published whole: both timelines are the same."""
        return cls(duration, (), (KeptRange(0.0, duration, 0.0),), CROSSFADE)


def parse_cut(text: str) -> Cut:
    start_text, sep, end_text = text.partition("-")
    if not sep:
        raise ValueError(f"cut {text!r}: expected START-END, e.g. 00:12:03.5-00:12:10")
    start, end = timecode.parse(start_text), timecode.parse(end_text)
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
    marked_cuts: Sequence[Cut] = (),
    intro: Jingle | None = None,
    outro: Jingle | None = None,
    crossfade: float = CROSSFADE,
) -> EditList:
    try:
        cuts = sorted([*(parse_cut(text) for text in cut_texts), *marked_cuts])
    except ValueError as exc:
        raise EpisodeError(f"[edit] {exc}") from None
    _check_producer_cuts(cuts, source_duration)
    # Automatic cuts never override the producer's: one touching a declared cut is dropped.
    for auto in auto_cuts:
        if all(auto.end <= c.start or auto.start >= c.end for c in cuts):
            cuts.append(auto)
    cuts.sort(key=lambda c: c.start)
    kept = _kept_ranges(cuts, source_duration, crossfade, intro)
    speech = kept[-1].out_start + kept[-1].length - kept[0].out_start
    for jingle in (intro, outro):
        if jingle and (jingle.overlap >= jingle.length or 2 * jingle.overlap >= speech):
            raise EpisodeError(
                f"jingle {jingle.name}: the {jingle.overlap:g} s overlap is longer than the jingle or the speech"
            )
    return EditList(source_duration, tuple(cuts), tuple(kept), crossfade, intro, outro)


def _check_producer_cuts(cuts: list[Cut], source_duration: float) -> None:
    for a, b in itertools.pairwise(cuts):
        if b.start < a.end:
            raise EpisodeError(
                f"[edit] cuts {timecode.format(a.start)}-{timecode.format(a.end)} and "
                f"{timecode.format(b.start)}-{timecode.format(b.end)} overlap"
            )
    for cut in cuts:
        if cut.end > source_duration + 0.001:
            raise EpisodeError(
                f"[edit] cut {timecode.format(cut.start)}-{timecode.format(cut.end)} goes past the end of the "
                f"recording ({timecode.format(source_duration)})"
            )


def _kept_ranges(cuts: list[Cut], source_duration: float, crossfade: float, intro: Jingle | None) -> list[KeptRange]:
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
    ranges: list[KeptRange] = []
    out = intro.length - intro.overlap if intro else 0.0
    for index, (start, end) in enumerate(kept):
        if index:
            out -= crossfade  # each splice overlaps the two sides by `crossfade`
        ranges.append(KeptRange(start, end, round(out, 6)))
        out += end - start
    return ranges
