"""Lighthouse 12.2.3 (npm, in tests/js) run on a page in Debian's Chromium: the one runner the
tests (audits) and benchmarks/lighthouse.py (performance) share."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

LIGHTHOUSE = Path(__file__).resolve().parent / "js" / "node_modules" / ".bin" / "lighthouse"


def available() -> bool:
    return LIGHTHOUSE.exists() and shutil.which("node") is not None


def lighthouse(url: str, report: Path) -> dict[str, Any]:
    """Lighthouse's report on `url`, mobile preset, in Debian's Chromium."""
    env = {"CHROME_PATH": shutil.which("chromium") or "/usr/bin/chromium", "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [
            str(LIGHTHOUSE),
            url,
            "--quiet",
            "--output=json",
            f"--output-path={report}",
            "--only-categories=performance,accessibility,best-practices,seo",
            "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
        ],
        check=True,
        env=env,
        timeout=300,
    )
    result: dict[str, Any] = json.loads(report.read_text())
    return result
