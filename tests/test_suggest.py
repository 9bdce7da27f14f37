"""Suggested cuts: found in generated speech with a held "euh", a cough and a "heu" (the real
pipeline: process, Whisper, the sound analysis), applied only once accepted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from podcast.core.errors import EpisodeError
from podcast.domain import markers, suggestions
from podcast.domain.suggestions import Suggestion
from podcast.domain.transcript import Word
from podcast.workflows import suggest

from .conftest import Run, add_episode, edit
from .recordings import duration, hesitant

ON = ("--set", "transcribe.enabled=true")


def overlaps(item: Suggestion, span: tuple[float, float]) -> bool:
    return item.start < span[1] and item.end > span[0]


@pytest.fixture
def hesitating(project: Path, run: Run, tmp_path: Path) -> dict[str, tuple[float, float]]:
    source = tmp_path / "hesitant.wav"
    spans = hesitant(source, tmp_path)
    folder = add_episode(project, "ep", source)
    edit(folder / "episode.toml", "# trim_silence = false", "trim_silence = false")
    result = run(*ON, "process", "ep")
    assert result.exit_code == 0, result.output
    result = run(*ON, "transcribe", "ep")
    assert result.exit_code == 0, result.output
    return spans


def test_finds_the_euh_the_cough_and_the_heu(
    project: Path, run: Run, hesitating: dict[str, tuple[float, float]]
) -> None:
    result = run("suggest", "ep")
    assert result.exit_code == 0, result.output
    found = suggestions.from_json((project / "episodes" / "ep" / "suggestions.json").read_text())
    for name in ("euh", "cough", "heu"):
        assert any(overlaps(s, hesitating[name]) for s in found), (name, found)
    cough = next(s for s in found if overlaps(s, hesitating["cough"]))
    assert cough.kind == "cough"
    # Nothing suggested inside the sentences themselves.
    for name in ("met", "end"):
        start, end = hesitating[name]
        assert not any(s.start > start + 0.3 and s.end < end - 0.3 for s in found), (name, found)
    assert all(s.status == "pending" for s in found)
    assert len(found) <= 5


def test_nothing_is_cut_until_accepted_then_the_accepted_are(
    project: Path, run: Run, hesitating: dict[str, tuple[float, float]]
) -> None:
    audio = project / "build" / "ep" / "audio.mp3"
    before = duration(audio)
    assert run("suggest", "ep").exit_code == 0
    assert run(*ON, "publish", "ep").exit_code == 0
    assert duration(audio) == pytest.approx(before, abs=0.02)  # suggestions alone change nothing
    path = project / "episodes" / "ep" / "suggestions.json"
    found = suggestions.from_json(path.read_text())
    cough = next(s for s in found if overlaps(s, hesitating["cough"]))
    result = run("suggest", "ep", "--accept", str(cough.number))
    assert result.exit_code == 0 and "1 accepted" in result.output, result.output
    assert run(*ON, "publish", "ep").exit_code == 0
    assert duration(audio) == pytest.approx(before - (cough.end - cough.start), abs=0.05)
    edits = json.loads((project / "build" / "ep" / "edits.json").read_text())
    assert any(c["kind"] == "suggested" for c in edits["cuts"])
    # A new analysis keeps the decision and the numbers.
    result = run("suggest", "ep")
    assert result.exit_code == 0
    again = suggestions.from_json(path.read_text())
    assert any(s.number == cough.number and s.status == "accepted" for s in again)


def test_reject_and_labels(project: Path, run: Run, hesitating: dict[str, tuple[float, float]], tmp_path: Path) -> None:
    labels = tmp_path / "suggestions.txt"
    assert run("suggest", "ep", "--reject", "1", "--labels", str(labels)).exit_code == 0
    found = suggestions.from_json((project / "episodes" / "ep" / "suggestions.json").read_text())
    assert next(s for s in found if s.number == 1).status == "rejected"
    read = markers.read(labels)
    assert len(read) == len(found) - 1 and all(m.is_region for m in read)
    result = run("suggest", "ep", "--accept", "99")
    assert result.exit_code == 1 and "no suggestion numbered 99" in result.output


def test_needs_the_processed_speech(project: Path, run: Run, speech_wav: Path) -> None:
    add_episode(project, "ep", speech_wav)
    result = run("suggest", "ep")
    assert result.exit_code == 1 and "podcast process" in result.output and "Traceback" not in result.output


def words(text: str, step: float = 0.3) -> list[Word]:
    return [Word(i * step, i * step + step * 0.8, f" {w}", 0.9) for i, w in enumerate(text.split())]


def test_repeated_false_starts() -> None:
    found = suggest._repeats(words("on a on a commencé avec les les habitants nous nous sommes vus"))
    assert [(text, round(start, 2), round(end, 2)) for start, end, _, text in found] == [
        ("on a ×2", 0.0, 0.6),
        ("les ×2", 1.8, 2.1),
    ]


def test_merge_keeps_decisions_and_numbers() -> None:
    old = [Suggestion(1, 1.0, 1.5, "filler", "euh", "accepted"), Suggestion(2, 5.0, 6.0, "pause", "3 s", "rejected")]
    fresh = [Suggestion(1, 1.02, 1.51, "filler", "euh"), Suggestion(2, 8.0, 8.4, "cough", "0.2 s")]
    merged = suggestions.merge(old, fresh)
    assert [(s.number, s.status) for s in merged] == [(1, "accepted"), (3, "pending")]
    assert [n for r in suggestions.parse_numbers("1,3,5-7") or [] for n in r] == [1, 3, 5, 6, 7]
    assert suggestions.parse_numbers("all") is None
    with pytest.raises(EpisodeError):
        suggestions.parse_numbers("un")
    with pytest.raises(EpisodeError):
        suggestions.from_json('{"suggestions": [{"number": 1, "start": 2, "end": 1, "kind": "filler"}]}')
