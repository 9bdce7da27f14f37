"""An episode: its folder (what the producer wrote), its metadata, and every file derived from
it, each with its loader: the one place that knows where a build file lives and how to read it.

Derived files live in `build/SLUG/` at the project root, never in the episode folder, so
`episodes/` holds only what people wrote and recorded, and `build/` can be wiped at will.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import EPISODE_NAME, NOTES_NAME, Config, EpisodeMeta, load_episode
from .edits import EditList
from .errors import ConfigError, EpisodeError, RecordingMissing
from .state import State
from .transcript import Segment, Word

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".aif", ".aiff", ".wma")

# Build files, by name inside build/SLUG/.
EDIT_LIST = "edits.json"
CHAPTERS = "chapters.json"
SEGMENTS = "transcript.segments.json"
LOUDNESS = "loudness.json"
STATE = "state.json"


def check_slug(slug: str) -> str:
    if not SLUG_RE.match(slug):
        raise EpisodeError(
            f"invalid episode slug {slug!r}: use lower-case letters, digits and hyphens "
            "(e.g. 2024-05-atd-quart-monde), no '/', '..' or spaces"
        )
    return slug


@dataclass(frozen=True)
class PublishedObject:
    key: str
    size: int
    type: str
    duration: float | None = None  # seconds, for the audio: the feed describes the file it links


@dataclass(frozen=True)
class Publication:
    """What the upload stage last published for an episode: role ("audio", "transcript.vtt",
    "chapters.json", "image", ...) → object."""

    objects: dict[str, PublishedObject] = field(default_factory=dict)
    at: str = ""

    @property
    def audio(self) -> PublishedObject | None:
        return self.objects.get("audio")

    def to_info(self) -> dict[str, Any]:
        return {"published": {role: vars(obj) for role, obj in self.objects.items()}}

    @classmethod
    def from_info(cls, info: dict[str, Any], at: str = "") -> Publication:
        objects = {role: PublishedObject(**obj) for role, obj in (info.get("published") or {}).items()}
        audio = objects.get("audio")
        if audio and audio.duration is None and info.get("duration"):  # records written before 0.2
            objects["audio"] = PublishedObject(audio.key, audio.size, audio.type, float(info["duration"]))
        return cls(objects, at)


@dataclass(frozen=True)
class Episode:
    config: Config
    slug: str
    meta: EpisodeMeta

    # The producer's folder ----------------------------------------------------------------
    @property
    def folder(self) -> Path:
        return self.config.episodes_dir / self.slug

    @property
    def notes_path(self) -> Path:
        return self.folder / NOTES_NAME

    @property
    def notes(self) -> str:
        try:
            return self.notes_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    @property
    def sources(self) -> list[Path]:
        return [self.folder / name for name in self.meta.source]

    def missing_sources(self) -> list[Path]:
        return [p for p in self.sources if not p.exists()]

    def require_sources(self) -> list[Path]:
        if not self.meta.source:
            raise RecordingMissing("episode.toml names no source recording")
        missing = self.missing_sources()
        if missing:
            names = ", ".join(p.name for p in missing)
            raise RecordingMissing(f"recording not found: {names} (put it in {self.folder})")
        for path in self.sources:
            if not path.is_file():
                raise EpisodeError(f"{path.name} is not a file")
            if path.stat().st_size == 0:
                raise EpisodeError(f"{path.name} is empty (0 bytes)")
        return self.sources

    @property
    def artwork(self) -> Path | None:
        """The episode's own art, else the show's."""
        return self.folder / self.meta.artwork if self.meta.artwork else self.config.artwork_path

    # Build files ------------------------------------------------------------------------
    @property
    def build(self) -> Path:
        return self.config.build_dir / self.slug

    @property
    def format(self) -> str:
        """The delivered file's format (its extension)."""
        return self.config.audio.format

    @property
    def processed_audio(self) -> Path:
        return self.build / f"audio.{self.format}"

    @property
    def tagged_audio(self) -> Path:
        return self.build / f"{self.slug}.{self.format}"

    @property
    def loudness_report(self) -> Path:
        return self.build / LOUDNESS

    @property
    def edit_list_path(self) -> Path:
        return self.build / EDIT_LIST

    @property
    def chapters_path(self) -> Path:
        return self.build / CHAPTERS

    @property
    def segments_path(self) -> Path:
        return segments_path(self.config, self.slug)

    def transcript(self, fmt: str) -> Path:
        return self.build / f"transcript.{fmt}"

    @property
    def state_path(self) -> Path:
        return self.build / STATE

    # Loaders ----------------------------------------------------------------------------
    def state(self) -> State:
        return State(self.state_path)

    def edit_list(self) -> EditList | None:
        """The edit list the last `process` saved (None before the first run)."""
        try:
            return EditList.from_json(self.edit_list_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError as exc:
            raise EpisodeError(f"{self.edit_list_path}: {exc} (run `podcast process {self.slug} --force`)") from None

    def chapters(self) -> list[dict[str, Any]]:
        """The Podcasting 2.0 chapters the last `tag` wrote (published timeline)."""
        try:
            return list(json.loads(self.chapters_path.read_text(encoding="utf-8")).get("chapters", []))
        except FileNotFoundError:
            return []

    def segments(self) -> list[Segment]:
        """The transcript's cues (published timeline, speakers), as the last `transcribe` wrote them."""
        try:
            items = json.loads(self.segments_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        return [segment_from_dict(item) for item in items]

    def publication(self, state: State | None = None) -> Publication:
        record = (state or self.state()).get("upload")
        return Publication.from_info(record.info, record.at) if record else Publication()


def segments_path(config: Config, slug: str) -> Path:
    """Where an episode's transcript cues are kept (readable without loading its episode.toml)."""
    return config.build_dir / slug / SEGMENTS


def segment_from_dict(item: dict[str, Any]) -> Segment:
    words = [Word(**w) for w in item.get("words", [])]
    return Segment(item["start"], item["end"], item["text"], words, item.get("speaker", ""))


def load(config: Config, slug: str) -> Episode:
    check_slug(slug)
    folder = config.episodes_dir / slug
    if not folder.is_dir():
        raise EpisodeError(f"no episode '{slug}' (no folder {folder})")
    toml = folder / EPISODE_NAME
    if not toml.is_file():
        raise ConfigError(f"{toml}: not found (every episode folder needs an {EPISODE_NAME})")
    return Episode(config, slug, load_episode(toml, config.tz))


def all_slugs(config: Config) -> list[str]:
    """Episode folder names, sorted; folders whose names are not valid slugs are refused."""
    if not config.episodes_dir.is_dir():
        return []
    slugs = []
    for entry in sorted(config.episodes_dir.iterdir()):
        if entry.is_dir() and not entry.name.startswith((".", "_")):
            slugs.append(check_slug(entry.name))
    return slugs


def artwork_paths(config: Config) -> list[Path]:
    """The show's art and every episode's own art, as configured."""
    paths = [config.artwork_path] if config.artwork_path else []
    for slug in all_slugs(config):
        try:
            ep = load(config, slug)
        except (ConfigError, EpisodeError):
            continue
        if ep.meta.artwork:
            paths.append(ep.folder / ep.meta.artwork)
    return [p for p in paths if p is not None]
