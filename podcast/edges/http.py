"""HTTP(S) fetching: the only module that downloads (feeds to import, media, artwork,
transcripts, models) or probes public URLs (`podcast check --http`). urllib's errors become
one FetchError line here.

Downloads go to NAME.part beside the target and resume with a Range request after an
interruption; a server that ignores Range sends the whole file again (it is restarted, not
appended). The length is checked against what the server declared: a short body is an error,
never a file.

Nothing is read without bounds. Every body is capped in bytes: `fetch` at its `limit`,
`download` at what the feed or the hub declared for the file (with a margin, decided by the
caller), counting the bytes that arrive, whatever Content-Length says. And every request has
an overall deadline, not only a timeout per read (which a server dripping a byte every few
seconds never reaches): after a grace of DEADLINE seconds, a transfer must average MIN_RATE;
when it falls behind, its connection is shut and the request fails with one line.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import os
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from podcast.core.errors import FetchError
from podcast.domain.audience import USER_AGENT  # recognised, and never counted, by `podcast stats`

log = logging.getLogger("podcast.web")

TIMEOUT = 30.0  # seconds one read may wait for a byte
DEADLINE = 60.0  # seconds any request may take before it must keep up MIN_RATE
MIN_RATE = 8 << 10  # bytes a second a transfer must average after DEADLINE (64 kbit/s: any real link)
MAX_DOWNLOAD = 1 << 30  # a download nothing declared a size for
CHUNK = 1 << 16
MAX_REDIRECTS = 10


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would follow ftp: too), at most MAX_REDIRECTS."""

    max_redirections = MAX_REDIRECTS

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise FetchError(f"{req.full_url}: redirected to {newurl}, which is not http(s)")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class _Deadline:
    """One request's overall deadline: a watcher thread shuts the request's connections when
    the transfer falls behind (DEADLINE seconds, plus one second per MIN_RATE bytes received),
    which ends a read blocked on a server that sends headers or body a byte at a time."""

    def __init__(self, grace: float, rate: float) -> None:
        self.grace, self.rate = grace, rate
        self.start = time.monotonic()
        self.received = 0
        self.expired = False
        self._done = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def _allowed(self) -> float:
        return self.start + self.grace + self.received / self.rate

    def watch(self, sock: socket.socket) -> None:
        """Watch the connection `sock` is: through a duplicate, which stays valid when TLS
        takes the socket over (and is closed with the request)."""
        with self._lock:
            self._sockets.append(sock.dup())
            if self.expired:
                _shut(self._sockets[-1])

    def run(self) -> None:
        while not self._done.wait(min(1.0, max(0.01, self._allowed() - time.monotonic()))):
            if time.monotonic() >= self._allowed():
                with self._lock:
                    self.expired = True
                    for sock in self._sockets:
                        _shut(sock)
                return

    def stop(self) -> None:
        self._done.set()
        with self._lock:
            for sock in self._sockets:
                sock.close()
            self._sockets.clear()


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


_current = threading.local()  # the deadline of the request this thread is making


@contextlib.contextmanager
def _deadline() -> Iterator[_Deadline]:
    deadline = _Deadline(DEADLINE, MIN_RATE)
    watcher = threading.Thread(target=deadline.run, name="podcast-http-deadline", daemon=True)
    _current.deadline = deadline
    watcher.start()
    try:
        yield deadline
    finally:
        _current.deadline = None
        deadline.stop()


def _watch(sock: socket.socket) -> None:
    deadline: _Deadline | None = getattr(_current, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)


def _watched_socket(*args: Any, **kwargs: Any) -> socket.socket:
    """socket.create_connection, the connection watched from the start (a TLS handshake too)."""
    sock = socket.create_connection(*args, **kwargs)
    _watch(sock)
    return sock


class _Watched:
    """A connection the current request's deadline can shut."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = _watched_socket


class _Connection(_Watched, http.client.HTTPConnection):
    pass


class _SecureConnection(_Watched, http.client.HTTPSConnection):
    pass


class _Plain(urllib.request.HTTPHandler):
    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(_Connection, req)


class _Secure(urllib.request.HTTPSHandler):
    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        context = self._context  # type: ignore[attr-defined]  # typeshed does not declare HTTPSHandler._context
        return self.do_open(_SecureConnection, req, context=context)


_opener = urllib.request.build_opener(_Redirects(), _Plain(), _Secure())


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError(f"{url}: only http:// and https:// addresses are fetched")


def _open(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> http.client.HTTPResponse:
    _check_url(url)
    request = urllib.request.Request(url, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})})
    try:
        response: http.client.HTTPResponse = _opener.open(request, timeout=TIMEOUT)
        return response
    except urllib.error.HTTPError as exc:
        exc.close()
        raise FetchError(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        _raise_if_too_slow(url)
        raise FetchError(f"{url}: {_reason(exc.reason)}") from None
    except TimeoutError:
        raise FetchError(f"{url}: no answer within {TIMEOUT:g} s") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        _raise_if_too_slow(url)
        raise FetchError(f"{url}: {_reason(exc)}") from None


def _raise_if_too_slow(url: str, resume: bool = False) -> None:
    """The request's deadline passed (its connection was shut): say so, whatever broke."""
    deadline: _Deadline | None = getattr(_current, "deadline", None)
    if deadline is None or not deadline.expired:
        return
    if not deadline.received:
        raise FetchError(f"{url}: too slow: no answer within {deadline.elapsed():.0f} s")
    raise FetchError(
        f"{url}: too slow: {deadline.received:,} bytes in {deadline.elapsed():.0f} s (after its first "
        f"{deadline.grace:g} s a transfer must average {deadline.rate / 1024:g} KB/s)"
        + ("; run it again to resume" if resume else "")
    )


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer within {TIMEOUT:g} s"
    if isinstance(reason, ssl.SSLError):
        return f"secure connection failed ({reason.reason or reason})"
    if isinstance(reason, socket.gaierror):
        return "unknown host (no network, or a typo in the address?)"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    return str(getattr(reason, "strerror", None) or reason)


def fetch(url: str, limit: int = 64 << 20) -> tuple[bytes, str]:
    """The body of `url` (at most `limit` bytes) and the URL it was finally served from."""
    with _deadline() as deadline, _open(url) as response:
        parts: list[bytes] = []
        while deadline.received <= limit:
            try:
                chunk = response.read1(CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                _raise_if_too_slow(url)
                raise FetchError(f"{url}: the transfer broke off ({_reason(exc)})") from None
            if not chunk:
                break
            parts.append(chunk)
            deadline.received += len(chunk)
        _raise_if_too_slow(url)  # a connection shut by the deadline ends like a complete body
        if deadline.received > limit:
            raise FetchError(f"{url}: larger than {_size(limit)}: not what was expected there")
        return b"".join(parts), response.geturl()


def _size(limit: int) -> str:
    return f"{limit >> 20} MiB" if limit >= 1 << 20 else f"{limit:,} bytes"


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    url: str  # where it was finally served from (after redirects)
    server_length: int | None  # what the server declared for the whole file


def download(
    url: str, target: Path, progress: Callable[[int], None] | None = None, *, limit: int = MAX_DOWNLOAD
) -> Downloaded:
    """Download `url` to `target` (through TARGET.part, resumed when it exists and the server
    honours Range), at most `limit` bytes in all. Raises FetchError on an empty, truncated or
    oversized body; `target` then does not exist."""
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    if have > limit:
        part.unlink()
        have = 0
    with _deadline() as deadline, _open(url, {"Range": f"bytes={have}-"} if have else None) as response:
        resumed = have > 0 and response.status == 206 and _range_start(response) == have
        if have and not resumed:
            log.info("%s: the server does not resume (status %s): downloading it again", url, response.status)
            have = 0
        total = _total_length(response, have if resumed else 0)
        if total is not None and total > limit:
            part.unlink(missing_ok=True)
            raise FetchError(f"{url}: the server announces {total:,} bytes, more than the {limit:,} expected")
        mode = "ab" if resumed else "wb"
        if progress and have:
            progress(have)
        size = _copy(response, part, mode, have, url, progress, limit, deadline)
    if size == 0:
        part.unlink(missing_ok=True)
        raise FetchError(f"{url}: the server sent an empty file")
    if total is not None and size != total:
        raise FetchError(f"{url}: truncated: {size:,} of {total:,} bytes arrived (run it again to resume)")
    os.replace(part, target)
    return Downloaded(target, size, response.geturl(), total)


def _copy(
    response: http.client.HTTPResponse,
    part: Path,
    mode: str,
    have: int,
    url: str,
    progress: Callable[[int], None] | None,
    limit: int,
    deadline: _Deadline,
) -> int:
    size = have
    part.parent.mkdir(parents=True, exist_ok=True)
    with part.open(mode) as out:
        while True:
            try:
                chunk = response.read1(CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                _raise_if_too_slow(url, resume=True)
                raise FetchError(
                    f"{url}: the transfer broke off after {size:,} bytes ({_reason(exc)}); run it again to resume"
                ) from None
            if not chunk:
                _raise_if_too_slow(url, resume=True)
                return size
            if size + len(chunk) > limit:
                out.close()
                part.unlink(missing_ok=True)
                raise FetchError(f"{url}: more than the {limit:,} bytes expected: the server sends without end?")
            out.write(chunk)
            size += len(chunk)
            deadline.received += len(chunk)
            if progress:
                progress(len(chunk))


def _range_start(response: http.client.HTTPResponse) -> int | None:
    value = response.headers.get("Content-Range", "")  # "bytes 100-999/1000"
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _total_length(response: http.client.HTTPResponse, offset: int) -> int | None:
    """The whole file's length, from Content-Range (a resumed download) or Content-Length."""
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and not content_range.endswith("/*"):
        try:
            return int(content_range.rsplit("/", 1)[1])
        except ValueError:
            return None
    length = response.headers.get("Content-Length")
    return offset + int(length) if length and length.isascii() and length.isdigit() else None


@dataclass(frozen=True)
class Probe:
    length: str | None
    content_type: str
    range_status: int
    content_range: str
    cors: str  # Access-Control-Allow-Origin


def probe(url: str) -> Probe:
    """HEAD, then a one-byte Range request, as a podcast app does before it plays."""
    with _deadline(), _open(url, method="HEAD") as head:
        length, ctype = head.headers.get("Content-Length"), head.headers.get("Content-Type", "")
    with _deadline(), _open(url, {"Range": "bytes=0-1", "Origin": "https://podcast.example"}) as ranged:
        ranged.read(1 << 16)
        return Probe(
            length,
            ctype,
            ranged.status,
            ranged.headers.get("Content-Range", ""),
            ranged.headers.get("Access-Control-Allow-Origin", ""),
        )


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes
    retry_after: float | None  # seconds, when the server said (429, 503)


def send(
    url: str,
    method: str = "GET",
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = TIMEOUT,
    limit: int = 1 << 20,
) -> Answer:
    """One request to an API or a hub; any HTTP status is an answer (the caller decides what
    to retry). No answer at all (refused, timed out, cut off) is a FetchError."""
    _check_url(url)
    request = urllib.request.Request(
        url, data=data, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})}
    )
    try:
        with _opener.open(request, timeout=timeout) as response:
            return Answer(response.status, response.read(limit), None)
    except urllib.error.HTTPError as exc:
        try:
            body = exc.read(limit) if exc.fp else b""
        except (OSError, http.client.HTTPException):
            body = b""
        finally:
            exc.close()
        return Answer(exc.code, body, _retry_after(exc.headers.get("Retry-After", "") if exc.headers else ""))
    except urllib.error.URLError as exc:
        reason = f"no answer within {timeout:g} s" if isinstance(exc.reason, TimeoutError) else _reason(exc.reason)
        raise FetchError(f"{url}: {reason}") from None
    except TimeoutError:
        raise FetchError(f"{url}: no answer within {timeout:g} s") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise FetchError(f"{url}: {_reason(exc)}") from None


def _retry_after(value: str) -> float | None:
    """Retry-After in seconds (the HTTP-date form is rare from APIs: taken as unknown)."""
    value = value.strip()
    return float(value) if value.replace(".", "", 1).isdigit() else None
