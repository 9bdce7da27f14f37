"""`podcast upload`: publish an episode's media, transcripts and chapters under content-addressed keys.

A key embeds the file's hash, so a key never changes meaning: replacing the audio publishes
a new key, and a listener halfway through downloading the old one still gets a consistent
file. An object already present with the same content (size and MD5/ETag, multipart ETags
included) is not sent again. The feed switches to new keys only after they are confirmed
present (see `pipeline.release`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podcast.core import fsutil
from podcast.core.errors import EpisodeError, StorageError
from podcast.domain import transcript
from podcast.edges import storage
from podcast.project.episode import Publication, PublishedObject
from podcast.project.ids import LIGHT_ROLE, check_key, media_key
from podcast.stages import INPUT_ONLY, Context, Outcome


@dataclass(frozen=True)
class File:
    role: str  # "audio", "transcript.vtt", "chapters.json", "image", "chapter-img.NAME"
    key: str  # content-addressed: the file's hash is in it
    size: int
    path: Path = field(metadata=INPUT_ONLY)


@dataclass(frozen=True)
class UploadJob:
    files: tuple[File, ...]  # the audio first: media before what refers to it
    storage: dict[str, Any]
    base_url: str
    duration: float | None = field(metadata=INPUT_ONLY)  # of the audio, for the feed
    light_duration: float | None = field(metadata=INPUT_ONLY)  # of the lighter rendition
    edits: str = field(metadata=INPUT_ONLY)  # the edit list the audio was cut with
    chapters: tuple[dict[str, Any], ...] = field(metadata=INPUT_ONLY)
    with_transcript: bool = field(metadata=INPUT_ONLY)


def episode_files(ctx: Context) -> dict[str, Path]:
    """Role → file, for everything an episode publishes."""
    ep = ctx.episode
    files = {"audio": ep.tagged_audio}
    processed = ctx.upstream.processed
    if processed and processed.light:
        files[LIGHT_ROLE] = ep.tagged_light(processed.light.codec)
    if ep.has_transcript:
        files.update({f"transcript.{fmt}": ep.transcript(fmt) for fmt in transcript.FORMATS})
    if ep.meta.artwork:
        files["image"] = ep.file(ep.meta.artwork)
    tagged = ctx.upstream.tagged
    if tagged and tagged.chapters:
        files["chapters.json"] = ep.chapters_path
        for decl in ep.meta.chapters:
            if decl.img:
                files[f"chapter-img.{decl.img}"] = ep.file(decl.img)
    return files


def _check_reviewed(ctx: Context) -> None:
    """With transcribe.require_review, an episode whose transcript nobody proofread stays unpublished."""
    ep = ctx.episode
    if ctx.config.transcribe.require_review and ep.has_transcript and not ep.transcript_reviewed:
        raise EpisodeError(
            f"the transcript is not reviewed: proofread it with `podcast review {ep.slug}` (or import a corrected "
            f"one with `podcast transcript import {ep.slug} FILE`); transcribe.require_review = true"
        )


def object_key(ctx: Context, role: str, path: Path) -> str:
    kind = role.split(".", 1)[0] if role.startswith("chapter-img.") else role
    return check_key(media_key(ctx.episode.slug, kind, ctx.state.file_hash(path), path.suffix))


class UploadStage:
    name = "upload"
    version = 3

    def prepare(self, ctx: Context) -> UploadJob:
        _check_reviewed(ctx)
        files = []
        for role, path in episode_files(ctx).items():
            if not path.is_file():
                raise EpisodeError(f"{path.name} is missing (run `podcast publish {ctx.episode.slug}`)")
            files.append(File(role, object_key(ctx, role, path), path.stat().st_size, path))
        processed = ctx.upstream.processed
        edl = ctx.episode.edit_list()
        roles = {f.role for f in files}
        return UploadJob(
            tuple(files),
            dataclasses.asdict(ctx.config.storage),
            ctx.config.show.base_url,
            processed.duration if processed else None,
            processed.light.duration if processed and processed.light else None,
            edl.to_json() if edl else "",
            tuple(ctx.episode.chapters()) if "chapters.json" in roles else (),
            "transcript.vtt" in roles,
        )

    def describe(self, ctx: Context, job: UploadJob) -> list[str]:
        store = storage.open_storage(ctx.config)
        return [
            f"{'skip (already there)' if store.same(f.key, f.path) else 'upload'} {f.key} ({f.size:,} bytes)"
            for f in job.files
        ]

    def run(self, ctx: Context, job: UploadJob) -> Outcome[Publication]:
        store = storage.open_storage(ctx.config)
        todo = [f for f in job.files if not store.same(f.key, f.path)]
        bar = ctx.progress("upload", float(sum(f.size for f in todo)))
        sent = 0

        def advance(count: int) -> None:
            nonlocal sent
            sent += count
            bar.update(float(sent))

        try:
            for file in todo:  # media first: the job lists the audio first
                store.put_file(file.key, file.path, advance)
        finally:
            bar.close()
        published: dict[str, PublishedObject] = {}
        for file in job.files:
            info = store.head(file.key)
            if info is None or info.size != file.size:
                raise StorageError(f"{file.key}: not present with {file.size} bytes after upload")
            duration = {"audio": job.duration, LIGHT_ROLE: job.light_duration}.get(file.role)
            integrity = fsutil.sri_file(file.path) if file.role == LIGHT_ROLE else ""  # apps check what they fetched
            published[file.role] = PublishedObject(
                file.key, file.size, storage.content_type(file.key), duration, integrity
            )
        publication = Publication(
            published,
            edits=job.edits,
            chapters=list(job.chapters),
            segments=ctx.episode.keep_published_segments() if job.with_transcript else "",
        )
        skipped = len(job.files) - len(todo)
        message = f"{len(todo)} sent ({sent:,} bytes), {skipped} already there, to {store.describe()}"
        return Outcome([], publication, message)
