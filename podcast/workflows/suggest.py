"""`podcast suggest`: cuts proposed from the words Whisper heard and from the sound itself, kept
in the episode folder (suggestions.json) for the producer to accept, all or one by one; never
applied silently.

- fillers Whisper wrote ("euh", "heu", "hum", "ben", ...);
- hesitations it did not write (it tends to leave fillers out, or to hear a word in them): a
  short, steady, voiced sound standing alone between two pauses, with no confident word in it;
- repeated false starts: the same one to three words said twice in a row ("on a, on a");
- coughs and noises: a short unvoiced, noise-like burst between pauses, with no word in it;
- long pauses, shortened to PAUSE_KEEP seconds (when the automatic pause shortening is off).

The sound is analysed on the speech Whisper heard (build/SLUG/speech.flac: edited, not
processed), window by window (memory stays flat); times are stored in the recording's timeline.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from podcast.core import fsutil, timecode
from podcast.core.errors import EpisodeError
from podcast.core.text import text_problem
from podcast.domain import suggestions
from podcast.domain.chapters import MAX_TITLE
from podcast.domain.edits import EditList
from podcast.domain.suggestions import Proposal, Suggestion
from podcast.domain.transcript import Segment, Word
from podcast.edges import ffmpeg
from podcast.project.config import Config
from podcast.project.episode import Episode, load

RATE = 16000
HOP = 160  # 10 ms
FRAME = 512
WINDOW = 60.0  # seconds of audio analysed at a time
FILLERS = frozenset(
    {
        "euh",
        "heu",
        "euhh",
        "heuu",
        "euhm",
        "hum",
        "humm",
        "hm",
        "hmm",
        "mmh",
        "mh",
        "ben",
        "bah",
        "beh",
        "oh",
        "ah",
        "eh",
    }
)
# Words said twice on purpose ("nous nous", "vous vous" are reflexive; "très très" insists).
DOUBLES = frozenset({"nous", "vous", "très", "si", "non", "oui", "bon", "tout", "plus", "beaucoup"})
PAUSE_MIN = 2.0  # seconds: a pause longer than this is suggested shorter
PAUSE_KEEP = 1.0
ISLAND_GAP = 0.08  # seconds of quiet that separate two sounds
ALONE_GAP = 0.15  # a hesitation or a cough stands between pauses at least this long
HESITATION = (0.25, 1.5)  # seconds: a held "euh"; a syllable alone between pauses is shorter
COUGH = (0.05, 1.5)
CONFIDENT = 0.8  # a word Whisper is this sure of, centred in a sound, makes it a word


@dataclass(frozen=True)
class Sound:
    """A stretch of sound between pauses in the speech file (seconds, its timeline)."""

    start: float
    end: float
    before: float  # the pause before it
    after: float
    voiced: float  # share of voiced frames
    flatness: float  # median spectral flatness: near 1 noise, near 0 a voice
    flux: float  # median spectral change from frame to frame: low for a held vowel

    @property
    def length(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Found:
    suggestions: list[Suggestion]
    new: int
    path: Path
    words: bool  # whether a transcript was there to read
    proposals: list[Proposal] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # what accepted proposals changed, in words


@dataclass(frozen=True)
class Decisions:
    """What the producer decided: numbers to accept and reject ("all", "1,3,5-7"), and new
    texts for proposals (a chapter title, a name) accepted as edited."""

    accept: str = ""
    reject: str = ""
    edits: Mapping[int, str] = field(default_factory=dict)


def run(
    config: Config,
    slug: str,
    *,
    accept: str = "",
    reject: str = "",
    dry_run: bool = False,
    kinds: Sequence[str] = (),
    edits: Mapping[int, str] | None = None,
    chapter_count: int = 0,
) -> Found:
    """Analyse the episode (cuts; or the transcript's `kinds`: chapters, notes, names), merge
    with the producer's earlier decisions, apply --accept/--reject (and edits)."""
    for numbers in (accept, reject):  # what was not understood is said before any analysis
        if numbers:
            suggestions.parse_numbers(numbers)
    ep = load(config, slug)
    cuts, proposals = ep.all_suggestions()
    new = 0
    words = _words(ep)
    decisions = Decisions(accept, reject, edits or {})
    speech = ep.build / "speech.flac"
    edl = ep.edit_list()
    if not kinds and (not speech.is_file() or edl is None):
        if decisions != Decisions() and (cuts or proposals):  # decisions on what was found before
            return _decided(config, ep, cuts, proposals, decisions, 0, bool(words), dry_run)
        raise EpisodeError("no processed speech yet: run `podcast process` (and `podcast transcribe`) first")
    if not kinds and edl is not None:
        fresh = analyse(speech, edl, words)
        merged = suggestions.merge(cuts, fresh, max((p.number for p in proposals), default=0))
        new = sum(1 for s in merged if not any(p.same_place(s) for p in cuts))
        cuts = merged
    else:
        from podcast.workflows import show_notes

        fresh_proposals = show_notes.propose(config, ep, kinds, cuts, chapter_count)
        others = [p for p in proposals if KIND_OF.get(p.kind) not in kinds]
        again = [p for p in proposals if KIND_OF.get(p.kind) in kinds]
        taken = max([*(c.number for c in cuts), *(p.number for p in others)], default=0)
        merged_proposals = suggestions.merge_proposals(again, fresh_proposals, taken)
        new = sum(1 for p in merged_proposals if not any(p.same_place(q) for q in again))
        proposals = suggestions.ordered([*others, *merged_proposals])
    return _decided(config, ep, cuts, proposals, decisions, new, bool(words), dry_run)


KIND_OF = {
    "chapter": "chapters",
    "description": "notes",
    "topics": "notes",
    "link": "notes",
    "book": "notes",
    "organisation": "notes",
    "guest": "names",
    "location": "names",
    "glossary": "names",
}


def parse_edits(items: Sequence[str]) -> dict[int, str]:
    """--edit '12=Un titre' → {12: "Un titre"}."""
    edits = {}
    for item in items:
        number, sep, text = item.partition("=")
        if not sep or not number.strip().isdigit():
            raise EpisodeError(f"--edit expects N=text (a suggestion's number, '=', its new text), not {item!r}")
        text = text.strip()
        quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'"
        edits[int(number)] = text[1:-1] if quoted else text
    return edits


def decide(config: Config, slug: str, decisions: Decisions, *, dry_run: bool = False) -> Found:
    """Decisions on the suggestions already found, without analysing again (the review page)."""
    ep = load(config, slug)
    cuts, proposals = ep.all_suggestions()
    return _decided(config, ep, cuts, proposals, decisions, 0, ep.segments_path.is_file(), dry_run)


def _decided(
    config: Config,
    ep: Episode,
    cuts: list[Suggestion],
    proposals: list[Proposal],
    decisions: Decisions,
    new: int,
    words: bool,
    dry_run: bool,
) -> Found:
    """Apply the decisions; write the proposals accepted now into the producer's files, then
    the suggestions file (so a failed write leaves them pending, to accept again)."""
    from podcast.workflows import show_notes

    before = {p.number: p.status for p in proposals}
    _not_written_back(proposals, decisions.reject)
    proposals = _edited(proposals, decisions.edits)
    for numbers, status in ((decisions.accept, "accepted"), (decisions.reject, "rejected")):
        if numbers:
            cuts, proposals = suggestions.decide_all(cuts, proposals, suggestions.parse_numbers(numbers), status)
    accepted = [p for p in proposals if p.status == "accepted" and before.get(p.number) != "accepted"]
    written = show_notes.apply(config, ep, accepted, dry_run=dry_run) if accepted else []
    if not dry_run:
        fsutil.write_text(ep.suggestions_path, suggestions.to_json(cuts, proposals))
    return Found(cuts, new, ep.suggestions_path, words, proposals, written)


def _not_written_back(proposals: list[Proposal], reject: str) -> None:
    """An accepted proposal is in the producer's file: rejecting it would not take it out."""
    numbers = suggestions.parse_numbers(reject) if reject else None
    if numbers is None:
        return  # nothing, or "all": every pending one
    written = [p.number for p in proposals if p.status == "accepted" and any(p.number in r for r in numbers)]
    if written:
        raise EpisodeError(
            f"suggestion {written[0]} is accepted already: take it out of the file it was written to instead"
        )


def _edited(proposals: list[Proposal], edits: Mapping[int, str]) -> list[Proposal]:
    """Proposals with the producer's own text (one line, 1-4000 characters)."""
    known = {p.number: p for p in proposals}
    for number, text in edits.items():
        proposal = known.get(number)
        if proposal is None:
            raise EpisodeError(f"no proposal numbered {number} to edit (see `podcast suggest SLUG --chapters`)")
        if proposal.status == "accepted":
            raise EpisodeError(f"suggestion {number} is accepted already: change it in the file it was written to")
        clean = " ".join(text.split())
        longest = MAX_TITLE if proposal.kind == "chapter" else 4000
        if not 0 < len(clean) <= longest:
            raise EpisodeError(f"the text for suggestion {number} must be 1 to {longest} characters")
        if problem := text_problem(clean):
            raise EpisodeError(f"the text for suggestion {number} {problem}")
        known[number] = replace(proposal, text=clean)
    return [known[p.number] for p in proposals]


def _words(ep: Episode) -> list[Word]:
    """Whisper's words (published timeline), or [] before a transcript exists."""
    segments: list[Segment] = ep.segments()
    return [word for segment in segments for word in segment.words]


def analyse(speech: Path, edl: EditList, words: list[Word]) -> list[Suggestion]:
    """Every suggestion for the speech file, in the recording's timeline, numbered in order."""
    duration = ffmpeg.probe(speech).duration
    sounds, pauses = _sounds(speech, duration)
    shifted = [Word(w.start - edl.offset, w.end - edl.offset, w.word, w.probability) for w in words]
    found = [
        *_fillers(shifted, sounds),
        *_repeats(shifted),
        *_unworded(sounds, shifted),
        *_pauses(pauses, duration),
    ]
    found = _without_overlaps(sorted(found, key=lambda item: item[0]))
    result = []
    for number, (start, end, kind, text) in enumerate(found, 1):
        source_start = edl.to_source(start + edl.offset)
        source_end = edl.to_source(end + edl.offset)
        if source_end > source_start:
            result.append(Suggestion(number, round(source_start, 3), round(source_end, 3), kind, text))
    return result


Item = tuple[float, float, str, str]  # start, end (speech timeline), kind, text


def _norm(word: str) -> str:
    text = unicodedata.normalize("NFC", word.strip().lower())
    return re.sub(r"^[\W_]+|[\W_]+$", "", text)


def _fillers(words: list[Word], sounds: list[Sound]) -> list[Item]:
    """Fillers Whisper wrote, cut where their sound is (its word times are approximate)."""
    found: list[Item] = []
    for word in words:
        if _norm(word.word) not in FILLERS:
            continue
        overlaps = [(min(word.end, s.end) - max(word.start, s.start), s) for s in sounds]
        overlap, sound = max(overlaps, key=lambda pair: pair[0], default=(0.0, None))
        if sound is not None and overlap > 0 and _sound_kind(sound):
            found.append((*_around(sound), "filler", _norm(word.word)))
    return found


def _sound_kind(sound: Sound) -> str:
    """ "cough", "hesitation" or "" for a sound standing alone between pauses."""
    if sound.before < ALONE_GAP or sound.after < ALONE_GAP:
        return ""
    if COUGH[0] <= sound.length <= COUGH[1] and sound.voiced < 0.3 and sound.flatness >= 0.3:
        return "cough"
    if HESITATION[0] <= sound.length <= HESITATION[1] and sound.voiced >= 0.6 and sound.flux < 1.0:
        return "hesitation"
    return ""


def _around(sound: Sound) -> tuple[float, float]:
    """The sound and half of the pause on each side: one natural pause remains when it is cut."""
    return sound.start - min(sound.before, 1.0) / 2, sound.end + min(sound.after, 1.0) / 2


def _repeats(words: list[Word]) -> list[Item]:
    """The first of two identical runs of 1-3 words in a row: the false start to cut."""
    found: list[Item] = []
    plain = [_norm(w.word) for w in words]
    index = 0
    while index < len(words):
        for size in (3, 2, 1):
            first, second = plain[index : index + size], plain[index + size : index + 2 * size]
            if len(second) < size or first != second or not all(first):
                continue
            if size == 1 and (first[0] in DOUBLES or first[0] in FILLERS):
                continue
            start, end = words[index].start, words[index + size].start
            if 0 < end - start < 5.0:
                text = " ".join(w.word.strip() for w in words[index : index + size])
                found.append((start, end, "repeat", f"{text} ×2"))
                index += size - 1
            break
        index += 1
    return found


def _unworded(sounds: list[Sound], words: list[Word]) -> list[Item]:
    """Hesitations and coughs: sounds standing alone between pauses with no confident word."""
    found: list[Item] = []
    for sound in sounds:
        kind = _sound_kind(sound)
        if kind and not any(_is_word_in(w, sound) for w in words):
            found.append((*_around(sound), kind, f"{sound.length:.1f} s"))
    return found


def _is_word_in(word: Word, sound: Sound) -> bool:
    """A word Whisper is sure of, centred in the sound: the sound is that word."""
    centre = (word.start + word.end) / 2
    text = _norm(word.word)  # punctuation alone ("!") is no word
    return bool(text) and text not in FILLERS and word.probability >= CONFIDENT and sound.start <= centre <= sound.end


def _pauses(pauses: list[tuple[float, float]], duration: float) -> list[Item]:
    found: list[Item] = []
    for start, end in pauses:
        if end - start > PAUSE_MIN and start > 0.5 and end < duration - 0.5:
            found.append((start + PAUSE_KEEP / 2, end - PAUSE_KEEP / 2, "pause", f"{end - start:.1f} s"))
    return found


def _without_overlaps(items: list[Item]) -> list[Item]:
    """One suggestion per stretch of audio: a noise wins over the "oh" Whisper may write for it,
    a filler or repeat Whisper heard over a hesitation found in the sound."""
    rank = {"cough": 0, "filler": 1, "repeat": 2, "hesitation": 3, "pause": 4}
    kept: list[Item] = []
    for item in sorted(items, key=lambda i: rank.get(i[2], 9)):
        if all(item[1] <= k[0] or item[0] >= k[1] for k in kept):
            kept.append(item)
    return sorted(kept, key=lambda i: i[0])


# -- the sound ----------------------------------------------------------------------------
def _sounds(speech: Path, duration: float) -> tuple[list[Sound], list[tuple[float, float]]]:
    """The sounds between pauses, with what they sound like, and the pauses."""
    import numpy as np

    features = _features(speech, duration)
    energy = features[:, 0]
    loud = energy[energy > -100]
    floor = float(np.percentile(loud, 10)) if len(loud) else -100.0
    active = energy > max(floor + 15.0, -55.0)
    active = _close_gaps(active, round(ISLAND_GAP / (HOP / RATE)))
    edges = np.flatnonzero(np.diff(np.concatenate(([0], active.astype(np.int8), [0]))))
    step = HOP / RATE
    spans = [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True) if (b - a) * step >= 0.05]
    sounds, pauses = [], []
    for index, (a, b) in enumerate(spans):
        before = a * step - (spans[index - 1][1] * step if index else 0.0)
        after = (spans[index + 1][0] * step if index + 1 < len(spans) else duration) - b * step
        part = features[a:b]
        sounds.append(
            Sound(
                round(a * step, 3),
                round(b * step, 3),
                round(before, 3),
                round(after, 3),
                float((part[:, 2] > 0.35).mean()),
                float(np.median(part[:, 3])),
                float(np.median(part[:, 1])),
            )
        )
        if index:
            pauses.append((spans[index - 1][1] * step, a * step))
    return sounds, pauses


def _close_gaps(active: Any, frames: int) -> Any:
    """Quiet stretches shorter than `frames` inside a sound count as sound."""
    import numpy as np

    edges = np.flatnonzero(np.diff(np.concatenate(([1], active.astype(np.int8), [1]))))
    filled = active.copy()
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start < frames and start > 0 and end < len(active):
            filled[start:end] = True
    return filled


def _features(speech: Path, duration: float) -> Any:
    """Per 10 ms frame: energy (dBFS), spectral flux, voicing (autocorrelation peak in the
    70-400 Hz pitch range) and spectral flatness, window by window."""
    import numpy as np

    parts = []
    start = 0.0
    while start < duration:
        length = min(WINDOW, duration - start)
        pad = FRAME / RATE
        samples = ffmpeg.decode_pcm(speech, start, length + pad, RATE)
        frames = round(length / (HOP / RATE))
        parts.append(_frame_features(samples, frames))
        start += length
    return np.concatenate(parts) if parts else np.zeros((0, 4))


def _frame_features(samples: Any, count: int) -> Any:
    import numpy as np

    if len(samples) < FRAME:
        samples = np.pad(samples, (0, FRAME - len(samples)))
    windows = np.lib.stride_tricks.sliding_window_view(samples, FRAME)[::HOP][:count]
    windows = windows * np.hanning(FRAME).astype(np.float32)
    spectrum = np.abs(np.fft.rfft(windows, axis=1))
    band = spectrum[:, 3:160] + 1e-9  # 94 Hz - 5 kHz
    energy = 10 * np.log10((windows.astype(np.float64) ** 2).mean(axis=1) + 1e-10)
    logs = np.log(band)
    flux = np.concatenate(([0.0], np.sqrt((np.diff(logs, axis=0) ** 2).mean(axis=1))))
    power = np.abs(np.fft.rfft(windows, 2 * FRAME, axis=1)) ** 2
    correlation = np.fft.irfft(power, axis=1)
    correlation = correlation / (correlation[:, :1] + 1e-12)
    voicing = correlation[:, RATE // 400 : RATE // 70].max(axis=1)
    flatness = np.exp(logs.mean(axis=1)) / band.mean(axis=1)
    features = np.stack((energy, flux, voicing, flatness), axis=1).astype(np.float32)
    if len(features) < count:
        features = np.concatenate((features, np.tile([[-100.0, 0.0, 0.0, 1.0]], (count - len(features), 1))))
    return features


def describe(item: Suggestion | Proposal) -> str:
    if isinstance(item, Proposal):
        where = timecode.short(item.start) if item.kind == "chapter" or item.start else "        "
        detail = f"\n       {item.detail}" if item.detail else ""
        return f"{item.number:>3}  {where}  {item.label}  [{item.status}]{detail}"
    span = f"{timecode.format(item.start)} → {timecode.format(item.end)}"
    return f"{item.number:>3}  {span}  {item.label} ({item.end - item.start:.1f} s)  [{item.status}]"


def labels(found: list[Suggestion]) -> str:
    """The pending and accepted suggestions as Audacity labels (recording timeline)."""
    from podcast.domain import markers

    rows = [(s.start, s.end, f"{s.number} {s.label} [{s.status}]") for s in found if s.status != "rejected"]
    return markers.to_audacity(rows, [])
