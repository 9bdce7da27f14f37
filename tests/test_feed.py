"""The feed, read by three clients we did not write, and `podcast check`."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import feedparser
import podcastparser
import pytest
from lxml import etree

from .conftest import Run, add_episode, edit, make_tone

JS = Path(__file__).parent / "js"


def partytime(feed: Path) -> dict:  # type: ignore[type-arg]
    """podcast-partytime (npm), the reader that knows the whole podcast: namespace."""
    out = feed.with_suffix(".partytime.json")
    subprocess.run(["node", str(JS / "parse.js"), str(feed), str(out)], capture_output=True, text=True, check=True)
    return json.loads(out.read_text())


def gpodder(feed: Path) -> dict:  # type: ignore[type-arg]
    with feed.open("rb") as handle:
        return podcastparser.parse("http://127.0.0.1:8000/feed.xml", handle)  # type: ignore[no-any-return]


def configure_show(project: Path) -> None:
    config = project / "config.toml"
    edit(config, 'location = ""', 'location = "Montreuil"')
    edit(config, 'license = ""', 'license = "cc-by-sa-4.0"')
    edit(config, 'email = ""', 'email = "owner@example.org"')
    edit(
        config,
        "# [[show.hosts]]",
        '[[show.hosts]]\nname = "Camille Hôte"\nrole = "host"\nhref = "https://example.org/camille"\n'
        '\n[[show.funding]]\nurl = "https://example.org/don"\ntext = "Soutenir l\'association"\n\n# [[show.hosts]]',
    )


@pytest.fixture
def full_episode(project: Path, speech_wav: Path) -> Path:
    configure_show(project)
    folder = add_episode(project, "ep-1", speech_wav, date="2024-05-14T10:00:00", summary='"Résumé court."')
    text = (folder / "episode.toml").read_text()
    text = text.replace(
        "[edit]",
        '[[guests]]\nname = "Isabelle Bouyer"\nrole = "guest"\norg = "ATD Quart Monde"\n'
        'url = "https://www.atd-quartmonde.fr/"\nbio = "Délégation nationale."\n\n'
        '[[chapters]]\nstart = "00:00:00"\ntitle = "Accueil"\n\n'
        '[[chapters]]\nstart = "00:00:02"\ntitle = "La question"\n\n'
        '[[soundbites]]\nstart = "00:00:02"\nduration = 2.5\ntitle = "Le moment fort"\n\n[edit]',
    )
    text = text.replace('location = ""', 'location = "Montreuil, Maison des associations"')
    (folder / "episode.toml").write_text(text)
    return folder


def test_three_readers_see_everything(project: Path, run: Run, full_episode: Path) -> None:
    result = run("--set", "transcribe.enabled=true", "publish", "--all")
    assert result.exit_code == 0, result.output
    feed = project / "public" / "feed.xml"
    media = next((project / "public" / "episodes" / "ep-1").glob("ep-1-*.mp3"))
    process = json.loads((project / "build" / "ep-1" / "state.json").read_text())["stages"]["process"]
    duration = round(process["result"]["duration"])
    edl = json.loads((project / "build" / "ep-1" / "edits.json").read_text())
    expected_bite = round(2.0 - edl["segments"][0]["src_start"] + edl["segments"][0]["out_start"], 3)

    pt = partytime(feed)
    assert len(pt["guid"]) == 36
    assert pt["locked"] is True and pt["podcastOwner"] == "owner@example.org"
    assert pt["medium"] == "podcast"
    assert pt["license"]["identifier"] == "cc-by-sa-4.0"
    assert pt["podcastLocation"]["name"] == "Montreuil"
    assert pt["podcastPeople"] == [
        {"name": "Camille Hôte", "role": "Host", "group": "Cast", "href": "https://example.org/camille"}
    ]
    assert pt["podcastFunding"][0]["url"] == "https://example.org/don"
    (item,) = pt["items"]
    assert item["enclosure"]["length"] == media.stat().st_size
    assert item["duration"] == duration
    assert item["podcastSeason"]["number"] == 1 and item["podcastEpisode"]["number"] == 1
    kinds = {t["type"]: t for t in item["podcastTranscripts"]}
    assert set(kinds) >= {"text/vtt", "application/json", "text/html", "text/plain"}
    assert kinds["text/vtt"]["rel"] == "captions" and kinds["text/vtt"]["language"] == "fr"
    for transcript in item["podcastTranscripts"]:
        key = transcript["url"].split("127.0.0.1:8000/", 1)[1]
        assert (project / "public" / key).is_file()
    assert item["podcastChapters"]["type"] == "application/json+chapters"
    chapters_key = item["podcastChapters"]["url"].split("127.0.0.1:8000/", 1)[1]
    chapters = json.loads((project / "public" / chapters_key).read_text())
    assert [c["title"] for c in chapters["chapters"]] == ["Accueil", "La question"]
    assert item["podcastPeople"] == [
        {"name": "Isabelle Bouyer", "role": "Guest", "group": "Cast", "href": "https://www.atd-quartmonde.fr/"}
    ]
    assert item["podcastLocation"]["name"] == "Montreuil, Maison des associations"
    (bite,) = item["podcastSoundbites"]
    assert bite == {"startTime": pytest.approx(expected_bite), "duration": 2.5, "title": "Le moment fort"}

    gp = gpodder(feed)
    (episode,) = gp["episodes"]
    assert episode["enclosures"][0]["file_size"] == media.stat().st_size
    assert episode["total_time"] == duration
    assert "Isabelle Bouyer" in episode["description_html"] and "Délégation nationale." in episode["description_html"]
    assert "00:00:00 — Accueil" in episode["description_html"]

    fp = feedparser.parse(feed.read_bytes())
    assert not fp.bozo
    assert fp.feed.language == "fr"
    assert fp.entries[0].itunes_episode == "1"


def test_items_newest_first_and_waiting_ones_reported(project: Path, run: Run, tmp_path: Path) -> None:
    for slug, date in (("b", "2024-02-01"), ("c", "2024-03-01"), ("a", "2024-01-01")):
        add_episode(project, slug, make_tone(tmp_path / f"{slug}.wav", seconds=2), date=date)
    add_episode(project, "future", make_tone(tmp_path / "f.wav", seconds=2), date="2999-01-01")
    result = run("publish", "--all")
    assert result.exit_code == 0, result.output
    assert "not in the feed: future: dated 2999-01-01" in result.output
    items = etree.parse(str(project / "public" / "feed.xml")).findall("channel/item")
    assert [i.findtext("title") for i in items] == ["Épisode c", "Épisode b", "Épisode a"]


NASTY = "Tom & Jerry <b>bold</b> ]]> \"quoted\" 'single' 🎙️"
CONTROL = "\x07bell\x1b"  # refused in titles (config), stripped from notes


def test_nasty_text_and_long_summaries(project: Path, run: Run, tmp_path: Path) -> None:
    folder = add_episode(
        project,
        "ep",
        make_tone(tmp_path / "a.wav", seconds=2),
        title=NASTY,
        summary=json.dumps(("Économie solidaire éèà " * 500).strip()),
    )
    (folder / "notes.md").write_text(f'{NASTY}{CONTROL}\n\n<script>alert(1)</script> <a onclick="x()" href="#">y</a>')
    assert run("publish", "ep").exit_code == 0
    raw = (project / "public" / "feed.xml").read_bytes()
    root = etree.fromstring(raw)
    item = root.find("channel/item")
    assert item is not None
    assert item.findtext("title") == NASTY
    description = item.findtext("description") or ""
    assert len(description.encode()) <= 4000 and description.endswith("…")
    assert description[:-1].rstrip().endswith(("solidaire", "éèà", "Économie"))
    content = item.findtext("{http://purl.org/rss/1.0/modules/content/}encoded") or ""
    assert "alert(1)" not in content and "onclick" not in content and "<script" not in content
    assert "Tom &amp; Jerry" in content
    fp = feedparser.parse(raw)
    assert not fp.bozo and fp.entries[0].title == NASTY
    assert partytime(project / "public" / "feed.xml")["items"][0]["title"].startswith("Tom & Jerry")


def test_empty_show_is_a_valid_feed(project: Path, run: Run) -> None:
    result = run("feed")
    assert result.exit_code == 0, result.output
    assert "published feed.xml (0 episodes" in result.output
    fp = feedparser.parse((project / "public" / "feed.xml").read_bytes())
    assert not fp.bozo and fp.entries == [] and fp.feed.title == "Essai & Cie"
    assert partytime(project / "public" / "feed.xml")["items"] == []


def test_duplicate_guids_block_the_feed_and_force_overrides(project: Path, run: Run, tmp_path: Path) -> None:
    add_episode(project, "a", make_tone(tmp_path / "a.wav", seconds=2), guid='"same"', number="1")
    add_episode(project, "b", make_tone(tmp_path / "b.wav", seconds=2), guid='"same"', number="1")
    result = run("publish", "--all")
    assert result.exit_code == 1
    assert "feed not published" in result.stderr and "same is used by more than one episode" in result.stderr
    assert not (project / "public" / "feed.xml").exists()
    check = run("check")
    assert check.exit_code == 1
    assert "warning: [b] itunes:episode: season 1 episode 1 is used twice" in check.output
    forced = run("feed", "--force")
    assert forced.exit_code == 0 and "despite 2 error(s) (--force)" in forced.output


def test_missing_artwork_and_numbered_titles(project: Path, run: Run, tmp_path: Path) -> None:
    edit(project / "config.toml", 'artwork = "cover.jpg"', 'artwork = ""')
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2), title="Épisode 3 : la suite")
    result = run("publish", "ep")
    assert result.exit_code == 1 and "itunes:image: no show artwork" in result.stderr
    check = run("check")
    assert "warning: [ep] item title: 'Épisode 3 : la suite' contains its number" in check.output


@pytest.fixture
def served(project: Path) -> Iterator[str]:
    from podcast.workflows.serve import make_server

    server = make_server(project / "public", "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_check_over_http(project: Path, run: Run, tmp_path: Path, served: str) -> None:
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    base = ("--set", f'show.base_url="{served}"')
    assert run(*base, "publish", "ep").exit_code == 0
    good = run(*base, "check", "--http")
    assert good.exit_code == 0, good.output
    assert "0 error(s)" in good.output
    media = next((project / "public" / "episodes" / "ep").glob("ep-*.mp3"))
    media.write_bytes(media.read_bytes()[:1000])
    bad = run(*base, "check", "--http")
    assert bad.exit_code == 1
    assert "Content-Length 1000" in bad.stderr and "has 1000 bytes, the feed says" in bad.stderr


def test_invalid_category_is_a_config_error(project: Path, run: Run) -> None:
    edit(project / "config.toml", 'categories = ["Society & Culture"]', 'categories = ["Society & Culture > Cooking"]')
    result = run("status")
    assert result.exit_code == 1
    assert "show.categories[0]: 'Cooking' is not a subcategory of 'Society & Culture'" in result.stderr
