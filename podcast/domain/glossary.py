"""The show's glossary after decoding (pure): names Whisper nearly heard put back.

Whisper base writes a name it does not know the way it sounds ("ATD car monde", "Isabelle
Bouillé"). Each glossary term is compared with every run of one to three words more or less
than the term, by a French phonetic key (what the letters sound like: "qu" and "c" are /k/,
"eau" is /o/, final silent letters dropped...) and an edit-distance ratio (rapidfuzz). A run
close enough is replaced by the term, its words' times kept. So a correction table is not
needed for every variant of a name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from rapidfuzz.distance import Levenshtein

from podcast.domain.transcript import Segment, Word, words_text

# A run of words replaced by a term needs its phonetic key this close to the term's (1 = same).
VERSION = 2  # part of the transcribe stage's inputs: bump when matching changes
MIN_SIMILARITY = 0.8
SHORT_KEY = 6  # a term whose key is shorter than this replaces one word, of the same key, only
MIN_SPELLING = 0.45  # and the letters themselves at least this alike: no "bon dit" → "Bondy" from a key alone
# A name whose last word (the surname) is heard spelled exactly as in the glossary needs only
# this much likeness in the words before it ("Mabelle Bouyer" → "Isabelle Bouyer"; "Marc
# Bouyer" is someone else).
SURNAME_FIRST_PART = 0.5

_RULES: tuple[tuple[str, str], ...] = (
    (r"[^a-z ]", " "),
    (r"ph", "f"),
    (r"qu|ck|q", "k"),
    (r"c(?=[eiy])", "s"),
    (r"c", "k"),
    (r"g(?=[eiy])", "j"),
    (r"gu(?=[eiy])", "g"),
    (r"gn", "ni"),
    (r"h", ""),
    (r"ill", "i"),
    (r"eau|au", "o"),
    (r"ai|ei|er\b|ez\b|et\b", "e"),
    (r"oi", "wa"),
    (r"ou", "u"),
    (r"[ae][nm](?![aeiouy])", "a"),
    (r"[aeiy][nm](?![aeiouy])", "in"),
    (r"o[nm](?![aeiouy])", "on"),
    (r"w", "v"),
    (r"x", "ks"),
    (r"y", "i"),
    (r"z", "s"),
    (r"(?<=[aeiou])s(?=[aeiou])", "z"),
    (r"([a-z])\1+", r"\1"),
    (r"(?<=[a-z])[estdx]\b", ""),
)
_COMPILED = tuple((re.compile(pattern), replacement) for pattern, replacement in _RULES)


def fold(text: str) -> str:
    """Lower case, without accents, apostrophes and hyphens as spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe").replace("æ", "ae"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def sound(text: str) -> str:
    """A rough French phonetic key: words that sound alike get close keys; spaces dropped."""
    key = fold(text)
    for pattern, replacement in _COMPILED:
        key = pattern.sub(replacement, key)
    return key.replace(" ", "")


@dataclass(frozen=True)
class Change:
    start: float
    heard: str
    term: str


@dataclass(frozen=True)
class _Term:
    text: str
    key: str
    words: int
    spelling: str


def terms(names: Iterable[str]) -> list[_Term]:
    found = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        found.append(_Term(name, sound(name), len(name.split()), fold(name).replace(" ", "")))
    return sorted(found, key=lambda t: -len(t.key))  # the longest terms claim their words first


_ELISION = re.compile(r"^(?:[cdjlmnst]|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)


def _bare(text: str) -> str:
    """A heard word without its elided article and punctuation ("d'ATD," → "ATD")."""
    return _ELISION.sub("", text.strip()).strip(" ,.;:!?…")


def _score(term: _Term, words: Sequence[Word]) -> float:
    heard = _bare(words_text(words))
    if _spelled_out(heard, term.text):
        return 1.0
    key = sound(heard)
    if not key or (len(term.key) < SHORT_KEY and (len(words) > 1 or key != term.key)):
        return 0.0
    if Levenshtein.normalized_similarity(fold(heard).replace(" ", ""), term.spelling) < MIN_SPELLING:
        return 0.0
    return max(Levenshtein.normalized_similarity(key, term.key), _surname_score(term, heard))


_INITIALS = re.compile(r"\b\w\b\.?|\b\w\.")


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


def _spelled_out(heard: str, term: str) -> bool:
    """The same letters, one of them written as initials: "A.T.D." or "A. T. D." for "ATD",
    "ATD" for "A.T.D.", "A. T. D. Quart Monde" for "ATD Quart Monde"."""
    return (
        bool(_letters(heard))
        and _letters(heard) == _letters(term)
        and (len(_INITIALS.findall(heard)) >= 2 or len(_INITIALS.findall(term)) >= 2)
    )


def _surname_score(term: _Term, heard: str) -> float:
    """MIN_SIMILARITY when the last heard word is the term's last word, spelled right, and the
    words before sound somewhat like the term's first words; 0 otherwise."""
    said, wanted = heard.split(), term.text.split()
    if len(wanted) < 2 or len(said) < 2 or len(wanted[-1]) < 4 or fold(said[-1]) != fold(wanted[-1]):
        return 0.0
    before = Levenshtein.normalized_similarity(sound(" ".join(said[:-1])), sound(" ".join(wanted[:-1])))
    return MIN_SIMILARITY if before >= SURNAME_FIRST_PART else 0.0


def _says(term: _Term, run: Sequence[Word], exactly: bool = False) -> bool:
    """Whether the words `run` are the term (spelled right, capitals too when `exactly`)."""
    heard = _bare(words_text(run))
    return heard == term.text if exactly else fold(heard) == fold(term.text)


def _already(term: _Term, words: list[Word], taken: list[bool]) -> None:
    """Mark where the term is already right: those words are not compared again."""
    for size in range(1, term.words + 1):
        for first in range(0, len(words) - size + 1):
            if _says(term, words[first : first + size], exactly=True):
                taken[first : first + size] = [True] * size


def _whole(words: list[Word], first: int, size: int) -> bool:
    """Whether words[first:first + size] starts and ends at word boundaries (Whisper's pieces
    of one word, such as " n" "'y", stay together)."""
    after = first + size
    starts = first == 0 or words[first].word.startswith(" ")
    return starts and (after >= len(words) or words[after].word.startswith(" "))


def _best(
    words: list[Word], taken: list[bool], sizes: range, score: Callable[[Sequence[Word]], float], minimum: float
) -> tuple[int, int] | None:
    """(first, size) of the free run of whole words scoring highest, at least `minimum`."""
    best: tuple[float, int, int] | None = None
    for size in sizes:
        for first in range(0, len(words) - size + 1):
            if any(taken[first : first + size]) or not _whole(words, first, size):
                continue
            value = score(words[first : first + size])
            if value >= minimum and (best is None or value > best[0] + 1e-9):
                best = (value, first, size)
    return (best[1], best[2]) if best else None


def _trailing(text: str) -> str:
    """The punctuation a replaced run ended with ("Bouillé," keeps its comma)."""
    stripped = text.rstrip()
    return stripped[len(stripped.rstrip(",.;:!?…")) :]


def _replace(words: list[Word], taken: list[bool], term: _Term, first: int, size: int) -> Change:
    """Put `term` in place of words[first:first + size] (in place), keeping their times, an
    elided article ("d'") and the punctuation that followed."""
    run = words[first : first + size]
    heard = words_text(run)
    lead = " " if run[0].word.startswith(" ") else ""
    elided = _ELISION.match(heard.strip())
    tail = _trailing(heard)
    last = heard.rstrip(",;:!?…").split()[-1]
    if tail.startswith(".") and (term.text.endswith(".") or re.fullmatch(r"(?:\w\.)+", last)):
        tail = tail[1:]  # the dot of the initials ("A.T.D.,"), not a full stop
    spelled = f"{lead}{elided.group(0) if elided else ''}{term.text}{tail}"
    words[first : first + size] = [Word(run[0].start, run[-1].end, spelled, min(w.probability for w in run))]
    taken[first : first + size] = [True]
    return Change(run[0].start, heard.strip(), term.text)


def correct(segment: Segment, glossary: Sequence[_Term]) -> tuple[Segment, list[Change]]:
    """`segment` with each near-miss of a glossary term replaced by the term."""
    if not segment.words or not glossary:
        return segment, []
    words = list(segment.words)
    taken = [False] * len(words)
    changes: list[Change] = []
    for term in glossary:
        _already(term, words, taken)
        initials = sum(len(w) - 1 for w in term.text.split() if w.isupper() and len(w) <= 6)
        sizes = range(max(1, term.words - 1), term.words + 2 + initials)  # "A. T. D." is three words
        while found := _best(words, taken, sizes, partial(_score, term), MIN_SIMILARITY):
            changes.append(_replace(words, taken, term, *found))
    if not changes:
        return segment, []
    return Segment(segment.start, segment.end, words_text(words), words, segment.speaker), changes


# Where a prompted reading echoed the prompt, it is not trusted as a whole, but a term it heard is
# evidence: a run of the unprompted reading at the same time, sounding at least this much like
# the term, is replaced by it (the "ma belle bouillée" -> "Isabelle Bouyer").
BACKED_SIMILARITY = 0.5
BACKED_REACH = 0.5  # seconds around the term's time in the prompted reading


def _heard_at(term: _Term, words: list[Word]) -> list[tuple[float, float]]:
    """Where `words` say `term` (start, end)."""
    runs = (words[first : first + term.words] for first in range(0, len(words) - term.words + 1))
    return [(run[0].start, run[-1].end) for run in runs if _says(term, run)]


def _sounds_near(term: _Term, start: float, end: float) -> Callable[[Sequence[Word]], float]:
    """How much a run of words sounds like `term`, for runs near [start, end] (0 elsewhere)."""

    def score(run: Sequence[Word]) -> float:
        if run[0].start >= end + BACKED_REACH or run[-1].end <= start - BACKED_REACH:
            return 0.0
        return Levenshtein.normalized_similarity(sound(_bare(words_text(run))), term.key)

    return score


def backed(
    segments: list[Segment], evidence: list[Segment], names: Iterable[str]
) -> tuple[list[Segment], list[Change]]:
    """`segments` (an unprompted reading) with the terms `evidence` (a prompted one) heard put
    in at their times, where the words there sound like them."""
    heard = [w for s in evidence for w in s.words]
    glossary = terms(names)
    kept, changes = [], []
    for segment in segments:
        words = list(segment.words)
        taken = [False] * len(words)
        for term in glossary:
            for start, end in _heard_at(term, heard):
                sizes = range(1, term.words + 3)
                if found := _best(words, taken, sizes, _sounds_near(term, start, end), BACKED_SIMILARITY):
                    changes.append(_replace(words, taken, term, *found))
        changed = words != segment.words
        kept.append(
            Segment(segment.start, segment.end, words_text(words), words, segment.speaker) if changed else segment
        )
    return kept, changes


def correct_all(segments: Iterable[Segment], names: Iterable[str]) -> tuple[list[Segment], list[Change]]:
    glossary = terms(names)
    kept: list[Segment] = []
    changes: list[Change] = []
    for segment in segments:
        fixed, changed = correct(segment, glossary)
        kept.append(fixed)
        changes += changed
    return kept, changes
