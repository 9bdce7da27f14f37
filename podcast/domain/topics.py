"""Chapters, key phrases and an extractive description from a transcript (pure).

The transcript's cues are cut into sentences (at a sentence's end, a long pause or a change
of speaker; never inside a sentence), each with the words that carry meaning (nouns, proper
nouns, adjectives: lemmas from the language edge) and its candidate key phrases.

- Chapters: the cut of the sentences into the chapters whose words hold together best (tf-idf
  unit vectors summed per chapter), with a long pause or a change of speaker counting for a
  cut, maximised by dynamic programming; the count where one more chapter gains least. 3 to 10
  per 40 minutes by default, never shorter than a minimum length.
- Titles: the chapter's key phrases (noun phrases, proper names), scored YAKE-like on how often
  they are said in the chapter and how rarely elsewhere.
- Description: TextRank (Mihalcea & Tarau, 2004) over the sentences; the most central ones,
  quoted as they were said, in their order. Nothing is written that was not said.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from podcast.domain.transcript import Segment, Word

SENTENCE_END = (".", "?", "!", "…")
SENTENCE_PAUSE = 1.2  # seconds of silence that end a sentence even without punctuation
CONTENT_POS = frozenset({"NOUN", "PROPN", "ADJ"})
FILLERS = frozenset({"euh", "heu", "hum", "hmm", "ben", "bah", "uh", "um", "erm"})


@dataclass(frozen=True)
class Token:
    """A word as the language edge analysed it."""

    text: str
    lemma: str
    pos: str  # universal part of speech: NOUN, PROPN, ADJ, VERB, DET, ADP, PUNCT...
    stop: bool = False


@dataclass(frozen=True)
class Sentence:
    start: float  # seconds, published timeline
    end: float
    text: str
    speaker: str = ""
    pause: float = 0.0  # silence before it
    tokens: tuple[Token, ...] = ()

    @property
    def terms(self) -> list[str]:
        """The words that carry the topic: content lemmas, lower case."""
        return [t.lemma.lower() for t in self.tokens if _is_term(t)]


def _is_term(token: Token) -> bool:
    lemma = token.lemma.lower()
    return token.pos in CONTENT_POS and not token.stop and len(lemma) > 2 and lemma.isalpha() and lemma not in FILLERS


# -- sentences ----------------------------------------------------------------------------
def sentences(segments: Sequence[Segment]) -> list[Sentence]:
    """The transcript cut into sentences (no tokens yet: the language edge adds them)."""
    found: list[Sentence] = []
    words: list[Word] = []
    speaker = ""
    previous_end = 0.0

    def close() -> None:
        nonlocal words, previous_end
        text = "".join(w.word for w in words).strip()
        if text:
            pause = max(0.0, words[0].start - previous_end)
            found.append(Sentence(words[0].start, words[-1].end, text, speaker, pause))
            previous_end = words[-1].end
        words = []

    for segment in segments:
        pieces = segment.words or [Word(segment.start, segment.end, " " + segment.text)]
        for word in pieces:
            if words and (segment.speaker != speaker or word.start - words[-1].end >= SENTENCE_PAUSE):
                close()
            speaker = segment.speaker
            words.append(word)
            if word.word.strip().endswith(SENTENCE_END):
                close()
        if not segment.words:
            close()
    close()
    return found


# -- chapters -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    per_hour: tuple[float, float] = (4.5, 15.0)  # 3 to 10 per 40 minutes
    shortest: float = 0.0  # a chapter lasts at least this (0: from the duration)
    chapters: int = 0  # as many chapters as the producer asked for (0: the count is chosen)


@dataclass(frozen=True)
class Boundary:
    at: float  # where the chapter starts (its first sentence), published timeline
    index: int  # its first sentence
    score: float  # what the cut is worth: the cohesion lost without it, plus its pause or turn


PAUSE_WEIGHT = 0.4  # a pause PAUSE_SPAN seconds longer than usual, in units of sqrt(sentences)
PAUSE_SPAN = 2.0
TURN_WEIGHT = 0.05
NOTHING = 1e-3  # a cut that gains no more than this finds no change of topic (the benchmark's: 3 or more)
EVEN = 1e-6  # per sqrt(second) of a chapter: ties go to even lengths, never more (3 h: < 3e-4)


def boundaries(found: Sequence[Sentence], duration: float, options: Options = Options()) -> list[Boundary]:
    """Where the topic changes: the chapters' starts after the first (which starts at 0).

    The sentences are cut into the chapters whose words hold together best: the sum, over the
    chapters, of the length of their summed tf-idf unit vectors (the words of one topic point the
    same way and add up; two topics' words are at right angles and add up less), plus what the
    delivery says at each cut (a long pause, a change of speaker), maximised by dynamic
    programming for every count of chapters at once (Utiyama & Isahara, 2001; Alemi & Ginsparg,
    2015). Unlike TextTiling's fixed windows, a short chapter beside a long one is found
    (measured on real speech: benchmarks/notes.py). How many: as many as asked for, or where
    the gain of one more cut drops most, within 3-10 per 40 minutes (fewer where chapters of
    the shortest length do not fit)."""
    if len(found) < 4 or duration <= 0:
        return []
    shortest = options.shortest or min(180.0, max(15.0, duration / 16))
    fewest = math.floor(options.per_hour[0] * duration / 3600)
    most = max(1, math.floor(options.per_hour[1] * duration / 3600))
    if options.chapters:
        fewest = most = options.chapters - 1
        shortest = options.shortest or min(shortest, duration / (2 * options.chapters))
    # a cut needs a sentence to start at (a wild end time asks for millions of chapters)
    fewest, most = min(fewest, len(found) - 1), min(most, len(found) - 1)
    # a pause's weight grows with the cohesion at stake: a chapter's summed length, ~sqrt(sentences)
    delivery = _delivery(found) * math.sqrt(len(found))
    gram = _gram(found)
    solutions = _segmentations(gram, delivery, [s.start for s in found], duration, shortest, most + 1)
    if len(solutions) < 2 or (not options.chapters and solutions[1][0] - solutions[0][0] <= NOTHING):
        return []  # one topic, said without a pause: nothing to cut at (unless chapters were asked for)
    cuts = solutions[_how_many([total for total, _ in solutions], fewest, most)][1]
    edges = [0, *cuts, len(found)]
    worth = [_worth(gram, edges[k], cut, edges[k + 2]) + float(delivery[cut]) for k, cut in enumerate(cuts)]
    return [Boundary(round(found[cut].start, 3), cut, round(value, 4)) for cut, value in zip(cuts, worth, strict=True)]


def _turn(before: Sentence, sentence: Sentence, usual: float) -> float:
    """What the delivery says of a gap: a pause longer than the episode's usual one (in short
    stretches of transcribed speech, the words alone are sparse), a change of speaker."""
    longer = min(1.0, max(0.0, (sentence.pause - usual) / PAUSE_SPAN))
    return PAUSE_WEIGHT * longer + (TURN_WEIGHT if sentence.speaker != before.speaker else 0.0)


def _delivery(found: Sequence[Sentence]) -> np.ndarray:
    """_turn at each sentence's start (0 before the first)."""
    usual = sorted(s.pause for s in found)[len(found) // 2]
    return np.array([0.0, *(_turn(found[i - 1], found[i], usual) for i in range(1, len(found)))])


def _idf(documents: Sequence[Sequence[str]]) -> dict[str, float]:
    counts = Counter(term for doc in documents for term in set(doc))
    total = len(documents)
    return {term: math.log((1 + total) / (1 + count)) + 1.0 for term, count in counts.items()}


def _gram(found: Sequence[Sentence]) -> np.ndarray:
    """The sentences' tf-idf unit vectors' dot products, summed from the start both ways:
    cumulative[j, k] is the sum of dot(i, l) for i < j and l < k (a block's sum in O(1))."""
    weights = _idf([s.terms for s in found])
    vectors = [Counter(s.terms) for s in found]
    norms = [math.sqrt(sum((c * weights[t]) ** 2 for t, c in v.items())) or 1.0 for v in vectors]
    postings: dict[str, list[tuple[int, float]]] = {}
    for index, vector in enumerate(vectors):
        for term, count in vector.items():
            postings.setdefault(term, []).append((index, count * weights[term] / norms[index]))
    dots = np.zeros((len(found), len(found)))
    for posting in postings.values():  # sparse: each term only meets the sentences that say it
        rows = np.array([i for i, _ in posting])
        values = np.array([v for _, v in posting])
        dots[np.ix_(rows, rows)] += np.outer(values, values)
    cumulative = np.zeros((len(found) + 1, len(found) + 1))
    cumulative[1:, 1:] = dots.cumsum(axis=0).cumsum(axis=1)
    return cumulative


def _lengths(cumulative: np.ndarray, end: int) -> np.ndarray:
    """For each first < end, the length of the summed vectors of sentences first..end-1."""
    diagonal = np.diag(cumulative)
    blocks = diagonal[end] - cumulative[:end, end] - cumulative[end, :end] + diagonal[:end]
    lengths: np.ndarray = np.sqrt(np.maximum(0.0, blocks))
    return lengths


def _worth(cumulative: np.ndarray, first: int, cut: int, end: int) -> float:
    """What cutting first..end-1 at `cut` gains."""
    whole = _lengths(cumulative, end)
    return float(_lengths(cumulative, cut)[first] + whole[cut] - whole[first])


def _segmentations(
    cumulative: np.ndarray, delivery: np.ndarray, starts: list[float], duration: float, shortest: float, most: int
) -> list[tuple[float, list[int]]]:
    """For 0, 1, ... `most` cuts (while possible), the best total and its cuts: each chapter
    `shortest` long at least."""
    count = len(starts)
    at = np.array([*starts, duration])
    best = np.full((most + 1, count + 1), -np.inf)
    back = np.zeros((most + 1, count + 1), dtype=int)
    first_long = at[:count] - at[0] >= shortest  # a cut leaves the first chapter long enough
    first_long[0] = False
    for end in range(1, count + 1):
        lengths = _lengths(cumulative, end)  # of the chapter from each sentence to `end`
        lengths += EVEN * np.sqrt(at[end] - at[:end])  # where nothing else decides: even chapters
        best[0, end] = lengths[0]
        allowed = first_long[:end] & (at[end] - at[:end] >= shortest)
        for cuts in range(1, most + 1):
            totals = np.where(allowed, best[cuts - 1, :end] + lengths + delivery[:end], -np.inf)
            back[cuts, end] = int(np.argmax(totals))
            best[cuts, end] = totals[back[cuts, end]]
    solutions = []
    for cuts in range(most + 1):
        if not np.isfinite(best[cuts, count]):
            break
        chosen, end = [], count
        for level in range(cuts, 0, -1):
            end = int(back[level, end])
            chosen.append(end)
        solutions.append((float(best[cuts, count]), sorted(chosen)))
    return solutions


def _how_many(totals: list[float], fewest: int, most: int) -> int:
    """The count of cuts after which one more gains the least compared with the last one
    (the elbow of the gains), within fewest..most (and at least one)."""
    gains = [b - a for a, b in itertools.pairwise(totals)]  # gains[k - 1]: what the k-th cut adds
    top = min(most, len(gains))
    low = min(max(1, fewest), top)

    def drop(k: int) -> float:
        if k >= len(gains):
            return 1.0  # no room for another cut: that says nothing of the gains
        return math.inf if gains[k] <= 0 else gains[k - 1] / gains[k]

    return max(range(low, top + 1), key=lambda k: (drop(k), -k))


# -- key phrases and titles ---------------------------------------------------------------
def phrases(sentence: Sentence) -> list[str]:
    """Candidate key phrases as said: runs of proper nouns ("Quart Monde"), and a noun with
    its adjectives and a "de" complement ("territoires zéro chômeur", "réforme des retraites")."""
    found: list[str] = []
    tokens = sentence.tokens
    index = 0
    while index < len(tokens):
        end = _phrase_end(tokens, index)
        if end > index:
            text = _joined(tokens[index:end])
            if any(_is_term(t) for t in tokens[index:end]) and len(text) > 2:
                found.append(text)
            index = end
        else:
            index += 1
    return found


def _phrase_end(tokens: Sequence[Token], start: int) -> int:
    """Where the phrase starting at `start` ends (`start` when none starts there)."""
    first = tokens[start]
    if _proper(first):
        return _name_end(tokens, start)
    if first.pos != "NOUN" or not _is_term(first):
        return start
    end = start + 1
    while end < len(tokens) and (tokens[end].pos == "ADJ" or (tokens[end].pos == "NOUN" and _is_term(tokens[end]))):
        end += 1
    return _complement_end(tokens, end)


def _proper(token: Token) -> bool:
    """A proper noun, or an acronym ("ATD", which the small tagger often reads as a noun)."""
    return token.pos == "PROPN" or (token.text.isupper() and len(token.text) > 1)


def _name_end(tokens: Sequence[Token], start: int) -> int:
    """A name with the particles inside it: "Marine Le Pen", "Père Lachaise", "ATD Quart Monde"."""
    end = start + 1
    while end < len(tokens):
        if _proper(tokens[end]):
            end += 1
        elif end + 1 < len(tokens) and tokens[end].text[:1].isupper() and _proper(tokens[end + 1]):
            end += 2
        else:
            break
    return end


def _complement_end(tokens: Sequence[Token], end: int) -> int:
    """A "de" complement after a noun phrase ending at `end`: "réforme des retraites",
    "chômeur de longue durée" (up to three words)."""
    if end + 1 >= len(tokens) or tokens[end].lemma.lower() not in ("de", "du", "des", "d'", "d’"):
        return end
    after = end + 1
    if tokens[after].pos == "DET" and tokens[after].text.lower() in ("la", "l'", "l’"):
        after += 1
    tail = after
    while tail < len(tokens) and tokens[tail].pos in ("NOUN", "ADJ", "PROPN") and tail - after < 3:
        tail += 1
    return tail if any(tokens[i].pos in ("NOUN", "PROPN") for i in range(after, tail)) else end


def _joined(tokens: Sequence[Token]) -> str:
    text = ""
    for token in tokens:
        glue = "" if not text or text.endswith(("'", "’", "-")) or token.text == "-" else " "
        text += glue + token.text
    return text.strip(" ,.;:!?…-")


def _key(phrase: str) -> str:
    return re.sub(r"\s+", " ", phrase.lower().replace("’", "'")).strip()


def _counted(found: Sequence[Sentence]) -> Counter[str]:
    """How often each phrase is said, a longer phrase also counting for the phrase it starts
    with ("territoires zéro chômeur de longue durée" for "territoires zéro chômeur")."""
    counts = Counter(_key(p) for s in found for p in phrases(s))
    for key, count in list(counts.items()):
        words = key.split()
        for size in range(1, len(words)):
            shorter = " ".join(words[:size])
            if shorter in counts:
                counts[shorter] += count
    return counts


def titles(chapters: Sequence[Sequence[Sentence]], language: str = "fr", longest: int = 60) -> list[str]:
    """A short title for each chapter from its key phrases: the most frequent phrase in the
    chapter, weighted by how rarely the other chapters say it; two when they fit."""
    per_chapter = [_counted(chapter) for chapter in chapters]
    spelled = {_key(p): p for chapter in chapters for s in chapter for p in phrases(s)}
    terms = [Counter(t for s in chapter for t in s.terms) for chapter in chapters]
    everywhere = Counter(key for counts in per_chapter for key in counts)
    result = []
    for counts, chapter_terms in zip(per_chapter, terms, strict=True):
        scores = {k: _phrase_score(k, counts, everywhere, len(chapters)) for k in counts}
        ranked = sorted(scores, key=lambda k: -scores[k])
        picked = [spelled[k] for k in ranked[:2] if scores[k] >= scores[ranked[0]] / 2]
        if not picked and chapter_terms:
            picked = [chapter_terms.most_common(1)[0][0]]
        result.append(_title(picked, language, longest))
    return result


def _phrase_score(key: str, counts: Counter[str], everywhere: Counter[str], total: int) -> float:
    rarity = math.log((1 + total) / everywhere[key]) + 1.0
    length = 1.0 + 0.3 * min(3, len(key.split()) - 1)
    return counts[key] * rarity * length


def _title(picked: list[str], language: str, longest: int) -> str:
    if not picked:
        return ""
    joiner = " et " if language.startswith("fr") else " and "
    text = joiner.join(picked) if len(picked) > 1 and len(joiner.join(picked)) <= longest else picked[0]
    text = text[:longest].rsplit(" ", 1)[0] if len(text) > longest else text
    return text[:1].upper() + text[1:]


def key_phrases(found: Sequence[Sentence], count: int = 8) -> list[str]:
    """The episode's topics: the phrases said most, longer ones first at equal counts."""
    counts = _counted(found)
    spelled = {_key(p): p for s in found for p in phrases(s)}
    ranked = sorted(counts, key=lambda k: (-counts[k] * (1.0 + 0.3 * min(3, len(k.split()) - 1)), k))
    return [spelled[k] for k in ranked if counts[k] >= 2][:count]


# -- the description ----------------------------------------------------------------------
def description(found: Sequence[Sentence], most: int = 3, longest: int = 600) -> list[Sentence]:
    """The most representative sentences (TextRank), as said, in their order; sentences with
    fillers, too short or too long to quote are left out."""
    quotable = [s for s in found if 8 <= len(s.text.split()) <= 45 and not _has_filler(s) and len(s.terms) >= 3]
    if not quotable:
        return []
    ranks = _textrank([s.terms for s in quotable])
    chosen: list[Sentence] = []
    size = 0
    for _rank, sentence in sorted(zip(ranks, quotable, strict=True), key=lambda pair: -pair[0]):
        if len(chosen) >= most or size + len(sentence.text) > longest:
            continue
        chosen.append(sentence)
        size += len(sentence.text) + 1
    return sorted(chosen, key=lambda s: s.start)


def _has_filler(sentence: Sentence) -> bool:
    return any(re.sub(r"\W", "", w.lower()) in FILLERS for w in sentence.text.split())


def _textrank(documents: Sequence[Sequence[str]], damping: float = 0.85, rounds: int = 60) -> list[float]:
    """PageRank over sentences linked by shared words (Mihalcea & Tarau's similarity)."""
    vocabulary = {term: index for index, term in enumerate({t for d in documents for t in d})}
    presence = np.zeros((len(documents), len(vocabulary)), dtype=np.float32)
    for row, document in enumerate(documents):
        presence[row, [vocabulary[t] for t in set(document)]] = 1.0
    common = presence @ presence.T
    sizes = np.log(np.maximum(presence.sum(axis=1), 2.0))
    links = common / (sizes[:, None] + sizes[None, :])
    np.fill_diagonal(links, 0.0)
    totals = links.sum(axis=1)
    transition = np.divide(links, totals[:, None], out=np.zeros_like(links), where=totals[:, None] > 0)
    ranks = np.full(len(documents), 1.0 / len(documents))
    for _ in range(rounds):
        ranks = (1 - damping) / len(documents) + damping * transition.T @ ranks
    return [float(r) for r in ranks]
