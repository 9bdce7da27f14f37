"""An episode's transcripts as files the producer handles: `podcast transcript` exports one,
`podcast transcript import` and the proofreading page keep a corrected one as the episode's own
(WebVTT in the episode folder, recording timeline, marked reviewed). The formats themselves are
read and written in `domain/transcript_files.py`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from podcast.core import fsutil, timecode
from podcast.core.errors import PodcastError, TranscriptFileError
from podcast.domain.transcript import Segment
from podcast.domain.transcript_files import MAX_FILE_BYTES, check, own_vtt, parse, to_recording
from podcast.project import episode as episodes
from podcast.project.config import Config


def export(config: Config, slug: str, fmt: str, output: Path | None) -> str | None:
    """The transcript in `fmt`; written to `output` when given (then None is returned)."""
    path = episodes.load(config, slug).transcript(fmt)
    if not path.is_file():
        raise PodcastError(f"{slug} has no transcript yet: run `podcast transcribe {slug}`")
    if output is None:
        return path.read_text(encoding="utf-8")
    fsutil.copy_file(path, output)
    return None


@dataclass(frozen=True)
class Saved:
    path: Path
    cues: int
    words: int
    previous: Path | None  # the transcript it replaced, kept here

    def describe(self, dry_run: bool) -> str:
        verb = "would write" if dry_run else "wrote"
        line = f"{verb} {self.path} ({self.cues} cues, {self.words} words, reviewed)"
        if self.previous:
            line += f"; the previous one is kept as {self.previous}"
        return line + ("" if dry_run else f"; `podcast publish {self.path.parent.name}` publishes it")


def save_reviewed(config: Config, slug: str, cues: list[Segment], how: str, *, dry_run: bool = False) -> Saved:
    """Keep proofread cues (published timeline) as the episode's own transcript, in the
    recording's timeline, marked reviewed. A transcript it replaces is kept in build/SLUG/cache/."""
    ep = episodes.load(config, slug)
    cues = check(cues, how)
    edl = ep.edit_list()
    length = edl.duration if edl else None
    if length is not None:
        late = next((c for c in cues if c.start > length + 0.5), None)
        if late:
            raise TranscriptFileError(
                f"{how}: the cue at {timecode.format(late.start)} starts after the episode's end "
                f"({timecode.format(length)}): is it this episode's transcript?"
            )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = own_vtt(to_recording(cues, edl), f"{episodes.REVIEWED_NOTE.removeprefix('NOTE ')} ({how}, {stamp})")
    previous = None
    if ep.own_transcript.is_symlink() or ep.own_transcript.is_file():
        fsutil.require_inside(ep.own_transcript, config.root, f"{slug}'s {ep.own_transcript.name}")
    if ep.own_transcript.is_file():
        previous = ep.build / "cache" / f"transcript-{fsutil.sha256_file(ep.own_transcript)[:20]}.vtt"
    words = sum(len(c.text.split()) for c in cues)
    if not dry_run:
        if previous and not previous.is_file():
            fsutil.copy_file(ep.own_transcript, previous)
        fsutil.write_text(ep.own_transcript, text)
    return Saved(ep.own_transcript, len(cues), words, previous)


def import_file(config: Config, slug: str, path: Path, *, dry_run: bool = False) -> Saved:
    """`podcast transcript import`: a transcript corrected in another tool (WebVTT, SubRip or
    JSON, in the published timeline, as `podcast transcript` exported it) becomes the
    episode's own, reviewed."""
    ep = episodes.load(config, slug)
    try:
        text = fsutil.read_text(path, limit=MAX_FILE_BYTES)  # named on the command line: read wherever it is
    except FileNotFoundError:
        raise TranscriptFileError(f"{path}: no such file") from None
    speakers = [s.speaker for s in ep.segments() if s.speaker]
    cues = parse(text, path.suffix.lstrip(".") or "vtt", path.name, sorted(set(speakers)))
    return save_reviewed(config, slug, cues, f"imported from {path.name}", dry_run=dry_run)
