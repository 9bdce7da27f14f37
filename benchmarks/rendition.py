"""The lighter rendition, measured: Opus (Ogg) and AAC (M4A) at speech bitrates against the 96 kb/s
MP3, each compared with the clean-up output it is encoded from.

The reference is the French gold clips of ../shared/speech joined (1 s apart), run through the
`speech` clean-up chain, brought to -16 LUFS through the gain and limiter `process` uses (ceiling
1 dB under the -1 dBTP limit), at 44.1 kHz mono: the PCM the encoders receive. Each rendition is
encoded from it with the codec options `process` uses (podcast.edges.encoders: codec_args,
light_codec_args; Opus gets it resampled to 48 kHz as the delivery graph does) and decoded back.
For each: size and bitrate, the encoder's CPU time, ViSQOL MOS-LQO (speech mode, visqol-python
with its lattice model, on the first 45 s: it runs at ~1.5x real time here), PESQ (wide band) and
STOI on the whole, loudness, true peak and duration against the reference, and the word error
rate of Whisper base on it (the same decoding for every one).

`.venv/bin/pip install '.[bench]'`, then `.venv/bin/python benchmarks/rendition.py [NAME...]`
(`--no-wer` skips Whisper; names: see RENDITIONS).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from speech import SPEECH, clips, duration, normalise, pcm16k, wer  # noqa: E402

from podcast.edges import encoders, filtergraphs  # noqa: E402
from podcast.project.config import Audio  # noqa: E402
from podcast.stages import process  # noqa: E402

WORK = HERE / ".work" / "rendition"
RATE = 44100
VISQOL_SECONDS = 45
AUDIO = Audio()  # the show's defaults: -16 LUFS, -1 dBTP, mono 44.1 kHz, MP3 96 kb/s


@dataclass(frozen=True)
class Rendition:
    name: str
    suffix: str
    codec: list[str]
    rate: int = RATE  # what the encoder is given


def _opus(kbps: int, application: str = "", complexity: int | None = None) -> Rendition:
    args = encoders.light_codec_args(Audio(light="opus", light_bitrate=kbps))
    if application:
        args[args.index("-application") + 1] = application
    if complexity is not None:
        args[args.index("-compression_level") + 1] = str(complexity)
    name = f"opus-{kbps}" + (f"-{application}" if application else "") + (f"-c{complexity}" if complexity else "")
    return Rendition(name, ".ogg", args, 48000)


RENDITIONS = (
    Rendition("mp3-96", ".mp3", encoders.codec_args(AUDIO)),
    *(_opus(kbps) for kbps in (24, 32, 48)),  # as `process` encodes it
    *(_opus(kbps, "voip", 5) for kbps in (24, 32)),  # cheaper: complexity 5
    *(_opus(kbps, "audio", 3) for kbps in (24, 32)),  # cheaper still: CELT only (what audio mode picks under 4)
    *(
        Rendition(f"aac-{kbps}", ".m4a", encoders.light_codec_args(Audio(light="aac", light_bitrate=kbps)))
        for kbps in (48, 64)
    ),
)


def ffmpeg(*args: str) -> str:
    return subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-y", *args], capture_output=True, text=True, check=True
    ).stderr


def reference(items: list[dict[str, Any]]) -> Path:
    """The clips joined and cleaned, then brought to -16 LUFS through `process`'s gain and limiter."""
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
    graph += filtergraphs.CLEANUP_PRESETS["speech"]
    ffmpeg(*inputs, "-filter_complex", graph, "-c:a", "pcm_f32le", str(cleaned))
    ceiling = AUDIO.true_peak - process.LIMITER_MARGIN_DB
    gain = AUDIO.loudness - measure(cleaned)[0]
    for _ in range(3):  # the limiter takes some loudness: aim again
        ffmpeg("-i", str(cleaned), "-af", filtergraphs.dynamics(gain, ceiling), "-c:a", "pcm_f32le", str(target))
        miss = AUDIO.loudness - measure(target)[0]
        if abs(miss) < 0.1:
            break
        gain += miss
    return target


def measure(path: Path) -> tuple[float, float]:
    """(integrated loudness LUFS, true peak dBTP), decoded as a player would."""
    out = ffmpeg("-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-")
    summary = out[out.rindex("Summary:") :]
    return float(summary.split("I:")[1].split("LUFS")[0]), float(summary.split("Peak:")[1].split("dBFS")[0])


def quality(ref: np.ndarray, deg: np.ndarray) -> dict[str, float]:
    from pesq import pesq
    from pystoi import stoi
    from visqol import VisqolApi

    n = min(len(ref), len(deg))
    ref, deg = ref[:n], deg[:n]
    api = VisqolApi()
    api.create(mode="speech")
    part = VISQOL_SECONDS * 16000
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


def encode(rendition: Rendition, ref: Path, out: Path) -> float:
    """Encode `ref` as `rendition`; the encoder's CPU seconds (user + system)."""
    pcm = out.with_suffix(".nut")  # what the encoder gets: the resampling is the delivery graph's
    resample = ["-ar", str(rendition.rate)] if rendition.rate != RATE else []
    ffmpeg("-i", str(ref), *resample, "-c:a", "pcm_f32le", "-f", "nut", str(pcm))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    ffmpeg("-i", str(pcm), *rendition.codec, str(out))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    pcm.unlink()
    return after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="renditions to measure (default: all)")
    parser.add_argument("--no-wer", action="store_true", help="skip Whisper")
    args = parser.parse_args()
    chosen = [r for r in RENDITIONS if not args.names or r.name in args.names or r.name == "mp3-96"]
    WORK.mkdir(parents=True, exist_ok=True)
    items = clips("fr", "gold")
    ref = reference(items)
    text = " ".join(c["ref"] for c in items)
    ref_pcm = pcm16k(ref)
    (ref_lufs, ref_peak), ref_seconds = measure(ref), duration(ref)
    transcribe = None if args.no_wer else transcriber()
    line = f"reference: {len(items)} French gold clips, {ref_seconds:.1f} s, {ref_lufs:.2f} LUFS, {ref_peak:.1f} dBTP"
    if transcribe is not None:
        errors, words = wer(text, transcribe(ref_pcm))
        line += f", {len(normalise(text))} words; Whisper base WER on it {errors / words:.3f}"
    print(line, flush=True)
    rows: list[dict[str, Any]] = []
    for rendition in chosen:
        out = WORK / f"{rendition.name}{rendition.suffix}"
        cpu = encode(rendition, ref, out)
        pcm = pcm16k(out)
        lufs, peak = measure(out)
        row = {
            "name": rendition.name,
            "bytes": out.stat().st_size,
            "kbps": out.stat().st_size * 8 / duration(out) / 1000,
            "encode_cpu_s": cpu,
            "lufs_delta": lufs - ref_lufs,
            "peak_delta": peak - ref_peak,
            "duration_delta_ms": (duration(out) - ref_seconds) * 1000,
            "wer": wer(text, transcribe(pcm))[0] / len(normalise(text)) if transcribe else float("nan"),
            **quality(ref_pcm, pcm),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    mp3 = float(rows[0]["bytes"])
    mp3_cpu = float(rows[0]["encode_cpu_s"])
    print(
        "\n| rendition | size | kb/s | of the MP3 | encode CPU (× LAME) | ViSQOL MOS | PESQ WB | STOI | WER "
        "| ΔLU | Δpeak | Δduration |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['name']} | {r['bytes'] / 1e3:.0f} kB | {r['kbps']:.1f} | {r['bytes'] / mp3:.2f} | "
            f"{r['encode_cpu_s'] / mp3_cpu:.2f} | {r['visqol']:.2f} | {r['pesq']:.2f} | {r['stoi']:.3f} | "
            f"{r['wer']:.3f} | {r['lufs_delta']:+.2f} | {r['peak_delta']:+.1f} dB | {r['duration_delta_ms']:+.0f} ms |"
        )


if __name__ == "__main__":
    main()
