"""Show notes and descriptions: Markdown → sanitised HTML that podcast apps accept, plain-text
summaries, and the size rules directories apply (4,000 bytes for a description)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt

from . import chapters, fsutil, i18n, timecode
from .config import Config
from .episode import Episode

ALLOWED_TAGS = {"p", "a", "ul", "ol", "li", "strong", "em", "b", "i", "br", "h3", "h4", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
MAX_DESCRIPTION_BYTES = 4000  # Apple's limit for <description>
CACHE_VERSION = "1"

# Raw HTML is parsed so the sanitiser can drop it whole (a <script> and its content vanish)
# instead of showing escaped markup to listeners.
_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Remove characters XML 1.0 cannot carry (control characters)."""
    return _XML_INVALID.sub("", text)


def to_html(markdown: str) -> str:
    """Render Markdown and keep only the tags podcast apps allow; scripts and handlers never survive."""
    rendered = _md.render(markdown)
    rendered = re.sub(r"<h[12]>", "<h3>", rendered)
    rendered = re.sub(r"</h[12]>", "</h3>", rendered)
    return sanitize(rendered)


def sanitize(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener",
    ).strip()


def to_text(markdown: str) -> str:
    """Plain text of the notes (for descriptions): tags stripped, whitespace folded."""
    text = nh3.clean(_md.render(markdown), tags=set())
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def truncate_bytes(text: str, limit: int = MAX_DESCRIPTION_BYTES) -> str:
    """Cut `text` to at most `limit` UTF-8 bytes, at a word boundary, never mid-character."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len("…".encode())
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def show_description(config: Config) -> str:
    return truncate_bytes(clean_text(config.show.description or config.show.title))


def item_summary(ep: Episode) -> str:
    text = ep.meta.summary or to_text(ep.notes) or ep.meta.title
    return truncate_bytes(clean_text(text))


def cached_html(config: Config, markdown: str) -> str:
    """Rendered notes, cached by content: a 1,000-episode feed re-renders only what changed."""
    key = fsutil.sha256_text(CACHE_VERSION + markdown)[:24]
    path = config.build_dir / "cache" / "notes" / f"{key}.html"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        rendered = to_html(clean_text(markdown))
        fsutil.write_text(path, rendered)
        return rendered


def episode_html(config: Config, ep: Episode, chapter_list: Sequence[dict[str, Any]]) -> str:
    """The notes as sanitised HTML, then the chapters with timestamps and the guests' bios."""
    words = i18n.strings(config.show.language)
    parts = [cached_html(config, ep.notes)] if ep.notes.strip() else []
    if chapter_list and not chapters.from_notes(ep.notes):
        rows = "".join(f"<li>{timecode.short(c['startTime'])} — {html.escape(c['title'])}</li>" for c in chapter_list)
        parts.append(f"<p><strong>{words['chapters']}</strong></p><ul>{rows}</ul>")
    guests = [g for g in ep.meta.guests if g.bio or g.org or g.url]
    for guest in guests:
        name = html.escape(guest.name)
        if guest.url:
            name = f'<a href="{html.escape(guest.url, quote=True)}">{name}</a>'
        about = " — ".join(html.escape(x) for x in (guest.org, guest.bio) if x)
        parts.append(f"<p><strong>{words['guest']}</strong> : {name}{', ' + about if about else ''}</p>")
    body = "\n".join(part for part in parts if part)
    return sanitize(body).replace("]]>", "]]&gt;")
