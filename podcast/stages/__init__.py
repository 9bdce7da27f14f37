"""One module per stage. Each stage declares its inputs (for incremental runs), says what
it would do (for --dry-run) and does it, writing every output atomically. A stage never
imports another stage: the order lives in `pipeline`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from podcast.core.progress import ProgressFactory
from podcast.project.config import Config
from podcast.project.episode import Episode
from podcast.project.state import State


@dataclass
class Context:
    config: Config
    episode: Episode
    state: State
    progress: ProgressFactory
    shared: dict[str, Any] = field(default_factory=dict)  # e.g. the loaded Whisper model


@dataclass
class Outcome:
    outputs: list[Path]
    info: dict[str, Any]
    message: str


class Stage(Protocol):
    name: str
    version: int

    def inputs(self, ctx: Context) -> Any | None:
        """What the output depends on (JSON-able); None when the stage does not apply."""

    def plan(self, ctx: Context) -> list[str]:
        """What a run would do, for --dry-run."""

    def run(self, ctx: Context) -> Outcome: ...
