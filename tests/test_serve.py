"""`podcast serve`: Range requests, content types, nothing outside the folder."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest


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
