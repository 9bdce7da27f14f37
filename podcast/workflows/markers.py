"""`podcast markers`: bring the producer's editor markers into an episode (`import`), and give the
episode's cuts and chapters back to the editor as Audacity labels in the recording's timeline
(`export`), so the raw recording opened in Audacity shows exactly what will be cut.

An imported file is copied into the episode folder as markers.<its extension>, byte for byte
(the process and tag stages read it from there); cue points of a WAV recording become an
Audacity label file, markers.txt. episode.toml is never rewritten.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from podcast import pipeline
from podcast.core import fsutil, i18n
from podcast.core.errors import EpisodeError
from podcast.core.text import Url
from podcast.domain import chapters, markers
from podcast.domain.chapters import ChapterDecl
from podcast.domain.edits import EditList
from podcast.edges import ffmpeg
from podcast.project.config import Config
from podcast.project.episode import MARKERS_STEM, Episode, load

CUT_LABELS = {"cut": "cut", "trim": "silence trimmed", "pause": "pause shortened", "suggested": "suggested cut"}


@dataclass(frozen=True)
class Imported:
    target: Path
    regions: int
    points: int
    written: bool  # False on a dry run, or when the same file was already there


def import_file(config: Config, slug: str, source: Path, *, replace: bool = False, dry_run: bool = False) -> Imported:
    """Check `source` (its format, its times against the recording) and copy it into the
    episode folder, where the next `podcast process` and `podcast tag` use it."""
    ep = load(config, slug)
    if not source.is_file():
        raise EpisodeError(f"marker file not found: {source}")
    found = markers.read(source, source.name)
    if not found:
        raise markers.MarkerError(f"{source.name}: no markers in it")
    duration = _recording_length(ep)
    # past the end (when the recording is here to measure), or overlapping: what `podcast process` would refuse
    markers.regions(found, math.inf if duration is None else duration, source.name)
    found = markers.named(found, i18n.strings(config.show.language)["chapter"])
    with source.open("rb") as handle:
        head = handle.read(12)
    is_wav = head[:4] == b"RIFF" and head[8:12] == b"WAVE"
    target = ep.folder / (f"{MARKERS_STEM}.txt" if is_wav else f"{MARKERS_STEM}{source.suffix.lower() or '.txt'}")
    if target.is_symlink() or target.exists():  # never read (or compared with) a file outside the project
        fsutil.require_inside(target, config.root, f"{slug}'s {target.name}")
    regions = sum(m.is_region for m in found)
    content = _wav_labels(found) if is_wav else None
    same = target.is_file() and (
        target.read_text(encoding="utf-8") == content if content is not None else _same_file(target, source)
    )
    if not same:
        _check_target(ep, target, replace)
    if dry_run or same:
        return Imported(target, regions, len(found) - regions, False)
    if content is not None:
        fsutil.write_text(target, content)
    else:
        with fsutil.atomic_path(target) as tmp:
            shutil.copyfile(source, tmp)
    return Imported(target, regions, len(found) - regions, True)


def _recording_length(ep: Episode) -> float | None:
    """The recording's length (the sources joined), when they are there to measure."""
    if not ep.meta.source or ep.missing_sources():
        return None
    return sum(ffmpeg.probe(path).duration for path in ep.require_sources())


def _check_target(ep: Episode, target: Path, replace: bool) -> None:
    if ep.meta.edit.markers:
        raise EpisodeError(
            f"[edit] markers = {ep.meta.edit.markers!r} in episode.toml names the markers to use: "
            "replace that file, or remove the line to import another"
        )
    others = [p for p in ep.folder.glob(f"{MARKERS_STEM}.*") if p.is_file() and p != target]
    if others:
        raise EpisodeError(f"{others[0].name} is already the episode's markers: remove it first to import another")
    if target.is_file() and not replace:
        raise EpisodeError(f"{target.name} is already there: --replace to replace it with this file")


def _same_file(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()


def _wav_labels(found: list[markers.Marker]) -> str:
    cuts = [(m.start, m.end or m.start, m.title) for m in found if m.is_region]
    points = [(m.start, m.title) for m in found if not m.is_region]
    return markers.to_audacity(cuts, points)


def export_labels(config: Config, slug: str) -> str:
    """The episode's cuts (the producer's, the markers', the automatic trims and pauses,
    accepted suggestions) as regions and its chapters as points, in the recording's timeline:
    an Audacity label track (File > Import > Labels)."""
    ep = load(config, slug)
    edl = pipeline.edit_plan(config, slug)
    cuts = [(cut.start, cut.end, CUT_LABELS.get(cut.kind, cut.kind)) for cut in edl.cuts]
    return markers.to_audacity(cuts, _chapter_points(ep, edl))


def _chapter_points(ep: Episode, edl: EditList) -> list[tuple[float, str]]:
    """The chapters, in the recording's timeline (as they were given)."""
    points = [m for m in ep.markers() if not m.is_region]
    marked = [ChapterDecl(f"{m.start:.3f}", m.title, Url(m.url)) for m in points]
    found, _ = chapters.resolve(ep.meta.chapters, ep.notes, edl, edl.duration, marked)
    return [(round(edl.to_source(chapter.start), 3), chapter.title) for chapter in found]


def describe(imported: Imported, dry_run: bool) -> str:
    what = f"{imported.regions} region(s) to cut, {imported.points} point(s) as chapters"
    if dry_run:
        return f"would copy to {imported.target.name}: {what}"
    if not imported.written:
        return f"{imported.target.name} is already this file: {what}"
    return f"wrote {imported.target.name}: {what}; `podcast publish` applies them"
