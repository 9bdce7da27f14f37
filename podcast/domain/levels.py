"""What the process stage needs to know about a recording before it edits it, from one cheap
pass: the recording decoded at 8 kHz into block energies (20 ms), per channel, high-passed (for
silences) and K-weighted (for loudness, as EBU R128 weighs it).

From those: the silences (trimmed ends, long pauses), the speech loudness (to key the music
bed's ducking, to start the level search), whether a stereo recording holds one voice per
channel and how loud each voice is on its own active parts (to balance them), and for
one-microphone-per-person recordings each track's activity, level and alignment.
Numbers in, numbers out: the decoding is ffmpeg's (`edges.ffmpeg.block_energies`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

BLOCK = 0.02  # seconds per energy block
VOICE_BLOCK = 0.1  # seconds per block when telling the voices apart
SILENCE_MIN = 0.5  # seconds: shorter gaps are not silences
VOICE_MARGIN_DB = 6.0  # a channel this much louder than the other holds the voice speaking
ACTIVE_ABOVE_FLOOR_DB = 12.0  # speech: this far above the recording's noise floor
MAX_BALANCE_DB = 15.0  # never raise a voice more than this (its noise comes up with it)
LOUDNESS_BLOCK = 0.4  # seconds: BS.1770's gating block


@dataclass(frozen=True)
class Energies:
    """Block mean squares of one recording (or track): `hp` the high-passed mono sum (silence
    detection), `k` the K-weighted channels (loudness)."""

    hp: np.ndarray  # shape (blocks,)
    k: np.ndarray  # shape (blocks, channels)

    @property
    def duration(self) -> float:
        return len(self.hp) * BLOCK


@dataclass(frozen=True)
class Voices:
    """A stereo recording with one voice per channel, and what balances them."""

    separated: bool  # most speech is clearly on one channel or the other
    levels: tuple[float, float]  # each voice's loudness on its own active parts (LUFS, approx.)
    gains: tuple[float, float]  # dB to apply to left and right before the downmix
    # who speaks in each VOICE_BLOCK: 0 neither (or both), 1 the left voice, 2 the right one
    speaking: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    blocks: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # K-weighted channels per VOICE_BLOCK
    mixed: np.ndarray = field(default_factory=lambda: np.zeros(0))  # the plain downmix's, per VOICE_BLOCK

    def in_downmix(self, gains: tuple[float, float]) -> tuple[float, float]:
        """Each voice's loudness in the downmix with the channels' `gains` (dB)."""
        energies = downmix(self.blocks, self.mixed, gains)
        left, right = energies[self.speaking == 1], energies[self.speaking == 2]
        return (
            -0.691 + float(db(left.mean())) if len(left) else -70.0,
            -0.691 + float(db(right.mean())) if len(right) else -70.0,
        )

    def balancing(self, offsets: tuple[float, float] = (0.0, 0.0), slopes: tuple[float, float] = (1.0, 1.0)) -> float:
        """The gain (dB, on the quieter voice's channel) that makes the voices equally loud:
        in the downmix, or, given how they came out of the dynamics at the present gains
        (`offsets`: each voice's level there minus its level in the downmix; `slopes`: how
        much of a change in the downmix survives the dynamics, per voice), after them."""
        side = 0 if self.levels[0] < self.levels[1] else 1
        before = self.in_downmix(self.gains)
        shares = [float((self.speaking == v + 1).sum()) for v in (0, 1)]

        def gap(gain: float) -> float:  # the raised voice minus the other, after the dynamics
            now = self.in_downmix((gain, 0.0) if side == 0 else (0.0, gain))
            change = [now[v] - before[v] for v in (0, 1)]
            # The level search then moves the whole programme back to the target.
            weight = sum(shares[v] * slopes[v] for v in (0, 1)) or 1.0
            back = -sum(shares[v] * slopes[v] * change[v] for v in (0, 1)) / weight
            after = [before[v] + offsets[v] + slopes[v] * (change[v] + back) for v in (0, 1)]
            return after[side] - after[1 - side]

        low, high = 0.0, MAX_BALANCE_DB
        if gap(high) < 0:
            return high
        for _ in range(30):  # bisection: the gap grows with the gain
            middle = (low + high) / 2
            low, high = (middle, high) if gap(middle) < 0 else (low, middle)
        return round((low + high) / 2, 2)


@dataclass(frozen=True)
class Track:
    """One microphone's recording in a multitrack episode."""

    active: float  # seconds of its speaker's speech
    level: float  # loudness on its active parts (LUFS, approx.)
    gain: float  # dB that brings it to the others' level
    offset: float = 0.0  # seconds it starts after the first track (alignment)
    warnings: list[str] = field(default_factory=list)


def db(power: np.ndarray | float) -> np.ndarray:
    return np.asarray(10 * np.log10(np.maximum(power, 1e-12)))


def silences(hp: np.ndarray, threshold_db: float, minimum: float = SILENCE_MIN) -> list[tuple[float, float]]:
    """(start, end) of each run of blocks quieter than `threshold_db` (dBFS RMS) lasting at
    least `minimum` seconds."""
    quiet = db(hp) < threshold_db
    edges = np.flatnonzero(np.diff(np.concatenate(([0], quiet.astype(np.int8), [0]))))
    found = []
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if (end - start) * BLOCK >= minimum:
            found.append((round(start * BLOCK, 3), round(end * BLOCK, 3)))
    return found


def loudness(k: np.ndarray) -> float:
    """Integrated loudness (BS.1770 gating on 400 ms blocks) of K-weighted channel energies;
    -70 for silence."""
    per = max(1, round(LOUDNESS_BLOCK / BLOCK))
    usable = len(k) - len(k) % per
    if usable == 0:
        return -70.0
    blocks = k[:usable].reshape(-1, per, k.shape[1]).mean(axis=1).sum(axis=1)
    return integrated(-0.691 + db(blocks))


def integrated(blocks_lufs: np.ndarray) -> float:
    """BS.1770 integrated loudness from the loudness of its 400 ms gating blocks: the absolute
    gate at -70 LUFS, then the relative gate 10 LU under what passed; -70 for silence."""
    energies = 10 ** (np.asarray(blocks_lufs, dtype=np.float64) / 10)
    gated = energies[blocks_lufs > -70]
    if not len(gated):
        return -70.0
    relative = float(db(gated.mean())) - 10
    final = gated[db(gated) > relative]
    return round(float(db(final.mean())), 2) if len(final) else -70.0


def _floor(levels_db: np.ndarray) -> float:
    return float(np.percentile(levels_db, 10)) if len(levels_db) else -90.0


def downmix(k: np.ndarray, mono: np.ndarray, gains: tuple[float, float]) -> np.ndarray:
    """Block energies of 0.5·gL·left + 0.5·gR·right (gains in dB), exactly, from the channels'
    energies and the plain downmix's (which gives their cross term: the bleed of one voice
    into the other's microphone adds coherently)."""
    a, b = (0.5 * 10 ** (g / 20) for g in gains)
    cross = (4 * mono - k[:, 0] - k[:, 1]) / 2
    mixed: np.ndarray = np.maximum(a * a * k[:, 0] + b * b * k[:, 1] + 2 * a * b * cross, 0.0)
    return mixed


def voices(k: np.ndarray, mono: np.ndarray) -> Voices:
    """Whether a two-channel recording holds one voice per channel, each voice's level on the
    blocks where it speaks, and the gains that make the two voices equally loud in the
    downmix (the quieter one raised, at most MAX_BALANCE_DB)."""
    per = round(VOICE_BLOCK / BLOCK)
    usable = len(k) - len(k) % per
    if k.shape[1] != 2 or usable < per:
        return Voices(False, (-70.0, -70.0), (0.0, 0.0))
    blocks = k[:usable].reshape(-1, per, 2).mean(axis=1)
    mixed = mono[:usable].reshape(-1, per).mean(axis=1)
    left, right = db(blocks[:, 0]), db(blocks[:, 1])
    loud = np.maximum(left, right)
    speech = loud > _floor(loud) + ACTIVE_ABOVE_FLOOR_DB
    on_left = speech & (left > right + VOICE_MARGIN_DB)
    on_right = speech & (right > left + VOICE_MARGIN_DB)
    total = max(int(speech.sum()), 1)
    separated = bool(
        (on_left.sum() + on_right.sum()) / total >= 0.6 and min(on_left.sum(), on_right.sum()) / total >= 0.05
    )
    level_left = -0.691 + float(db(blocks[on_left, 0].mean())) if on_left.any() else -70.0
    level_right = -0.691 + float(db(blocks[on_right, 1].mean())) if on_right.any() else -70.0
    levels = (round(level_left, 2), round(level_right, 2))
    if not separated:
        return Voices(False, levels, (0.0, 0.0))
    speaking = on_left.astype(np.int8) + 2 * on_right.astype(np.int8)
    found = Voices(True, levels, (0.0, 0.0), speaking, blocks, mixed)
    gain = found.balancing()
    return dataclasses.replace(found, gains=(gain, 0.0) if level_left < level_right else (0.0, gain))


def tracks(energies: Sequence[Energies], offsets: Sequence[float], names: Sequence[str]) -> list[Track]:
    """Each track's speech (blocks where it is clearly the loudest and above its floor), its
    level there, the gain that brings it to the loudest track's level, and what is wrong
    with it (silent, much shorter than the others)."""
    longest = max(e.duration + o for e, o in zip(energies, offsets, strict=True))
    aligned = [_shifted(db(e.k.sum(axis=1)), offset) for e, offset in zip(energies, offsets, strict=True)]
    size = max(len(a) for a in aligned)
    padded = np.full((len(aligned), size), -120.0)
    for index, levels_db in enumerate(aligned):
        padded[index, : len(levels_db)] = levels_db
    found = []
    for index, (energy, offset, name) in enumerate(zip(energies, offsets, names, strict=True)):
        own = padded[index]
        others = np.delete(padded, index, axis=0).max(axis=0) if len(padded) > 1 else np.full(size, -120.0)
        active = (own > _floor(own[own > -119]) + ACTIVE_ABOVE_FLOOR_DB) & (own > others + VOICE_MARGIN_DB)
        level = -0.691 + float(db((10 ** (own[active] / 10)).mean())) if active.any() else -70.0
        warnings = []
        if active.sum() * BLOCK < 1.0:
            warnings.append(f"{name} seems silent: no speech of its own was found in it")
        elif energy.duration < 0.5 * longest:
            warnings.append(
                f"{name} is much shorter than the longest track ({energy.duration:.0f} s of {longest:.0f} s)"
            )
        found.append(Track(round(active.sum() * BLOCK, 1), round(level, 2), 0.0, offset, warnings))
    loudest = max((t.level for t in found if t.active >= 1.0), default=-70.0)
    return [
        Track(
            t.active,
            t.level,
            round(min(MAX_BALANCE_DB, loudest - t.level), 2) if t.active >= 1 else 0.0,
            t.offset,
            t.warnings,
        )
        for t in found
    ]


def _shifted(levels_db: np.ndarray, offset: float) -> np.ndarray:
    blocks = round(offset / BLOCK)
    return np.concatenate((np.full(blocks, -120.0), levels_db)) if blocks > 0 else levels_db


def alignment(reference: np.ndarray, other: np.ndarray, rate: int, limit: float = 30.0) -> tuple[float, float]:
    """How many seconds `other` starts after `reference` (negative: before), from the
    cross-correlation of their waveforms (the other speaker's voice reaches every microphone),
    and how clear the peak is (its height over the correlation's spread; below ~8, unreliable)."""
    size = 1 << int(np.ceil(np.log2(len(reference) + len(other))))
    spectrum = np.fft.rfft(reference, size) * np.conj(np.fft.rfft(other, size))
    correlation = np.fft.irfft(spectrum / np.maximum(np.abs(spectrum), 1e-9), size)  # PHAT weighting: sharp peaks
    # Lags within `limit` where the signals overlap at all: `other` starting up to the end of
    # `reference` (the start of the circular correlation) or before it (its end).
    after = min(int(limit * rate), len(reference) - 1)
    before = min(int(limit * rate), len(other) - 1)
    lags = np.concatenate((correlation[size - before :] if before else correlation[:0], correlation[: after + 1]))
    peak = int(np.argmax(np.abs(lags)))
    clarity = float(np.abs(lags[peak]) / (np.std(lags) + 1e-12))
    return round((peak - before) / rate, 4), clarity


def mean_squares(samples: np.ndarray, frames: int, width: int) -> np.ndarray:
    """Interleaved float samples of `width` channels → the mean square of each channel per block
    of `frames` frames (the length must be a whole number of blocks)."""
    blocks = samples.reshape(-1, frames, width).astype(np.float64)
    found: np.ndarray = (blocks**2).mean(axis=1).astype(np.float32)
    return found


# -- Loudness as a function of gain: lines through (gain dB, loudness LUFS) measurements ---------


def slope(a: tuple[float, float], b: tuple[float, float]) -> float:
    """LU of loudness per dB of gain between two measurements: 1 where only the gain acts,
    less where the limiter works harder (kept within 0.3..1: measurements are noisy)."""
    if abs(b[0] - a[0]) < 0.05:
        return 1.0
    return min(1.0, max(0.3, (b[1] - a[1]) / (b[0] - a[0])))


def level_at(points: list[tuple[float, float]], gain: float) -> float:
    """The loudness at `gain`, on the line through the (gain, loudness) points measured."""
    if len(points) == 1:
        return points[0][1] + gain - points[0][0]
    (g1, l1), (g2, l2) = sorted(points)[:2]
    slope = (l2 - l1) / (g2 - g1) if g2 != g1 else 1.0
    return l1 + (gain - g1) * slope


def interpolate(points: list[tuple[float, float]], aim: float) -> tuple[float, float]:
    """The gain at which the loudness meets `aim`, on the line through the (gain, loudness)
    points measured (slope 1 from one point), and the slope: under 1 where the limiter works
    harder as the gain rises (kept within 0.3..1: measurements are noisy)."""
    if len(points) == 1:
        return points[0][0] + aim - points[0][1], 1.0
    a, b = sorted(points)[:2]
    rate = slope(a, b)
    return a[0] + (aim - a[1]) / rate, rate
