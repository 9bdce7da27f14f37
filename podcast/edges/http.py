"""HTTP(S) fetching: the only module that downloads (feeds to import, media, artwork,
transcripts, models) or probes public URLs (`podcast check --http`). urllib's errors become
one FetchError line here.

Downloads go to NAME.part beside the target and resume with a Range request after an
interruption; a server that ignores Range sends the whole file again (it is restarted, not
appended). The length is checked against what the server declared: a short body is an error,
never a file.
"""

from __future__ import annotations

import http.client
import logging
import os
import socket
import ssl
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from podcast.core.errors import FetchError
from podcast.domain.audience import USER_AGENT  # recognised, and never counted, by `podcast stats`

log = logging.getLogger("podcast.web")

TIMEOUT = 30.0
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


_opener = urllib.request.build_opener(_Redirects())


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
        raise FetchError(f"{url}: {_reason(exc.reason)}") from None
    except TimeoutError:
        raise FetchError(f"{url}: no answer within {TIMEOUT:g} s") from None
    except (OSError, http.client.HTTPException, ValueError) as exc:
        raise FetchError(f"{url}: {_reason(exc)}") from None


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
    response = _open(url)
    with response:
        try:
            data = response.read(limit + 1)
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(f"{url}: the transfer broke off ({_reason(exc)})") from None
        if len(data) > limit:
            raise FetchError(f"{url}: larger than {limit >> 20} MiB: not a podcast feed?")
        return data, response.geturl()


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    url: str  # where it was finally served from (after redirects)
    server_length: int | None  # what the server declared for the whole file


def download(url: str, target: Path, progress: Callable[[int], None] | None = None) -> Downloaded:
    """Download `url` to `target` (through TARGET.part, resumed when it exists and the server
    honours Range). Raises FetchError on an empty or truncated body; `target` then does not exist."""
    part = target.with_name(target.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    response = _open(url, {"Range": f"bytes={have}-"} if have else None)
    with response:
        resumed = have > 0 and response.status == 206 and _range_start(response) == have
        if have and not resumed:
            log.info("%s: the server does not resume (status %s): downloading it again", url, response.status)
            have = 0
        total = _total_length(response, have if resumed else 0)
        mode = "ab" if resumed else "wb"
        if progress and have:
            progress(have)
        size = _copy(response, part, mode, have, url, progress)
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
) -> int:
    size = have
    part.parent.mkdir(parents=True, exist_ok=True)
    with part.open(mode) as out:
        while True:
            try:
                chunk = response.read(CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise FetchError(
                    f"{url}: the transfer broke off after {size:,} bytes ({_reason(exc)}); run it again to resume"
                ) from None
            if not chunk:
                return size
            out.write(chunk)
            size += len(chunk)
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
    return offset + int(length) if length and length.isdigit() else None


@dataclass(frozen=True)
class Probe:
    length: str | None
    content_type: str
    range_status: int
    content_range: str
    cors: str  # Access-Control-Allow-Origin


def probe(url: str) -> Probe:
    """HEAD, then a one-byte Range request, as a podcast app does before it plays."""
    with _open(url, method="HEAD") as head:
        length, ctype = head.headers.get("Content-Length"), head.headers.get("Content-Type", "")
    with _open(url, {"Range": "bytes=0-1", "Origin": "https://podcast.example"}) as ranged:
        ranged.read()
        return Probe(
            length,
            ctype,
            ranged.status,
            ranged.headers.get("Content-Range", ""),
            ranged.headers.get("Access-Control-Allow-Origin", ""),
        )
