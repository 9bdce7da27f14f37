"""Time codes (pure): the one place that parses and formats HH:MM:SS times.

Producers write times as "01:02:03.5", "02:03" or "123.5" (episode.toml, notes, marker
files, `--at`); files and pages show them as "01:02:03.500", "00:12:30", or with a comma for
SubRip.
"""

from __future__ import annotations

import re

_TIME_RE = re.compile(r"^(?:(?:(\d+):)?(\d{1,2}):)?(\d+(?:\.\d+)?)$")
MAX_HOURS = 1000  # no recording is longer; a larger number is a typo, or an attack on the parser


def parse(text: str) -> float:
    """'01:02:03.5', '02:03', '123.5' → seconds; ValueError naming the text otherwise."""
    match = _TIME_RE.match(text.strip()) if len(text) < 64 else None
    if not match:
        raise ValueError(f"not a time: {_shown(text)} (use HH:MM:SS.s, MM:SS or seconds)")
    hours, minutes, seconds = match.groups()
    if (hours or minutes) and float(seconds) >= 60:
        raise ValueError(f"not a time: {text!r} (seconds must be under 60)")
    if hours and int(minutes) >= 60:
        raise ValueError(f"not a time: {text!r} (minutes must be under 60)")
    value = int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)
    if not value < MAX_HOURS * 3600:
        raise ValueError(f"not a time: {_shown(text)} (over {MAX_HOURS} hours)")
    return value


def _shown(text: str) -> str:
    return repr(text) if len(text) <= 40 else f"{text[:20]!r}… ({len(text)} characters)"


def format(seconds: float, sep: str = ".") -> str:
    """Seconds → '01:02:03.500' (negative times clamp to zero); `sep` "," for SubRip."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{sep}{millis:03d}"


def short(seconds: float) -> str:
    """Seconds → '01:02:03', what listeners read beside a passage or a chapter."""
    return format(seconds)[:8]
