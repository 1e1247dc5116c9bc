"""Options and conventions shared by every command: output format, budgets, errors, messages."""

import functools
import os
import sys
from typing import Annotated, List, Optional

import typer

from scalingplan.errors import EXIT_INPUT, EXIT_INTERNAL, InputError
from scalingplan.output.render import FORMATS, render

Format = Annotated[str, typer.Option("--format", "-f", help="Output format: table, json, csv or markdown.")]
Json = Annotated[bool, typer.Option("--json", help="Short for --format json.")]
Laws = Annotated[Optional[List[str]], typer.Option(
    "--law", "-l", help="Law name, alias, family (e.g. chinchilla) or path to a law file; repeatable. "
                        "Default: the main registry laws.")]

# Budget options, shared by every command that takes a training budget.
Flops = Annotated[Optional[str], typer.Option("--flops", help="Training budget in FLOPs, e.g. 5.8e23.")]
PfDays = Annotated[Optional[str], typer.Option("--pf-days", help="Training budget in PF-days (8.64e19 FLOPs each).")]
Gpu = Annotated[Optional[str], typer.Option("--gpu", help="Accelerator for a hardware budget, e.g. h100 (see 'scalingplan convert').")]
Count = Annotated[Optional[str], typer.Option("--count", help="Number of accelerators, with --gpu and --days.")]
Days = Annotated[Optional[str], typer.Option("--days", help="Wall-clock days of training, with --gpu and --count.")]
GpuHours = Annotated[Optional[str], typer.Option("--gpu-hours", help="Accelerator-hours, with --gpu (instead of --count and --days).")]
Mfu = Annotated[Optional[str], typer.Option(
    "--mfu", help="Model FLOPs utilization in (0, 1], with --gpu. Default 0.3, Epoch AI's assumption "
                  "for LLM training (see configs/hardware.yaml).")]


def output_format(fmt: str, json_flag: bool) -> str:
    """The chosen format; InputError for an unknown one."""
    if json_flag:
        return "json"
    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise InputError(f"--format: unknown format '{fmt}'; choose one of {', '.join(FORMATS)}")
    return fmt


def emit(fmt: str, payload: dict, tables: list, csv_table=None) -> None:
    """Write the command's result to stdout in ``fmt``."""
    text = render(fmt, payload, tables, csv_table)
    if text is not None:
        sys.stdout.write(text + "\n")


def warn(message: str) -> None:
    """One line on stderr that does not change the exit code."""
    sys.stderr.write(f"scalingplan: warning: {message}\n")


def fail(message: str, code: int = EXIT_INPUT):
    """One line on stderr, then exit with ``code``."""
    sys.stderr.write(f"scalingplan: error: {message}\n")
    raise typer.Exit(code)


def handles_errors(command):
    """Turn InputError into one line and exit 2; any other exception into one line and exit 3.

    Set SCALINGPLAN_DEBUG=1 to see the traceback of an internal error.
    """

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except InputError as exc:
            fail(str(exc).splitlines()[0] if str(exc) else "invalid input")
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM as scalingplan.cli.signals raises it
            from scalingplan.cli.signals import exit_code_of, message_of

            fail(message_of(exc), exit_code_of(exc))
        except ArithmeticError as exc:  # a float overflow or underflow from numbers the user gave
            fail(f"a computation overflowed or divided by zero for these inputs ({exc}); use numbers of ordinary size")
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("SCALINGPLAN_DEBUG"):
                raise
            fail(f"internal error: {type(exc).__name__}: {exc} "
                 f"(rerun with SCALINGPLAN_DEBUG=1 for a traceback)", EXIT_INTERNAL)

    return wrapper
