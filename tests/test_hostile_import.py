"""Hostile input on `podcast import` (#23): what a broken or malicious host serves. Each case
was found by trying it against the tool; each must give one clear line (or a warning naming
the episode, for a detail the episode can do without), write nothing outside the project,
import no episode by halves, and leave what it imports publishable."""

from __future__ import annotations

import functools
import io
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from podcast.cli import cli

from .conftest import ffmpeg
from .feedserver import FeedServer
from .feedserver import Handler as PoliteHandler
from .test_import import mp3

PODCAST_NS = "https://podcastindex.org/namespace/1.0"


@pytest.fixture(scope="module")
def audio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The host's files: a 20-second episode (about 160 KB, as the issue's 174 KB one), a cover."""
    root = tmp_path_factory.mktemp("hostile-media")
    mp3(root / "long.mp3", 20, 440)
    mp3(root / "short.mp3", 6, 550)
    ffmpeg("-f", "lavfi", "-i", "color=c=0x336699:s=1400x1400:d=1", "-frames:v", "1", str(root / "cover.jpg"))
    return root


class Hostile(PoliteHandler):
    """The feed server, misbehaving on chosen paths: a body without end, a byte at a time, or
    a Content-Length shorter than the file."""

    modes: dict[str, str]
    sent: list[int]  # bytes of endless bodies sent, in all

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        mode = self.modes.get(path)
        if mode is None:
            super().do_GET()
            return
        self.behaviour.requests.append((path, self.headers.get("Range", "")))
        data = Path(self.translate_path(path)).read_bytes() if mode != "endless" else b""
        try:
            if mode == "endless":
                self._endless()
            elif mode == "drip":
                self._drip(data)
            elif mode == "short":
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", "4000")
                self.end_headers()
                self.wfile.write(data[:4000])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up: what it should do

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        self.close_connection = True
        block = b"\xff" * 65536
        while self.sent[0] < 3 << 30:  # stops the test, never the tool
            self.wfile.write(block)
            self.sent[0] += len(block)

    def _drip(self, data: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        for byte in data:
            self.wfile.write(bytes([byte]))
            self.wfile.flush()
            time.sleep(0.2)


class HostileServer(FeedServer):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.modes: dict[str, str] = {}
        self.sent = [0]
        attributes = {"behaviour": self.behaviour, "modes": self.modes, "sent": self.sent}
        handler = type("HostileHandler", (Hostile,), attributes)
        self.server.RequestHandlerClass = functools.partial(handler, directory=str(root))


@pytest.fixture
def host(tmp_path: Path, audio: Path) -> Iterator[HostileServer]:
    site = tmp_path / "host"
    shutil.copytree(audio, site)
    server = HostileServer(site)
    with server:
        yield server


def item(base: str, guid: str, audio: str = "short.mp3", extra: str = "", length: int | None = None) -> str:
    size = length if length is not None else 0
    return (
        f"<item><title>Épisode {guid}</title><guid>{guid}</guid><pubDate>Tue, 14 May 2024 10:00:00 GMT</pubDate>"
        f'<enclosure url="{base}/{audio}" length="{size}" type="audio/mpeg"/>{extra}</item>'
    )


def write_feed(host: HostileServer, items: list[str], cover: str = "cover.jpg") -> str:
    channel = (
        f'<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" xmlns:podcast="{PODCAST_NS}">'
        "<channel><title>Hostile</title><description>x</description><language>fr</language>"
        f'<itunes:image href="{host.url}/{cover}"/>' + "".join(items) + "</channel></rss>"
    )
    (host.root / "feed.xml").write_text(channel, encoding="utf-8")
    return f"{host.url}/feed.xml"


def bomb_png() -> bytes:
    """A small PNG declaring 20000×20000 pixels."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG", optimize=True)
    return out.getvalue()


def podcast(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def one_line_each(result: Result) -> None:
    said = result.output + result.stderr
    assert "Traceback" not in said and "internal error" not in said, said


def test_broken_chapters_files_are_left_out_and_said(host: HostileServer, tmp_path: Path) -> None:
    broken = {
        "strings": '["a", "b"]',
        "list": "[]",
        "nested": "[" * 100_000 + "]" * 100_000,
        "not-a-list": '{"chapters": "x"}',
        "odd-items": '{"chapters": [1, "a", null, {"title": "x"}]}',
        "infinite": '{"chapters": [{"startTime": 1e999, "title": "x"}, {"startTime": NaN, "title": "y"}]}',
        "huge-int": '{"chapters": [{"startTime": ' + "9" * 400 + ', "title": "x"}]}',
    }
    items = []
    for name, text in broken.items():
        (host.root / f"{name}.json").write_text(text)
        chapters = f'<podcast:chapters url="{host.url}/{name}.json" type="application/json+chapters"/>'
        items.append(item(host.url, name, extra=chapters))
    project = tmp_path / "show"
    result = podcast("import", write_feed(host, items), str(project))
    one_line_each(result)
    assert result.exit_code == 0, result.stderr
    assert f"imported {len(broken)} episode(s)" in result.output
    for name in broken:
        assert f"episode-{name}: the chapters at {host.url}/{name}.json" in result.stderr, name
    published = podcast("--project", str(project), "publish", "--all")
    assert published.exit_code == 0, published.stderr


def test_numbers_that_are_not_numbers_or_do_not_fit(host: HostileServer, tmp_path: Path) -> None:
    items = [
        item(host.url, "superscript", extra="<itunes:season>³</itunes:season><itunes:episode>１２</itunes:episode>"),
        item(host.url, "infinite", extra='<podcast:soundbite startTime="1e999" duration="5">Fin</podcast:soundbite>'),
        item(host.url, "nan", extra='<podcast:soundbite startTime="1" duration="nan">x</podcast:soundbite>'),
        item(host.url, "past-end", extra='<podcast:soundbite startTime="100" duration="10">Après</podcast:soundbite>'),
        item(host.url, "fits", extra='<podcast:soundbite startTime="1" duration="2">Le moment</podcast:soundbite>'),
    ]
    project = tmp_path / "show"
    result = podcast("import", write_feed(host, items), str(project))
    one_line_each(result)
    assert result.exit_code == 0, result.stderr
    assert "imported 5 episode(s)" in result.output
    assert "episode-past-end: soundbite 'Après' at 00:01:40.000 is beyond the end" in result.stderr  # said
    tomls = {p.parent.name: p.read_text() for p in (project / "episodes").glob("episode-*/episode.toml")}
    assert "season" not in tomls["episode-superscript"] and "number" not in tomls["episode-superscript"]
    assert "soundbites" not in tomls["episode-past-end"] and "soundbites" not in tomls["episode-infinite"]
    assert "[[soundbites]]" in tomls["episode-fits"]
    published = podcast("--project", str(project), "publish", "--all")
    assert published.exit_code == 0, published.stderr  # nothing imported blocks the feed
    assert "podcast:soundbite" in (project / "public" / "feed.xml").read_text()


def test_windows_reserved_enclosure_names_are_renamed(host: HostileServer, tmp_path: Path) -> None:
    for name in ("CON.mp3", "aux", "nul.mp3", "COM1.mp3", "lpt9.MP3"):
        shutil.copy(host.root / "short.mp3", host.root / name)
    items = [item(host.url, f"g{i}", audio=name) for i, name in enumerate(("CON.mp3", "aux", "nul.mp3", "COM1.mp3"))]
    items.append(item(host.url, "g9", audio="lpt9.MP3"))
    project = tmp_path / "show"
    result = podcast("import", write_feed(host, items), str(project))
    assert result.exit_code == 0, result.stderr
    reserved = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
    files = [p for p in (project / "episodes").rglob("*") if p.is_file()]
    assert len([p for p in files if p.suffix == ".mp3"]) == 5
    for path in files:
        assert path.name.split(".")[0].lower() not in reserved, path
    assert podcast("--project", str(project), "publish", "--all").exit_code == 0


@pytest.mark.parametrize("cover", ["html", "bomb", "endless"])
def test_a_show_cover_that_is_no_image_leaves_the_placeholder(host: HostileServer, tmp_path: Path, cover: str) -> None:
    if cover == "html":
        (host.root / "bad-cover").write_text("<!DOCTYPE html><html><body>Not found</body></html>")
    elif cover == "bomb":
        (host.root / "bad-cover").write_bytes(bomb_png())
    else:
        host.modes["/bad-cover"] = "endless"
    project = tmp_path / "show"
    url = write_feed(host, [item(host.url, "one")], cover="bad-cover")
    result = podcast("import", url, str(project))
    one_line_each(result)
    assert result.exit_code == 0, result.stderr
    assert "the placeholder stays" in result.stderr or "placeholder" in result.stderr, result.stderr
    config = (project / "config.toml").read_text()
    assert 'artwork = "artwork/cover.jpg"' in config and (project / "artwork" / "cover.jpg").is_file()
    assert not [p for p in (project / "artwork").iterdir() if p.name != "cover.jpg"]  # no download left behind
    if cover == "endless":
        assert host.sent[0] < 200 << 20  # given up at the cap, not read without end
    assert podcast("--project", str(project), "publish", "--all").exit_code == 0
    again = podcast("import", url, str(project))
    assert again.exit_code == 0, again.stderr


def test_an_endless_enclosure_is_cut_at_what_the_feed_declared(host: HostileServer, tmp_path: Path) -> None:
    declared = (host.root / "long.mp3").stat().st_size
    host.modes["/endless.mp3"] = "endless"
    shutil.copy(host.root / "long.mp3", host.root / "endless.mp3")
    items = [item(host.url, "endless", audio="endless.mp3", length=declared), item(host.url, "fine")]
    project = tmp_path / "show"
    result = podcast("import", write_feed(host, items), str(project))
    one_line_each(result)
    assert result.exit_code == 1
    assert "episode-endless: audio not downloaded" in result.stderr and "endless.mp3: more than the" in result.stderr
    assert not list((project / "episodes" / "episode-endless").glob("*.mp3"))  # its audio pending, none half
    assert (project / "episodes" / "episode-fine" / "short.mp3").is_file()  # the other one is not held back
    assert host.sent[0] < 64 << 20
    downloads = project / "build" / "import" / "downloads"
    assert sum(p.stat().st_size for p in downloads.rglob("*") if p.is_file()) < 32 << 20


def test_a_server_that_drips_is_given_up(host: HostileServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from podcast.edges import http as web

    monkeypatch.setattr(web, "DEADLINE", 3.0)  # the drip (5 bytes a second) fails soon after; the rest has time
    host.modes["/slow.mp3"] = "drip"
    shutil.copy(host.root / "short.mp3", host.root / "slow.mp3")
    url = write_feed(host, [item(host.url, "slow", audio="slow.mp3"), item(host.url, "fine")])
    project = tmp_path / "show"
    started = time.monotonic()
    result = podcast("import", url, str(project))
    assert time.monotonic() - started < 30
    one_line_each(result)
    assert result.exit_code == 1 and "slow.mp3: too slow" in result.stderr, result.stderr
    assert not list((project / "episodes" / "episode-slow").glob("*.mp3"))  # pending: the next import resumes it
    assert (project / "episodes" / "episode-fine" / "short.mp3").is_file()

    host.modes["/feed.xml"] = "drip"  # the feed itself, a byte at a time: one line, nothing created
    started = time.monotonic()
    dripped = podcast("import", url, str(tmp_path / "other"))
    assert time.monotonic() - started < 30
    assert dripped.exit_code == 1 and "feed.xml: too slow" in dripped.stderr
    assert len(dripped.stderr.strip().splitlines()) == 1 and not (tmp_path / "other").exists()


def test_a_content_length_shorter_than_the_feed_declares_is_not_an_episode(host: HostileServer, tmp_path: Path) -> None:
    declared = (host.root / "long.mp3").stat().st_size
    host.modes["/long.mp3"] = "short"
    project = tmp_path / "show"
    url = write_feed(host, [item(host.url, "cut", audio="long.mp3", length=declared)])
    result = podcast("import", url, str(project))
    one_line_each(result)
    assert result.exit_code == 1
    assert f"4,000 bytes where the feed declares {declared:,}" in result.stderr, result.stderr
    assert not list((project / "episodes").glob("*/long.mp3"))  # no 4,000-byte episode: its audio is pending
    del host.modes["/long.mp3"]
    again = podcast("import", url, str(project))
    assert again.exit_code == 0, again.stderr
    audio_file = next((project / "episodes").glob("episode-*/long.mp3"))
    assert audio_file.read_bytes() == (host.root / "long.mp3").read_bytes()


def test_a_server_that_drips_its_headers_is_given_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each header byte arrives well within the timeout of a read: only a deadline on the
    whole request ends it."""
    from podcast.edges import http as web

    monkeypatch.setattr(web, "DEADLINE", 3.0)  # the drip (5 bytes a second) fails soon after; the rest has time
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def drip() -> None:
        connection, _ = listener.accept()
        with connection:
            try:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
                    connection.sendall(bytes([byte]))
                    time.sleep(0.2)
            except OSError:
                pass  # the client hung up: what it should do

    threading.Thread(target=drip, daemon=True).start()
    started = time.monotonic()
    result = podcast("import", f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml", str(tmp_path / "show"))
    assert time.monotonic() - started < 15
    assert result.exit_code == 1 and "feed.xml: too slow" in result.stderr, result.stderr
    assert not (tmp_path / "show").exists()
    listener.close()
