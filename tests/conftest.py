import os
import tempfile

# Tests never write the registry cache under the real home directory, nor read the user's config.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="scalingplan-test-cache-")
os.environ["SCALINGPLAN_CONFIG"] = os.path.join(tempfile.mkdtemp(prefix="scalingplan-test-config-"), "empty.toml")
open(os.environ["SCALINGPLAN_CONFIG"], "w").close()

# One BLAS thread per process: the suite runs one xdist worker per core, and BLAS threads on top
# oversubscribe the cores and spin waiting for work (set before numpy is imported).
for _threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_threads, "1")

# Deterministic CLI output: no colour, no terminal detection, a fixed width.
os.environ.setdefault("_TYPER_FORCE_DISABLE_TERMINAL", "1")
os.environ.setdefault("TERMINAL_WIDTH", "200")
os.environ.setdefault("COLUMNS", "200")
os.environ["NO_COLOR"] = "1"

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

# Timing limits per example would make property tests flaky on a busy 2-core CI machine.
settings.register_profile("scalingplan", deadline=None)
settings.load_profile("scalingplan")


@pytest.fixture(scope="session")
def cli():
    """Run the full `scalingplan` app in-process: cli("allocate", "--flops", "1e21")."""
    import typer.main
    import typer.testing

    from scalingplan.cli.app import build_app

    app = build_app()
    # Typer turns the app into a click command on every invoke (~50 ms for all the commands); turn it
    # once. The command keeps no state between invocations.
    command, convert = typer.main.get_command(app), typer.testing._get_command
    typer.testing._get_command = lambda target: command if target is app else convert(target)
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, [str(a) for a in args])

    yield invoke
    typer.testing._get_command = convert


class MainResult:
    def __init__(self, exit_code, stdout, stderr, exception=None):
        self.exit_code, self.stdout, self.stderr, self.exception = exit_code, stdout, stderr, exception
        self.output = stdout + stderr


@pytest.fixture
def main_cli(capsys, monkeypatch):
    """Run `scalingplan` through its real entry point (one-line usage errors, signal handlers, guarded
    stdout) in this process; restores the signal handlers and streams afterwards."""
    import signal
    import sys
    import warnings

    from scalingplan.cli.app import main

    def invoke(*args):
        handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
        monkeypatch.setattr(sys, "argv", ["scalingplan", *map(str, args)])
        stdout, stderr, code, exception = sys.stdout, sys.stderr, None, None
        try:
            with warnings.catch_warnings():
                main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            exception = exc
        finally:
            sys.stdout, sys.stderr = stdout, stderr
            for s, handler in handlers.items():
                signal.signal(s, handler)
        out, err = capsys.readouterr()
        return MainResult(code, out, err, exception)

    return invoke
