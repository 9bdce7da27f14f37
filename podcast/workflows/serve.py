"""`podcast serve`: serve the published folder over HTTP, with Range requests (podcast apps
seek with them), the same Content-Types the storage backends set, and a read-only CORS header
(web players and directories fetch transcripts and chapters from other origins). Hidden files
(an interrupted run's temporary files) are never served, however the dot is written (%2e), nor
a file that a link inside the folder leads to outside it, nor a folder's listing (a storage
bucket serves none either).

Every request is written to an access log in the "combined" format (build/serve/access.log),
with the bytes actually sent (a listener who stops a download early sends fewer), so
`podcast stats` can count a preview's downloads like a web server's."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import errno
import http.server
import os
import re
import socket
import sys
import threading
from functools import partial
from pathlib import Path
from typing import IO, Any

from podcast.core import fsutil
from podcast.core.errors import PodcastError
from podcast.core.text import Url
from podcast.domain.logformats import combined_line
from podcast.edges.storage import content_type
from podcast.project.config import FEED_NAME, Config

_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD",
    "Access-Control-Allow-Headers": "Range",
    "Access-Control-Expose-Headers": "Content-Length, Content-Range, Accept-Ranges",
}


class AccessLog:
    """The server's access log: one combined-format line per request, written whole."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.handle: IO[bytes] = path.open("ab")
        self.lock = threading.Lock()

    def write(self, line: str) -> None:
        with self.lock:
            if self.handle.closed:  # a request still running past the wait at shutdown
                return
            self.handle.write(line.encode("utf-8", "replace") + b"\n")
            self.handle.flush()

    def close(self) -> None:
        with self.lock:
            self.handle.close()


class Server(http.server.ThreadingHTTPServer):
    """Requests in threads. A request's log line is written once its answer is sent, so the
    listener may have the whole file before its line is written. Closing (Ctrl-C) cuts the
    connections under way (a download stops, logged with the bytes sent so far; an idle
    connection ends), then waits for their threads, a second or two at most: a download
    answered just before Ctrl-C is still counted, a cut one counts as cut."""

    access_log: AccessLog | None = None
    CLOSE_WAIT = 2.0  # seconds: the bound on Ctrl-C, whatever a client does

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.closing = False
        self._connections: set[socket.socket] = set()  # each one's line not yet written
        self._idle = threading.Condition()
        super().__init__(*args, **kwargs)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._idle:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)  # answered, then logged
        finally:
            with self._idle:
                self._connections.discard(request)
                self._idle.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A request that failed: a client gone mid-answer says nothing (socketserver would print
        a traceback in the producer's terminal); anything else, one line."""
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            sys.stderr.write(f"serve: a request from {client_address[0]} failed: {error!r}\n")

    def server_close(self) -> None:
        self.closing = True
        super().server_close()
        with self._idle:
            for connection in self._connections:  # a write or read blocked on a slow client returns now
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._idle.wait_for(lambda: not self._connections, timeout=self.CLOSE_WAIT)
        if self.access_log is not None:
            self.access_log.close()


class Handler(http.server.SimpleHTTPRequestHandler):
    timeout = 60  # seconds a client may stay silent: an idle connection never holds a thread for ever
    server: Server
    _status: int | None = None
    _sent = 0
    served_root: str = ""  # the folder translate_path answered from, when not `directory`

    def guess_type(self, path: Any) -> str:
        return content_type(str(path))

    def send_response(self, code: int, message: str | None = None) -> None:
        self._status = code
        super().send_response(code, message)

    def handle_one_request(self) -> None:
        self._status, self._sent = None, 0
        try:
            super().handle_one_request()
        finally:
            self._log_request()

    def _log_request(self) -> None:
        access_log = self.server.access_log
        if access_log is None or self._status is None or not getattr(self, "requestline", ""):
            return
        headers = getattr(self, "headers", None)  # none on a request refused before its headers
        access_log.write(
            combined_line(
                self.client_address[0],
                dt.datetime.now(dt.UTC),
                self.requestline,
                self._status,
                self._sent,
                headers.get("Referer", "") if headers else "",
                headers.get("User-Agent", "") if headers else "",
            )
        )

    def end_headers(self) -> None:
        for name, value in CORS.items():
            self.send_header(name, value)
        super().end_headers()

    def do_OPTIONS(self) -> None:
        """A CORS preflight (a web player asking whether it may send Range)."""
        self.send_response(204)
        self.send_header("Access-Control-Max-Age", "86400")
        self.end_headers()

    def _published(self) -> Path | None:
        """The file the request names, when it may be served: inside the folder once links
        are followed, and hidden nowhere on the way (the name decoded first: %2e is a dot)."""
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        root = Path(self.served_root or self.directory)
        try:
            named = path.relative_to(root)
            real = path.resolve().relative_to(root.resolve())
        except (ValueError, OSError, RuntimeError):  # outside the folder, or a link loop
            return None
        if any(part.startswith(".") for part in (*named.parts, *real.parts)) or not path.is_file():
            return None
        return path

    def send_head(self) -> Any:
        path = self._published()
        if path is None:
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
            if self.server.closing:  # Ctrl-C: the download ends here, logged with what was sent
                self.close_connection = True
                return
            chunk = source.read(65536 if remaining is None else min(65536, remaining))
            if not chunk:
                break
            try:
                outputfile.write(chunk)
            except OSError:  # the listener stopped or stalled, or Ctrl-C cut the connection
                self.close_connection = True
                return
            self._sent += len(chunk)
            if remaining is not None:
                remaining -= len(chunk)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def make_server(
    root: Path, bind: str, port: int, handler: type[Handler] = Handler, access_log: Path | None = None
) -> Server:
    """A server of `root`; with `access_log`, every request is appended to that file."""
    if not 0 <= port <= 65535:
        raise PodcastError(f"port {port}: use a number from 1 to 65535")
    root.mkdir(parents=True, exist_ok=True)
    try:
        server = Server((bind, port), partial(handler, directory=str(root)))
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
    if access_log is not None:
        try:
            server.access_log = AccessLog(access_log)
        except OSError as exc:
            server.server_close()
            raise PodcastError(f"{access_log}: cannot write the access log ({exc.strerror or exc})") from None
    return server


# ---------------------------------------------------------------------------------------
# `podcast serve` as a preview: the feed and the pages rendered for the address they are
# served from (the published ones point at show.base_url), kept in build/preview/, never in
# the published folder.

MAX_ORIGINS = 8
_HOST_RE = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$")


class Preview:
    """The feed and pages for each origin a client used, rendered on first request and again
    once a publication changed the published feed."""

    def __init__(self, config: Config, fallback: str) -> None:
        self.config = config
        self.fallback = fallback  # the origin for a request without a usable Host header
        self.lock = threading.Lock()
        self.rendered: dict[str, tuple[tuple[int, int], Path]] = {}

    def origin(self, host: str | None) -> str:
        """The origin a request came to, from its Host header; the fallback for a missing or
        malformed one, and past a few addresses (a client inventing Host headers cannot make
        the preview render without end)."""
        origin = f"http://{host}" if host and _HOST_RE.match(host) else self.fallback
        return origin if origin in self.rendered or len(self.rendered) < MAX_ORIGINS else self.fallback

    def folder(self, origin: str) -> Path:
        """The folder holding this origin's feed and pages (rendered when out of date)."""
        feed = self.config.public_dir / FEED_NAME
        stamp = (feed.stat().st_mtime_ns, feed.stat().st_size) if feed.is_file() else (0, 0)
        with self.lock:
            known = self.rendered.get(origin)
            if known is None or known[0] != stamp:
                known = (stamp, render_preview(self.config, origin))
                self.rendered[origin] = known
            return known[1]


def render_preview(config: Config, origin: str) -> Path:
    """The feed and the pages with `origin` as the base URL, in build/preview/HOST/."""
    from podcast.release import catalog, rss, site

    show = dataclasses.replace(config.show, base_url=Url(origin))
    stats = dataclasses.replace(config.stats, prefix=Url(""))  # a preview is never counted by an analytics service
    local = dataclasses.replace(config, show=show, stats=stats)
    folder = config.build_dir / "preview" / re.sub(r"[^A-Za-z0-9.-]", "_", origin.split("://", 1)[1])
    shown = catalog.collect(local)
    site.render(local, shown, folder)
    fsutil.write_bytes(folder / FEED_NAME, rss.build(local, shown, catalog.artwork_key(local)))
    return folder


class PreviewHandler(Handler):
    preview: Preview

    def translate_path(self, path: str) -> str:
        """A rendered file (the feed, a page, the sitemap...) from this origin's preview; any
        other from the published folder."""
        published = super().translate_path(path)
        self.served_root = ""
        relative = Path(published).relative_to(Path(self.directory).resolve()) if published else Path()
        if not str(relative) or str(relative) == "." or path.split("?", 1)[0].endswith("/"):
            relative = relative / "index.html"
        try:
            folder = self.preview.folder(self.preview.origin(self.headers.get("Host")))
        except PodcastError as exc:
            self.log_error("preview: %s", exc)
            return published
        candidate = folder / relative
        if candidate.is_dir():
            candidate = candidate / "index.html"
        if not candidate.is_file():
            return published
        self.served_root = str(folder)
        return str(candidate)


def lan_address() -> str | None:
    """This machine's address on the local network (what a phone on the same Wi-Fi reaches),
    found by asking the system which interface would route outside; no packet is sent."""
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("192.0.2.1", 9))  # TEST-NET-1: never reached, UDP connect sends nothing
        address = str(probe.getsockname()[0])
        if not address.startswith("127.") and address != "0.0.0.0":
            return address
    with contextlib.suppress(OSError):
        address = socket.gethostbyname(socket.gethostname())
        if not address.startswith("127."):
            return address
    return None


@dataclasses.dataclass(frozen=True)
class Served:
    server: http.server.ThreadingHTTPServer
    local: str  # the address on this machine
    network: str | None  # the address a phone on the network uses (None: none known)
    everywhere: bool  # listening on every interface (0.0.0.0), whether or not one is on a network


def preview_server(config: Config, bind: str, port: int) -> Served:
    """`podcast serve`: the published folder, with the feed and pages rendered for the address
    each request came to."""
    preview = Preview(config, "")
    handler = type("Preview", (PreviewHandler,), {"preview": preview})
    server = make_server(config.public_dir, bind, port, handler, access_log=config.serve_log)
    actual = server.server_address[1]
    loopback = bind in ("127.0.0.1", "localhost", "::1") or bind.startswith("127.")
    wildcard = bind in ("0.0.0.0", "::", "")
    local = f"http://{'127.0.0.1' if wildcard or loopback else bind}:{actual}"
    lan = lan_address() if wildcard else None
    network = f"http://{lan}:{actual}" if lan else (None if loopback or wildcard else local)
    preview.fallback = network or local
    return Served(server, local, network, wildcard)
