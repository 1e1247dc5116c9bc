"""The `scalingplan` command: one Typer app composed of the command modules.

Each command lives in its own module, listed in ``COMMANDS``. ``main`` imports only the module of
the command being run, so a command's start-up never pays for the others' imports. The error handler
(``common.handles_errors``) is applied here, once, to every command. This module imports nothing
heavy at the top, so ``main`` installs its signal handlers before Typer and the command load.
"""

import importlib
import sys

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
        import typer

        from scalingplan import __version__

        sys.stdout.write(f"scalingplan {__version__}\n")
        raise typer.Exit()


def _root_options():
    """The root callback (``--version``, ``--no-config``), defined when Typer is loaded."""
    from typing import Annotated

    import typer

    def _root(
        version: Annotated[bool, typer.Option("--version", help="Print the version and exit.",
                                              callback=_version, is_eager=True)] = False,
        no_config: Annotated[bool, typer.Option(
            "--no-config", help="Ignore the user config file (defaults for --law, --gpu, --mfu, --format).")] = False,
    ) -> None:
        """Compute-budget planner for training large language models, from published scaling laws."""
        if no_config:
            from scalingplan.cli.settings import disable

            disable()

    return _root


def _guard(target) -> None:
    """Apply the error handler to a command, or to every command and callback of a group."""
    from scalingplan.cli.common import handles_errors

    for info in getattr(target, "registered_commands", []):
        info.callback = handles_errors(info.callback)
    callback = getattr(target, "registered_callback", None)
    if callback is not None and callback.callback is not None:
        callback.callback = handles_errors(callback.callback)


def build_app(names=None):
    """The Typer app with the commands in ``names`` (all of them when None)."""
    import typer

    from scalingplan.cli.common import handles_errors

    app = typer.Typer(
        name="scalingplan",
        help="Compute-budget planner for training large language models, from published scaling laws.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root_options())
    for name in COMMANDS if names is None else names:
        module, attribute, _ = COMMANDS[name]
        target = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
        if isinstance(target, typer.Typer):
            _guard(target)
            app.add_typer(target, name=name)
        else:
            app.command(name)(handles_errors(target))
    return app


def build_index():
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

    Usage errors from the parser (unknown option, missing or empty value, an option given twice)
    become one line on stderr, exit 2. Hostile conditions end cleanly too: Ctrl-C (130) and SIGTERM (143) with
    one line, from the first line of ``main`` on; a closed pipe quietly; a failed write to stdout
    with one line and 2; a closed or full stderr silently, keeping the exit code; a terminal that
    cannot encode a character gets an ASCII stand-in. Python warnings (numpy's) never reach stderr.
    Every message is made inert (``output.inert``).
    """
    from scalingplan.cli import signals

    signals.install()
    import os

    try:
        _skip_last_collections()
        stdout = _prepare_streams()
        code = _run()
        stdout.flush()
        if signals.unreported() is not None:
            raise signals.unreported()
    except KeyboardInterrupt as exc:
        _error(signals.message_of(exc), signals.exit_code_of(exc))
    except BrokenPipeError:
        from scalingplan.output.render import silence

        silence(sys.stdout)
        code = 0
    except Exception as exc:  # noqa: BLE001 - a failed write after the command (InputError) or in help
        signalled = signals.unreported()
        if signalled is not None:  # a signal that an import wrapped in another error
            _error(signals.message_of(signalled), signals.exit_code_of(signalled))
        if os.environ.get("SCALINGPLAN_DEBUG"):
            raise
        _error(str(exc) or type(exc).__name__, 2 if isinstance(exc, (ValueError, OSError)) else 3)
    signals.finish()
    sys.exit(code)


def _skip_last_collections() -> None:
    """At exit the interpreter's last garbage collections would walk and free every module, class and
    function one by one, about a sixth of a short command's time, for memory the system takes back
    anyway: they skip what is frozen. (Registered for exit only, so a caller in-process keeps its GC.)"""
    import atexit
    import gc

    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def _prepare_streams():
    """Guard stdout (``GuardedStream``) and stderr (quiet: nowhere is left to report its failure);
    silence warnings; the guarded stdout."""
    import os
    import warnings

    from scalingplan.output.render import GuardedStream, use_ascii_fallbacks

    if not os.environ.get("SCALINGPLAN_DEBUG"):
        warnings.simplefilter("ignore")
    if sys.stderr is None:  # started with stderr closed
        sys.stderr = open(os.devnull, "w", encoding="utf-8")
    if sys.stdout is None:
        _error("cannot write the output: standard output is closed", 2)
    use_ascii_fallbacks(sys.stdout, sys.stderr)
    sys.stderr = GuardedStream(sys.stderr, quiet=True)
    sys.stdout = stdout = GuardedStream(sys.stdout)
    return stdout


def _error(message: str, code: int):
    from scalingplan.cli import signals
    from scalingplan.output.inert import inert

    signals.finish()  # a signal now would cut the line short
    try:
        sys.stderr.write(f"scalingplan: error: {inert(message)}\n")
        sys.stderr.flush()
    except (AttributeError, OSError, ValueError):
        pass
    sys.exit(code)


def _value_options(command) -> dict:
    """Spelling -> option, for the options of ``command`` that take a value."""
    return {spelling: param for param in command.params
            if getattr(param, "param_type_name", "") == "option" and not (param.is_flag or param.count)
            for spelling in param.opts + param.secondary_opts}


def option_problem(command, argv: list) -> str | None:
    """What is wrong with the options on ``argv``, or None: a single-valued option given twice (the
    parser would silently keep the last) or given an empty value (read as if it were absent).
    Follows subcommands of groups."""
    options, seen, args = _value_options(command), set(), iter(argv)
    for arg in args:
        if arg == "--":
            break
        spelling = arg.split("=", 1)[0] if arg.startswith("--") else arg
        if spelling in options:
            param = options[spelling]
            if id(param) in seen and not param.multiple:
                return f"{spelling} is given twice; give it once"
            seen.add(id(param))
            values = [arg.split("=", 1)[1]] if "=" in arg else [next(args, None) for _ in range(max(1, param.nargs))]
            if any(value is not None and not value.strip() for value in values):
                return f"{spelling}: the value is empty; give one or leave the option out"
        elif not arg.startswith("-") and arg in getattr(command, "commands", {}):
            command = command.commands[arg]
            options.update(_value_options(command))
    return None


def _run() -> int:
    """Parse and run the command; the exit code."""
    import typer.main

    from scalingplan.output.inert import inert

    name = _command_name(sys.argv[1:])
    hint = f"'scalingplan {name} --help'" if name in COMMANDS else "'scalingplan --help'"
    command = typer.main.get_command(build_app([name]) if name in COMMANDS else build_index())
    problem = option_problem(command, sys.argv[1:])
    if problem:
        sys.stderr.write(f"scalingplan: error: {inert(problem)} (see {hint})\n")
        return 2
    try:
        code = command(prog_name="scalingplan", standalone_mode=False)
    except Exception as exc:
        if isinstance(exc.__cause__, KeyboardInterrupt):  # the parser turns a signal into Abort
            raise exc.__cause__ from None
        if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
            raise
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `scalingplan` or group: show its usage
            sys.stdout.write(exc.format_message().rstrip("\n") + "\n")
            return 0
        sys.stderr.write(f"scalingplan: error: {inert(exc.format_message())} (see {hint})\n")
        return exc.exit_code
    return code if isinstance(code, int) else 0


def __getattr__(name):
    if name == "app":  # the full app, for tests and documentation
        return build_app()
    raise AttributeError(name)
