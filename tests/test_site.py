"""The web pages in a real browser (Debian's Chromium driven by Playwright), search, quotes,
clips and newsletters."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import Run, accessibility_problems, add_episode, edit, make_tone, wait_time

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ON = ("--set", "transcribe.enabled=true")


@pytest.fixture
def served(project: Path) -> Iterator[str]:
    from podcast.workflows.serve import make_server

    server = make_server(project / "public", "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    edit(project / "config.toml", 'base_url = "http://127.0.0.1:8000"', f'base_url = "{base}"')
    yield base
    server.shutdown()
    server.server_close()


@pytest.fixture
def published_site(project: Path, run: Run, served: str, speech_wav: Path) -> str:
    folder = add_episode(project, "ep", speech_wav, date="2024-05-14", summary='"Un <b>résumé</b>."')
    text = (
        (folder / "episode.toml")
        .read_text()
        .replace(
            "[edit]",
            '[[chapters]]\nstart = "00:00:00"\ntitle = "Accueil"\n\n[[chapters]]\nstart = "00:00:03"\n'
            'title = "La pauvreté"\n\n[edit]',
        )
    )
    (folder / "episode.toml").write_text(text)
    (folder / "notes.md").write_text(
        'Des notes.\n\n<script>window.pwned = true; alert("x")</script>\n<img src=x onerror="window.pwned=true">\n'
    )
    add_episode(project, "silent-notes", make_tone(project.parent / "t.wav", seconds=3), date="2024-01-01")
    result = run(*ON, "--set", 'transcribe.model="base"', "publish", "ep")
    assert result.exit_code == 0, result.output
    assert run("publish", "silent-notes").exit_code == 0  # transcription off: no transcript
    return served


def test_episode_page_in_a_real_browser(published_site: str, browser: object, project: Path, tmp_path: Path) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.goto(f"{published_site}/episodes/ep/index.html")
    page.wait_for_function("document.getElementById('player').readyState >= 1", timeout=20000)
    assert page.evaluate("document.getElementById('player').duration") > 3
    stamps = page.locator(".transcript button.seek")
    assert stamps.count() >= 1
    chapters = page.locator(".chapters button.seek")
    assert chapters.count() == 2
    target = float(chapters.nth(1).get_attribute("data-start"))
    chapters.nth(1).click()
    wait_time(page, target, within=0.5)
    last = stamps.nth(stamps.count() - 1)
    start = float(last.get_attribute("data-start"))
    last.click()
    wait_time(page, start)
    page.wait_for_selector(".passage.current", timeout=10000)
    shot = tmp_path / "episode.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5000
    assert dialogs == [] and page.evaluate("window.pwned === undefined")
    html = page.content()
    assert "<script>window.pwned" not in html and "onerror" not in html
    data = json.loads(page.locator('script[type="application/ld+json"]').inner_text())
    assert data["@type"] == "PodcastEpisode" and data["associatedMedia"]["contentUrl"].endswith(".mp3")
    assert page.locator('meta[property="og:title"]').get_attribute("content")
    assert page.locator("#player-box").get_attribute("aria-labelledby") == "player-label"

    # a deep link from search or a quote lands on the right second
    page.goto(f"{published_site}/episodes/ep/index.html#t=2")
    wait_time(page, 2, within=0.3, timeout=20000)

    home = browser.new_page()  # type: ignore[attr-defined]
    home.goto(f"{published_site}/index.html")
    titles = home.locator("ol.cards .card-title").all_inner_texts()
    assert titles == ["Épisode ep", "Épisode silent-notes"]
    home.screenshot(path=str(tmp_path / "home.png"))

    other = browser.new_page()  # type: ignore[attr-defined]
    other.goto(f"{published_site}/episodes/silent-notes/index.html")
    assert "pas encore disponible" in other.locator(".transcript").inner_text()


def test_pages_read_without_javascript(published_site: str, browser: object) -> None:
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{published_site}/episodes/ep/index.html")
    assert page.locator("h1").inner_text() == "Épisode ep"
    assert page.locator(".transcript .passage").count() >= 1
    assert "Accueil" in page.locator(".chapters").inner_text()


def own_transcript(folder: Path, *cues: tuple[float, float, str, str]) -> None:
    """The episode's own transcript.vtt (recording timeline), as the proofreading page saves it."""
    lines = ["WEBVTT", ""]
    for start, end, who, text in cues:
        lines += [f"00:00:{start:06.3f} --> 00:00:{end:06.3f}", f"<v {who}>{text}", ""]
    (folder / "transcript.vtt").write_text("\n".join(lines), encoding="utf-8")


def test_search_folds_accents_and_ignores_fts_syntax(project: Path, run: Run, tmp_path: Path) -> None:
    for slug, text in (("a", "Les territoires zéro chômeur de longue durée"), ("b", "Universités populaires")):
        folder = add_episode(project, slug, make_tone(tmp_path / f"{slug}.wav", seconds=3))
        own_transcript(folder, (0.2, 0.9, "Karim", "Bonjour."), (1.0, 2.5, "Isabelle", text))
    assert run("publish", "--all").exit_code == 0
    result = run("search", "TERRITOIRES zero chomeur")
    assert result.exit_code == 0, result.output
    assert "a [00:00:01] Isabelle: Les [territoires] [zéro] [chômeur]" in result.output
    assert "http://127.0.0.1:8000/episodes/a/index.html#t=1" in result.output
    assert "1 passage(s)" in result.output
    for nasty in ('zéro" OR *', "NEAR(a b)", "-chômeur", "a:b", "text:zéro^", "{durée}"):
        answer = run("search", "--", nasty)
        assert answer.exit_code == 0 and "passage(s)" in answer.output, nasty  # searched as words, no FTS error
    assert "1 passage(s)" in run("search", "--", "-chômeur").output
    nothing = run("search", "***")
    assert nothing.exit_code == 1 and "nothing to search for" in nothing.stderr
    own_transcript(project / "episodes" / "b", (1.0, 2.0, "", "Universités populaires Quart Monde"))
    assert "0 passage(s)" in run("search", "quart monde").output  # not published yet: listeners cannot hear it
    assert run("publish", "b").exit_code == 0
    assert "b [00:00:01]" in run("search", "quart monde").output


def test_search_finds_only_what_listeners_can_hear(project: Path, run: Run, tmp_path: Path) -> None:
    """A draft and a withdrawn episode are out of the index (the index once walked every file)."""
    for slug in ("a", "b"):
        folder = add_episode(project, slug, make_tone(tmp_path / f"{slug}.wav", seconds=3))
        own_transcript(folder, (1.0, 2.5, "Isabelle", f"Les territoires zéro chômeur, épisode {slug}"))
    assert run("publish", "--all").exit_code == 0
    assert "2 passage(s)" in run("search", "territoires").output
    edit(project / "episodes" / "a" / "episode.toml", "draft = false", "draft = true")
    assert run("publish", "--all").exit_code == 0
    found = run("search", "territoires").output
    assert "1 passage(s)" in found and "b [00:00:01]" in found
    assert run("unpublish", "b", "--yes").exit_code == 0
    assert "0 passage(s)" in run("search", "territoires").output


def test_quote_clip_and_newsletter(project: Path, run: Run, speech_wav: Path) -> None:
    add_episode(project, "ep", speech_wav, summary='"Résumé & <détails>."')
    assert run(*ON, "publish", "ep").exit_code == 0
    result = run("quote", "ep", "--at", "00:00:00", "--duration", "4", "--clip")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("« ") and "podcast" in result.output.lower()
    assert "/episodes/ep/index.html#t=" in result.output
    clips = project / "build" / "ep" / "clips"
    mp3, mp4 = clips / "clip-0-4.mp3", clips / "clip-0-4.mp4"
    streams = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(mp4)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["streams"]
    video = next(s for s in streams if s["codec_type"] == "video")
    assert (video["width"], video["height"]) == (1080, 1080)
    assert any(s["codec_type"] == "audio" for s in streams)
    duration = float(
        subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(mp3)],
            capture_output=True,
            text=True,
        ).stdout
    )
    assert 3.8 < duration < 4.3
    assert run("quote", "ep", "--at", "00:10:00").exit_code == 1
    news = run("newsletter", "ep")
    assert news.exit_code == 0
    html = (project / "build" / "ep" / "newsletter.html").read_text()
    assert "Résumé &amp; &lt;détails&gt;." in html and "/episodes/ep/index.html" in html
    assert "Résumé & <détails>." in (project / "build" / "ep" / "newsletter.txt").read_text()


def test_templates_can_be_overridden(project: Path, run: Run, tmp_path: Path) -> None:
    (project / "templates").mkdir()
    (project / "templates" / "index.html").write_text("<p>Notre page : {{ show.title }}</p>")
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    assert run("publish", "ep").exit_code == 0
    assert (project / "public" / "index.html").read_text() == "<p>Notre page : Essai &amp; Cie</p>"
    assert (project / "public" / "episodes" / "ep" / "index.html").read_text().startswith("<!doctype html>")


def test_pages_pass_an_accessibility_check(published_site: str, browser: object) -> None:
    """axe-core (WCAG 2.1 A and AA rules) on the home page and an episode page."""
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    for path in ("/index.html", "/episodes/ep/index.html", "/episodes/silent-notes/index.html"):
        page.goto(f"{published_site}{path}")
        assert accessibility_problems(page) == [], path
    context.close()
