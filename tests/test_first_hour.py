"""The first hour of a new producer (#23): `init` hears piped answers and asks for the host, the
project ignores what git should not hold, each first command says what to do next, nothing
published goes without a word (unpublish asks, prune lists every superseded file with its
date), episodes made in the same minute keep their order, and a quote's clip is the clip's."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from PIL import Image

from podcast.cli import cli
from podcast.workflows import scaffold

from .conftest import Run, add_episode, edit, ffmpeg, make_speech, make_tone

ON = ("--set", "transcribe.enabled=true")


def test_init_takes_piped_answers_and_names_the_host(tmp_path: Path) -> None:
    root = tmp_path / "paroles"
    answers = "Paroles solidaires\nAssociation Paroles\ncontact@paroles.example.org\nKarim Benali\n"
    result = CliRunner().invoke(cli, ["init", str(root)], input=answers)
    assert result.exit_code == 0, result.output + result.stderr
    config = (root / "config.toml").read_text()
    assert 'title = "Paroles solidaires"' in config and 'email = "contact@paroles.example.org"' in config
    assert '[[show.hosts]]\nname = "Karim Benali"\nrole = "host"' in config
    assert result.output.strip().splitlines()[-1].startswith(f"next: cd {root} && podcast new SLUG")

    ended = CliRunner().invoke(cli, ["init", str(tmp_path / "b")], input="Titre seul\n")  # input ends early
    assert ended.exit_code == 0 and 'title = "Titre seul"' in (tmp_path / "b" / "config.toml").read_text()
    nothing = CliRunner().invoke(cli, ["init", str(tmp_path / "c")], input="")
    assert nothing.exit_code == 0 and "no answer for the title" in nothing.stderr


def test_the_gitignore_keeps_recordings_and_build_outputs_out(tmp_path: Path) -> None:
    root = tmp_path / "show"
    assert CliRunner().invoke(cli, ["init", str(root), "--no-input", "--title", "T"]).exit_code == 0
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    ignored = [
        "episodes/2024-05-atd/recording.wav",
        "episodes/2024-05-atd/interview.FLAC".lower(),
        "episodes/2024-05-atd/partie-2.aiff",
        "episodes/2024-05-atd/zoom.m4a",
        "episodes/imported/episode-12.mp3",
        "build/2024-05-atd/audio.mp3",
        "build/feed.xml",
        "public/feed.xml",
        "episodes/2024-05-atd/.episode.toml.x1y2.part.toml",
    ]
    kept = [
        "config.toml",
        "imported-feed.toml",
        "artwork/cover.jpg",
        "episodes/2024-05-atd/episode.toml",
        "episodes/2024-05-atd/notes.md",
        "episodes/2024-05-atd/transcript.vtt",
        "episodes/2024-05-atd/labels.txt",
        ".gitignore",
    ]
    check = subprocess.run(
        ["git", "-C", str(root), "check-ignore", "--no-index", *ignored, *kept], capture_output=True, text=True
    )
    assert sorted(check.stdout.split()) == sorted(ignored)
    assert all(pattern in (root / ".gitignore").read_text() for pattern in scaffold.AUDIO_PATTERNS)


def test_each_first_command_ends_with_the_next_step(project: Path, run: Run, tmp_path: Path) -> None:
    made = run("new", "ep", "--title", "Premier", "--source", str(make_tone(tmp_path / "a.wav", seconds=2)))
    assert made.output.strip().splitlines()[-1] == (
        "next: edit episode.toml and notes.md (guests, chapters, cuts), check with `podcast publish ep --dry-run`, "
        "then `podcast publish ep`"
    )
    empty = run("new", "sans-son", "--title", "Sans son")
    assert "next: put the recording in" in empty.output
    dry = run("publish", "ep", "--dry-run")
    assert dry.output.strip().splitlines()[-1] == "next: `podcast publish ep` does it"
    done = run("publish", "ep")
    assert done.exit_code == 0
    assert done.output.strip().splitlines()[-1].startswith("next: `podcast serve`, then open http://127.0.0.1:8000/")
    failed = run("publish", "--all")  # sans-son has no recording: skipped, the rest is up to date
    assert failed.output.strip().splitlines()[-1].startswith("next:")
    demo = run("demo")  # in a project made by init: the demo episode is written first
    assert demo.exit_code == 0, demo.output + demo.stderr
    assert demo.output.strip().splitlines()[-1].startswith("next: `podcast serve`, then open ")
    assert 'cuts = ["00:00:27-00:00:28"]' in (project / "episodes" / "demo" / "episode.toml").read_text()


def test_episodes_made_the_same_minute_keep_their_order(project: Path, run: Run, tmp_path: Path) -> None:
    tone = make_tone(tmp_path / "a.wav", seconds=2)
    for slug in ("un", "deux", "trois"):
        assert run("new", slug, "--title", slug.title(), "--source", str(tone)).exit_code == 0
    assert run("publish", "--all").exit_code == 0
    items = etree.parse(str(project / "public" / "feed.xml")).findall("channel/item")
    dates = [item.findtext("pubDate") for item in items]
    assert len(set(dates)) == 3, dates  # each its own pubDate...
    assert [item.findtext("title") for item in items] == ["Trois", "Deux", "Un"]  # ...newest first


def test_a_new_date_after_others_in_the_same_minute() -> None:
    from zoneinfo import ZoneInfo

    class Show:  # what _date reads of the config
        tz = ZoneInfo("Europe/Paris")

    now = dt.datetime(2024, 5, 14, 10, 0, 12, tzinfo=ZoneInfo("Europe/Paris"))
    config = Show()
    assert scaffold._date(config, [], now) == dt.datetime(2024, 5, 14, 10, 0)  # type: ignore[arg-type]
    taken = [dt.datetime(2024, 5, 14, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))]
    assert scaffold._date(config, taken, now) == dt.datetime(2024, 5, 14, 10, 0, 12)  # type: ignore[arg-type]
    same_second = [dt.datetime(2024, 5, 14, 8, 0, 12, tzinfo=dt.UTC)]  # 10:00:12 in Paris
    assert scaffold._date(config, same_second, now) == dt.datetime(2024, 5, 14, 10, 0, 13)  # type: ignore[arg-type]
    scheduled = [dt.datetime(2024, 6, 1, 8, 0, tzinfo=ZoneInfo("Europe/Paris"))]  # a later episode, waiting
    assert scaffold._date(config, scheduled, now) == dt.datetime(2024, 5, 14, 10, 0)  # type: ignore[arg-type]


def test_unpublish_asks_and_status_shows_it_withdrawn(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    assert run("publish", "ep").exit_code == 0
    before = sorted(p.name for p in (project / "public" / "episodes" / "ep").iterdir())
    invoke = lambda *args, text="": CliRunner().invoke(cli, ["--project", str(project), *args], input=text)  # noqa: E731
    refused = invoke("unpublish", "ep")  # no terminal, no answer: nothing happens
    assert refused.exit_code == 1 and "--yes" in refused.stderr and "would remove ep from the feed" in refused.output
    assert sorted(p.name for p in (project / "public" / "episodes" / "ep").iterdir()) == before
    said_no = invoke("unpublish", "ep", text="n\n")
    assert said_no.exit_code == 1 and (project / "public" / "episodes" / "ep").is_dir()
    said_yes = invoke("unpublish", "ep", text="o\n")
    assert said_yes.exit_code == 0, said_yes.output + said_yes.stderr
    assert "deleted episodes/ep/" in said_yes.output
    assert etree.parse(str(project / "public" / "feed.xml")).find("channel/item") is None
    assert "`podcast publish ep` brings it back" in said_yes.output
    assert "withdrawn (podcast unpublish)" in run("status").output


def test_prune_lists_every_superseded_file_with_its_date(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2), title="Premier")
    assert run("publish", "ep").exit_code == 0
    for title in ("Deuxième", "Troisième"):  # each re-tag supersedes the published MP3
        edit(folder / "episode.toml", 'title = "', f'title = "{title} ')
        assert run("publish", "ep").exit_code == 0
    assert "superseded published files: 2" in run("status").output
    listed = run("prune")
    assert listed.exit_code == 0 and "2 superseded file(s)" in listed.output, listed.output
    assert listed.output.count("deletable from ") == 2 and "nothing to prune" not in listed.output


@pytest.fixture
def clip_episode(project: Path, run: Run, tmp_path: Path) -> Path:
    speech = make_speech(
        tmp_path / "s.wav", "Bienvenue dans notre podcast. Nous parlons de la pauvreté en France avec nos invités."
    )
    longer = tmp_path / "long.wav"
    ffmpeg("-i", str(speech), "-i", str(speech), "-filter_complex", "[0:a][1:a]concat=n=2:v=0:a=1", str(longer))
    folder = add_episode(project, "ep", longer)
    (folder / "notes.md").write_text("00:00:00 Début\n00:00:05 Suite\n00:00:09 Fin\n", encoding="utf-8")
    result = run(*ON, "publish", "ep")
    assert result.exit_code == 0, result.output + result.stderr
    return project / "build" / "ep"


def probe(path: Path, *entries: str) -> dict[str, object]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", *entries, "-of", "json", str(path)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(out.stdout))


def test_a_quote_clip_is_the_clips_own(clip_episode: Path, run: Run, tmp_path: Path) -> None:
    assert len(probe(clip_episode / "ep.mp3", "-show_chapters")["chapters"]) == 3  # type: ignore[arg-type]
    result = run("quote", "ep", "--at", "00:00:01", "--duration", "4", "--clip")
    assert result.exit_code == 0, result.output + result.stderr
    mp3, mp4 = clip_episode / "clips" / "clip-1-4.mp3", clip_episode / "clips" / "clip-1-4.mp4"
    assert probe(mp3, "-show_chapters")["chapters"] == []  # the episode's chapters are not the clip's
    found = probe(mp4, "-show_chapters", "-show_streams", "-show_format")
    assert found["chapters"] == []
    assert sorted(s["codec_type"] for s in found["streams"]) == ["audio", "video"]  # type: ignore[attr-defined,union-attr]
    assert 3.8 < float(found["format"]["duration"]) < 4.3  # type: ignore[index]

    frame = tmp_path / "frame.png"
    ffmpeg("-ss", "2", "-i", str(mp4), "-frames:v", "1", str(frame))
    pixels = Image.open(frame).convert("RGB")
    cover = (0x33, 0x66, 0x99)  # the test cover: one colour, so whatever is drawn over it shows
    width, height = pixels.size
    near = [
        (x, y)
        for y in range(0, height, 4)
        for x in range(0, width, 4)
        if all(abs(a - b) <= 24 for a, b in zip(pixels.getpixel((x, y)), cover, strict=True))  # type: ignore[arg-type]
    ]
    left, top = min(x for x, _ in near), min(y for _, y in near)
    right, bottom = max(x for x, _ in near), max(y for _, y in near)
    inside = [(x, y) for y in range(top, bottom + 1, 4) for x in range(left, right + 1, 4)]
    assert len(near) / len(inside) > 0.99, f"{len(inside) - len(near)} of {len(inside)} cover pixels drawn over"
    captions = [
        (x, y)
        for y in range(0, height * 3 // 4, 4)
        for x in range(0, width, 4)
        if not (left <= x <= right and top <= y <= bottom) and min(pixels.getpixel((x, y))) > 200  # type: ignore[arg-type]
    ]
    assert len(captions) > 200  # the words are there, beside the cover, not on it


ADVERT = (
    "Le plus important au poker ce ne sont pas les cartes, c'est ce que vous en faites. "
    "Winamax, la référence du poker en ligne"
)


@pytest.mark.slow
@pytest.mark.speech
def test_speech_over_music_keeps_its_words(project: Path, run: Run) -> None:
    """The French radio clip opens with an advert spoken over a jingle (30.5-38.6 s). Silero VAD
    scores such speech mostly under its default threshold (0.5): the advert lost most of its
    words ("La référence du poker", WER 0.84), in plain faster-whisper too (0.68)."""
    import sys

    from podcast.domain import transcript
    from podcast.edges import whisper
    from podcast.project.config import Transcribe

    from .conftest import SPEECH

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from speech import duration, wer

    clip = SPEECH / "fr_wt_radio_short.mp3"
    model = whisper.load(Transcribe())

    def advert_wer(words: list[tuple[float, str]]) -> float:
        errors, total = wer(ADVERT, " ".join(word for start, word in words if start < 41.0))
        return errors / total

    raw = list(whisper.transcribe(model, clip, duration(clip), Transcribe(), (), lambda t: None))
    words = [(w.start, w.word) for s in transcript.clean(raw, {})[0] for w in s.words]
    assert advert_wer(words) <= 0.4, " ".join(w for s, w in words if s < 41)  # batched; sequential: make bench
    add_episode(project, "radio", clip)
    assert run(*ON, "process", "radio").exit_code == 0
    assert run(*ON, "transcribe", "radio").exit_code == 0
    cues = json.loads((project / "build" / "radio" / "transcript.segments.json").read_text())
    published = [(w["start"], w["word"]) for c in cues for w in c["words"]]
    assert advert_wer(published) <= 0.5, " ".join(w for s, w in published if s < 41)
