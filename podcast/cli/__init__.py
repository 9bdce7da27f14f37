"""The `podcast` command. Each command parses its flags, calls one function and reports.

`base.py` holds the group, the shared options and the one place where errors become
messages; the commands live in the modules beside it, by what they are for:
production (init, new, status, publish, the stages, feed, check, doctor, serve, demo),
publishing (unpublish, prune, share, bucket-policy), reuse (transcript, search, quote,
newsletter), moving (import, move), editing (markers, suggest) and artwork.
"""

from __future__ import annotations

from podcast.cli import artwork, audience, editing, moving, production, publishing, reuse  # noqa: F401 - registers the commands
from podcast.cli.base import cli

__all__ = ["cli", "main"]


def main() -> None:
    cli(prog_name="podcast")
