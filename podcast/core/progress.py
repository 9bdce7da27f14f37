"""Progress reporting, as the stages see it: a factory of bars that the CLI draws on a
terminal (`ui.py`) and everyone else ignores."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Progress(Protocol):
    def update(self, position: float) -> None: ...
    def close(self) -> None: ...


ProgressFactory = Callable[[str, float], Progress]  # (label, total) → a bar


class NullProgress:
    """Progress nobody watches (quiet runs, no terminal, tests)."""

    def update(self, position: float) -> None:
        pass

    def close(self) -> None:
        pass


def no_progress(label: str, total: float) -> NullProgress:
    return NullProgress()
