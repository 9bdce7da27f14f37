"""French typography for what listeners read: a golden file of real transcript sentences (the
shared clips' references) before and after, the rules one by one, and English left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from podcast.domain import typography
from podcast.domain.typography import NBSP, NNBSP, french

GOLDEN = Path(__file__).parent / "golden" / "typography"


def test_golden_transcript_sentences() -> None:
    before = (GOLDEN / "before-fr.txt").read_text(encoding="utf-8").splitlines()
    after = (GOLDEN / "after-fr.txt").read_text(encoding="utf-8").splitlines()
    assert len(before) == len(after)
    for source, expected in zip(before, after, strict=True):
        assert french(source) == expected, source
        assert french(expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("raw", "typeset"),
    [
        ("c'est l'actualité d'aujourd'hui", "c’est l’actualité d’aujourd’hui"),
        ("je crois qu' elle a", "je crois qu’elle a"),
        ("Vraiment?", f"Vraiment{NNBSP}?"),
        ("Vraiment ?!", f"Vraiment{NNBSP}?!"),
        ("bon ; alors", f"bon{NNBSP}; alors"),
        ("Il a dit: oui", f"Il a dit{NBSP}: oui"),
        ('il a dit "non"', f"il a dit «{NNBSP}non{NNBSP}»"),
        ("« oui »", f"«{NNBSP}oui{NNBSP}»"),
        ("“non”", f"«{NNBSP}non{NNBSP}»"),
        ("enfin...", "enfin…"),
        ("il a - je crois - raison", "il a – je crois – raison"),
        ("10 000 personnes, 12 %", f"10{NNBSP}000 personnes, 12{NNBSP}%"),
    ],
)
def test_rules(raw: str, typeset: str) -> None:
    assert french(raw) == typeset


@pytest.mark.parametrize(
    "kept",
    [
        "à 12:30",  # a time
        "https://exemple.org/l'asso?x=1&y=2",  # an address, apostrophe and question mark included
        "contact@asso.fr",
        "2024-05-atd.mp3",
        "Saint-Denis, Aix-en-Provence",  # hyphens in names stay hyphens
        "",
    ],
)
def test_left_alone(kept: str) -> None:
    assert french(kept) == kept


def test_english_shows_are_untouched() -> None:
    text = 'He said: "don\'t" - really?'
    assert typography.for_language("en")(text) == text
    assert typography.for_language("fr-CA")(text) != text
    assert typography.for_language("FR") is french


def test_pages_and_newsletters_print_french_typography(project: Path) -> None:
    """Every text a template prints goes through the show's typography; markup made already
    (the notes' HTML) and addresses are left as they are; an English show is untouched."""
    from markupsafe import Markup

    from podcast.project.config import load_config
    from podcast.release import site

    config = load_config(project)
    template = site.environment(config).from_string(
        '<p title="{{ title }}">{{ text }}</p><a href="{{ url }}">{{ notes }}</a>', {}
    )
    values = {
        "title": "Qu'en dites-vous?",
        "text": 'Il a dit "non" <script>',
        "url": "https://exemple.org/l'asso?x=1",
        "notes": Markup("<em>l'asso</em>"),
    }
    page = template.render(**values)
    assert f'title="Qu’en dites-vous{NNBSP}?"' in page
    assert f"Il a dit «{NNBSP}non{NNBSP}» &lt;script&gt;" in page  # still escaped
    assert 'href="https://exemple.org/l&#39;asso?x=1"' in page and "<em>l'asso</em>" in page
    english = load_config(project, {"show.language": "en"})
    assert "Qu&#39;en dites-vous?" in site.environment(english).from_string("{{ title }}").render(**values)


def test_show_notes_on_the_pages() -> None:
    """The notes' text is set; code, link addresses and markup are not; the feed's copy (no
    language given) is left as written."""
    from podcast.release import notes

    markdown = "Bonjour ! L'asso dit \"oui\"... [le site](https://ex.org/l'a?b) et `l'code`"
    page = notes.to_html(markdown, "fr")
    assert f"Bonjour{NNBSP}! L’asso dit «{NNBSP}oui{NNBSP}»…" in page
    assert 'href="https://ex.org/l\'a?b"' in page and "<code>l'code</code>" in page
    assert "L'asso dit" in notes.to_html(markdown) and "L'asso" in notes.to_html(markdown, "en")


def test_json_for_the_scripts_is_printed_as_it_is(project: Path) -> None:
    from podcast.project.config import load_config
    from podcast.release import site

    env = site.environment(load_config(project))
    data = '{"resume": "Reprendre à", "n": "l\'épisode ?"}'
    assert (
        env.from_string('<b data-w="{{ d }}">').render(d=data)
        == f'<b data-w="{data.replace(chr(34), "&#34;").replace(chr(39), "&#39;")}">'
    )


def test_machine_values_are_printed_as_they_are(project: Path) -> None:
    """A media type with its codecs (the player's <source type>) is escaped, never typeset: a
    browser reads « audio/ogg ; codecs=« opus » » as a type it cannot play."""
    from podcast.project.config import load_config
    from podcast.release import site

    env = site.environment(load_config(project))
    kind = 'audio/ogg; codecs="opus"'
    assert env.from_string('<source type="{{ t }}">').render(t=site.Verbatim(kind)) == (
        '<source type="audio/ogg; codecs=&#34;opus&#34;">'
    )
    assert "«" in env.from_string("{{ t }}").render(t=kind)  # the same text, as words, is set
