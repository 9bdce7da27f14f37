"""Tags inside the delivered file, through mutagen (the only module that imports it): ID3v2.4
frames for MP3, MP4 atoms for M4A, Vorbis comments for Ogg Opus (the lighter rendition), and
the chapters as ID3 CHAP/CTOC frames or Vorbis CHAPTERnnn comments.

Tags are declared once as a table: each row names a field, where its value comes from, and how
it is written as an ID3v2.4 frame, an MP4 atom and a Vorbis comment, so adding a field is adding
a row.
Writing the same values twice gives a byte-identical file; mutagen's errors become MediaError.
"""

from __future__ import annotations

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
from mutagen.oggopus import OggOpus

from podcast.core import timecode
from podcast.core.errors import MediaError
from podcast.domain import chapters
from podcast.project.config import Config, EpisodeMeta, Show
from podcast.project.episode import Episode
from podcast.project.ids import episode_guid, episode_page_url

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
    vorbis: str | None = None  # the Vorbis comment's name (Xiph's recommended field names)


FIELDS: tuple[Field, ...] = (
    Field("title", lambda s: s.meta.title, _text(TIT2), _mp4("\xa9nam"), "TITLE"),
    Field("show", lambda s: s.show.title, _text(TALB), _mp4("\xa9alb"), "ALBUM"),
    Field("artist", lambda s: s.show.author or s.show.title, _text(TPE1), _mp4("\xa9ART"), "ARTIST"),
    Field("album_artist", lambda s: s.show.author or s.show.title, _text(TPE2), _mp4("aART"), "ALBUMARTIST"),
    Field(
        "guests",
        lambda s: [g.name for g in s.meta.guests],
        lambda v: TIPL(encoding=3, people=[["guest", name] for name in v]),
        _mp4("----:com.apple.iTunes:GUESTS", lambda v: [MP4FreeForm("; ".join(v).encode())]),
        "PERFORMER",
    ),
    Field("episode", lambda s: s.meta.number, _text(TRCK), _mp4("trkn", lambda v: [(int(v), 0)]), "TRACKNUMBER"),
    Field("season", lambda s: s.meta.season, _text(TPOS), _mp4("disk", lambda v: [(int(v), 0)]), "DISCNUMBER"),
    Field("episode_number", lambda s: s.meta.number, _txxx("EPISODE"), _mp4("tves", lambda v: [int(v)])),
    Field("season_number", lambda s: s.meta.season, _txxx("SEASON"), _mp4("tvsn", lambda v: [int(v)])),
    Field(
        "date", lambda s: s.meta.date.date().isoformat() if s.meta.date else None, _text(TDRC), _mp4("\xa9day"), "DATE"
    ),
    Field("genre", lambda s: "Podcast", _text(TCON), _mp4("\xa9gen"), "GENRE"),
    Field("language", lambda s: ISO639_2.get(s.language, s.language), _text(TLAN), None, "LANGUAGE"),
    Field(
        "comment",
        lambda s: s.meta.summary,
        lambda v: COMM(encoding=3, lang="XXX", desc="", text=v),
        _mp4("\xa9cmt"),
        "COMMENT",
    ),
    Field("description", lambda s: s.meta.summary, _text(TDES), _mp4("desc"), "DESCRIPTION"),
    Field("copyright", lambda s: s.show.copyright, _text(TCOP), _mp4("cprt"), "COPYRIGHT"),
    Field(
        "category",
        lambda s: s.show.categories[0].split(">")[0].strip() if s.show.categories else None,
        _text(TCAT),
        _mp4("catg"),
    ),
    Field(
        "guid", lambda s: episode_guid(s.config, s.episode.slug, s.meta.guid), _text(TGID), _mp4("egid"), "PODCAST_GUID"
    ),
    Field("feed_url", lambda s: s.config.feed_url, lambda v: WFED(encoding=3, url=v), _mp4("purl"), "PODCAST_FEED"),
    Field("page_url", lambda s: episode_page_url(s.config, s.episode.slug), lambda v: WOAS(url=v), None, "CONTACT"),
    Field("podcast", lambda s: True, lambda v: PCST(value=1), _mp4("pcst", lambda v: True)),
    Field(
        "lyrics",
        lambda s: s.lyrics,
        lambda v: USLT(encoding=3, lang="XXX", desc="transcript", text=v),
        _mp4("\xa9lyr"),
        "LYRICS",
    ),
)


def values(config: Config, episode: Episode, lyrics: str | None) -> dict[str, Any]:
    """Every field's value for this episode, empty ones left out."""
    source = Source(config, episode, lyrics)
    found = {field.name: field.value(source) for field in FIELDS}
    return {k: v for k, v in found.items() if v not in (None, "", [])}


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


def write_vorbis(path: Path, values: dict[str, Any], found: list[chapters.Chapter]) -> None:
    """Vorbis comments in an Ogg Opus file; the chapters as CHAPTERnnn, CHAPTERnnnNAME and
    CHAPTERnnnURL (the Vorbis chapter extension, read by ffmpeg-based and many other players).
    No cover: the lighter rendition stays light."""
    try:
        audio = OggOpus(path)
        if audio.tags is None:
            raise MediaError(f"cannot write tags to {path.name}: no comment header")
        audio.tags.clear()
        for field in FIELDS:
            if field.vorbis and field.name in values:
                value = values[field.name]
                audio.tags[field.vorbis] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        for number, chapter in enumerate(found, 1):
            audio.tags[f"CHAPTER{number:03d}"] = [timecode.format(chapter.start)]
            audio.tags[f"CHAPTER{number:03d}NAME"] = [chapter.title]
            if chapter.url:
                audio.tags[f"CHAPTER{number:03d}URL"] = [chapter.url]
        audio.save()
    except MutagenError as exc:
        raise MediaError(f"cannot write tags to {path.name}: {exc}") from None


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
