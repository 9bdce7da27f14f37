"""tag: complete metadata on a copy of the processed audio (written through `edges.tags`, the
mutagen edge), plus the episode's chapters (ID3 CHAP/CTOC in the file, Podcasting 2.0 JSON
beside it). The tagged file is written beside the target and renamed into place: never a
half-tagged file; the audio frames are copied untouched. The same job twice gives a
byte-identical file.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podcast.core import fsutil, i18n, timecode
from podcast.core.errors import EpisodeError
from podcast.domain import chapters
from podcast.edges import images as artwork
from podcast.edges import tags
from podcast.project.episode import LIGHT_SUFFIX
from podcast.project.ids import media_key, public_url
from podcast.stages import INPUT_ONLY, Context, Outcome, Tagged


def tag_values(ctx: Context) -> dict[str, Any]:
    transcript = ctx.episode.transcript("txt")
    lyrics = None
    if ctx.episode.has_transcript and transcript.is_file():
        lyrics = transcript.read_text(encoding="utf-8").strip()
    return tags.values(ctx.config, ctx.episode, lyrics)


def resolve_chapters(ctx: Context, duration: float) -> tuple[list[chapters.Chapter], str]:
    ep = ctx.episode
    marker_file = ep.marker_file()
    found, origin = chapters.resolve(
        ep.meta.chapters,
        ep.notes,
        ep.edit_list(),
        duration,
        ep.marked_chapters(),
        marker_file.name if marker_file else "",
    )
    for chapter in found:
        if chapter.img and not ep.file(chapter.img).is_file():
            raise EpisodeError(f"chapter {chapter.title!r}: image {chapter.img} not found in {ep.folder}")
    return found, origin


def chapter_image_urls(ctx: Context, found: list[chapters.Chapter]) -> dict[str, str]:
    urls = {}
    for chapter in found:
        if chapter.img:
            path = ctx.episode.file(chapter.img)
            key = media_key(ctx.episode.slug, "chapter-img", ctx.state.file_hash(path), path.suffix)
            urls[chapter.img] = public_url(ctx.config, key)
    return urls


@dataclass(frozen=True)
class TagJob:
    audio: str  # sha256 of the processed audio
    retag: bool
    format: str
    tags: dict[str, Any]
    artwork: str  # sha256 of the cover written into the file ("" for none)
    chapters: tuple[chapters.Chapter, ...]
    origin: str  # where the chapters come from, for the report
    chapter_images: dict[str, str]  # image file → public URL
    toc_title: str
    cover: Path | None = field(metadata=INPUT_ONLY)
    light: str = ""  # the lighter rendition's codec ("" for none)
    light_audio: str = ""  # sha256 of the processed rendition


class TagStage:
    name = "tag"
    version = 4

    def prepare(self, ctx: Context) -> TagJob:
        ep = ctx.episode
        audio = ep.processed_audio
        if not audio.is_file():
            raise EpisodeError("no processed audio yet (run `podcast process` first)")
        cover = ep.artwork if ep.retag else None
        if cover is not None and not cover.is_file():
            raise EpisodeError(f"artwork not found: {cover}")
        processed = ctx.upstream.processed
        found, origin = resolve_chapters(ctx, processed.duration if processed else 0.0)
        light = processed.light.codec if processed and processed.light else ""
        if light and not ep.light_audio(light).is_file():
            raise EpisodeError(f"{ep.light_audio(light).name} is missing: run `podcast process {ep.slug} --force`")
        return TagJob(
            ctx.state.file_hash(audio),
            ep.retag,
            ep.format,
            tag_values(ctx),
            ctx.state.file_hash(cover) if cover else "",
            tuple(found),
            origin,
            chapter_image_urls(ctx, found),
            i18n.strings(ctx.config.show.language)["chapters"],
            cover,
            light,
            ctx.state.file_hash(ep.light_audio(light)) if light else "",
        )

    def describe(self, ctx: Context, job: TagJob) -> list[str]:
        kind = "MP4 atoms" if job.format == "m4a" else "ID3v2.4"
        if job.retag:
            lines = [f"{kind}: {', '.join(job.tags)}" + (f", cover {job.cover.name}" if job.cover else "")]
        else:
            lines = ["its own tags kept (as it is)"]
        if job.light:
            lines.append(
                f"the lighter rendition: the same tags as {'MP4 atoms' if job.light == 'aac' else 'Vorbis comments'}"
            )
        return lines + [f"chapter {timecode.format(c.start)} {c.title} (from {job.origin})" for c in job.chapters]

    def run(self, ctx: Context, job: TagJob) -> Outcome[Tagged]:
        ep = ctx.episode
        if job.cover is not None:
            artwork.require(job.cover)
        outputs: list[Path] = []
        found = list(job.chapters)
        if found:
            fsutil.write_text(ep.chapters_path, chapters.to_json(found, job.chapter_images))
            outputs.append(ep.chapters_path)
        else:
            ep.chapters_path.unlink(missing_ok=True)
        with fsutil.atomic_path(ep.tagged_audio) as tmp:
            shutil.copyfile(ep.processed_audio, tmp)
            if not job.retag:
                pass  # published as it is: the file keeps its own tags, byte for byte
            elif job.format == "m4a":
                tags.write_mp4(tmp, job.tags, job.cover)
            elif job.format != "mp3":
                raise EpisodeError(f"tags are written into MP3 and M4A files, not .{job.format}: set retag = false")
            else:
                tags.write_id3(tmp, job.tags, job.cover, found, ep.folder, job.toc_title)
        outputs.insert(0, ep.tagged_audio)
        outputs[1:1] = self._light(ctx, job, found)
        detail = (
            f"{len(job.tags)} tags" + (", cover art" if job.cover else "")
            if job.retag
            else "its own tags kept (as it is)"
        )
        if found:
            detail += f", {len(found)} chapters from {job.origin}"
        if job.light:
            detail += f"; the {job.light} rendition too"
        return Outcome(outputs, Tagged(len(found)), detail)

    @staticmethod
    def _light(ctx: Context, job: TagJob, found: list[chapters.Chapter]) -> list[Path]:
        """The lighter rendition, with the same tags (and its chapters where Ogg holds them), but
        no cover: it is the light one. A rendition the show no longer asks for is removed."""
        ep = ctx.episode
        for other in LIGHT_SUFFIX:
            if other != job.light:
                ep.tagged_light(other).unlink(missing_ok=True)
        if not job.light:
            return []
        target = ep.tagged_light(job.light)
        with fsutil.atomic_path(target) as tmp:
            shutil.copyfile(ep.light_audio(job.light), tmp)
            if job.light == "aac":
                tags.write_mp4(tmp, job.tags, None)
            else:
                tags.write_vorbis(tmp, job.tags, found)
        return [target]
