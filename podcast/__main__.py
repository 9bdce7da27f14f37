"""`python -m podcast` and the `podcast` command, and the one place where Ctrl-C is handled:
at any moment (start-up imports, argument parsing, a prompt, a stage, shutdown) it ends with one
line and exit status 130. The CLI is imported inside main() so that a Ctrl-C during start-up
(imports take a moment) is an interruption like any other."""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

from podcast.core.errors import INTERRUPTED, Interrupted

INTERRUPTED_STATUS = 130


def main() -> None:
    try:
        from podcast.cli import main as cli_main

        cli_main()
    except (KeyboardInterrupt, Interrupted):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C cannot cut this short
        sys.stderr.write(INTERRUPTED + "\n")
        _interrupted()
    finally:
        # The command is over (its exit status decided): a Ctrl-C while Python shuts down would
        # otherwise end the process by the signal (status -2), not with that status.
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def _interrupted() -> NoReturn:
    """Exit 130 at once. When the interrupt lands in code an extension module runs through
    CPython's PyRun_* functions during import, the interpreter keeps a flag that makes it kill
    itself with SIGINT at exit although the interrupt was handled: status -2, about one start-up
    Ctrl-C in twenty here. Everything was cleaned up on the way out; only streams need flushing."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(INTERRUPTED_STATUS)


if __name__ == "__main__":
    main()
