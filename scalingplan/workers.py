"""Worker processes (the bootstrap's pool): how each one treats signals, for any layer that starts them."""

import os
import signal
import sys


def worker_defaults() -> None:
    """In a worker process: ignore Ctrl-C (a terminal sends it to the whole process group; the parent
    decides), die quietly on SIGTERM, and die with the parent (Linux), so no worker outlives it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
            if os.getppid() == 1:  # the parent died before prctl
                os._exit(0)
        except (OSError, AttributeError):
            pass
