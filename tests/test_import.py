"""Bringing a show in from another host (#16): feeds shaped like the big hosts' output, served
from 127.0.0.1 with their quirks and their faults; what we publish is read back by parsers we
did not write and compared with the old feed item by item."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser
import lxml.html
import podcastparser
import pytest
from click.testing import CliRunner, Result
from lxml import etree

from podcast.cli import cli

from .conftest import edit, ffmpeg, make_artwork
from .feedserver import FeedServer

FEEDS = Path(__file__).parent / "fixtures" / "feeds"
PODCAST = "{https://podcastindex.org/namespace/1.0}"
OWNER = "contact@paroles.example.org"


def mp3(path: Path, seconds: float, freq: int) -> Path:
    ffmpeg("-f", "lavfi", "-i", f"sine=f={freq}:d={seconds}", "-c:a", "libmp3lame", "-b:a", "64k", str(path))
    return path


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The hosts' files, made once: audio, covers, a transcript, chapters."""
    root = tmp_path_factory.mktemp("media")
    for name, seconds, freq in (
        ("ep2", 6, 330),
        ("trailer", 3, 440),
        ("habitat", 5, 550),
        ("premier", 3, 660),
        ("up", 5, 770),
    ):
        mp3(root / f"{name}.mp3", seconds, freq)
    make_artwork(root / "cover.jpg", 1400)
    make_artwork(root / "ep2.jpg", 1000)  # too small for Apple: fixed on import
    (root / "ep2.vtt").write_text(
        "WEBVTT\n\n1\n00:00:00.500 --> 00:00:02.000\n<v Karim>Bonjour et bienvenue.\n\n"
        "2\n00:00:02.500 --> 00:00:05.000\n<v Isabelle Bouyer>Merci de m'accueillir &amp; bonjour.\n"
    )
    (root / "ep2.chapters.json").write_text(
        json.dumps(
            {
                "version": "1.2.0",
                "chapters": [{"startTime": 0, "title": "Ouverture"}, {"startTime": 3, "title": "La question"}],
            }
        )
    )
    return root


@pytest.fixture
def host(tmp_path: Path, media: Path) -> Iterator[FeedServer]:
    site = tmp_path / "host"
    shutil.copytree(media, site / "media")
    (site / "cdn").mkdir()
    for name in ("habitat", "premier"):
        shutil.copy(media / f"{name}.mp3", site / "cdn" / f"{name}.mp3")
    with FeedServer(site) as server:
        (site / "feeds").mkdir()
        for feed in FEEDS.glob("*.xml"):
            text = feed.read_text().replace("__BASE__", server.url)
            for name in ("ep2", "trailer", "habitat", "premier", "up"):
                text = text.replace(f"__LEN_{name}__", str((media / f"{name}.mp3").stat().st_size))
            (site / "feeds" / feed.name).write_text(text)
            alias = {"ausha.xml": "paroles.xml", "spotify.xml": "voix.rss"}.get(feed.name)
            if alias:  # the address the feed gives itself (atom:link rel=self)
                (site / "feeds" / alias).write_text(text)
        for name in ("habitat", "premier"):
            server.behaviour.redirects[f"/play/{name}.mp3"] = f"/cdn/{name}.mp3"
        yield server


def podcast(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def old_items(feed: Path) -> dict[str, dict[str, Any]]:
    """What gPodder's parser reads in the old feed, by GUID."""
    with feed.open("rb") as handle:
        parsed = podcastparser.parse("http://old.example/feed.xml", handle)
    return {e["guid"]: e for e in parsed["episodes"]}


def our_items(project: Path) -> dict[str, dict[str, Any]]:
    with (project / "public" / "feed.xml").open("rb") as handle:
        parsed = podcastparser.parse("http://127.0.0.1:8000/feed.xml", handle)
    return {e["guid"]: e for e in parsed["episodes"]}


def test_import_then_publish_keeps_every_guid_date_and_byte(host: FeedServer, tmp_path: Path) -> None:
    project = tmp_path / "paroles"
    feed_url = f"{host.url}/feeds/paroles.xml"
    result = podcast("import", feed_url, str(project), "--owner", OWNER)
    assert result.exit_code == 0, result.output + result.stderr
    assert "imported 2 episode(s)" in result.output
    published = podcast("--project", str(project), "publish", "--all")
    assert published.exit_code == 0, published.output + published.stderr

    old = old_items(host.root / "feeds" / "paroles.xml")
    ours = our_items(project)
    assert set(ours) == set(old) == {"ausha-4f8c2a91", "ausha-11aa22bb"}
    for guid, item in old.items():
        assert ours[guid]["published"] == item["published"], guid  # the same instant
        assert ours[guid]["enclosures"][0]["file_size"] == item["enclosures"][0]["file_size"], guid
        key = ours[guid]["enclosures"][0]["url"].split("127.0.0.1:8000/", 1)[1]
        name = "ep2" if guid == "ausha-4f8c2a91" else "trailer"
        assert sha(project / "public" / key) == sha(host.root / "media" / f"{name}.mp3")  # byte for byte

    channel = etree.parse(str(project / "public" / "feed.xml")).find("channel")
    assert channel is not None
    assert channel.findtext(f"{PODCAST}guid") == "0c3ba0d6-0e9e-5a52-9a0a-5b1d2d1a7f11"
    config = (project / "config.toml").read_text()
    for expected in (
        'title = "Paroles solidaires"',
        f'email = "{OWNER}"',
        '"Society & Culture > Documentary"',
        'name = "Karim"',
        'url = "https://paroles.example.org/don"',
        'language = "fr-FR"',
    ):
        assert expected in config, expected

    episode = next(p for p in (project / "episodes").iterdir() if p.name.startswith("doit-on-refonder"))
    toml = (episode / "episode.toml").read_text()
    assert 'guid = "ausha-4f8c2a91"' in toml and 'mode = "as-is"' in toml and "date = 2024-05-14T10:00:00+02:00" in toml
    notes = (episode / "notes.md").read_text()
    assert "**ATD Quart Monde**" in notes and "alert" not in notes and "javascript" not in notes
    assert (episode / "transcript.vtt").is_file()  # the feed's transcript is the episode's own
    vtt = (project / "build" / episode.name / "transcript.vtt").read_text()
    # what listeners read is in French typography (the episode's own transcript.vtt is kept as it came)
    assert "<v Isabelle Bouyer>Merci de m’accueillir &amp; bonjour." in vtt
    chapters = json.loads((project / "build" / episode.name / "chapters.json").read_text())["chapters"]
    assert [c["title"] for c in chapters] == ["Ouverture", "La question"]
    assert (episode / "cover.jpg.orig").is_file()  # the 1000 px art was fixed, the original kept

    check = podcast("--project", str(project), "check")
    assert check.exit_code == 0, check.output + check.stderr


def test_importing_again_adds_only_what_is_new(host: FeedServer, tmp_path: Path) -> None:
    project = tmp_path / "paroles"
    feed = host.root / "feeds" / "paroles.xml"
    original = feed.read_text()
    first_item = original[original.index("<item>") : original.index("</item>") + 7]
    feed.write_text(original.replace(first_item, "", 1))  # the old feed had only the trailer at first
    assert podcast("import", f"{host.url}/feeds/paroles.xml", str(project), "--owner", OWNER).exit_code == 0
    trailer = next((project / "episodes").glob("bande-annonce*"))
    edited = (trailer / "episode.toml").read_text().replace('summary = "', 'summary = "Édité : ', 1)
    (trailer / "episode.toml").write_text(edited)
    before = {p: p.read_bytes() for p in trailer.rglob("*") if p.is_file()}

    feed.write_text(original)  # a new episode appeared
    again = podcast("import", f"{host.url}/feeds/paroles.xml", str(project), "--owner", OWNER)
    assert again.exit_code == 0, again.output + again.stderr
    assert "imported 1 episode(s): doit-on-refonder" in again.output and "1 episode(s) already imported" in again.output
    assert {p: p.read_bytes() for p in trailer.rglob("*") if p.is_file()} == before  # the producer's edit stays
    third = podcast("import", f"{host.url}/feeds/paroles.xml", str(project), "--owner", OWNER)
    assert (
        "imported" not in third.output.split("left as they are")[0] and "2 episode(s) already imported" in third.output
    )
    record = (project / "imported-feed.toml").read_text()
    assert record.count("[[items]]") == 2


def test_a_locked_feed_needs_its_owner(host: FeedServer, tmp_path: Path) -> None:
    url = f"{host.url}/feeds/paroles.xml"
    refused = podcast("import", url, str(tmp_path / "a"))
    assert refused.exit_code == 1 and f"locked by {OWNER}" in refused.stderr and f"--owner {OWNER}" in refused.stderr
    assert not (tmp_path / "a").exists()
    assert podcast("import", url, str(tmp_path / "b"), "--owner", "quelqu.un@example.org").exit_code == 1
    assert podcast("import", url, str(tmp_path / "c"), "--yes-it-is-mine", "--dry-run").exit_code == 0


def test_quirks_of_a_spotify_feed(host: FeedServer, tmp_path: Path) -> None:
    project = tmp_path / "voix"
    url = f"{host.url}/feeds/voix.rss"
    assert podcast("import", url, str(project)).exit_code == 0
    assert podcast("--project", str(project), "publish", "--all").exit_code == 0
    from podcast.project.ids import guid_from_feed_url

    channel = etree.parse(str(project / "public" / "feed.xml")).find("channel")
    assert channel is not None and channel.findtext(f"{PODCAST}guid") == guid_from_feed_url(
        url
    )  # as directories computed it
    ours = our_items(project)
    assert set(ours) == {"a1b2c3d4-habitat", f"{host.url}/play/premier.mp3"}  # no guid: the enclosure URL, as apps do
    titles = {e["title"] for e in ours.values()}
    assert "L'habitat partagé : qu'est-ce que c'est ?" in titles
    assert ("/play/habitat.mp3", "") in host.behaviour.requests  # followed the redirect to the CDN


def test_quirks_of_an_older_host(host: FeedServer, tmp_path: Path) -> None:
    project = tmp_path / "quart"
    result = podcast("import", f"{host.url}/feeds/libsyn.xml", str(project))
    assert result.exit_code == 0, result.output + result.stderr
    assert "not an episode: Annonce : pause estivale: no audio enclosure" in result.stderr
    assert "'Not A Category'" in result.stderr  # left out, and said
    folder = project / "episodes" / "les-universites-populaires"
    toml = (folder / "episode.toml").read_text()
    assert 'source = "up.mp3"' in toml  # the audio enclosure, not the video listed first
    assert toml.count("[[chapters]]") == 2 and 'title = "Les <savoirs>"' in toml  # duplicate and past-the-end dropped
    assert 'name = "Claire"' in toml  # podcast:person in the namespace's first URI
    assert "date = 2024-05-03T07:00:00-04:00" in toml
    assert "Savoirs croisés – entre citoyens & chercheurs." in (folder / "notes.md").read_text()
    assert podcast("--project", str(project), "publish", "--all").exit_code == 0


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("html", "this is a web page, not a feed"),
        ("404", "the server answered 404"),
        ("malformed", "not well-formed XML"),
        ("duplicate", "gives two items the GUID 'same'"),
        ("atom", "an Atom feed"),
    ],
)
def test_a_bad_source_is_one_line_and_writes_nothing(
    host: FeedServer, tmp_path: Path, setup: str, message: str
) -> None:
    feeds = host.root / "feeds"
    if setup == "html":
        (feeds / "bad.xml").write_text(
            "<!DOCTYPE html><html><head><title>Mon podcast</title></head><body></body></html>"
        )
    elif setup == "malformed":
        (feeds / "bad.xml").write_text((feeds / "paroles.xml").read_text()[:-60])
    elif setup == "duplicate":
        text = (feeds / "spotify.xml").read_text().replace("a1b2c3d4-habitat", "same", 1)
        (feeds / "bad.xml").write_text(
            text.replace("<title>Premier épisode</title>", "<title>Premier</title><guid>same</guid>")
        )
    elif setup == "atom":
        (feeds / "bad.xml").write_text(
            '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>x</title></feed>'
        )
    result = podcast("import", f"{host.url}/feeds/bad.xml", str(tmp_path / "show"))
    assert result.exit_code == 1
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "show").exists()


def test_a_file_named_explicitly_is_a_source_too(host: FeedServer, tmp_path: Path) -> None:
    saved = tmp_path / "saved-feed.xml"
    shutil.copy(host.root / "feeds" / "spotify.xml", saved)
    result = podcast("import", str(saved), str(tmp_path / "show"))
    assert result.exit_code == 0, result.stderr
    assert len(list((tmp_path / "show" / "episodes").glob("*/episode.toml"))) == 3  # with _example


def test_broken_enclosures_fail_alone_and_resume(host: FeedServer, tmp_path: Path, media: Path) -> None:
    project = tmp_path / "voix"
    url = f"{host.url}/feeds/spotify.xml"
    size = (media / "habitat.mp3").stat().st_size
    host.behaviour.truncate["/cdn/habitat.mp3"] = size // 2  # the connection drops half-way
    (host.root / "cdn" / "premier.mp3").write_bytes(b"")  # an empty file
    first = podcast("import", url, str(project))
    assert first.exit_code == 1
    assert f"truncated: {size // 2:,} of {size:,} bytes arrived" in first.stderr
    assert "the server sent an empty file" in first.stderr
    assert not any(p.name.startswith(".") for p in (project / "episodes").iterdir())  # nothing half-imported
    folder = next((project / "episodes").glob("l-habitat*"))
    assert (folder / "episode.toml").is_file() and not (folder / "habitat.mp3").exists()  # kept, audio pending
    assert "2 episode(s) have their audio pending" in first.stderr

    del host.behaviour.truncate["/cdn/habitat.mp3"]
    shutil.copy(media / "premier.mp3", host.root / "cdn" / "premier.mp3")
    host.behaviour.requests.clear()
    again = podcast("import", url, str(project))
    assert again.exit_code == 0, again.stderr
    assert "audio fetched for 2 episode(s) imported before" in again.output
    assert ("/cdn/habitat.mp3", f"bytes={size // 2}-") in host.behaviour.requests  # resumed where it stopped
    assert sha(folder / "habitat.mp3") == sha(media / "habitat.mp3")


def test_a_server_that_ignores_range_is_downloaded_again(host: FeedServer, tmp_path: Path, media: Path) -> None:
    project = tmp_path / "voix"
    size = (media / "habitat.mp3").stat().st_size
    host.behaviour.truncate["/cdn/habitat.mp3"] = size // 3
    host.behaviour.no_range.add("/cdn/habitat.mp3")
    assert podcast("import", f"{host.url}/feeds/spotify.xml", str(project)).exit_code == 1
    del host.behaviour.truncate["/cdn/habitat.mp3"]
    assert podcast("import", f"{host.url}/feeds/spotify.xml", str(project)).exit_code == 0
    imported = next((project / "episodes").glob("l-habitat*")) / "habitat.mp3"
    assert sha(imported) == sha(media / "habitat.mp3")  # not the first third twice


def test_a_host_that_does_not_answer(host: FeedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from podcast.edges import http as web

    monkeypatch.setattr(web, "TIMEOUT", 0.5)
    host.behaviour.delay["/feeds/spotify.xml"] = 3
    result = podcast("import", f"{host.url}/feeds/spotify.xml", str(tmp_path / "show"))
    assert result.exit_code == 1 and "no answer within 0.5 s" in result.stderr


def test_hostile_text_in_every_field_comes_out_inert(host: FeedServer, tmp_path: Path) -> None:
    evil = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    text = (host.root / "feeds" / "spotify.xml").read_text()
    text = text.replace("<title>Premier épisode</title>", f"<title><![CDATA[Premier {evil}]]></title>")
    text = text.replace(
        "<itunes:summary>Le tout premier épisode.</itunes:summary>",
        f"<description><![CDATA[<p>x</p>{evil}<a href='javascript:alert(3)'>y</a>]]></description>"
        f"<podcast:person xmlns:podcast='{PODCAST[1:-1]}' href='javascript:alert(4)'>"
        f"Nom {html.escape(evil)}</podcast:person>",
    )
    (host.root / "feeds" / "evil.xml").write_text(text)
    project = tmp_path / "show"
    imported = podcast("import", f"{host.url}/feeds/evil.xml", str(project))
    assert imported.exit_code == 0, imported.output + imported.stderr
    assert podcast("--project", str(project), "publish", "--all").exit_code == 0
    for path in (project / "public").rglob("*.html"):
        assert_inert(lxml.html.fromstring(path.read_bytes()), str(path))
    feed = etree.parse(str(project / "public" / "feed.xml"))
    for field in feed.iter("description", "{http://purl.org/rss/1.0/modules/content/}encoded"):
        assert_inert(lxml.html.fragment_fromstring(field.text or "", create_parent="div"), field.tag)
    assert b"javascript:" not in (project / "public" / "feed.xml").read_bytes()
    parsed = feedparser.parse((project / "public" / "feed.xml").read_bytes())
    assert not parsed.bozo


def assert_inert(root: Any, where: str) -> None:
    """No script runs from what the feed said: no inline script, no on* handler, no script URL."""
    for element in root.iter():
        if element.tag == "script" and element.get("type") == "application/ld+json":
            assert "<" not in (element.text or "") and json.loads(element.text or ""), where  # data, not code
        elif element.tag == "script":
            assert element.get("src") and not (element.text or "").strip(), where
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (where, name)
            assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:")), (where, value)


def test_check_fails_when_an_old_episode_goes_missing_or_moves(host: FeedServer, tmp_path: Path) -> None:
    project = tmp_path / "paroles"
    assert podcast("import", f"{host.url}/feeds/paroles.xml", str(project), "--owner", OWNER).exit_code == 0
    assert podcast("--project", str(project), "publish", "--all").exit_code == 0
    trailer = next((project / "episodes").glob("bande-annonce*"))
    edit(trailer / "episode.toml", "date = 2024-04-01T08:30:00Z", "date = 2024-04-02T08:30:00+00:00")
    moved = podcast("--project", str(project), "check")
    assert moved.exit_code == 1 and "2024-04-01T08:30:00+00:00 in the old feed" in moved.stderr
    edit(trailer / "episode.toml", "date = 2024-04-02T08:30:00+00:00", "date = 2024-04-01T08:30:00Z")
    edit(trailer / "episode.toml", "episode_type", "draft = true\nepisode_type")
    gone = podcast("--project", str(project), "check")
    assert gone.exit_code == 1 and "(GUID ausha-11aa22bb) of the old feed is not in ours" in gone.stderr


def test_move_says_what_to_do_in_both_directions(host: FeedServer, tmp_path: Path) -> None:
    project = tmp_path / "paroles"
    assert podcast("import", f"{host.url}/feeds/paroles.xml", str(project), "--owner", OWNER).exit_code == 0
    arriving = podcast("--project", str(project), "move")
    assert arriving.exit_code == 0
    assert "HTTP 301" in arriving.output and "http://127.0.0.1:8000/feed.xml" in arriving.output
    assert "0c3ba0d6-0e9e-5a52-9a0a-5b1d2d1a7f11" in arriving.output and "4 weeks" in arriving.output
    leaving = podcast("--project", str(project), "move", "--to", "https://nouvel-hebergeur.example/feed.xml")
    assert "Redirect permanent /feed.xml https://nouvel-hebergeur.example/feed.xml" in leaving.output
    assert 'new_feed_url = "https://nouvel-hebergeur.example/feed.xml"' in leaving.output
    assert podcast("--project", str(project), "move", "--to", "javascript:x").exit_code == 1


def test_a_5000_item_feed_streams(tmp_path: Path) -> None:
    """Memory stays bounded: the feed is read item by item (measured in a separate process)."""
    items = "".join(
        f"<item><title>Épisode {i}</title><guid>g-{i}</guid><pubDate>Mon, 01 Jan 2024 08:00:00 +0000</pubDate>"
        f"<description><![CDATA[<p>{'Des notes. ' * 60}</p>]]></description>"
        f'<enclosure url="https://cdn.example.org/{i}.mp3" length="{1000 + i}" type="audio/mpeg"/></item>'
        for i in range(5000)
    )
    feed = tmp_path / "big.xml"
    feed.write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>Gros</title>{items}</channel></rss>')
    script = (  # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking pytest process
        "import re, sys; from pathlib import Path; from podcast.domain import feedreader;"
        "n = sum(1 for _ in feedreader.read_items(Path(sys.argv[1]), ''));"
        "print(n, int(re.search(r'VmHWM:\\s+(\\d+)', Path('/proc/self/status').read_text()).group(1)) // 1024)"
    )
    out = subprocess.run([sys.executable, "-c", script, str(feed)], capture_output=True, text=True, check=True).stdout
    count, peak_mib = map(int, out.split())
    assert count == 5000
    assert peak_mib < 80, f"{peak_mib} MiB for a {feed.stat().st_size >> 20} MiB feed"
    dry = podcast("import", str(feed), str(tmp_path / "show"), "--dry-run")
    assert dry.exit_code == 0 and "would import 5000 of 5000 episode(s)" in dry.output + dry.stderr
    assert not (tmp_path / "show").exists()


def test_what_the_old_feed_said_stays_on_record(host: FeedServer, tmp_path: Path) -> None:
    project = tmp_path / "paroles"
    assert podcast("import", f"{host.url}/feeds/paroles.xml", str(project), "--owner", OWNER).exit_code == 0
    record = (project / "imported-feed.toml").read_text()
    assert re.search(r'guid = "ausha-4f8c2a91"\ntitle = .*\ndate = "2024-05-14T10:00:00\+02:00"', record)
