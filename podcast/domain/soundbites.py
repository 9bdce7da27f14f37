"""Soundbites (podcast:soundbite): highlights declared in the recording's timeline, placed in
the published audio. One rule for where a soundbite may be, for the feed and for an import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from podcast.core import timecode
from podcast.domain.edits import EditList


@dataclass(frozen=True)
class Soundbite:
    """A `[[soundbites]]` entry of episode.toml."""

    start: str  # source timeline, like chapters
    duration: float
    title: str = ""


def place(bite: Soundbite, edl: EditList | None, duration: float | None = None) -> float:
    """Where `bite` starts in the published audio; ValueError saying why it has no place there
    (not a time, inside a cut, beyond the end of the recording of `duration` seconds)."""
    source = timecode.parse(bite.start)
    if edl is not None:
        return edl.to_output(source)
    if duration is not None and source >= duration:
        raise ValueError(f"is beyond the end of the recording ({timecode.format(duration)})")
    return source


def fitting(bites: Sequence[Soundbite], duration: float | None) -> tuple[list[Soundbite], list[str]]:
    """The soundbites the feed accepts in audio of `duration` seconds (None: not known yet),
    and why each of the others is left out."""
    kept, dropped = [], []
    for bite in bites:
        try:
            place(bite, None, duration)
        except ValueError as exc:
            dropped.append(f"soundbite {bite.title!r} at {bite.start} {exc}")
            continue
        kept.append(bite)
    return kept, dropped
