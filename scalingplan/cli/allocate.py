"""`scalingplan allocate`: the compute-optimal model and data for a budget, under each law."""

from scalingplan.cli.allocation import allocation, with_allocate_options
from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT


@with_allocate_options(OUTPUT)
def allocate(fmt: str = "table", **options):
    """Compute-optimal parameters, tokens, tokens/param, loss and PF-days for a budget, per law.

    Example: scalingplan allocate --flops 5.8e23 (also --params 7e9, --loss 2.0, or
    --gpu h100 --count 1024 --days 30 --mfu 0.4; --unique-tokens 1T; --loss 2.0 --inference-tokens 2e12;
    --tokens-per-param 200; --law kumar2024 --precision fp8).
    With --gpu and --count (and a budget, --params or --loss): batch, learning rate, days, memory
    layout, cost and energy, e.g. scalingplan allocate --params 7e9 --gpu a100 --count 256.
    """
    emit(fmt, *allocation(**options))
