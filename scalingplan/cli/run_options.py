"""Options for reading a CSV of training runs, shared by `fit` and `plot isoflop|fit`."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from scalingplan.numbers import parse_positive

RunsFile = Annotated[Path, typer.Argument(
    help="CSV of runs: parameters, tokens (or training FLOPs) and final loss.", show_default=False)]
ParamsCol = Annotated[Optional[str], typer.Option("--params-col", help="Column of parameter counts (default: params or N).")]
TokensCol = Annotated[Optional[str], typer.Option("--tokens-col", help="Column of training tokens (default: tokens or D).")]
FlopsCol = Annotated[Optional[str], typer.Option("--flops-col", help="Column of training FLOPs, used as D = C/(6N) (default: flops or C).")]
LossCol = Annotated[Optional[str], typer.Option("--loss-col", help="Column of final losses (default: loss or L).")]
DropHighest = Annotated[int, typer.Option("--drop-highest-loss", help="Leave out this many highest-loss runs.")]
MaxLoss = Annotated[Optional[str], typer.Option("--max-loss", help="Leave out runs with a loss above this.")]
MinFlops = Annotated[Optional[str], typer.Option("--min-flops", help="Leave out runs with fewer training FLOPs.")]
MaxFlops = Annotated[Optional[str], typer.Option("--max-flops", help="Leave out runs with more training FLOPs.")]
GroupTol = Annotated[float, typer.Option("--group-tol", help="IsoFLOP group width in decades of FLOPs (approach 2).")]


MAX_GROUP_TOL = 2.0


def check_group_tol(value: float) -> None:
    """--group-tol must be a width in (0, MAX_GROUP_TOL] decades (a wider group mixes budgets 100x apart)."""
    from scalingplan.errors import InputError

    if not 0 < value <= MAX_GROUP_TOL:
        raise InputError(f"--group-tol: must be above 0 and at most {MAX_GROUP_TOL:g} decades, got {value:g}")


def _positive(value, what):
    return None if value is None else parse_positive(value, what)


def load_runs(path, params_col, tokens_col, flops_col, loss_col, drop_highest_loss, max_loss, min_flops,
              max_flops):
    """Read the runs CSV, then apply the exclusions the options ask for."""
    from scalingplan.fitting.runs import exclude, read_runs

    runs = read_runs(path, params_col, tokens_col, flops_col, loss_col)
    return exclude(runs, drop_highest_loss, _positive(max_loss, "--max-loss"),
                   _positive(min_flops, "--min-flops"), _positive(max_flops, "--max-flops"))
