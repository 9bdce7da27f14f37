"""The encoders `process` runs, as data: each one's options, the muxer of the file it writes and
of the stream its meter reads, and what it does to the level (measured here: see
benchmarks/rendition.py). The MP3 (or M4A) every app plays, and the lighter rendition."""

from __future__ import annotations

from pathlib import Path

from podcast.edges import ffmpeg
from podcast.project.config import Audio

# Level change through each encoder, measured here: libmp3lame lowers every signal (a 1 kHz sine
# as much as speech, at any bitrate) by 0.4 dB; ffmpeg's AAC encoder by nothing measurable. The
# level search aims this much above the target so the encoded file lands on it.
ENCODER_DROP_DB = {"mp3": 0.4, "m4a": 0.0}
# The lighter rendition's encoder: its level change (like ENCODER_DROP_DB), and how far under the
# main limiter its own sits (Opus and AAC at these bitrates overshoot the peaks they are given by
# 1-2 dB, LAME not at all).
LIGHT_DROP_DB = {"opus": 0.3, "aac": 0.0}
LIGHT_HEADROOM_DB = {"opus": 1.0, "aac": 1.5}
# Under 64 kb/s per channel ffmpeg's AAC encoder keeps more treble than it has bits for and
# overshoots the peaks by 2-3 dB; held to 12 kHz (most of speech), by 1.3-2.3 dB.
AAC_CUTOFF_HZ = 12000
OPUS_COMPLEXITY = 5


def codec_args(audio: Audio) -> list[str]:
    common = ["-ar", str(audio.sample_rate), "-ac", str(audio.channels), "-map_metadata", "-1"]
    if audio.format == "m4a":
        return ["-c:a", "aac", "-b:a", f"{audio.kbps}k", *common]
    return ["-c:a", "libmp3lame", "-b:a", f"{audio.kbps}k", *common]


def muxers(audio: Audio) -> tuple[str, tuple[str, str]]:
    """(options of the file written, (muxer, demuxer) of the stream measured through the pipe)."""
    if audio.format == "m4a":
        return "f=ipod:movflags=+faststart", ("adts", "aac")
    return "f=mp3:id3v2_version=0:write_xing=1", ("mp3", "mp3")


def encoding(audio: Audio, out: Path) -> ffmpeg.Encoding:
    """The main file, fed from the delivery graph's [out]."""
    file_muxer, pipe_format = muxers(audio)
    return ffmpeg.Encoding("out", codec_args(audio), file_muxer, pipe_format, out)


def light_codec_args(audio: Audio) -> list[str]:
    """The lighter rendition: Opus in Ogg (its graph branch resampled to 48 kHz, Opus's own
    rate), in the speech mode and at the complexity measured best for their cost (see
    benchmarks/rendition.py), or AAC in M4A."""
    common = ["-ac", str(audio.channels), "-map_metadata", "-1"]
    if audio.light == "opus":
        return [
            "-c:a",
            "libopus",
            "-b:a",
            f"{audio.light_kbps}k",
            "-vbr",
            "on",
            "-application",
            "voip",
            "-compression_level",
            str(OPUS_COMPLEXITY),
            *common,
        ]
    cutoff = ["-cutoff", str(AAC_CUTOFF_HZ)] if audio.light_kbps < 64 * audio.channels else []
    return ["-c:a", "aac", "-b:a", f"{audio.light_kbps}k", *cutoff, "-ar", str(audio.sample_rate), *common]


def light_encoding(audio: Audio, path: Path) -> ffmpeg.Encoding:
    """The lighter rendition, fed from the delivery graph's [light]."""
    if audio.light == "opus":
        return ffmpeg.Encoding("light", light_codec_args(audio), "f=ogg", ("ogg", "ogg"), path)
    return ffmpeg.Encoding("light", light_codec_args(audio), "f=ipod:movflags=+faststart", ("adts", "aac"), path)


def light_name(audio: Audio) -> str:
    return f"{'Opus (Ogg)' if audio.light == 'opus' else 'AAC (M4A)'} {audio.light_kbps} kb/s"
