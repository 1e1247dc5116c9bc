"""`scalingplan allocate`: the compute-optimal model and data for a budget, under each law."""

from typing import Annotated, Optional

import typer

from scalingplan.errors import InputError
from scalingplan.cli.allocation import allocation, with_allocate_options
from scalingplan.cli.common import emit, lazy_module
from scalingplan.cli.options import OUTPUT

launch = lazy_module("scalingplan.planning.launch")

EmitTo = Annotated[Optional[str], typer.Option(
    "--emit", help="Print the recommended plan as launch arguments: megatron (Megatron-LM flags) or "
                   "torchtitan (a TOML job file).")]


@with_allocate_options(OUTPUT)
def allocate(fmt: str = "table", emit_to: EmitTo = None, **options):
    """Compute-optimal parameters, tokens, tokens/param, loss and PF-days for a budget, per law.

    Example: scalingplan allocate --flops 5.8e23 (also --params 7e9, --loss 2.0, or
    --gpu h100 --count 1024 --days 30 --mfu 0.4; --unique-tokens 1T; --loss 2.0 --inference-tokens 2e12;
    --tokens-per-param 200; --law kumar2024 --precision fp8).
    With --gpu and --count (and a budget, --params or --loss): batch, learning rate, days, memory
    layout, cost and energy, e.g. scalingplan allocate --params 7e9 --gpu a100 --count 256.
    A model instead of --params: --model chinchilla, or --config Meta-Llama-3-8B (a config.json).
    A size with a budget (e.g. --params 70e9 --gpu h100 --count 512 --days 10): the tokens it buys.
    """
    if emit_to is not None and emit_to.lower() not in launch.EMIT:
        raise InputError(f"--emit: unknown framework '{emit_to}' (choose from {', '.join(launch.EMIT)})")
    payload, tables, full = allocation(**options)
    if emit_to:
        row = next(r for r in payload["allocations"] if r["law"] == payload["recommended"]["law"])
        return print(launch.emit_plan(emit_to.lower(), row, payload["recipe"]["seq_len"]))
    emit(fmt, payload, tables, csv_table=full[0])
