"""Terminal output helpers: logging set-up, progress bars, tables."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

from podcast.core.progress import NullProgress


class _Bar:
    def __init__(self, label: str, total: float) -> None:
        self.total = max(total, 0.001)
        self.done = 0
        self.bar: Any = click.progressbar(length=1000, label=f"  {label}", file=sys.stderr, width=30)
        self.bar.__enter__()

    def update(self, position: float) -> None:
        step = min(1000, int(1000 * position / self.total)) - self.done
        if step > 0:
            self.bar.update(step)
            self.done += step

    def close(self) -> None:
        self.update(self.total)
        self.bar.__exit__(None, None, None)


def progress_factory(enabled: bool) -> Any:
    def make(label: str, total: float) -> _Bar | NullProgress:
        return _Bar(label, total) if enabled and sys.stderr.isatty() else NullProgress()

    return make


def setup_logging(verbosity: int, quiet: bool) -> None:
    level = (
        logging.ERROR if quiet else logging.DEBUG if verbosity > 1 else logging.INFO if verbosity else logging.WARNING
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger("podcast")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


def qr_code(text: str) -> str:
    """`text` as a QR code drawn with block characters (two rows a line), for a phone to scan."""
    import io

    import segno

    out = io.StringIO()
    segno.make(text, error="m").terminal(out=out, compact=True)
    return out.getvalue()
