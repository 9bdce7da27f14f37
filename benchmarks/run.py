"""Benchmarks (not tests). One command: `make bench` or `.venv/bin/python benchmarks/run.py [audio|feed]`.

feed: regenerating the feed of a 250-, 500- and 1,000-episode show with ~3 KB of notes each.

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
import time
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


def fake_show(root: Path, episodes: int) -> None:
    """A project with `episodes` published episodes (~3 KB of notes each), without audio."""
    import datetime as dt

    from podcast import scaffold
    from podcast.state import State

    shutil.rmtree(root, ignore_errors=True)
    scaffold.init(root, "Bench")
    paragraph = ("Les territoires zéro chômeur de longue durée partent des compétences de chacun. " * 4).strip()
    template = "\n\n".join(f"**Partie {i}** : {paragraph} [lien](https://example.org/EP/{i})" for i in range(9))
    for n in range(1, episodes + 1):
        folder = root / "episodes" / f"ep-{n:04d}"
        folder.mkdir(parents=True)
        date = dt.datetime(2020, 1, 1, 8, tzinfo=dt.UTC) + dt.timedelta(days=n)
        (folder / "episode.toml").write_text(
            f'title = "Épisode sur la solidarité, partie {n}"\nnumber = {n}\nseason = 1\n'
            f'date = {date.isoformat()}\nsummary = "Un résumé de l\'épisode {n}."\nsource = "rec.wav"\n'
        )
        (folder / "notes.md").write_text(template.replace("EP", str(n)))
        state = State(root / "build" / f"ep-{n:04d}" / "state.json")
        key = f"episodes/ep-{n:04d}/ep-{n:04d}-{n:012x}.mp3"
        state.record_done(
            "upload",
            "x",
            {},
            {
                "published": {"audio": {"key": key, "size": 40_000_000 + n, "type": "audio/mpeg"}},
                "duration": 2400.0 + n,
            },
        )


def bench_feed() -> None:
    from podcast.config import load_config
    from podcast.stages import feed

    print("feed generation (collect every episode + notes + build XML), best of 3 after a first run")
    rows = []
    for count in (250, 500, 1000):
        root = WORK / f"show-{count}"
        fake_show(root, count)
        config = load_config(root)
        times = []
        for _ in range(4):
            started = time.perf_counter()
            plan = feed.collect(config)
            xml = feed.build_xml(config, plan, None)
            times.append(time.perf_counter() - started)
        cold, best = times[0], min(times[1:])
        assert len(plan.items) == count
        rows.append((count, best, len(xml)))
        print(
            f"  {count:5d} episodes: {best * 1000:7.1f} ms (first run, notes unrendered: {cold * 1000:.0f} ms)"
            f"  {len(xml) / 1e6:6.2f} MB ({best / count * 1e6:.0f} µs, {len(xml) / count / 1024:.1f} KB per episode)"
        )
    (c1, t1, s1), (c2, t2, s2) = rows[0], rows[-1]
    print(f"  growth 250 → 1000 episodes: time x{t2 / t1:.2f}, size x{s2 / s1:.2f} (linear = x{c2 / c1:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=40)
    parser.add_argument("only", nargs="*", choices=["audio", "feed", []], help="which benchmarks (default: all)")
    args = parser.parse_args()
    chosen = set(args.only) or {"audio", "feed"}
    if "feed" in chosen:
        bench_feed()
    if "audio" in chosen:
        bench_audio(args.minutes)


if __name__ == "__main__":
    main()
