"""`podcast directories` (requirements read from the live feed, each directory's page and steps,
the Podcast Index API against a stand-in that checks its SHA-1 authentication) and `podcast
podroll` (a partner's GUID read from its feed, or computed, and written to config.toml)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import html

from podcast.project.config import load_config
from podcast.project.ids import guid_from_feed_url
from podcast.workflows import directories

from .conftest import Run, add_episode, edit, make_tone
from .standins import Reply, Seen, StandIn

PUBLIC = "https://podcast.example.org"
KEY, SECRET = "UXKCGDSYGUUEVQJSYDZH", "yzJe2eE7XV-3eY576dyRZ6wXyAbndh6LUrCZ8KN|"


def go_public(project: Path) -> None:
    config = project / "config.toml"
    edit(config, 'base_url = "http://127.0.0.1:8000"', f'base_url = "{PUBLIC}"')
    edit(config, 'guid = ""', f'guid = "{guid_from_feed_url(PUBLIC + "/feed.xml")}"')
    edit(config, 'email = ""', 'email = "contact@association.example.org"')
    edit(config, 'author = ""', 'author = "Association Essai"')
    edit(config, 'description = ""', 'description = "Des conversations."')


def local_fetch(project: Path) -> directories.Fetch:
    """What the public address serves: the published folder (as a CDN in front of it would)."""

    def fetch(url: str, limit: int) -> tuple[bytes, str]:
        assert url.startswith(PUBLIC + "/")
        return (project / "public" / url.removeprefix(PUBLIC + "/")).read_bytes()[:limit], url

    return fetch


def test_a_public_show_ready_for_every_directory(project: Path, run: Run, tmp_path: Path) -> None:
    go_public(project)
    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    assert run("publish", "ep").exit_code == 0
    report = directories.run(load_config(project), fetch=local_fetch(project))
    text = "\n".join(line.text for line in report)
    assert report.ok, text
    for expected in (
        "ok: the feed is served over https",
        "ok: owner e-mail: contact@association.example.org",
        "ok: category: Society & Culture",
        "ok: explicit flag",
        "ok: 1 episode(s) in the feed",
        "ok: artwork 1400×1400 px",
        "Apple Podcasts (not listed yet)",
        "submit at https://podcastsconnect.apple.com/",
        f"paste the feed URL: {PUBLIC}/feed.xml",
        "Spotify (not listed yet)",
        "Podcast Index (not listed yet)",
        "Amazon Music / Audible (not listed yet)",
        "Deezer (not listed yet)",
        "Podcast Addict (not listed yet)",
        'once listed, set show.links.spotify = "https://open.spotify.com/show/ID"',
        "Podcast Index API: set PODCAST_INDEX_API_KEY and PODCAST_INDEX_API_SECRET",
    ):
        assert expected in text, expected


def test_what_is_missing_is_said(project: Path, run: Run, tmp_path: Path) -> None:
    import threading

    from podcast.workflows.serve import make_server

    server = make_server(project / "public", "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        edit(project / "config.toml", 'base_url = "http://127.0.0.1:8000"', f'base_url = "{base}"')
        edit(project / "config.toml", "block = []", 'block = ["spotify"]')
        edit(project / "config.toml", 'apple = ""', 'apple = "https://podcasts.apple.com/fr/podcast/id42"')
        empty = run("directories")
        assert empty.exit_code == 1
        assert "the live feed cannot be read" in empty.stderr and "answered 404" in empty.stderr
        assert run("feed").exit_code == 0
        result = run("directories")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 1
    assert "MISSING: the feed is served over https" in result.stderr
    assert "MISSING: the feed is at a public address" in result.stderr
    assert "MISSING: owner e-mail: none: set [show.owner] email" in result.stderr
    assert "MISSING: 0 episode(s) in the feed" in result.stderr
    assert "Apple Podcasts (listed: https://podcasts.apple.com/fr/podcast/id42)" in result.output
    assert "Spotify (blocked by show.block: skip it)" in result.output
    assert "warning: Deezer verifies the show by e-mail" in result.stderr
    assert "Traceback" not in result.output


def podcast_index(key: str = KEY, secret: str = SECRET, listed: int | None = None) -> StandIn:
    """A stand-in for api.podcastindex.org that checks each request's authentication."""
    server = StandIn()
    added: list[int] = []

    def judge(request: Seen) -> Reply | None:
        stamp = request.headers.get("X-Auth-Date", "")
        expected = hashlib.sha1((key + secret + stamp).encode()).hexdigest()
        if (
            request.headers.get("X-Auth-Key") != key
            or request.headers.get("Authorization") != expected
            or not stamp.isdigit()
            or abs(time.time() - int(stamp)) > 300
            or "podcast/" not in request.headers.get("User-Agent", "")
        ):
            return Reply(401, b'{"status":"false","description":"Authorization failed"}')
        if request.path.endswith("/podcasts/byfeedurl"):
            feed = {"id": listed or added[-1]} if (listed or added) else []
            return Reply(200, json.dumps({"status": "true", "feed": feed}).encode())
        if request.path.endswith("/add/byfeedurl"):
            added.append(4242)
            return Reply(200, b'{"status":"true","feedId":4242,"existed":false,"description":"Feed added."}')
        if request.path.endswith("/hub/pubnotify"):
            return Reply(200, b'{"status":"true","description":"Feed marked for immediate update."}')
        return Reply(404)

    server.script.judge = judge
    return server


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    with podcast_index() as server:
        monkeypatch.setenv("PODCAST_INDEX_API", f"{server.url}/api/1.0")
        monkeypatch.setenv("PODCAST_INDEX_API_KEY", KEY)
        monkeypatch.setenv("PODCAST_INDEX_API_SECRET", SECRET)
        yield server


def test_podcast_index_api_adds_and_pings_the_feed(project: Path, run: Run, api: StandIn) -> None:
    go_public(project)
    assert run("feed").exit_code == 0
    config_text = (project / "config.toml").read_text(encoding="utf-8")
    dry = run("directories", "-n")
    assert "would look the feed up, add it if missing, and ping it" in dry.output and api.seen == []

    report = directories.run(load_config(project), fetch=local_fetch(project))
    lines = [line.text for line in report]
    assert "Podcast Index: feed added (feed 4242)" in lines and "Podcast Index: pinged, it reads the feed now" in lines
    assert [r.path for r in api.seen] == [
        "/api/1.0/podcasts/byfeedurl",
        "/api/1.0/add/byfeedurl",
        "/api/1.0/hub/pubnotify",
    ]
    assert all(r.query == {"url": [f"{PUBLIC}/feed.xml"]} for r in api.seen)
    after = (project / "config.toml").read_text(encoding="utf-8")
    assert 'podcastindex = "https://podcastindex.org/podcast/4242"' in after
    assert after.replace('podcastindex = "https://podcastindex.org/podcast/4242"', 'podcastindex = ""') == config_text

    assert run("feed").exit_code == 0  # the page becomes a subscribe link on the site
    page = html.parse(str(project / "public" / "index.html"))
    buttons = {a.text: a.get("href") for a in page.findall(".//section[@class='subscribe']//a")}
    assert buttons["Podcast Index"] == "https://podcastindex.org/podcast/4242"

    again = directories.run(load_config(project), fetch=local_fetch(project))
    assert "Podcast Index: already listed (feed 4242)" in [line.text for line in again]
    assert "Podcast Index (listed: https://podcastindex.org/podcast/4242)" in [line.text for line in again]


def test_podcast_index_refuses_a_wrong_secret(project: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    go_public(project)
    assert run("feed").exit_code == 0
    with podcast_index() as server:
        monkeypatch.setenv("PODCAST_INDEX_API", f"{server.url}/api/1.0")
        monkeypatch.setenv("PODCAST_INDEX_API_KEY", KEY)
        monkeypatch.setenv("PODCAST_INDEX_API_SECRET", "wrong")
        report = directories.run(load_config(project), fetch=local_fetch(project))
    text = "\n".join(line.text for line in report)
    assert not report.ok
    assert "error: Podcast Index API: podcasts/byfeedurl: refused (401): check PODCAST_INDEX_API_KEY" in text
    assert "wrong" not in text


def test_auth_headers_follow_the_documented_rule() -> None:
    headers = directories.auth_headers("key", "secret", now=1700000000.9)
    assert headers == {
        "X-Auth-Key": "key",
        "X-Auth-Date": "1700000000",
        "Authorization": hashlib.sha1(b"keysecret1700000000").hexdigest(),
    }


PARTNER = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel><title>Radio Amie</title><description>x</description><link>https://radio.example.org</link>
{guid}<item><title>Un</title><enclosure url="https://radio.example.org/1.mp3" length="1" type="audio/mpeg"/></item>
</channel></rss>"""


def test_podroll_add_reads_the_guid_from_the_feed(project: Path, run: Run) -> None:
    with StandIn() as host:
        host.answer(
            "/moved.xml",
            Reply(
                200, PARTNER.format(guid="<podcast:guid>4e5a5d1b-0000-5000-8000-000000000001</podcast:guid>").encode()
            ),
        )
        host.answer("/plain.xml", Reply(200, PARTNER.format(guid="").encode()))
        dry = run("podroll", "add", f"{host.url}/moved.xml", "-n")
        assert dry.exit_code == 0 and "would add [[show.podroll]]" in dry.output
        assert "[[show.podroll]]" not in (project / "config.toml").read_text(encoding="utf-8").replace(
            "# [[show.podroll]]", ""
        )
        result = run("podroll", "add", f"{host.url}/moved.xml")
        assert result.exit_code == 0, result.output
        assert "read podcast:guid 4e5a5d1b-0000-5000-8000-000000000001 from the feed (Radio Amie)" in result.output
        again = run("podroll", "add", f"{host.url}/moved.xml")
        assert "already in the podroll" in again.output
        plain = run("podroll", "add", f"{host.url}/plain.xml", "--title", "Sans GUID")
        computed = guid_from_feed_url(f"{host.url}/plain.xml")
        assert (
            f"the feed has no podcast:guid: computed from its URL by the Podcasting 2.0 rule ({computed})"
            in plain.output
        )
        publisher = run("podroll", "publisher", f"{host.url}/moved.xml")
        assert publisher.exit_code == 0
    podroll = load_config(project).show.podroll
    assert [(f.guid, f.title) for f in podroll] == [
        ("4e5a5d1b-0000-5000-8000-000000000001", "Radio Amie"),
        (computed, "Sans GUID"),
    ]
    publisher_feed = load_config(project).show.publisher
    assert publisher_feed is not None and publisher_feed.guid == "4e5a5d1b-0000-5000-8000-000000000001"
    assert "# podcast project configuration." in (project / "config.toml").read_text(encoding="utf-8")
    assert run("feed").exit_code == 0


def test_podroll_add_offline_computes_the_guid(project: Path, run: Run) -> None:
    with StandIn() as gone:
        url = f"{gone.url}/feed.xml"
    result = run("podroll", "add", url)
    assert result.exit_code == 0
    assert "connection refused: the GUID is computed from the URL by the Podcasting 2.0 rule" in result.stderr
    assert load_config(project).show.podroll[0].guid == guid_from_feed_url(url)
    bad = run("podroll", "add", "ftp://example.org/feed.xml")
    assert bad.exit_code == 1 and "must be an http:// or https:// address" in bad.stderr
