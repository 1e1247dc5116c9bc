"""What every command shares at run time: writing its result, warnings, and the error handler the app
applies to every command."""

import contextlib
import functools
import os
import sys

import typer

from scalingplan.errors import EXIT_INPUT, EXIT_INTERNAL, InputError
from scalingplan.output.inert import inert
from scalingplan.output.render import check_results, render

def lazy_module(name: str):
    """The module ``name``, run on first use of one of its attributes (importlib's LazyLoader):
    a command module can name what its command needs without every other command, or --help,
    paying for the import."""
    import importlib.util

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    spec.loader = importlib.util.LazyLoader(spec.loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    setattr(sys.modules[parent], child, module)
    return module


def emit(fmt: str, payload: dict, tables: list, csv_table=None) -> None:
    """Write the command's result to stdout in ``fmt``; JSON answers carry ``schema_version``
    (their schemas: ``scalingplan schema COMMAND``)."""
    payload = versioned(payload)
    check_results(payload, tables, csv_table)
    _write_warnings(True)  # the command answers: its warnings come first, as they were raised
    text = render(fmt, payload, tables, csv_table)
    if text is not None:
        sys.stdout.write(text + "\n")


def versioned(payload: dict) -> dict:
    """The payload as --json writes it: ``schema_version`` first."""
    from scalingplan.output import SCHEMA_VERSION

    return {"schema_version": SCHEMA_VERSION, **{k: v for k, v in payload.items() if k != "schema_version"}}


@contextlib.contextmanager
def progress_bar(description: str, enabled: bool):
    """A rich progress bar on stderr (only when stderr is a terminal); yields a (done, total) callback."""
    if not (enabled and sys.stderr.isatty()):
        yield None
        return
    from rich.progress import Progress

    from scalingplan.output.render import console

    with Progress(console=console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


_warnings = []


def warn(message: str) -> None:
    """One line on stderr that does not change the exit code, written once the command answers
    (``emit``, or exit 0 or 1): bad input is one line, the error alone."""
    line = f"scalingplan: warning: {inert(message)}\n"
    if line not in _warnings:  # the same warning for several rows or models is said once
        _warnings.append(line)


def _write_warnings(answered: bool) -> None:
    lines = "".join(_warnings)
    _warnings.clear()
    if answered and lines:
        sys.stderr.write(lines)


def warn_once(message: str | None) -> None:
    """``warn`` for a message that may be None (nothing to say)."""
    if message:
        warn(message)


def fail(message: str, code: int = EXIT_INPUT):
    """One line on stderr, then exit with ``code``."""
    sys.stderr.write(f"scalingplan: error: {inert(message)}\n")
    raise typer.Exit(code)


def handles_errors(command):
    """Turn InputError into one line and exit 2; any other exception into one line and exit 3.

    The app applies it to every command (``cli.app.build_app``). Set SCALINGPLAN_DEBUG=1 to see the
    traceback of an internal error.
    """
    if getattr(command, "handles_errors", False):
        return command

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        answered = False
        try:
            result = command(*args, **kwargs)
            answered = True
            return result
        except typer.Exit as exc:
            answered = exc.exit_code in (0, 1)
            raise
        except (typer.Abort, SystemExit):
            raise
        except InputError as exc:
            fail(str(exc).splitlines()[0] if str(exc) else "invalid input")
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM as scalingplan.cli.signals raises it
            from scalingplan.cli.signals import exit_code_of, message_of

            fail(message_of(exc), exit_code_of(exc))
        except ArithmeticError as exc:  # a float overflow or underflow from numbers the user gave
            fail(f"a computation overflowed or divided by zero for these inputs ({exc}); use numbers of ordinary size")
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            from scalingplan.cli.signals import exit_code_of, message_of, unreported

            signalled = unreported()
            if signalled is not None:  # a signal that an import wrapped in another error
                fail(message_of(signalled), exit_code_of(signalled))
            if os.environ.get("SCALINGPLAN_DEBUG"):
                raise
            fail(f"internal error: {type(exc).__name__}: {exc} "
                 f"(rerun with SCALINGPLAN_DEBUG=1 for a traceback)", EXIT_INTERNAL)
        finally:
            _write_warnings(answered)

    wrapper.handles_errors = True
    return wrapper
