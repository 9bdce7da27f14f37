"""An episode: its folder (what the producer wrote), its metadata and its derived paths.

Derived files live in `build/SLUG/` at the project root, never in the episode folder, so
`episodes/` holds only what people wrote and recorded, and `build/` can be wiped at will.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .config import EPISODE_NAME, NOTES_NAME, Config, EpisodeMeta, load_episode
from .errors import ConfigError, EpisodeError, RecordingMissing

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".m4a", ".aac", ".ogg", ".opus", ".aif", ".aiff", ".wma")


def check_slug(slug: str) -> str:
    if not SLUG_RE.match(slug):
        raise EpisodeError(
            f"invalid episode slug {slug!r}: use lower-case letters, digits and hyphens "
            "(e.g. 2024-05-atd-quart-monde), no '/', '..' or spaces"
        )
    return slug


@dataclass(frozen=True)
class Episode:
    slug: str
    folder: Path
    build: Path
    meta: EpisodeMeta

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

    # Derived artefacts -----------------------------------------------------------------
    ext: str = "mp3"  # the delivery format's extension

    @property
    def processed_audio(self) -> Path:
        return self.build / f"audio.{self.ext}"

    @property
    def tagged_audio(self) -> Path:
        return self.build / f"{self.slug}.{self.ext}"

    @property
    def loudness_report(self) -> Path:
        return self.build / "loudness.json"

    @property
    def edit_list(self) -> Path:
        return self.build / "edits.json"

    def transcript(self, fmt: str) -> Path:
        return self.build / f"transcript.{fmt}"

    @property
    def state_path(self) -> Path:
        return self.build / "state.json"


def load(config: Config, slug: str) -> Episode:
    check_slug(slug)
    folder = config.episodes_dir / slug
    if not folder.is_dir():
        raise EpisodeError(f"no episode '{slug}' (no folder {folder})")
    toml = folder / EPISODE_NAME
    if not toml.is_file():
        raise ConfigError(f"{toml}: not found (every episode folder needs an {EPISODE_NAME})")
    meta = load_episode(toml, config.tz)
    return Episode(slug=slug, folder=folder, build=config.build_dir / slug, meta=meta, ext=config.audio.format)


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
