"""The process stage on generated audio with known properties, checked with ffmpeg directly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import Run, add_episode, edit, ffmpeg, ffmpeg_stderr, ffprobe, make_tone
from .test_pipeline import ebur128, sha


def probe(path: Path) -> dict[str, object]:
    data = json.loads(ffprobe(path, "-show_streams", "-show_format", "-of", "json"))
    return {**data["streams"][0], "format_name": data["format"]["format_name"]}


def played_duration(path: Path) -> float:
    """Seconds a player actually plays: decoded samples, after the encoder delay and padding
    recorded in the LAME header are skipped (container durations include the padding)."""
    out = ffmpeg_stderr("-i", str(path), "-af", "astats=metadata=0")
    samples = re.search(r"Number of samples: (\d+)", out)
    rate = re.search(r"(\d+) Hz", out)
    assert samples and rate
    return int(samples.group(1)) / int(rate.group(1))


def max_volume(path: Path, filters: str, start: float = 0.0, end: float | None = None) -> float:
    trim = f"atrim=start={start}" + (f":end={end}" if end else "") + ","
    out = ffmpeg_stderr("-i", str(path), "-af", f"{trim}{filters},volumedetect")
    match = re.search(r"max_volume: (-?[\d.]+|-inf) dB", out)
    assert match is not None
    return float(match.group(1)) if match.group(1) != "-inf" else -200.0


def first_sound(path: Path) -> float:
    out = ffmpeg_stderr("-i", str(path), "-af", "silencedetect=n=-40dB:d=0.05")
    starts = re.findall(r"silence_start: (-?[\d.]+)", out)
    ends = re.findall(r"silence_end: ([\d.]+)", out)
    if starts and float(starts[0]) <= 0.01:
        return float(ends[0])
    return 0.0


# the 1 kHz "cough", isolated from the 440 Hz tone
COUGH_BAND = "bandpass=f=1000:width_type=q:width=8,bandpass=f=1000:width_type=q:width=8"


def interview(path: Path, tmp: Path) -> Path:
    """1.5 s silence, 3 s tone, 1 s loud 1 kHz 'cough', 3 s tone, 2 s silence (10.5 s)."""
    pieces = [
        ("anullsrc=r=48000:cl=stereo", 1.5),
        ("sine=f=440:r=48000", 3.0),
        ("sine=f=1000:r=48000,volume=14dB", 1.0),
        ("sine=f=440:r=48000", 3.0),
        ("anullsrc=r=48000:cl=stereo", 2.0),
    ]
    inputs: list[str] = []
    for source, seconds in pieces:
        inputs += ["-f", "lavfi", "-t", str(seconds), "-i", source]
    graph = "".join(
        f"[{i}:a]aformat=sample_rates=48000:channel_layouts=stereo,volume=-20dB[a{i}];" for i in range(len(pieces))
    )
    graph += "".join(f"[a{i}]" for i in range(len(pieces))) + f"concat=n={len(pieces)}:v=0:a=1"
    ffmpeg(*inputs, "-filter_complex", graph, "-c:a", "pcm_s16le", str(path))
    return path


@pytest.fixture
def tone_episode(project: Path, tmp_path: Path) -> Path:
    source = interview(tmp_path / "interview.wav", tmp_path)
    folder = add_episode(project, "ep", source)
    edit(project / "config.toml", 'cleanup = "speech"', 'cleanup = "none"')
    return folder


def test_cut_and_trim_positions(project: Path, run: Run, tone_episode: Path) -> None:
    raw = sha(tone_episode / "interview.wav")
    assert run("process", "ep").exit_code == 0
    uncut = project / "build" / "ep" / "audio.mp3"
    cough_uncut = max_volume(uncut, COUGH_BAND)
    edit(tone_episode / "episode.toml", "cuts = []", 'cuts = ["00:00:04.5-00:00:05.5"]')
    dry = run("process", "ep", "--dry-run")
    assert "trim   00:00:00.000 → 00:00:01.250 (source, 1.250 s removed)  at an end" in dry.output
    assert "cut    00:00:04.500 → 00:00:05.500 (source, 1.000 s removed)  splice at 00:00:03.240 (output)" in dry.output
    assert "trim   00:00:08.750 → 00:00:10.500 (source, 1.750 s removed)  at an end" in dry.output
    assert "output: 00:00:06.490" in dry.output
    result = run("process", "ep")
    assert result.exit_code == 0, result.output
    out = project / "build" / "ep" / "audio.mp3"
    assert abs(played_duration(out) - 6.49) < 0.03
    assert abs(first_sound(out) - 0.25) < 0.03
    cough = max_volume(out, COUGH_BAND)
    assert cough < cough_uncut - 20, (cough, cough_uncut)
    edl = json.loads((project / "build" / "ep" / "edits.json").read_text())
    assert [c["kind"] for c in edl["cuts"]] == ["trim", "cut", "trim"]
    assert sha(tone_episode / "interview.wav") == raw


def test_trim_can_be_turned_off_per_episode(project: Path, run: Run, tone_episode: Path) -> None:
    edit(tone_episode / "episode.toml", "cuts = []", "cuts = []\ntrim_silence = false")
    assert run("process", "ep").exit_code == 0
    assert abs(played_duration(project / "build" / "ep" / "audio.mp3") - 10.5) < 0.03


def test_long_pauses_are_shortened(project: Path, run: Run, tmp_path: Path) -> None:
    source = tmp_path / "pauses.wav"
    ffmpeg(
        "-f",
        "lavfi",
        "-t",
        "2",
        "-i",
        "sine=f=440:r=44100",
        "-f",
        "lavfi",
        "-t",
        "5",
        "-i",
        "anullsrc=r=44100",
        "-f",
        "lavfi",
        "-t",
        "2",
        "-i",
        "sine=f=440:r=44100",
        "-filter_complex",
        "[0:a][1:a][2:a]concat=n=3:v=0:a=1,volume=-20dB",
        str(source),
    )
    add_episode(project, "ep", source)
    result = run("--set", "audio.pause_max=2", "--set", "audio.pause_target=1", "process", "ep")
    assert result.exit_code == 0, result.output
    assert abs(played_duration(project / "build" / "ep" / "audio.mp3") - (2 + 1 + 2 - 0.01)) < 0.05


SOURCES = [
    # (name, ffmpeg output options)
    ("u8-16k-mono.wav", ["-ar", "16000", "-ac", "1", "-c:a", "pcm_u8"]),
    ("s16-8k-mono.wav", ["-ar", "8000", "-ac", "1", "-c:a", "pcm_s16le"]),
    ("s24-48k-stereo.wav", ["-ar", "48000", "-ac", "2", "-c:a", "pcm_s24le"]),
    ("f32-96k-5.1.wav", ["-ar", "96000", "-ac", "6", "-c:a", "pcm_f32le"]),
    ("stereo.flac", ["-ar", "44100", "-ac", "2"]),
    ("mono.mp3", ["-ar", "22050", "-ac", "1", "-b:a", "64k"]),
    ("stereo.m4a", ["-ar", "44100", "-ac", "2", "-c:a", "aac"]),
    ("stereo.ogg", ["-ar", "48000", "-ac", "2", "-c:a", "libvorbis"]),
]


@pytest.mark.parametrize(("name", "options"), SOURCES, ids=[s[0] for s in SOURCES])
def test_every_common_source_format_lands_on_target(
    project: Path, run: Run, speech_wav: Path, tmp_path: Path, name: str, options: list[str]
) -> None:
    source = tmp_path / name
    ffmpeg("-i", str(speech_wav), "-af", "volume=-12dB", *options, str(source))
    add_episode(project, "ep", source)
    result = run("process", "ep")
    assert result.exit_code == 0, result.output
    out = project / "build" / "ep" / "audio.mp3"
    integrated, peak = ebur128(out)
    assert abs(integrated - -16.0) <= 0.5, integrated
    assert peak <= -1.0
    info = probe(out)
    assert (info["codec_name"], info["sample_rate"], info["channels"]) == ("mp3", "44100", 1)
    assert info["bit_rate"] == "96000"


def test_stereo_m4a_delivery(project: Path, run: Run, speech_wav: Path) -> None:
    add_episode(project, "ep", speech_wav)
    result = run("--set", "audio.channels=2", "--set", 'audio.format="m4a"', "publish", "ep")
    assert result.exit_code == 0, result.output
    out = project / "build" / "ep" / "ep.m4a"
    info = probe(out)
    assert (info["codec_name"], info["channels"]) == ("aac", 2)
    assert "mp4" in str(info["format_name"])
    integrated, peak = ebur128(out)
    assert abs(integrated - -16.0) <= 0.5 and peak <= -1.0
    feed = (project / "public" / "feed.xml").read_text()
    assert 'type="audio/x-m4a"' in feed and ".m4a" in feed


def test_half_second_recording(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "short.wav", seconds=0.5))
    result = run("process", "ep")
    assert result.exit_code == 0, result.output
    assert abs(played_duration(project / "build" / "ep" / "audio.mp3") - 0.5) < 0.06


def test_loudness_outside_tolerance_fails_with_the_numbers(project: Path, run: Run, speech_wav: Path) -> None:
    add_episode(project, "ep", speech_wav)
    result = run("--set", "audio.loudness=-6", "--set", "audio.true_peak=-9", "process", "ep")
    assert result.exit_code == 1
    assert re.search(r"integrated loudness -\d+\.\d LUFS is \d+\.\d LU below the -6 LUFS target \(±1\)", result.stderr)
    report = json.loads((project / "build" / "ep" / "loudness.json").read_text())
    assert report["pass"] is False
    assert not (project / "build" / "ep" / "audio.mp3").exists() or run("status").output.count("failed")


def test_intro_outro_and_ducked_bed(project: Path, run: Run, tmp_path: Path) -> None:
    jingles = project / "jingles"
    jingles.mkdir()
    make_tone(jingles / "intro.wav", seconds=3, freq=880, volume_db=-18)
    make_tone(jingles / "outro.wav", seconds=2, freq=660, volume_db=-18)
    make_tone(jingles / "bed.wav", seconds=1.5, freq=300, volume_db=-10)
    source = tmp_path / "talk.wav"
    ffmpeg(
        "-f",
        "lavfi",
        "-t",
        "3",
        "-i",
        "sine=f=2000:r=44100",
        "-f",
        "lavfi",
        "-t",
        "3",
        "-i",
        "anullsrc=r=44100",
        "-f",
        "lavfi",
        "-t",
        "3",
        "-i",
        "sine=f=2000:r=44100",
        "-filter_complex",
        "[0:a][1:a][2:a]concat=n=3:v=0:a=1,volume=-20dB",
        str(source),
    )
    add_episode(project, "ep", source)
    config = project / "config.toml"
    edit(config, 'intro = ""', 'intro = "jingles/intro.wav"')
    edit(config, 'outro = ""', 'outro = "jingles/outro.wav"')
    edit(config, 'bed = ""', 'bed = "jingles/bed.wav"')
    edit(config, "bed_level = -24.0", "bed_level = -6.0")
    edit(config, "trim_silence = true", "trim_silence = false")
    edit(config, 'cleanup = "speech"', 'cleanup = "none"')
    dry = run("process", "ep", "--dry-run")
    assert "intro  intro.wav: 00:00:00.000 → 00:00:03.000 (output), 1 s overlap with the speech" in dry.output
    assert "outro  outro.wav: 00:00:10.000 → 00:00:12.000 (output)" in dry.output
    assert "music bed: bed.wav at -6 dB, ducked under speech" in dry.output
    result = run("process", "ep")
    assert result.exit_code == 0, result.output
    out = project / "build" / "ep" / "audio.mp3"
    assert abs(played_duration(out) - 12.0) < 0.05
    assert max_volume(out, "bandpass=f=880:width_type=q:width=20", 0, 1.5) > -30  # intro first
    assert max_volume(out, "bandpass=f=660:width_type=q:width=20", 10.5) > -30  # outro last
    bed = "bandpass=f=300:width_type=q:width=10,bandpass=f=300:width_type=q:width=10"
    during_speech = max_volume(out, bed, 3.5, 4.5)
    during_pause = max_volume(out, bed, 6.5, 7.5)
    assert during_pause > during_speech + 6, (during_speech, during_pause)  # ducked while people talk


def test_bad_jingles(project: Path, run: Run, speech_wav: Path) -> None:
    add_episode(project, "ep", speech_wav)
    config = project / "config.toml"
    edit(config, 'intro = ""', 'intro = "missing.wav"')
    result = run("status")
    assert result.exit_code == 1 and "audio.intro: file not found" in result.stderr
    (project / "not-audio.wav").write_text("hello")
    edit(config, 'intro = "missing.wav"', 'intro = "not-audio.wav"')
    result = run("process", "ep")
    assert result.exit_code == 1
    assert "jingle not-audio.wav: not an audio file" in result.stderr or "not-audio.wav" in result.stderr


def test_a_recording_quieter_than_the_silence_threshold_is_not_trimmed_away(
    project: Path, run: Run, tmp_path: Path
) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "faint.wav", seconds=20.0, volume_db=-40.0))
    result = run("process", "ep")
    assert result.exit_code == 1
    assert "quieter than the silence threshold" in result.output and "Traceback" not in result.output
    assert run("--set", "audio.silence_threshold=-90", "process", "ep").exit_code == 0


def test_ctrl_c_in_a_parallel_block_stops_the_tools_its_jobs_started() -> None:
    """Ctrl-C reaches the main thread only: leaving the block must stop the ffmpeg a worker
    runs (here one that would run ten minutes) and drop the job not started, instead of
    waiting for them."""
    import threading

    from podcast.core.errors import MediaError
    from podcast.edges import ffmpeg as tools

    started = threading.Event()
    children = []

    def job() -> int:
        proc = tools.start(
            [tools.which("ffmpeg"), "-v", "error", "-re", "-f", "lavfi", "-i", "anullsrc=d=600", "-f", "null", "-"]
        )
        children.append(proc)
        started.set()
        proc.communicate()
        return int(proc.returncode)

    with pytest.raises(KeyboardInterrupt), tools.Parallel(1) as pool:
        running = pool.submit(job)
        queued = pool.submit(job)
        assert started.wait(60)
        raise KeyboardInterrupt
    assert len(children) == 1 and running.result() == -9 and queued.cancelled()
    with pytest.raises(MediaError, match="interrupted"):  # a stopped pool starts nothing more
        with pool.lock:
            pool.stopped = True
        pool._run(job)
