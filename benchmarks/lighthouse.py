"""Lighthouse on the published website (issue #25's quality bar): the mobile performance score
and how soon the pages are usable, on the home page and an episode page with a 40-minute
transcript. Measured here, not asserted in the tests: the score and the times depend on how busy
the machine is (the tests assert the audits that do not: accessibility, best practices, SEO).

Lighthouse 12.2.3 comes from tests/js (`make setup-test`); Debian's Chromium runs it."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from lighthouse_report import available, lighthouse  # noqa: E402

RUNS = 3
LINES = (
    "Les territoires zéro chômeur de longue durée partent des compétences de chacun.",
    "On apprend d'abord des personnes qui vivent la pauvreté, c'est ce qui change tout.",
    "Et quand on parle d'emploi, on parle aussi de dignité, de lien, de reconnaissance.",
)


def _transcript(seconds: int) -> str:
    lines = ["WEBVTT", ""]
    t, n = 0.0, 0
    while t + 3.5 <= seconds:
        who = "Karim" if (n // 4) % 2 == 0 else "Isabelle Bouyer"
        lines += [f"{_time(t)} --> {_time(t + 3.3)}", f"<v {who}>{LINES[n % len(LINES)]}", ""]
        t, n = t + 3.5, n + 1
    return "\n".join(lines)


def _time(seconds: float) -> str:
    return f"{int(seconds // 3600):02d}:{int(seconds % 3600 // 60):02d}:{seconds % 60:06.3f}"


def _show(root: Path, base_url: str) -> None:
    podcast = [sys.executable, "-m", "podcast", "--project", str(root)]
    shutil.rmtree(root, ignore_errors=True)
    subprocess.run(
        [sys.executable, "-m", "podcast", "init", str(root), "--no-input", "--title", "Paroles solidaires"],
        check=True,
        capture_output=True,
    )
    audio = root.parent / "long.mp3"
    subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=f=220:d=2400",
            "-ac",
            "1",
            "-b:a",
            "32k",
            str(audio),
        ],
        check=True,
    )
    subprocess.run(
        [*podcast, "new", "long", "--title", "Quarante minutes de conversation", "--source", str(audio)],
        check=True,
        capture_output=True,
    )
    folder = root / "episodes" / "long"
    toml = folder / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('mode = "mix"', 'mode = "as-is"'), encoding="utf-8")
    (folder / "transcript.vtt").write_text(_transcript(2400), encoding="utf-8")
    subprocess.run(
        [*podcast, "--set", f"show.base_url={base_url}", "--set", "transcribe.enabled=false", "publish", "--all"],
        check=True,
        capture_output=True,
    )


def bench_lighthouse(work: Path) -> None:
    if not available():
        print("lighthouse: skipped (`make setup-test` installs it in tests/js)")
        return
    from podcast.workflows.serve import make_server

    root = work / "lighthouse" / "show"
    root.parent.mkdir(parents=True, exist_ok=True)
    server = make_server(root / "public", "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (root / "public").mkdir(parents=True, exist_ok=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _show(root, base)
        for path in ("/index.html", "/episodes/long/index.html"):
            _page(f"{base}{path}", work / "lighthouse" / "report.json", path)
    finally:
        server.shutdown()
        server.server_close()


def _page(url: str, out: Path, path: str) -> None:
    scores, usable, boots = [], [], []
    for _ in range(RUNS):
        result = lighthouse(url, out)
        audits = result["audits"]
        scores.append({n: round(c["score"] * 100) for n, c in result["categories"].items()})
        shown = audits["first-contentful-paint"]["numericValue"]
        usable.append(audits["interactive"]["numericValue"] - shown)
        boots.append(sum(i["total"] for i in audits["bootup-time"]["details"]["items"] if "/assets/" in i["url"]))
    performance = [s["performance"] for s in scores]
    print(
        f"lighthouse {path} ({RUNS} runs, mobile): performance {min(performance)}-{max(performance)} "
        f"(target >= 95), accessibility {scores[-1]['accessibility']}, best practices "
        f"{scores[-1]['best-practices']}, SEO {scores[-1]['seo']}; interactive "
        f"{statistics.median(usable):.0f} ms after first paint (target < 1000), our script "
        f"{statistics.median(boots):.0f} ms"
    )
