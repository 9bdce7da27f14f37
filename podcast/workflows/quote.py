"""`podcast quote`: what is said at a moment of an episode, with the speaker and a deep link;
with `--clip`, the audio excerpt and an audiogram for social networks."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podcast.core import fsutil, timecode
from podcast.core.errors import PodcastError
from podcast.domain import transcript, typography
from podcast.edges import ffmpeg, filtergraphs
from podcast.project import episode as episodes
from podcast.project.config import Config
from podcast.project.ids import episode_page_url


@dataclass
class Quote:
    slug: str
    start: float
    end: float
    speakers: list[str]
    text: str
    url: str


def quote(config: Config, slug: str, at: float, duration: float) -> Quote:
    ep = episodes.load(config, slug)
    segments = ep.segments()
    if not segments:
        raise PodcastError(f"{slug} has no transcript yet: run `podcast transcribe {slug}`")
    chosen = [s for s in segments if min(s.end, at + duration) - max(s.start, at) >= min(0.5, (s.end - s.start) / 2)]
    if not chosen:
        raise PodcastError(
            f"nothing is said in {slug} between {timecode.short(at)} and {timecode.short(at + duration)}"
        )
    speakers = list(dict.fromkeys(s.speaker for s in chosen if s.speaker))
    text = typography.for_language(config.show.language)(" ".join(s.text for s in chosen))
    start = chosen[0].start
    return Quote(slug, start, chosen[-1].end, speakers, text, f"{episode_page_url(config, slug)}#t={int(start)}")


def clip(config: Config, found: Quote, at: float, duration: float) -> tuple[Path, Path]:
    """The excerpt as MP3, and an audiogram MP4 (cover art, waveform, burned-in captions)."""
    ep = episodes.load(config, found.slug)
    audio = ep.tagged_audio if ep.tagged_audio.is_file() else ep.processed_audio
    if not audio.is_file():
        raise PodcastError(f"{found.slug} has no processed audio yet: run `podcast publish {found.slug}`")
    art = ep.artwork
    if art is None:
        raise PodcastError("an audiogram needs show artwork (show.artwork)")
    stem = f"clip-{int(at)}-{int(duration)}"
    out_dir = ep.build / "clips"
    mp3, mp4 = out_dir / f"{stem}.mp3", out_dir / f"{stem}.mp4"
    bare = ["-map_metadata", "-1", "-map_chapters", "-1"]  # the episode's tags and chapters are not the clip's
    with fsutil.atomic_path(mp3) as tmp:
        excerpt = (audio, ["-ss", f"{at:.3f}", "-t", f"{duration:.3f}"])
        ffmpeg.render([excerpt], filtergraphs.clip_audio(duration), tmp, ["-c:a", "libmp3lame", "-b:a", "128k", *bare])
    segments = [s for s in ep.segments() if s.end > at and s.start < at + duration]
    for seg in segments:
        seg.start, seg.end = max(0.0, seg.start - at), min(duration, seg.end - at)
    with tempfile.TemporaryDirectory(prefix="podcast-clip-") as tmp_dir:
        srt = Path(tmp_dir) / "captions.srt"
        setting = typography.for_language(config.show.language)
        srt.write_text(transcript.to_srt([_short(s, setting) for s in segments]), encoding="utf-8")
        video = ["-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-pix_fmt", "yuv420p"]
        sound = ["-c:a", "aac", "-b:a", "128k"]
        with fsutil.atomic_path(mp4) as tmp:
            ffmpeg.render(
                [(art, ["-loop", "1", "-framerate", "25"]), mp3],
                filtergraphs.audiogram_graph(srt),
                tmp,
                ["-map", "1:a", *video, *sound, *bare, "-t", f"{duration:.3f}", "-movflags", "+faststart"],
            )
    return mp3, mp4


def _short(segment: transcript.Segment, setting: Callable[[str], str]) -> transcript.Segment:
    segment.speaker = ""  # captions show what is said; the speaker is in the post
    segment.text = setting(segment.text)
    return segment
