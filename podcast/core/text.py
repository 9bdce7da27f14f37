"""Text and web addresses from people and other hosts, checked before they reach a file, a tag,
a feed or a page: no control characters (they break XML, ID3 tags and terminals), and links only
over http(s)."""

from __future__ import annotations

import re
from typing import NewType
from urllib.parse import urlsplit

# A web address a listener's app may follow: checked (http or https) when the config loads.
Url = NewType("Url", str)

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def text_problem(text: str) -> str:
    """Why `text` cannot be a title, a name or a summary ('' when it can)."""
    if bad := _CONTROL.search(text):
        return f"contains a control character (U+{ord(bad.group()):04X}) at position {bad.start() + 1}: remove it"
    return ""


def without_controls(text: str) -> str:
    """`text` without the characters text_problem refuses (heard text: a transcript's words)."""
    return _CONTROL.sub("", text)


def url_problem(text: str) -> str:
    """Why `text` is not a web address a listener's app may follow ('' when it is one)."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return f"is not a web address: {text!r}"
    if parts.scheme.lower() not in ("http", "https"):
        return f"must be an http:// or https:// address, not {text!r}"
    if not parts.hostname or any(c.isspace() for c in text):
        return f"is not a web address: {text!r}"
    return ""


def url_join(base: str, *parts: str) -> str:
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])
