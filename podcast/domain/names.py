"""People, organisations and places said in an episode, merged (pure).

What the language edge recognised (named entities, with where they were said) is merged into
one name per person, organisation or place: spellings that fold to the same letters, a
surname said alone after the full name ("Bouyer" → "Isabelle Bouyer"), an elided article
("d'ATD" → "ATD"), and a near-miss of a glossary name, which takes the glossary's spelling.
Each name says how often and where it was heard, and whether the show already knows it (a
host, a guest, the glossary), so a misheard name (heard once, spelled oddly) is easy to spot.

Also here: the web addresses and books mentioned, for the show notes.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from podcast.domain import glossary

KINDS = ("person", "organisation", "place", "other")  # other: a named event, work, brand (glossary only)
GLOSSARY_LIKE = 0.8  # a name sounding this much like a glossary term is that term
_ARTICLE = re.compile(r"^(?:(?:le|la|les|l|du|des|de|d|au|aux)\s*['’]?\s+|[ld]['’])", re.IGNORECASE)
_TRIM = " ,.;:!?…«»\"'’()[]"


@dataclass(frozen=True)
class Mention:
    text: str
    kind: str  # person, organisation, place, other (anything else is ignored)
    at: float  # seconds, published timeline


@dataclass
class Name:
    text: str  # the spelling to propose (the glossary's, or the one heard most)
    kind: str
    times: list[float] = field(default_factory=list)
    spellings: Counter[str] = field(default_factory=Counter)
    known: str = ""  # "host", "guest", "glossary" or ""

    @property
    def count(self) -> int:
        return len(self.times)


def clean(text: str) -> str:
    """A mention without its article or elision and surrounding punctuation."""
    text = " ".join(text.split()).strip(_TRIM)
    return _ARTICLE.sub("", text).strip(_TRIM)


def _plausible(text: str) -> bool:
    """A proper name: a capital letter, letters, not a lone initial or a sentence's first word only."""
    return len(text) >= 2 and any(c.isupper() for c in text) and sum(c.isalpha() for c in text) >= 2


def merge(
    mentions: Sequence[Mention],
    terms: Sequence[str] = (),
    hosts: Sequence[str] = (),
    guests: Sequence[str] = (),
) -> list[Name]:
    """One Name per person, organisation, place or other name heard, most heard first."""
    known = {glossary.fold(n): "host" for n in hosts} | {glossary.fold(n): "guest" for n in guests}
    spelled = {glossary.fold(t): t for t in [*terms, *hosts, *guests]}
    names: dict[str, Name] = {}
    for mention in mentions:
        text = clean(mention.text)
        if mention.kind not in KINDS or not _plausible(text):
            continue
        spelling = _glossary_spelling(text, spelled)
        key = glossary.fold(spelling)
        name = names.setdefault(key, Name(spelling, mention.kind))
        name.times.append(mention.at)
        name.spellings[text] += 1
    merged = _surnames(names)
    for key, name in merged.items():
        name.kind = _kind(name, mentions)
        name.known = known.get(key, "glossary" if key in {glossary.fold(t) for t in terms} else "")
        if not name.known or name.known == "glossary":
            name.text = spelled.get(key) or name.spellings.most_common(1)[0][0]
        name.times.sort()
    return sorted(merged.values(), key=lambda n: (-n.count, n.times[0]))


def _glossary_spelling(text: str, spelled: dict[str, str]) -> str:
    """The glossary's (or a host's, a guest's) spelling of `text` when it sounds like it."""
    folded = glossary.fold(text)
    if folded in spelled:
        return spelled[folded]
    words = folded.replace("-", " ").split()
    within = [t for f, t in spelled.items() if _run_of(words, f.replace("-", " ").split())]
    if len(within) == 1 and len(words) >= 2:  # "Quart Monde" for "ATD Quart Monde" (not "Monde": Le Monde)
        return within[0]
    key = glossary.sound(text)
    if len(key) < 4:
        return text
    scored = [(Levenshtein.normalized_similarity(key, glossary.sound(t)), t) for t in spelled.values()]
    similarity, best = max(scored, default=(0.0, text))
    if similarity >= GLOSSARY_LIKE:
        return best
    return text


def _run_of(words: list[str], longer: list[str]) -> bool:
    """Whether `words` start or end `longer` (and are shorter)."""
    size = len(words)
    return 0 < size < len(longer) and (longer[:size] == words or longer[-size:] == words)


def _surnames(names: dict[str, Name]) -> dict[str, Name]:
    """A name said alone that ends a longer person's name ("Bouyer", "Isabelle Bouyer") joins it."""
    people = [key for key, name in names.items() if len(key.split()) > 1 and name.kind == "person"]
    kept: dict[str, Name] = {}
    for key, name in sorted(names.items(), key=lambda item: -len(item[0].split())):
        alone = len(key.split()) == 1 and name.kind == "person"
        longer = [p for p in people if p != key and alone and key in p.split()]
        if len(longer) == 1 and longer[0] in kept:
            target = kept[longer[0]]
            target.times += name.times
            target.spellings.update(name.spellings)
        else:
            kept[key] = name
    return kept


def _kind(name: Name, mentions: Sequence[Mention]) -> str:
    """The kind the recogniser gave the name most often, a person, organisation or place before
    "other" (the small model calls a lone first name MISC now and then; mentions are re-read:
    cheap)."""
    votes = Counter(m.kind for m in mentions if clean(m.text) in name.spellings and m.kind in KINDS)
    ranked = sorted(votes.items(), key=lambda pair: (pair[0] == "other", -pair[1]))
    return ranked[0][0] if ranked else name.kind


# -- links and books ------------------------------------------------------------------------
_WEB = re.compile(
    r"\b(?:https?://)?(?:www\.)?[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:fr|org|com|net|eu|info|be|ch|ca|io|coop|asso\.fr)"
    r"\b(?:/[^\s,;«»<>\"]*[^\s,;!?«»<>\".:])?",  # a query kept ("watch?v=…"), a sentence's end left out
    re.IGNORECASE,
)
_SPOKEN_WEB = re.compile(
    r"\b((?:www\s+point\s+)?[a-z0-9-]+(?:\s+point\s+[a-z0-9-]+)*)\s+point\s+(fr|org|com|net|eu)\b", re.IGNORECASE
)
_BOOK = re.compile(r"\b(?:livre|ouvrage|roman|essai|bouquin|recueil|book|novel)s?\b", re.IGNORECASE)
_QUOTED = re.compile(r"[«“\"]\s*([^»”\"]{3,80}?)\s*[»”\"]")


def links(text: str) -> list[str]:
    """Web addresses written or spelled out ("atd-quartmonde point fr") in `text`, as https URLs."""
    found = []
    for match in _SPOKEN_WEB.finditer(text):
        host = re.sub(r"\s+point\s+", ".", match.group(1), flags=re.IGNORECASE).replace(" ", "")
        found.append(f"{host}.{match.group(2)}".lower())
    found += [m.group(0) for m in _WEB.finditer(text)]
    result: list[str] = []
    for address in found:
        url = address if address.lower().startswith(("http://", "https://")) else f"https://{address}"
        if url.lower() not in (r.lower() for r in result):
            result.append(url)
    return result


def books(text: str, others: Sequence[str]) -> list[str]:
    """Titles said near a word for a book: a quoted title, or a name the recogniser could not
    place (`others`: its MISC entities) in the same sentence."""
    if not _BOOK.search(text):
        return []
    titles = [m.group(1).strip() for m in _QUOTED.finditer(text)]
    titles += [clean(o) for o in others if _plausible(clean(o))]
    return list(dict.fromkeys(t for t in titles if t))
