"""Suggestions (pure): what `podcast suggest` proposes and what the producer decided, kept in
the episode folder as suggestions.json, a plain file to review and commit.

- cuts (fillers, repeated false starts, coughs, long pauses): times in the recording's
  timeline; only the accepted ones ever reach the edit list;
- proposals drawn from the transcript (chapters, a description, topics, links and books,
  guests, places, glossary names): an accepted one is written once into episode.toml,
  notes.md or config.toml (by the workflow, through the producer's-files writer).

Cuts and proposals share one numbering: what the producer types in --accept 3,5.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

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


PROPOSALS = {
    "chapter": "chapter",
    "description": "description",
    "topics": "topics",
    "link": "link",
    "book": "book",
    "organisation": "organisation mentioned",
    "guest": "guest",
    "location": "place",
    "glossary": "glossary name",
}


@dataclass(frozen=True)
class Proposal:
    """Something the transcript suggests for the episode's files."""

    number: int
    kind: str  # one of PROPOSALS
    text: str  # the value proposed: a chapter's title, the description, a name, a URL
    start: float = 0.0  # seconds, the recording's timeline: a chapter's start, a name first heard
    detail: str = ""  # why: "heard 3× at 00:01:12, 00:04:40", the sentence a link was said in
    status: str = "pending"

    @property
    def label(self) -> str:
        return f"{PROPOSALS.get(self.kind, self.kind)}: {self.text}"

    def same_place(self, other: Proposal) -> bool:
        """The same proposal found again: a chapter within 20 s, the same name, the description."""
        if self.kind != other.kind:
            return False
        if self.kind == "chapter":
            return abs(self.start - other.start) < 20.0
        if self.kind in ("description", "topics"):
            return True
        return _folded(self.text) == _folded(other.text)


def _folded(text: str) -> str:
    return " ".join(text.lower().split())


def to_json(found: Sequence[Suggestion], proposals: Sequence[Proposal] = ()) -> str:
    data: dict[str, Any] = {"version": 2, "suggestions": [asdict(s) for s in found]}
    data["proposals"] = [asdict(p) for p in proposals]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def from_json(text: str, name: str = NAME) -> list[Suggestion]:
    return read(text, name)[0]


def read(text: str, name: str = NAME) -> tuple[list[Suggestion], list[Proposal]]:
    """The cuts and the proposals of a suggestions file (version 1 files have cuts only)."""
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
        proposals = [
            Proposal(
                int(item["number"]),
                str(item["kind"]),
                str(item["text"]),
                float(item.get("start", 0.0)),
                str(item.get("detail", "")),
                str(item.get("status", "pending")),
            )
            for item in data.get("proposals", [])
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EpisodeError(f"{name}: not a suggestions file this tool wrote ({exc})") from None
    for item in found:
        if item.status not in STATUSES or item.end <= item.start or item.start < 0:
            raise EpisodeError(f"{name}: suggestion {item.number} is not valid (status {item.status!r})")
    for proposal in proposals:
        if proposal.status not in STATUSES or proposal.kind not in PROPOSALS or proposal.start < 0:
            raise EpisodeError(f"{name}: suggestion {proposal.number} is not valid ({proposal.kind!r})")
    return found, proposals


def merge(previous: Sequence[Suggestion], fresh: Sequence[Suggestion], taken: int = 0) -> list[Suggestion]:
    """The new analysis, keeping the producer's decisions (and the numbers) of the suggestions
    found again, and the accepted ones even when no longer found (the cut already applies).
    New ones are numbered after `taken` (the proposals' highest number) and every earlier one."""
    merged: list[Suggestion] = []
    used = {s.number for s in previous}
    next_number = max(max(used, default=0), taken) + 1
    for item in fresh:
        before = next((p for p in previous if p.same_place(item)), None)
        if before is not None:
            merged.append(replace(item, number=before.number, status=before.status))
        else:
            merged.append(replace(item, number=next_number))
            next_number += 1
    kept = [p for p in previous if p.status == "accepted" and not any(p.same_place(m) for m in merged)]
    return sorted([*merged, *kept], key=lambda s: (s.start, s.number))


def merge_proposals(previous: Sequence[Proposal], fresh: Sequence[Proposal], taken: int) -> list[Proposal]:
    """As `merge`, for proposals: decisions and numbers kept for those found again (each earlier
    one matches one fresh one at most); accepted and rejected ones kept when no longer found
    (written already, or not wanted); new ones numbered after `taken` and every earlier one."""
    merged: list[Proposal] = []
    next_number = max(max((p.number for p in previous), default=0), taken) + 1
    used: set[int] = set()
    for item in fresh:
        before = next((p for p in previous if p.number not in used and p.same_place(item)), None)
        if before is not None:
            used.add(before.number)
            kept_as_decided = before.status == "accepted"  # what was written stays as written
            merged.append(before if kept_as_decided else replace(item, number=before.number, status=before.status))
        else:
            merged.append(replace(item, number=next_number))
            next_number += 1
    kept = [p for p in previous if p.status != "pending" and p.number not in used]
    return ordered([*merged, *kept])


def ordered(proposals: Sequence[Proposal]) -> list[Proposal]:
    """Chapters first, in time; then the notes; then the names."""
    return sorted(proposals, key=lambda p: (_ORDER.get(p.kind, 9), p.start if p.kind == "chapter" else 0, p.number))


_ORDER = {kind: index for index, kind in enumerate(PROPOSALS)}


def decide(found: Sequence[Suggestion], numbers: Sequence[int] | None, status: str) -> list[Suggestion]:
    """Mark the suggestions `numbers` (None: all pending) with `status`; unknown numbers are an error."""
    known = {s.number for s in found}
    if numbers is not None and (missing := sorted(set(numbers) - known)):
        raise EpisodeError(f"no suggestion numbered {', '.join(map(str, missing))} (see `podcast suggest SLUG`)")
    chosen = set(numbers) if numbers is not None else {s.number for s in found if s.status == "pending"}
    return [replace(s, status=status) if s.number in chosen else s for s in found]


def decide_all(
    cuts: Sequence[Suggestion], proposals: Sequence[Proposal], numbers: Sequence[int] | None, status: str
) -> tuple[list[Suggestion], list[Proposal]]:
    """`decide` over cuts and proposals together (one numbering)."""
    known = {s.number for s in cuts} | {p.number for p in proposals}
    if numbers is not None and (missing := sorted(set(numbers) - known)):
        raise EpisodeError(f"no suggestion numbered {', '.join(map(str, missing))} (see `podcast suggest SLUG`)")
    pending = {s.number for s in cuts if s.status == "pending"} | {p.number for p in proposals if p.status == "pending"}
    chosen = set(numbers) if numbers is not None else pending
    return (
        [replace(s, status=status) if s.number in chosen else s for s in cuts],
        [replace(p, status=status) if p.number in chosen else p for p in proposals],
    )


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
