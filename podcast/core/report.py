"""The one shape every command reports in: lines with a level.

A run, a check, the doctor, an import: each returns a `Report`. The CLI prints every report the
same way (information on stdout, warnings and errors on stderr) and derives the exit status
from it alone, so nothing downstream reads a message to learn whether something failed.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field


class Level(enum.IntEnum):
    INFO = 0
    WARNING = 1
    ERROR = 2

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Line:
    level: Level
    text: str


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)

    def add(self, level: Level, text: str) -> None:
        self.lines.append(Line(level, text))

    def info(self, text: str) -> None:
        self.add(Level.INFO, text)

    def warning(self, text: str) -> None:
        self.add(Level.WARNING, text)

    def error(self, text: str) -> None:
        self.add(Level.ERROR, text)

    def extend(self, lines: Iterable[Line]) -> None:
        self.lines.extend(lines)

    def __iter__(self) -> Iterator[Line]:
        return iter(self.lines)

    def count(self, level: Level) -> int:
        return sum(1 for line in self.lines if line.level == level)

    @property
    def worst(self) -> Level:
        return max((line.level for line in self.lines), default=Level.INFO)

    @property
    def ok(self) -> bool:
        return self.worst < Level.ERROR

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1
