"""Parsers of ffmpeg's and ffprobe's output, tested on text recorded from real runs
(tests/golden/ffmpeg/), without running anything."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from podcast.core.errors import MediaError
from podcast.edges import ffmpeg

GOLDEN = Path(__file__).parent / "golden" / "ffmpeg"

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
    ("name", "expected"),
    [
        ("ebur128-speech.txt", (-22.5, 0.0, -2.7)),
        ("ebur128-silence.txt", (-70.0, 0.0, -math.inf)),
    ],
)
def test_ebur128_recorded(name: str, expected: tuple[float, float, float]) -> None:
    loud = ffmpeg.parse_ebur128((GOLDEN / name).read_text())
    assert (loud.integrated, loud.lra, loud.true_peak) == expected
    assert loud.silent == (name == "ebur128-silence.txt")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ffprobe-wav.json", (6.0, 2, 48000, "pcm_s16le", "wav")),
        ("ffprobe-mp3.json", (6.024, 2, 48000, "mp3", "mp3")),
    ],
)
def test_ffprobe_recorded(name: str, expected: tuple[float, int, int, str, str]) -> None:
    probe = ffmpeg.parse_probe((GOLDEN / name).read_text())
    assert (probe.duration, probe.channels, probe.sample_rate, probe.codec, probe.format) == expected


def test_ffprobe_of_an_image_is_not_audio() -> None:
    with pytest.raises(MediaError, match="no audio stream"):
        ffmpeg.parse_probe((GOLDEN / "ffprobe-image.json").read_text())
