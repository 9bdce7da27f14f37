"""Show notes and descriptions: Markdown → sanitised HTML that podcast apps accept, plain-text
summaries, and the size rules directories apply (4,000 bytes for a description)."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import Any

import lxml.html
import nh3
from markdown_it import MarkdownIt
from markdownify import markdownify

from podcast.core import fsutil, i18n, timecode
from podcast.domain import chapters, typography
from podcast.domain.edits import EditList
from podcast.project.config import Config
from podcast.project.episode import Episode
from podcast.project.ids import episode_page_url

ALLOWED_TAGS = {"p", "a", "ul", "ol", "li", "strong", "em", "b", "i", "br", "h3", "h4", "blockquote", "code"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
MAX_DESCRIPTION_BYTES = 4000  # Apple's limit for <description> (and what it shows of the notes)
# content:encoded: a notes.md of megabytes must not make a feed of megabytes (apps download the
# whole feed on every refresh); beyond this the feed's notes stop at a paragraph, with a link to
# the episode page, which keeps them whole.
MAX_FEED_NOTES_BYTES = 10_000
CACHE_VERSION = "2"

# Raw HTML is parsed so the sanitiser can drop it whole (a <script> and its content vanish)
# instead of showing escaped markup to listeners.
_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False})
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Remove characters XML 1.0 cannot carry (control characters)."""
    return _XML_INVALID.sub("", text)


def to_html(markdown: str, language: str = "") -> str:
    """Render Markdown and keep only the tags podcast apps allow; scripts and handlers never survive.
    With `language`, its typography is applied to the text (not to code, links' addresses or markup)."""
    tokens = _md.parse(markdown)
    if language:
        setting = typography.for_language(language)
        for token in tokens:
            for child in token.children or []:
                if child.type == "text":
                    child.content = setting(child.content)
    rendered = _md.renderer.render(tokens, _md.options, {})
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
    """Plain text of the notes: tags dropped, whitespace folded. The result is text, not
    markup (an escaped "&lt;svg&gt;" in the notes is the text "<svg>"): whoever puts it in HTML
    escapes it (Jinja2 on the pages, `description_html` in the feed)."""
    text = nh3.clean(_md.render(markdown), tags=set())
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def html_to_markdown(markup: str) -> str:
    """Show notes from another host (HTML, often in CDATA) as the Markdown of notes.md:
    sanitised first (a <script> goes whole, text and all), then converted."""
    if not markup.strip():
        return ""
    if "<" not in markup:  # plain text notes: paragraphs at blank lines
        return clean_text(html.unescape(markup)).strip() + "\n"
    converted = markdownify(sanitize(markup), heading_style="ATX", bullets="-", escape_underscores=False)
    return re.sub(r"\n{3,}", "\n\n", clean_text(converted)).strip() + "\n"


def truncate_bytes(text: str, limit: int = MAX_DESCRIPTION_BYTES) -> str:
    """Cut `text` to at most `limit` UTF-8 bytes, at a word boundary, never mid-character."""
    if len(text.encode("utf-8")) <= limit:
        return text
    room = limit - len("…".encode())
    cut = text.encode("utf-8")[:room].decode("utf-8", errors="ignore")
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:.") + "…"


def description_html(text: str) -> str:
    """Plain text for an element podcast apps render as HTML (<description>): escaped, so
    "<b onmouseover=…>" is shown as typed and never runs, and cut to 4,000 bytes without
    breaking an entity."""
    escaped = html.escape(clean_text(text), quote=False)
    cut = truncate_bytes(escaped)
    if cut != escaped:
        cut = re.sub(r"&[#A-Za-z0-9]*…$", "…", cut)  # a cut inside "&amp;" drops the stump
    return cut


def show_description(config: Config) -> str:
    """The show's description as plain text (its title when it has none)."""
    return truncate_bytes(clean_text(config.show.description or config.show.title))


def item_summary(ep: Episode) -> str:
    """An episode's summary as plain text: its summary, else its notes' text, else its title."""
    text = ep.meta.summary or to_text(ep.notes) or ep.meta.title
    return truncate_bytes(clean_text(text))


def linked_timestamps(markdown: str, edl: EditList | None, link: str) -> str:
    """Runs of timestamped lines ('00:04:10 Territoires', the notes' chapters) as a list whose
    times, in the published timeline, link to `link`#t=SECONDS (the episode page; "" on the
    page itself, where a click seeks the player)."""
    out: list[str] = []
    in_run = False
    for line in markdown.splitlines():
        stamped = chapters.timestamp_line(line)
        item = _timestamp_item(stamped, edl, link) if stamped else None
        if item is None:
            if in_run and line.strip():
                out.append("")  # a paragraph right after the list is not part of its last item
            out.append(line)
            in_run = False
            continue
        if not in_run and out and out[-1].strip():
            out.append("")
        out.append(item)
        in_run = True
    return "\n".join(out) + ("\n" if markdown.endswith("\n") else "")


def _timestamp_item(stamped: tuple[str, str], edl: EditList | None, link: str) -> str | None:
    text, title = stamped
    try:
        source = timecode.parse(text)
        start = edl.to_output(source) if edl else source
    except ValueError:
        return None  # a time inside a cut: the chapter check names it; the line stays as written
    return f"- [{timecode.short(start)}]({link}#t={start:g}) {title}"


def episode_notes(
    config: Config, ep: Episode, link: str, edl: EditList | None, *, typeset: bool = False, text: str | None = None
) -> str:
    """notes.md (or its `text`, already read) as sanitised HTML, its timestamp lines a list of
    links (see linked_timestamps), their times mapped through `edl` (the published audio's edit
    list); with `typeset`, in the show's typography (the web pages)."""
    markdown = ep.notes if text is None else text
    if not markdown.strip():
        return ""
    return cached_html(config, linked_timestamps(markdown, edl, link), config.show.language if typeset else "")


def cached_html(config: Config, markdown: str, language: str = "") -> str:
    """Rendered notes, cached by content: a 1,000-episode feed re-renders only what changed."""
    key = fsutil.sha256_text(CACHE_VERSION + language + markdown)[:24]
    path = config.build_dir / "cache" / "notes" / f"{key}.html"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        rendered = to_html(clean_text(markdown), language)
        fsutil.write_text(path, rendered)
        return rendered


def feed_html(
    config: Config,
    ep: Episode,
    chapter_list: Sequence[dict[str, Any]],
    edl: EditList | None,
    limit: int | None = MAX_FEED_NOTES_BYTES,
) -> str:
    """The feed's notes (content:encoded): the notes, then the chapters with timestamps and the
    guests' bios, sanitised, and cut at a block after MAX_FEED_NOTES_BYTES with a link to the
    page that keeps them whole."""
    page = episode_page_url(config, ep.slug)
    words = i18n.strings(config.show.language)
    text = ep.notes  # read once: a 1,000-episode feed reads a thousand files
    parts = [episode_notes(config, ep, page, edl, text=text)]
    if chapter_list and not chapters.from_notes(text):
        rows = "".join(f"<li>{timecode.short(c['startTime'])} — {html.escape(c['title'])}</li>" for c in chapter_list)
        parts.append(f"<p><strong>{words['chapters']}</strong></p><ul>{rows}</ul>")
    guests = [g for g in ep.meta.guests if g.bio or g.org or g.url]
    for guest in guests:
        name = html.escape(guest.name)
        if guest.url:
            name = f'<a href="{html.escape(guest.url, quote=True)}">{name}</a>'
        about = " — ".join(html.escape(x) for x in (guest.org, guest.bio) if x)
        parts.append(f"<p><strong>{words['guest']}</strong> : {name}{', ' + about if about else ''}</p>")
    body = sanitize("\n".join(part for part in parts if part))
    if limit is not None and len(body.encode("utf-8")) > limit:
        more = f'<p><a href="{html.escape(page, quote=True)}">{words["more_notes"]}</a></p>'
        body = cut_html(body, limit - len(more.encode("utf-8"))) + more
    return body.replace("]]>", "]]&gt;")


def cut_html(markup: str, limit: int) -> str:
    """The first top-level blocks of `markup` that fit in `limit` UTF-8 bytes (whole blocks
    only, so the result stays well-formed)."""
    kept: list[str] = []
    size = 0
    for block in lxml.html.fragments_fromstring(markup):
        if isinstance(block, str):
            text = html.escape(block, quote=False)
        else:
            text = lxml.html.tostring(block, encoding="unicode", with_tail=False)
        if size + len(text.encode("utf-8")) > limit:
            break
        kept.append(text)
        size += len(text.encode("utf-8"))
    return "".join(kept)
