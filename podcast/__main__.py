"""`python -m podcast` and the `podcast` command. The CLI is imported inside main() so that a
Ctrl-C during start-up (imports take a moment) is an interruption like any other: exit 130,
one line, no traceback."""

from __future__ import annotations

import sys

from .errors import INTERRUPTED


def main() -> None:
    try:
        from .cli import main as cli_main

        cli_main()
    except KeyboardInterrupt:
        sys.stderr.write(INTERRUPTED + "\n")
        sys.exit(130)


if __name__ == "__main__":
    main()
