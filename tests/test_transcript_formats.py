"""Transcript writers, caption cues and the guards against Whisper's failures (pure)."""

from __future__ import annotations

import itertools
import json

from podcast.domain import transcript
from podcast.domain.transcript import Segment, Word

SEGMENTS = [
    Segment(0.5, 3.25, "Bonjour & bienvenue <à tous>", speaker="Hôte"),
    Segment(3.5, 5.0, "Merci."),
    Segment(9.0, 10.0, "Une nouvelle idée."),
]


def test_vtt_writer() -> None:
    assert transcript.to_vtt(SEGMENTS) == (
        "WEBVTT\n\n1\n00:00:00.500 --> 00:00:03.250\n<v Hôte>Bonjour &amp; bienvenue &lt;à tous&gt;\n\n"
        "2\n00:00:03.500 --> 00:00:05.000\nMerci.\n\n3\n00:00:09.000 --> 00:00:10.000\nUne nouvelle idée.\n"
    )


def test_srt_json_txt_writers() -> None:
    srt = transcript.to_srt(SEGMENTS)
    assert srt.startswith("1\n00:00:00,500 --> 00:00:03,250\nHôte: Bonjour & bienvenue <à tous>\n")
    data = json.loads(transcript.to_json(SEGMENTS))
    assert data["version"] == "1.0.0"
    assert data["segments"][0] == {
        "speaker": "Hôte",
        "startTime": 0.5,
        "endTime": 3.25,
        "body": "Bonjour & bienvenue <à tous>",
    }
    assert transcript.to_txt(SEGMENTS) == "Hôte : Bonjour & bienvenue <à tous>\n\nMerci.\n\nUne nouvelle idée.\n"


def test_long_lines_are_wrapped_at_65() -> None:
    lines = transcript.wrap("mot " * 60)
    assert all(len(line) <= 65 for line in lines) and len(lines) > 1


def test_guards_drop_hallucinations_and_loops_and_apply_corrections() -> None:
    segs = [
        Segment(0, 1, "On parle d'ATD car monde."),
        Segment(1, 2, "Sous-titres réalisés par la communauté d'Amara.org"),
        Segment(2, 3, "Merci."),
        Segment(3, 4, "Merci."),
        Segment(4, 5, "Merci."),
        Segment(5, 6, "Merci."),
    ]
    kept, dropped = transcript.clean(segs, {"ATD car monde": "ATD Quart Monde"})
    assert [s.text for s in kept] == ["On parle d'ATD Quart Monde.", "Merci.", "Merci."]
    assert len(dropped) == 3


def spoken(text: str, start: float = 0.0) -> Segment:
    """A segment whose words last 0.3 s each, 0.05 s apart."""
    words = [
        Word(round(start + i * 0.35, 2), round(start + i * 0.35 + 0.3, 2), f" {w}") for i, w in enumerate(text.split())
    ]
    return Segment(start, words[-1].end, text, words, speaker="Hôte")


def test_long_segments_are_cut_into_caption_cues() -> None:
    seg = spoken("Oui. Bonjour à tous et bienvenue. Aujourd'hui nous recevons Isabelle mais d'abord")
    seg.words += spoken("une question", start=seg.end + 1.0).words  # after a 1 s pause
    seg.end = seg.words[-1].end
    cues = transcript.split_cues([seg])
    assert [c.text for c in cues] == [
        "Oui. Bonjour à tous et bienvenue.",  # "Oui." alone is too short to be a cue
        "Aujourd'hui nous recevons Isabelle mais d'abord",  # cut at the pause
        "une question",
    ]
    assert [(c.start, c.end) for c in cues] == [(0.0, 2.05), (2.1, 4.15), (5.15, 5.8)]
    assert all(c.speaker == "Hôte" for c in cues)


def test_cues_stay_within_two_lines_and_seven_seconds() -> None:
    clause = "les territoires zéro chômeur de longue durée partent des compétences de chacun,"
    seg = spoken(" ".join([clause] * 6))
    cues = transcript.split_cues([seg])
    assert " ".join(c.text for c in cues) == seg.text  # no word lost or repeated
    assert all(len(c.text) <= 2 * transcript.MAX_LINE and c.end - c.start <= 7.0 for c in cues)
    assert all(c.text.endswith(",") for c in cues[:-1])  # cut after a comma, not mid-clause
    assert all(b.start >= a.end for a, b in itertools.pairwise(cues))


def test_cue_text_keeps_elisions_whole() -> None:
    words = [Word(0.0, 0.3, " Aujourd"), Word(0.3, 0.5, "'hui,"), Word(0.5, 0.8, " s"), Word(0.8, 1.0, "'agit-il")]
    cues = transcript.split_cues([Segment(0.0, 1.0, "", words)])
    assert [c.text for c in cues] == ["Aujourd'hui, s'agit-il"]


def test_segments_without_words_are_kept_whole() -> None:
    assert transcript.split_cues(SEGMENTS) == SEGMENTS
