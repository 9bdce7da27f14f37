"""The path from an existing show (#23): whatever order the producer runs `init` and `import`
in, the show keeps its identity; what the old feed says is checked at import time by the
feed's own rules; and without a network the episodes are kept, their audio pending."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import podcastparser
from lxml import etree

from podcast.domain import feedreader
from podcast.edges import images

from . import test_import
from .conftest import edit
from .feedserver import FeedServer
from .test_import import OWNER, PODCAST, podcast

host, media = test_import.host, test_import.media  # the same host and files as tests/test_import.py

GUID = "0c3ba0d6-0e9e-5a52-9a0a-5b1d2d1a7f11"  # the podcast:guid of the Ausha-like feed


def feed_guid(project: Path) -> str | None:
    channel = etree.parse(str(project / "public" / "feed.xml")).find("channel")
    assert channel is not None
    return channel.findtext(f"{PODCAST}guid")


def test_init_then_import_takes_the_show_as_it_was(host: FeedServer, tmp_path: Path) -> None:
    project = tmp_path / "paroles"
    assert podcast("init", str(project), "--no-input").exit_code == 0  # the producer starts as the README says
    result = podcast("--project", str(project), "import", f"{host.url}/feeds/paroles.xml", "--owner", OWNER)
    assert result.exit_code == 0, result.output + result.stderr
    assert "config.toml was as `podcast init` left it: filled from the feed" in result.output
    config = (project / "config.toml").read_text()
    for expected in (f'guid = "{GUID}"', 'title = "Paroles solidaires"', f'email = "{OWNER}"', 'name = "Karim"'):
        assert expected in config, expected
    assert "# the podcast's name (required)" in config  # filled in place: the documented template stays
    assert not images.is_placeholder(project / "artwork" / "cover.jpg")  # the show's own cover

    published = podcast("--project", str(project), "publish", "--all")
    assert published.exit_code == 0, published.output + published.stderr
    assert feed_guid(project) == GUID  # subscribers see the same show, not a new one
    with (project / "public" / "feed.xml").open("rb") as handle:
        assert podcastparser.parse("http://127.0.0.1:8000/feed.xml", handle)["title"] == "Paroles solidaires"


def test_an_edited_config_changes_only_with_update_show(host: FeedServer, tmp_path: Path) -> None:
    project = tmp_path / "paroles"
    assert podcast("init", str(project), "--no-input", "--title", "Mon émission").exit_code == 0
    config = project / "config.toml"
    edit(config, 'description = ""', 'description = "Notre émission"   # écrit à la main')
    before = config.read_bytes()
    url = f"{host.url}/feeds/paroles.xml"

    refused = podcast("--project", str(project), "import", url, "--owner", OWNER)
    assert refused.exit_code == 1
    assert f"show.guid: '' in config.toml, '{GUID}' in the feed" in refused.stderr
    assert "show.title: 'Mon émission' in config.toml, 'Paroles solidaires' in the feed" in refused.stderr
    assert "--update-show" in refused.stderr and "nothing imported" in refused.stderr
    assert config.read_bytes() == before  # nothing written, nothing imported
    assert [p.name for p in (project / "episodes").iterdir()] == ["_example"]
    assert not (project / "imported-feed.toml").exists()

    dry = podcast("--project", str(project), "import", url, "--owner", OWNER, "--update-show", "--dry-run")
    assert dry.exit_code == 0 and "would be updated from the feed" in dry.output and config.read_bytes() == before

    updated = podcast("--project", str(project), "import", url, "--owner", OWNER, "--update-show")
    assert updated.exit_code == 0, updated.output + updated.stderr
    text = config.read_text()
    assert f'guid = "{GUID}"' in text and 'title = "Paroles solidaires"' in text
    assert "# écrit à la main" in text  # the producer's comment stays where it was
    assert podcast("--project", str(project), "publish", "--all").exit_code == 0
    assert feed_guid(project) == GUID


def test_check_fails_while_the_show_guid_is_not_the_imported_feeds(host: FeedServer, tmp_path: Path) -> None:
    project = tmp_path / "paroles"
    assert podcast("import", f"{host.url}/feeds/paroles.xml", str(project), "--owner", OWNER).exit_code == 0
    edit(project / "config.toml", f'guid = "{GUID}"', 'guid = "11111111-2222-5333-8444-555555555555"')
    check = podcast("--project", str(project), "check")
    assert check.exit_code == 1
    assert "in the feed this show was imported from" in check.stderr and f'guid = "{GUID}"' in check.stderr
    published = podcast("--project", str(project), "publish", "--all")
    assert published.exit_code == 1 and "feed FAILED" in published.stderr
    assert not (project / "public" / "feed.xml").exists()  # never published under another identity


def test_enclosure_lengths_of_a_megabyte_and_more_are_read(tmp_path: Path) -> None:
    items = "".join(
        f'<item><title>{n}</title><guid>g{n}</guid><enclosure url="https://cdn.example.org/{n}.mp3" '
        f'length="{length}" type="audio/mpeg"/></item>'
        for n, length in enumerate(["999999", "1000000", "48213557", "2147483648000", "1e7", "١٢٣٤٥٦٧", "-5", ""])
    )
    feed = tmp_path / "feed.xml"
    feed.write_text(f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>')
    found = [i.enclosure.length for i in feedreader.read_items(feed, "") if isinstance(i, feedreader.Item)]
    assert found == [999999, 1000000, 48213557, 2147483648000, 0, 0, 0, 0]


def test_imported_feed_record_keeps_real_lengths(host: FeedServer, tmp_path: Path, media: Path) -> None:
    feed = host.root / "feeds" / "paroles.xml"
    feed.write_text(feed.read_text().replace(f'length="{(media / "trailer.mp3").stat().st_size}"', 'length="48213557"'))
    project = tmp_path / "paroles"
    podcast("import", f"{host.url}/feeds/paroles.xml", str(project), "--owner", OWNER)
    record = (project / "imported-feed.toml").read_text()
    assert re.search(r'guid = "ausha-11aa22bb"\n.*\n.*\nlength = 48213557', record), record


def test_an_imported_detail_that_does_not_fit_is_left_out_alone(host: FeedServer, tmp_path: Path) -> None:
    feed = host.root / "feeds" / "paroles.xml"
    feed.write_text(
        feed.read_text().replace(
            '<podcast:soundbite startTime="1.5" duration="2">Le moment fort</podcast:soundbite>',
            '<podcast:soundbite startTime="1.5" duration="2">Le moment fort</podcast:soundbite>'
            '<podcast:soundbite startTime="600" duration="30">Plus tard</podcast:soundbite>',
        )
    )
    chapters = host.root / "media" / "ep2.chapters.json"
    data = json.loads(chapters.read_text())
    data["chapters"] += [{"startTime": 3, "title": "En double"}, {"startTime": 700, "title": "Après la fin"}]
    chapters.write_text(json.dumps(data))
    project = tmp_path / "paroles"
    result = podcast("import", f"{host.url}/feeds/paroles.xml", str(project), "--owner", OWNER)
    assert result.exit_code == 0, result.output + result.stderr
    slug = next((project / "episodes").glob("doit-on*")).name
    assert f"warning: {slug}: soundbite 'Plus tard' at 00:10:00.000 is beyond the end" in result.stderr
    assert f"warning: {slug}: chapter 'Après la fin' at 00:11:40.000 (the feed) is beyond the end" in result.stderr
    assert "'En double'" in result.stderr and "start at the same time" in result.stderr
    toml = (project / "episodes" / slug / "episode.toml").read_text()
    assert "Plus tard" not in toml and "Le moment fort" in toml and toml.count("[[chapters]]") == 2

    published = podcast("--project", str(project), "publish", "--all")
    assert published.exit_code == 0, published.output + published.stderr  # the feed is not blocked
    feed_text = (project / "public" / "feed.xml").read_text()
    assert feed_text.count("<item>") == 2 and "Le moment fort" in feed_text


def test_without_network_the_episodes_wait_for_their_audio(host: FeedServer, tmp_path: Path) -> None:
    media_paths = [f"/media/{p.name}" for p in (host.root / "media").iterdir()]
    for path in media_paths:  # the host's files are unreachable; only the feed came through
        host.behaviour.status[path] = 503
    project = tmp_path / "paroles"
    url = f"{host.url}/feeds/paroles.xml"
    first = podcast("import", url, str(project), "--owner", OWNER)
    assert first.exit_code == 1
    assert "2 episode(s) have their audio pending" in first.stderr and "503" in first.stderr
    folders = sorted(p.name for p in (project / "episodes").iterdir() if not p.name.startswith("_"))
    assert len(folders) == 2
    toml = (project / "episodes" / folders[1] / "episode.toml").read_text()
    assert 'guid = "ausha-4f8c2a91"' in toml and "date = 2024-05-14T10:00:00+02:00" in toml
    assert "ATD Quart Monde" in (project / "episodes" / folders[1] / "notes.md").read_text()

    status = podcast("--project", str(project), "status")
    assert "no episodes yet" not in status.output and status.output.count("audio pending") == 2
    check = podcast("--project", str(project), "check")
    assert check.exit_code == 1 and "run `podcast import` again: its audio is pending" in check.stderr
    move = podcast("--project", str(project), "move")
    assert "2 episode(s) have their audio pending" in move.output
    skipped = podcast("--project", str(project), "publish", "--all")
    assert "skipped: audio pending" in skipped.output

    for path in media_paths:
        del host.behaviour.status[path]
    again = podcast("--project", str(project), "import", url, "--owner", OWNER)
    assert again.exit_code == 0, again.output + again.stderr
    assert "audio fetched for 2 episode(s) imported before" in again.output
    episode = project / "episodes" / folders[1]
    assert (episode / "transcript.vtt").is_file()  # what the feed had and the episode lacked came too
    assert (episode / "episode.toml").read_text().count("[[chapters]]") == 2
    assert podcast("--project", str(project), "publish", "--all").exit_code == 0
    assert podcast("--project", str(project), "check").exit_code == 0


def test_metadata_only_then_the_audio(host: FeedServer, tmp_path: Path, media: Path) -> None:
    project = tmp_path / "paroles"
    url = f"{host.url}/feeds/paroles.xml"
    result = podcast("import", url, str(project), "--owner", OWNER, "--metadata-only")
    assert result.exit_code == 0, result.output + result.stderr
    assert "2 episode(s) imported without their audio (--metadata-only)" in result.output
    assert not any(path == "/media/ep2.mp3" for path, _ in host.behaviour.requests)  # no audio asked for
    again = podcast("--project", str(project), "import", url, "--owner", OWNER)
    assert again.exit_code == 0 and "audio fetched for 2 episode(s)" in again.output
    trailer = next((project / "episodes").glob("bande-annonce*")) / "trailer.mp3"
    assert trailer.read_bytes() == (media / "trailer.mp3").read_bytes()
    shutil.rmtree(project / "build")  # the record of pending audio is the episode itself, not build/
    third = podcast("--project", str(project), "import", url, "--owner", OWNER)
    assert third.exit_code == 0 and "2 episode(s) already imported" in third.output


def test_pending_audio_brings_the_check_of_what_depends_on_it(host: FeedServer, tmp_path: Path) -> None:
    feed = host.root / "feeds" / "paroles.xml"
    text = feed.read_text().replace("<itunes:duration>00:00:06</itunes:duration>", "")  # no duration to go by
    feed.write_text(
        text.replace(
            '<podcast:soundbite startTime="1.5" duration="2">Le moment fort</podcast:soundbite>',
            '<podcast:soundbite startTime="1.5" duration="2">Le moment fort</podcast:soundbite>'
            '<podcast:soundbite startTime="600" duration="30">Plus tard</podcast:soundbite>',
        )
    )
    project = tmp_path / "paroles"
    url = f"{host.url}/feeds/paroles.xml"
    assert podcast("import", url, str(project), "--owner", OWNER, "--metadata-only").exit_code == 0
    toml = next((project / "episodes").glob("doit-on*")) / "episode.toml"
    assert "Plus tard" in toml.read_text()  # the audio's length is not known yet
    edit(toml, 'title = "Doit-on', '# relu par Karim\ntitle = "Doit-on')  # the producer's own line

    again = podcast("--project", str(project), "import", url, "--owner", OWNER)
    assert again.exit_code == 0, again.output + again.stderr
    assert "soundbite 'Plus tard' at 00:10:00.000 is beyond the end of the recording" in again.stderr
    text = toml.read_text()
    assert "Plus tard" not in text and "Le moment fort" in text and "# relu par Karim" in text
    assert podcast("--project", str(project), "publish", "--all").exit_code == 0
