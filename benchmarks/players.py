"""The web players compared for the episode page (issue #25), measured the same way in one run:
Podlove Web Player 5, media-chrome, Plyr, and ours (the published page's player on the native
<audio>). For each, in Debian's Chromium: the JavaScript, CSS and icons a page downloads
(compressed), axe-core's WCAG 2.1 A/AA violations (every frame), and whether the keyboard alone
reaches a play control and starts playback. Chapters, transcript and licence come from each
project's documentation and are printed beside the measures.

    (cd benchmarks/players && npm ci)   # the candidates, pinned; not shipped
    .venv/bin/python benchmarks/run.py players
"""

from __future__ import annotations

import contextlib
import gzip
import json
import re
import shutil
import string
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODULES = HERE / "players" / "node_modules"
AXE = HERE.parent / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
CHAPTERS = [(0, "Accueil"), (30, "Les territoires zéro chômeur"), (70, "Et demain ?")]
DOCUMENTED = {  # what each project documents: chapters, transcript following, licence
    "podlove": ("list and progress marks", "yes (its transcripts tab)", "MIT"),
    "media-chrome": ("in the time range's preview only (a chapters track)", "no", "MIT"),
    "plyr": ("marks on the bar (markers option), no list", "no", "MIT"),
    "ours": ("list, marks, current title, lock screen", "yes (highlight, scroll, search, quote)", "ours (MIT)"),
}


def _pages(folder: Path, audio: str) -> dict[str, str]:
    chapters = [
        {"start": f"00:00:{s:02d}.000" if s < 60 else f"00:01:{s - 60:02d}.000", "title": t} for s, t in CHAPTERS
    ]
    vtt = "WEBVTT\n\n" + "\n\n".join(
        f"{i}\n00:{s // 60:02d}:{s % 60:02d}.000 --> 00:{e // 60:02d}:{e % 60:02d}.000\n{t}"
        for i, ((s, t), (e, _)) in enumerate(zip(CHAPTERS, [*CHAPTERS[1:], (120, "")], strict=True), start=1)
    )
    (folder / "chapters.vtt").write_text(vtt, encoding="utf-8")
    episode = {
        "version": 5,
        "show": {"title": "Essai", "poster": ""},
        "title": "La pauvreté, parlons-en",
        "audio": [{"url": audio, "mimeType": "audio/mpeg", "size": 1, "title": "MP3"}],
        "chapters": chapters,
    }
    values = {
        "audio": audio,
        "episode": json.dumps(episode),
        "markers": json.dumps([{"time": s, "label": t} for s, t in CHAPTERS]),
    }
    return {
        name: string.Template((HERE / "players" / f"{name}.html").read_text(encoding="utf-8")).substitute(values)
        for name in ("podlove", "media-chrome", "plyr")
    }


def _measure(browser: Any, url: str) -> dict[str, Any]:
    page = browser.new_page()
    sizes: dict[str, int] = {}

    def count(response: Any) -> None:
        kind = response.request.resource_type
        name = response.url.split("?")[0]
        if kind in ("script", "stylesheet", "font") or name.endswith(".svg"):
            with contextlib.suppress(Exception):  # a redirect or an aborted body has none
                sizes[response.url] = len(gzip.compress(response.body()))

    page.on("response", count)
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(1500)
    violations: list[str] = []
    for frame in page.frames:
        try:
            frame.add_script_tag(path=str(AXE))
            found = frame.evaluate(
                "async () => (await axe.run(document, {runOnly: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}))"
                ".violations.map(v => v.id + ' x' + v.nodes.length)"
            )
            violations += found
        except Exception as exc:
            violations.append(f"(axe could not run in a frame: {exc.__class__.__name__})")
    plays = _keyboard_plays(page)
    page.close()
    return {"bytes": sum(sizes.values()), "files": len(sizes), "axe": violations, "keyboard": plays}


def _keyboard_plays(page: Any) -> str:
    """Tab from the top until a control named play/lecture has focus, then Enter: playing?"""
    script = """() => {
      let el = document.activeElement;
      while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
      if (el && el.tagName === 'IFRAME') { try { el = el.contentDocument.activeElement; } catch (e) {} }
      if (!el) return '';
      return [el.getAttribute('aria-label'), el.textContent, el.title].filter(Boolean).join(' ');
    }"""
    playing = "() => [...document.querySelectorAll('audio,video')].some(a => !a.paused)"
    for stop in range(1, 31):
        page.keyboard.press("Tab")
        name = " ".join(str(page.evaluate(script)).split())[:60]
        if re.search(r"\b(play|lecture|abspielen|wiedergabe)\b", name.lower()):
            page.keyboard.press("Enter")
            page.wait_for_timeout(800)
            if any(frame.evaluate(playing) for frame in page.frames):
                return f"yes (tab stop {stop}: {name!r})"
            return f"reached at tab stop {stop} ({name!r}), Enter did not play"
    return "no play control reached in 30 tab stops"


def bench_players(ours_url: str, audio_url: str, root_url: str, folder: Path) -> None:
    if not MODULES.is_dir():
        print("players: run `(cd benchmarks/players && npm ci)` first (the candidates are not shipped)")
        return
    from playwright.sync_api import sync_playwright

    for name, html in _pages(folder, audio_url).items():
        (folder / f"{name}.html").write_text(html, encoding="utf-8")
    (folder / "m").unlink(missing_ok=True) if (folder / "m").is_symlink() else None
    if not (folder / "m").exists():
        shutil.copytree(MODULES, folder / "m")
    urls = {name: f"{root_url}/{name}.html" for name in ("podlove", "media-chrome", "plyr")} | {"ours": ours_url}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--no-sandbox", "--mute-audio", "--autoplay-policy=no-user-gesture-required"],
        )
        print(f"{'player':13s} {'JS+CSS+icons':>13s} {'files':>5s}  axe violations  keyboard: Tab to play, Enter")
        for name, url in urls.items():
            found = _measure(browser, url)
            axe = ", ".join(found["axe"]) or "0"
            print(f"{name:13s} {found['bytes'] / 1024:10.1f} KB {found['files']:5d}  {axe}  {found['keyboard']}")
            chapters, transcript, licence = DOCUMENTED[name]
            print(f"{'':13s} chapters: {chapters}; transcript: {transcript}; licence: {licence}")
        browser.close()


def serve(folder: Path) -> tuple[Any, str]:
    sys.path.insert(0, str(HERE.parent))
    from podcast.workflows.serve import make_server

    server = make_server(folder, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def run(work: Path) -> None:
    """Publish a two-minute episode with chapters and a transcript, then compare the players."""
    root = work / "players-show"
    shutil.rmtree(root, ignore_errors=True)
    podcast = [sys.executable, "-m", "podcast", "--project", str(root)]
    subprocess.run(
        [sys.executable, "-m", "podcast", "init", str(root), "--no-input", "--title", "Essai"],
        check=True,
        capture_output=True,
    )
    mp3 = work / "players.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=f=220:d=120",
            "-ac",
            "1",
            "-b:a",
            "32k",
            str(mp3),
        ],
        check=True,
    )
    subprocess.run(
        [*podcast, "new", "ep", "--title", "La pauvreté, parlons-en", "--source", str(mp3)],
        check=True,
        capture_output=True,
    )
    toml = root / "episodes" / "ep" / "episode.toml"
    chapters = "".join(f'[[chapters]]\nstart = "{s}"\ntitle = "{t}"\n\n' for s, t in CHAPTERS)
    toml.write_text(
        toml.read_text(encoding="utf-8")
        .replace('mode = "mix"', 'mode = "as-is"')
        .replace("[edit]", chapters + "[edit]"),
        encoding="utf-8",
    )
    config = root / "config.toml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("[transcribe]\nenabled = true", "[transcribe]\nenabled = false"),
        encoding="utf-8",
    )
    (root / "build" / "ep").mkdir(parents=True, exist_ok=True)
    cues = [
        {"start": t, "end": t + 3.3, "text": "Une phrase de la conversation.", "speaker": "Karim", "words": []}
        for t in range(0, 117, 4)
    ]
    (root / "build" / "ep" / "transcript.segments.json").write_text(json.dumps(cues), encoding="utf-8")
    subprocess.run([*podcast, "publish", "--all"], check=True, capture_output=True)
    public = root / "public"
    audio = next(p for p in (public / "episodes" / "ep").iterdir() if p.suffix == ".mp3")
    server, base = serve(public)
    try:
        bench_players(f"{base}/episodes/ep/index.html", f"/episodes/ep/{audio.name}", base, public)
    finally:
        server.shutdown()
        server.server_close()
