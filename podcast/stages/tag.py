"""tag: metadata tags on a copy of the processed audio (the only module that uses mutagen).

Tags are declared once as a table: each row names a field and how it is written as an ID3v2.4
frame (MP3) and as an MP4 atom (M4A), so adding a field is adding a row. The tagged file is
written beside the target and renamed into place: never a half-tagged file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.id3 import APIC, COMM, ID3, TALB, TCON, TDRC, TIT2, TLAN, TPE1, TPOS, TRCK, Frame
from mutagen.mp4 import MP4, MP4Cover

from .. import fsutil
from ..errors import EpisodeError, MediaError
from . import Context, Outcome

ISO639_2 = {"fr": "fra", "en": "eng", "de": "deu", "es": "spa", "it": "ita", "nl": "nld", "pt": "por"}


@dataclass(frozen=True)
class Field:
    name: str
    id3: Callable[[Any], Frame]
    mp4: tuple[str, Callable[[Any], Any]] | None


FIELDS: tuple[Field, ...] = (
    Field("title", lambda v: TIT2(encoding=3, text=v), ("\xa9nam", lambda v: [v])),
    Field("show", lambda v: TALB(encoding=3, text=v), ("\xa9alb", lambda v: [v])),
    Field("artist", lambda v: TPE1(encoding=3, text=v), ("\xa9ART", lambda v: [v])),
    Field("episode", lambda v: TRCK(encoding=3, text=str(v)), ("trkn", lambda v: [(int(v), 0)])),
    Field("season", lambda v: TPOS(encoding=3, text=str(v)), ("disk", lambda v: [(int(v), 0)])),
    Field("date", lambda v: TDRC(encoding=3, text=v), ("\xa9day", lambda v: [v])),
    Field("genre", lambda v: TCON(encoding=3, text=v), ("\xa9gen", lambda v: [v])),
    Field("language", lambda v: TLAN(encoding=3, text=v), None),
    Field("comment", lambda v: COMM(encoding=3, lang="XXX", desc="", text=v), ("\xa9cmt", lambda v: [v])),
)


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
    version = 2

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
        kind = "MP4 atoms" if ctx.episode.ext == "m4a" else "ID3v2.4"
        return [f"{kind}: {', '.join(values)}" + (f", cover {art.name}" if art else "")]

    def run(self, ctx: Context) -> Outcome:
        ep = ctx.episode
        values = tag_values(ctx)
        with fsutil.atomic_path(ep.tagged_audio) as tmp:
            shutil.copyfile(ep.processed_audio, tmp)
            write = write_mp4 if ep.ext == "m4a" else write_id3
            write(tmp, values, ctx.config.artwork_path)
        return Outcome(
            [ep.tagged_audio], {}, f"{len(values)} tags" + (", cover art" if ctx.config.artwork_path else "")
        )


def _image(artwork: Path) -> tuple[bytes, bool]:
    data = artwork.read_bytes()
    return data, data[:8] == b"\x89PNG\r\n\x1a\n"


def write_id3(path: Path, values: dict[str, Any], artwork: Path | None) -> None:
    tags = ID3()
    for field in FIELDS:
        if field.name in values:
            tags.add(field.id3(values[field.name]))
    if artwork is not None:
        data, png = _image(artwork)
        tags.add(APIC(encoding=3, mime="image/png" if png else "image/jpeg", type=3, desc="Cover", data=data))
    try:
        tags.save(path, v2_version=4, padding=lambda info: 0)
    except MutagenError as exc:
        raise MediaError(f"cannot write tags to {path.name}: {exc}") from None


def write_mp4(path: Path, values: dict[str, Any], artwork: Path | None) -> None:
    try:
        audio = MP4(path)
        audio.delete()
        audio = MP4(path)
        if audio.tags is None:
            audio.add_tags()
        assert audio.tags is not None
        for field in FIELDS:
            if field.mp4 and field.name in values:
                atom, convert = field.mp4
                audio.tags[atom] = convert(values[field.name])
        if artwork is not None:
            data, png = _image(artwork)
            audio.tags["covr"] = [MP4Cover(data, MP4Cover.FORMAT_PNG if png else MP4Cover.FORMAT_JPEG)]
        audio.save(padding=lambda info: 0)
    except MutagenError as exc:
        raise MediaError(f"cannot write tags to {path.name}: {exc}") from None
