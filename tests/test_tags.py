"""Tags and chapters, read back with mutagen and with ffprobe; artwork rules."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from mutagen.id3 import ID3
from PIL import Image

from .conftest import Run, add_episode, edit, make_tone

TITLE = "«Refonder» la société : œuvre commune, été 2024 🎙️ & <co>"


def ffprobe(path: Path, *entries: str) -> dict:  # type: ignore[type-arg]
    args = ["ffprobe", "-v", "error", "-of", "json", *entries, str(path)]
    return json.loads(subprocess.run(args, capture_output=True, text=True, check=True).stdout)


def audio_md5(path: Path) -> str:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a", "-c", "copy", "-f", "md5", "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip()


@pytest.fixture
def episode(project: Path, tmp_path: Path) -> Path:
    source = make_tone(tmp_path / "rec.wav", seconds=20, volume_db=-10)
    folder = add_episode(
        project, "ep", source, title=TITLE, date="2024-05-14T10:00:00", summary='"Un résumé avec des accents : éèà."'
    )
    text = (folder / "episode.toml").read_text()
    text = text.replace("[edit]", '[[guests]]\nname = "Isabelle Bouyer"\n\n[[guests]]\nname = "Jean Dupont"\n\n[edit]')
    text = text.replace("cuts = []", 'cuts = ["00:00:08-00:00:10"]')
    text += (
        '\n[[chapters]]\nstart = "00:00:00"\ntitle = "Introduction"\n'
        '\n[[chapters]]\nstart = "00:00:05"\ntitle = "Territoires zéro chômeur"\nurl = "https://www.tzcld.fr/"\n'
        '\n[[chapters]]\nstart = "00:00:12"\ntitle = "Universités populaires « Quart Monde »"\n'
    )
    (folder / "episode.toml").write_text(text)
    edit(project / "config.toml", 'copyright = ""', 'copyright = "© 2026 Essai"')
    return folder


def test_every_frame_reads_back(project: Path, run: Run, episode: Path) -> None:
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    assert "3 chapters from episode.toml" in result.output
    tagged = project / "build" / "ep" / "ep.mp3"
    tags = ID3(tagged)
    assert tags.version == (2, 4, 0)
    assert tags["TIT2"].text == [TITLE]
    assert tags["TALB"].text == ["Essai & Cie"]
    assert tags["TRCK"].text == ["1"] and tags["TPOS"].text == ["1"]
    assert str(tags["TDRC"].text[0]) == "2024-05-14"
    assert tags["TCON"].text == ["Podcast"]
    assert tags["TLAN"].text == ["fra"]
    assert tags["TCOP"].text == ["© 2026 Essai"]
    assert tags["TIPL"].people == [["guest", "Isabelle Bouyer"], ["guest", "Jean Dupont"]]
    assert tags.getall("COMM")[0].text == ["Un résumé avec des accents : éèà."]
    assert tags["WFED"].url == "http://127.0.0.1:8000/feed.xml"
    assert tags["WOAS"].url == "http://127.0.0.1:8000/episodes/ep/index.html"
    assert tags["PCST"].value == 1
    assert len(tags["TGID"].text[0]) == 36
    assert tags.getall("APIC")[0].mime == "image/jpeg"
    chaps = sorted(tags.getall("CHAP"), key=lambda c: c.start_time)
    assert [(c.start_time, c.sub_frames["TIT2"].text[0]) for c in chaps] == [
        (0, "Introduction"),
        (5000, "Territoires zéro chômeur"),
        (9990, "Universités populaires « Quart Monde »"),
    ]
    assert chaps[1].sub_frames.getall("WXXX")[0].url == "https://www.tzcld.fr/"
    assert tags.getall("CTOC")[0].child_element_ids == ["chp0", "chp1", "chp2"]

    # a second reader
    fmt = ffprobe(tagged, "-show_format", "-show_chapters")
    assert fmt["format"]["tags"]["title"] == TITLE
    assert fmt["format"]["tags"]["album"] == "Essai & Cie"
    probed = [(round(float(c["start_time"]), 2), c["tags"]["title"]) for c in fmt["chapters"]]
    assert probed == [
        (0.0, "Introduction"),
        (5.0, "Territoires zéro chômeur"),
        (9.99, "Universités populaires « Quart Monde »"),
    ]
    assert float(fmt["chapters"][-1]["end_time"]) == pytest.approx(float(fmt["format"]["duration"]), abs=0.1)

    # golden chapters JSON, published and listed in the feed
    chapters = json.loads((project / "build" / "ep" / "chapters.json").read_text())
    end = chapters["chapters"][-1]["endTime"]
    assert chapters == {
        "version": "1.2.0",
        "chapters": [
            {"startTime": 0.0, "endTime": 5.0, "title": "Introduction"},
            {"startTime": 5.0, "endTime": 9.99, "title": "Territoires zéro chômeur", "url": "https://www.tzcld.fr/"},
            {"startTime": 9.99, "endTime": end, "title": "Universités populaires « Quart Monde »"},
        ],
    }
    assert 'type="application/json+chapters"' in (project / "public" / "feed.xml").read_text()


def test_tags_never_touch_the_audio_and_retagging_is_idempotent(project: Path, run: Run, episode: Path) -> None:
    assert run("publish", "ep").exit_code == 0
    processed = project / "build" / "ep" / "audio.mp3"
    tagged = project / "build" / "ep" / "ep.mp3"
    assert audio_md5(processed) == audio_md5(tagged)
    first = tagged.read_bytes()
    assert run("tag", "ep", "--force").exit_code == 0
    assert tagged.read_bytes() == first


def test_chapters_from_notes(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "r.wav", seconds=12, volume_db=-10))
    (folder / "notes.md").write_text("Intro text\n\n00:00:00 Début\n- 00:06 **Suite** du sujet\n\nFin.\n")
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    assert "2 chapters from notes.md" in result.output
    chapters = json.loads((project / "build" / "ep" / "chapters.json").read_text())["chapters"]
    assert [(c["startTime"], c["title"]) for c in chapters] == [(0.0, "Début"), (6.0, "Suite du sujet")]


@pytest.mark.parametrize(
    ("chapters", "message"),
    [
        ([("00:00:09", "Dans la coupe")], "'Dans la coupe' at 00:00:09 (episode.toml) falls inside a cut"),
        ([("00:00:06", "B"), ("00:00:02", "A")], "comes before the chapter above it"),
        ([("00:00:02", "A"), ("00:00:02", "B")], "start at the same time"),
        ([("00:01:00", "Trop loin")], "is beyond the end of the recording (00:00:20.000)"),
        ([("00:00:01", "x" * 256)], "title longer than 255 characters"),
        ([("demain", "Quand")], "not a time"),
    ],
)
def test_bad_chapters(project: Path, run: Run, episode: Path, chapters: list[tuple[str, str]], message: str) -> None:
    toml = episode / "episode.toml"
    text = toml.read_text().split("\n[[chapters]]")[0]
    text += "".join(f'\n[[chapters]]\nstart = "{start}"\ntitle = "{title}"\n' for start, title in chapters)
    toml.write_text(text)
    result = run("publish", "ep")
    assert result.exit_code == 1
    assert message in result.stderr


def save(image: Image.Image, path: Path, fmt: str) -> Path:
    image.save(path, fmt)
    return path


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("cmyk.jpg", lambda p: save(Image.new("CMYK", (1400, 1400), (0, 50, 100, 0)), p, "JPEG"), "colour mode CMYK"),
        ("wide.jpg", lambda p: save(Image.new("RGB", (2000, 1500), "teal"), p, "JPEG"), "is not square"),
        ("tiny.jpg", lambda p: save(Image.new("RGB", (300, 300), "teal"), p, "JPEG"), "must be between 1400"),
        ("png.jpg", lambda p: save(Image.new("RGB", (1400, 1400), "teal"), p, "PNG"), "the file is PNG but named .jpg"),
        ("corrupt.jpg", lambda p: p.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg") and p, "not a readable image"),
    ],
)
def test_bad_artwork_is_refused_then_fixed(
    project: Path, run: Run, tmp_path: Path, name: str, make: Callable[[Path], object], message: str
) -> None:
    make(project / name)
    edit(project / "config.toml", 'artwork = "cover.jpg"', f'artwork = "{name}"')
    add_episode(project, "ep", make_tone(tmp_path / "r.wav", seconds=3))
    check = run("artwork", "check")
    assert check.exit_code == 1 and message in check.output
    result = run("publish", "ep")
    assert result.exit_code == 1
    assert message in result.stderr and "podcast artwork fix" in result.stderr
    fixed = run("artwork", "fix")
    if name == "corrupt.jpg":
        assert fixed.exit_code == 1 and "cannot be read" in fixed.stderr
        return
    assert fixed.exit_code == 0, fixed.output
    assert (project / f"{name}.orig").is_file()
    with Image.open(project / name) as image:
        assert image.format == "JPEG" and image.mode == "RGB"
        assert image.width == image.height and 1400 <= image.width <= 3000
    assert run("artwork", "check").exit_code == 0
    assert run("publish", "ep").exit_code == 0


def test_episode_artwork_overrides_the_show(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "r.wav", seconds=3), artwork='"ep.png"')
    Image.new("RGB", (1500, 1500), "orange").save(folder / "ep.png", "PNG")
    assert run("publish", "ep").exit_code == 0
    apic = ID3(project / "build" / "ep" / "ep.mp3").getall("APIC")[0]
    assert apic.mime == "image/png" and apic.data == (folder / "ep.png").read_bytes()


def test_transcript_becomes_lyrics(project: Path, run: Run, speech_wav: Path) -> None:
    add_episode(project, "ep", speech_wav)
    assert run("--set", "transcribe.enabled=true", "publish", "ep").exit_code == 0
    lyrics = ID3(project / "build" / "ep" / "ep.mp3").getall("USLT")[0].text
    assert lyrics == (project / "build" / "ep" / "transcript.txt").read_text().strip()
    assert "podcast" in lyrics.lower()
