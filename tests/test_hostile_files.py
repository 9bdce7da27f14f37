"""Hostile input on the files a producer hands the tool (#23): `podcast transcript import`,
`podcast markers import`, `podcast suggest --accept`. Each case was found by trying it against
the tool: each must give one clear line and exit 1 (or be taken in a form publish accepts),
leave the project as it was, and never read a file outside the project through a link."""

from __future__ import annotations

import json
import resource
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import Result

from .conftest import Run, add_episode, make_tone
from .test_markers import wav_with_cues


def one_line(result: Result, *words: str) -> str:
    """The error of a failed command: one line, no traceback, holding `words`."""
    stderr = result.stderr
    assert result.exit_code == 1, (result.exit_code, stderr)
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    for word in words:
        assert word in stderr, (word, stderr)
    return stderr


def snapshot(project: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted(project.rglob("*")) if p.is_file() and ".lock" not in p.name}


@pytest.fixture
def episode(project: Path, tmp_path: Path) -> Path:
    return add_episode(project, "ep", make_tone(tmp_path / "tone.wav", seconds=8, channels=1))


# -- podcast transcript import -------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000
TRANSCRIPTS = {
    "times-past-60.srt": ("1\n99:99:99,999 --> 99:99:99,999\nBonjour\n", "line 2: not a time"),
    "overflow.json": ('{"segments": [{"startTime": 1e400, "endTime": 2, "body": "x"}]}', "out of range"),
    "nan.json": ('{"segments": [{"startTime": NaN, "endTime": 2, "body": "x"}]}', "NaN is not a number"),
    "deep.json": (DEEP, "nested 100,000 levels deep"),
    "deep-inside.json": ('{"segments": ' + DEEP + "}", "levels deep"),
    "reversed.json": ('{"segments": [{"startTime": 5, "endTime": 2, "body": "à rebours"}]}', "before it starts"),
    "negative.json": ('{"segments": [{"startTime": -3, "endTime": 2, "body": "avant"}]}', "not a time"),
    "far.json": ('{"segments": [{"startTime": 1, "endTime": 9e15, "body": "loin"}]}', "not a time in an episode"),
    "long-hours.vtt": ("WEBVTT\n\n" + "9" * 5000 + ":00:00.000 --> 00:00:01.000\nx\n", "line 3"),
}


def in_1_gib(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`podcast ARGS` in a process that may use 1 GiB of memory (a read without bounds fails
    there rather than filling the shared machine)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    command = [sys.executable, "-m", "podcast", "--project", str(project), *args]
    return subprocess.run(command, preexec_fn=limit, capture_output=True, text=True, timeout=120)


def test_a_transcript_read_from_a_device_stops_at_the_cap(project: Path, episode: Path) -> None:
    """/dev/zero has no size (stat says 0): the cap must count the bytes read."""
    result = in_1_gib(project, "transcript", "import", "ep", "/dev/zero")
    assert (
        result.returncode == 1
        and result.stderr.strip() == "error: /dev/zero: over 16 MB: too large for the file expected here"
    )
    assert not (episode / "transcript.vtt").exists()


def test_a_linked_transcript_is_never_copied_out(project: Path, run: Run, episode: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.vtt"
    secret.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nmot de passe : hunter2\n")
    (episode / "transcript.vtt").symlink_to(secret)
    mine = tmp_path / "relu.vtt"
    mine.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nBonjour à tous.\n")
    one_line(run("transcript", "import", "ep", str(mine)), "leads outside the project")
    copied = [p for p in (project / "build").rglob("*") if p.is_file() and b"hunter2" in p.read_bytes()]
    assert copied == [] and (episode / "transcript.vtt").is_symlink()
    assert secret.read_text().endswith("hunter2\n")


# -- podcast markers import ---------------------------------------------------------------------

MARKERS = {
    "digits.txt": ("1" * 400 + "\t" + "1" * 400 + "\tlong\n", "line 1: a time past 1000 hours"),
    "nan.json": ('{"chapters": [{"startTime": NaN, "title": "x"}]}', "NaN is not a number"),
    "infinity.json": ('{"chapters": [{"startTime": Infinity, "title": "x"}]}', "Infinity is not a number"),
    "overflow.json": ('{"chapters": [{"startTime": 1e400, "title": "x"}]}', "out of range"),
    "digits.json": ('{"chapters": [{"startTime": ' + "9" * 400 + ', "title": "x"}]}', "out of range"),
    "deep.json": ('{"chapters": ' + DEEP + "}", "levels deep"),
    "samples.csv": ("Name\tStart\tDuration\tTime Format\nA\t³\t\t48000 Hz\n", "not a sample count"),
    "zero-rate.csv": ("Name\tStart\tDuration\tTime Format\nA\t48000\t\t0 Hz\n", "line 2"),
    "overlap.txt": ("1.0\t3.0\tcut\n2.0\t4.0\tcut2\n", "the regions 'cut' and 'cut2' overlap (lines 1 and 2)"),
}


REFUSED = [("transcript", name, *TRANSCRIPTS[name]) for name in sorted(TRANSCRIPTS)]
REFUSED += [("markers", name, *MARKERS[name]) for name in sorted(MARKERS)]


@pytest.mark.parametrize(("door", "name", "text", "message"), REFUSED, ids=[f"{d}-{n}" for d, n, _, _ in REFUSED])
def test_a_file_publish_would_refuse_is_refused_at_import(
    project: Path, run: Run, episode: Path, tmp_path: Path, door: str, name: str, text: str, message: str
) -> None:
    """`podcast transcript import` and `podcast markers import` of what cannot be published
    (or read): one line naming the file, and the project as it was."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    before = snapshot(project)
    one_line(run(door, "import", "ep", str(path)), name, message)
    assert snapshot(project) == before


def test_recorder_cue_points_without_names_become_numbered_chapters(
    project: Path, run: Run, episode: Path, tmp_path: Path
) -> None:
    wav = wav_with_cues(tmp_path / "zoom.wav", 8.0, [(1.0, 0.0, ""), (4.0, 0.0, ""), (6.0, 0.0, "Fin")])
    result = run("markers", "import", "ep", str(wav))
    assert result.exit_code == 0, result.stderr
    labels = (episode / "markers.txt").read_text()
    assert labels.splitlines() == [
        "1.000000\t1.000000\tChapitre 1",
        "4.000000\t4.000000\tChapitre 2",
        "6.000000\t6.000000\tFin",
    ]
    published = run("publish", "ep")
    assert published.exit_code == 0, published.stderr
    chapters = json.loads((project / "build" / "ep" / "chapters.json").read_text())["chapters"]
    assert [c["title"] for c in chapters] == ["Chapitre 1", "Chapitre 2", "Fin"]


def test_a_recording_with_unnamed_cue_points_publishes(project: Path, run: Run, tmp_path: Path) -> None:
    """The recording itself named as the markers (no import): the same names at publish."""
    folder = add_episode(project, "ep", None)
    wav_with_cues(folder / "rec.wav", 8.0, [(0.0, 0.0, ""), (3.0, 0.0, "")])
    toml = folder / "episode.toml"
    text = toml.read_text().replace("source = []", 'source = "rec.wav"', 1)
    toml.write_text(text.replace("[edit]", '[edit]\nmarkers = "rec.wav"', 1))
    result = run("publish", "ep")
    assert result.exit_code == 0, result.stderr
    chapters = json.loads((project / "build" / "ep" / "chapters.json").read_text())["chapters"]
    assert [c["title"] for c in chapters] == ["Chapitre 1", "Chapitre 2"]


def test_a_linked_markers_file_is_never_opened(project: Path, run: Run, episode: Path, tmp_path: Path) -> None:
    outside = tmp_path / "ailleurs.txt"
    outside.write_text("1.0\t2.0\tà garder\n")
    (episode / "markers.txt").symlink_to(outside)
    mine = tmp_path / "labels.txt"
    mine.write_text("1.0\t2.0\tcoupe\n")
    for args in (("--replace",), ()):
        one_line(run("markers", "import", "ep", str(mine), *args), "markers.txt", "leads outside the project")
    assert (episode / "markers.txt").is_symlink() and outside.read_text() == "1.0\t2.0\tà garder\n"


def test_a_long_recording_is_never_read_whole_for_its_markers(project: Path, episode: Path, tmp_path: Path) -> None:
    """A WAV recording's cue points come after its audio, which can be gigabytes: only the
    chunks around it are read (here 3 GB of audio, a sparse file)."""
    small = wav_with_cues(tmp_path / "small.wav", 1.0, [(0.5, 0.0, "Début")]).read_bytes()
    at = small.index(b"data")
    size = struct.unpack_from("<I", small, at + 4)[0]
    after = small[at + 8 + size :]
    audio = 3 << 30
    header = bytearray(small[: at + 4] + struct.pack("<I", audio))
    struct.pack_into("<I", header, 4, len(header) - 8 + audio + len(after))
    big = tmp_path / "long.wav"
    with big.open("wb") as handle:
        handle.write(header)
        handle.seek(len(header) + audio)
        handle.write(after)
    result = in_1_gib(project, "markers", "import", "ep", str(big), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "1 point(s) as chapters" in result.stdout


# -- podcast suggest --accept -------------------------------------------------------------------


@pytest.fixture
def processed(project: Path, run: Run, episode: Path) -> Path:
    result = run("--set", "transcribe.enabled=true", "process", "ep")  # makes the speech suggest listens to
    assert result.exit_code == 0, result.stderr
    assert run("suggest", "ep").exit_code == 0
    return project


@pytest.mark.parametrize(
    ("accept", "message"),
    [
        ("1-1000000000", "no suggestion numbered 1-1000000000"),
        ("1-3000000", "no suggestion numbered 1-3000000"),
        ("3-1", "'3-1': a range goes from the lower number to the higher (1-3)"),
        ("1-", "'1-' in '1-' is not understood"),
        ("1,,2", "an empty place in '1,,2' is not understood"),
        ("9" * 5000, "is not understood"),
    ],
)
def test_accept_says_what_it_did_not_understand(processed: Path, accept: str, message: str) -> None:
    before = snapshot(processed)
    result = in_1_gib(processed, "suggest", "ep", "--accept", accept)  # a billion numbers never fit in it
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr and len(result.stderr) < 300
    assert snapshot(processed) == before


# -- The one JSON reader ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ("5", 0),
        ('{"a": [1, {"b": 2}]}', 3),
        ('{"a": "[[[[{{{{"}', 1),  # brackets in a string are text
        (r'["\"[[[", [[]]]', 3),  # so are they after an escaped quote
        (r'["\\", [[]]]', 3),  # and an escaped backslash ends no string
        ('{"": "", "b": "{"}', 1),
        ("[" * 100_000 + "]" * 100_000, 100_000),
    ],
)
def test_json_nesting_is_counted_outside_strings(text: str, depth: int) -> None:
    from podcast.core import safejson

    assert safejson.nesting(text) == depth
    if depth <= safejson.MAX_DEPTH:
        assert safejson.loads(text, limit=1 << 20) == json.loads(text)
    else:
        with pytest.raises(safejson.JsonProblem, match=f"nested {depth:,} levels deep"):
            safejson.loads(text, limit=1 << 20)


# -- Numbers in the producer's own files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("file", "old", "new", "key"),
    [
        ("config.toml", "loudness = -16.0", "loudness = nan", "audio.loudness"),
        ("config.toml", "pause_max = 0.0", "pause_max = nan", "audio.pause_max"),
        ("episode.toml", "[edit]", '[[soundbites]]\nstart = "1"\nduration = inf\n\n[edit]', "soundbites[0].duration"),
    ],
)
def test_nan_and_infinity_in_the_producers_files_are_refused_naming_the_key(
    project: Path, run: Run, episode: Path, file: str, old: str, new: str, key: str
) -> None:
    """TOML has nan and inf: no setting wants them, and they reach ffmpeg and the feed."""
    from .conftest import edit

    edit(project / "config.toml" if file == "config.toml" else episode / "episode.toml", old, new)
    result = run("publish", "ep")
    assert result.exit_code == 1 and f"'{key}' must be a finite number" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
