"""Chapters (pure): declared in episode.toml, the points of the editor's markers, or timestamps
in notes.md, given in
the source recording's timeline, mapped through the edit list to the published audio, and
written as Podcasting 2.0 chapters JSON (the ID3 CHAP/CTOC frames are written by the tag stage)."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from podcast.core import timecode
from podcast.core.errors import EpisodeError
from podcast.core.text import Url
from podcast.domain.edits import EditList

MAX_TITLE = 255
_NOTES_LINE = re.compile(r"^\s*[-*]?\s*\(?((?:\d{1,2}:)?\d{1,2}:\d{2}(?:\.\d+)?)\)?\s*[-–—:]?\s+(\S.*)$")


@dataclass(frozen=True)
class ChapterDecl:
    start: str  # source timeline: "00:04:10", "04:10" or "250.5"
    title: str
    url: Url = Url("")
    img: str = ""  # image file in the episode folder


@dataclass(frozen=True)
class Chapter:
    start: float  # seconds, published timeline
    end: float
    title: str
    url: str = ""
    img: str = ""  # a file name in the episode folder (its published URL is added later)


def timestamp_line(line: str) -> tuple[str, str] | None:
    """(time, title) of a notes.md line that starts with a timestamp, such as
    '00:04:10 Territoires zéro chômeur' or '- (04:10) — Territoires'; None for any other line."""
    match = _NOTES_LINE.match(line)
    return (match.group(1), match.group(2).strip()) if match else None


def from_notes(notes: str) -> list[ChapterDecl]:
    """Lines of notes.md that start with a timestamp: '00:04:10 Territoires zéro chômeur'."""
    found = []
    for line in notes.splitlines():
        if stamped := timestamp_line(line):
            found.append(ChapterDecl(start=stamped[0], title=re.sub(r"[*_`]", "", stamped[1]).strip()))
    return found


def resolve(
    declared: Sequence[ChapterDecl],
    notes: str,
    edl: EditList | None,
    duration: float,
    marked: Sequence[ChapterDecl] = (),
    marker_file: str = "",
) -> tuple[list[Chapter], str]:
    """Chapters in the published timeline, and where they came from: episode.toml's
    [[chapters]], else the editor's markers (their points), else timestamps in notes.md."""
    if declared:
        decls, origin = list(declared), "episode.toml"
    elif marked:
        decls, origin = list(marked), marker_file or "markers"
    else:
        decls, origin = from_notes(notes), "notes.md"
    if not decls:
        return [], ""
    starts = [(_start(decl, edl, origin), decl) for decl in decls]
    _check_order(starts, origin, duration)
    chapters = []
    for index, (start, decl) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else duration
        chapters.append(Chapter(round(start, 3), round(end, 3), decl.title.strip(), decl.url, decl.img))
    return chapters, origin


def _start(decl: ChapterDecl, edl: EditList | None, origin: str) -> float:
    """A declared chapter's start in the published timeline, its title checked."""
    try:
        source_time = timecode.parse(decl.start)
    except ValueError as exc:
        raise EpisodeError(f"chapter {decl.title!r} ({origin}): {exc}") from None
    if not decl.title.strip():
        raise EpisodeError(f"chapter at {decl.start} ({origin}) has no title")
    if len(decl.title) > MAX_TITLE:
        raise EpisodeError(f"chapter at {decl.start} ({origin}): title longer than {MAX_TITLE} characters")
    return _to_output(source_time, decl, edl, origin)


def _check_order(starts: list[tuple[float, ChapterDecl]], origin: str, duration: float) -> None:
    for (a, da), (b, db) in itertools.pairwise(starts):
        if b == a:
            raise EpisodeError(_same_start(da, db, origin))
        if b < a:
            raise EpisodeError(
                f"chapter {db.title!r} at {db.start} comes before the chapter above it ({origin}): "
                "list chapters in order"
            )
    for start, decl in starts:
        if start >= duration:
            raise EpisodeError(_beyond(decl, origin, duration))


def _same_start(first: ChapterDecl, second: ChapterDecl, origin: str) -> str:
    return f"chapters {first.title!r} and {second.title!r} ({origin}) start at the same time {second.start}"


def _beyond(decl: ChapterDecl, origin: str, duration: float) -> str:
    end = timecode.format(duration)
    return f"chapter {decl.title!r} at {decl.start} ({origin}) is beyond the end of the episode ({end})"


def fitting(
    declared: Sequence[ChapterDecl], duration: float | None, origin: str
) -> tuple[list[ChapterDecl], list[str]]:
    """The chapters `resolve` accepts, sorted, and why each of the others is left out: the feed's
    rules, for chapters that come from elsewhere (an imported feed), where one that does not fit
    the audio is dropped instead of failing the episode. `duration` None: not known yet."""
    kept: list[tuple[float, ChapterDecl]] = []
    dropped = []
    for decl in declared:
        try:
            start = _start(decl, None, origin)
        except EpisodeError as exc:
            dropped.append(str(exc))
            continue
        if duration is not None and start >= duration:
            dropped.append(_beyond(decl, origin, duration))
        elif kept and any(start == other for other, _ in kept):
            dropped.append(_same_start(next(d for s, d in kept if s == start), decl, origin))
        else:
            kept.append((start, decl))
    kept.sort(key=lambda pair: pair[0])
    return [decl for _, decl in kept], dropped


def _to_output(source_time: float, decl: ChapterDecl, edl: EditList | None, origin: str) -> float:
    try:
        return edl.to_output(source_time) if edl else source_time
    except ValueError as exc:
        raise EpisodeError(f"chapter {decl.title!r} at {decl.start} ({origin}) {exc}") from None


def to_json(chapters: Sequence[Chapter], img_urls: dict[str, str]) -> str:
    """Podcasting 2.0 chapters JSON (application/json+chapters)."""
    items = []
    for chapter in chapters:
        item: dict[str, Any] = {"startTime": chapter.start, "endTime": chapter.end, "title": chapter.title}
        if chapter.url:
            item["url"] = chapter.url
        if chapter.img and chapter.img in img_urls:
            item["img"] = img_urls[chapter.img]
        items.append(item)
    return json.dumps({"version": "1.2.0", "chapters": items}, ensure_ascii=False, indent=2) + "\n"
