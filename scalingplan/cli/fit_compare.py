"""`scalingplan fit-compare`: the compute multiplier of one fitted law over another at equal loss."""

from typing import Annotated

import typer

from scalingplan.errors import InputError
from scalingplan.output.render import Column, Table
from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT, budget_range, with_options

COLUMNS = [
    Column("FLOPs (B)", "flops", "flops"),
    Column("Loss", "loss_b", "loss"),
    Column("A needs", "equal_loss_flops", "flops"),
    Column("Multiplier", "multiplier", "ratio"),
    Column("Low", "low", "ratio"),
    Column("High", "high", "ratio"),
]


@with_options(OUTPUT, budget_range("1e19", "1e25", 7))
def fit_compare(
    law_a: Annotated[str, typer.Argument(help="Baseline law: a law file from 'scalingplan fit -o' or a registry name.", show_default=False)],
    law_b: Annotated[str, typer.Argument(help="Law compared with it.", show_default=False)],
    budget_range=None,
    ci: Annotated[float, typer.Option("--ci", help="Interval in percent, when both files carry bootstrap samples.")] = 95.0,
    fmt: str = "table",
):
    """Effective compute of B over A: how many times more compute A needs to reach B's loss.

    Example: scalingplan fit-compare baseline.yaml new-recipe.yaml --from 1e20 --to 1e24
    (fit each with 'scalingplan fit runs.csv --bootstrap 200 -o law.yaml' for intervals).
    """
    from scalingplan.catalogues.registry import load_law
    from scalingplan.fitting.effective import compare

    budgets = budget_range.budgets
    if not 0 < ci < 100:
        raise InputError(f"--ci: must be between 0 and 100, got {ci:g}")
    a, b = load_law(law_a), load_law(law_b)
    result = compare(a, b, budgets, ci / 100)
    rows = [dict(row, low=row.get("interval", (None, None))[0], high=row.get("interval", (None, None))[1])
            for row in result["rows"]]
    notes = [f"A = {a.name}, B = {b.name}. Multiplier: compute A needs at its optimum to reach B's "
             "optimal loss, over B's budget; above 1, B is ahead. Losses compare only on the same data "
             "and tokenizer."]
    if result["samples"]:
        notes.append(f"Low/High: {ci:g}% percentile interval over {result['samples']} paired bootstrap refits.")
    else:
        notes.append("No interval: both law files need bootstrap samples ('scalingplan fit --bootstrap K -o').")
    columns = COLUMNS if result["samples"] else COLUMNS[:-2]
    payload = {"law_a": a.name, "law_b": b.name, "level": result["level"],
               "samples": result["samples"], "budgets": result["rows"]}
    emit(fmt, payload, [Table(columns, rows, f"Effective compute of {b.name} over {a.name}", notes)])
