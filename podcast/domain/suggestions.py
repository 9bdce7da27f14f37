"""Suggested cuts (pure): what `podcast suggest` proposes (fillers, repeated false starts, coughs,
long pauses) and what the producer decided, kept in the episode folder as suggestions.json, a
plain file to review and commit. Times are in the recording's timeline; only the suggestions
marked accepted ever reach the edit list.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

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
        data = json.loads(text)
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
        if item.status not in STATUSES or item.end <= item.start or item.start < 0:
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


def decide(found: Sequence[Suggestion], numbers: Sequence[int] | None, status: str) -> list[Suggestion]:
    """Mark the suggestions `numbers` (None: all pending) with `status`; unknown numbers are an error."""
    known = {s.number for s in found}
    if numbers is not None and (missing := sorted(set(numbers) - known)):
        raise EpisodeError(f"no suggestion numbered {', '.join(map(str, missing))} (see `podcast suggest SLUG`)")
    chosen = set(numbers) if numbers is not None else {s.number for s in found if s.status == "pending"}
    return [replace(s, status=status) if s.number in chosen else s for s in found]


def parse_numbers(text: str) -> list[int] | None:
    """'all' → None (every pending one); '1,3,5-7' → [1, 3, 5, 6, 7]."""
    if text.strip().lower() == "all":
        return None
    numbers: list[int] = []
    try:
        for part in text.split(","):
            first, _, last = part.strip().partition("-")
            numbers += range(int(first), int(last or first) + 1)
    except ValueError:
        raise EpisodeError(f"expected 'all' or numbers like 1,3,5-7, not {text!r}") from None
    return numbers
