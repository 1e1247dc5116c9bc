"""`scalingplan compare`: how the laws' recommendations diverge across budgets."""

import math
from typing import Annotated, List, Optional

import typer

from scalingplan.compute.budget import resolve_budget
from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive
from scalingplan.output.render import Column, Table
from scalingplan.output.allocations import columns, convention_notes, table_rows
from scalingplan.cli.common import emit, lazy_module, warn_once
from scalingplan.cli.options import HARDWARE, OUTPUT, budget_range, chosen_laws, with_options

planning = lazy_module("scalingplan.planning.allocation")

COLUMNS = columns("flops", "law", "params", "tokens") + [
    Column("N ÷ 1st", "params_vs_first", "ratio"),
    Column("D ÷ 1st", "tokens_vs_first", "ratio"),
] + columns("loss")
SCALING_COLUMNS = [
    Column("Law", "law", "text"),
    Column("N ∝ C^a", "a", "plain"),
    Column("D ∝ C^b", "b", "plain"),
    Column("×N per 10× C", "params_per_decade", "ratio"),
    Column("×D per 10× C", "tokens_per_decade", "ratio"),
]


def scaling_summary(rows: list) -> list:
    """Per law, the exponents of N and D in C between the smallest and largest budget compared."""
    summary = []
    for law in dict.fromkeys(r["law"] for r in rows):
        mine = [r for r in rows if r["law"] == law]
        lo, hi = mine[0], mine[-1]
        if hi["flops"] == lo["flops"]:
            return []
        span = math.log10(hi["flops"] / lo["flops"])
        a = math.log10(hi["params"] / lo["params"]) / span
        b = math.log10(hi["tokens"] / lo["tokens"]) / span
        summary.append({"law": law, "a": a, "b": b,
                        "params_per_decade": 10**a, "tokens_per_decade": 10**b})
    return summary


@with_options(OUTPUT, HARDWARE, budget_range("1e18", "1e26", 9, "of the sweep"))
def compare(
    laws: Annotated[Optional[List[str]], typer.Argument(
        help="Laws to compare (names, aliases, families such as chinchilla, or law files). "
             "Default: the main registry laws.", show_default=False)] = None,
    flops: Annotated[Optional[List[str]], typer.Option(
        "--flops", help="A budget in FLOPs to compare at; repeatable. Default: a sweep.")] = None,
    budget_range=None,
    hardware: dict = None,
    fmt: str = "table",
):
    """Compare the laws' allocations across budgets, with each law's ratio to the first.

    Example: scalingplan compare kaplan chinchilla --from 1e18 --to 1e26 --points 9
    """
    budgets = [parse_positive(value, "--flops") for value in flops or []]
    hardware = resolve_budget(**hardware)
    if hardware:
        budgets.append(hardware["flops"])
    if budgets and budget_range.given:
        raise InputError(f"give budgets one way: {'--flops' if flops else '--gpu ...'} names the budgets, "
                         f"so {' and '.join(budget_range.given)} (a sweep) would be ignored")
    if not budgets:
        budgets = budget_range.budgets
    budgets = sorted(set(budgets))
    rows = planning.compare(budgets, chosen_laws(laws))
    summary = scaling_summary(rows)
    names = list(dict.fromkeys(r["law"] for r in rows))
    notes = [f"N ÷ 1st, D ÷ 1st: this law's parameters (tokens) divided by those of {names[0]}, the "
             f"first law named, at the same budget; each law counts parameters its own way."]
    notes += convention_notes(rows)
    if hardware:
        notes.append(f"Budget {hardware['flops']:.3g} FLOPs = {hardware['description']}.")
    warn_once(planning.extrapolation_warning(rows))
    columns = COLUMNS
    if any("compute_vs_first" in r for r in rows):
        columns = COLUMNS + [Column("C ÷ 1st", "compute_vs_first", "ratio")]
        notes.append(f"C ÷ 1st: the budget {names[0]} needs to reach each plan's loss, over the budget "
                     f"(above 1: that law gets more from the same compute).")
    tables = [Table(columns, table_rows(rows), f"Allocations of {len(budgets)} budget(s) under {len(names)} law(s)",
                    notes)]

    if summary:
        tables.append(Table(SCALING_COLUMNS, summary, "How each law scales over the compared budgets"))
    payload = {"laws": names, "budgets": budgets, "rows": rows, "scaling": summary}
    if hardware:
        payload["budget"] = hardware
    emit(fmt, payload, tables)
