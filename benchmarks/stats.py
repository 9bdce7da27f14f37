"""`podcast stats` on a popular show's year of logs: 10 million nginx "combined" lines in 365
daily gzip files (what logrotate leaves), generated once into benchmarks/.work/stats/.

Measured in the same run: the floor (decompressing and reading the same files: `gzip -dc | wc
-l` on one core, and DuckDB counting their lines on two), then `podcast stats` over the whole
year (wall time, lines per second, peak memory of the process), then a daily run after one
more day of logs arrives. Targets (issue #24): under 60 s and 1 GB for the year, under 2 s for
the daily run.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import multiprocessing
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "stats"
OPAWG = HERE.parent / "tests" / "fixtures" / "opawg"
EPISODES = 100
SIZE = 40_000_000  # bytes of each episode's file (40 minutes at 128 kbps)
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def keys() -> list[str]:
    return [f"episodes/ep-{n:03d}/ep-{n:03d}-{n:012x}.mp3" for n in range(1, EPISODES + 1)]


def agents() -> tuple[list[str], list[str]]:
    """Listeners' user agents (apps and browsers) and bots', from the OPAWG examples."""
    found: dict[str, list[str]] = {}
    for kind in ("apps", "browsers", "bots"):
        data = json.loads((OPAWG / f"{kind}.examples.json").read_text())["entries"]
        found[kind] = [example for entry in data for example in entry["examples"]]
    return found["apps"] + found["browsers"], found["bots"]


def _clock(moment: dt.datetime) -> str:
    return f"{moment:%d}/{MONTHS[moment.month - 1]}/{moment:%Y:%H:%M:%S} +0000"


def day_lines(day: dt.date, count: int, seed: int) -> list[str]:
    """One day of a popular show's log: audio downloads (whole, ranged, probes, cut short),
    feed polls, pages, HEADs and bots."""
    generator = random.Random(seed)
    listeners, bots = agents()
    media = keys()
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    lines: list[str] = []
    while len(lines) < count:
        moment = start + dt.timedelta(seconds=generator.randrange(86400))
        stamp = _clock(moment)
        if generator.random() < 0.15:
            ip = f"2001:db8:{generator.randrange(4096):x}:{generator.randrange(9999):x}::{generator.randrange(9999):x}"
        else:
            ip = ".".join(str(generator.randrange(1, 224)) for _ in range(4))
        roll = generator.random()
        agent = generator.choice(bots if roll > 0.96 else listeners)
        if roll < 0.25:
            lines.append(f'{ip} - - [{stamp}] "GET /feed.xml HTTP/1.1" 200 48213 "-" "{agent}"')
            continue
        if roll < 0.28:
            lines.append(f'{ip} - - [{stamp}] "GET /episodes/ep-001/index.html HTTP/1.1" 200 9120 "-" "{agent}"')
            continue
        key = media[min(EPISODES - 1, int(generator.expovariate(1 / 12)))]
        if roll < 0.32:
            lines.append(f'{ip} - - [{stamp}] "HEAD /{key} HTTP/1.1" 200 - "-" "{agent}"')
            continue
        kind = generator.random()
        if kind < 0.45:  # a whole download
            lines.append(f'{ip} - - [{stamp}] "GET /{key} HTTP/1.1" 200 {SIZE} "-" "{agent}"')
        elif kind < 0.8:  # the probe, then ranges
            lines.append(f'{ip} - - [{stamp}] "GET /{key} HTTP/1.1" 206 2 "-" "{agent}"')
            for _ in range(generator.randrange(1, 4)):
                sent = generator.randrange(100_000, 15_000_000)
                lines.append(f'{ip} - - [{stamp}] "GET /{key} HTTP/1.1" 206 {sent} "-" "{agent}"')
        else:  # cut short
            sent = generator.randrange(1000, 3_000_000)
            lines.append(f'{ip} - - [{stamp}] "GET /{key} HTTP/1.1" 200 {sent} "-" "{agent}"')
    lines.sort(key=lambda line: line.split("[", 1)[1][:20])
    return lines[:count]


def _write_day(args: tuple[Path, dt.date, int, int]) -> None:
    path, day, count, seed = args
    tmp = path.with_suffix(".part")
    with gzip.open(tmp, "wt", compresslevel=6, encoding="utf-8") as handle:
        handle.write("\n".join(day_lines(day, count, seed)) + "\n")
    tmp.replace(path)


def generate(folder: Path, first: dt.date, days: int, total: int) -> list[Path]:
    """`days` daily gzip logs from `first` with `total` lines in all (kept: generated once)."""
    folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    for index in range(days):
        day = first + dt.timedelta(days=index)
        path = folder / f"access.log-{day:%Y%m%d}.gz"
        if not path.exists():
            jobs.append((path, day, total // days, index))
    if jobs:
        print(f"generating {len(jobs)} daily logs ({total // days:,} lines each) into {folder}…", flush=True)
        with multiprocessing.Pool(2) as pool:
            pool.map(_write_day, jobs)
    return sorted(folder.glob("access.log-*.gz"))


def project(root: Path, logs: Path) -> None:
    """A show whose ledger lists 100 published episodes (their files: an ID3 header and a
    128 kbps MP3 frame header, all `podcast stats` reads of them)."""
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "podcast", "init", str(root), "--no-input"], check=True, capture_output=True)
    objects = {}
    for key in keys():
        path = root / "public" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"ID3\x04\x00\x00\x00\x00\x10\x00" + b"\x00" * 2048 + b"\xff\xfb\x90\x00")
        objects[key] = {"size": SIZE, "put_at": "2025-01-01T00:00:00+00:00", "referenced_at": "", "referenced": True}
    (root / "build").mkdir(exist_ok=True)
    (root / "build" / "ledger.json").write_text(json.dumps({"version": 1, "objects": objects}))
    with (root / "config.toml").open("a") as handle:
        handle.write(f'\n[[stats.logs]]\nformat = "combined"\nfiles = ["{logs}/access.log-*.gz"]\n')


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """Wall time, peak RSS (MiB) of the child, and its output."""
    wrapper = [
        sys.executable,
        "-c",
        "import resource,subprocess,sys,time;t=time.perf_counter();"
        "r=subprocess.run(sys.argv[1:],capture_output=True,text=True);"
        "sys.stdout.write(r.stdout+r.stderr);"
        "print('@@', time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)",
        *cmd,
    ]
    proc = subprocess.run(wrapper, capture_output=True, text=True, check=True)
    output, _, tail = proc.stdout.rpartition("@@ ")
    seconds, rss_kib, code = tail.split()
    if code != "0":
        raise SystemExit(f"failed: {' '.join(cmd)}\n{output[-2000:]}")
    return float(seconds), int(rss_kib) // 1024, output


def floor_gzip(files: list[Path]) -> tuple[float, int]:
    started = time.perf_counter()
    gunzip = subprocess.Popen(["gzip", "-dc", *map(str, files)], stdout=subprocess.PIPE)
    count = subprocess.run(["wc", "-l"], stdin=gunzip.stdout, capture_output=True, text=True, check=True)
    gunzip.wait()
    return time.perf_counter() - started, int(count.stdout.split()[0])


def floor_duckdb(files: list[Path]) -> tuple[float, int]:
    import duckdb

    started = time.perf_counter()
    lines = (
        duckdb.connect()
        .execute(
            "SELECT count(*) FROM read_csv(?, columns = {'line': 'VARCHAR'}, header = false, "
            "delim = '\x01\x02\x03\x04', quote = '', escape = '', auto_detect = false)",
            [[str(f) for f in files]],
        )
        .fetchall()
    )
    return time.perf_counter() - started, int(lines[0][0])


def bench_stats(total: int = 10_000_000, days: int = 365) -> None:
    first = dt.date(2025, 1, 1)  # a fixed year: the files are generated once and reused
    logs = WORK / f"logs-{total:_}"
    files = generate(logs, first, days, total)
    size = sum(f.stat().st_size for f in files)
    root = WORK / "show"
    project(root, logs)
    gzip_s, lines = floor_gzip(files)
    duck_s, duck_lines = floor_duckdb(files)
    assert duck_lines == lines
    podcast = [sys.executable, "-m", "podcast", "--project", str(root), "stats", "--by", "month"]
    year_s, year_mb, output = timed(podcast)
    print(
        f"stats: {lines:,} log lines in {len(files)} daily gzip files ({size / 2**20:.0f} MiB) — the machine is shared"
    )
    print(f"  floor, gzip -dc | wc -l (one core):       {gzip_s:6.1f} s  {lines / gzip_s / 1e6:5.2f} M lines/s")
    print(f"  floor, DuckDB counting the lines (2 cores): {duck_s:5.1f} s  {lines / duck_s / 1e6:5.2f} M lines/s")
    print(
        f"  podcast stats, the year:                 {year_s:6.1f} s  {lines / year_s / 1e6:5.2f} M lines/s  "
        f"peak {year_mb} MiB  ({year_s / gzip_s:.2f}x gzip, {year_s / duck_s:.2f}x DuckDB's count)"
    )
    print("  " + next((ln for ln in output.splitlines() if " downloads from " in ln), output[-300:]))
    # one more day arrives: the daily run
    next_day = first + dt.timedelta(days=days)
    extra = logs / f"access.log-{next_day:%Y%m%d}.gz"
    _write_day((extra, next_day, total // days, 9999))
    try:
        day_s, day_mb, output = timed(podcast)
        print(f"  daily run (one more day, {total // days:,} lines): {day_s:5.2f} s  peak {day_mb} MiB")
        again_s, _, _ = timed(podcast)
        print(f"  run with nothing new:                    {again_s:5.2f} s")
    finally:
        extra.unlink(missing_ok=True)
