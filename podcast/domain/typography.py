"""French typography for the texts people read (pure): what a transcript or a producer typed on a
keyboard, set as French print sets it.

- a narrow no-break space (U+202F) before ; ! ? and », after «; a no-break space (U+00A0)
  before : (the Imprimerie nationale's rule); none is added between two digits ("12:30") nor
  inside a web address;
- "straight" or “curly” double quotes become « guillemets », with their spaces;
- the apostrophe is ’ (aujourd’hui, l’association);
- three dots are an ellipsis …; a spaced hyphen or double hyphen between words is the
  dash of an aside – (en dash, the French usage);
- digits grouped by spaces ("10 000") keep together with a narrow no-break space, and so do
  a number and its unit sign ("12 %", "5 €").

Applying it twice changes nothing. English (and any other language) is returned as it came:
`for_language(language)` gives the function to use. The stored transcript is never set this
way: only what is shown (pages, quotes, newsletters, subtitles).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from podcast.core import i18n

NNBSP = "\u202f"  # narrow no-break space
NBSP = "\u00a0"
_SPACES = f"[ \t{NBSP}{NNBSP}]"

# Web addresses, e-mail addresses and file names are left exactly as they are.
_PROTECTED = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w-]+\.(?:mp3|m4a|html|pdf)\b")

_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        # apostrophes: a straight one (or a backtick-like one) inside or before a word
        (r"(?<=\w)['`´ʼ](?=\w)", "’"),
        # an elided word written apart ("qu' elle", as transcribers do) joins the next word
        (r"(?i)\b(jusqu|lorsqu|puisqu|qu|[cdjlmnst])['’]\s+(?=\w)", "\\1’"),
        # ellipsis
        (r"\.{3,}", "…"),
        # curly English quotes → guillemets (before the straight ones, which may be mixed in)
        (r"[“„]\s*", f"«{NNBSP}"),
        (r"\s*”", f"{NNBSP}»"),
        # dashes of an aside: " - " or " -- " between words
        (rf"(?<=\S){_SPACES}+-{{1,2}}{_SPACES}+(?=\S)", " – "),
        # spaces inside guillemets already there
        (rf"«{_SPACES}*", f"«{NNBSP}"),
        (rf"{_SPACES}*»", f"{NNBSP}»"),
        # before ; ! ? (a run of them: "?!") — not after a digit-less start of line
        (rf"(?<=[\w)\]»…’.]){_SPACES}*([;!?]+)", f"{NNBSP}\\1"),
        # before a colon, unless between digits (12:30) or inside a word (a:b)
        (rf"(?<=[\w)\]»…’])(?<!\d){_SPACES}*:(?=\s|$|«)", f"{NBSP}:"),
        (rf"(?<=[\w)\]»…’])(?<=\d){_SPACES}+:(?=\s|$)", f"{NBSP}:"),
        # digit groups and unit signs
        (rf"(?<=\d){_SPACES}(?=\d{{3}}\b)", NNBSP),
        (rf"(?<=\d){_SPACES}*([%‰€$£])", f"{NNBSP}\\1"),
    )
)
_STRAIGHT_QUOTES = re.compile(r'"([^"\n]*)"')


def french(text: str) -> str:
    """`text` set in French typography (see the module's description); idempotent."""
    if not text:
        return text
    parts = []
    last = 0
    for match in _PROTECTED.finditer(text):
        parts.append(_set(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_set(text[last:]))
    return "".join(parts)


def _set(text: str) -> str:
    text = _STRAIGHT_QUOTES.sub(lambda m: f"«{NNBSP}{m.group(1).strip()}{NNBSP}»", text)
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def unchanged(text: str) -> str:
    return text


def for_language(language: str) -> Callable[[str], str]:
    """The typography of `language` (an ISO code such as "fr" or "fr-CA"): French rules for
    French, the text unchanged for any other language."""
    return french if i18n.primary(language) == "fr" else unchanged
