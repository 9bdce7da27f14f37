"""A podcast host on 127.0.0.1 for the import tests: serves a folder, and misbehaves on demand
the way real hosts and CDNs do (redirects, no Range support, bodies cut short, errors, slowness)."""

from __future__ import annotations

import http.server
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any


@dataclass
class Behaviour:
    redirects: dict[str, str] = field(default_factory=dict)  # path → path it 302s to
    no_range: set[str] = field(default_factory=set)  # paths served whole whatever Range says
    truncate: dict[str, int] = field(default_factory=dict)  # path → bytes sent before hanging up
    status: dict[str, int] = field(default_factory=dict)  # path → an error status
    delay: dict[str, float] = field(default_factory=dict)  # path → seconds before answering
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path, Range header) seen


class Handler(http.server.SimpleHTTPRequestHandler):
    behaviour: Behaviour

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        self.behaviour.requests.append((path, self.headers.get("Range", "")))
        if wait := self.behaviour.delay.get(path):
            time.sleep(wait)
        if target := self.behaviour.redirects.get(path):
            self.send_response(302)
            self.send_header("Location", target)
            self.end_headers()
            return
        if code := self.behaviour.status.get(path):
            self.send_error(code)
            return
        file = Path(self.translate_path(path))
        if not file.is_file():
            self.send_error(404)
            return
        self._send(path, file.read_bytes())

    def _send(self, path: str, data: bytes) -> None:
        start, status = 0, 200
        header = self.headers.get("Range", "")
        if header.startswith("bytes=") and path not in self.behaviour.no_range:
            first = header[6:].split("-", 1)[0]
            if first.isdigit() and int(first) < len(data):
                start, status = int(first), 206
        body = data[start:]
        self.send_response(status)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Accept-Ranges", "none" if path in self.behaviour.no_range else "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        self.end_headers()
        cut = self.behaviour.truncate.get(path)
        self.wfile.write(body if cut is None else body[: max(0, cut - start)])
        if cut is not None:
            self.wfile.flush()
            self.close_connection = True


class FeedServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.behaviour = Behaviour()
        handler = type("BoundHandler", (Handler,), {"behaviour": self.behaviour})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> FeedServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
