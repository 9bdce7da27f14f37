"""`podcast serve`: serve the published folder over HTTP, with Range requests (podcast apps
seek with them), the same Content-Types the storage backends set, and a read-only CORS header
(web players and directories fetch transcripts and chapters from other origins). Hidden files
(an interrupted run's temporary files) are never served."""

from __future__ import annotations

import errno
import http.server
import os
import re
import socket
from functools import partial
from pathlib import Path
from typing import Any

from podcast.core.errors import PodcastError
from podcast.edges.storage import content_type

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD",
    "Access-Control-Allow-Headers": "Range",
    "Access-Control-Expose-Headers": "Content-Length, Content-Range, Accept-Ranges",
}


class Handler(http.server.SimpleHTTPRequestHandler):
    def guess_type(self, path: Any) -> str:
        return content_type(str(path))

    def end_headers(self) -> None:
        for name, value in CORS.items():
            self.send_header(name, value)
        super().end_headers()

    def do_OPTIONS(self) -> None:
        """A CORS preflight (a web player asking whether it may send Range)."""
        self.send_response(204)
        self.send_header("Access-Control-Max-Age", "86400")
        self.end_headers()

    def send_head(self) -> Any:
        if any(part.startswith(".") for part in self.path.split("?", 1)[0].split("/")):
            self.send_error(404, "File not found")
            return None
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            index = path / "index.html"
            if not index.is_file():
                return super().send_head()
            path = index
        if not path.is_file():
            self.send_error(404, "File not found")
            return None
        size = path.stat().st_size
        start, end = 0, size - 1
        header = self.headers.get("Range")
        partial_request = False
        if header:
            match = _RANGE_RE.match(header.strip())
            if not match or (not match.group(1) and not match.group(2)):
                self.send_error(416, "Bad Range")
                return None
            if match.group(1):
                start = int(match.group(1))
                end = int(match.group(2)) if match.group(2) else size - 1
            else:
                start = max(0, size - int(match.group(2)))
            end = min(end, size - 1)
            if start > end or start >= size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{size}")
                self.end_headers()
                return None
            partial_request = True
        handle = path.open("rb")
        handle.seek(start)
        self.send_response(206 if partial_request else 200)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(end - start + 1))
        if partial_request:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Last-Modified", self.date_time_string(int(os.path.getmtime(path))))
        self.end_headers()
        self._remaining = end - start + 1
        return handle

    def copyfile(self, source: Any, outputfile: Any) -> None:
        remaining = getattr(self, "_remaining", None)
        while remaining is None or remaining > 0:
            chunk = source.read(65536 if remaining is None else min(65536, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            if remaining is not None:
                remaining -= len(chunk)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_server(root: Path, bind: str, port: int, handler: type[Handler] = Handler) -> http.server.ThreadingHTTPServer:
    if not 0 <= port <= 65535:
        raise PodcastError(f"port {port}: use a number from 1 to 65535")
    root.mkdir(parents=True, exist_ok=True)
    try:
        return http.server.ThreadingHTTPServer((bind, port), partial(handler, directory=str(root)))
    except socket.gaierror:
        raise PodcastError(
            f"cannot listen on {bind!r}: not an address of this machine (try 127.0.0.1 or 0.0.0.0)"
        ) from None
    except OverflowError:
        raise PodcastError(f"port {port}: use a number from 1 to 65535") from None
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PodcastError(f"port {port} is already in use on {bind}: choose another with --port") from None
        raise PodcastError(f"cannot listen on {bind}:{port}: {exc.strerror or exc}") from None
