"""Show notes: Markdown → sanitised HTML that podcast apps accept (pure functions)."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "a", "ul", "ol", "li", "strong", "em", "b", "i", "br", "h3", "h4", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}

# Raw HTML is parsed so the sanitiser can drop it whole (a <script> and its content vanish)
# instead of showing escaped markup to listeners.
_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})


def to_html(markdown: str) -> str:
    """Render Markdown and keep only the tags podcast apps allow; scripts and handlers never survive."""
    html = _md.render(markdown)
    html = re.sub(r"<h[12]>", "<h3>", html)
    html = re.sub(r"</h[12]>", "</h3>", html)
    return sanitize(html)


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    ).strip()


def to_text(markdown: str) -> str:
    """Plain text of the notes (for descriptions): tags stripped, whitespace folded."""
    text = nh3.clean(_md.render(markdown), tags=set())
    return re.sub(r"\s+", " ", html.unescape(text)).strip()
