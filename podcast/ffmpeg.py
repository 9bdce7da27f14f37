"""The one subprocess seam: the only module that starts ffmpeg, ffprobe or espeak-ng, all
through one launcher (`start`).

It finds each binary (with an install hint when missing), logs the exact command line
with `shlex.join` (shown by `-v`), captures stderr and raises our own errors. Parsers of
the tools' output are pure functions, tested on recorded text.
"""

from __future__ import annotations

import json
import logging
import math
import re
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import MediaError, ToolMissing

log = logging.getLogger("podcast.ffmpeg")

INSTALL_HINTS = {
    "ffmpeg": "install it with `sudo apt-get install ffmpeg` (Debian/Ubuntu) or `brew install ffmpeg` (macOS)",
    "ffprobe": "it comes with ffmpeg: `sudo apt-get install ffmpeg` or `brew install ffmpeg`",
    "espeak-ng": "install it with `sudo apt-get install espeak-ng` (only needed for the demo)",
}

ProgressCallback = Callable[[float], None]


def which(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolMissing(f"{tool} not found on PATH: {INSTALL_HINTS.get(tool, 'install it')}")
    return path


def start(cmd: list[str], *, stdin: Any = subprocess.DEVNULL, stderr: Any = subprocess.PIPE, text: bool = True) -> Any:
    """The one launcher: start `cmd` (its first item from `which`) with stdout piped; a failed
    start (a broken binary, too many processes) becomes our error."""
    options: dict[str, Any] = {"text": True, "encoding": "utf-8", "errors": "replace"} if text else {}
    try:
        return subprocess.Popen(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr, **options)
    except OSError as exc:
        raise MediaError(f"cannot start {Path(cmd[0]).name}: {exc.strerror or exc}") from None


def run(tool: str, args: Sequence[str], *, on_progress: ProgressCallback | None = None) -> str:
    """Run `tool args...`; return its stderr (where ffmpeg reports). Raise MediaError on failure.

    With `on_progress`, ffmpeg is asked for `-progress pipe:1` and the callback receives the
    output position in seconds as it advances.
    """
    cmd = [which(tool), *args]
    if on_progress is not None:
        cmd[1:1] = ["-progress", "pipe:1", "-nostats"]
    log.info("$ %s", shlex.join(cmd))
    proc = start(cmd)
    started = time.perf_counter()
    stdout, stderr = _communicate(proc, on_progress)
    log.debug("  (%s took %.1f s)", tool, time.perf_counter() - started)
    if proc.returncode != 0:
        raise MediaError(f"{tool} failed: {last_error_line(stderr)}")
    return stderr if tool != "ffprobe" else stdout


def _communicate(proc: Any, on_progress: ProgressCallback | None) -> tuple[Any, Any]:
    """Collect the output; on Ctrl-C or any error, stop the child before re-raising."""
    try:
        if on_progress is None or proc.stdout is None:
            return proc.communicate()
        return _follow_progress(proc, on_progress)
    except BaseException:
        proc.kill()
        proc.wait()
        raise


def _follow_progress(proc: subprocess.Popen[str], on_progress: ProgressCallback) -> tuple[str, str]:
    # Drain stderr in a thread so a chatty ffmpeg never blocks on a full pipe.
    import threading

    assert proc.stdout is not None and proc.stderr is not None
    stderr = proc.stderr
    chunks: list[str] = []
    reader = threading.Thread(target=lambda: chunks.append(stderr.read()), daemon=True)
    reader.start()
    for line in proc.stdout:
        if line.startswith("out_time_us="):
            value = line.partition("=")[2].strip()
            if value.lstrip("-").isdigit():
                on_progress(max(0, int(value)) / 1e6)
    proc.wait()
    reader.join()
    return "", "".join(chunks)


def last_error_line(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for line in reversed(lines):
        if not line.startswith(("Press [q]", "video:", "size=")):
            return line[:300]
    return "no error message"


# ---------------------------------------------------------------------------------------
# ffprobe


@dataclass(frozen=True)
class Probe:
    duration: float
    channels: int
    sample_rate: int
    codec: str
    format: str
    bit_rate: int


def probe(path: Path) -> Probe:
    out = run(
        "ffprobe",
        ["-v", "error", "-print_format", "json", "-show_format", "-show_streams", "-select_streams", "a", str(path)],
    )
    try:
        return parse_probe(out)
    except MediaError as exc:
        raise MediaError(f"{path.name}: {exc}") from None


def parse_probe(text: str) -> Probe:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        raise MediaError("ffprobe gave unreadable output") from None
    streams = data.get("streams") or []
    if not streams:
        raise MediaError("not an audio file (no audio stream found)")
    stream = streams[0]
    fmt = data.get("format") or {}
    duration = _float(stream.get("duration")) or _float(fmt.get("duration"))
    if not duration or duration <= 0:
        raise MediaError("audio has no duration (empty or truncated file?)")
    return Probe(
        duration=duration,
        channels=int(stream.get("channels") or 0),
        sample_rate=int(stream.get("sample_rate") or 0),
        codec=str(stream.get("codec_name") or ""),
        format=str(fmt.get("format_name") or ""),
        bit_rate=int(_float(fmt.get("bit_rate")) or 0),
    )


def _float(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# ---------------------------------------------------------------------------------------
# Loudness (EBU R128 through the ebur128 filter)


@dataclass(frozen=True)
class Loudness:
    integrated: float  # LUFS; -70.0 (ebur128's floor) means silence
    lra: float  # LU
    true_peak: float  # dBTP; -inf for digital silence

    @property
    def silent(self) -> bool:
        return self.integrated <= -69.9

    def as_dict(self) -> dict[str, float | None]:
        return {
            "integrated_lufs": round(self.integrated, 2),
            "lra_lu": round(self.lra, 2),
            "true_peak_dbtp": round(self.true_peak, 2) if math.isfinite(self.true_peak) else None,
        }


EBUR128_FILTER = "ebur128=peak=true:framelog=verbose"
EBUR128_FAST = "ebur128=framelog=verbose"  # no true-peak oversampling: 4x cheaper

_SUMMARY_RE = re.compile(
    r"Summary:.*?Integrated loudness:\s*I:\s*(?P<i>-?[\d.]+|-inf|nan)\s*LUFS"
    r".*?Loudness range:\s*LRA:\s*(?P<lra>-?[\d.]+|nan)\s*LU"
    r"(?:.*?True peak:\s*Peak:\s*(?P<tp>-?[\d.]+|-inf|nan)\s*dBFS)?",
    re.S,
)


def parse_ebur128(stderr: str) -> Loudness:
    """Read the summary the ebur128 filter prints at the end of a run."""
    matches = list(_SUMMARY_RE.finditer(stderr))
    match = matches[-1] if matches else None  # the last summary is the final one
    if match is None:
        raise MediaError("could not read the loudness measurement from ffmpeg's output")

    def num(name: str) -> float:
        text = match.group(name) if match else None
        if text is None or text == "nan":
            return -math.inf
        return float(text)

    return Loudness(integrated=num("i"), lra=max(0.0, num("lra")), true_peak=num("tp"))


def measure(path: Path, *, on_progress: ProgressCallback | None = None) -> Loudness:
    """Measure a finished file, the way a listener's player would decode it."""
    stderr = run(
        "ffmpeg",
        ["-hide_banner", "-nostdin", "-i", str(path), "-map", "0:a:0", "-af", EBUR128_FILTER, "-f", "null", "-"],
        on_progress=on_progress,
    )
    return parse_ebur128(stderr)


Input = Path | tuple[Path, Sequence[str]]  # a file, or a file with input options (-stream_loop -1)


def _input_args(inputs: Sequence[Input]) -> list[str]:
    args: list[str] = []
    for item in inputs:
        path, options = (item, ()) if isinstance(item, Path) else item
        args += [*options, "-i", str(path)]
    return args


def render(
    inputs: Sequence[Input],
    filter_complex: str,
    output: Path | str,
    output_args: Sequence[str],
    *,
    on_progress: ProgressCallback | None = None,
) -> str:
    """Run one filter graph (whose output pad is [out]) from `inputs` to `output`; returns stderr."""
    args = ["-hide_banner", "-nostdin", "-y", *_input_args(inputs)]
    args += ["-filter_complex", filter_complex, "-map", "[out]", *output_args, str(output)]
    return run("ffmpeg", args, on_progress=on_progress)


def encode_and_measure(
    inputs: Sequence[Input],
    filter_complex: str,
    output: Path,
    codec_args: Sequence[str],
    file_muxer: str,
    pipe_format: tuple[str, str],
    *,
    on_progress: ProgressCallback | None = None,
) -> Loudness:
    """Encode to `output` and, concurrently on the other core, measure the very same encoded
    packets: ffmpeg's tee muxer writes them to the file (`file_muxer`: slave options such as
    "f=mp3:id3v2_version=0") and to a pipe (`pipe_format`: a streamable muxer and the name of
    its demuxer) read by a
    second ffmpeg running ebur128. Saves a full decode pass of the delivered file."""
    encoder_cmd = [
        which("ffmpeg"),
        "-hide_banner",
        "-nostdin",
        "-y",
        *_input_args(inputs),
        "-filter_complex",
        filter_complex,
        "-map",
        "[out]",
        *codec_args,
        "-f",
        "tee",
        f"[{file_muxer}]{_tee_escape(output)}|[f={pipe_format[0]}]pipe:1",
    ]
    meter_cmd = [
        which("ffmpeg"),
        "-hide_banner",
        "-nostdin",
        "-f",
        pipe_format[1],
        "-i",
        "pipe:0",
        "-af",
        EBUR128_FILTER,
        "-f",
        "null",
        "-",
    ]
    if on_progress is not None:
        meter_cmd[1:1] = ["-progress", "pipe:1", "-nostats"]
    log.info("$ %s | %s", shlex.join(encoder_cmd), shlex.join(meter_cmd))
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as encoder_err:
        encoder = start(encoder_cmd, stderr=encoder_err, text=False)
        try:
            meter = start(meter_cmd, stdin=encoder.stdout)
        except BaseException:
            encoder.kill()
            encoder.wait()
            raise
        assert encoder.stdout is not None
        encoder.stdout.close()  # the meter owns the read end now
        try:
            _, meter_err = _communicate(meter, on_progress)
            encoder.wait()
        except BaseException:
            encoder.kill()
            encoder.wait()
            raise
        encoder_err.seek(0)
        if encoder.returncode != 0:
            raise MediaError(f"ffmpeg failed: {last_error_line(encoder_err.read())}")
    if meter.returncode != 0:
        raise MediaError(f"ffmpeg failed measuring the encoded audio: {last_error_line(meter_err)}")
    return parse_ebur128(meter_err)


def _tee_escape(path: Path) -> str:
    return re.sub(r"([\\|\[\]:])", r"\\\1", str(path))


_SILENCE_START = re.compile(r"silence_start: (-?[\d.]+)")
_SILENCE_END = re.compile(r"silence_end: (-?[\d.]+)")


def parse_silencedetect(stderr: str, duration: float) -> list[tuple[float, float]]:
    """(start, end) of each silence; a silence still open at the end closes at `duration`."""
    found: list[tuple[float, float]] = []
    start: float | None = None
    for line in stderr.splitlines():
        if match := _SILENCE_START.search(line):
            start = max(0.0, float(match.group(1)))
        elif (match := _SILENCE_END.search(line)) and start is not None:
            found.append((start, min(duration, float(match.group(1)))))
            start = None
    if start is not None and start < duration:
        found.append((start, duration))
    return found


def generate(args: Sequence[str], output: Path) -> None:
    """Run ffmpeg with free-form arguments (lavfi sources for the demo and tests)."""
    run("ffmpeg", ["-hide_banner", "-nostdin", "-y", *args, str(output)])


def _pcm_command(path: Path, channels: int, rate: int, sample_format: str, seek: Sequence[str] = ()) -> list[str]:
    """ffmpeg decoding the first audio stream of `path` to raw PCM on stdout."""
    return [
        which("ffmpeg"),
        "-hide_banner",
        "-nostdin",
        "-v",
        "error",
        *seek,
        "-i",
        str(path),
        "-map",
        "0:a:0",
        "-ac",
        str(channels),
        "-ar",
        str(rate),
        "-f",
        sample_format,
        "-",
    ]


def decode_pcm(path: Path, offset: float, duration: float, rate: int = 16000) -> bytes:
    """`duration` seconds of `path` from `offset`, as mono float32 PCM at `rate` Hz (for Whisper)."""
    cmd = _pcm_command(path, 1, rate, "f32le", ["-ss", f"{offset:.3f}", "-t", f"{duration:.3f}"])
    log.info("$ %s", shlex.join(cmd))
    proc = start(cmd, text=False)
    stdout, stderr = _communicate(proc, None)
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed decoding {path.name}: {last_error_line(stderr.decode(errors='replace'))}")
    return bytes(stdout)


def channel_levels(path: Path, block: float = 0.1, rate: int = 8000) -> tuple[list[float], list[float]]:
    """Mean square level of the left and right channels per `block` seconds, streamed (memory stays
    flat whatever the length): which voice is speaking, for a one-voice-per-channel recording."""
    import numpy as np

    cmd = _pcm_command(path, 2, rate, "s16le")
    log.info("$ %s", shlex.join(cmd))
    frames = int(rate * block)
    left: list[float] = []
    right: list[float] = []
    proc = start(cmd, text=False)
    assert proc.stdout is not None
    try:
        while chunk := proc.stdout.read(frames * 4 * 600):
            samples = np.frombuffer(chunk[: len(chunk) // 4 * 4], dtype="<i2").astype(np.float32).reshape(-1, 2)
            for index in range(0, len(samples), frames):
                part = samples[index : index + frames]
                left.append(float(np.mean(part[:, 0] ** 2)))
                right.append(float(np.mean(part[:, 1] ** 2)))
        _, stderr = proc.communicate()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed reading {path.name}: {last_error_line(stderr.decode(errors='replace'))}")
    return left, right


def version(tool: str) -> str:
    flag = "--version" if tool == "espeak-ng" else "-version"
    stdout, stderr = _communicate(start([which(tool), flag]), None)
    text = stdout or stderr
    return text.splitlines()[0] if text else tool


def speak(text: str, voice: str, output: Path, *, speed: int = 150, pitch: int = 50) -> None:
    """Synthesise speech with espeak-ng into a WAV file (demo and tests)."""
    run("espeak-ng", ["-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(output), text])
