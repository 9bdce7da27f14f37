"""Suggestions drawn from the transcript: chapters (topic changes, never inside a sentence),
titles, an extractive description, names merged with the glossary and the show's people; and
the accept/edit/reject flow writing episode.toml, notes.md and config.toml through the
style-preserving writer. The language analysis is the real spaCy French pipeline."""

from __future__ import annotations

import dataclasses
import itertools
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from podcast.domain import names, suggestions, topics
from podcast.domain.suggestions import Proposal, Suggestion
from podcast.domain.topics import Sentence, Token

from .conftest import Run, add_episode

# Three topics, as an interview moves on; each sentence about 5 s.
HOUSING = [
    "Le logement social manque dans toute la région parisienne.",
    "Les familles attendent un logement pendant des années.",
    "Le loyer d'un logement privé coûte la moitié du salaire.",
    "Les bailleurs sociaux construisent trop peu de logements neufs.",
    "Un logement digne change la vie des enfants à l'école.",
    "Les expulsions de logement reprennent chaque printemps.",
]
WORK = [
    "Les territoires zéro chômeur de longue durée embauchent en contrat à durée indéterminée.",
    "Chaque chômeur de longue durée choisit un emploi selon ses compétences.",
    "L'entreprise à but d'emploi paie un salaire au smic.",
    "Le chômage de longue durée recule dans le territoire de Mauléon.",
    "Un emploi utile redonne confiance aux chômeurs du territoire.",
    "Les territoires zéro chômeur partent des compétences de chacun.",
]
SCHOOL = [
    "L'université populaire réunit des militants chaque mois à Paris.",
    "Les militants préparent ensemble la réunion de l'université populaire.",
    "À l'université populaire, chacun prend la parole sans crainte.",
    "Joseph Wresinski a fondé ATD Quart Monde en 1957.",
    "ATD Quart Monde publie le livre « Le croisement des savoirs » aux éditions de l'Atelier.",
    "Tout est sur le site atd-quartmonde.fr, et Isabelle Bouyer y écrit souvent.",
]


def transcript(groups: list[list[str]], pause: float = 0.4, seconds: float = 5.0) -> list[dict[str, Any]]:
    """Cues as the transcribe stage writes them: words with times, two sentences per cue."""
    cues: list[dict[str, Any]] = []
    at = 0.0
    for group_index, group in enumerate(groups):
        for index in range(0, len(group), 2):
            words: list[dict[str, Any]] = []
            start = at
            for sentence in group[index : index + 2]:
                tokens = sentence.split()
                step = seconds / len(tokens)
                for word in tokens:
                    words.append({"start": round(at, 3), "end": round(at + step * 0.9, 3), "word": f" {word}"})
                    at += step
                at += pause
            text = "".join(w["word"] for w in words).strip()
            cues.append({"start": round(start, 3), "end": round(at, 3), "text": text, "words": words})
        at += 2.0 if group_index < len(groups) - 1 else 0.0  # a pause where the topic changes
    return cues


def analysed(groups: list[list[str]]) -> list[Sentence]:
    from podcast.domain.transcript import Segment, Word
    from podcast.edges import nlp

    segments = [Segment(c["start"], c["end"], c["text"], [Word(**w) for w in c["words"]]) for c in transcript(groups)]
    found = topics.sentences(segments)
    return [
        dataclasses.replace(s, tokens=a.tokens)
        for s, a in zip(found, nlp.analyse([s.text for s in found], "fr"), strict=True)
    ]


def test_sentences_are_never_cut() -> None:
    found = analysed([HOUSING, WORK, SCHOOL])
    assert [s.text for s in found] == [*HOUSING, *WORK, *SCHOOL]
    assert all(b.start >= a.end for a, b in itertools.pairwise(found))


def test_chapters_where_the_topic_changes() -> None:
    found = analysed([HOUSING, WORK, SCHOOL])
    duration = found[-1].end
    changes = [found[len(HOUSING)].start, found[len(HOUSING) + len(WORK)].start]
    dense = topics.Options(per_hour=(60, 200), shortest=15)
    chosen = topics.boundaries(found, duration, dense)
    assert [b.at for b in chosen] == changes  # at a sentence's start, the right ones
    spans = [found[: len(HOUSING)], found[len(HOUSING) : -len(SCHOOL)], found[-len(SCHOOL) :]]
    titles = topics.titles(spans)
    assert "logement" in titles[0].lower() and "chômeur" in titles[1].lower(), titles
    assert "université populaire" in titles[2].lower(), titles
    # the defaults ask for 3-10 per 40 minutes: in 100 s, at most one
    assert len(topics.boundaries(found, duration)) <= 1
    assert topics.boundaries(found[:3], duration) == []


def test_chapter_count_is_chosen_and_a_short_one_is_found() -> None:
    """No count given (up to 200 an hour): the three topics, the short one between two long
    ones included, and no cut inside one."""
    short = SCHOOL[:3]
    found = analysed([HOUSING, short, WORK])
    changes = [found[len(HOUSING)].start, found[len(HOUSING) + len(short)].start]
    chosen = topics.boundaries(found, found[-1].end, topics.Options(per_hour=(0, 200), shortest=10))
    assert [b.at for b in chosen] == changes
    assert all(b.score > 0 for b in chosen)


def test_one_topic_said_evenly_has_no_chapters() -> None:
    """The same words throughout, the same pauses: nothing gains from a cut, none is proposed
    (unless chapters are asked for)."""
    said = Sentence(0, 4, "Le logement.", pause=1.0, tokens=(Token("logement", "logement", "NOUN"),))
    found = [dataclasses.replace(said, start=i * 5.0, end=i * 5.0 + 4) for i in range(200)]
    assert topics.boundaries(found, 1000.0) == []
    asked = topics.boundaries(found, 1000.0, topics.Options(chapters=3))
    assert [abs(b.at - third) <= 10 for b, third in zip(asked, (333, 667), strict=True)] == [True, True]  # even
    assert all(isinstance(b.score, float) for b in asked)


def test_acronyms_are_organisations_and_capitals_inside_a_sentence_names() -> None:
    from podcast.edges import nlp

    heard = nlp.analyse(["Vous êtes sur BFMTV ce soir.", "Le débat continue avec la CGT."], "fr")
    kinds = {e.text: e.kind for a in heard for e in a.entities}
    assert kinds.get("BFMTV") == "organisation" and kinds.get("CGT") == "organisation", kinds
    # what Whisper base wrote for "dans le Var" and "du Père Lachaise": names all the same
    said = ["La tournée commence aujourd'hui dans le VAR.", "C'était au cimetière du Père la Chèse."]
    heard = nlp.analyse(said, "fr")
    proper = {e.text: e.proper for a in heard for e in a.entities}
    assert proper.get("VAR") and any("Chèse" in text for text in proper) and all(proper.values()), proper


def test_description_quotes_what_was_said() -> None:
    found = analysed([HOUSING, WORK, SCHOOL])
    chosen = topics.description(found)
    assert 1 <= len(chosen) <= 3
    said = {s.text for s in found}
    assert all(s.text in said for s in chosen) and chosen == sorted(chosen, key=lambda s: s.start)
    assert "territoires zéro chômeur" in [p.lower() for p in topics.key_phrases(found)]


def test_phrases_from_tokens() -> None:
    tokens = (
        Token("la", "le", "DET", True),
        Token("réforme", "réforme", "NOUN"),
        Token("des", "de", "ADP", True),
        Token("retraites", "retraite", "NOUN"),
        Token("de", "de", "ADP", True),
        Token("Marine", "Marine", "PROPN"),
        Token("Le", "le", "DET"),
        Token("Pen", "Pen", "PROPN"),
    )
    assert topics.phrases(Sentence(0, 1, "", tokens=tokens)) == ["réforme des retraites", "Marine Le Pen"]
    hyphened = (Token("Lois", "Lois", "PROPN"), Token("-", "-", "PROPN"), Token("Mas", "Mas", "PROPN"))
    assert topics.phrases(Sentence(0, 1, "", tokens=hyphened)) == ["Lois-Mas"]


def test_names_merged_with_the_glossary_and_the_people() -> None:
    heard = [
        names.Mention("Isabelle Bouillé", "person", 10.0),
        names.Mention("Bouyer", "person", 50.0),
        names.Mention("d'ATD Quart Monde", "organisation", 12.0),
        names.Mention("ATD Quart-Monde", "organisation", 80.0),
        names.Mention("Karim Saïd", "person", 1.0),
        names.Mention("Montreuil", "place", 30.0),
        names.Mention("Tour de France", "other", 40.0),  # a named event: for the glossary
        names.Mention("Montreuil", "other", 60.0),  # the small model's MISC now and then: still a place
        names.Mention("Bonsoir", "date", 0.0),  # no kind of ours
        names.Mention("x", "person", 0.0),
    ]
    merged = {n.text: n for n in names.merge(heard, ["Isabelle Bouyer", "ATD Quart Monde"], hosts=["Karim Saïd"])}
    assert set(merged) == {"Isabelle Bouyer", "ATD Quart Monde", "Karim Saïd", "Montreuil", "Tour de France"}
    assert merged["Tour de France"].kind == "other"
    assert merged["Isabelle Bouyer"].times == [10.0, 50.0] and merged["Isabelle Bouyer"].known == "glossary"
    assert merged["ATD Quart Monde"].count == 2 and merged["Karim Saïd"].known == "host"
    assert merged["Montreuil"].known == "" and merged["Montreuil"].kind == "place"


def test_links_and_books() -> None:
    text = "Tout est sur atd-quartmonde point fr et sur https://exemple.org/page, lisez le livre « Le croisement »."
    assert names.links(text) == ["https://atd-quartmonde.fr", "https://exemple.org/page"]
    assert names.links("Voyez https://www.youtube.com/watch?v=abc123 et exemple.fr/p?id=3&x=4.") == [
        "https://www.youtube.com/watch?v=abc123",
        "https://exemple.fr/p?id=3&x=4",
    ]
    assert names.links("Allez sur exemple.fr/page?") == ["https://exemple.fr/page"]
    assert names.books(text, []) == ["Le croisement"]
    assert names.books("Il est venu à Paris.", ["Paris"]) == []


def test_suggestions_file_keeps_cuts_and_proposals() -> None:
    cuts = [Suggestion(1, 1.0, 2.0, "filler", "euh")]
    proposals = [Proposal(2, "chapter", "Logement", 0.0), Proposal(3, "guest", "Isabelle Bouyer", 12.0, "heard 2×")]
    assert suggestions.read(suggestions.to_json(cuts, proposals)) == (cuts, proposals)
    old = json.dumps({"version": 1, "suggestions": [dataclasses.asdict(cuts[0])]})
    assert suggestions.read(old) == (cuts, [])  # a file from before proposals
    again = [Proposal(0, "chapter", "Le logement", 8.0), Proposal(0, "chapter", "Emploi", 300.0)]
    decided = [dataclasses.replace(proposals[0], status="rejected"), proposals[1]]
    merged = suggestions.merge_proposals(decided, again, taken=1)
    assert [(p.number, p.text, p.status) for p in merged] == [
        (2, "Le logement", "rejected"),
        (4, "Emploi", "pending"),
        (3, "Isabelle Bouyer", "pending"),  # a decision kept even when not found again
    ] or [(p.number, p.status) for p in merged if p.kind == "chapter"] == [(2, "rejected"), (4, "pending")]
    for bad in ('{"suggestions": [], "proposals": [{"number": 1, "kind": "virus", "text": "x"}]}', "[]"):
        with pytest.raises(Exception, match="suggestions"):
            suggestions.read(bad)


EPISODE_COMMENT = "# my own comment, kept"


@pytest.fixture
def transcribed(project: Path) -> Path:
    """An episode whose transcript is there (as `podcast transcribe` leaves it), no audio needed."""
    folder = add_episode(project, "ep", None)
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + f"\n{EPISODE_COMMENT}\n", encoding="utf-8")
    build = project / "build" / "ep"
    build.mkdir(parents=True)
    cues = transcript([HOUSING * 4, WORK * 4, SCHOOL * 4], seconds=12.0)
    (build / "transcript.segments.json").write_text(json.dumps(cues, ensure_ascii=False), encoding="utf-8")
    config = project / "config.toml"
    text = config.read_text(encoding="utf-8").replace("glossary = []", 'glossary = ["ATD Quart Monde"]', 1)
    config.write_text(text, encoding="utf-8")
    return folder


def listed(output: str, kind: str) -> list[tuple[int, str]]:
    """(number, text) of the listed proposals of `kind` ("chapter: Logement")."""
    found = []
    for line in output.splitlines():
        parts = line.split()
        if parts and parts[0].isdigit() and f" {kind}: " in line:
            found.append((int(parts[0]), line.split(f"{kind}: ", 1)[1].rsplit("  [", 1)[0]))
    return found


def test_suggest_accept_edit_reject_writes_the_producers_files(run: Run, transcribed: Path, project: Path) -> None:
    result = run("suggest", "ep", "--chapters", "--notes", "--names")
    assert result.exit_code == 0, result.output
    chapters = listed(result.output, "chapter")
    assert len(chapters) >= 2 and chapters[0][1], result.output
    assert listed(result.output, "description") and listed(result.output, "link")
    guests = dict((text, number) for number, text in listed(result.output, "guest"))
    glossary_names = dict((text, number) for number, text in listed(result.output, "glossary name"))
    assert "Isabelle Bouyer" in guests and "Joseph Wresinski" in glossary_names, result.output
    assert "ATD Quart Monde" not in glossary_names  # known already
    assert "heard " in result.output

    before = {p.name: p.read_bytes() for p in (transcribed / "episode.toml", project / "config.toml")}
    dry = run("--dry-run", "suggest", "ep", "--accept", str(chapters[1][0]))
    assert dry.exit_code == 0 and "would write" in dry.output
    assert {p.name: p.read_bytes() for p in (transcribed / "episode.toml", project / "config.toml")} == before

    second, first = chapters[1][0], chapters[0][0]
    accepted = run("suggest", "ep", "--edit", f'{second}=Travailler "autrement"', "--accept", str(second))
    assert accepted.exit_code == 0, accepted.output
    accepted = run(
        "suggest", "ep", "--accept", f"{first},{guests['Isabelle Bouyer']},{glossary_names['Joseph Wresinski']}"
    )
    assert accepted.exit_code == 0, accepted.output
    text = (transcribed / "episode.toml").read_text(encoding="utf-8")
    assert EPISODE_COMMENT in text and 'title = "Travailler \\"autrement\\""' in text
    meta = tomllib.loads(text)
    assert [c["title"] for c in meta["chapters"]] == [chapters[0][1], 'Travailler "autrement"']  # in order
    assert meta["guests"] == [{"name": "Isabelle Bouyer", "role": "guest"}]
    config = tomllib.loads((project / "config.toml").read_text(encoding="utf-8"))
    assert config["transcribe"]["glossary"] == ["ATD Quart Monde", "Joseph Wresinski"]

    link = listed(result.output, "link")[0][0]
    description = listed(result.output, "description")[0][0]
    notes = run("suggest", "ep", "--notes", "--accept", f"{link},{description}", "--reject", str(chapters[-1][0]))
    assert notes.exit_code == 0, notes.output
    summary = tomllib.loads((transcribed / "episode.toml").read_text(encoding="utf-8"))["summary"]
    assert summary and summary.split(".")[0] in " ".join(HOUSING + WORK + SCHOOL)  # quoted, not invented
    assert "<https://atd-quartmonde.fr>" in (transcribed / "notes.md").read_text(encoding="utf-8")

    again = run("suggest", "ep", "--chapters")  # a new analysis keeps numbers and decisions
    assert again.exit_code == 0
    assert (second, 'Travailler "autrement"') in listed(again.output, "chapter")
    assert chapters[-1][0] not in [n for n, _ in listed(again.output, "chapter")]  # rejected: hidden
    twice = run("suggest", "ep", "--accept", str(second))  # accepted again: not written twice
    assert twice.exit_code == 0
    assert len(tomllib.loads((transcribed / "episode.toml").read_text(encoding="utf-8"))["chapters"]) == 2


def test_suggest_as_many_chapters_as_asked(run: Run, transcribed: Path) -> None:
    """--chapter-count N: N chapters (the first at 0), replacing the pending ones found before;
    the three topics' changes among the cuts."""
    chosen = run("suggest", "ep", "--chapters")
    assert chosen.exit_code == 0, chosen.output
    result = run("suggest", "ep", "--chapter-count", "5")
    assert result.exit_code == 0, result.output
    assert len(listed(result.output, "chapter")) == 5, result.output
    starts = [line.split()[1] for line in result.output.splitlines() if " chapter: " in line]
    assert starts[0] in ("0:00", "00:00", "00:00:00"), result.output
    wrong = run("suggest", "ep", "--chapter-count", "1")
    assert wrong.exit_code == 2 and "Traceback" not in wrong.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--chapters", "--edit", "oops"), "--edit expects N=text"),
        (("--chapters", "--edit", "999=x"), "no proposal numbered 999"),
        (("--chapters", "--accept", "999"), "no suggestion numbered 999"),
        (("--chapters", "--edit", f"1={'x' * 300}"), "1 to 255 characters"),
        (("--chapters", "--edit", "1=Début\x01\x1b[31m rouge", "--accept", "1"), "control character (U+0001)"),
    ],
)
def test_bad_decisions_are_one_line(run: Run, transcribed: Path, args: tuple[str, ...], message: str) -> None:
    result = run("suggest", "ep", *args)
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output


def test_damaged_or_strange_transcripts_are_one_line(run: Run, transcribed: Path, project: Path) -> None:
    """A transcript file damaged by hand or a tool is one line naming it; one of empty cues
    gives no chapter; one word ending a day late does not ask for thousands of chapters."""
    segments = project / "build" / "ep" / "transcript.segments.json"
    good = segments.read_text(encoding="utf-8")
    for damaged in ('[{"start": NaN, "end": 1, "text": "x"}]', '{"start": 0}', '[{"start": 0, "words": 3}]', "[{"):
        segments.write_text(damaged, encoding="utf-8")
        result = run("suggest", "ep", "--chapters")
        assert result.exit_code == 1 and "is damaged" in result.output and "--force" in result.output, result.output
    segments.write_text(json.dumps([{"start": i, "end": i + 1, "text": "", "words": []} for i in range(50)]))
    empty = run("suggest", "ep", "--chapters", "--notes", "--names")
    assert empty.exit_code == 0 and not listed(empty.output, "chapter"), empty.output
    cues = json.loads(good)
    cues[0]["words"][0]["word"] = " Marcel\x01"  # a control character heard (an imported transcript)
    segments.write_text(json.dumps(cues), encoding="utf-8")
    heard = run("suggest", "ep", "--chapters", "--names")
    assert (
        heard.exit_code == 0
        and "\x01" not in heard.output
        and "\x01"
        not in json.dumps(
            json.loads((transcribed / "suggestions.json").read_text(encoding="utf-8")), ensure_ascii=False
        )
    )
    cues[-1]["words"][-1]["end"] = cues[-1]["end"] = 1e12
    segments.write_text(json.dumps(cues), encoding="utf-8")
    wild = run("suggest", "ep", "--chapters")
    assert wild.exit_code == 0 and 1 <= len(listed(wild.output, "chapter")) <= 40, wild.output


def test_an_accepted_proposal_is_not_rejected_behind_the_files_back(run: Run, transcribed: Path) -> None:
    found = run("suggest", "ep", "--chapters")
    first = listed(found.output, "chapter")[0][0]
    assert run("suggest", "ep", "--accept", str(first)).exit_code == 0
    again = run("suggest", "ep", "--reject", str(first))
    assert again.exit_code == 1 and "accepted already" in again.output
    assert tomllib.loads((transcribed / "episode.toml").read_text(encoding="utf-8"))["chapters"]


def test_one_place_for_the_episode(run: Run, transcribed: Path) -> None:
    found = run("suggest", "ep", "--names")
    places = [number for number, _ in listed(found.output, "place")]
    assert len(places) >= 2, found.output  # Paris and Mauléon are heard
    both = run("suggest", "ep", "--accept", f"{places[0]},{places[1]}")
    assert both.exit_code == 1 and "accept one" in both.output
    assert not tomllib.loads((transcribed / "episode.toml").read_text(encoding="utf-8")).get("location")
    assert run("suggest", "ep", "--accept", str(places[0]), "--reject", str(places[1])).exit_code == 0


def test_no_transcript_yet(run: Run, project: Path) -> None:
    add_episode(project, "bare", None)
    result = run("suggest", "bare", "--chapters")
    assert result.exit_code != 0 and "no transcript yet" in result.output


def test_the_proofreading_page_accepts_edits_and_rejects(
    run: Run, transcribed: Path, project: Path, browser: object, tmp_path: Path
) -> None:
    """Every suggestion on the page (cuts included), decided there through the same functions
    as the command: an edited chapter title lands in episode.toml, a rejected name goes."""
    import threading

    from podcast.core import fsutil
    from podcast.domain.suggestions import Suggestion
    from podcast.project.config import load_config
    from podcast.project.episode import load
    from podcast.workflows import review

    from .conftest import accessibility_problems, make_tone

    assert run("suggest", "ep", "--chapters", "--names").exit_code == 0
    config = load_config(project)
    ep = load(config, "ep")
    make_tone(ep.processed_audio, seconds=5.0)
    proposals = ep.all_suggestions()[1]
    taken = max(p.number for p in proposals)
    fsutil.write_text(
        ep.suggestions_path, suggestions.to_json([Suggestion(taken + 1, 1.0, 1.6, "filler", "euh")], proposals)
    )
    server = review.make_server(config, "ep", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_selector(".suggestion")
        assert page.locator("#suggestions h3").all_inner_texts() == ["Coupes", "Chapitres", "Noms"]
        assert accessibility_problems(page) == []
        page.screenshot(path=str(tmp_path / "suggestions.png"), full_page=True)
        chapter = page.locator(".suggestion", has=page.locator("input.suggestion-text")).first
        number = chapter.get_attribute("data-number")
        chapter.locator("input").fill('Mon titre <img src=x onerror="window.pwned=1">')
        chapter.get_by_role("button", name=f"Accepter #{number} chapitre").click()
        page.locator(f'.suggestion.accepted[data-number="{number}"]').wait_for(timeout=20000)
        titles = [c["title"] for c in tomllib.loads((transcribed / "episode.toml").read_text())["chapters"]]
        assert titles == ['Mon titre <img src=x onerror="window.pwned=1">']
        guest = page.locator(".suggestion", has_text="invité·e").first
        guest_number = guest.get_attribute("data-number")
        guest.get_by_role("button", name=f"Rejeter #{guest_number} invité·e").click()
        page.locator(f'.suggestion[data-number="{guest_number}"]').wait_for(state="detached", timeout=20000)
        cut = page.locator(".suggestion", has_text="mot d’hésitation").first
        cut.get_by_role("button", name="Accepter").click()
        page.locator(".suggestion.accepted", has_text="mot d’hésitation").wait_for(timeout=20000)
        assert page.evaluate("window.pwned === undefined")
        assert accessibility_problems(page) == []
        page.screenshot(path=str(tmp_path / "decided.png"), full_page=True)
        statuses = {p.number: p.status for p in load(config, "ep").all_suggestions()[1]}
        assert statuses[int(number)] == "accepted" and statuses[int(guest_number)] == "rejected"
        assert load(config, "ep").suggestions()[0].status == "accepted"
        context.close()
    finally:
        server.shutdown()
        server.server_close()


def test_part_of_a_glossary_name_is_that_name() -> None:
    heard = [names.Mention("Quart Monde", "organisation", 3.0), names.Mention("Monde", "organisation", 4.0)]
    merged = names.merge(heard, ["ATD Quart Monde"])
    assert [(n.text, n.count) for n in merged] == [("ATD Quart Monde", 1), ("Monde", 1)]  # one word: "Le Monde"?
