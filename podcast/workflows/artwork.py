"""`podcast artwork check|fix|generate`: show and episode art against directory rules."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from podcast.core.errors import ConfigError
from podcast.core.report import Report
from podcast.edges import images
from podcast.project.config import Config


def check(paths: Sequence[Path]) -> Report:
    """A line per file (with its problems); any file directories would reject is an error."""
    out = Report()
    for path in paths:
        found = images.inspect(path)
        line = f"{path}: {found.format} {found.size[0]}×{found.size[1]} {found.mode}".rstrip()
        if found.ok:
            out.info(f"ok    {line}")
        else:
            out.error(f"FAIL  {line}")
        for message in found.errors:
            out.error(f"      error: {message}")
        for message in found.warnings:
            out.warning(f"      warning: {message}")
    if not out.ok:
        out.error("error: fix the artwork above, e.g. with `podcast artwork fix`")
    return out


def fix(paths: Sequence[Path]) -> Report:
    out = Report()
    for path in paths:
        backup = images.fix(path)
        out.info(f"fixed {path} (original kept as {backup.name})" if backup else f"{path}: already fine")
    return out


def generate(config: Config, *, force: bool = False) -> Report:
    """The placeholder cover again, with the show's current title (after a title change)."""
    if config.artwork_path is None:
        raise ConfigError('show.artwork is empty: set artwork = "artwork/cover.jpg" in config.toml first')
    path = config.artwork_path
    backup = images.generate(path, config.show.title, force=force)
    out = Report()
    out.info(f"generated {path}" + (f" (the previous cover kept as {backup.name})" if backup else ""))
    return out
