"""What `podcast import` writes for a feed item: the old feed's item read by our feed reader,
mapped to episode.toml, and read back by the loader every command uses. No server, no audio:
the scenario tests (test_import.py) cover the downloads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from podcast.domain import feedreader
from podcast.domain.chapters import ChapterDecl
from podcast.domain.soundbites import Soundbite
from podcast.project.config import load_episode
from podcast.workflows import importer

FEED = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
     xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel>
  <title>L'asso parle</title>
  <atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="self" href="https://old.example.org/feed.xml"/>
  <item>
    <title>Épisode 3 : "la rue" &amp; nous
 (suite)</title>
    <guid isPermaLink="false">old-host-0003</guid>
    <pubDate>Tue, 14 May 2024 08:30:00 +0200</pubDate>
    <description><![CDATA[<p>Les notes, <b>riches</b>.</p>]]></description>
    <itunes:summary>Un résumé &lt;b&gt;court&lt;/b&gt;.</itunes:summary>
    <enclosure url="https://cdn.example.org/ep3.mp3?token=1" length="12345678" type="audio/mpeg"/>
    <itunes:episode>3</itunes:episode>
    <itunes:season>2</itunes:season>
    <itunes:episodeType>bonus</itunes:episodeType>
    <itunes:explicit>false</itunes:explicit>
    <itunes:duration>00:41:10</itunes:duration>
    <podcast:location>Montreuil</podcast:location>
    <podcast:person role="host" href="https://asso.example.org/anne">Anne</podcast:person>
    <podcast:person>Karim "K" Benali</podcast:person>
  </item>
</channel>
</rss>
"""


@pytest.fixture
def item_and_show(tmp_path: Path) -> tuple[feedreader.Item, feedreader.Show]:
    feed = tmp_path / "feed.xml"
    feed.write_text(FEED, encoding="utf-8")
    show = feedreader.read_show(feed, "https://old.example.org/feed.xml")
    (item,) = [
        i for i in feedreader.read_items(feed, "https://old.example.org/feed.xml") if isinstance(i, feedreader.Item)
    ]
    return item, show


def _written(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "episodes" / "la-rue"
    folder.mkdir(parents=True)
    (folder / "ep3.mp3").write_bytes(b"")
    (folder / "episode.toml").write_text(text, encoding="utf-8")
    return folder / "episode.toml"


def test_an_item_becomes_an_episode_the_loader_reads(
    tmp_path: Path, item_and_show: tuple[feedreader.Item, feedreader.Show]
) -> None:
    item, show = item_and_show
    extras = importer.Extras(
        chapters=[ChapterDecl("00:00:00", "Accueil"), ChapterDecl("00:12:30", "La rue")],
        soundbites=[Soundbite("00:05:00", 30.0, "Un extrait")],
    )
    text = importer._episode_toml(item, "ep3.mp3", "la-rue", show, importer.Options(), extras)
    meta = load_episode(_written(tmp_path, text), ZoneInfo("Europe/Paris"), tmp_path)

    assert meta.title == 'Épisode 3 : "la rue" & nous (suite)'  # one line, the text as the feed had it
    assert meta.guid == "old-host-0003"  # the identity listeners' apps know it by
    assert meta.date == dt.datetime(2024, 5, 14, 6, 30, tzinfo=dt.UTC)
    assert meta.source == ("ep3.mp3",) and meta.edit.mode == "as-is"  # the same audio bytes
    assert (meta.number, meta.season, meta.episode_type, meta.explicit) == (3, 2, "bonus", False)
    assert meta.location == "Montreuil"
    assert [(g.name, g.role, g.url) for g in meta.guests] == [
        ("Anne", "host", "https://asso.example.org/anne"),
        ('Karim "K" Benali', "guest", ""),
    ]
    assert [(c.start, c.title) for c in meta.chapters] == [("00:00:00", "Accueil"), ("00:12:30", "La rue")]
    assert [(b.start, b.duration, b.title) for b in meta.soundbites] == [("00:05:00", 30.0, "Un extrait")]
    assert meta.transcribe is False  # the feed's transcript, if any, is kept
    assert meta.imported is not None
    assert meta.imported.enclosure == "https://cdn.example.org/ep3.mp3?token=1"
    assert meta.imported.length == 12345678 and meta.imported.type == "audio/mpeg"
    assert meta.imported.feed == "https://old.example.org/feed.xml"
    assert meta.summary == "Un résumé court."  # as text: the description is the notes (notes.md)


def test_the_producers_choices_change_the_mapping(
    tmp_path: Path, item_and_show: tuple[feedreader.Item, feedreader.Show]
) -> None:
    item, show = item_and_show
    options = importer.Options(reprocess=("la-rue",), transcribe=("all",), retag=True)
    text = importer._episode_toml(item, "ep3.mp3", "la-rue", show, options, importer.Extras())
    meta = load_episode(_written(tmp_path, text), ZoneInfo("Europe/Paris"), tmp_path)
    assert meta.edit.mode == "mix" and meta.edit.retag is True  # edited and processed by our stages
    assert meta.transcribe is None  # the show's setting decides
    assert meta.chapters == () and meta.soundbites == () and meta.artwork == ""


def test_a_long_summary_is_cut_to_what_apple_shows(
    tmp_path: Path, item_and_show: tuple[feedreader.Item, feedreader.Show]
) -> None:
    item, show = item_and_show
    item.summary = "é" * 5000  # 10,000 bytes in UTF-8
    text = importer._episode_toml(item, "ep3.mp3", "la-rue", show, importer.Options(), importer.Extras())
    meta = load_episode(_written(tmp_path, text), ZoneInfo("Europe/Paris"), tmp_path)
    assert 0 < len(meta.summary.encode()) <= 4000 and meta.summary.startswith("é")


def test_no_date_in_the_feed_is_today(tmp_path: Path, item_and_show: tuple[feedreader.Item, feedreader.Show]) -> None:
    item, show = item_and_show
    item.date = None
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    text = importer._episode_toml(item, "ep3.mp3", "la-rue", show, importer.Options(), importer.Extras())
    meta = load_episode(_written(tmp_path, text), ZoneInfo("Europe/Paris"), tmp_path)
    assert meta.date is not None and meta.date >= before
