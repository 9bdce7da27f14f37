"""`podcast upload`: publish an episode's media, transcripts and chapters under content-addressed keys.

A key embeds the file's hash, so a key never changes meaning: replacing the audio publishes
a new key, and a listener halfway through downloading the old one still gets a consistent
file. An object already present with the same content (size and MD5/ETag, multipart ETags
included) is not sent again. The feed switches to new keys only after they are confirmed
present (see `pipeline.release`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from podcast.core.errors import EpisodeError, StorageError
from podcast.domain import transcript
from podcast.edges import storage
from podcast.project.episode import Publication, PublishedObject
from podcast.project.ids import check_key, media_key
from podcast.stages import Context, Outcome


def episode_files(ctx: Context) -> dict[str, Path]:
    """Role → file, for everything an episode publishes."""
    ep = ctx.episode
    files = {"audio": ep.tagged_audio}
    if ep.has_transcript:
        files.update({f"transcript.{fmt}": ep.transcript(fmt) for fmt in transcript.FORMATS})
    if ep.meta.artwork:
        files["image"] = ep.file(ep.meta.artwork)
    tagged = ctx.state.get("tag")
    if tagged and tagged.info.get("chapters"):
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
    version = 2

    def inputs(self, ctx: Context) -> object:
        _check_reviewed(ctx)
        files = episode_files(ctx)
        for path in files.values():
            if not path.is_file():
                raise EpisodeError(f"{path.name} is missing (run `podcast publish {ctx.episode.slug}`)")
        return {
            "files": {role: ctx.state.file_hash(p) for role, p in files.items()},
            "storage": dataclasses.asdict(ctx.config.storage),
            "base_url": ctx.config.show.base_url,
        }

    def plan(self, ctx: Context) -> list[str]:
        store = storage.open_storage(ctx.config)
        lines = []
        for role, path in episode_files(ctx).items():
            key = object_key(ctx, role, path)
            verb = "skip (already there)" if store.same(key, path) else "upload"
            lines.append(f"{verb} {key} ({path.stat().st_size:,} bytes)")
        return lines

    def run(self, ctx: Context) -> Outcome:
        store = storage.open_storage(ctx.config)
        files = episode_files(ctx)
        todo = {role: path for role, path in files.items() if not store.same(object_key(ctx, role, path), path)}
        total = sum(path.stat().st_size for path in todo.values())
        bar = ctx.progress("upload", float(total))
        sent = 0

        def advance(count: int) -> None:
            nonlocal sent
            sent += count
            bar.update(float(sent))

        try:
            for role, path in todo.items():  # media first: the dict starts with the audio
                store.put_file(object_key(ctx, role, path), path, advance)
        finally:
            bar.close()
        process = ctx.state.get("process")
        duration = process.info.get("duration") if process else None
        published: dict[str, PublishedObject] = {}
        for role, path in files.items():
            key = object_key(ctx, role, path)
            size = path.stat().st_size
            info = store.head(key)
            if info is None or info.size != size:
                raise StorageError(f"{key}: not present with {size} bytes after upload")
            published[role] = PublishedObject(
                key, size, storage.content_type(key), duration if role == "audio" else None
            )
        skipped = len(files) - len(todo)
        edl = ctx.episode.edit_list()
        chapters = ctx.episode.chapters() if "chapters.json" in files else []
        return Outcome(
            [],
            Publication(
                published,
                edits=edl.to_json() if edl else "",
                chapters=chapters,
                segments=ctx.episode.keep_published_segments() if "transcript.vtt" in files else "",
            ).to_info(),
            f"{len(todo)} sent ({sent:,} bytes), {skipped} already there, to {store.describe()}",
        )
