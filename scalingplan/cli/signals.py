"""Ctrl-C and SIGTERM: end the command promptly, cleaning up, with one line and exit 130 or 143.

Both signals raise an exception in the main thread, so the code running (a bootstrap's worker pool,
an open file) unwinds through its ``finally`` blocks; a second signal while that happens ends the
process at once, after ending any worker processes, so two Ctrl-Cs never wait on anything.
"""

import os
import signal
import sys


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (SIGINT), with its exit code and message. A subclass, not KeyboardInterrupt itself:
    CPython marks the process to kill itself with SIGINT at exit whenever a bare KeyboardInterrupt
    leaves code run by exec() of a string (dataclasses and namedtuple build their methods that
    way), even when the interrupt is then caught and the command ends with its own exit code."""

    exit_code = 128 + signal.SIGINT
    message = "interrupted"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C's KeyboardInterrupt; carries its exit code and message."""

    exit_code = 128 + signal.SIGTERM
    message = "terminated"


_unreported = []


def exit_code_of(exc: KeyboardInterrupt) -> int:
    return getattr(exc, "exit_code", 128 + signal.SIGINT)


def message_of(exc: KeyboardInterrupt) -> str:
    """The line to report ``exc`` with; the signal counts as reported from here on."""
    _unreported.clear()
    return getattr(exc, "message", "interrupted")


def unreported() -> KeyboardInterrupt | None:
    """The signal raised that nothing has reported: the command-line parser turns an interrupt during
    parsing or --help into a silent exit 130, whatever the signal."""
    return _unreported[-1] if _unreported else None


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
    exc = Terminated() if signum == signal.SIGTERM else Interrupted()
    _unreported.append(exc)
    raise exc


def install() -> None:
    """Handle SIGINT and SIGTERM as described above (main thread only). A signal that lands where
    Python cannot raise it (a callback during an import) is not printed there; it stays unreported
    and the command ends with it (``unreported``)."""
    signal.signal(signal.SIGINT, _first)
    signal.signal(signal.SIGTERM, _first)
    previous = sys.unraisablehook

    def quiet_signals(unraisable):
        if not isinstance(unraisable.exc_value, (Interrupted, Terminated)):
            previous(unraisable)

    sys.unraisablehook = quiet_signals


def finish() -> None:
    """Ignore SIGINT and SIGTERM from here on: the command has its exit code, and Python's shutdown
    would otherwise restore the default handlers, so a late signal would kill the process instead
    of letting it exit with its code (Python leaves ignored signals ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
