"""Proofreading: the review page in a real browser (Debian's Chromium, Playwright), saving a
corrected transcript, importing one, reviewed status and publish refusing unreviewed ones;
the glossary put back after decoding."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from podcast.domain import glossary
from podcast.domain.transcript import Segment, Word

from .conftest import Run, accessibility_problems, add_episode, edit

ON = ("--set", "transcribe.enabled=true")
HOSTILE = '<img src=x onerror="window.pwned=true"><script>window.pwned=true</script> & "Ça"'


def said(text: str) -> Segment:
    words = text.split(" ")
    return Segment(0, len(words), text, [Word(i, i + 1, (" " if i else "") + w) for i, w in enumerate(words)])


def test_glossary_puts_near_misses_back() -> None:
    names = ["Isabelle Bouyer", "ATD Quart Monde", "Compagnie Générale des Autres", "Romainville", "Bondy", "GNIAC"]
    heard = (
        "nous avons rencontré Isabelle Bouillé, d'ATD car monde, puis la compagnie générale des hôtes à Romain ville."
    )
    fixed, changes = glossary.correct_all([said(heard)], names)
    assert fixed[0].text == (
        "nous avons rencontré Isabelle Bouyer, d'ATD Quart Monde, puis la Compagnie Générale des Autres à Romainville."
    )
    assert len(changes) == 4 and fixed[0].words[3].start == 3 and fixed[0].words[3].end == 5  # times kept
    for untouched in ("c'est bon dit-il, à Bondy", "le bon dit", "il a coup d'hémabé bouillé", "Bonjour à tous."):
        assert glossary.correct_all([said(untouched)], names)[0][0].text == untouched
    assert glossary.correct_all([said("le niac organise")], names)[0][0].text == "le GNIAC organise"


@pytest.mark.parametrize(
    ("names", "heard", "fixed"),
    [
        (["ATD Quart-Monde"], "avec ATD quart-monde.", "avec ATD Quart-Monde."),  # the glossary's capitals
        (["ATD Quart-Monde"], "les militants d'ATD car monde", "les militants d'ATD Quart-Monde"),
        (["ATD"], "chez A.T.D., on dit", "chez ATD, on dit"),  # initials
        (["ATD"], "chez A. T. D. on dit", "chez ATD on dit"),
        (["A.T.D."], "chez ATD, on dit", "chez A.T.D., on dit"),
        (["ATD Quart Monde"], "chez A. T. D. Quart Monde", "chez ATD Quart Monde"),
        (["Isabelle Bouyer"], "nous avons rencontré Mabelle Bouyer hier", "nous avons rencontré Isabelle Bouyer hier"),
        (["Isabelle Bouyer"], "Amelle Bouyer, d'ATD", "Isabelle Bouyer, d'ATD"),  # the surname heard right
    ],
)
def test_glossary_names_split_or_spelled_out(names: list[str], heard: str, fixed: str) -> None:
    assert glossary.correct_all([said(heard)], names)[0][0].text == fixed


@pytest.mark.parametrize(
    "untouched",
    [
        "la belle bouillie est prête",  # sounds as close as "ma belle bouillée": no evidence, no change
        "Marc Bouyer est là",  # the same surname, someone else
        "Isabelle est là",
        "il y a une belle boule",
        "à Tédé",
    ],
)
def test_glossary_leaves_look_alikes(untouched: str) -> None:
    assert glossary.correct_all([said(untouched)], ["Isabelle Bouyer", "ATD"])[0][0].text == untouched


def test_glossary_backed_by_an_echoing_reading() -> None:
    """A prompted reading that echoed the prompt is evidence for the names at its times."""
    plain = said("nous avons accouté ma belle bouillée, mais quand même")
    echo = Segment(0, 8, "", [Word(3.0, 4.0, " Isabelle"), Word(4.0, 5.2, " Bouyer,"), Word(5.2, 6, " ATD")])
    fixed, _ = glossary.backed([plain], [echo], ["Isabelle Bouyer", "ATD Quart Monde"])
    assert fixed[0].text == "nous avons accouté Isabelle Bouyer, mais quand même"


@pytest.fixture
def reviewed_project(project: Path, run: Run, speech_wav: Path) -> Path:
    add_episode(project, "ep", speech_wav)
    result = run(*ON, "process", "ep")
    assert result.exit_code == 0, result.output
    assert run(*ON, "transcribe", "ep").exit_code == 0
    return project


@pytest.fixture
def review_server(reviewed_project: Path) -> Iterator[str]:
    from podcast.project.config import load_config
    from podcast.workflows import review

    config = load_config(reviewed_project, {"transcribe.enabled": "true"})
    server = review.make_server(config, "ep", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_saving_refuses_other_sites_and_bad_input(review_server: str) -> None:
    def post(body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(review_server + "save", data=body, headers=headers, method="POST")
        try:
            return urllib.request.urlopen(request, timeout=10).status
        except urllib.error.HTTPError as exc:
            return exc.code

    assert post(b'{"cues": []}', {"Content-Type": "application/json"}) == 403  # no token: another site's form
    page = urllib.request.urlopen(review_server, timeout=10).read().decode()
    token = page.split('name="review-token" content="')[1].split('"')[0]
    headers = {"Content-Type": "application/json", "X-Review-Token": token}
    assert post(b"not json", headers) == 400
    assert post(json.dumps({"cues": [{"start": "x", "end": 1, "text": "a"}]}).encode(), headers) == 400
    assert post(json.dumps({"cues": [{"start": 9e9, "end": 9e9, "text": "a"}]}).encode(), headers) == 400
    bad_speaker = {"cues": [{"start": 0, "end": 1, "text": "a", "speaker": "x\u0007y"}]}
    assert post(json.dumps(bad_speaker).encode(), headers) == 400
    rebinding = urllib.request.Request(review_server, headers={"Host": "evil.example:80"})
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(rebinding, timeout=10)


def test_proofreading_in_a_real_browser(
    review_server: str, reviewed_project: Path, run: Run, browser: object, tmp_path: Path
) -> None:
    project = reviewed_project
    assert "not reviewed" in run(*ON, "status").output
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
    page = context.new_page()
    dialogs: list[str] = []

    def dialog(box: Any) -> None:
        dialogs.append(box.message)
        box.dismiss()

    page.on("dialog", dialog)
    page.goto(review_server)
    page.wait_for_selector(".cue .text")
    assert page.locator(".cue").count() >= 1
    assert page.locator(".w").count() > 3  # Whisper's words, each clickable
    assert accessibility_problems(page) == []
    page.keyboard.press("F2")  # the next word Whisper was unsure of
    assert page.locator(".w.unsure").count() >= 1 and page.locator(".w.current.unsure").count() == 1
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    playing = page.evaluate("!document.getElementById('audio').paused")
    page.keyboard.press("Escape")
    assert playing and page.evaluate("document.getElementById('audio').paused")
    first = page.locator(".w").nth(2)
    first.click()
    assert page.evaluate("document.getElementById('audio').currentTime") > 0  # a word plays from its time

    text = page.locator(".cue .text").first
    text.click()
    page.keyboard.press("End")
    page.keyboard.type(" CORRIGÉ " + HOSTILE)
    page.locator(".cue input").first.fill("Karima <b>")
    page.locator(".cue input").first.dispatch_event("change")
    page.reload()  # unsaved changes survive a reload
    page.wait_for_selector(".cue .text")
    assert "CORRIGÉ" in page.locator(".cue .text").first.inner_text()
    assert page.locator("#draft").is_visible()
    assert page.evaluate("window.pwned === undefined") and not dialogs

    page.keyboard.press("Control+s")
    page.locator("#status", has_text="Enregistré.").wait_for(timeout=60000)
    own = (project / "episodes" / "ep" / "transcript.vtt").read_text()
    assert "NOTE reviewed" in own and "CORRIGÉ" in own and "&lt;img" in own and "<img" not in own
    assert "<v Karima &lt;b&gt;>" in own
    built = (project / "build" / "ep" / "transcript.vtt").read_text()
    assert "CORRIGÉ" in built  # every output rewritten at once, without Whisper
    page.reload()
    page.wait_for_selector(".cue .text")
    assert not page.locator("#draft").is_visible()  # saved: no draft left
    assert "Relu." in page.locator("#state").inner_text()
    context.close()
    published_with_the_correction(project, run)


def published_with_the_correction(project: Path, run: Run) -> None:
    status = run(*ON, "status").output
    assert "reviewed" in status and "not reviewed" not in status
    result = run(*ON, "publish", "ep")
    assert result.exit_code == 0, result.output
    public = project / "public"
    vtt = next(public.rglob("*.vtt")).read_text()
    assert "CORRIGÉ" in vtt and "<img" not in vtt
    html = (public / "episodes" / "ep" / "index.html").read_text()
    assert "CORRIGÉ" in html and "<img src=x" not in html and "<script>window.pwned" not in html
    assert "CORRIGÉ" in run("transcript", "ep", "--format", "md").output


def test_publish_can_require_a_review_and_import_counts_as_one(
    reviewed_project: Path, run: Run, tmp_path: Path
) -> None:
    project = reviewed_project
    edit(project / "config.toml", "require_review = false", "require_review = true")
    result = run(*ON, "publish", "ep")
    assert result.exit_code == 1 and "not reviewed" in result.stderr and "podcast review ep" in result.stderr

    exported = tmp_path / "ep.srt"
    assert run(*ON, "transcript", "ep", "--format", "srt", "-o", str(exported)).exit_code == 0
    text = exported.read_text()
    first_line = text.splitlines()[2]
    exported.write_text(text.replace(first_line, "Relu dans Subtitle Edit", 1))
    result = run(*ON, "transcript", "import", "ep", str(exported))
    assert result.exit_code == 0, result.output
    assert "reviewed" in result.output
    own = (project / "episodes" / "ep" / "transcript.vtt").read_text()
    assert "Relu dans Subtitle Edit" in own and "NOTE reviewed" in own
    result = run(*ON, "publish", "ep")
    assert result.exit_code == 0, result.output
    assert "Relu dans Subtitle Edit" in (project / "build" / "ep" / "transcript.txt").read_text()

    late = tmp_path / "late.vtt"
    late.write_text("WEBVTT\n\n01:00:00.000 --> 01:00:02.000\nTrop tard\n")
    result = run(*ON, "transcript", "import", "ep", str(late))
    assert result.exit_code == 1 and "after the episode's end" in result.stderr
    assert "Relu dans Subtitle Edit" in (project / "episodes" / "ep" / "transcript.vtt").read_text()
    assert run("transcript", "import", "ep", str(tmp_path / "absent.srt")).exit_code == 1
    kept = list((project / "build" / "ep" / "cache").glob("transcript-*.vtt"))
    assert kept == []  # the first import replaced no own transcript


def test_the_issues_glossary_reproduction_keeps_names_and_sentence(project: Path, run: Run, tmp_path: Path) -> None:
    """Issue #17's reproduction: once, the model echoed the prompt and the sentence was lost."""
    import subprocess

    sentence = (
        "Nous avons rencontré Isabelle Bouyer, d'ATD Quart Monde, puis la Compagnie Générale des Autres à Romainville."
    )
    names = tmp_path / "names.wav"
    subprocess.run(["espeak-ng", "-v", "fr", "-s", "140", "-w", str(names), sentence], check=True)
    glossary_line = 'glossary = ["Isabelle Bouyer", "ATD Quart Monde", "Compagnie Générale des Autres", "Romainville"]'
    edit(project / "config.toml", "glossary = []", glossary_line)
    add_episode(project, "names", names)
    result = run(*ON, "process", "names")
    assert result.exit_code == 0, result.output
    assert run(*ON, "transcribe", "names").exit_code == 0
    text = (project / "build" / "names" / "transcript.txt").read_text()
    for name in ("Isabelle Bouyer", "ATD Quart Monde", "Compagnie Générale des Autres", "Romainville"):
        assert name in text, text
    assert "nous avons" in text.lower() and len(text.split()) >= 12, text


def test_a_reviewed_transcript_survives_a_new_cut(reviewed_project: Path, run: Run, tmp_path: Path) -> None:
    """The corrections are kept in the recording's timeline: a later cut moves the cues after
    it, and a cue inside it is left out with a warning naming it."""
    project = reviewed_project
    corrected = tmp_path / "corrected.vtt"
    corrected.write_text(
        "WEBVTT\n\n00:00:00.200 --> 00:00:01.000\nPremière phrase relue.\n\n"
        "00:00:02.000 --> 00:00:03.000\nDeuxième phrase relue.\n",
        encoding="utf-8",
    )
    assert run(*ON, "transcript", "import", "ep", str(corrected)).exit_code == 0
    folder = project / "episodes" / "ep"
    own = (folder / "transcript.vtt").read_text()
    first = own.split("\n\n")[2].splitlines()[1]  # its times in the recording's timeline
    start, end = (t.strip() for t in first.split("-->"))
    edit(folder / "episode.toml", "cuts = []", f'cuts = ["{start}-{end}"]')
    result = run(*ON, "publish", "ep")
    assert result.exit_code == 0, result.output
    assert "1 inside cuts left out" in result.output
    vtt = (project / "build" / "ep" / "transcript.vtt").read_text()
    assert "Première" not in vtt and "Deuxième phrase relue." in vtt
    assert "Première phrase relue." in (folder / "transcript.vtt").read_text()  # the producer's file is kept whole


def test_split_merge_and_rename_in_the_browser(review_server: str, reviewed_project: Path, browser: object) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(review_server)
    page.wait_for_selector(".cue .text")
    before = page.locator(".cue").count()
    first = page.locator(".cue .text").first
    text = first.inner_text()
    first.click()
    page.keyboard.press("Home")
    for _ in range(len(text) // 2):
        page.keyboard.press("ArrowRight")
    page.get_by_role("button", name="Couper au curseur").first.click()
    assert page.locator(".cue").count() == before + 1
    halves = page.locator(".cue .text").all_inner_texts()[:2]
    assert " ".join(halves).split() == text.split() or "".join(halves).replace(" ", "") == text.replace(" ", "")
    starts = page.locator(".cue .time").all_inner_texts()[:2]
    assert starts[0] <= starts[1]
    page.get_by_role("button", name="Fusionner avec la suivante").first.click()
    assert page.locator(".cue").count() == before
    page.locator("#rename-to").fill("Isabelle")
    page.get_by_role("button", name="Renommer partout").click()
    speakers = [page.locator(".cue input").nth(i).input_value() for i in range(before)]
    assert "Isabelle" in speakers and "réplique(s) attribuée(s) à Isabelle" in page.locator("#status").inner_text()
    context.close()


HOLD_LOCK = """
import sys, time
from pathlib import Path
from podcast import pipeline
from podcast.project.config import load_config
with pipeline.lock(load_config(Path(sys.argv[1]))):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_save_while_another_run_holds_the_project_keeps_the_corrections(reviewed_project: Path) -> None:
    import subprocess
    import sys

    from podcast.project.config import load_config
    from podcast.workflows import review

    config = load_config(reviewed_project, {"transcribe.enabled": "true"})
    cues = {"cues": [{"start": 0.0, "end": 1.5, "text": "Relu pendant une publication.", "speaker": ""}]}
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(reviewed_project)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        message = review.save(config, "ep", cues)
    finally:
        holder.kill()
        holder.wait()
    assert "not rewritten yet" in message and "another" in message
    assert "Relu pendant une publication." in (reviewed_project / "episodes" / "ep" / "transcript.vtt").read_text()


def test_the_page_lists_only_suggestions_still_in_the_episode(reviewed_project: Path) -> None:
    """A suggestion inside a cut made since, or past the end (a hand-edited file), is not listed."""
    from podcast.domain import suggestions
    from podcast.project.config import load_config
    from podcast.workflows import review

    folder = reviewed_project / "episodes" / "ep"
    found = [
        suggestions.Suggestion(1, 0.5, 0.8, "filler", "euh"),
        suggestions.Suggestion(2, 900.0, 901.0, "pause", "4 s"),
        suggestions.Suggestion(3, 0.9, 1.0, "cough", "", "rejected"),
    ]
    (folder / suggestions.NAME).write_text(suggestions.to_json(found))
    config = load_config(reviewed_project, {"transcribe.enabled": "true"})
    listed = review.page_data(config, "ep")["suggestions"]
    assert [s["number"] for s in listed] == [1]
