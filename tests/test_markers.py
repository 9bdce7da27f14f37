"""Markers from the producer's editor: every format read (fixtures written from each format's
documentation), cuts and chapters applied through the pipeline, and exported back to Audacity."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from podcast.domain import markers

from .conftest import Run, add_episode, make_tone
from .recordings import duration

FIXTURES = Path(__file__).parent / "fixtures" / "markers"
HESITATION = (12.5, 14.0)
COUGH = (130.0, 131.2)
CHAPTERS = [(0.0, "Introduction"), (65.25, "Territoires zéro chômeur"), (150.0, "Les universités populaires")]


@pytest.mark.parametrize(
    ("name", "regions", "points"),
    [
        ("audacity.txt", [(*HESITATION, "Hésitation"), (*COUGH, "toux")], [(65.25, "Territoires zéro chômeur")]),
        ("reaper-regions.csv", [(*HESITATION, "Hésitation"), (*COUGH, "toux")], [(65.25, "Territoires zéro chômeur")]),
        ("audition.csv", [(*HESITATION, "Hésitation"), (*COUGH, "toux")], [(65.25, "Territoires zéro chômeur")]),
        ("chapters.txt", [], CHAPTERS),
        ("hindenburg.nhsx", [], CHAPTERS),
        ("podlove.psc", [], CHAPTERS),
        ("chapters.json", [], CHAPTERS),
    ],
)
def test_every_editor_format(
    name: str, regions: list[tuple[float, float, str]], points: list[tuple[float, str]]
) -> None:
    found = markers.read(FIXTURES / name)
    assert [(m.start, round(m.end or 0, 3), m.title) for m in found if m.is_region] == regions
    assert [(m.start, m.title) for m in found if not m.is_region] == points


def test_chapter_links_are_kept_and_checked(tmp_path: Path) -> None:
    for name in ("chapters.txt", "podlove.psc", "chapters.json"):
        linked = [m for m in markers.read(FIXTURES / name) if m.url]
        assert [m.url for m in linked] == ["https://www.tzcld.fr/"], name
    bad = tmp_path / "bad.json"
    bad.write_text('{"chapters": [{"startTime": 1, "title": "x", "url": "javascript:alert(1)"}]}')
    with pytest.raises(markers.MarkerError, match="http"):
        markers.read(bad)


def wav_with_cues(path: Path, seconds: float, cues: list[tuple[float, float, str]], rate: int = 48000) -> Path:
    """A WAV file with RIFF cue points, labl names and ltxt lengths, as recorders and DAWs write."""
    make_tone(path, seconds=seconds, rate=rate, channels=1)
    data = bytearray(path.read_bytes())
    cue = struct.pack("<I", len(cues))
    adtl = b"adtl"
    for ident, (start, length, label) in enumerate(cues, 1):
        cue += struct.pack("<II4sIII", ident, 0, b"data", 0, 0, round(start * rate))
        text = label.encode() + b"\0"
        text += b"\0" * (len(text) & 1)
        adtl += b"labl" + struct.pack("<II", 4 + len(label.encode()) + 1, ident) + text
        if length:
            body = struct.pack("<II4sHHHH", ident, round(length * rate), b"rgn ", 0, 0, 0, 0)
            adtl += b"ltxt" + struct.pack("<I", len(body)) + body
    data += b"cue " + struct.pack("<I", len(cue)) + cue
    data += b"LIST" + struct.pack("<I", len(adtl)) + adtl
    struct.pack_into("<I", data, 4, len(data) - 8)
    path.write_bytes(bytes(data))
    return path


def test_wav_cue_points(tmp_path: Path) -> None:
    wav = wav_with_cues(tmp_path / "rec.wav", 20.0, [(2.5, 1.5, "raté"), (10.0, 0.0, "Deuxième partie")])
    found = markers.read(wav)
    assert [(m.start, m.end, m.title) for m in found] == [(2.5, 4.0, "raté"), (10.0, None, "Deuxième partie")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Bonjour, ceci n'est pas un fichier de marqueurs\n", "line 1: not a marker format"),
        ("1.0\t2.0\tok\nnot a label\n", "line 2"),
        ("00:00:01.000 Début\n99:99 nope\n", "line 2"),
        ("#,Name,Start,End,Length\nR1,x,1.1.00,2.1.00,1.0.00\n", "measures.beats"),
        ("<root/>\n", "neither Podlove chapters nor Marker"),
        ("3.0\t2.0\tbackwards\n", "ends before it starts"),
        ("1.0\t1.0\tbell \x07 in title\n", "control character"),
    ],
)
def test_bad_marker_files_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "labels.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(markers.MarkerError, match=message):
        markers.read(path)


def test_xml_entities_are_not_expanded(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.psc"
    lol = "".join(f'<!ENTITY l{i} "{"&l" + str(i - 1) + ";" * 10}">' for i in range(1, 10))
    bomb.write_text(
        f'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY l0 "lol">{lol}]>'
        '<psc:chapters xmlns:psc="http://podlove.org/simple-chapters">'
        '<psc:chapter start="00:00:01" title="&l9;"/></psc:chapters>'
    )
    try:
        found = markers.read(bomb)
    except markers.MarkerError:
        return
    assert all(len(m.title) < 1000 for m in found)


def long_episode(project: Path, tmp_path: Path, seconds: float = 160.0) -> Path:
    return add_episode(project, "ep", make_tone(tmp_path / "rec.wav", seconds=seconds, volume_db=-6.0))


def test_imported_markers_cut_and_make_chapters(project: Path, run: Run, tmp_path: Path) -> None:
    folder = long_episode(project, tmp_path)
    result = run("markers", "import", "ep", str(FIXTURES / "audacity.txt"))
    assert result.exit_code == 0, result.output
    assert "2 region(s) to cut, 1 point(s)" in result.output
    assert (folder / "markers.txt").read_bytes() == (FIXTURES / "audacity.txt").read_bytes()
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    build = project / "build" / "ep"
    assert duration(build / "audio.mp3") == pytest.approx(160.0 - 1.5 - 1.2, abs=0.08)
    chapters = json.loads((build / "chapters.json").read_text())["chapters"]
    assert [(c["startTime"], c["title"]) for c in chapters] == [
        (pytest.approx(65.25 - 1.5, abs=0.02), "Territoires zéro chômeur")
    ]


def test_episode_toml_chapters_win_over_marker_points(project: Path, run: Run, tmp_path: Path) -> None:
    folder = long_episode(project, tmp_path)
    (folder / "markers.psc").write_bytes((FIXTURES / "podlove.psc").read_bytes())
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text() + '\n[[chapters]]\nstart = "00:00:30"\ntitle = "Déclaré"\n')
    assert run("publish", "ep").exit_code == 0
    chapters = json.loads((project / "build" / "ep" / "chapters.json").read_text())["chapters"]
    assert [c["title"] for c in chapters] == ["Déclaré"]


def test_wav_recording_markers_import_as_labels(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", None)
    wav = wav_with_cues(folder / "rec.wav", 20.0, [(2.5, 1.5, "raté"), (10.0, 0.0, "Deuxième partie")])
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text().replace("source = []", 'source = "rec.wav"', 1))
    result = run("markers", "import", "ep", str(wav))
    assert result.exit_code == 0, result.output
    assert (folder / "markers.txt").read_text() == "2.500000\t4.000000\traté\n10.000000\t10.000000\tDeuxième partie\n"
    assert run("process", "ep").exit_code == 0
    assert duration(project / "build" / "ep" / "audio.mp3") == pytest.approx(20.0 - 1.5, abs=0.08)


def test_markers_past_the_end_or_unknown_are_one_line_errors(project: Path, run: Run, tmp_path: Path) -> None:
    long_episode(project, tmp_path, seconds=60.0)
    result = run("markers", "import", "ep", str(FIXTURES / "audacity.txt"))
    assert result.exit_code == 1
    assert "audacity.txt, line 3: 00:01:05.250 is past the end of the recording" in result.output
    unknown = tmp_path / "notes.txt"
    unknown.write_text("Ceci n'est pas un fichier de marqueurs\n")
    result = run("markers", "import", "ep", str(unknown))
    assert result.exit_code == 1 and "line 1: not a marker format" in result.output
    assert "Traceback" not in result.output
    assert not list((project / "episodes" / "ep").glob("markers.*"))


def test_a_second_import_needs_replace(project: Path, run: Run, tmp_path: Path) -> None:
    long_episode(project, tmp_path)
    assert run("markers", "import", "ep", str(FIXTURES / "audacity.txt")).exit_code == 0
    assert run("markers", "import", "ep", str(FIXTURES / "audacity.txt")).exit_code == 0  # the same file: nothing to do
    other = tmp_path / "labels.txt"
    other.write_text("1.0\t2.0\tautre\n")
    result = run("markers", "import", "ep", str(other))
    assert result.exit_code == 1 and "--replace" in result.output
    assert run("markers", "import", "ep", str(other), "--replace").exit_code == 0
    result = run("markers", "import", "ep", str(FIXTURES / "chapters.json"))
    assert result.exit_code == 1 and "markers.txt is already the episode's markers" in result.output


def test_dry_run_import_writes_nothing(project: Path, run: Run, tmp_path: Path) -> None:
    folder = long_episode(project, tmp_path)
    result = run("markers", "import", "ep", str(FIXTURES / "reaper-regions.csv"), "--dry-run")
    assert result.exit_code == 0 and "would copy to markers.csv" in result.output
    assert not (folder / "markers.csv").exists()


def test_export_shows_every_cut_and_chapter_in_the_recording_timeline(project: Path, run: Run, tmp_path: Path) -> None:
    silence = tmp_path / "padded.wav"
    from .conftest import ffmpeg

    tone = make_tone(tmp_path / "tone.wav", seconds=150.0, volume_db=-6.0, channels=1)
    ffmpeg("-i", str(tone), "-af", "adelay=3000,apad=pad_dur=3", str(silence))
    folder = add_episode(project, "ep", silence)
    (folder / "markers.txt").write_bytes((FIXTURES / "audacity.txt").read_bytes())
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text().replace("cuts = []", 'cuts = ["100-101"]', 1))
    result = run("markers", "export", "ep")
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.output.splitlines()]
    labels = [(float(a), float(b), text) for a, b, text in rows]
    assert labels[0][0] == 0 and labels[0][2] == "silence trimmed" and labels[0][1] == pytest.approx(2.75, abs=0.03)
    assert (12.5, 14.0, "cut") in labels and (100.0, 101.0, "cut") in labels and (130.0, 131.2, "cut") in labels
    assert (65.25, 65.25, "Territoires zéro chômeur") in labels
    assert labels[-1][2] == "silence trimmed" and labels[-1][1] == pytest.approx(156.0, abs=0.03)
    out = tmp_path / "labels.txt"
    assert run("markers", "export", "ep", "-o", str(out)).exit_code == 0
    assert markers.read(out)  # Audacity labels this tool reads back
