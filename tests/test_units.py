"""Pure parts, tested without running anything: edit lists, tool-output parsers, writers."""

from __future__ import annotations

import itertools
import math
import threading
import urllib.request
from pathlib import Path

import pytest

from podcast import edits, ffmpeg, ids, notes, storage, timecode, transcript
from podcast.errors import EpisodeError, MediaError, StorageError
from podcast.transcript import Segment, Word

EBUR128_STDERR = """\
[Parsed_ebur128_0 @ 0x55d0c8e0] t: 2.9  TARGET:-23 LUFS  M: -21.8 S:-120.7  I: -21.8 LUFS  LRA:   0.0 LU
size=N/A time=00:00:03.00 bitrate=N/A speed= 543x
video:0kB audio:258kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown
[Parsed_ebur128_0 @ 0x5643c0340dc0] Summary:

  Integrated loudness:
    I:         -21.8 LUFS
    Threshold: -31.8 LUFS

  Loudness range:
    LRA:        20.0 LU
    Threshold: -41.8 LUFS
    LRA low:   -41.8 LUFS
    LRA high:  -21.8 LUFS

  True peak:
    Peak:      -18.1 dBFS
"""

SILENT_STDERR = """\
[Parsed_ebur128_0 @ 0x1] Summary:

  Integrated loudness:
    I:         -70.0 LUFS
    Threshold:   0.0 LUFS

  Loudness range:
    LRA:         0.0 LU
    Threshold:   0.0 LUFS
    LRA low:     0.0 LUFS
    LRA high:    0.0 LUFS

  True peak:
    Peak:       -inf dBFS
"""


def test_parse_ebur128_summary() -> None:
    loud = ffmpeg.parse_ebur128(EBUR128_STDERR)
    assert (loud.integrated, loud.lra, loud.true_peak) == (-21.8, 20.0, -18.1)
    assert not loud.silent
    silent = ffmpeg.parse_ebur128(SILENT_STDERR)
    assert silent.silent and silent.true_peak == -math.inf
    assert silent.as_dict()["true_peak_dbtp"] is None
    with pytest.raises(MediaError):
        ffmpeg.parse_ebur128("no summary here")


def test_parse_probe() -> None:
    text = (
        '{"streams": [{"codec_name": "pcm_s16le", "sample_rate": "48000", "channels": 2, "duration": "12.5"}],'
        ' "format": {"format_name": "wav", "duration": "12.5", "bit_rate": "1536000"}}'
    )
    probe = ffmpeg.parse_probe(text)
    assert (probe.duration, probe.channels, probe.sample_rate, probe.codec) == (12.5, 2, 48000, "pcm_s16le")
    with pytest.raises(MediaError, match="not an audio file"):
        ffmpeg.parse_probe('{"streams": [], "format": {"format_name": "png_pipe"}}')
    with pytest.raises(MediaError, match="no duration"):
        ffmpeg.parse_probe('{"streams": [{"codec_name": "mp3"}], "format": {}}')


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90.0), ("1500.5", 1500.5), ("01:30", 90.0), ("00:12:03.5", 723.5), ("1:00:00", 3600.0)]
)
def test_parse_time(text: str, seconds: float) -> None:
    assert timecode.parse(text) == seconds


@pytest.mark.parametrize("text", ["", "1:75", "abc", "1:2:3:4", "-5"])
def test_parse_time_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        timecode.parse(text)


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
    import json

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


def test_notes_are_sanitised() -> None:
    html = notes.to_html(
        "# Titre\n\n**gras** <script>alert(1)</script> [lien](https://a.org) "
        '<a href="javascript:alert(1)" onclick="x()">x</a> <img src=x onerror=alert(1)>'
    )
    assert "<strong>gras</strong>" in html and 'href="https://a.org"' in html
    for bad in ("<script", "alert(1)", "onclick", "javascript:", "<img", "onerror", "<h1"):
        assert bad not in html


def test_storage_keys_cannot_escape() -> None:
    for key in ("../x", "a/../../b", "/etc/passwd", "a//b", ".hidden", "a/.."):
        with pytest.raises(StorageError):
            ids.check_key(key)
    assert ids.check_key("episodes/ep-1/ep-1-abc.mp3")
    assert storage.content_type("x.mp3") == "audio/mpeg"
    assert storage.content_type("x.vtt") == "text/vtt"
    assert storage.content_type("feed.xml") == "application/rss+xml"


def test_serve_answers_range_requests(tmp_path: Path) -> None:
    from podcast.serve import make_server

    (tmp_path / "a.mp3").write_bytes(bytes(range(256)) * 4)
    server = make_server(tmp_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/a.mp3"
        with urllib.request.urlopen(url) as whole:
            assert whole.headers["Content-Type"] == "audio/mpeg"
            assert whole.headers["Accept-Ranges"] == "bytes"
            assert len(whole.read()) == 1024
        request = urllib.request.Request(url, headers={"Range": "bytes=10-19"})
        with urllib.request.urlopen(request) as part:
            assert part.status == 206
            assert part.headers["Content-Range"] == "bytes 10-19/1024"
            assert part.read() == bytes(range(10, 20))
        request = urllib.request.Request(url, headers={"Range": "bytes=-4"})
        with urllib.request.urlopen(request) as tail:
            assert tail.read() == bytes(range(252, 256))
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/../../etc/passwd")
        assert err.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


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
