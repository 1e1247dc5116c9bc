"""Ctrl-C and SIGTERM: end the command promptly, cleaning up, with one line and exit 130 or 143.

Both signals raise an exception in the main thread, so the code running (a bootstrap's worker pool,
an open file) unwinds through its ``finally`` blocks; a second signal while that happens ends the
process at once, after ending any worker processes, so two Ctrl-Cs never wait on anything.
"""

import os
import signal
import sys


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt; carries its exit code and message."""

    exit_code = 128 + signal.SIGTERM
    message = "terminated"


def exit_code_of(exc: KeyboardInterrupt) -> int:
    return getattr(exc, "exit_code", 128 + signal.SIGINT)


def message_of(exc: KeyboardInterrupt) -> str:
    return getattr(exc, "message", "interrupted")


def _end_children() -> None:
    if "multiprocessing" in sys.modules:
        for child in sys.modules["multiprocessing"].active_children():
            child.kill()


def _at_once(signum, frame):
    _end_children()
    os._exit(128 + signum)


def _first(signum, frame):
    signal.signal(signal.SIGINT, _at_once)
    signal.signal(signal.SIGTERM, _at_once)
    raise Terminated() if signum == signal.SIGTERM else KeyboardInterrupt()


def install() -> None:
    """Handle SIGINT and SIGTERM as described above (main thread only)."""
    signal.signal(signal.SIGINT, _first)
    signal.signal(signal.SIGTERM, _first)
