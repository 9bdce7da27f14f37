"""ffmpeg filter graphs, the one home of them (pure: settings in, graph text out): the process
stage's, the analysis stream's, and the audiogram `podcast quote --clip` renders.

The recording is cleaned in *pieces* that ffmpeg processes in parallel, one per core: the two
halves of a long recording (overlapping by a second, crossfaded when they are joined again:
the clean-up chain is time-invariant, so both sides agree), or one piece per microphone in a
multitrack episode (mixed when assembled). Every later pass assembles the pieces, applies the
edit list, the music bed and the jingles on the fly, then measures (the level search, at 16 kHz)
or delivers (gain, compressor, limiter, encoder).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from podcast.domain import edits
from podcast.project.config import Audio

CLEANUP_PRESETS = {
    # 80 Hz high-pass (rumble, 50 Hz hum), notches on the hum's harmonics, gentle FFT denoise
    # with a fixed noise floor (no tracking: the same result whatever the piece boundaries).
    "speech": "highpass=f=80,bandreject=f=100:width_type=q:width=30,"
    "bandreject=f=150:width_type=q:width=30,afftdn=nr=6:nf=-55",
    "none": "",
}
# A gentle leveler for one-microphone recordings: a 15-second Gaussian window, at most +18 dB,
# so distance and speakers even out over sentences without pumping within them.
LEVELER = "dynaudnorm=framelen=500:gausssize=31:peak=0.95:maxgain=8:targetrms=0.1:coupling=1"
LEVELER_LUFS = -22.5  # about where the leveler puts speech (measured on the shared French speech)
LEVELER_MAX_GAIN_DB = 18.0  # its maxgain, a factor of 8
COMPRESS_ABOVE_DB = 6.0
GATE_RANGE = 0.1  # a multitrack gate lets the other speakers' bleed through at -20 dB, not silence
DUCK_KEY_LUFS = -20.0  # the level the ducker's detector hears speech at
DUCK_THRESHOLD = 0.03  # about -30 dBFS: speech keyed at -20 LUFS is well above, room tone well below
ASR_RATE = 16000  # what Whisper hears: 16 kHz mono
ASR_FORMAT = f"aresample={ASR_RATE},aformat=sample_fmts=flt:channel_layouts=mono"
OPUS_RATE = 48000  # what the lighter Opus rendition is made at: Opus's own rate
EBUR128_FAST = "ebur128=framelog=verbose"  # no true-peak oversampling: 4x cheaper
MOMENTARY = "ebur128=framelog=info"  # logs each 400 ms block's loudness (ffmpeg.MomentaryLog)
MOMENTARY_WINDOW = 0.4  # seconds: the block each logged value measures, ending at its time


@dataclass(frozen=True)
class Piece:
    """Where a cleaned piece sits: in the recording's timeline for the halves (start, end),
    at its offset for a track."""

    start: float
    end: float
    offset: float = 0.0  # a track's delay to align it with the first


def cleanup_chain(audio: Audio, leveler: bool) -> str:
    chain = audio.filters if audio.cleanup == "custom" else CLEANUP_PRESETS[audio.cleanup]
    return ",".join(part for part in (chain, LEVELER if leveler else "") if part)


def leveled(speech_lufs: float) -> float:
    """The speech's level after the leveler, which raises it at most LEVELER_MAX_GAIN_DB."""
    return min(speech_lufs + LEVELER_MAX_GAIN_DB, LEVELER_LUFS)


def compressor(speech_lufs: float) -> str:
    """A gentle 2:1 compressor on what rises well above the speech (COMPRESS_ABOVE_DB over its
    level, measured before any gain): set by the speech itself, so it does the same whatever
    gain the level search then chooses, and the loudness is linear in that gain."""
    threshold = min(1.0, max(0.001, 10 ** ((speech_lufs + COMPRESS_ABOVE_DB) / 20)))
    return f"acompressor=threshold={threshold:.5f}:ratio=2:attack=10:release=200:knee=4"


def working_format(audio: Audio, rate: int | None = None) -> str:
    layout = "mono" if audio.channels == 1 else "stereo"
    return f"aformat=sample_fmts=fltp:sample_rates={rate or audio.sample_rate}:channel_layouts={layout}"


@dataclass(frozen=True)
class Balance:
    """A stereo source with one voice per channel: each voice compressed on its own channel
    (relative to its own level, so a quiet voice is treated like a loud one) before its gain,
    then both in the middle (a voice in one ear only is no way to listen)."""

    gains: tuple[float, float]  # dB on the left and right channels, after their compressors
    levels: tuple[float, float]  # each voice's level on its own channel (LUFS, approx.)


def _source_chains(audio: Audio, index: int, balance: Balance | None, speech_lufs: float, leveler: bool) -> list[str]:
    """Source `index` in the working format, balanced and compressed ([in{index}]), and plain,
    balanced but not compressed, mono for Whisper ([asrin{index}])."""
    mono_pan = "pan=mono|c0=0.5*c0+0.5*c1"
    if balance is None:
        # Without a leveler the compressor comes here, on the speech as recorded; with one, after it.
        compress = "" if leveler else f",{compressor(speech_lufs)}"
        return [
            f"[{index}:a:0]asplit=2[s{index}a][s{index}b]",
            f"[s{index}a]{working_format(audio)}{compress}[in{index}]",
            f"[s{index}b]{ASR_FORMAT}[asrin{index}]",
        ]
    left, right = (0.5 * 10 ** (g / 20) for g in balance.gains)
    out_pan = mono_pan if audio.channels == 1 else "pan=stereo|c0=0.5*c0+0.5*c1|c1=0.5*c0+0.5*c1"
    chains = [f"[s{index}l]", f"[s{index}r]"]
    if not leveler:
        chains = [f"[s{index}l]{compressor(balance.levels[0])},", f"[s{index}r]{compressor(balance.levels[1])},"]
    return [
        f"[{index}:a:0]aformat=channel_layouts=stereo,asplit=2[s{index}a][s{index}b]",
        f"[s{index}a]channelsplit=channel_layout=stereo[s{index}l][s{index}r]",
        f"{chains[0]}volume={balance.gains[0]:.2f}dB[v{index}l]",
        f"{chains[1]}volume={balance.gains[1]:.2f}dB[v{index}r]",
        f"[v{index}l][v{index}r]join=inputs=2:channel_layout=stereo,{out_pan},{working_format(audio)}[in{index}]",
        f"[s{index}b]pan=mono|c0={left:.5f}*c0+{right:.5f}*c1,{ASR_FORMAT}[asrin{index}]",
    ]


@dataclass(frozen=True)
class Meter:
    """Loudness meters on a cleaned piece, through the gain and limiter at each of `gains`,
    logging their momentary loudness ([meter0], [meter1], ...), so the level of any edit of
    the programme can be computed without another pass."""

    gains: tuple[float, ...]
    ceiling: float

    @property
    def labels(self) -> list[str]:
        return [f"meter{i}" for i in range(len(self.gains))]

    def branches(self, source: str) -> list[str]:
        if len(self.gains) == 1:
            return [f"[{source}]{dynamics(self.gains[0], self.ceiling)},{MOMENTARY}[meter0]"]
        parts = [f"[{source}]asplit={len(self.gains)}" + "".join(f"[mi{i}]" for i in range(len(self.gains)))]
        for i, gain in enumerate(self.gains):
            parts.append(f"[mi{i}]{dynamics(gain, self.ceiling)},{MOMENTARY}[meter{i}]")
        return parts


def half_graph(
    audio: Audio,
    piece: Piece | None,
    balance: Sequence[Balance | None],
    leveler: bool,
    speech_lufs: float,
    meter: Meter | None = None,
) -> str:
    """One half of a recording: the sources (one per item of `balance`) joined, balanced,
    compressed, cut to the piece (None: the input was cut already), cleaned ([out], and its
    `meter`); and the same span balanced but unprocessed, mono at 16 kHz, for Whisper ([raw])."""
    count = len(balance)
    parts = [part for i in range(count) for part in _source_chains(audio, i, balance[i], speech_lufs, leveler)]
    for kind, label in (("in", "src"), ("asrin", "asrsrc")):
        joined = "".join(f"[{kind}{i}]" for i in range(count))
        parts.append(f"{joined}concat=n={count}:v=0:a=1[{label}]" if count > 1 else f"[{kind}0]anull[{label}]")
    trim = f"atrim=start={piece.start:.6f}:end={piece.end:.6f},asetpts=PTS-STARTPTS," if piece else ""
    clean = ",".join(p for p in (cleanup_chain(audio, leveler), compressor(speech_lufs) if leveler else "") if p)
    clean = f"{trim}{clean or 'anull'}"
    if meter is None:
        parts.append(f"[src]{clean}[out]")
    else:
        parts += [f"[src]{clean},asplit=2[out][metered]", *meter.branches("metered")]
    parts.append(f"[asrsrc]{trim}aformat=sample_fmts=s16[raw]")
    return ";".join(parts)


def jingle_meter_graph(audio: Audio, meter: Meter) -> str:
    """A jingle in the working format through the gain and limiter, metered."""
    return ";".join([f"[0:a:0]{working_format(audio)}[jingle]", *meter.branches("jingle")])


def track_graph(audio: Audio, piece: Piece, gain_db: float, speech_db: float) -> str:
    """One microphone's track: aligned, cleaned, levelled to the others, and gated so it is
    quiet while its speaker is (the other voices reach every microphone) ([out]); and aligned
    but unprocessed for Whisper ([raw])."""
    fmt = working_format(audio).replace("channel_layouts=stereo", "channel_layouts=mono")
    align = f"adelay={piece.offset * 1000:.1f}:all=1," if piece.offset > 0 else ""
    if piece.offset < 0:
        align = f"atrim=start={-piece.offset:.6f},asetpts=PTS-STARTPTS,"
    threshold = min(1.0, max(1e-4, 10 ** ((speech_db + gain_db - 18) / 20)))
    gate = f"agate=threshold={threshold:.6f}:range={GATE_RANGE}:ratio=4:attack=5:release=300:knee=4"
    clean = cleanup_chain(audio, False)
    chain = ",".join(p for p in (clean, f"volume={gain_db:.2f}dB", gate, compressor(speech_db + gain_db)) if p)
    return ";".join(
        [
            f"[0:a:0]{fmt},{align}asplit=2[track][forasr]",
            f"[track]{chain}[out]",
            f"[forasr]{ASR_FORMAT},aformat=sample_fmts=s16[raw]",
        ]
    )


def assemble(count: int, mode: str, overlap: float, label: str = "src", prefix: str = "") -> list[str]:
    """The pieces (inputs 0..count-1) back as one signal [label]: joined with a crossfade over
    their overlap, or mixed (tracks)."""
    if count == 1:
        return [f"[0:a]anull[{label}]"]
    if mode == "mix":
        inputs = "".join(f"[{i}:a]" for i in range(count))
        return [f"{inputs}amix=inputs={count}:normalize=0:duration=longest[{label}]"]
    parts, current = [], "0:a"
    for i in range(1, count):
        out = label if i == count - 1 else f"{prefix}j{i}"
        parts.append(f"[{current}][{i}:a]acrossfade=d={2 * overlap:.6f}:c1=tri:c2=tri[{out}]")
        current = out
    return parts


def edit_graph(edl: edits.EditList, source: str, out: str, prefix: str = "") -> list[str]:
    """The kept ranges of [source], crossfaded at each splice, as [out]."""
    kept = edl.kept
    if len(kept) == 1 and kept[0].src_start == 0 and kept[0].src_end >= edl.source_duration:
        return [f"[{source}]anull[{out}]"]
    parts = []
    if len(kept) > 1:
        parts.append(f"[{source}]asplit={len(kept)}" + "".join(f"[{prefix}p{i}]" for i in range(len(kept))))
    else:
        parts.append(f"[{source}]anull[{prefix}p0]")
    for i, k in enumerate(kept):
        parts.append(
            f"[{prefix}p{i}]atrim=start={k.src_start:.6f}:end={k.src_end:.6f},asetpts=PTS-STARTPTS[{prefix}k{i}]"
        )
    current = f"{prefix}k0"
    for i in range(1, len(kept)):
        parts.append(f"[{current}][{prefix}k{i}]acrossfade=d={edl.crossfade}:c1=tri:c2=tri[{prefix}x{i}]")
        current = f"{prefix}x{i}"
    parts.append(f"[{current}]anull[{out}]")
    return parts


@dataclass(frozen=True)
class Program:
    """What every later pass builds on: the assembled, edited programme with its bed and jingles."""

    pieces: int
    mode: str  # "join" | "mix"
    overlap: float
    edl: edits.EditList
    extra: dict[str, int]  # "intro"/"outro"/"bed" → input index (after the pieces)
    speech_lufs: float  # the speech's level in the pieces (keys the music bed's ducking)


def program_graph(program: Program, audio: Audio, rate: int | None = None) -> list[str]:
    """Pieces → assembled → edited → bed → jingles, as [program], at `rate` (the working rate by default)."""
    fmt = working_format(audio, rate)
    resample = f"aresample={rate}," if rate else ""
    parts = [f"[{i}:a:0]{resample}{fmt}[piece{i}]" for i in range(program.pieces)]
    assembled = assemble(program.pieces, program.mode, program.overlap)
    assembled = [re.sub(r"\[(\d+):a\]", lambda m: f"[piece{m.group(1)}]", part) for part in assembled]
    parts += assembled
    parts += edit_graph(program.edl, "src", "voice")
    current = "voice"
    extra = program.extra
    if "bed" in extra:
        parts += [
            "[voice]asplit=2[v1][v2]",
            f"[{extra['bed']}:a:0]{fmt},atrim=duration={program.edl.speech_duration:.6f},volume={audio.bed_level}dB[bed]",
            f"[bed][v2]sidechaincompress=threshold={DUCK_THRESHOLD}:ratio=8:attack=30:release=600"
            f":level_sc={sidechain_gain(program.speech_lufs):.4f}[ducked]",
            "[v1][ducked]amix=inputs=2:duration=first:normalize=0[bedded]",
        ]
        current = "bedded"
    for key, jingle in (("intro", program.edl.intro), ("outro", program.edl.outro)):
        if key in extra and jingle is not None:
            pair = f"[{key}][{current}]" if key == "intro" else f"[{current}][{key}]"
            parts += [
                f"[{extra[key]}:a:0]{fmt}[{key}]",
                f"{pair}acrossfade=d={jingle.overlap}:c1=tri:c2=tri[with{key}]",
            ]
            current = f"with{key}"
    parts.append(f"[{current}]anull[program]")
    return parts


def sidechain_gain(speech_lufs: float | None) -> float:
    """Gain that brings the (not yet normalised) speech to DUCK_KEY_LUFS for the ducker's
    detector, so ducking works the same for a quiet or a hot recording."""
    if speech_lufs is None or not math.isfinite(speech_lufs) or speech_lufs <= -69:
        return 1.0
    return min(64.0, max(1 / 64, 10 ** ((DUCK_KEY_LUFS - speech_lufs) / 20)))


def dynamics(gain_db: float, ceiling_db: float) -> str:
    """Linear gain, then a lookahead limiter at the ceiling with its auto-levelling off, so
    nothing "pumps" the level behind the producer's back (the compressor came before, in the
    clean-up: see `compressor`)."""
    return f"volume={gain_db:.3f}dB,{limiter(ceiling_db)}"


def limiter(ceiling_db: float) -> str:
    limit = min(1.0, max(0.0625, 10 ** (ceiling_db / 20)))
    return f"alimiter=limit={limit:.5f}:attack=5:release=50:level=disabled:latency=1"


def level_graph(program: Program, audio: Audio, gain: float, ceiling: float) -> str:
    """The whole programme through the gain and limiter at `gain`, measured ([level]) at the
    working rate: the limiter's effect on the level depends on the peaks a lower rate loses."""
    parts = program_graph(program, audio)
    parts.append(f"[program]{dynamics(gain, ceiling)},{EBUR128_FAST}[level]")
    return ";".join(parts)


def delivery_graph(
    program: Program, audio: Audio, gain: float, ceiling: float, light: tuple[float, float] | None, *, main: bool = True
) -> str:
    """The programme through the gain and limiter as [out]; with `light` (offset dB, headroom
    dB), the same gained signal through the rendition's offset and its own limiter, `headroom`
    under the main one, as [light] (only that one when not `main`)."""
    parts = program_graph(program, audio)
    if light is None:
        return ";".join([*parts, f"[program]{dynamics(gain, ceiling)}[out]"])
    offset, headroom = light
    lighter = f"volume={offset:.3f}dB,{limiter(ceiling - headroom)}"
    if audio.light == "opus" and audio.sample_rate != OPUS_RATE:
        lighter += f",aresample={OPUS_RATE}"  # Opus's own rate: its encoder would resample anyway
    if not main:
        return ";".join([*parts, f"[program]volume={gain:.3f}dB,{lighter}[light]"])
    return ";".join(
        [
            *parts,
            f"[program]volume={gain:.3f}dB,asplit=2[main][forlight]",
            f"[main]{limiter(ceiling)}[out]",
            f"[forlight]{lighter}[light]",
        ]
    )


def asr_graph(program: Program, count: int, first_input: int, mode: str) -> tuple[str, list[str]]:
    """The raw 16 kHz pieces (inputs first_input..) assembled and edited, unprocessed, for
    Whisper: one output for a joined recording, one per track for a multitrack one."""
    parts = []
    outputs = []
    inputs = [f"[{first_input + i}:a:0]" for i in range(count)]
    if mode == "mix":
        for i, source in enumerate(inputs):
            parts.append(f"{source}anull[asrin{i}]")
            parts += edit_graph(program.edl, f"asrin{i}", f"asr{i}", prefix=f"a{i}")
            outputs.append(f"asr{i}")
        return ";".join(parts), outputs
    if count == 1:
        parts.append(f"{inputs[0]}anull[asrsrc]")
    else:
        current = inputs[0]
        for i in range(1, count):
            out = "asrsrc" if i == count - 1 else f"asrj{i}"
            parts.append(f"{current}{inputs[i]}acrossfade=d={2 * program.overlap:.6f}:c1=tri:c2=tri[{out}]")
            current = f"[{out}]"
    parts += edit_graph(program.edl, "asrsrc", "asr0", prefix="a")
    return ";".join(parts), ["asr0"]


def filter_index(graph: str, name: str) -> list[int]:
    """The numbers ffmpeg gives the filters called `name` (Parsed_NAME_N): filters are numbered
    in the order they appear in the graph."""
    found = []
    number = 0
    for chain in graph.split(";"):
        for item in re.sub(r"\[[^\]]*\]", "", chain).split(","):
            filter_name = item.split("=", 1)[0].strip()
            if filter_name == name:
                found.append(number)
            number += 1
    return found


ANALYSIS_RATE = 8000
# BS.1770's K-weighting, closely enough for speech at 8 kHz: its high-pass and its +4 dB shelf.
K_WEIGHTING = "highpass=f=38:poles=2,highshelf=f=1500:g=4:t=q:w=0.707"


def energies_graph(channels: int, resampler: str) -> str:
    """The analysis stream of a recording at 8 kHz: the 80 Hz high-passed mono downmix
    (silences), each channel K-weighted, and (stereo) the downmix K-weighted (loudness),
    interleaved as one multichannel output [out]."""
    layout = "stereo" if channels == 2 else "mono"
    mono = "pan=mono|c0=0.5*c0+0.5*c1," if channels == 2 else ""
    parts = [
        f"[0:a:0]aresample={ANALYSIS_RATE}{resampler},aformat=sample_fmts=flt:channel_layouts={layout},asplit=3[a][b][c]",
        f"[a]{mono}highpass=f=80,aformat=channel_layouts=mono[m]",
        f"[b]{K_WEIGHTING},aformat=channel_layouts={layout}[k]",
    ]
    # `join` with an explicit map: `amerge` would reorder the channels by layout (FL FR FC).
    if channels == 2:
        parts.append(f"[c]{mono}{K_WEIGHTING},aformat=channel_layouts=mono[d]")
        parts.append("[m][k][d]join=inputs=3:channel_layout=4.0:map=0.0-FL|1.0-FR|1.1-FC|2.0-BC[out]")
    else:
        parts.append("[c]anullsink")
        parts.append("[m][k]join=inputs=2:channel_layout=stereo:map=0.0-FL|1.0-FR[out]")
    return ";".join(parts)


# -- Audiograms (`podcast quote --clip`) ------------------------------------------------------------
# A square video for social networks: the cover whole, above the captions, above the waveform.
# Nothing is drawn over the cover, so its own text (a show's title) is never covered.
AUDIOGRAM_SIZE = 1080
AUDIOGRAM_COVER = 560  # the cover's side, centred at the top
AUDIOGRAM_TOP = 40
AUDIOGRAM_BACKGROUND = "0x111318"
AUDIOGRAM_WAVE = (880, 160)  # the waveform's top and height
# Captions: libass lays out SubRip on a 288-unit-high canvas (3.75 px a unit here): bottom-aligned
# at 860 px, 45 px type, so two lines of 65 characters (wrapped to four at most) stay between the
# cover and the waveform.
AUDIOGRAM_CAPTION_STYLE = (
    "FontName=DejaVu Sans,FontSize=12,PrimaryColour=&H00FFFFFF,OutlineColour=&H80000000,BorderStyle=3,"
    "Outline=2,Alignment=2,MarginV=59,MarginL=16,MarginR=16"
)


def clip_audio(duration: float) -> str:
    """An excerpt of `duration` seconds from input 0, faded in and out ([out])."""
    fade = min(0.5, duration / 4)
    return f"[0:a]afade=t=in:d={fade:g},afade=t=out:st={duration - fade:.3f}:d={fade:g}[out]"


def audiogram_graph(captions: Path) -> str:
    """Input 0 the cover (looped), input 1 the excerpt; `captions` a SubRip file ([out])."""
    size, cover, (wave_top, wave_height) = AUDIOGRAM_SIZE, AUDIOGRAM_COVER, AUDIOGRAM_WAVE
    left = (size - cover) // 2
    return (
        f"[0:v]scale={cover}:{cover},setsar=1,"
        f"pad={size}:{size}:{left}:{AUDIOGRAM_TOP}:color={AUDIOGRAM_BACKGROUND},format=yuv420p[bg];"
        f"[1:a]showwaves=s={size}x{wave_height}:mode=cline:colors=white@0.9:rate=25[wave];"
        f"[bg][wave]overlay=0:{wave_top},"
        f"subtitles={_filter_path(captions)}:force_style='{AUDIOGRAM_CAPTION_STYLE}'[out]"
    )


def _filter_path(path: Path) -> str:
    """A file name as an option of a filter inside a graph (escaped twice: option, then graph)."""
    return str(path).replace("\\", "\\\\\\\\").replace(":", "\\\\:").replace("'", "\\\\'")
