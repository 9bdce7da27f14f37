"""What the transcript suggests for the episode's files (`podcast suggest --chapters --notes
--names`), and writing the accepted ones.

- chapters: where the topic changes (domain/topics: lexical cohesion, pauses, speaker turns,
  never inside a sentence), each with a title from its key phrases; times in the recording's
  timeline, moved out of any suggested cut;
- notes: a description made of the most representative sentences (quoted, never invented),
  the topics, the web addresses, books and organisations mentioned;
- names: people, organisations and places (spaCy's French NER), merged with the glossary and
  the show's hosts and guests, proposed as guests, as the episode's place and as glossary
  names for the next transcription, each with how often and where it was heard.

An accepted proposal is written once, through the producer's-files writer (comments and layout
kept): chapters, guests, the place and the summary into episode.toml, the topics and mentions
into notes.md, glossary names into config.toml.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from podcast.core import i18n, timecode
from podcast.core.errors import EpisodeError
from podcast.core.text import without_controls
from podcast.domain import names, topics
from podcast.domain.suggestions import Proposal, Suggestion
from podcast.edges import nlp
from podcast.project import producer_files
from podcast.project.config import CONFIG_NAME, EPISODE_NAME, Config
from podcast.project.episode import Episode

KINDS = ("chapters", "notes", "names")
LOCATIONS = 3  # places proposed for podcast:location, most heard first
TIMES_SHOWN = 4


def propose(
    config: Config,
    ep: Episode,
    kinds: Sequence[str],
    cuts: Sequence[Suggestion] = (),
    chapter_count: int = 0,
) -> list[Proposal]:
    """Fresh proposals of `kinds` (numbered 0: the merge numbers them) from the transcript;
    `chapter_count` chapters when given, else as many as the topic changes."""
    segments = ep.segments()  # [] before the first transcription
    if not segments:
        raise EpisodeError(f"{ep.slug} has no transcript yet: run `podcast transcribe {ep.slug}` first")
    language = config.show.language
    found = topics.sentences(segments)
    analysed = nlp.analyse([s.text for s in found], language)
    found = [dataclasses.replace(s, tokens=a.tokens) for s, a in zip(found, analysed, strict=True)]
    edl = ep.edit_list()
    to_source: Callable[[float], float] = edl.to_source if edl else float
    heard = Heard(found, analysed, _outside_cuts(to_source, cuts), config, ep)
    result: list[Proposal] = []
    if "chapters" in kinds and found:
        duration = max(s.end for s in segments)
        result += _chapters(found, duration, language, heard.source, topics.Options(chapters=chapter_count))
    if "notes" in kinds:
        result += _notes(heard)
    if "names" in kinds:
        if not nlp.available(language):
            raise EpisodeError(f"name suggestions need a spaCy pipeline for '{language}' ({nlp.INSTALL})")
        result += _names(heard)
    # what was heard may carry control characters (a transcript imported or edited by hand)
    return [dataclasses.replace(p, text=without_controls(p.text), detail=without_controls(p.detail)) for p in result]


@dataclass(frozen=True)
class Heard:
    """The transcript's sentences as analysed, and where they are in the recording."""

    sentences: list[topics.Sentence]
    analysed: list[nlp.Analysed]
    source: Callable[[float], float]  # published time → recording time, outside suggested cuts
    config: Config
    ep: Episode


def _outside_cuts(to_source: Callable[[float], float], cuts: Sequence[Suggestion]) -> Callable[[float], float]:
    """Published time → recording time, moved to the end of a suggested cut it falls in (a
    chapter must not start in audio the producer may cut)."""
    kept = [c for c in cuts if c.status != "rejected"]

    def source(at: float) -> float:
        time = to_source(at)
        for cut in kept:
            if cut.start <= time < cut.end:
                time = cut.end
        return round(time, 3)

    return source


def _chapters(
    found: list[topics.Sentence],
    duration: float,
    language: str,
    source: Callable[[float], float],
    options: topics.Options,
) -> list[Proposal]:
    starts = [0, *(b.index for b in topics.boundaries(found, duration, options))]
    spans = [found[a:b] for a, b in zip(starts, [*starts[1:], len(found)], strict=True)]
    titles = topics.titles(spans, language)
    proposals = []
    for index, (span, title) in enumerate(zip(spans, titles, strict=True)):
        at = 0.0 if index == 0 else source(span[0].start)
        first = span[0].text if len(span[0].text) <= 90 else span[0].text[:89].rsplit(" ", 1)[0] + "…"
        fallback = " ".join(span[0].text.split()[:6]).strip(" ,.;:!?…")
        proposals.append(Proposal(0, "chapter", title or fallback, at, f"« {first} »"))
    return proposals


def _notes(heard: Heard) -> list[Proposal]:
    found, source = heard.sentences, heard.source
    proposals = []
    chosen = topics.description(found)
    if chosen:
        stamps = ", ".join(timecode.short(source(s.start)) for s in chosen)
        text = " ".join(s.text for s in chosen)
        proposals.append(Proposal(0, "description", text, source(chosen[0].start), f"said at {stamps}"))
    phrases = topics.key_phrases(found)
    if phrases:
        proposals.append(Proposal(0, "topics", ", ".join(phrases), 0.0, "the phrases said most"))
    for sentence, analysis in zip(found, heard.analysed, strict=True):
        said = _excerpt(sentence.text)
        at = source(sentence.start)
        proposals += [Proposal(0, "link", url, at, said) for url in names.links(sentence.text)]
        others = [e.text for e in analysis.entities if e.kind == "other"]
        proposals += [Proposal(0, "book", title, at, said) for title in names.books(sentence.text, others)]
    for name in _merged(heard):
        if name.kind == "organisation":
            proposals.append(Proposal(0, "organisation", name.text, name.times[0], _heard(name)))
    return _unique(proposals)


def _names(heard: Heard) -> list[Proposal]:
    proposals = []
    places = 0
    for name in _merged(heard):
        detail = _heard(name)
        if name.kind == "person" and name.known not in ("host", "guest"):
            proposals.append(Proposal(0, "guest", name.text, name.times[0], detail))
        if name.kind == "place" and places < LOCATIONS and name.text != heard.ep.meta.location:
            proposals.append(Proposal(0, "location", name.text, name.times[0], detail))
            places += 1
        if not name.known:
            proposals.append(Proposal(0, "glossary", name.text, name.times[0], detail))
    return proposals


def _merged(heard: Heard) -> list[names.Name]:
    mentions = [
        names.Mention(entity.text, entity.kind, heard.source(sentence.start))
        for sentence, analysis in zip(heard.sentences, heard.analysed, strict=True)
        for entity in analysis.entities
        if entity.proper
    ]
    hosts = [h.name for h in heard.config.show.hosts]
    guests = [g.name for g in heard.ep.meta.guests]
    return names.merge(mentions, heard.config.transcribe.glossary, hosts, guests)


def _heard(name: names.Name) -> str:
    times = ", ".join(timecode.short(t) for t in name.times[:TIMES_SHOWN])
    more = "…" if name.count > TIMES_SHOWN else ""
    spellings = [s for s in name.spellings if s != name.text]
    also = f"; heard as {', '.join(spellings[:3])}" if spellings else ""
    return f"heard {name.count}× at {times}{more}{also}"


def _excerpt(text: str, longest: int = 120) -> str:
    return text if len(text) <= longest else text[: longest - 1].rsplit(" ", 1)[0] + "…"


def _unique(proposals: list[Proposal]) -> list[Proposal]:
    kept: list[Proposal] = []
    for proposal in proposals:
        if not any(proposal.same_place(other) for other in kept):
            kept.append(proposal)
    return kept


# -- writing accepted proposals -------------------------------------------------------------
def apply(config: Config, ep: Episode, accepted: Sequence[Proposal], *, dry_run: bool = False) -> list[str]:
    """Write the newly accepted proposals into the producer's files; what changed, in words."""
    done: list[str] = []
    places = [p.number for p in accepted if p.kind == "location"]
    if len(places) > 1:  # an episode has one place: the last would silently win
        raise EpisodeError(
            f"suggestions {places[0]} and {places[1]} are both the episode's place: accept one, reject the others"
        )
    episode_kinds = ("chapter", "guest", "location", "description")
    if any(p.kind in episode_kinds for p in accepted):
        done += _into_episode(ep, [p for p in accepted if p.kind in episode_kinds], config, dry_run)
    glossary = [p.text for p in accepted if p.kind == "glossary"]
    if glossary:
        done += _into_glossary(config, glossary, dry_run)
    notes = [p for p in accepted if p.kind in ("topics", "link", "book", "organisation")]
    notes += [p for p in accepted if p.kind == "description" and ep.meta.summary]
    if notes:
        block = _notes_block(notes, config.show.language)
        producer_files.append_notes(ep.notes_path, block, config.root, dry_run=dry_run)
        done.append(f"{ep.notes_path.name}: {len(notes)} line(s) added")
    return done


def _into_episode(ep: Episode, accepted: list[Proposal], config: Config, dry_run: bool) -> list[str]:
    path = ep.folder / EPISODE_NAME
    done = []
    with producer_files.edit(path, config.root, dry_run=dry_run) as document:
        for proposal in sorted(accepted, key=lambda p: p.start):
            if proposal.kind == "chapter":
                rows = document.get("chapters") or []
                if any(abs(_seconds(row.get("start", "0")) - proposal.start) < 0.01 for row in rows):
                    continue  # written already (a run interrupted before it recorded the decision)
                at = sum(1 for row in rows if _seconds(row.get("start", "0")) <= proposal.start)
                document.append("chapters", {"start": timecode.format(proposal.start), "title": proposal.text}, at)
                done.append(f"{EPISODE_NAME}: chapter {timecode.short(proposal.start)} {proposal.text!r}")
            elif proposal.kind == "guest":
                if any(g.get("name") == proposal.text for g in document.get("guests") or []):
                    continue
                document.append("guests", {"name": proposal.text, "role": "guest"})
                done.append(f"{EPISODE_NAME}: guest {proposal.text!r}")
            elif proposal.kind == "location":
                document.set("location", proposal.text)
                done.append(f"{EPISODE_NAME}: location {proposal.text!r}")
            elif proposal.kind == "description" and not ep.meta.summary:
                document.set("summary", proposal.text)
                done.append(f"{EPISODE_NAME}: summary")
    if any(p.kind == "chapter" for p in accepted) and not ep.meta.chapters and _other_chapters(ep):
        done.append(f"note: {EPISODE_NAME}'s [[chapters]] now take precedence over the chapters of notes.md or markers")
    return done


def _other_chapters(ep: Episode) -> bool:
    from podcast.domain import chapters

    return bool(chapters.from_notes(ep.notes)) or bool(ep.meta.edit.markers)


def _seconds(text: object) -> float:
    try:
        return timecode.parse(str(text))
    except ValueError:
        return 0.0


def _into_glossary(config: Config, accepted: list[str], dry_run: bool) -> list[str]:
    path = config.root / CONFIG_NAME
    with producer_files.edit(path, config.root, dry_run=dry_run) as document:
        current = [str(t) for t in document.get("transcribe.glossary") or []]
        added = [name for name in dict.fromkeys(accepted) if name not in current]
        if added:
            document.set("transcribe.glossary", [*current, *added])
    return [f"{CONFIG_NAME}: glossary + {', '.join(added)}"] if added else []


def _notes_block(accepted: list[Proposal], language: str) -> str:
    words = i18n.strings(language)
    lines: list[str] = []
    for proposal in accepted:
        if proposal.kind == "description":
            lines += [proposal.text, ""]
    topics_found = [p.text for p in accepted if p.kind == "topics"]
    if topics_found:
        lines += [f"{words['topics']} : {'; '.join(topics_found)}", ""]
    mentioned = [p for p in accepted if p.kind in ("link", "book", "organisation")]
    if mentioned:
        lines.append(f"{words['mentioned']} :")
        for proposal in mentioned:
            if proposal.kind == "link":
                lines.append(f"- <{proposal.text}>")  # an autolink: names.links made it https
            elif proposal.kind == "book":
                lines.append(f"- *{_markdown_text(proposal.text)}*")
            else:
                lines.append(f"- {_markdown_text(proposal.text)}")
    return "\n".join(lines).strip() + "\n"


def _markdown_text(text: str) -> str:
    """Text as Markdown shows it: its own marks escaped (a name never becomes a link or HTML)."""
    return "".join(f"\\{c}" if c in "\\`*_{}[]<>()#+!|" else c for c in text)
