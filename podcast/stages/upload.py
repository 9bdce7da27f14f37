"""upload: publish an episode's media, transcripts and chapters under content-addressed keys.

A key embeds the file's hash, so a key never changes meaning: replacing the audio publishes
a new key, and a listener halfway through downloading the old one still gets a consistent
file. An object already present with the same content (size and MD5/ETag, multipart ETags
included) is not sent again. The feed switches to new keys only after they are confirmed
present (see the feed stage). `unpublish` removes an episode from the feed first, then its
objects.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from .. import episode as episodes
from .. import storage, transcript
from ..config import Config
from ..errors import EpisodeError, PodcastError, StorageError
from ..ids import media_key
from ..state import State
from . import Context, Outcome

WITHDRAWN = "withdrawn"  # state record left by `podcast unpublish`


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
    version = 2

    def inputs(self, ctx: Context) -> object:
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
        published: dict[str, dict[str, object]] = {}
        for role, path in files.items():
            key = object_key(ctx, role, path)
            size = path.stat().st_size
            info = store.head(key)
            if info is None or info.size != size:
                raise StorageError(f"{key}: not present with {size} bytes after upload")
            published[role] = {"key": key, "size": size, "type": storage.content_type(key)}
        process = ctx.state.get("process")
        duration = process.info.get("duration") if process else None
        skipped = len(files) - len(todo)
        return Outcome(
            [],
            {"published": published, "duration": duration},
            f"{len(todo)} sent ({sent:,} bytes), {skipped} already there, to {store.describe()}",
        )


def unpublish(config: Config, slug: str, *, dry_run: bool = False) -> list[str]:
    """Take an episode out of the feed (published first), then delete its objects."""
    from .feed import publish_feed

    ep = episodes.load(config, slug)
    store = storage.open_storage(config)
    keys = list(store.list(f"episodes/{slug}"))
    if dry_run:
        return [f"would remove {slug} from the feed, then delete:"] + [
            f"  {key} ({size:,} bytes)" for key, size in keys
        ]
    state = State(ep.state_path)
    state.records.pop("upload", None)
    state.record_done(WITHDRAWN, "", {}, {"objects": len(keys)})
    result = publish_feed(config, force=False)
    lines = [f"{slug} removed from the feed; {result.message}"]
    for key, size in keys:
        store.delete(key)
        lines.append(f"deleted {key} ({size:,} bytes)")
    return lines


def parse_duration(text: str) -> int:
    """'7d', '12h', '30m', '3600' → seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not match:
        raise PodcastError(f"--expires {text!r}: use e.g. 7d, 12h, 30m or a number of seconds")
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]


def share(config: Config, slug: str, seconds: int) -> str:
    """A presigned (SigV4) link to the episode's published audio, for a private preview."""
    if not 1 <= seconds <= 7 * 86400:
        raise PodcastError("--expires: SigV4 links last from 1 second to 7 days")
    store = storage.open_storage(config)
    if not isinstance(store, storage.S3Storage):
        raise PodcastError('share needs S3 storage (storage.kind = "s3"); local files are shared by URL')
    ep = episodes.load(config, slug)
    record = State(ep.state_path).get("upload")
    published = (record.info.get("published") if record else None) or {}
    if "audio" not in published:
        raise PodcastError(f"{slug} is not published yet (run `podcast publish {slug}`)")
    return store.presign(str(published["audio"]["key"]), seconds)
