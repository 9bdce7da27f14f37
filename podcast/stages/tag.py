"""tag: complete metadata on a copy of the processed audio (the only module that uses mutagen),
plus the episode's chapters (ID3 CHAP/CTOC in the file, Podcasting 2.0 JSON beside it).

Tags are declared once as a table: each row names a field and how it is written as an ID3v2.4
frame (MP3) and as an MP4 atom (M4A), so adding a field is adding a row. The tagged file is
written beside the target and renamed into place: never a half-tagged file; the audio frames
are copied untouched. Writing the same inputs twice gives a byte-identical file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mutagen import MutagenError
from mutagen.id3 import (
    APIC,
    CHAP,
    COMM,
    CTOC,
    ID3,
    PCST,
    TALB,
    TCAT,
    TCON,
    TCOP,
    TDES,
    TDRC,
    TGID,
    TIPL,
    TIT2,
    TLAN,
    TPE1,
    TPE2,
    TPOS,
    TRCK,
    TXXX,
    USLT,
    WFED,
    WOAS,
    WXXX,
    CTOCFlags,
    Frame,
)
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

from podcast.core import fsutil, i18n, timecode
from podcast.core.errors import EpisodeError, MediaError
from podcast.domain import chapters
from podcast.edges import images as artwork
from podcast.project.config import ChapterDecl, Config, EpisodeMeta, Show, Url
from podcast.project.episode import Episode
from podcast.project.ids import episode_guid, episode_page_url, media_key, public_url
from podcast.stages import Context, Outcome

ISO639_2 = {"fr": "fra", "en": "eng", "de": "deu", "es": "spa", "it": "ita", "nl": "nld", "pt": "por"}


@dataclass(frozen=True)
class Source:
    """What the tags are made from."""

    config: Config
    episode: Episode
    lyrics: str | None  # the plain-text transcript, when there is one

    @property
    def show(self) -> Show:
        return self.config.show

    @property
    def meta(self) -> EpisodeMeta:
        return self.episode.meta

    @property
    def language(self) -> str:
        language = self.config.transcribe.language
        return language if language != "auto" else self.show.language


def _text(frame: type[Frame]) -> Callable[[Any], Frame]:
    return lambda value: frame(encoding=3, text=str(value))


def _txxx(desc: str) -> Callable[[Any], Frame]:
    return lambda value: TXXX(encoding=3, desc=desc, text=str(value))


def _mp4(atom: str, convert: Callable[[Any], Any] = lambda v: [v]) -> tuple[str, Callable[[Any], Any]]:
    return atom, convert


@dataclass(frozen=True)
class Field:
    name: str
    value: Callable[[Source], Any]  # None, "" or [] leaves the tag out
    id3: Callable[[Any], Frame]
    mp4: tuple[str, Callable[[Any], Any]] | None


FIELDS: tuple[Field, ...] = (
    Field("title", lambda s: s.meta.title, _text(TIT2), _mp4("\xa9nam")),
    Field("show", lambda s: s.show.title, _text(TALB), _mp4("\xa9alb")),
    Field("artist", lambda s: s.show.author or s.show.title, _text(TPE1), _mp4("\xa9ART")),
    Field("album_artist", lambda s: s.show.author or s.show.title, _text(TPE2), _mp4("aART")),
    Field(
        "guests",
        lambda s: [g.name for g in s.meta.guests],
        lambda v: TIPL(encoding=3, people=[["guest", name] for name in v]),
        _mp4("----:com.apple.iTunes:GUESTS", lambda v: [MP4FreeForm("; ".join(v).encode())]),
    ),
    Field("episode", lambda s: s.meta.number, _text(TRCK), _mp4("trkn", lambda v: [(int(v), 0)])),
    Field("season", lambda s: s.meta.season, _text(TPOS), _mp4("disk", lambda v: [(int(v), 0)])),
    Field("episode_number", lambda s: s.meta.number, _txxx("EPISODE"), _mp4("tves", lambda v: [int(v)])),
    Field("season_number", lambda s: s.meta.season, _txxx("SEASON"), _mp4("tvsn", lambda v: [int(v)])),
    Field("date", lambda s: s.meta.date.date().isoformat() if s.meta.date else None, _text(TDRC), _mp4("\xa9day")),
    Field("genre", lambda s: "Podcast", _text(TCON), _mp4("\xa9gen")),
    Field("language", lambda s: ISO639_2.get(s.language, s.language), _text(TLAN), None),
    Field(
        "comment", lambda s: s.meta.summary, lambda v: COMM(encoding=3, lang="XXX", desc="", text=v), _mp4("\xa9cmt")
    ),
    Field("description", lambda s: s.meta.summary, _text(TDES), _mp4("desc")),
    Field("copyright", lambda s: s.show.copyright, _text(TCOP), _mp4("cprt")),
    Field(
        "category",
        lambda s: s.show.categories[0].split(">")[0].strip() if s.show.categories else None,
        _text(TCAT),
        _mp4("catg"),
    ),
    Field("guid", lambda s: episode_guid(s.config, s.episode.slug, s.meta.guid), _text(TGID), _mp4("egid")),
    Field("feed_url", lambda s: s.config.feed_url, lambda v: WFED(encoding=3, url=v), _mp4("purl")),
    Field("page_url", lambda s: episode_page_url(s.config, s.episode.slug), lambda v: WOAS(url=v), None),
    Field("podcast", lambda s: True, lambda v: PCST(value=1), _mp4("pcst", lambda v: True)),
    Field(
        "lyrics",
        lambda s: s.lyrics,
        lambda v: USLT(encoding=3, lang="XXX", desc="transcript", text=v),
        _mp4("\xa9lyr"),
    ),
)


def tag_values(ctx: Context) -> dict[str, Any]:
    transcript = ctx.episode.transcript("txt")
    lyrics = None
    if ctx.episode.has_transcript and transcript.is_file():
        lyrics = transcript.read_text(encoding="utf-8").strip()
    source = Source(ctx.config, ctx.episode, lyrics)
    values = {field.name: field.value(source) for field in FIELDS}
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def resolve_chapters(ctx: Context) -> tuple[list[chapters.Chapter], str]:
    ep = ctx.episode
    process = ctx.state.get("process")
    duration = float(process.info.get("duration", 0)) if process else 0.0
    points = [m for m in ep.markers() if not m.is_region]
    marked = [ChapterDecl(f"{m.start:.3f}", m.title, Url(m.url)) for m in points]
    marker_file = ep.marker_file()
    found, origin = chapters.resolve(
        ep.meta.chapters, ep.notes, ep.edit_list(), duration, marked, marker_file.name if marker_file else ""
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


class TagStage:
    name = "tag"
    version = 3

    def inputs(self, ctx: Context) -> object:
        audio = ctx.episode.processed_audio
        if not audio.is_file():
            raise EpisodeError("no processed audio yet (run `podcast process` first)")
        art = ctx.episode.artwork
        found, _ = resolve_chapters(ctx)
        return {
            "audio": ctx.state.file_hash(audio),
            "retag": ctx.episode.retag,
            "tags": tag_values(ctx),
            "artwork": ctx.state.file_hash(art) if art and art.is_file() else str(art),
            "chapters": [vars(c) for c in found],
            "chapter_images": chapter_image_urls(ctx, found),
        }

    def plan(self, ctx: Context) -> list[str]:
        values = tag_values(ctx)
        art = ctx.episode.artwork
        kind = "MP4 atoms" if ctx.episode.format == "m4a" else "ID3v2.4"
        lines = [f"{kind}: {', '.join(values)}" + (f", cover {art.name}" if art else "")]
        found, origin = resolve_chapters(ctx)
        lines += [f"chapter {timecode.format(c.start)} {c.title} (from {origin})" for c in found]
        return lines

    def run(self, ctx: Context) -> Outcome:
        ep = ctx.episode
        values = tag_values(ctx)
        art = ctx.episode.artwork if ep.retag else None
        if art is not None:
            if not art.is_file():
                raise EpisodeError(f"artwork not found: {art}")
            artwork.require(art)
        found, origin = resolve_chapters(ctx)
        outputs: list[Path] = []
        chapters_json = ep.chapters_path
        if found:
            fsutil.write_text(chapters_json, chapters.to_json(found, chapter_image_urls(ctx, found)))
            outputs.append(chapters_json)
        else:
            chapters_json.unlink(missing_ok=True)
        with fsutil.atomic_path(ep.tagged_audio) as tmp:
            shutil.copyfile(ep.processed_audio, tmp)
            if not ep.retag:
                pass  # published as it is: the file keeps its own tags, byte for byte
            elif ep.format == "m4a":
                write_mp4(tmp, values, art)
            elif ep.format != "mp3":
                raise EpisodeError(f"tags are written into MP3 and M4A files, not .{ep.format}: set retag = false")
            else:
                write_id3(tmp, values, art, found, ep.folder, i18n.strings(ctx.config.show.language)["chapters"])
        outputs.insert(0, ep.tagged_audio)
        detail = f"{len(values)} tags" + (", cover art" if art else "") if ep.retag else "its own tags kept (as it is)"
        if found:
            detail += f", {len(found)} chapters from {origin}"
        return Outcome(outputs, {"chapters": len(found)}, detail)


def _image(path: Path) -> tuple[bytes, bool]:
    data = path.read_bytes()
    return data, data[:8] == b"\x89PNG\r\n\x1a\n"


def _apic(path: Path, desc: str) -> APIC:
    data, png = _image(path)
    return APIC(encoding=3, mime="image/png" if png else "image/jpeg", type=3, desc=desc, data=data)


def chapter_frames(found: list[chapters.Chapter], folder: Path, toc_title: str) -> list[Frame]:
    frames: list[Frame] = []
    ids = [f"chp{i}" for i in range(len(found))]
    frames.append(
        CTOC(
            element_id="toc",
            flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
            child_element_ids=ids,
            sub_frames=[TIT2(encoding=3, text=toc_title)],
        )
    )
    for element_id, chapter in zip(ids, found, strict=True):
        sub: list[Frame] = [TIT2(encoding=3, text=chapter.title)]
        if chapter.url:
            sub.append(WXXX(encoding=3, desc="chapter url", url=chapter.url))
        if chapter.img:
            sub.append(_apic(folder / chapter.img, "chapter image"))
        frames.append(
            CHAP(
                element_id=element_id,
                start_time=round(chapter.start * 1000),
                end_time=round(chapter.end * 1000),
                sub_frames=sub,
            )
        )
    return frames


def write_id3(
    path: Path, values: dict[str, Any], art: Path | None, found: list[chapters.Chapter], folder: Path, toc_title: str
) -> None:
    tags = ID3()
    for field in FIELDS:
        if field.name in values:
            tags.add(field.id3(values[field.name]))
    if art is not None:
        tags.add(_apic(art, "Cover"))
    if found:
        for frame in chapter_frames(found, folder, toc_title):
            tags.add(frame)
    try:
        tags.save(path, v2_version=4, padding=lambda info: 0)
    except MutagenError as exc:
        raise MediaError(f"cannot write tags to {path.name}: {exc}") from None
    if found:
        order_chapter_frames(path)


def _syncsafe(data: bytes) -> int:
    return (data[0] << 21) | (data[1] << 14) | (data[2] << 7) | data[3]


def _chap_start(frame: bytes) -> int:
    data = frame[10:]
    end = data.index(b"\0")
    return int.from_bytes(data[end + 1 : end + 5], "big")


def order_chapter_frames(path: Path) -> None:
    """Put the CHAP frames in time order inside the tag. mutagen orders frames by size, and
    ffmpeg-based players list chapters in file order rather than by CTOC or start time."""
    with path.open("r+b") as handle:
        header = handle.read(10)
        if header[:3] != b"ID3" or header[3] != 4 or header[5] & 0xC0:
            return  # not the plain ID3v2.4 tag we just wrote: leave it
        body = handle.read(_syncsafe(header[6:10]))
        frames, position = [], 0
        while position + 10 <= len(body) and body[position : position + 4] != b"\0\0\0\0":
            size = _syncsafe(body[position + 4 : position + 8])
            frames.append(body[position : position + 10 + size])
            position += 10 + size
        slots = [i for i, frame in enumerate(frames) if frame[:4] == b"CHAP"]
        for slot, frame in zip(slots, sorted((frames[i] for i in slots), key=_chap_start), strict=True):
            frames[slot] = frame
        handle.seek(10)
        handle.write(b"".join(frames) + body[position:])


def write_mp4(path: Path, values: dict[str, Any], art: Path | None) -> None:
    try:
        audio = MP4(path)
        if audio.tags is None:
            audio.add_tags()
        assert audio.tags is not None
        audio.tags.clear()
        for field in FIELDS:
            if field.mp4 and field.name in values:
                atom, convert = field.mp4
                audio.tags[atom] = convert(values[field.name])
        if art is not None:
            data, png = _image(art)
            audio.tags["covr"] = [MP4Cover(data, MP4Cover.FORMAT_PNG if png else MP4Cover.FORMAT_JPEG)]
        audio.save(padding=lambda info: 0)
    except MutagenError as exc:
        raise MediaError(f"cannot write tags to {path.name}: {exc}") from None
