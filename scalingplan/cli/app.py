"""The `scalingplan` command: one Typer app composed of the command modules.

Each command lives in its own module, listed in ``COMMANDS``. ``main`` imports only the module of
the command being run, so a command's start-up never pays for the others' imports. The error handler
(``common.handles_errors``) is applied here, once, to every command.
"""

import importlib
import sys
from typing import Annotated

import typer

# command name -> (module in scalingplan.cli, attribute, summary): a function becomes a command, a Typer
# a group. The summary is what `scalingplan --help` lists, without importing any command module.
COMMANDS = {
    "allocate": ("allocate", "allocate", "Compute-optimal model, tokens, loss and cost for a budget."),
    "compare": ("compare", "compare", "How the laws' allocations diverge across budgets."),
    "assess": ("assess", "assess", "Trained models against each law's optimum at the same compute."),
    "laws": ("laws", "app", "The law registry; one law's formula, constants and sources."),
    "flops": ("flops", "flops", "Training FLOPs and parameter counts from sizes or a shape."),
    "shape": ("shape", "shape", "Shapes (layers, width, heads, ffw) that hit a parameter count."),
    "convert": ("convert", "convert", "FLOPs, PF-days, GPU-hours and days on every accelerator."),
    "memory": ("memory", "memory", "Memory per GPU and the parallel layouts that fit."),
    "throughput": ("throughput", "throughput", "Predicted step time, tokens/s and MFU of a layout."),
    "fit": ("fit", "fit", "Fit a scaling law to your own runs, with bootstrap intervals."),
    "plot": ("plot", "app", "Figures: the laws' frontier, IsoFLOP and IsoLoss plots."),
    "check": ("check", "check", "Budget checks of plan files for CI (exit 1 if one fails)."),
    "report": ("report", "report", "A plan as one self-contained HTML page, with figures and sources."),
    "reconcile": ("reconcile", "reconcile", "Why Kaplan's exponent is 0.73 and Chinchilla's 0.5."),
    "hardware": ("catalogues", "hardware", "The accelerator catalogue, with sources."),
    "models": ("catalogues", "models", "The catalogue of trained models, with sources."),
    "schema": ("schema", "schema", "The JSON Schema of a command's --json output."),
    "sweep": ("sweep", "sweep", "An IsoFLOP sweep of runs to train, with shapes and GPU-hours."),
    "suggest": ("suggest", "suggest", "Next runs that most sharpen a fitted N_opt, with cost."),
    "fit-compare": ("fit_compare", "fit_compare", "Compute multiplier of one fitted law over another."),
}


def _version(value: bool) -> None:
    if value:
        from scalingplan import __version__

        sys.stdout.write(f"scalingplan {__version__}\n")
        raise typer.Exit()


def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", callback=_version,
                                          is_eager=True)] = False,
    no_config: Annotated[bool, typer.Option(
        "--no-config", help="Ignore the user config file (defaults for --law, --gpu, --mfu, --format).")] = False,
) -> None:
    """Compute-budget planner for training large language models, from published scaling laws."""
    if no_config:
        from scalingplan.cli.settings import disable

        disable()


def _guard(target) -> None:
    """Apply the error handler to a command, or to every command and callback of a group."""
    from scalingplan.cli.common import handles_errors

    for info in getattr(target, "registered_commands", []):
        info.callback = handles_errors(info.callback)
    callback = getattr(target, "registered_callback", None)
    if callback is not None and callback.callback is not None:
        callback.callback = handles_errors(callback.callback)


def build_app(names=None) -> typer.Typer:
    """The Typer app with the commands in ``names`` (all of them when None)."""
    from scalingplan.cli.common import handles_errors

    app = typer.Typer(
        name="scalingplan",
        help="Compute-budget planner for training large language models, from published scaling laws.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for name in COMMANDS if names is None else names:
        module, attribute, _ = COMMANDS[name]
        target = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
        if isinstance(target, typer.Typer):
            _guard(target)
            app.add_typer(target, name=name)
        else:
            app.command(name)(handles_errors(target))
    return app


def build_index() -> typer.Typer:
    """The app as `scalingplan --help` shows it: every command listed with its summary, none imported."""
    app = build_app([])
    for name, (_, _, summary) in COMMANDS.items():
        app.command(name, help=summary, add_help_option=False)(lambda: None)
    return app


def _command_name(argv: list) -> str | None:
    """The command named on the command line, past the root options."""
    for arg in argv:
        if not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    """Entry point: load only the command named on the command line (all of them for --help).

    Usage errors from the parser (unknown option, missing value) become one line on stderr, exit 2.
    Hostile conditions end cleanly too: Ctrl-C (130) and SIGTERM (143) with one line; a closed
    pipe quietly; a failed write to stdout with one line and 2; a terminal that cannot encode a
    character gets an ASCII stand-in. Python warnings (numpy's) never reach stderr.
    """
    import os
    import warnings

    from scalingplan.cli import signals
    from scalingplan.output.render import GuardedStream, silence, use_ascii_fallbacks

    signals.install()
    if not os.environ.get("SCALINGPLAN_DEBUG"):
        warnings.simplefilter("ignore")
    if sys.stdout is None:
        _error("cannot write the output: standard output is closed", 2)
    use_ascii_fallbacks(sys.stdout, sys.stderr)
    sys.stdout = stdout = GuardedStream(sys.stdout)
    try:
        code = _run()
        stdout.flush()
    except KeyboardInterrupt as exc:
        _error(signals.message_of(exc), signals.exit_code_of(exc))
    except BrokenPipeError:
        silence(stdout)
        code = 0
    except Exception as exc:  # noqa: BLE001 - a failed write after the command (InputError) or in help
        if os.environ.get("SCALINGPLAN_DEBUG"):
            raise
        _error(str(exc) or type(exc).__name__, 2 if isinstance(exc, (ValueError, OSError)) else 3)
    sys.exit(code)


def _error(message: str, code: int):
    try:
        sys.stderr.write(f"scalingplan: error: {message}\n")
    except (AttributeError, OSError, ValueError):
        pass
    sys.exit(code)


def _run() -> int:
    """Parse and run the command; the exit code."""
    name = _command_name(sys.argv[1:])
    app = build_app([name]) if name in COMMANDS else build_index()
    try:
        code = app(prog_name="scalingplan", standalone_mode=False)
    except Exception as exc:
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `scalingplan`: the help was shown
            return 0
        hint = f"'scalingplan {name} --help'" if name in COMMANDS else "'scalingplan --help'"
        sys.stderr.write(f"scalingplan: error: {exc.format_message()} (see {hint})\n")
        return exc.exit_code
    return code if isinstance(code, int) else 0


def __getattr__(name):
    if name == "app":  # the full app, for tests and documentation
        return build_app()
    raise AttributeError(name)
