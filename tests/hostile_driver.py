"""Run several `scalingplan` command lines in one fresh process, under a memory limit, through the
real entry point; print one JSON line per command line: exit code, stdout, stderr, seconds.

    python tests/hostile_driver.py MEGABYTES < [[argv, env], ...]   (JSON on stdin)

The limit is on the address space (RLIMIT_AS), so an allocation past it fails in the process that
made it; the last line is the process's peak resident memory in MB. Used by test_hostile.py so that
a cause's reproducers share one interpreter start.
"""

import io
import json
import os
import resource
import sys
import time


def run(argv: list, env: dict) -> dict:
    from scalingplan.cli import settings
    from scalingplan.cli.app import main

    saved = dict(os.environ)
    os.environ.update(env)
    settings._state.update(disabled=False, loaded=None)
    sys.argv = ["scalingplan", *argv]
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException as exc:  # noqa: BLE001 - reported to the test as exit 99
        code, err = 99, io.StringIO(f"{type(exc).__name__}: {exc}\n")
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        os.environ.clear()
        os.environ.update(saved)
    return {"argv": argv, "code": code, "stdout": out.getvalue(), "stderr": err.getvalue(),
            "seconds": time.monotonic() - start}


if __name__ == "__main__":
    limit = int(sys.argv[1]) * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    for argv, env in json.load(sys.stdin):
        print(json.dumps(run(argv, env)), flush=True)
    print(json.dumps({"peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
