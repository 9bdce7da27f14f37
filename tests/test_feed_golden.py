"""Golden files for the feed: each folder of tests/golden/feed/ is a small project (config,
episodes, and the build records the catalog reads) beside the exact XML it must give.

After an intended change to the feed, regenerate them with
`PODCAST_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_feed_golden.py` and read the diff."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import feedparser
import pytest

from podcast.project.config import load_config
from podcast.release import catalog, rss

CASES = Path(__file__).parent / "golden" / "feed"
NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
ARTWORK_KEY = "artwork-0123456789ab.jpg"


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_feed_matches_its_golden_file(case: str, tmp_path: Path) -> None:
    root = tmp_path / case
    shutil.copytree(CASES / case, root, ignore=shutil.ignore_patterns("expected.xml"))
    config = load_config(root)
    xml = rss.build(config, catalog.collect(config, NOW), ARTWORK_KEY)
    expected = CASES / case / "expected.xml"
    if os.environ.get("PODCAST_UPDATE_GOLDEN"):
        expected.write_bytes(xml)
    assert xml.decode("utf-8") == expected.read_text(encoding="utf-8")
    assert not feedparser.parse(xml).bozo


def test_the_golden_comparison_can_fail(tmp_path: Path) -> None:
    root = tmp_path / "full"
    shutil.copytree(CASES / "full", root)
    toml = root / "episodes" / "ep-2" / "episode.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("Un épisode bonus", "Un autre titre"), encoding="utf-8")
    config = load_config(root)
    xml = rss.build(config, catalog.collect(config, NOW), ARTWORK_KEY)
    assert xml != (CASES / "full" / "expected.xml").read_bytes()
