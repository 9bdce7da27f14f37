"""Suggested cuts (pure): what `podcast suggest` proposes (fillers, repeated false starts, coughs,
long pauses) and what the producer decided, kept in the episode folder as suggestions.json, a
plain file to review and commit. Times are in the recording's timeline; only the suggestions
marked accepted ever reach the edit list.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

from podcast.core import safejson
from podcast.core.errors import EpisodeError

NAME = "suggestions.json"
KINDS = {
    "filler": "filler",
    "hesitation": "hesitation (no word heard)",
    "repeat": "repeated words",
    "cough": "cough or noise",
    "pause": "long pause",
}
STATUSES = ("pending", "accepted", "rejected")
MAX_BYTES = 16 << 20


@dataclass(frozen=True)
class Suggestion:
    number: int  # stable: what the producer types in --accept 3,5
    start: float  # seconds, the recording's timeline
    end: float
    kind: str  # one of KINDS
    text: str  # what was heard: "euh", "de l'emploi ×2", "4.2 s"
    status: str = "pending"

    @property
    def label(self) -> str:
        return f"{KINDS.get(self.kind, self.kind)}: {self.text}" if self.text else KINDS.get(self.kind, self.kind)

    def same_place(self, other: Suggestion) -> bool:
        """The same suggestion found again (a new analysis moves boundaries by a few ms)."""
        return self.kind == other.kind and abs(self.start - other.start) < 0.15 and abs(self.end - other.end) < 0.15


def to_json(found: Sequence[Suggestion]) -> str:
    return json.dumps({"version": 1, "suggestions": [asdict(s) for s in found]}, ensure_ascii=False, indent=2) + "\n"


def from_json(text: str, name: str = NAME) -> list[Suggestion]:
    try:
        data = safejson.loads(text, limit=MAX_BYTES)
        items = data["suggestions"]
        found = [
            Suggestion(
                int(item["number"]),
                float(item["start"]),
                float(item["end"]),
                str(item["kind"]),
                str(item.get("text", "")),
                str(item.get("status", "pending")),
            )
            for item in items
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise EpisodeError(f"{name}: not a suggestions file this tool wrote ({exc})") from None
    for item in found:
        times_ok = math.isfinite(item.start) and math.isfinite(item.end) and 0 <= item.start < item.end
        if item.status not in STATUSES or not times_ok:
            raise EpisodeError(f"{name}: suggestion {item.number} is not valid (status {item.status!r})")
    return found


def merge(previous: Sequence[Suggestion], fresh: Sequence[Suggestion]) -> list[Suggestion]:
    """The new analysis, keeping the producer's decisions (and the numbers) of the suggestions
    found again, and the accepted ones even when no longer found (the cut already applies)."""
    merged: list[Suggestion] = []
    used = {s.number for s in previous}
    next_number = max(used, default=0) + 1
    for item in fresh:
        before = next((p for p in previous if p.same_place(item)), None)
        if before is not None:
            merged.append(replace(item, number=before.number, status=before.status))
        else:
            merged.append(replace(item, number=next_number))
            next_number += 1
    kept = [p for p in previous if p.status == "accepted" and not any(p.same_place(m) for m in merged)]
    return sorted([*merged, *kept], key=lambda s: (s.start, s.number))


def decide(found: Sequence[Suggestion], numbers: Sequence[range] | None, status: str) -> list[Suggestion]:
    """Mark the suggestions in `numbers` (None: all pending) with `status`; unknown numbers are an error."""
    known = {s.number for s in found}
    if numbers is not None and (missing := [gap for r in numbers for gap in _unknown(r, known)]):
        numbered = f"numbered {_listed(_spans(sorted(known)), 10)}" if known else "none yet"
        raise EpisodeError(
            f"no suggestion numbered {_listed(missing, 5)} (the suggestions are {numbered}; see `podcast suggest SLUG`)"
        )
    if numbers is None:
        chosen = {s.number for s in found if s.status == "pending"}
    else:
        chosen = {s.number for s in found if any(s.number in r for r in numbers)}
    return [replace(s, status=status) if s.number in chosen else s for s in found]


_NUMBERS = re.compile(r"^\s*([0-9]{1,18})\s*(?:-\s*([0-9]{1,18})\s*)?$")


def parse_numbers(text: str) -> list[range] | None:
    """'all' → None (every pending one); '1,3,5-7' → the numbers, as ranges (1-1000000000 is
    a range, never a list of a billion numbers). Anything else is an error saying which part
    was not understood: '3-1' (backwards), '1-' (no end), '1,,3'."""
    if text.strip().lower() == "all":
        return None
    numbers: list[range] = []
    for part in text.split(","):
        match = _NUMBERS.match(part)
        if not match:
            what = repr(part.strip()[:30]) if part.strip() else "an empty place"
            raise EpisodeError(f"{what} in {text[:60]!r} is not understood: expected 'all' or numbers like 1,3,5-7")
        first = int(match.group(1))
        last = int(match.group(2) or first)
        if last < first:
            raise EpisodeError(f"{part.strip()!r}: a range goes from the lower number to the higher ({last}-{first})")
        numbers.append(range(first, last + 1))
    return numbers


def _unknown(numbers: range, known: set[int]) -> list[tuple[int, int]]:
    """The runs of `numbers` that are not in `known`, as (first, last)."""
    inside = sorted(n for n in known if n in numbers)
    gaps, start = [], numbers.start
    for n in [*inside, numbers.stop]:
        if n > start:
            gaps.append((start, n - 1))
        start = n + 1
    return gaps


def _spans(numbers: list[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 5] → [(1, 3), (5, 5)]."""
    spans: list[tuple[int, int]] = []
    for n in numbers:
        if spans and n == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], n)
        else:
            spans.append((n, n))
    return spans


def _listed(spans: list[tuple[int, int]], most: int) -> str:
    """[(1, 3), (5, 5)] → '1-3, 5', the first `most` of them."""
    shown = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans[:most])
    return shown + (", …" if len(spans) > most else "")
