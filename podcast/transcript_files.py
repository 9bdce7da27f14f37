"""An episode's transcripts as files the producer handles: `podcast transcript` exports one."""

from __future__ import annotations

from pathlib import Path

from . import episode as episodes
from . import fsutil
from .config import Config
from .errors import PodcastError


def export(config: Config, slug: str, fmt: str, output: Path | None) -> str | None:
    """The transcript in `fmt`; written to `output` when given (then None is returned)."""
    path = episodes.load(config, slug).transcript(fmt)
    if not path.is_file():
        raise PodcastError(f"{slug} has no transcript yet: run `podcast transcribe {slug}`")
    if output is None:
        return path.read_text(encoding="utf-8")
    fsutil.copy_file(path, output)
    return None
