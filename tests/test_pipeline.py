"""End to end: a generated episode through every stage, read back by tools we did not write."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import feedparser
import podcastparser
import pytest
from click.testing import CliRunner, Result

from podcast.cli import cli

from .conftest import Run, add_episode, duration, edit, ffmpeg_stderr, make_project, make_tone


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ebur128(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak, measured independently of our code."""
    out = ffmpeg_stderr("-i", str(path), "-af", "ebur128=peak=true")
    summary = out[out.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


def interview(speech_wav: Path, folder: Path) -> Path:
    """Speech, then a loud 'cough' (1 s, to cut), then a quiet tone: a 48 kHz stereo WAV."""
    tone = make_tone(folder / "tone.wav", seconds=3, volume_db=-30)
    cough = make_tone(folder / "cough.wav", seconds=1, freq=900, volume_db=-6)
    source = folder / "interview.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(speech_wav),
            "-i",
            str(cough),
            "-i",
            str(tone),
            "-filter_complex",
            "[0:a]aformat=channel_layouts=stereo:sample_rates=48000[a];"
            "[1:a]aformat=channel_layouts=stereo:sample_rates=48000[b];"
            "[2:a]aformat=channel_layouts=stereo:sample_rates=48000[c];[a][b][c]concat=n=3:v=0:a=1",
            str(source),
        ],
        check=True,
    )
    return source


def publish_interview(project: Path, run: Run, speech_wav: Path, folder: Path) -> dict[str, object]:
    source = interview(speech_wav, folder)
    speech_len = duration(speech_wav)
    cut = f"{speech_len:.3f}-{speech_len + 1:.3f}"
    add_episode(
        project,
        "ep-1",
        source,
        title="Première « émission » & <test>",
        date="2024-05-14T10:00:00",
        summary='"Un résumé."',
    )
    edit(project / "episodes" / "ep-1" / "episode.toml", "cuts = []", f'cuts = ["{cut}"]')
    raw_hash = sha(project / "episodes" / "ep-1" / "interview.wav")
    result = run("--set", "transcribe.enabled=true", "publish", "--all")
    assert result.exit_code == 0, result.output
    return {"raw_hash": raw_hash, "source_len": duration(source), "output": result.output}


@pytest.fixture
def published(project: Path, run: Run, speech_wav: Path, tmp_path: Path) -> dict[str, object]:
    """Speech + a tone with a loud 'cough' to cut, published with transcription on."""
    return publish_interview(project, run, speech_wav, tmp_path)


@dataclass(frozen=True)
class Show:
    """One show published once, read by the end-to-end tests below (which change nothing)."""

    root: Path
    facts: dict[str, object]

    @property
    def media(self) -> Path:
        return next((self.root / "public" / "episodes" / "ep-1").glob("ep-1-*.mp3"))

    @property
    def feed(self) -> Path:
        return self.root / "public" / "feed.xml"


@pytest.fixture(scope="module")
def show(tmp_path_factory: pytest.TempPathFactory, artwork: Path, speech_wav: Path) -> Show:
    folder = tmp_path_factory.mktemp("end-to-end")
    root = make_project(folder / "show", artwork)

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(cli, ["--project", str(root), *args], catch_exceptions=False)

    return Show(root, publish_interview(root, invoke, speech_wav, folder))


def test_end_to_end_two_feed_readers_see_the_episode_and_its_file(show: Show) -> None:
    parsed = feedparser.parse(show.feed.read_bytes())
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.feed.title == "Essai & Cie"
    (entry,) = parsed.entries
    assert entry.title == "Première « émission » & <test>"
    enclosure = entry.enclosures[0]
    assert show.root / "public" / enclosure.href.split("127.0.0.1:8000/", 1)[1] == show.media
    assert int(enclosure.length) == show.media.stat().st_size
    assert enclosure.type == "audio/mpeg"
    with show.feed.open("rb") as handle:
        gpodder = podcastparser.parse("http://127.0.0.1:8000/feed.xml", handle)
    (episode,) = gpodder["episodes"]
    assert episode["enclosures"][0]["file_size"] == show.media.stat().st_size
    assert abs(episode["total_time"] - duration(show.media)) <= 1
    assert episode["guid"] and episode["published"] > 0


def test_end_to_end_the_declared_cut_is_applied(show: Show) -> None:
    """The declared cut removed one second; the edit list says what else (trimmed silence)."""
    edl = json.loads((show.root / "build" / "ep-1" / "edits.json").read_text())
    declared = [c for c in edl["cuts"] if c["kind"] == "cut"]
    assert len(declared) == 1 and abs(declared[0]["end"] - declared[0]["start"] - 1.0) < 0.001
    assert edl["source_duration"] == pytest.approx(show.facts["source_len"], abs=0.01)
    # the container's duration includes the encoder's padding
    assert abs(duration(show.media) - edl["output_duration"]) < 0.08


def test_end_to_end_the_loudness_is_on_target(show: Show) -> None:
    integrated, peak = ebur128(show.media)
    assert -17.0 <= integrated <= -15.0
    assert peak <= -1.0
    assert json.loads((show.root / "build" / "ep-1" / "loudness.json").read_text())["pass"] is True


def test_end_to_end_the_tags_read_back(show: Show) -> None:
    tags = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "json", str(show.media)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["format"]["tags"]
    assert tags["title"] == "Première « émission » & <test>"
    assert tags["album"] == "Essai & Cie"
    assert tags["track"] == "1"


def test_end_to_end_a_real_transcript_in_the_published_timeline(show: Show) -> None:
    vtt = (show.root / "build" / "ep-1" / "transcript.vtt").read_text()
    assert vtt.startswith("WEBVTT")
    assert "bienvenue" in vtt.lower() and "notre podcast" in vtt.lower()  # what base reliably hears from espeak
    cues = [float(m.group(1)) * 60 + float(m.group(2)) for m in re.finditer(r"\d\d:(\d\d):(\d\d\.\d+) -->", vtt)]
    # speech starts at 1.0 s in the source, at 0.25 s once the leading silence is trimmed
    assert cues and cues[0] < 0.8
    assert all(t < duration(show.media) for t in cues)
    assert b'type="text/vtt" language="fr" rel="captions"' in show.feed.read_bytes()


def test_end_to_end_the_raw_recording_is_untouched(show: Show) -> None:
    assert sha(show.root / "episodes" / "ep-1" / "interview.wav") == show.facts["raw_hash"]


def test_second_publish_does_nothing(project: Path, run: Run, published: dict[str, object]) -> None:
    public_files = {p: p.stat().st_mtime_ns for p in (project / "public").rglob("*") if p.is_file()}
    result = run("--set", "transcribe.enabled=true", "publish", "--all")
    assert result.exit_code == 0
    assert "nothing to do: everything is up to date" in result.output
    assert {p: p.stat().st_mtime_ns for p in (project / "public").rglob("*") if p.is_file()} == public_files
    status = run("--set", "transcribe.enabled=true", "status")
    assert re.search(r"ep-1\s+done\s+done\s+done\s+done", status.output), status.output


def test_changing_notes_only_rebuilds_the_feed(project: Path, run: Run, published: dict[str, object]) -> None:
    audio = project / "build" / "ep-1" / "audio.mp3"
    mtime = audio.stat().st_mtime_ns
    (project / "episodes" / "ep-1" / "notes.md").write_text("Nouvelles notes <script>alert(1)</script> **gras**")
    result = run("--set", "transcribe.enabled=true", "publish", "--all")
    assert result.exit_code == 0, result.output
    assert "ep-1: up to date" in result.output
    assert "published feed.xml" in result.output
    assert audio.stat().st_mtime_ns == mtime
    feed = (project / "public" / "feed.xml").read_text()
    assert "<strong>gras</strong>" in feed and "<script>" not in feed and "alert(1)" not in feed


def test_changing_an_edit_reruns_audio_and_everything_after(
    project: Path, run: Run, published: dict[str, object]
) -> None:
    edit(project / "episodes" / "ep-1" / "episode.toml", "cuts = [", 'cuts = ["0-0.5", ')
    dry = run("--set", "transcribe.enabled=true", "publish", "--all", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "ep-1: process: would run (inputs changed)" in dry.output
    assert "cut    00:00:00.000 → 00:00:00.500" in dry.output
    assert "ep-1: transcribe: would run after process" in dry.output
    result = run("--set", "transcribe.enabled=true", "publish", "--all")
    assert result.exit_code == 0, result.output
    for stage in ("process", "transcribe", "tag", "upload"):
        assert f"ep-1: {stage}: " in result.output
    assert "published feed.xml" in result.output


def test_a_bad_episode_does_not_stop_the_others(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "good", make_tone(tmp_path / "good.wav", seconds=4))
    bad = add_episode(project, "bad", make_tone(tmp_path / "bad.wav", seconds=4))
    edit(bad / "episode.toml", "cuts = []", 'cuts = ["00:00:03-00:00:09"]')
    result = run("publish", "--all")
    assert result.exit_code == 1
    # found before any stage runs: the producer's cut is checked against the recording's length
    assert "bad: check FAILED: [edit] cut 00:00:03.000-00:00:09.000 goes past the end" in result.stderr
    assert "1 episode(s) failed: bad" in result.stderr
    assert "published feed.xml (1 episode" in result.output
    assert "check FAILED: [edit] cut 00:00:03.000-00:00:09.000" in run("status").output


def test_a_failed_run_keeps_the_previous_good_state(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "t.wav", seconds=4))
    assert run("publish", "ep").exit_code == 0
    feed_before = (project / "public" / "feed.xml").read_bytes()
    audio_before = sha(project / "build" / "ep" / "ep.mp3")
    (folder / "t.wav").write_bytes(b"RIFF garbage, not audio any more")
    result = run("publish", "ep")
    assert result.exit_code == 1
    assert "ep: process FAILED" in result.stderr
    assert (project / "public" / "feed.xml").read_bytes() == feed_before
    assert sha(project / "build" / "ep" / "ep.mp3") == audio_before
    leftovers = [p for p in (project / "build").rglob("*") if ".part" in p.name or p.name.startswith(".process-")]
    assert leftovers == []


def test_silent_recording_says_so(project: Path, run: Run, tmp_path: Path) -> None:
    silent = tmp_path / "silence.wav"
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", "anullsrc=r=44100:cl=mono", "-t", "3", str(silent)],
        check=True,
    )
    add_episode(project, "quiet", silent)
    result = run("process", "quiet")
    assert result.exit_code == 1
    assert "silent" in result.stderr and "undefined" in result.stderr


def test_draft_and_future_episodes_wait(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "later", make_tone(tmp_path / "a.wav", seconds=3), date="2999-01-01")
    add_episode(project, "draft", make_tone(tmp_path / "b.wav", seconds=3), draft="true")
    result = run("publish", "--all")
    assert result.exit_code == 0, result.output
    assert "not in the feed: later: dated 2999-01-01" in result.output
    assert "not in the feed: draft: draft" in result.output
    parsed = feedparser.parse((project / "public" / "feed.xml").read_bytes())
    assert parsed.entries == []


def test_the_episodes_own_data_is_checked_before_any_stage_dry_run_included(
    project: Path, run: Run, tmp_path: Path
) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "t.wav", seconds=8))
    edit(folder / "episode.toml", "cuts = []", 'cuts = ["00:00:02-00:00:04"]')
    (folder / "episode.toml").write_text(
        (folder / "episode.toml").read_text() + '\n[[chapters]]\nstart = "00:00:03"\ntitle = "Dans la coupe"\n'
    )
    for args in (("publish", "ep", "-n"), ("publish", "ep")):
        result = run(*args)
        assert result.exit_code == 1
        assert "ep: check FAILED: chapter 'Dans la coupe'" in result.stderr, result.stderr
        assert "process" not in result.output  # nothing ran, nothing was planned
    assert not (project / "build" / "ep" / "audio.mp3").exists()
    assert "check FAILED: chapter 'Dans la coupe'" in run("status").output
    edit(folder / "episode.toml", 'start = "00:00:03"', 'start = "00:00:05"')
    fixed = run("publish", "ep")
    assert fixed.exit_code == 0, fixed.output
    assert "check FAILED" not in run("status").output


def test_the_run_report_says_how_long_each_stage_took(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "t.wav", seconds=5))
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    process = next(line for line in result.output.splitlines() if line.startswith("ep: process: "))
    assert re.search(r"ep: process: 5\.\d s of audio, .* \(took \d+\.\d s\)$", process), process
    for stage in ("tag", "upload"):
        assert re.search(rf"ep: {stage}: .* \(took \d+\.\d s\)", result.output), stage
