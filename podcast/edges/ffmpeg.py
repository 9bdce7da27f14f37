"""The one subprocess seam: the only module that starts ffmpeg, ffprobe or espeak-ng, all
through one launcher (`start`).

It finds each binary (with an install hint when missing), logs the exact command line
with `shlex.join` (shown by `-v`), captures stderr and raises our own errors. Parsers of
the tools' output are pure functions, tested on recorded text.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from podcast.core import safejson
from podcast.core.errors import MediaError, ToolMissing
from podcast.edges import filtergraphs

log = logging.getLogger("podcast.ffmpeg")

INSTALL_HINTS = {
    "ffmpeg": "install it with `sudo apt-get install ffmpeg` (Debian/Ubuntu) or `brew install ffmpeg` (macOS)",
    "ffprobe": "it comes with ffmpeg: `sudo apt-get install ffmpeg` or `brew install ffmpeg`",
    "espeak-ng": "install it with `sudo apt-get install espeak-ng` (only needed for the demo)",
}

ProgressCallback = Callable[[float], None]
T = TypeVar("T")
R = TypeVar("R")


def which(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise ToolMissing(f"{tool} not found on PATH: {INSTALL_HINTS.get(tool, 'install it')}")
    return path


def start(
    cmd: list[str],
    *,
    stdin: Any = subprocess.DEVNULL,
    stderr: Any = subprocess.PIPE,
    text: bool = True,
    pass_fds: Sequence[int] = (),
) -> Any:
    """The one launcher: start `cmd` (its first item from `which`) with stdout piped; a failed
    start (a broken binary, too many processes) becomes our error. `pass_fds`: more pipes the
    child writes to (ffmpeg's `pipe:N`)."""
    options: dict[str, Any] = {"text": True, "encoding": "utf-8", "errors": "replace"} if text else {}
    pool: Parallel | None = getattr(_worker, "pool", None)
    with pool.lock if pool else contextlib.nullcontext():  # a job never starts a child after the stop
        if pool and pool.stopped:
            raise MediaError(f"{Path(cmd[0]).name} not started: the work was interrupted")
        try:
            proc = subprocess.Popen(
                cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr, pass_fds=tuple(pass_fds), **options
            )
        except OSError as exc:
            raise MediaError(f"cannot start {Path(cmd[0]).name}: {exc.strerror or exc}") from None
        if pool:
            pool.children.add(proc)
    return proc


_worker = threading.local()  # the Parallel a worker thread runs jobs for


class Parallel:
    """Jobs that start tools, run in threads (two cores: one half of a recording each).

    Ctrl-C reaches the main thread only; the tools a worker started would run to the end while
    leaving the pool waits for them (a 3-hour recording: a minute). Leaving on any exception
    therefore drops the jobs not started and stops the tools under way, then waits only for
    the workers to notice."""

    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers)
        self.lock = threading.Lock()
        self.stopped = False
        self.children: weakref.WeakSet[Any] = weakref.WeakSet()

    def submit(self, job: Callable[..., R], *args: Any) -> Future[R]:
        return self._pool.submit(self._run, job, *args)

    def map(self, job: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
        return self._pool.map(lambda item: self._run(job, item), items)

    def _run(self, job: Callable[..., R], *args: Any) -> R:
        _worker.pool = self
        try:
            return job(*args)
        finally:
            _worker.pool = None

    def __enter__(self) -> Parallel:
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is not None:
            with self.lock:
                self.stopped = True
                for proc in list(self.children):
                    with contextlib.suppress(OSError):
                        proc.kill()  # a child already reaped is left alone (Popen checks)
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool.shutdown(wait=True)


LineSink = Callable[[str], bool]  # takes a line of stderr; True: consumed, not kept


def run(
    tool: str,
    args: Sequence[str],
    *,
    on_progress: ProgressCallback | None = None,
    line_sink: LineSink | None = None,
) -> str:
    """Run `tool args...`; return its stderr (where ffmpeg reports). Raise MediaError on failure.

    With `on_progress`, ffmpeg is asked for `-progress pipe:1` and the callback receives the
    output position in seconds as it advances. With `line_sink`, stderr is read line by line
    and the lines it consumes are not kept (a long frame log stays out of memory).
    """
    cmd = [which(tool), *args]
    if on_progress is not None:
        cmd[1:1] = ["-progress", "pipe:1", "-nostats"]
    elif line_sink is not None:
        cmd[1:1] = ["-nostats"]
    log.info("$ %s", shlex.join(cmd))
    proc = start(cmd)
    started = time.perf_counter()
    stdout, stderr = _communicate(proc, on_progress, line_sink)
    log.debug("  (%s took %.1f s)", tool, time.perf_counter() - started)
    if proc.returncode != 0:
        raise MediaError(f"{tool} failed: {last_error_line(stderr)}")
    return str(stderr if tool != "ffprobe" else stdout)


def _communicate(proc: Any, on_progress: ProgressCallback | None, line_sink: LineSink | None = None) -> tuple[Any, Any]:
    """Collect the output; on Ctrl-C or any error, stop the child before re-raising."""
    try:
        if (on_progress is None and line_sink is None) or proc.stdout is None:
            stdout, stderr = proc.communicate()
            return stdout, stderr
        return _follow_progress(proc, on_progress, line_sink)
    except BaseException:
        proc.kill()
        proc.wait()
        raise


def _follow_progress(
    proc: subprocess.Popen[str], on_progress: ProgressCallback | None, line_sink: LineSink | None
) -> tuple[str, str]:
    # Drain stderr in a thread so a chatty ffmpeg never blocks on a full pipe.
    import threading

    assert proc.stdout is not None and proc.stderr is not None
    stderr = proc.stderr
    chunks: list[str] = []

    def drain() -> None:
        if line_sink is None:
            chunks.append(stderr.read())
            return
        for line in stderr:
            if not line_sink(line):
                chunks.append(line)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    for line in proc.stdout:
        if on_progress is not None and line.startswith("out_time_us="):
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
        data = safejson.loads(text or "{}", limit=safejson.OURS)
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
    if not isinstance(value, str | int | float):
        return None
    try:
        number = float(value)
    except ValueError:
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


def render_outputs(
    inputs: Sequence[Input],
    filter_complex: str,
    outputs: Sequence[tuple[str, Sequence[str], Path | str]],
    *,
    on_progress: ProgressCallback | None = None,
    line_sink: LineSink | None = None,
) -> str:
    """Run one filter graph to several outputs: (pad label, output options, file or "-" for
    none) each; returns stderr (measurements)."""
    args = ["-hide_banner", "-nostdin", "-y", *_input_args(inputs), "-filter_complex", filter_complex]
    for label, options, target in outputs:
        args += ["-map", f"[{label}]", *options, str(target)]
    return run("ffmpeg", args, on_progress=on_progress, line_sink=line_sink)


def parse_ebur128_each(stderr: str) -> dict[int, Loudness]:
    """Every ebur128 summary in `stderr`, by the filter's number (Parsed_ebur128_N), the last
    one each (ffmpeg prints an empty one when it first configures the graph)."""
    found: dict[int, Loudness] = {}
    for match in re.finditer(r"\[Parsed_ebur128_(\d+) @ [^\]]+\] Summary:", stderr):
        end = stderr.find("[Parsed_ebur128_", match.end())
        found[int(match.group(1))] = parse_ebur128(stderr[match.start() : end if end != -1 else len(stderr)])
    return found


_MOMENTARY_RE = re.compile(r"\[Parsed_ebur128_(\d+) @ [^\]]+\] t: *([\d.]+) +TARGET:\S+ LUFS +M: *(\S+)")


class MomentaryLog:
    """A line sink collecting the momentary loudness (400 ms windows every 100 ms: BS.1770's
    gating blocks) each ebur128 filter logs with framelog=info, by the filter's number, as
    compact arrays of window ends and LUFS."""

    def __init__(self) -> None:
        self.times: dict[int, array[float]] = {}
        self.levels: dict[int, array[float]] = {}

    def __call__(self, line: str) -> bool:
        match = _MOMENTARY_RE.match(line)
        if match is None:
            return False
        value = match.group(3)
        number = int(match.group(1))
        self.times.setdefault(number, array("d")).append(float(match.group(2)))
        self.levels.setdefault(number, array("d")).append(
            float(value) if value not in ("nan", "-inf", "inf") else -120.0
        )
        return True


_soxr: bool | None = None


def resampler() -> str:
    """The best resampler this ffmpeg has for the analysis pass: soxr when it was built with it
    (twice as fast here), else its own."""
    global _soxr
    if _soxr is None:
        stdout, _ = _communicate(start([which("ffmpeg"), "-hide_banner", "-buildconf"]), None)
        _soxr = "--enable-libsoxr" in (stdout or "")
    return ":resampler=soxr" if _soxr else ""


@dataclass(frozen=True)
class Encoding:
    """One rendition of a filter graph's output: the pad it takes (`label`), its codec options,
    the tee muxer's options for the file written (such as "f=mp3:id3v2_version=0"), and the
    streamable muxer and demuxer that carry the same packets to its meter."""

    label: str
    codec_args: Sequence[str]
    file_muxer: str
    pipe_format: tuple[str, str]
    output: Path


def encode_and_measure(
    inputs: Sequence[Input],
    filter_complex: str,
    encodings: Sequence[Encoding],
    *,
    on_progress: ProgressCallback | None = None,
) -> list[Loudness]:
    """Filter, encode and measure the very same encoded packets: one producer runs the filter
    graph and sends each encoding's pad as PCM in NUT down a pipe of its own (stdout, then
    `pipe:N`) to its encoder, whose tee muxer writes the packets to the file and to a pipe read
    by a meter running ebur128. Each encoder and each meter is a process of its own, so they
    share the cores (ffmpeg 5 filters and encodes in one thread), and no file is decoded again
    afterwards. Returns each encoding's loudness, in order; `on_progress` follows the first."""
    ffmpeg = [which("ffmpeg"), "-hide_banner", "-nostdin"]
    producer = [*ffmpeg, "-y", *_input_args(inputs), "-filter_complex", filter_complex]
    chains = []
    for index, encoding in enumerate(encodings):
        encoder = [*ffmpeg, "-y", "-f", "nut", "-i", "pipe:0", "-map", "0:a:0", *encoding.codec_args, "-f", "tee"]
        encoder.append(f"[{encoding.file_muxer}]{_tee_escape(encoding.output)}|[f={encoding.pipe_format[0]}]pipe:1")
        meter = [*ffmpeg, "-f", encoding.pipe_format[1], "-i", "pipe:0", "-af", EBUR128_FILTER, "-f", "null", "-"]
        if index == 0 and on_progress is not None:
            meter[1:1] = ["-progress", "pipe:1", "-nostats"]
        chains.append((encoder, meter))
    with contextlib.ExitStack() as stack:
        logs = [stack.enter_context(tempfile.TemporaryFile("w+b")) for _ in range(1 + 2 * len(chains))]
        return _run_chains(producer, [e.label for e in encodings], chains, logs, on_progress)


def _run_chains(
    head: list[str],
    labels: list[str],
    chains: list[tuple[list[str], list[str]]],
    logs: list[Any],
    on_progress: ProgressCallback | None,
) -> list[Loudness]:
    """producer → (encoder → meter) per chain, each process's stderr in its log file; wait for
    all, then raise the failure that explains the others."""
    pipes = [os.pipe() for _ in chains[1:]]
    producer = list(head)
    for label, target in zip(labels, ["pipe:1", *(f"pipe:{w}" for _, w in pipes)], strict=True):
        producer += ["-map", f"[{label}]", "-c:a", "pcm_f32le", "-f", "nut", target]
    log.info("$ %s", shlex.join(producer))
    for encoder, meter in chains:
        log.info("  | %s | %s", shlex.join(encoder), shlex.join(meter))
    inlets: list[Any] = []
    started: list[tuple[str, Any, Any]] = []  # (what failed, process, its stderr)
    try:
        try:
            source = start(producer, stderr=logs[0], text=False, pass_fds=[w for _, w in pipes])
        finally:
            for _, w in pipes:
                os.close(w)  # the producer holds the write ends now
        started.append(("", source, logs[0]))
        inlets = [source.stdout, *(os.fdopen(r, "rb") for r, _ in pipes)]
        pipes = []
        for index, ((encoder, meter), inlet) in enumerate(zip(chains, inlets, strict=True)):
            which_one = "" if index == 0 else f" (rendition {index + 1})"
            coded = start(encoder, stdin=inlet, stderr=logs[1 + 2 * index], text=False)
            inlet.close()  # the encoder owns the read end now
            started.append((f" encoding{which_one}", coded, logs[1 + 2 * index]))
            follow = index == 0 and on_progress is not None
            metering = start(meter, stdin=coded.stdout, stderr=subprocess.PIPE if follow else logs[2 + 2 * index])
            coded.stdout.close()
            started.append((f" measuring the encoded audio{which_one}", metering, logs[2 + 2 * index]))
        if on_progress is not None:  # every process is running: follow the first meter
            started[2] = (started[2][0], started[2][1], _communicate(started[2][1], on_progress)[1])
        for _, proc, _ in started:
            proc.wait()
    except BaseException:
        for _, proc, _ in started:
            proc.kill()
            proc.wait()
        raise
    finally:
        _close(inlets, [r for r, _ in pipes])
    _raise_failure(started)
    return [parse_ebur128(_text(err)) for _, _, err in started[2::2]]


def _raise_failure(started: list[tuple[str, Any, Any]]) -> None:
    """The producer's failure first (an encoder then only sees its stream end early), unless it
    is a broken pipe: then an encoder failed first; then a meter's."""
    producer = started[0]
    broken = producer[1].returncode != 0 and "Broken pipe" in _text(producer[2])
    order = [*started[1::2], producer] if broken else [producer, *started[1::2]]
    for what, proc, err in [*order, *started[2::2]]:
        if proc.returncode != 0:
            raise MediaError(f"ffmpeg failed{what}: {last_error_line(_text(err))}")


def _close(files: list[Any], fds: list[int]) -> None:
    for file in files:
        file.close()
    for fd in fds:
        os.close(fd)


def _text(log_file: Any) -> str:
    """What a process wrote to stderr: its log file's text (or the text already read)."""
    if isinstance(log_file, str):
        return log_file
    log_file.seek(0)
    return str(log_file.read().decode("utf-8", "replace"))


def _tee_escape(path: Path) -> str:
    return re.sub(r"([\\|\[\]:])", r"\\\1", str(path))


_SILENCE_START = re.compile(r"silence_start: (-?[\d.]+)")
_SILENCE_END = re.compile(r"silence_end: (-?[\d.]+)")


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


def decode_pcm(path: Path, offset: float, duration: float, rate: int = 16000) -> Any:
    """`duration` seconds of `path` from `offset`, as mono float32 samples at `rate` Hz (a
    numpy array: for Whisper, the speaker model, alignment and suggestions)."""
    import numpy as np

    cmd = _pcm_command(path, 1, rate, "f32le", ["-ss", f"{offset:.3f}", "-t", f"{duration:.3f}"])
    log.info("$ %s", shlex.join(cmd))
    proc = start(cmd, text=False)
    stdout, stderr = _communicate(proc, None)
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed decoding {path.name}: {last_error_line(stderr.decode(errors='replace'))}")
    return np.frombuffer(bytes(stdout), dtype=np.float32)


def block_energies(
    path: Path, channels: int, block: float = 0.02, span: tuple[float, float | None] | None = None
) -> tuple[Any, Any, Any]:
    """Mean squares per `block` seconds of `path` (or of its `span`: start, duration or to the
    end), streamed at 8 kHz (memory stays flat): the 80 Hz high-passed mono downmix (silences),
    each channel K-weighted, and the downmix K-weighted (loudness). With `channels` 1 a stereo
    file is downmixed first; with 2 a mono file has one channel."""
    import numpy as np

    from podcast.domain import levels  # numpy: imported when a recording is analysed, not at start-up

    seek = ["-ss", f"{span[0]:.3f}"] if span else []
    seek += ["-t", f"{span[1]:.3f}"] if span and span[1] is not None else []
    cmd = [which("ffmpeg"), "-hide_banner", "-nostdin", "-v", "error", *seek, "-i", str(path)]
    cmd += ["-filter_complex", filtergraphs.energies_graph(channels, resampler()), "-map", "[out]", "-f", "f32le", "-"]
    log.info("$ %s", shlex.join(cmd))
    width = 2 + channels if channels == 2 else 2
    frames = int(filtergraphs.ANALYSIS_RATE * block)
    step = frames * width * 4 * 500  # 10 s at a time
    chunks: list[Any] = []
    proc = start(cmd, text=False)
    assert proc.stdout is not None
    pending = b""
    try:
        while chunk := proc.stdout.read(step):
            pending += chunk
            usable = len(pending) // (frames * width * 4) * (frames * width * 4)
            if usable:
                chunks.append(levels.mean_squares(np.frombuffer(pending[:usable], dtype="<f4"), frames, width))
                pending = pending[usable:]
        _, stderr = proc.communicate()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    if proc.returncode != 0:
        raise MediaError(f"ffmpeg failed reading {path.name}: {last_error_line(stderr.decode(errors='replace'))}")
    energies = np.concatenate(chunks) if chunks else np.zeros((0, width))
    k = energies[:, 1 : 1 + channels]
    return energies[:, 0], k, energies[:, -1]


def channel_levels(path: Path, block: float = 0.1) -> tuple[list[float], list[float]]:
    """Mean square level of the left and right channels per `block` seconds (K-weighted):
    which voice is speaking, for a one-voice-per-channel recording."""
    _, k, _ = block_energies(path, 2, block)
    return [float(v) for v in k[:, 0]], [float(v) for v in k[:, 1]]


def version(tool: str) -> str:
    flag = "--version" if tool == "espeak-ng" else "-version"
    stdout, stderr = _communicate(start([which(tool), flag]), None)
    text = stdout or stderr
    return text.splitlines()[0] if text else tool
