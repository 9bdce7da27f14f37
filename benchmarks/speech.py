"""Word error rate and real-time factor of transcription settings on ../shared/speech."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
import unicodedata
from pathlib import Path
from typing import Any

SPEECH = Path(os.environ.get("PODCAST_SPEECH_DIR", Path(__file__).resolve().parents[2] / "shared" / "speech"))


def normalise(text: str) -> list[str]:
    """Lower case, punctuation to spaces (apostrophes too, on both sides), whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = re.sub(r"[^\w\s]|_", " ", text)
    return text.split()


def wer(reference: str, hypothesis: str) -> tuple[int, int]:
    """(edit distance in words, reference length)."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    previous = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        current = [i] + [0] * len(hyp)
        for j, other in enumerate(hyp, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (word != other))
        previous = current
    return previous[-1], len(ref)


def wrong_words(reference: str, hypothesis: list[str]) -> list[bool]:
    """For each hypothesis word (as Whisper cut them), whether it is wrong: aligned (minimum
    edit distance over normalised tokens) to a different reference word, or inserted."""
    ref = normalise(reference)
    tokens = [(index, token) for index, word in enumerate(hypothesis) for token in normalise(word)]
    rows, cols = len(ref) + 1, len(tokens) + 1
    cost = [[0] * cols for _ in range(rows)]
    for i in range(rows):
        cost[i][0] = i
    for j in range(cols):
        cost[0][j] = j
    for i in range(1, rows):
        for j in range(1, cols):
            cost[i][j] = min(
                cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + (ref[i - 1] != tokens[j - 1][1])
            )
    wrong = [False] * len(hypothesis)
    i, j = len(ref), len(tokens)
    while j > 0:
        if i > 0 and cost[i][j] == cost[i - 1][j - 1] + (ref[i - 1] != tokens[j - 1][1]):
            wrong[tokens[j - 1][0]] |= ref[i - 1] != tokens[j - 1][1]
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i][j - 1] + 1:
            wrong[tokens[j - 1][0]] = True  # inserted
            j -= 1
        else:
            i -= 1
    return wrong


def manifest() -> list[dict[str, Any]]:
    return list(json.loads((SPEECH / "manifest.json").read_text()))


def clips(lang: str, kind: str) -> list[dict[str, Any]]:
    return [c for c in manifest() if c["lang"] == lang and c["ref_kind"] == kind and "_norm" not in c["id"]]


def joined(items: list[dict[str, Any]], target: Path, gap: float = 1.0) -> Path:
    """The clips one after the other, with `gap` seconds of silence between, 16 kHz mono."""
    return concatenated([SPEECH / clip["file"] for clip in items], target, gap)


def concatenated(files: list[Path], target: Path, gap: float) -> Path:
    """`files` one after the other, with `gap` seconds of silence after each, 16 kHz mono;
    made once."""
    if target.exists():
        return target
    inputs: list[str] = []
    graph = ""
    for i, path in enumerate(files):
        inputs += ["-i", str(path)]
        graph += f"[{i}:a]aformat=sample_rates=16000:channel_layouts=mono,apad=pad_dur={gap}[a{i}];"
    graph += "".join(f"[a{i}]" for i in range(len(files))) + f"concat=n={len(files)}:v=0:a=1"
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex", graph, str(target)], check=True)
    return target


def timed_transcribe(fn: Any, path: Path) -> tuple[str, float]:
    started = time.perf_counter()
    text = fn(path)
    return text, time.perf_counter() - started


def duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out)


def pcm16k(path: Path) -> Any:
    """`path` decoded by ffmpeg to 16 kHz mono float32 samples (a numpy array)."""
    import numpy as np

    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", "16000", "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, dtype=np.float32).copy()
