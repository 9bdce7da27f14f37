"""Show notes: Markdown to the sanitised HTML podcast apps accept."""

from __future__ import annotations

from podcast.release import notes


def test_notes_are_sanitised() -> None:
    html = notes.to_html(
        "# Titre\n\n**gras** <script>alert(1)</script> [lien](https://a.org) "
        '<a href="javascript:alert(1)" onclick="x()">x</a> <img src=x onerror=alert(1)>'
    )
    assert "<strong>gras</strong>" in html and 'href="https://a.org"' in html
    for bad in ("<script", "alert(1)", "onclick", "javascript:", "<img", "onerror", "<h1"):
        assert bad not in html
