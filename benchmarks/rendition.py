"""A lighter second rendition, measured: Opus (Ogg) and AAC (M4A) at speech bitrates against the
96 kb/s MP3, each compared with the clean-up output it is encoded from.

The reference is the French gold clips of ../shared/speech joined (1 s apart), run through the
`speech` clean-up chain and brought to -16 LUFS, as `process` delivers them, at 44.1 kHz mono.
Each rendition is encoded from it and decoded back; for each: size and bitrate, ViSQOL MOS-LQO
(speech mode, visqol-python with its lattice model, on the first 45 s), PESQ (wide band), STOI,
loudness and duration against the reference, and the word error rate of Whisper base on it (the
same decoding for every one).

`.venv/bin/pip install '.[bench]'`, then `.venv/bin/python benchmarks/rendition.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from speech import SPEECH, clips, normalise, wer  # noqa: E402

from podcast.edges.filtergraphs import CLEANUP_PRESETS  # noqa: E402

WORK = HERE / ".work" / "rendition"
RATE = 44100
VISQOL_SECONDS = 45


@dataclass(frozen=True)
class Rendition:
    name: str
    suffix: str
    codec: list[str]


RENDITIONS = (
    Rendition("mp3-96", ".mp3", ["-c:a", "libmp3lame", "-b:a", "96k", "-abr", "0"]),
    Rendition("opus-24", ".ogg", ["-c:a", "libopus", "-b:a", "24k", "-vbr", "on", "-application", "voip"]),
    Rendition("opus-32", ".ogg", ["-c:a", "libopus", "-b:a", "32k", "-vbr", "on", "-application", "voip"]),
    Rendition("aac-48", ".m4a", ["-c:a", "aac", "-b:a", "48k", "-movflags", "+faststart"]),
    Rendition("aac-64", ".m4a", ["-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart"]),
)


def ffmpeg(*args: str) -> str:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-y", *args], capture_output=True, text=True, check=True
    ).stderr


def reference(items: list[dict[str, Any]]) -> Path:
    """The clips joined and cleaned, then brought to -16 LUFS (gain, and a limiter at -1.5 dBFS)."""
    target = WORK / "reference.wav"
    if target.exists():
        return target
    cleaned = WORK / "cleaned.wav"
    inputs: list[str] = []
    graph = ""
    for i, clip in enumerate(items):
        inputs += ["-i", str(SPEECH / clip["file"])]
        graph += f"[{i}:a]aresample={RATE},aformat=sample_fmts=flt:channel_layouts=mono,apad=pad_dur=1[a{i}];"
    graph += "".join(f"[a{i}]" for i in range(len(items))) + f"concat=n={len(items)}:v=0:a=1,"
    graph += CLEANUP_PRESETS["speech"]
    ffmpeg(*inputs, "-filter_complex", graph, "-c:a", "pcm_f32le", str(cleaned))
    gain = -16.0 - loudness(cleaned)
    ffmpeg(
        "-i",
        str(cleaned),
        "-af",
        f"volume={gain:.2f}dB,alimiter=limit=0.84:level=false",
        "-c:a",
        "pcm_s16le",
        str(target),
    )
    return target


def loudness(path: Path) -> float:
    out = ffmpeg("-i", str(path), "-af", "ebur128", "-f", "null", "-")
    summary = out[out.rindex("Summary:") :]
    return float(summary.split("I:")[1].split("LUFS")[0])


def duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(out)


def pcm16k(path: Path) -> np.ndarray:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-ac", "1", "-ar", "16000", "-f", "f32le", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(out, dtype=np.float32).copy()


def quality(ref: np.ndarray, deg: np.ndarray) -> dict[str, float]:
    from pesq import pesq
    from pystoi import stoi
    from visqol import VisqolApi

    n = min(len(ref), len(deg))
    ref, deg = ref[:n], deg[:n]
    api = VisqolApi()
    api.create(mode="speech")
    part = VISQOL_SECONDS * 16000  # ViSQOL in pure Python takes ~1.5x real time here: an excerpt
    visqol = api.measure_from_arrays(ref[:part].astype(np.float64), deg[:part].astype(np.float64), 16000)
    return {
        "visqol": float(visqol.moslqo),
        "pesq": float(pesq(16000, ref, deg, "wb")),
        "stoi": float(stoi(ref, deg, 16000, extended=False)),
    }


def transcriber() -> Any:
    from podcast.edges import whisper
    from podcast.project.config import Transcribe

    model = whisper.load(Transcribe(batch_size=0))

    def transcribe(audio: np.ndarray) -> str:
        segments, _ = model.transcribe(audio, language="fr", beam_size=5, vad_filter=True)
        return " ".join(s.text for s in segments)

    return transcribe


def main() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    items = clips("fr", "gold")
    ref = reference(items)
    text = " ".join(c["ref"] for c in items)
    ref_pcm = pcm16k(ref)
    ref_lufs, ref_seconds = loudness(ref), duration(ref)
    transcribe = transcriber()
    errors, words = wer(text, transcribe(ref_pcm))
    print(
        f"reference: {len(items)} French gold clips, {ref_seconds:.1f} s, {ref_lufs:.2f} LUFS, "
        f"{len(normalise(text))} words; Whisper base WER on it {errors / words:.3f}"
    )
    rows: list[dict[str, Any]] = []
    for rendition in RENDITIONS:
        out = WORK / f"{rendition.name}{rendition.suffix}"
        started = time.perf_counter()
        ffmpeg("-i", str(ref), *rendition.codec, str(out))
        encode = time.perf_counter() - started
        pcm = pcm16k(out)
        errors, words = wer(text, transcribe(pcm))
        row = {
            "name": rendition.name,
            "bytes": out.stat().st_size,
            "kbps": out.stat().st_size * 8 / duration(out) / 1000,
            "encode_s": encode,
            "lufs_delta": loudness(out) - ref_lufs,
            "duration_delta_ms": (duration(out) - ref_seconds) * 1000,
            "wer": errors / words,
            **quality(ref_pcm, pcm),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    mp3 = float(rows[0]["bytes"])
    print("\n| rendition | size | kb/s | of the MP3 | ViSQOL MOS | PESQ WB | STOI | WER | ΔLU | Δduration |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['name']} | {r['bytes'] / 1e3:.0f} kB | {r['kbps']:.1f} | {r['bytes'] / mp3:.2f} | "
            f"{r['visqol']:.2f} | {r['pesq']:.2f} | {r['stoi']:.3f} | {r['wer']:.3f} | "
            f"{r['lufs_delta']:+.2f} | {r['duration_delta_ms']:+.0f} ms |"
        )


if __name__ == "__main__":
    main()
