"""tag: ID3v2.4 tags on a copy of the processed audio (the only module that uses mutagen).

Tags are declared as a table (field → ID3 frame) so adding one is adding a row. The tagged
file is written beside the target and renamed into place: never a half-tagged file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

from mutagen import MutagenError
from mutagen.id3 import APIC, COMM, ID3, TALB, TCON, TDRC, TIT2, TLAN, TPE1, TPOS, TRCK, Frame

from .. import fsutil
from ..errors import EpisodeError, MediaError
from . import Context, Outcome

ISO639_2 = {"fr": "fra", "en": "eng", "de": "deu", "es": "spa", "it": "ita", "nl": "nld", "pt": "por"}

# (name, frame factory from the tag values) – one row per field
FRAMES: list[tuple[str, Callable[[Any], Frame]]] = [
    ("title", lambda v: TIT2(encoding=3, text=v)),
    ("show", lambda v: TALB(encoding=3, text=v)),
    ("artist", lambda v: TPE1(encoding=3, text=v)),
    ("episode", lambda v: TRCK(encoding=3, text=str(v))),
    ("season", lambda v: TPOS(encoding=3, text=str(v))),
    ("date", lambda v: TDRC(encoding=3, text=v)),
    ("genre", lambda v: TCON(encoding=3, text="Podcast")),
    ("language", lambda v: TLAN(encoding=3, text=v)),
    ("comment", lambda v: COMM(encoding=3, lang="XXX", desc="", text=v)),
]


def tag_values(ctx: Context) -> dict[str, Any]:
    show, meta = ctx.config.show, ctx.episode.meta
    values: dict[str, Any] = {
        "title": meta.title,
        "show": show.title,
        "artist": show.author,
        "episode": meta.number,
        "season": meta.season,
        "date": meta.date.date().isoformat() if meta.date else None,
        "genre": "Podcast",
        "language": ISO639_2.get(show.language, show.language),
        "comment": meta.summary,
    }
    return {k: v for k, v in values.items() if v not in (None, "")}


class TagStage:
    name = "tag"
    version = 1

    def inputs(self, ctx: Context) -> object:
        audio = ctx.episode.processed_audio
        if not audio.is_file():
            raise EpisodeError("no processed audio yet (run `podcast process` first)")
        art = ctx.config.artwork_path
        return {
            "audio": ctx.state.file_hash(audio),
            "tags": tag_values(ctx),
            "artwork": ctx.state.file_hash(art) if art else None,
        }

    def plan(self, ctx: Context) -> list[str]:
        values = tag_values(ctx)
        art = ctx.config.artwork_path
        return [f"ID3v2.4: {', '.join(values)}" + (f", cover {art.name}" if art else "")]

    def run(self, ctx: Context) -> Outcome:
        ep = ctx.episode
        with fsutil.atomic_path(ep.tagged_audio) as tmp:
            shutil.copyfile(ep.processed_audio, tmp)
            write_tags(tmp, tag_values(ctx), ctx.config.artwork_path)
        return Outcome([ep.tagged_audio], {}, f"{len(tag_values(ctx))} tags")


def write_tags(path: Any, values: dict[str, Any], artwork: Any) -> None:
    tags = ID3()
    for name, make in FRAMES:
        if name in values:
            tags.add(make(values[name]))
    if artwork is not None:
        mime = "image/png" if artwork.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg"
        tags.add(APIC(encoding=3, mime=mime, type=3, desc="Cover", data=artwork.read_bytes()))
    try:
        tags.save(path, v2_version=4, padding=lambda info: 0)
    except MutagenError as exc:
        raise MediaError(f"cannot write tags to {path}: {exc}") from None
