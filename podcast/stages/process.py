"""`podcast process`: join (or mix), edit, clean up, balance, normalise and encode the
recording; verify the result; and hand Whisper the edited but unprocessed speech.

Design (measured on a 40-minute interview, see benchmarks/; both cores kept busy):
1. analyse: one pass at 8 kHz (`levels`), two halves on two cores: silences (trimmed ends,
   shortened pauses), the speech's loudness, the voices' levels on a one-voice-per-channel
   stereo recording, each track's activity and alignment in a multitrack one; the edit list;
2. clean: the recording in pieces, one ffmpeg per core: two halves of a long recording
   (overlapping, joined again with a crossfade: the chain is time-invariant) or one track per
   microphone; cleaned up, balanced and compressed relative to the speech's own level (so the
   loudness is then linear in the gain); each piece also comes out unprocessed at 16 kHz for
   Whisper; and each half is metered through the gain and limiter as it is written: the
   momentary loudness of every 400 ms block, from which the loudness of the *edited*
   programme (BS.1770's gating over the kept blocks) gives the gain without another pass.
   (A mix of tracks or a ducked music bed depends on the whole: those get a level pass on the
   assembled programme at 16 kHz.)
3. deliver: filter | encode | measure, three processes on the two cores; the encoder's
   packets are measured as they are written (ffmpeg's tee muxer), so the loudness report
   describes the *encoded* file; if it misses the target by more than 0.2 LU the gain is
   corrected and the file encoded once more. Whisper's speech is written meanwhile. A lighter
   rendition (audio.light) is a second branch of the same graph, with an encoder and a meter
   of its own: its own lower limiter, its level from a second gain the clean-up pass meters.
`loudnorm` is avoided: it works at 192 kHz internally and took ~4x longer for the same result.
Memory stays flat: every pass streams; nothing holds the whole recording.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from podcast.core import fsutil
from podcast.core.errors import EpisodeError, LoudnessError, MediaError
from podcast.domain import edits, levels, markers
from podcast.edges import encoders, ffmpeg, filtergraphs, recordings
from podcast.edges.filtergraphs import Piece, Program
from podcast.project.config import Audio
from podcast.project.episode import LIGHT_SUFFIX
from podcast.stages import INPUT_ONLY, Context, Outcome, Processed, Rendition

log = logging.getLogger("podcast.process")

LIMITER_MARGIN_DB = 1.0  # sample-peak ceiling below the true-peak target: room for the encoder
CORRECT_ABOVE_LU = 0.2  # re-encode when the encoded file misses the target by more than this
# The lighter rendition (audio.light), encoded from the same pass: the room kept under the
# limit, how close to the main file it must measure (loudness, length), and how close before its
# level is corrected by another encode (its encoder's facts: edges/encoders.py).
LIGHT_PEAK_ROOM_DB = 0.2
LIGHT_MATCH_LU = 0.5
LIGHT_MATCH_S = 0.05
LIGHT_CORRECT_LU = 0.4
MAX_ENCODES = 3
OVERLAP = 1.0  # seconds the halves overlap (crossfaded over twice this when joined)
LEVELER_OVERLAP = 8.0  # the leveler looks 15 s around: more overlap where the halves meet
BALANCED_WITHIN_LU = 0.5  # voices further apart than this after the dynamics: corrected once
METER_SPREAD_DB = 3.0  # balanced voices are metered at two gains this far apart
SILENT_LUFS = -69.0  # at or under this the integrated loudness is undefined (absolute gate -70)
SPEECH = "speech.flac"  # in build/SLUG: what Whisper hears (edited, unprocessed, 16 kHz mono)


@dataclasses.dataclass(frozen=True)
class Plan:
    sources: list[Path]
    edl: edits.EditList
    intro: Path | None
    outro: Path | None
    bed: Path | None
    mode: str  # "join" | "mix"
    pieces: list[Piece]
    source_lufs: float  # the working signal's loudness after the balance, per channel
    speech_lufs: float  # the speech's level where the compressor hears it (after any leveler)
    balance: list[filtergraphs.Balance | None]  # per source, when balanced
    voices: list[tuple[int, float, levels.Voices]]  # balanced sources: index, where it starts, its voices
    tracks: list[levels.Track]
    notes: list[str]  # what the analysis found, for the report and -v


@dataclasses.dataclass(frozen=True)
class Inputs:
    """Where the job's files are (the job's fingerprint holds their hashes)."""

    sources: tuple[Path, ...]
    intro: Path | None = None
    outro: Path | None = None
    bed: Path | None = None
    markers: tuple[markers.Marker, ...] = ()  # the editor's markers, recording timeline
    markers_name: str = ""


@dataclasses.dataclass(frozen=True)
class ProcessJob:
    sources: tuple[str, ...]  # sha256 of each recording
    as_is: bool  # published byte for byte (an imported episode)
    audio: dict[str, Any]  # the show's [audio] settings
    edit: dict[str, Any]  # the episode's [edit] settings
    files: tuple[str | None, ...]  # sha256 of the intro, outro, music bed and markers file
    accepted: tuple[tuple[float, float], ...]  # suggested cuts the producer accepted
    speech: bool  # whether the speech is kept for Whisper
    inputs: Inputs = dataclasses.field(metadata=INPUT_ONLY)


class ProcessStage:
    name = "process"
    version = 5

    def prepare(self, ctx: Context) -> ProcessJob:
        ep = ctx.episode
        sources = tuple(ep.require_sources())
        hashes = tuple(ctx.state.file_hash(p) for p in sources)
        if ep.as_is:
            return ProcessJob(hashes, True, {}, {}, (), (), False, Inputs(sources))
        intro, outro, bed = self._jingles(ctx)
        marker_file = ep.marker_file()
        found = tuple(ep.markers())
        audio = dataclasses.asdict(ctx.config.audio)
        if not audio["light"]:  # a show without a lighter rendition keeps its fingerprints
            del audio["light"], audio["light_bitrate"]
        return ProcessJob(
            hashes,
            False,
            audio,
            dataclasses.asdict(ep.meta.edit),
            tuple(ctx.state.file_hash(p) if p else None for p in (intro, outro, bed, marker_file)),
            tuple((s.start, s.end) for s in ep.suggestions() if s.status == "accepted"),
            ep.has_transcript,
            Inputs(sources, intro, outro, bed, found, marker_file.name if marker_file else ""),
        )

    def describe(self, ctx: Context, job: ProcessJob) -> list[str]:
        if job.as_is:
            source = job.inputs.sources[0]
            probe = ffmpeg.probe(source)
            return [f"as it is: {source.name} ({probe.codec}, {probe.duration:.1f} s of audio) published byte for byte"]
        plan = self._plan(ctx, job)
        audio = ctx.config.audio
        layout = "mono" if audio.channels == 1 else "stereo"
        codec = (
            f"MP3 {audio.sample_rate} Hz {layout} {audio.kbps} kbps CBR"
            if audio.format == "mp3"
            else f"AAC (M4A) {audio.sample_rate} Hz {layout} {audio.kbps} kbps"
        )
        return [
            *plan.edl.describe(),
            *plan.notes,
            *([f"music bed: {plan.bed.name} at {audio.bed_level:g} dB, ducked under speech"] if plan.bed else []),
            f"clean-up: {audio.cleanup}{', leveler' if audio.leveler else ''}; loudness {audio.loudness:g} LUFS, "
            f"true peak ≤ {audio.true_peak:g} dBTP",
            f"encode: {codec}",
            *([f"and a lighter rendition: {encoders.light_name(audio)}, same pass"] if ctx.episode.light_codec else []),
        ]

    def edit_list(self, ctx: Context, job: ProcessJob) -> edits.EditList:
        """The edit list a run of `job` would apply (the recording analysed for silences)."""
        if job.as_is:
            return edits.EditList.whole(round(ffmpeg.probe(job.inputs.sources[0]).duration, 3))
        return self._plan(ctx, job).edl

    def run(self, ctx: Context, job: ProcessJob) -> Outcome[Processed]:
        if job.as_is:
            return self._as_is(ctx, job.inputs.sources[0])
        ep, audio = ctx.episode, ctx.config.audio
        plan = self._plan(ctx, job)
        for note in plan.notes:
            log.info("%s: %s", ep.slug, note)
        warnings = [w for t in plan.tracks for w in t.warnings]
        for warning in warnings:
            log.warning("%s: %s", ep.slug, warning)
        if plan.source_lufs <= SILENT_LUFS:
            raise MediaError("the recording is silent: its loudness is undefined, nothing to normalise")
        ep.build.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".process-", dir=ep.build) as tmp:
            meter = self._meter(audio, plan, light=ep.light_codec)
            cleaned, raw, metered = self._clean(ctx, plan, Path(tmp), meter)
            estimate = _estimate(plan, meter, metered)
            aim = audio.loudness + encoders.ENCODER_DROP_DB[audio.format]
            expected = levels.interpolate(estimate, aim)[0] if estimate else 0.0
            rebalanced = _rebalance(plan, meter, metered, expected)
            if rebalanced is not plan and meter is not None:
                plan = rebalanced
                spread = METER_SPREAD_DB / 2
                meter = dataclasses.replace(meter, gains=(expected - spread, expected + spread))
                cleaned, raw, metered = self._clean(ctx, plan, Path(tmp), meter)
                estimate = _estimate(plan, meter, metered)
                expected = levels.interpolate(estimate, aim)[0] if estimate else expected
                _rebalance(plan, meter, metered, expected, correct=False)  # the report's numbers
            program = Program(len(cleaned), plan.mode, self._overlap(audio), plan.edl, {}, plan.speech_lufs)
            inputs, program = self._inputs(plan, program, cleaned)
            level = self._level(ctx, program, inputs, estimate)
            speech = [Path(tmp) / f"speech-{i}.flac" for i in range(len(raw) if plan.mode == "mix" else 1)]
            codec = ep.light_codec
            with (
                fsutil.atomic_path(ep.processed_audio) as out,
                _maybe_atomic(ep.light_audio(codec) if codec else None) as light,
                ffmpeg.Parallel(1) as pool,
            ):
                # Whisper's speech is written on the core the encoder leaves free.
                written = pool.submit(_write_speech, program, raw, speech) if ep.has_transcript else None
                delivered = self._deliver(ctx, program, inputs, out, level, light)
                if written is not None:
                    written.result()
                probe = ffmpeg.probe(out)
                rendition = _rendition(audio, light, delivered.light) if light and delivered.light else None
                report = loudness_report(audio, level.report, delivered, plan, probe.duration, rendition)
                fsutil.write_text(ep.loudness_report, json.dumps(report, indent=2) + "\n")
                if not report["pass"]:
                    raise LoudnessError(str(report["verdict"]))  # the report stays; the audio does not
                fsutil.write_text(ep.edit_list_path, plan.edl.to_json())
                outputs = self._keep_speech(ctx, speech if ep.has_transcript else [])
        for stale in (ep.light_audio(other) for other in LIGHT_SUFFIX if other != codec):
            stale.unlink(missing_ok=True)  # a rendition the show no longer asks for
        made = [ep.light_audio(codec)] if codec else []
        final = delivered.final
        return Outcome(
            [ep.processed_audio, *made, ep.edit_list_path, *outputs],
            Processed(round(probe.duration, 3), final.as_dict(), len(outputs), rendition),
            _message(audio, probe.duration, final, rendition, warnings),
        )

    def _as_is(self, ctx: Context, source: Path) -> Outcome[Processed]:
        """An episode published as it is (imported): the same bytes, measured but not changed,
        so apps that already downloaded it see nothing new."""
        ep = ctx.episode
        probe = ffmpeg.probe(source)
        bar = ctx.progress("measure", probe.duration)
        try:
            measured = ffmpeg.measure(source, on_progress=bar.update)
        finally:
            bar.close()
        with fsutil.atomic_path(ep.processed_audio) as out:
            shutil.copyfile(source, out)
        report = {"as_is": True, "delivered": measured.as_dict(), "pass": True, "verdict": "published as it is"}
        fsutil.write_text(ep.loudness_report, json.dumps(report, indent=2) + "\n")
        fsutil.write_text(ep.edit_list_path, edits.EditList.whole(round(probe.duration, 3)).to_json())
        return Outcome(
            [ep.processed_audio, ep.edit_list_path],
            Processed(round(probe.duration, 3), measured.as_dict()),
            f"as it is: {probe.duration:.1f} s of audio, {measured.integrated:.1f} LUFS (not changed)",
        )

    # -- planning -------------------------------------------------------------------------
    def _jingles(self, ctx: Context) -> tuple[Path | None, Path | None, Path | None]:
        audio, edit, root = ctx.config.audio, ctx.episode.meta.edit, ctx.config.root
        intro = audio.intro if edit.intro is None else edit.intro
        outro = audio.outro if edit.outro is None else edit.outro
        paths = []
        for key, name in (("intro", intro), ("outro", outro), ("bed", audio.bed)):
            path = root / name if name else None
            if path is not None and not Path(name).is_absolute():
                fsutil.require_inside(path, root, f"{key} jingle {name}")
            if path is not None and not path.is_file():
                raise EpisodeError(f"{key} jingle not found: {path}")
            paths.append(path)
        return paths[0], paths[1], paths[2]

    def _plan(self, ctx: Context, job: ProcessJob) -> Plan:
        audio, edit = ctx.config.audio, ctx.episode.meta.edit
        sources = list(job.inputs.sources)
        probes = [ffmpeg.probe(p) for p in sources]
        intro, outro, bed = job.inputs.intro, job.inputs.outro, job.inputs.bed
        bar = ctx.progress("analyse", sum(p.duration for p in probes))
        try:
            if edit.mode == "multitrack":
                names = ctx.episode.track_names(len(sources))
                analysis = recordings.analyse_tracks(sources, names, balanced=audio.balance)
            else:
                analysis = recordings.analyse_join(sources, probes, balanced=audio.balance)
        finally:
            bar.close()
        total = analysis.duration
        if analysis.loudness <= SILENT_LUFS:
            raise MediaError("the recording is silent: its loudness is undefined, nothing to normalise")
        trim = audio.trim_silence if edit.trim_silence is None else edit.trim_silence
        pause_max = audio.pause_max if edit.pause_max is None else edit.pause_max
        auto = edits.silence_cuts(
            levels.silences(analysis.hp, audio.silence_threshold),
            total,
            trim=trim,
            pause_max=pause_max,
            pause_target=audio.pause_target,
        )
        trimmed = sum(cut.length for cut in auto if cut.kind == "trim")
        if total > 2.0 and total - trimmed < 1.0:
            raise EpisodeError(
                f"the recording is quieter than the silence threshold ({audio.silence_threshold:g} dBFS) almost "
                "throughout: trimming its silent ends would leave nothing. Lower audio.silence_threshold "
                "(e.g. -60) or set trim_silence = false"
            )
        jingles = [edits.Jingle(p.name, _jingle_length(p), audio.jingle_overlap) if p else None for p in (intro, outro)]
        marked = [edits.Cut(m.start, m.end or m.start, "cut") for m in _marked_regions(job.inputs, total)]
        accepted = [edits.Cut(start, min(end, total), "suggested") for start, end in job.accepted if start < total]
        edl = edits.build(
            edit.cuts, total, auto_cuts=[*accepted, *auto], marked_cuts=marked, intro=jingles[0], outro=jingles[1]
        )
        return Plan(
            sources,
            edl,
            intro,
            outro,
            bed,
            "mix" if edit.mode == "multitrack" else "join",
            analysis.pieces(self._overlap(audio)),
            analysis.loudness,
            filtergraphs.leveled(analysis.loudness) if audio.leveler and not analysis.tracks else analysis.loudness,
            analysis.balance,
            analysis.voices,
            analysis.tracks,
            analysis.notes,
        )

    @staticmethod
    def _overlap(audio: Audio) -> float:
        return LEVELER_OVERLAP if audio.leveler else OVERLAP

    # -- passes ---------------------------------------------------------------------------
    @staticmethod
    def _meter(audio: Audio, plan: Plan, *, light: str = "") -> filtergraphs.Meter | None:
        """The meter for the clean-up pass of a joined recording (tracks are metered once
        mixed, in a level pass of their own)."""
        if plan.mode != "join":
            return None
        first = _first_gain(audio, plan.speech_lufs)
        # Balanced voices: a second gain, to follow each voice as the limiter works harder. A
        # lighter rendition: a second gain, for how much its lower limiter takes (`_LightLevel`).
        gains: tuple[float, ...] = (first,)
        if plan.voices or light:
            gains = (first, first + (METER_SPREAD_DB if plan.voices else encoders.LIGHT_HEADROOM_DB[light]))
        return filtergraphs.Meter(gains, audio.true_peak - LIMITER_MARGIN_DB)

    def _clean(
        self, ctx: Context, plan: Plan, tmp: Path, meter: filtergraphs.Meter | None
    ) -> tuple[list[Path], list[Path], list[_Metered]]:
        """The pieces, cleaned (and metered), one ffmpeg per core; and each unprocessed at 16 kHz.
        With a meter, the jingles are metered too."""
        audio = ctx.config.audio
        jobs: list[_Job] = []
        cleaned = [tmp / f"piece-{index}.wav" for index in range(len(plan.pieces))]
        raw = [tmp / f"raw-{index}.wav" for index in range(len(plan.pieces))]
        metered: list[tuple[str, list[str], Path | str]] = (
            [(label, ["-f", "null"], "-") for label in meter.labels] if meter else []
        )
        for index, piece in enumerate(plan.pieces):
            outputs: list[tuple[str, list[str], Path | str]] = [
                ("out", ["-c:a", "pcm_f32le"], cleaned[index]),
                ("raw", ["-c:a", "pcm_s16le"], raw[index]),
            ]
            if plan.mode == "mix":
                track = plan.tracks[index]
                graph = filtergraphs.track_graph(audio, piece, track.gain if audio.balance else 0.0, track.level)
                jobs.append(_Job([plan.sources[index]], graph, outputs, piece.end, f"piece {index}"))
                continue
            inputs: list[ffmpeg.Input] = list(plan.sources)
            span: Piece | None = piece
            if len(plan.sources) == 1:  # seek rather than decode what the other half does
                inputs = [(plan.sources[0], ["-ss", f"{piece.start:.6f}", "-t", f"{piece.end - piece.start:.6f}"])]
                span = None
            graph = filtergraphs.half_graph(audio, span, plan.balance, audio.leveler, plan.speech_lufs, meter)
            jobs.append(_Job(inputs, graph, [*outputs, *metered], piece.end - piece.start, f"piece {index}"))
        for key, path in (("intro", plan.intro), ("outro", plan.outro)):
            if meter is not None and path is not None:
                jobs.append(_Job([path], filtergraphs.jingle_meter_graph(audio, meter), list(metered), 0.0, key))
        bar = _Combined(ctx.progress("clean up", sum(job.duration for job in jobs)), len(jobs))
        try:
            with ffmpeg.Parallel(2) as pool:
                runs = [pool.submit(job.run, bar.part(i)) for i, job in enumerate(jobs)]
                found = [job.result() for job in runs]
        finally:
            bar.close()
        return cleaned, raw, found

    @staticmethod
    def _inputs(plan: Plan, program: Program, cleaned: list[Path]) -> tuple[list[ffmpeg.Input], Program]:
        inputs: list[ffmpeg.Input] = list(cleaned)
        extra = {}
        for key, path in (("intro", plan.intro), ("outro", plan.outro), ("bed", plan.bed)):
            if path is not None:
                extra[key] = len(inputs)
                inputs.append((path, ["-stream_loop", "-1"]) if key == "bed" else path)
        return inputs, dataclasses.replace(program, extra=extra)

    def _level(
        self,
        ctx: Context,
        program: Program,
        inputs: list[ffmpeg.Input],
        estimate: list[tuple[float, float]] | None,
    ) -> _Level:
        """The gain that puts the programme, through the gain and limiter, on target: from the
        loudness the clean-up pass metered at a first gain, or else from the whole programme
        measured at 16 kHz at that gain. The loudness is linear in the gain (the compressor
        came before it) except where the limiter works harder: the encoded file is checked."""
        audio = ctx.config.audio
        aim = audio.loudness + encoders.ENCODER_DROP_DB[audio.format]
        ceiling = audio.true_peak - LIMITER_MARGIN_DB
        origin = "clean-up meter"
        if not estimate:
            first = _first_gain(audio, program.speech_lufs)
            estimate = [(first, self._measure(program, audio, inputs, first, ceiling))]
            origin = "level pass"
        for gain, level in estimate:
            log.info("level: gain %+.2f dB → %.2f LUFS before encoding (%s)", gain, level, origin)
        report: list[dict[str, object]] = [
            {"gain_db": round(gain, 2), "lufs": round(level, 2), "from": origin} for gain, level in estimate
        ]
        gain, slope = levels.interpolate(estimate, aim)
        nearest = min(estimate, key=lambda point: abs(point[0] - gain))
        return _Level(gain, ceiling, nearest, report, slope)

    @staticmethod
    def _measure(program: Program, audio: Audio, inputs: list[ffmpeg.Input], gain: float, ceiling: float) -> float:
        """The whole programme's loudness through the gain and limiter, at 16 kHz."""
        graph = filtergraphs.level_graph(program, audio, gain, ceiling)
        meter = filtergraphs.filter_index(graph, "ebur128")[0]
        stderr = ffmpeg.render_outputs(inputs, graph, [("level", ["-f", "null"], "-")])
        return ffmpeg.parse_ebur128_each(stderr)[meter].integrated

    def _deliver(
        self,
        ctx: Context,
        program: Program,
        inputs: list[ffmpeg.Input],
        out: Path,
        level: _Level,
        light: Path | None = None,
    ) -> _Delivered:
        """Encode, measuring the encoded packets; if they miss the target, correct the gain along
        the slope between the last two measurements (under 1 where the limiter works hard) and
        encode again. The lighter rendition is encoded from the same pass (a branch of the same
        filter graph, its own encoder and meter): when only it misses (its peaks, or its level
        against the main file's), only it is encoded again."""
        audio = ctx.config.audio
        done = _Delivered(ffmpeg.Loudness(-math.inf, 0.0, -math.inf), 0, level.gain)
        gain, ceiling = level.gain, level.ceiling
        shape = _LightLevel.first(audio, level.slope) if light is not None else None
        points = [level.measured]  # (gain, loudness before the encoder)
        main_due, light_due = True, light is not None
        for encode in range(1, MAX_ENCODES + 1):
            encodings = [encoders.encoding(audio, out)] if main_due else []
            if light is not None and light_due:
                encodings.append(encoders.light_encoding(audio, light))
            branch = (shape.offset, shape.headroom) if shape is not None and light_due else None
            graph = filtergraphs.delivery_graph(program, audio, gain, ceiling, branch, main=main_due)
            what = "encode" if encode == 1 else "re-encode" if main_due else "re-encode the rendition"
            bar = ctx.progress(what, program.edl.duration)
            try:
                measured = ffmpeg.encode_and_measure(inputs, graph, encodings, on_progress=bar.update)
            finally:
                bar.close()
            if main_due:
                done = dataclasses.replace(done, final=measured[0], encodes=encode, gain=gain)
            final = done.final
            log.info("encode %d: gain %+.2f dB → %.2f LUFS, %.2f dBTP", encode, gain, final.integrated, final.true_peak)
            corrected = shape
            if shape is not None and light_due:
                lighter = measured[-1]
                done = dataclasses.replace(
                    done,
                    light=lighter,
                    light_level=shape,
                    light_limiter=round(ceiling - shape.headroom, 2),
                    light_encodes=done.light_encodes + 1,
                )
                log.info("  rendition: %s → %.2f LUFS, %.2f dBTP", shape, lighter.integrated, lighter.true_peak)
                corrected = shape.corrected(audio, final, lighter)
            miss = audio.loudness - final.integrated
            over = final.true_peak - audio.true_peak
            main_due = abs(miss) > CORRECT_ABOVE_LU or over > 0
            if main_due:
                points.append((gain, final.integrated + encoders.ENCODER_DROP_DB[audio.format]))
                gain += miss / levels.slope(points[-2], points[-1])
                if over > 0:
                    ceiling -= over + 0.2
            light_due = shape is not None and (main_due or corrected != shape)
            shape = corrected
            if not main_due and not light_due:
                break
        return done

    def _keep_speech(self, ctx: Context, speech: list[Path]) -> list[Path]:
        """Move the speech for Whisper next to the episode's other build files."""
        ep = ctx.episode
        kept = []
        for index, path in enumerate(speech):
            target = ep.build / (SPEECH if len(speech) == 1 else f"speech-{index + 1}.flac")
            with fsutil.atomic_path(target) as tmp:
                shutil.move(path, tmp)
            kept.append(target)
        for stale in ep.build.glob("speech*.flac"):
            if stale not in kept:
                stale.unlink()
        return kept


class _Combined:
    """One progress bar for several ffmpeg processes running at once."""

    def __init__(self, bar: Any, parts: int) -> None:
        self.bar = bar
        self.positions = [0.0] * parts
        self.lock = threading.Lock()

    def part(self, index: int) -> Callable[[float], None]:
        def update(position: float) -> None:
            with self.lock:
                self.positions[index] = position
                self.bar.update(sum(self.positions))

        return update

    def close(self) -> None:
        self.bar.close()


@dataclasses.dataclass
class _Job:
    """One ffmpeg of the clean-up pass: a piece (or a jingle only metered)."""

    inputs: list[ffmpeg.Input]
    graph: str
    outputs: list[tuple[str, list[str], Path | str]]
    duration: float  # for the progress bar
    name: str  # "piece N", "intro", "outro"

    def run(self, on_progress: Callable[[float], None]) -> _Metered:
        sink = ffmpeg.MomentaryLog()
        ffmpeg.render_outputs(self.inputs, self.graph, self.outputs, on_progress=on_progress, line_sink=sink)
        numbers = filtergraphs.filter_index(self.graph, "ebur128")
        if not numbers:
            return _Metered(self.name, [], [])
        return _Metered(self.name, sink.times.get(numbers[0], []), [sink.levels.get(n, []) for n in numbers])


@dataclasses.dataclass(frozen=True)
class _Metered:
    """What a clean-up job's meters logged: each 400 ms block's end (seconds into the job's
    signal) and its loudness at each metered gain."""

    name: str
    times: Sequence[float]
    levels: list[Sequence[float]]  # one per gain


def _first_gain(audio: Audio, speech_lufs: float) -> float:
    """The gain that would put the speech on target, as the analysis heard it (the working
    signal has the speech on every channel: each one adds to the loudness)."""
    return audio.loudness + encoders.ENCODER_DROP_DB[audio.format] - speech_lufs - 10 * math.log10(audio.channels)


def _blocks(plan: Plan, metered: list[_Metered], which: int) -> tuple[Any, Any]:
    """The metered 400 ms blocks of the recording, each once (the halves overlap): their
    centres in the recording's timeline and their loudness at the `which`th gain."""
    import numpy as np

    centres, found = [], []
    last = len(plan.pieces) - 1
    overlap = _overlap_of(plan)
    for item in metered:
        if not item.name.startswith("piece"):
            continue
        index = int(item.name.split()[1])
        piece = plan.pieces[index]
        times = np.asarray(item.times)
        centre = piece.start + times - filtergraphs.MOMENTARY_WINDOW / 2
        own_from = piece.start + (overlap if index > 0 else 0.0)
        own_to = piece.end - (overlap if index < last else 0.0)
        full = times >= filtergraphs.MOMENTARY_WINDOW - 1e-6  # a block is whole from 400 ms in
        full &= (centre >= own_from) & (centre < own_to)
        centres.append(centre[full])
        found.append(np.asarray(item.levels[which])[full])
    if not centres:
        return np.zeros(0), np.zeros(0)
    return np.concatenate(centres), np.concatenate(found)


def _estimate(
    plan: Plan, meter: filtergraphs.Meter | None, metered: list[_Metered]
) -> list[tuple[float, float]] | None:
    """The edited programme's loudness at each metered gain: the recording's blocks in the
    kept ranges and the jingles' blocks, gated together as BS.1770 does. None where a music
    bed (its ducking) makes the level depend on the whole."""
    import numpy as np

    if meter is None or plan.bed is not None:
        return None
    kept = plan.edl.kept
    starts = np.array([k.src_start for k in kept])
    ends = np.array([k.src_end for k in kept])
    found = []
    for which, gain in enumerate(meter.gains):
        centres, blocks = _blocks(plan, metered, which)
        at = np.searchsorted(starts, centres, side="right") - 1
        inside = (at >= 0) & (centres < ends[np.maximum(at, 0)])
        chosen = [blocks[inside]]
        for item in metered:
            if not item.name.startswith("piece"):
                times = np.asarray(item.times)
                chosen.append(np.asarray(item.levels[which])[times >= filtergraphs.MOMENTARY_WINDOW - 1e-6])
        found.append((gain, levels.integrated(np.concatenate(chosen))))
    return found


def _voice_levels(plan: Plan, metered: list[_Metered], which: int) -> list[tuple[float, float]]:
    """For each balanced source (plan.voices), each voice's loudness after the clean-up and
    dynamics at the `which`th metered gain, on the blocks where it speaks."""
    import numpy as np

    centres, found = _blocks(plan, metered, which)
    result = []
    for _, offset, voices in plan.voices:
        index = np.floor((centres - offset) / levels.VOICE_BLOCK).astype(int)
        valid = (index >= 0) & (index < len(voices.speaking))
        speaker = np.zeros(len(centres), dtype=np.int8)
        speaker[valid] = voices.speaking[index[valid]]
        result.append((levels.integrated(found[speaker == 1]), levels.integrated(found[speaker == 2])))
    return result


def _rebalance(
    plan: Plan,
    meter: filtergraphs.Meter | None,
    metered: list[_Metered],
    gain: float,
    *,
    correct: bool = True,
) -> Plan:
    """The voices as they will come out: each voice's loudness at the gain the level search
    will choose (interpolated between the metered gains: the compressor and limiter take more
    from a peakier voice, the more so the higher the gain), noted in the report; where they
    are more than BALANCED_WITHIN_LU apart, a plan with the balance solved again on those
    measurements (the clean-up is run again)."""
    if meter is None or not plan.voices:
        return plan
    balance = list(plan.balance)
    changed = False
    per_gain = [_voice_levels(plan, metered, which) for which in range(len(meter.gains))]
    for index, (source, _, voices) in enumerate(plan.voices):
        points = [[(g, per_gain[w][index][side]) for w, g in enumerate(meter.gains)] for side in (0, 1)]
        after = tuple(levels.level_at(points[side], gain) for side in (0, 1))
        plan.notes.append(f"voices as delivered (estimated): left {after[0]:.1f}, right {after[1]:.1f} LUFS")
        chosen = balance[source]
        if not correct or chosen is None or abs(after[0] - after[1]) <= BALANCED_WITHIN_LU:
            continue
        gains = chosen.gains
        before = voices.in_downmix(gains)
        slopes = tuple(levels.slope(*sorted(p)[:2]) if len(p) > 1 else 1.0 for p in points)
        offsets = (after[0] - before[0], after[1] - before[1])
        solved = dataclasses.replace(voices, gains=gains).balancing(offsets, (slopes[0], slopes[1]))
        side = 0 if gains[0] > 0 else 1
        balance[source] = dataclasses.replace(chosen, gains=(solved, 0.0) if side == 0 else (0.0, solved))
        plan.notes.append(
            f"balance corrected: {'left' if side == 0 else 'right'} {gains[side]:+.1f} → {solved:+.1f} dB"
        )
        changed = True
    return dataclasses.replace(plan, balance=balance) if changed else plan


def _overlap_of(plan: Plan) -> float:
    """How far the halves overlap past the middle of the recording."""
    if len(plan.pieces) < 2:
        return 0.0
    return (plan.pieces[0].end - plan.pieces[1].start) / 2


def _write_speech(program: Program, raw: list[Path], speech: list[Path]) -> None:
    """Whisper's speech: the raw 16 kHz pieces assembled and edited, not processed."""
    graph, labels = filtergraphs.asr_graph(program, len(raw), 0, program.mode)
    outputs = [(label, ["-c:a", "flac"], path) for label, path in zip(labels, speech, strict=True)]
    ffmpeg.render_outputs(list(raw), graph, outputs)


@dataclasses.dataclass(frozen=True)
class _Level:
    """What the level search found."""

    gain: float  # dB before the limiter
    ceiling: float  # the limiter's ceiling, dBFS
    measured: tuple[float, float]  # the gain measured and its loudness
    report: list[dict[str, object]]
    slope: float = 1.0  # LU per dB of gain there (under 1 where the limiter works harder)


def _marked_regions(inputs: Inputs, duration: float) -> list[markers.Marker]:
    return markers.regions(inputs.markers, duration, inputs.markers_name or "markers")


def _jingle_length(path: Path) -> float:
    try:
        return ffmpeg.probe(path).duration
    except MediaError as exc:
        raise EpisodeError(f"jingle {path.name}: {exc}") from None


def _message(
    audio: Audio, duration: float, final: ffmpeg.Loudness, light: Rendition | None, warnings: list[str]
) -> str:
    message = f"{duration:.1f} s of audio, {final.integrated:.1f} LUFS, {final.true_peak:.1f} dBTP"
    if light is not None:
        message += f"; and {encoders.light_name(audio)}"
    return message + ("; warning: " + "; ".join(warnings) if warnings else "")


@dataclasses.dataclass(frozen=True)
class _LightLevel:
    """The rendition's gain relative to the main file's, and how far under the main limiter's
    ceiling its own limiter sits (its encoder overshoots the peaks it is given by more than
    LAME does). The limiter scales: `offset` o and `headroom` h give the main chain's signal at
    gain g + o + h, attenuated by h; so its loudness follows from the main chain's slope
    (`slope`: LU per dB of gain, under 1 where the limiter works harder)."""

    offset: float
    headroom: float
    slope: float = 1.0

    @classmethod
    def first(cls, audio: Audio, slope: float) -> _LightLevel:
        """As loud as the main file (its encoder changes the level differently), from the
        slope the clean-up meter measured around the main gain."""
        headroom = encoders.LIGHT_HEADROOM_DB[audio.light]
        # its level against the main's
        wanted = encoders.LIGHT_DROP_DB[audio.light] - encoders.ENCODER_DROP_DB[audio.format]
        return cls(round((headroom + wanted) / slope - headroom, 3), headroom, slope)

    def corrected(self, audio: Audio, main: ffmpeg.Loudness, light: ffmpeg.Loudness) -> _LightLevel:
        """The level for another encode when the rendition strays from the main file's loudness
        or over the true-peak limit; itself when it does neither. Lowering the ceiling by d at
        the same offset takes (1 - slope) d of loudness, which the offset then gives back."""
        apart = main.integrated - light.integrated  # what the offset should add
        over = light.true_peak - audio.true_peak
        if abs(apart) <= LIGHT_CORRECT_LU and over <= 0:
            return self
        lower = over + LIGHT_PEAK_ROOM_DB if over > 0 else 0.0
        step = (apart + (1 - self.slope) * lower) / self.slope
        return _LightLevel(round(self.offset + step, 3), round(self.headroom + lower, 3), self.slope)


@dataclasses.dataclass(frozen=True)
class _Delivered:
    """What the encodes delivered: the main file's loudness, how many encodes it took and at
    which gain; the rendition's loudness and level."""

    final: ffmpeg.Loudness
    encodes: int
    gain: float
    light: ffmpeg.Loudness | None = None
    light_level: _LightLevel | None = None
    light_limiter: float = 0.0  # its limiter's ceiling, dBFS
    light_encodes: int = 0


def _rendition(audio: Audio, path: Path, measured: ffmpeg.Loudness) -> Rendition:
    """The rendition as delivered: its length read from the file (Opus's pre-skip and AAC's
    priming accounted, as players do), its loudness as its meter measured the packets."""
    return Rendition(audio.light, audio.light_kbps, round(ffmpeg.probe(path).duration, 3), measured.as_dict())


def _light_problems(audio: Audio, final: ffmpeg.Loudness, duration: float, light: Rendition) -> list[str]:
    name = f"the {audio.light} rendition"
    lufs = light.loudness.get("integrated_lufs")
    peak = light.loudness.get("true_peak_dbtp")
    problems = []
    if lufs is None or abs(lufs - final.integrated) > LIGHT_MATCH_LU:
        problems.append(f"{name} measures {lufs} LUFS, more than {LIGHT_MATCH_LU:g} LU from the main file")
    if peak is not None and peak > audio.true_peak:
        problems.append(f"{name}'s true peak {peak:.1f} dBTP is over the {audio.true_peak:g} dBTP limit")
    if abs(light.duration - duration) > LIGHT_MATCH_S:
        problems.append(f"{name} lasts {light.duration:.3f} s, the main file {duration:.3f} s")
    return problems


@contextlib.contextmanager
def _maybe_atomic(target: Path | None) -> Iterator[Path | None]:
    if target is None:
        yield None
        return
    with fsutil.atomic_path(target) as tmp:
        yield tmp


def loudness_report(
    audio: Audio,
    levels_measured: list[dict[str, object]],
    delivered: _Delivered,
    plan: Plan,
    duration: float,
    light: Rendition | None = None,
) -> dict[str, object]:
    final = delivered.final
    miss = final.integrated - audio.loudness
    over = final.true_peak - audio.true_peak if math.isfinite(final.true_peak) else -math.inf
    problems = []
    if abs(miss) > audio.tolerance:
        problems.append(
            f"integrated loudness {final.integrated:.1f} LUFS is {abs(miss):.1f} LU "
            f"{'above' if miss > 0 else 'below'} the {audio.loudness:g} LUFS target (±{audio.tolerance:g})"
        )
    if over > 0:
        problems.append(
            f"true peak {final.true_peak:.1f} dBTP is {over:.1f} dB above the {audio.true_peak:g} dBTP limit"
        )
    report: dict[str, object] = {
        "target": {
            "integrated_lufs": audio.loudness,
            "true_peak_dbtp": audio.true_peak,
            "tolerance_lu": audio.tolerance,
        },
        "source": {"integrated_lufs": plan.source_lufs},
        "analysis": plan.notes,
        "delivered": final.as_dict(),
        "gain_db": round(delivered.gain, 2),
        "level_passes": levels_measured,
        "encodes": delivered.encodes,
    }
    if light is not None:
        problems += _light_problems(audio, final, duration, light)
        shape = delivered.light_level
        report["light"] = {
            "codec": light.codec,
            "kbps": light.kbps,
            "duration": light.duration,
            **light.loudness,
            "encodes": delivered.light_encodes,
            **({"gain_offset_db": shape.offset, "limiter_dbfs": delivered.light_limiter} if shape else {}),
        }
    return {**report, "pass": not problems, "verdict": "; ".join(problems) if problems else "on target"}
