"""upload: publish an episode's media and transcripts to storage under content-addressed keys.

A key embeds the file's hash, so a key never changes meaning: replacing the audio publishes
a new key, and a listener halfway through downloading the old one still gets a consistent
file. The feed switches to the new key only after it is confirmed present.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from .. import storage, transcript
from ..errors import EpisodeError, StorageError
from ..ids import media_key
from . import Context, Outcome


def episode_files(ctx: Context) -> dict[str, Path]:
    """Role → file, for everything an episode publishes."""
    ep = ctx.episode
    files = {"audio": ep.tagged_audio}
    if ctx.config.transcribe.enabled:
        files.update({f"transcript.{fmt}": ep.transcript(fmt) for fmt in transcript.FORMATS})
    if ep.meta.artwork:
        files["image"] = ep.folder / ep.meta.artwork
    tagged = ctx.state.get("tag")
    if tagged and tagged.info.get("chapters"):
        files["chapters.json"] = ep.build / "chapters.json"
        for decl in ep.meta.chapters:
            if decl.img:
                files[f"chapter-img.{decl.img}"] = ep.folder / decl.img
    return files


def object_key(ctx: Context, role: str, path: Path) -> str:
    kind = role.split(".", 1)[0] if role.startswith("chapter-img.") else role
    return storage.check_key(media_key(ctx.episode.slug, kind, ctx.state.file_hash(path), path.suffix))


class UploadStage:
    name = "upload"
    version = 1

    def inputs(self, ctx: Context) -> object:
        files = episode_files(ctx)
        for path in files.values():
            if not path.is_file():
                raise EpisodeError(f"{path.name} is missing (run `podcast publish {ctx.episode.slug}`)")
        return {
            "files": {role: ctx.state.file_hash(p) for role, p in files.items()},
            "storage": dataclasses.asdict(ctx.config.storage),
        }

    def plan(self, ctx: Context) -> list[str]:
        store = storage.open_storage(ctx.config)
        lines = []
        for role, path in episode_files(ctx).items():
            key = object_key(ctx, role, path)
            verb = "skip (already there)" if store.head(key) else "upload"
            lines.append(f"{verb} {key} ({path.stat().st_size:,} bytes)")
        return lines

    def run(self, ctx: Context) -> Outcome:
        store = storage.open_storage(ctx.config)
        published: dict[str, dict[str, object]] = {}
        sent = 0
        for role, path in episode_files(ctx).items():
            key = object_key(ctx, role, path)
            size = path.stat().st_size
            existing = store.head(key)
            if existing is None or existing.size != size:
                store.put_file(key, path)
                sent += size
            check = store.head(key)
            if check is None or check.size != size:
                raise StorageError(f"{key}: not present with {size} bytes after upload")
            published[role] = {"key": key, "size": size, "type": storage.content_type(key)}
        process = ctx.state.get("process")
        duration = process.info.get("duration") if process else None
        return Outcome(
            [],
            {"published": published, "duration": duration},
            f"{len(published)} files, {sent:,} bytes sent to {store.describe()}",
        )
