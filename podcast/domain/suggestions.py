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
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

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
        times_ok = math.isfinite(item.start) and math.isfinite(item.end) and 0 <= item.start < item.end
        if item.status not in STATUSES or not times_ok:
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


def decide_all(
    cuts: Sequence[Suggestion], proposals: Sequence[Proposal], numbers: Sequence[range] | None, status: str
) -> tuple[list[Suggestion], list[Proposal]]:
    """`decide` over cuts and proposals together (one numbering)."""
    known = {s.number for s in cuts} | {p.number for p in proposals}
    if numbers is not None and (missing := [gap for r in numbers for gap in _unknown(r, known)]):
        numbered = f"numbered {_listed(_spans(sorted(known)), 10)}" if known else "none yet"
        raise EpisodeError(
            f"no suggestion numbered {_listed(missing, 5)} (the suggestions are {numbered}; see `podcast suggest SLUG`)"
        )
    if numbers is None:
        chosen = {s.number for s in cuts if s.status == "pending"} | {
            p.number for p in proposals if p.status == "pending"
        }
    else:
        chosen = {n for n in known if any(n in r for r in numbers)}
    return (
        [replace(s, status=status) if s.number in chosen else s for s in cuts],
        [replace(p, status=status) if p.number in chosen else p for p in proposals],
    )


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
