"""Stand-ins on 127.0.0.1 for the services a show talks to after publishing (a WebSub hub,
podping.cloud, the Podcast Index API): each records the requests it gets, checks them when
asked to, and answers from a script: errors, 429 with Retry-After, or silence past the client's
timeout, on purpose."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds of silence before answering


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float


# Decides the reply from the request (a checking stand-in), or None to use the script.
Judge = Callable[[Seen], Reply | None]


@dataclass
class Script:
    replies: dict[str, list[Reply]] = field(default_factory=dict)  # path → replies in order (the last repeats)
    judge: Judge | None = None
    seen: list[Seen] = field(default_factory=list)

    def reply(self, request: Seen) -> Reply:
        if self.judge and (found := self.judge(request)):
            return found
        queue = self.replies.get(request.path) or self.replies.get("*") or [Reply(404)]
        return queue.pop(0) if len(queue) > 1 else queue[0]


class _Handler(http.server.BaseHTTPRequestHandler):
    script: Script

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Seen(
            self.command, parts.path, parse_qs(parts.query), dict(self.headers.items()), body, time.monotonic()
        )
        self.script.seen.append(request)
        reply = self.script.reply(request)
        if reply.delay:
            time.sleep(reply.delay)
        try:
            self.send_response(reply.status)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
            pass

    do_GET = do_POST = _handle


class StandIn:
    def __init__(self) -> None:
        self.script = Script()
        handler = type("ScriptedHandler", (_Handler,), {"script": self.script})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def seen(self) -> list[Seen]:
        return self.script.seen

    def answer(self, path: str, *replies: Reply) -> None:
        self.script.replies[path] = list(replies)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
