"""WebSub and Podping after a publish: sent once the feed's bytes changed (never otherwise),
the requests checked by stand-ins on 127.0.0.1, retried with back-off through errors, 429s and
silence, and a failure only a warning."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from .conftest import Run, add_episode, edit, make_tone
from .standins import Reply, StandIn

PUBLIC = "https://podcast.example.org"
FEED = f"{PUBLIC}/feed.xml"
TOKEN = "podping-secret-token-123"


@pytest.fixture
def hub() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


@pytest.fixture
def podping() -> Iterator[StandIn]:
    with StandIn() as server:
        yield server


@pytest.fixture
def public_show(project: Path, hub: StandIn, podping: StandIn, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A show served from a public address (published to the local folder), with a hub and Podping."""
    from podcast.project.ids import guid_from_feed_url

    config = project / "config.toml"
    edit(config, 'base_url = "http://127.0.0.1:8000"', f'base_url = "{PUBLIC}"')
    edit(config, 'guid = ""', f'guid = "{guid_from_feed_url(FEED)}"')
    edit(config, 'websub_hub = ""', f'websub_hub = "{hub.url}/hub"')
    edit(config, "podping = false", "podping = true")
    edit(config, 'podping_url = "https://podping.cloud/"', f'podping_url = "{podping.url}/"')
    monkeypatch.setenv("PODCAST_PODPING_TOKEN", TOKEN)
    return project


def test_both_are_notified_once_per_change(public_show: Path, run: Run, hub: StandIn, podping: StandIn) -> None:
    hub.answer("/hub", Reply(204))
    podping.answer("/", Reply(200, b"Success!"))
    result = run("feed")
    assert result.exit_code == 0, result.output
    assert "WebSub: notified (204)" in result.output and "Podping: notified (200)" in result.output

    (ping,) = hub.seen
    assert ping.method == "POST" and ping.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(ping.body.decode()) == {"hub.mode": ["publish"], "hub.url": [FEED]}
    (pp,) = podping.seen
    assert pp.method == "GET" and pp.query == {"url": [FEED], "reason": ["update"], "medium": ["podcast"]}
    assert pp.headers["Authorization"] == TOKEN and pp.headers["User-Agent"].startswith("podcast/")

    again = run("feed")  # nothing changed: nobody is told
    assert again.exit_code == 0 and "notified" not in again.output
    forced = run("feed", "--force")  # the same bytes published again: still nothing new to tell
    assert forced.exit_code == 0 and "notified" not in forced.output
    assert len(hub.seen) == 1 and len(podping.seen) == 1

    edit(public_show / "config.toml", 'description = ""', 'description = "Une nouvelle description"')
    changed = run("feed")
    assert "WebSub: notified" in changed.output and len(hub.seen) == 2 and len(podping.seen) == 2


def test_a_new_episode_is_announced(
    public_show: Path, run: Run, hub: StandIn, podping: StandIn, tmp_path: Path
) -> None:
    hub.answer("/hub", Reply(202))
    podping.answer("/", Reply(200))
    add_episode(public_show, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    result = run("publish", "ep")
    assert result.exit_code == 0, result.output
    assert len(hub.seen) == 1 and len(podping.seen) == 1
    feed = (public_show / "public" / "feed.xml").read_text(encoding="utf-8")
    assert f'<atom:link rel="hub" href="{hub.url}/hub"/>' in feed and '<podcast:podping usesPodping="true"/>' in feed


def test_retried_with_back_off_then_sent(public_show: Path, run: Run, hub: StandIn, podping: StandIn) -> None:
    hub.answer("/hub", Reply(503), Reply(500), Reply(204))
    podping.answer("/", Reply(429, b"slow down", {"Retry-After": "2"}), Reply(200))
    result = run("feed")
    assert result.exit_code == 0, result.output
    assert "WebSub: notified (204)" in result.output and "Podping: notified (200)" in result.output
    assert len(hub.seen) == 3
    assert hub.seen[1].at - hub.seen[0].at >= 0.9 and hub.seen[2].at - hub.seen[1].at >= 1.9  # 1 s, then 2 s
    assert len(podping.seen) == 2 and podping.seen[1].at - podping.seen[0].at >= 1.9  # Retry-After honoured


def test_a_failure_is_a_warning_and_the_feed_is_published(
    public_show: Path, run: Run, hub: StandIn, podping: StandIn
) -> None:
    edit(public_show / "config.toml", "attempts = 4", "attempts = 2")
    edit(public_show / "config.toml", "timeout = 10.0", "timeout = 1.0")  # here only: a loaded machine answers late
    hub.answer("/hub", Reply(204, delay=3.0))  # silent past the 1 s timeout, every time
    podping.answer("/", Reply(401, b"Invalid token"))  # a wrong token does not get better: no retry
    result = run("feed")
    assert result.exit_code == 0, result.output
    assert (public_show / "public" / "feed.xml").is_file()
    assert "warning: WebSub not notified:" in result.stderr and "no answer within 1 s" in result.stderr
    assert "warning: Podping not notified:" in result.stderr and "answered 401: Invalid token" in result.stderr
    assert "the feed is published" in result.stderr
    assert len(hub.seen) == 2 and len(podping.seen) == 1
    assert TOKEN not in result.output


def test_a_hub_that_is_down(public_show: Path, run: Run, podping: StandIn) -> None:
    edit(public_show / "config.toml", "attempts = 4", "attempts = 1")
    with StandIn() as gone:
        url = gone.url
    edit(public_show / "config.toml", "podping = true", "podping = false")
    config = (public_show / "config.toml").read_text(encoding="utf-8")
    hub_line = next(line for line in config.splitlines() if line.startswith("websub_hub"))
    edit(public_show / "config.toml", hub_line, f'websub_hub = "{url}/hub"')
    result = run("feed")
    assert result.exit_code == 0 and "WebSub not notified:" in result.stderr and "connection refused" in result.stderr


def test_dry_run_says_what_would_be_sent(public_show: Path, run: Run, hub: StandIn, podping: StandIn) -> None:
    result = run("feed", "-n")
    assert result.exit_code == 0, result.output
    assert f"would notify WebSub: POST {hub.url}/hub hub.mode=publish&hub.url=https%3A%2F%2Fpodcast.example.org" in (
        result.output
    )
    assert f"would notify Podping: GET {podping.url}/?url=" in result.output and "(Authorization: ***)" in result.output
    assert TOKEN not in result.output
    assert hub.seen == [] and podping.seen == []


def test_no_token_no_podping(
    public_show: Path, run: Run, podping: StandIn, hub: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PODCAST_PODPING_TOKEN")
    hub.answer("/hub", Reply(204))
    result = run("feed")
    assert result.exit_code == 0
    assert "warning: Podping not sent: set $PODCAST_PODPING_TOKEN" in result.stderr
    assert podping.seen == [] and len(hub.seen) == 1


def test_a_local_preview_is_never_announced(project: Path, run: Run, hub: StandIn) -> None:
    edit(project / "config.toml", 'websub_hub = ""', f'websub_hub = "{hub.url}/hub"')
    result = run("feed")
    assert result.exit_code == 0
    assert "no notification sent: http://127.0.0.1:8000/feed.xml is a local preview" in result.output
    assert hub.seen == []
