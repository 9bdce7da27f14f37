"""What a recording holds before it is processed: its loudness and silences (block energies),
each stereo file's two voices, and how the tracks of a multitrack session line up. ffmpeg
decodes, `domain.levels` measures; long files are read in two halves on two cores."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from podcast.domain import levels
from podcast.edges import ffmpeg, filtergraphs
from podcast.edges.filtergraphs import Piece

HALVES_FROM = 120.0  # seconds: a shorter recording is cleaned (and analysed) in one piece
ALIGN_SECONDS = 120.0  # multitrack alignment looks at the start of each track
ALIGN_CLARITY = 8.0  # a correlation peak less distinct than this is not trusted


@dataclasses.dataclass
class Analysis:
    """What a recording holds before it is processed."""

    duration: float
    hp: Any
    loudness: float
    balance: list[filtergraphs.Balance | None]
    voices: list[tuple[int, float, levels.Voices]]
    tracks: list[levels.Track]
    notes: list[str]

    def pieces(self, overlap: float) -> list[Piece]:
        if self.tracks:
            return [Piece(0.0, self.duration, t.offset) for t in self.tracks]
        if self.duration < HALVES_FROM:
            return [Piece(0.0, self.duration)]
        middle = self.duration / 2
        return [Piece(0.0, middle + overlap), Piece(middle - overlap, self.duration)]


def analyse_join(sources: list[Path], probes: list[ffmpeg.Probe], *, balanced: bool) -> Analysis:
    """Sources played one after the other: silences, each stereo source's voices, and the
    loudness of the working signal (the downmix, with the voices balanced)."""
    import numpy as np

    hps, loud, notes = [], [], []
    balance: list[filtergraphs.Balance | None] = []
    found: list[tuple[int, float, levels.Voices]] = []
    offset = 0.0
    for index, (path, probe) in enumerate(zip(sources, probes, strict=True)):
        stereo = probe.channels >= 2
        hp, k, downmix = energies(path, 2 if stereo else 1, probe.duration)
        hps.append(hp)
        voices = levels.voices(k, downmix) if stereo else None
        if voices and voices.separated and balanced:
            balance.append(filtergraphs.Balance(voices.gains, voices.levels))
            found.append((index, offset, voices))
            loud.append(levels.downmix(k, downmix, voices.gains))
            notes.append(
                f"{path.name}: one voice per channel, speech at {voices.levels[0]:.1f} / {voices.levels[1]:.1f} LUFS: "
                f"left {voices.gains[0]:+.1f} dB, right {voices.gains[1]:+.1f} dB, both voices centred"
            )
        else:
            balance.append(None)
            loud.append(downmix)
        offset += len(hp) * levels.BLOCK
    joined = np.concatenate(loud).reshape(-1, 1)
    hp_all = np.concatenate(hps)
    return Analysis(len(hp_all) * levels.BLOCK, hp_all, levels.loudness(joined), balance, found, [], notes)


def energies(path: Path, channels: int, duration: float) -> tuple[Any, Any, Any]:
    """`ffmpeg.block_energies` of a recording, a long one in two halves on two cores."""
    import numpy as np

    if duration < HALVES_FROM:
        return ffmpeg.block_energies(path, channels)
    blocks = round(duration / 2 / levels.BLOCK)
    spans: list[tuple[float, float | None]] = [(0.0, blocks * levels.BLOCK), (blocks * levels.BLOCK, None)]
    with ffmpeg.Parallel(2) as pool:
        first, second = pool.map(lambda span: ffmpeg.block_energies(path, channels, span=span), spans)
    # The first half must end exactly where the second starts: a resampler may give a sample less.
    fit = [np.concatenate((part[:blocks], np.repeat(part[-1:], max(0, blocks - len(part)), axis=0))) for part in first]
    return (
        np.concatenate((fit[0], second[0])),
        np.concatenate((fit[1], second[1])),
        np.concatenate((fit[2], second[2])),
    )


def analyse_tracks(sources: list[Path], names: list[str], *, balanced: bool) -> Analysis:
    """One file per microphone: each track's speech and level, and how the tracks line up."""
    import numpy as np

    with ffmpeg.Parallel(2) as pool:
        decoded = list(pool.map(lambda path: ffmpeg.block_energies(path, 1), sources))
    energies = [levels.Energies(hp, k) for hp, k, _ in decoded]
    offsets, notes = _offsets(sources, names)
    found = levels.tracks(energies, offsets, names)
    for name, track in zip(names, found, strict=True):
        notes.append(
            f"track {name}: {track.active:.0f} s of speech at {track.level:.1f} LUFS, {track.gain:+.1f} dB"
            + (f", starts {track.offset:+.3f} s" if track.offset else "")
        )
    size = max(len(e.hp) + round(o / levels.BLOCK) for e, o in zip(energies, offsets, strict=True))
    hp = np.zeros(size)
    for energy, offset in zip(energies, offsets, strict=True):
        start = max(0, round(offset / levels.BLOCK))
        hp[start : start + len(energy.hp)] += energy.hp[: size - start]
    speech = max((t.level + (t.gain if balanced else 0.0) for t in found if t.active >= 1), default=-70.0)
    return Analysis(size * levels.BLOCK, hp, speech, [None] * len(sources), [], found, notes)


def _offsets(sources: list[Path], names: list[str]) -> tuple[list[float], list[str]]:
    """Each track's start relative to the first, from the cross-correlation of their first
    minutes; 0 (with a note) when no common sound makes it clear."""
    rate = 8000
    samples = [ffmpeg.decode_pcm(p, 0, ALIGN_SECONDS, rate) for p in sources]
    offsets, notes = [0.0], []
    for path, name, wave in zip(sources[1:], names[1:], samples[1:], strict=True):
        offset, clarity = levels.alignment(samples[0], wave, rate)
        if clarity < ALIGN_CLARITY or abs(offset) < 0.002:
            offsets.append(0.0)
            if clarity < ALIGN_CLARITY:
                notes.append(f"{path.name}: no sound in common with {names[0]}'s track: taken to start together")
        else:
            offsets.append(offset)
            notes.append(f"{path.name} ({name}) aligned: {offset:+.3f} s")
    return offsets, notes
