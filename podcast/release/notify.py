"""Telling apps that the feed changed, right after it is published: a WebSub publish ping to
the show's hub, and a Podping through podping.cloud's HTTP API.

Sent only when the feed's bytes changed, each retried with back-off (a 429's Retry-After is
honoured); a failure is a warning, never a failed publish: the feed is already out, and apps
that were not told will poll it as they always did.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from podcast.core.errors import FetchError
from podcast.core.report import Level, Line
from podcast.edges import http
from podcast.project.config import Config
from podcast.project.ids import is_public

log = logging.getLogger("podcast.notify")

TOKEN_ENV = "PODCAST_PODPING_TOKEN"
MAX_WAIT = 30.0  # seconds: the longest Retry-After honoured
_RETRY = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Notification:
    service: str  # "WebSub", "Podping"
    method: str
    url: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        shown = {k: ("***" if k == "Authorization" else v) for k, v in self.headers.items() if k != "Content-Type"}
        extra = "".join(f" ({k}: {v})" for k, v in shown.items())
        body = f" {self.body.decode()}" if self.body else ""
        return f"{self.service}: {self.method} {self.url}{body}{extra}"


def planned(config: Config) -> tuple[list[Notification], list[Line]]:
    """What would be sent for this show's feed, and why anything configured would not be."""
    notify, feed = config.notify, config.feed_url
    found: list[Notification] = []
    skipped: list[Line] = []
    if not (notify.websub_hub or notify.podping):
        return found, skipped
    if not is_public(config.show.base_url):
        skipped.append(Line(Level.INFO, f"no notification sent: {feed} is a local preview, not a public feed"))
        return found, skipped
    if notify.websub_hub:
        body = urlencode({"hub.mode": "publish", "hub.url": feed}).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        found.append(Notification("WebSub", "POST", notify.websub_hub, body, headers))
    if notify.podping:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if token:
            query = urlencode({"url": feed, "reason": "update", "medium": "podcast"})
            separator = "&" if "?" in notify.podping_url else "?"
            url = f"{notify.podping_url}{separator}{query}"
            found.append(Notification("Podping", "GET", url, None, {"Authorization": token}))
        else:
            skipped.append(Line(Level.WARNING, f"warning: Podping not sent: set ${TOKEN_ENV} (notify.podping is on)"))
    return found, skipped


def plan_lines(config: Config) -> list[Line]:
    """What `-n` says: each request that would be sent (the token masked)."""
    found, skipped = planned(config)
    return [*skipped, *(Line(Level.INFO, f"would notify {n.describe()}") for n in found)]


def send_all(config: Config, sleep: Callable[[float], None] = time.sleep) -> list[Line]:
    """Send every notification; one line each: sent, or a warning saying why not."""
    found, lines = planned(config)
    for notification in found:
        lines.append(_send(notification, config.notify.attempts, config.notify.timeout, sleep))
    return lines


def _send(n: Notification, attempts: int, timeout: float, sleep: Callable[[float], None]) -> Line:
    problem = ""
    for attempt in range(1, attempts + 1):
        wait = float(2 ** (attempt - 1))
        try:
            answer = http.send(n.url, n.method, n.body, n.headers, timeout=timeout)
        except FetchError as exc:
            problem = str(exc)
        else:
            if 200 <= answer.status < 300:
                return Line(Level.INFO, f"{n.service}: notified ({answer.status})")
            problem = f"{n.url.split('?')[0]} answered {answer.status}{_said(answer.body)}"
            if answer.status not in _RETRY:
                break
            if answer.retry_after is not None:
                wait = min(MAX_WAIT, max(wait, answer.retry_after))
        log.info("%s: try %d of %d failed: %s", n.service, attempt, attempts, problem)
        if attempt < attempts:
            sleep(wait)
    return Line(
        Level.WARNING, f"warning: {n.service} not notified: {problem} (the feed is published; apps will poll it)"
    )


def _said(body: bytes) -> str:
    text = " ".join(body.decode("utf-8", "replace").split())[:120]
    return f": {text}" if text and text.isprintable() else ""
