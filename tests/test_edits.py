"""The edit decision list: cuts, trims, pauses, jingles, and the two timelines."""

from __future__ import annotations

import pytest

from podcast.core.errors import EpisodeError
from podcast.domain import edits


def test_edit_list_maps_times_through_cuts() -> None:
    edl = edits.build(("00:00:10-00:00:12", "30-35"), 60.0, crossfade=0.01)
    assert [(s.src_start, s.src_end) for s in edl.kept] == [(0, 10), (12, 30), (35, 60)]
    assert edl.duration == pytest.approx(60 - 2 - 5 - 0.02)
    assert edl.to_output(5) == 5
    assert edl.to_output(12) == pytest.approx(9.99)
    assert edl.to_output(40) == pytest.approx(40 - 7 - 0.02)
    with pytest.raises(ValueError, match="inside a cut"):
        edl.to_output(31)
    text = "\n".join(edl.describe())
    assert "cut    00:00:10.000 → 00:00:12.000 (source, 2.000 s removed)  splice at 00:00:09.990 (output)" in text
    assert "output: 00:00:52.980" in text


@pytest.mark.parametrize(
    ("cuts", "message"),
    [
        (("10-5",), "the end is not after the start"),
        (("5-10", "8-12"), "overlap"),
        (("50-70",), "goes past the end of the recording"),
        (("0-60",), "remove the whole recording"),
        (("nonsense",), "expected START-END"),
    ],
)
def test_bad_cuts(cuts: tuple[str, ...], message: str) -> None:
    with pytest.raises(EpisodeError, match=message):
        edits.build(cuts, 60.0)


def test_cut_at_the_start_is_a_trim() -> None:
    edl = edits.build(("0-2",), 10.0)
    assert edl.kept[0].src_start == 2 and edl.kept[0].out_start == 0
    assert "at an end" in "\n".join(edl.describe())


def test_silence_cuts_trim_ends_and_shorten_pauses() -> None:
    silences = [(0.0, 2.0), (10.0, 10.4), (20.0, 26.0), (55.0, 60.0)]
    cuts = edits.silence_cuts(silences, 60.0, trim=True, pause_max=2.0, pause_target=1.0)
    assert cuts == [
        edits.Cut(0.0, 1.75, "trim"),
        edits.Cut(20.5, 25.5, "pause"),
        edits.Cut(55.25, 60.0, "trim"),
    ]
    assert edits.silence_cuts(silences, 60.0, trim=False, pause_max=0, pause_target=1) == []


def test_producer_cuts_win_over_automatic_ones() -> None:
    auto = [edits.Cut(0.0, 1.75, "trim"), edits.Cut(20.5, 25.5, "pause")]
    edl = edits.build(("00:00:24-00:00:30",), 60.0, auto_cuts=auto)
    assert [(c.start, c.end, c.kind) for c in edl.cuts] == [(0.0, 1.75, "trim"), (24.0, 30.0, "cut")]
    text = "\n".join(edl.describe())
    assert "trim   00:00:00.000 → 00:00:01.750 (source, 1.750 s removed)  at an end" in text


def test_jingles_shift_the_timeline() -> None:
    intro = edits.Jingle("intro.wav", 5.0, 1.0)
    outro = edits.Jingle("outro.wav", 4.0, 0.5)
    edl = edits.build((), 30.0, intro=intro, outro=outro)
    assert edl.offset == 4.0
    assert edl.to_output(0) == 4.0 and edl.to_output(10) == 14.0
    assert edl.duration == pytest.approx(4.0 + 30.0 + 3.5)
    text = "\n".join(edl.describe())
    assert "intro  intro.wav: 00:00:00.000 → 00:00:05.000 (output), 1 s overlap with the speech" in text
    assert "outro  outro.wav: 00:00:33.500 → 00:00:37.500 (output)" in text
    with pytest.raises(EpisodeError, match="overlap is longer"):
        edits.build((), 30.0, intro=edits.Jingle("short.wav", 0.5, 1.0))
