"""`podcast serve`: Range requests, content types, nothing outside the folder."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from .conftest import Run, add_episode, edit, make_tone


def test_serve_answers_range_requests(tmp_path: Path) -> None:
    from podcast.workflows.serve import make_server

    (tmp_path / "a.mp3").write_bytes(bytes(range(256)) * 4)
    server = make_server(tmp_path, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/a.mp3"
        with urllib.request.urlopen(url) as whole:
            assert whole.headers["Content-Type"] == "audio/mpeg"
            assert whole.headers["Accept-Ranges"] == "bytes"
            assert len(whole.read()) == 1024
        request = urllib.request.Request(url, headers={"Range": "bytes=10-19"})
        with urllib.request.urlopen(request) as part:
            assert part.status == 206
            assert part.headers["Content-Range"] == "bytes 10-19/1024"
            assert part.read() == bytes(range(10, 20))
        request = urllib.request.Request(url, headers={"Range": "bytes=-4"})
        with urllib.request.urlopen(request) as tail:
            assert tail.read() == bytes(range(252, 256))
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/../../etc/passwd")
        assert err.value.code == 404
    finally:
        server.shutdown()
        server.server_close()


def test_closing_the_server_keeps_the_log_line_of_a_request_just_answered(tmp_path: Path) -> None:
    """A request's line is written once its answer is sent: the listener may already have the
    file when the server closes (Ctrl-C, a test's teardown). Closing waits for that line
    instead of losing the download (or printing a traceback about a closed log)."""
    import time

    from podcast.workflows.serve import Handler, make_server

    class LateLogger(Handler):
        def _log_request(self) -> None:
            time.sleep(1.5)  # the client has its answer, and shutdown() its 0.5 s poll, long before
            super()._log_request()

    (tmp_path / "a.mp3").write_bytes(b"x" * 1000)
    log = tmp_path / "logs" / "access.log"
    server = make_server(tmp_path, "127.0.0.1", 0, LateLogger, access_log=log)
    server.CLOSE_WAIT = 60  # the bound is not what this test is about: a loaded machine may be slow
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/a.mp3") as got:
            assert len(got.read()) == 1000
    finally:
        server.shutdown()
        server.server_close()
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and '"GET /a.mp3 HTTP/1.1" 200 1000' in lines[0]


def test_closing_the_server_cuts_a_download_under_way_and_logs_what_was_sent(tmp_path: Path) -> None:
    """Ctrl-C while a phone is downloading: the download stops at its next chunk and its line
    says how many bytes were sent, instead of the server waiting for the whole file or losing
    the line."""
    import contextlib
    import http.client
    import io
    import time
    from typing import Any

    from podcast.workflows.serve import Handler, make_server

    class Slow:
        def __init__(self, handle: io.BufferedReader) -> None:
            self.handle = handle

        def read(self, size: int = -1) -> bytes:
            time.sleep(0.05)  # 10 MB in 64 KiB chunks: 8 s whole
            return self.handle.read(size)

        def close(self) -> None:
            self.handle.close()

    class SlowHandler(Handler):
        def send_head(self) -> Any:
            handle = super().send_head()
            return Slow(handle) if handle is not None else None

    size = 10_000_000
    (tmp_path / "long.mp3").write_bytes(b"x" * size)
    log = tmp_path / "access.log"
    server = make_server(tmp_path, "127.0.0.1", 0, SlowHandler, access_log=log)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got = urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/long.mp3")
    first = got.read(65536)

    def rest() -> None:
        with contextlib.suppress(http.client.IncompleteRead):  # cut short: what this test is about
            got.read()

    reader = threading.Thread(target=rest, daemon=True)
    reader.start()
    server.shutdown()
    server.server_close()
    reader.join(timeout=10)
    got.close()
    sent = int(log.read_text().split('" 200 ', 1)[1].split()[0])
    assert len(first) == 65536 and 65536 <= sent < size


def test_the_preview_points_feed_and_pages_where_they_are_served(project: Path, run: Run, tmp_path: Path) -> None:
    """`podcast serve` renders the feed and the pages for the address a request came to, so a
    phone that reached the machine by its network address plays; public/ is left as published."""
    from podcast.project.config import load_config
    from podcast.workflows.serve import preview_server

    add_episode(project, "ep", make_tone(tmp_path / "a.wav", seconds=2))
    assert run("publish", "ep").exit_code == 0
    published = (project / "public" / "feed.xml").read_bytes()
    page = (project / "public" / "episodes" / "ep" / "index.html").read_bytes()
    served = preview_server(load_config(project), "127.0.0.1", 0)
    threading.Thread(target=served.server.serve_forever, daemon=True).start()
    port = served.server.server_address[1]
    try:
        assert served.local == f"http://127.0.0.1:{port}" and served.network is None

        def get(path: str, host: str) -> str:
            request = urllib.request.Request(f"{served.local}{path}", headers={"Host": host})
            with urllib.request.urlopen(request) as answer:
                return str(answer.read().decode())

        phone = f"192.168.1.50:{port}"
        feed = get("/feed.xml", phone)
        assert f'url="http://{phone}/episodes/ep/ep-' in feed and "127.0.0.1:8000" not in feed
        assert f'href="http://{phone}/episodes/ep/index.html"' in get("/episodes/ep/", phone)  # canonical
        assert f'<link rel="canonical" href="http://127.0.0.1:{port}/index.html">' in get("/", f"127.0.0.1:{port}")
        assert "http://192.168.1.50" not in get("/index.html", 'x"><script>')  # a forged Host: the default
        assert get("/robots.txt", phone).endswith(f"Sitemap: http://{phone}/sitemap.xml\n")
        with urllib.request.urlopen(f"{served.local}/episodes/ep/") as answer:  # audio and art as published
            assert answer.status == 200
        assert (project / "public" / "feed.xml").read_bytes() == published  # never written into public/
        assert (project / "public" / "episodes" / "ep" / "index.html").read_bytes() == page
        edit(project / "episodes" / "ep" / "episode.toml", 'title = "Épisode ep"', 'title = "Nouveau titre"')
        assert run("publish", "ep").exit_code == 0
        assert "Nouveau titre" in get("/feed.xml", phone)  # a new publication shows at once
    finally:
        served.server.shutdown()
        served.server.server_close()


def test_serve_on_the_network_prints_its_address_and_a_qr_code(project: Path) -> None:
    from podcast.cli import ui
    from podcast.workflows.serve import lan_address

    proc = subprocess.Popen(
        [sys.executable, "-m", "podcast", "--project", str(project), "serve", "--bind", "0.0.0.0", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = [proc.stdout.readline() for _ in range(3)] if proc.stdout else []
        lan = lan_address()
        if lan is None:
            assert "no network address found" in lines[2] and "--bind 0.0.0.0" not in lines[2]
            return
        network = next(line for line in lines if "on the network" in line)
        url = re.search(r"\(feed: (http://[^)]+)\)", network)
        assert url and url.group(1).startswith(f"http://{lan}:") and not url.group(1).startswith("http://127.")
        qr = ui.qr_code(url.group(1))
        printed = "".join(proc.stdout.readline() for _ in range(qr.count("\n") + 1)) if proc.stdout else ""
        assert qr in printed
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 130


def test_serve_everywhere_without_a_network_says_so(project: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """--bind 0.0.0.0 on a machine with no network address: no address to give a phone, and no
    advice to use the option already given."""
    from podcast.workflows import serve

    def stop(self: object) -> None:
        pass  # as if Ctrl-C came at once

    monkeypatch.setattr(serve, "lan_address", lambda: None)
    monkeypatch.setattr(serve.Server, "serve_forever", stop)
    result = run("serve", "--bind", "0.0.0.0", "--port", "0")
    assert "no network address found" in result.output and "--bind 0.0.0.0" not in result.output
    assert "on the network" not in result.output
