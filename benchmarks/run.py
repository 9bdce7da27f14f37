"""Benchmarks (not tests). One command: `make bench` or `.venv/bin/python benchmarks/run.py`.

audio: our `process` stage on a generated 40-minute interview, against plain ffmpeg doing
decode + EBU R128 measure + MP3 encode of the same file in one pass, measured in the same
run; prints both times, their ratio and the peak memory of the largest process.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from interview import generate  # noqa: E402

WORK = HERE / ".work"


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (MiB) of the largest process of `cmd`'s tree."""
    wrapper = [
        sys.executable,
        "-c",
        "import resource,subprocess,sys,time;t=time.perf_counter();"
        "r=subprocess.run(sys.argv[1:]);"
        "print(time.perf_counter()-t, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
        "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss), r.returncode, file=sys.stderr)",
        *cmd,
    ]
    proc = subprocess.run(wrapper, capture_output=True, text=True)
    seconds, rss_kib, code = proc.stderr.strip().splitlines()[-1].split()
    if code != "0":
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return float(seconds), int(rss_kib) // 1024


def bench_audio(minutes: float) -> None:
    source = WORK / f"interview-{minutes:g}min.wav"
    if not source.exists():
        print(f"generating a {minutes:g}-minute interview…", flush=True)
        WORK.mkdir(parents=True, exist_ok=True)
        generate(source, minutes)
    project = WORK / "project"
    shutil.rmtree(project, ignore_errors=True)
    podcast = [sys.executable, "-m", "podcast", "--project", str(project)]
    subprocess.run([*podcast, "init", str(project)], check=True, capture_output=True)
    subprocess.run([*podcast, "new", "bench", "--title", "Bench"], check=True, capture_output=True)
    (project / "episodes" / "bench" / "rec.wav").symlink_to(source)
    toml = project / "episodes" / "bench" / "episode.toml"
    toml.write_text(toml.read_text().replace("source = []", 'source = "rec.wav"'))

    reference = [
        "ffmpeg",
        "-hide_banner",
        "-nostdin",
        "-y",
        "-i",
        str(source),
        "-af",
        "ebur128=peak=true",
        "-c:a",
        "libmp3lame",
        "-b:a",
        "96k",
        "-ac",
        "1",
        "-ar",
        "44100",
        str(WORK / "reference.mp3"),
    ]
    ref_s, ref_mb = timed(reference)
    ours_s, ours_mb = timed([*podcast, "process", "bench"])
    report = json.loads((project / "build" / "bench" / "loudness.json").read_text())
    print(f"audio, {minutes:g} min stereo 48 kHz WAV")
    print(f"  plain ffmpeg decode+measure+encode: {ref_s:7.1f} s  peak {ref_mb} MiB")
    print(f"  podcast process:                    {ours_s:7.1f} s  peak {ours_mb} MiB")
    print(f"  ratio: {ours_s / ref_s:.2f}x   delivered {report['delivered']}  encodes {report['encodes']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=40)
    args = parser.parse_args()
    bench_audio(args.minutes)


if __name__ == "__main__":
    main()
