"""`podcast process`: join, edit, clean up, normalise and encode the recording; verify the result.

Design (measured on a 40-minute interview, see benchmarks/):
1. analyse (only when trimming or shortening pauses): decode + `silencedetect`, for the edit list;
2. prepare: one ffmpeg pass decodes the sources, applies the edit list (cuts with short
   crossfades), the clean-up chain, jingles and the music bed, measures EBU R128 loudness with
   `ebur128` and writes a 32-bit float intermediate;
3. level: linear gain, a gentle compressor and a lookahead limiter (auto-levelling off: never a
   pumping normaliser) are applied to the intermediate and measured without encoding; the gain
   is refined (secant method) until the processed level is on target;
4. deliver: one encode, whose packets are measured concurrently as they are written (ffmpeg's tee
   muxer), so the loudness report describes the *encoded* file. If the encoder moved the level by
   more than 0.2 LU the gain is corrected and the file encoded once more.
`loudnorm` is avoided: it works at 192 kHz internally and took ~4x longer for the same result.
Memory stays flat: every pass streams; nothing holds the whole recording.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .. import edits, ffmpeg, fsutil
from ..config import Audio
from ..errors import EpisodeError, LoudnessError, MediaError
from . import Context, Outcome

log = logging.getLogger("podcast.audio")

CLEANUP_PRESETS = {
    # 80 Hz high-pass (rumble, 50 Hz hum), notches on the hum's harmonics, gentle FFT denoise.
    "speech": "highpass=f=80,bandreject=f=100:width_type=q:width=30,"
    "bandreject=f=150:width_type=q:width=30,afftdn=nr=6:nf=-55",
    "none": "",
}
LIMITER_MARGIN_DB = 1.0  # sample-peak ceiling below the true-peak target: room for the encoder
LEVEL_PRECISION_LU = 0.15  # the float-path level search stops this close (ebur128 prints 0.1 LU steps)
# Level change through each encoder, measured here: libmp3lame lowers every signal (a 1 kHz sine
# as much as speech, at any bitrate) by 0.4 dB; ffmpeg's AAC encoder by nothing measurable. The
# level search aims this much above the target so the encoded file lands on it.
ENCODER_DROP_DB = {"mp3": 0.4, "m4a": 0.0}
CORRECT_ABOVE_LU = 0.2  # re-encode when the encoded file misses the target by more than this
MAX_LEVEL_ROUNDS = 3
FIRST_ROUND_SPREAD_DB = 3.0  # the second gain tried alongside the first, to learn the slope
MAX_ENCODES = 3
SILENCE_MIN = 0.5  # seconds: shorter gaps are not silences
DUCK_KEY_LUFS = -20.0  # the level the ducker's detector hears speech at
DUCK_THRESHOLD = 0.03  # about -30 dBFS: speech keyed at -20 LUFS is well above, room tone well below


@dataclasses.dataclass(frozen=True)
class Plan:
    sources: list[Path]
    edl: edits.EditList
    intro: Path | None
    outro: Path | None
    bed: Path | None
    source_lufs: float | None  # from the analysis pass, when one ran


class ProcessStage:
    name = "process"
    version = 2

    def inputs(self, ctx: Context) -> object:
        ep = ctx.episode
        sources = ep.require_sources()
        if ep.as_is:
            return {"as-is": ctx.state.file_hash(sources[0])}
        intro, outro, bed = self._jingles(ctx)
        return {
            "sources": [ctx.state.file_hash(p) for p in sources],
            "audio": dataclasses.asdict(ctx.config.audio),
            "edit": dataclasses.asdict(ep.meta.edit),
            "files": [ctx.state.file_hash(p) if p else None for p in (intro, outro, bed)],
        }

    def plan(self, ctx: Context) -> list[str]:
        if ctx.episode.as_is:
            source = ctx.episode.require_sources()[0]
            probe = ffmpeg.probe(source)
            return [f"as it is: {source.name} ({probe.codec}, {probe.duration:.1f} s) published byte for byte"]
        plan = self._plan(ctx)
        audio = ctx.config.audio
        layout = "mono" if audio.channels == 1 else "stereo"
        codec = (
            f"MP3 {audio.sample_rate} Hz {layout} {audio.kbps} kbps CBR"
            if audio.format == "mp3"
            else f"AAC (M4A) {audio.sample_rate} Hz {layout} {audio.kbps} kbps"
        )
        return [
            *plan.edl.describe(),
            *([f"music bed: {plan.bed.name} at {audio.bed_level:g} dB, ducked under speech"] if plan.bed else []),
            f"clean-up: {audio.cleanup}; loudness {audio.loudness:g} LUFS, true peak ≤ {audio.true_peak:g} dBTP",
            f"encode: {codec}",
        ]

    def run(self, ctx: Context) -> Outcome:
        if ctx.episode.as_is:
            return self._as_is(ctx)
        ep, audio = ctx.episode, ctx.config.audio
        plan = self._plan(ctx)
        ep.build.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=".process-", dir=ep.build) as tmp:
            intermediate = Path(tmp) / "prepared.wav"
            measured = self._prepare(ctx, plan, intermediate)
            if measured.silent:
                raise MediaError("the recording is silent: its loudness is undefined, nothing to normalise")
            gain, ceiling, levels = self._level(ctx, intermediate, measured)
            with fsutil.atomic_path(ep.processed_audio) as out:
                final, encodes, gain = self._deliver(ctx, intermediate, out, gain, ceiling, plan.edl.duration)
                probe = ffmpeg.probe(out)
                report = loudness_report(audio, measured, final, gain, encodes, levels)
                fsutil.write_text(ep.loudness_report, json.dumps(report, indent=2) + "\n")
                if not report["pass"]:
                    raise LoudnessError(str(report["verdict"]))  # the report stays; the audio does not
                fsutil.write_text(ep.edit_list_path, plan.edl.to_json())
        return Outcome(
            outputs=[ep.processed_audio, ep.edit_list_path],
            info={"duration": round(probe.duration, 3), "loudness": report["delivered"]},
            message=f"{probe.duration:.1f} s, {final.integrated:.1f} LUFS, {final.true_peak:.1f} dBTP",
        )

    def _as_is(self, ctx: Context) -> Outcome:
        """An episode published as it is (imported): the same bytes, measured but not changed,
        so apps that already downloaded it see nothing new."""
        ep = ctx.episode
        source = ep.require_sources()[0]
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
            outputs=[ep.processed_audio, ep.edit_list_path],
            info={"duration": round(probe.duration, 3), "loudness": measured.as_dict()},
            message=f"as it is: {probe.duration:.1f} s, {measured.integrated:.1f} LUFS (not changed)",
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

    def _plan(self, ctx: Context) -> Plan:
        sources = ctx.episode.require_sources()
        probes = [ffmpeg.probe(p) for p in sources]
        total = sum(p.duration for p in probes)
        intro, outro, bed = self._jingles(ctx)
        audio, edit = ctx.config.audio, ctx.episode.meta.edit
        trim = audio.trim_silence if edit.trim_silence is None else edit.trim_silence
        pause_max = audio.pause_max if edit.pause_max is None else edit.pause_max
        auto: list[edits.Cut] = []
        source_lufs = None
        if trim or pause_max > 0 or bed:
            found, source_lufs = self._analyse(ctx, sources, total)
            auto = edits.silence_cuts(found, total, trim=trim, pause_max=pause_max, pause_target=audio.pause_target)
        jingles = []
        for path in (intro, outro):
            jingles.append(edits.Jingle(path.name, _jingle_length(path), audio.jingle_overlap) if path else None)
        edl = edits.build(ctx.episode.meta.edit.cuts, total, auto_cuts=auto, intro=jingles[0], outro=jingles[1])
        return Plan(sources, edl, intro, outro, bed, source_lufs)

    def _analyse(self, ctx: Context, sources: list[Path], total: float) -> tuple[list[tuple[float, float]], float]:
        """Silences (for trimming and pauses) and the source's loudness (to key the bed's ducking)."""
        threshold = ctx.config.audio.silence_threshold
        graph = _join_graph(len(sources), "aformat=sample_fmts=fltp:channel_layouts=mono") + (
            f";[src]highpass=f=80,silencedetect=n={threshold}dB:d={SILENCE_MIN},{ffmpeg.EBUR128_FAST}[out]"
        )
        bar = ctx.progress("analyse", total)
        try:
            stderr = ffmpeg.render(list(sources), graph, "-", ["-f", "null"], on_progress=bar.update)
        finally:
            bar.close()
        return ffmpeg.parse_silencedetect(stderr, total), ffmpeg.parse_ebur128(stderr).integrated

    # -- passes ---------------------------------------------------------------------------
    def _prepare(self, ctx: Context, plan: Plan, intermediate: Path) -> ffmpeg.Loudness:
        inputs: list[ffmpeg.Input] = list(plan.sources)
        extra = {}
        for key, path in (("intro", plan.intro), ("outro", plan.outro), ("bed", plan.bed)):
            if path is not None:
                extra[key] = len(inputs)
                inputs.append((path, ["-stream_loop", "-1"]) if key == "bed" else path)
        bar = ctx.progress("prepare", plan.edl.duration)
        try:
            graph = prepare_graph(len(plan.sources), plan.edl, ctx.config.audio, extra, plan.source_lufs)
            stderr = ffmpeg.render(inputs, graph, intermediate, ["-c:a", "pcm_f32le"], on_progress=bar.update)
        finally:
            bar.close()
        return ffmpeg.parse_ebur128(stderr)

    def _level(
        self, ctx: Context, intermediate: Path, measured: ffmpeg.Loudness
    ) -> tuple[float, float, list[dict[str, float]]]:
        """Find the gain that puts the processed (compressed, limited) audio on target,
        measuring on the float intermediate: cheaper than encoding to find out. The first
        round measures two gains at once (one per core) so the compressor's slope is known
        from the start; later rounds refine with the secant method."""
        audio = ctx.config.audio
        aim = audio.loudness + ENCODER_DROP_DB[audio.format]
        first = aim - measured.integrated
        ceiling = audio.true_peak - LIMITER_MARGIN_DB
        history: list[tuple[float, float]] = []
        candidates = [first, first + FIRST_ROUND_SPREAD_DB]
        for _ in range(MAX_LEVEL_ROUNDS):
            with ThreadPoolExecutor(max_workers=len(candidates)) as pool:
                levels = list(pool.map(lambda g: self._level_at(intermediate, g, ceiling, audio.loudness), candidates))
            history += zip(candidates, levels, strict=True)
            for gain, level in zip(candidates, levels, strict=True):
                log.info("level: gain %+.2f dB → %.2f LUFS before encoding", gain, level)
            best = min(history, key=lambda h: abs(aim - h[1]))
            if abs(aim - best[1]) <= LEVEL_PRECISION_LU:
                break
            candidates = [best[0] + (aim - best[1]) / _slope(history, best)]
        best = min(history, key=lambda h: abs(aim - h[1]))
        return best[0], ceiling, [{"gain_db": round(g, 2), "lufs": round(v, 2)} for g, v in history]

    @staticmethod
    def _level_at(intermediate: Path, gain: float, ceiling: float, target: float) -> float:
        graph = deliver_graph(gain, ceiling, target).replace("[out]", f",{ffmpeg.EBUR128_FAST}[out]")
        return ffmpeg.parse_ebur128(ffmpeg.render([intermediate], graph, "-", ["-f", "null"])).integrated

    def _deliver(
        self, ctx: Context, intermediate: Path, out: Path, gain: float, ceiling: float, duration: float
    ) -> tuple[ffmpeg.Loudness, int, float]:
        audio = ctx.config.audio
        final = ffmpeg.Loudness(-math.inf, 0.0, -math.inf)
        encode = 0
        for encode in range(1, MAX_ENCODES + 1):
            bar = ctx.progress("encode" if encode == 1 else "re-encode", duration)
            try:
                final = ffmpeg.encode_and_measure(
                    [intermediate],
                    deliver_graph(gain, ceiling, audio.loudness),
                    out,
                    codec_args(audio),
                    *muxers(audio),
                    on_progress=bar.update,
                )
            finally:
                bar.close()
            miss = audio.loudness - final.integrated
            over = final.true_peak - audio.true_peak
            log.info("encode %d: gain %+.2f dB → %.2f LUFS, %.2f dBTP", encode, gain, final.integrated, final.true_peak)
            if abs(miss) <= CORRECT_ABOVE_LU and over <= 0:
                break
            gain += miss
            if over > 0:
                ceiling -= over + 0.2
        return final, encode, gain


def _slope(history: list[tuple[float, float]], best: tuple[float, float]) -> float:
    """dLUFS/dGain near `best`, from the closest other measurement; compression makes it < 1."""
    others = [h for h in history if abs(h[0] - best[0]) >= 0.05]
    if not others:
        return 1.0
    g1, l1 = min(others, key=lambda h: abs(h[0] - best[0]))
    return min(1.0, max(0.3, (best[1] - l1) / (best[0] - g1)))


def _jingle_length(path: Path) -> float:
    try:
        return ffmpeg.probe(path).duration
    except MediaError as exc:
        raise EpisodeError(f"jingle {path.name}: {exc}") from None


def cleanup_chain(audio: Audio) -> str:
    return audio.filters if audio.cleanup == "custom" else CLEANUP_PRESETS[audio.cleanup]


def working_format(audio: Audio) -> str:
    layout = "mono" if audio.channels == 1 else "stereo"
    return f"aformat=sample_fmts=fltp:sample_rates={audio.sample_rate}:channel_layouts={layout}"


def _join_graph(n_sources: int, fmt: str) -> str:
    parts = [f"[{i}:a:0]{fmt}[in{i}]" for i in range(n_sources)]
    if n_sources > 1:
        parts.append("".join(f"[in{i}]" for i in range(n_sources)) + f"concat=n={n_sources}:v=0:a=1[src]")
    else:
        parts.append("[in0]anull[src]")
    return ";".join(parts)


def _edit_graph(edl: edits.EditList) -> list[str]:
    segs = edl.kept
    if len(segs) == 1 and segs[0].src_start == 0 and segs[0].src_end >= edl.source_duration:
        return ["[src]anull[edited]"]
    parts = []
    if len(segs) > 1:
        parts.append(f"[src]asplit={len(segs)}" + "".join(f"[p{i}]" for i in range(len(segs))))
    else:
        parts.append("[src]anull[p0]")
    for i, seg in enumerate(segs):
        parts.append(f"[p{i}]atrim=start={seg.src_start:.6f}:end={seg.src_end:.6f},asetpts=PTS-STARTPTS[k{i}]")
    current = "k0"
    for i in range(1, len(segs)):
        parts.append(f"[{current}][k{i}]acrossfade=d={edl.crossfade}:c1=tri:c2=tri[x{i}]")
        current = f"x{i}"
    parts.append(f"[{current}]anull[edited]")
    return parts


def prepare_graph(
    n_sources: int,
    edl: edits.EditList,
    audio: Audio,
    extra: dict[str, int] | None = None,
    source_lufs: float | None = None,
) -> str:
    """Sources → working format → kept segments, crossfaded → clean-up → bed → jingles → measure."""
    extra = extra or {}
    fmt = working_format(audio)
    parts = [_join_graph(n_sources, fmt), *_edit_graph(edl)]
    parts.append(f"[edited]{cleanup_chain(audio) or 'anull'}[voice]")
    current = "voice"
    if "bed" in extra:
        speech = edl.speech_duration
        parts += [
            "[voice]asplit=2[v1][v2]",
            f"[{extra['bed']}:a:0]{fmt},atrim=duration={speech:.6f},volume={audio.bed_level}dB[bed]",
            f"[bed][v2]sidechaincompress=threshold={DUCK_THRESHOLD}:ratio=8:attack=30:release=600"
            f":level_sc={_sidechain_gain(source_lufs):.4f}[ducked]",
            "[v1][ducked]amix=inputs=2:duration=first:normalize=0[bedded]",
        ]
        current = "bedded"
    for key, jingle in (("intro", edl.intro), ("outro", edl.outro)):
        if key in extra and jingle is not None:
            pair = f"[{key}][{current}]" if key == "intro" else f"[{current}][{key}]"
            parts += [
                f"[{extra[key]}:a:0]{fmt}[{key}]",
                f"{pair}acrossfade=d={jingle.overlap}:c1=tri:c2=tri[with{key}]",
            ]
            current = f"with{key}"
    parts.append(f"[{current}]{ffmpeg.EBUR128_FAST}[out]")
    return ";".join(parts)


def _sidechain_gain(source_lufs: float | None) -> float:
    """Gain that brings the (not yet normalised) speech to DUCK_KEY_LUFS for the ducker's
    detector, so ducking works the same for a quiet or a hot recording."""
    if source_lufs is None or not math.isfinite(source_lufs) or source_lufs <= -69:
        return 1.0
    return min(64.0, max(1 / 64, 10 ** ((DUCK_KEY_LUFS - source_lufs) / 20)))


def deliver_graph(gain_db: float, ceiling_db: float, target_lufs: float) -> str:
    """Linear gain, then a gentle 2:1 compressor on peaks well above the speech level
    (threshold 6 dB over the target), then a lookahead limiter at the ceiling with its
    auto-levelling off, so nothing "pumps" the level behind the producer's back."""
    limit = min(1.0, max(0.0625, 10 ** (ceiling_db / 20)))
    threshold = min(1.0, 10 ** ((target_lufs + 6) / 20))
    return (
        f"[0:a]volume={gain_db:.3f}dB,"
        f"acompressor=threshold={threshold:.5f}:ratio=2:attack=10:release=200:knee=4,"
        f"alimiter=limit={limit:.5f}:attack=5:release=50:level=disabled:latency=1[out]"
    )


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


def loudness_report(
    audio: Audio,
    measured: ffmpeg.Loudness,
    final: ffmpeg.Loudness,
    gain: float,
    encodes: int,
    levels: list[dict[str, float]],
) -> dict[str, object]:
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
    return {
        "target": {
            "integrated_lufs": audio.loudness,
            "true_peak_dbtp": audio.true_peak,
            "tolerance_lu": audio.tolerance,
        },
        "source": measured.as_dict(),
        "delivered": final.as_dict(),
        "gain_db": round(gain, 2),
        "level_passes": levels,
        "encodes": encodes,
        "pass": not problems,
        "verdict": "; ".join(problems) if problems else "on target",
    }
