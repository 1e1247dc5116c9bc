"""`scalingplan plot`: figures of the laws' frontier and of fits to the user's runs (matplotlib extra)."""

import sys
from pathlib import Path
from typing import Annotated, List, Optional

import typer

from scalingplan.constants import PF_DAY
from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive
from scalingplan.output.inert import inert_lines
from scalingplan.output.render import Column, Table, sci
from scalingplan.cli.common import emit
from scalingplan.cli.options import (OUTPUT, RUNS, Flops, GroupTol, Laws, Starts, budget_range, chosen_laws,
                                     with_options)

app = typer.Typer(help="Figures: the compute-optimal frontier of the laws, and IsoFLOP / IsoLoss plots of "
                       "fits to your runs. Needs matplotlib: pip install 'scalingplan\\[plot]'.\n\n"
                       "Example: scalingplan plot frontier -o frontier.png",
                  no_args_is_help=True)

FIGURE1_LAWS = ("kaplan2020", "chinchilla")
FIGURE1_MODELS = ("chinchilla", "gopher", "gpt-3", "mt-nlg")
FIGURE1_BUDGET = 5.76e23
"""Hoffmann et al. 2022, Figure 1: Kaplan's and the three Chinchilla approaches' projections, the
Chinchilla, Gopher, GPT-3 and MT-NLG 530B models, and the Gopher budget of 5.76e23 FLOPs."""

Output = Annotated[Optional[Path], typer.Option(
    "--output", "-o", help="Image file to write: .png, .svg or .pdf.")]
RequiredOutput = Annotated[Path, typer.Option(
    "--output", "-o", help="Image file to write: .png, .svg or .pdf.", show_default=False)]
MIN_DPI, MAX_DPI = 10, 600
"""A figure is 8-10 inches wide: 600 dpi is print quality, already ~6,000 pixels across."""
Dpi = Annotated[int, typer.Option("--dpi", help=f"Resolution of a PNG, in dots per inch ({MIN_DPI} to {MAX_DPI}).")]
MODEL_COLUMNS = [Column("Model", "name", "text"), Column("Params", "params", "count"),
                 Column("Tokens", "tokens", "count"), Column("FLOPs (6ND)", "flops", "flops")]


def _check_output(output: Path, dpi: int) -> None:
    """Reject a bad file name or resolution before any work, and a missing matplotlib."""
    from scalingplan.catalogues.yamlfile import check_writable
    from scalingplan.output.plotting import image_format, require_matplotlib

    image_format(output)
    check_writable(output)
    if not MIN_DPI <= dpi <= MAX_DPI:
        raise InputError(f"--dpi: must be {MIN_DPI} to {MAX_DPI}, got {dpi}")
    require_matplotlib()


@app.command()
@with_options(OUTPUT, budget_range("1e17", "1e26", what="on the axis"))
def frontier(
    law: Laws = None,
    model: Annotated[Optional[List[str]], typer.Option(
        "--model", "-m", help="Catalogue model to mark at its 6ND compute; repeatable; 'none' for none. "
                              "Default: Chinchilla, Gopher, GPT-3, MT-NLG 530B.")] = None,
    flops: Flops = None,
    output: Output = None,
    dpi: Dpi = 150,
    budget_range=None,
    fmt: str = "table",
):
    """Optimal parameters and tokens against training FLOPs per law, with trained models and a budget.

    Defaults reproduce Hoffmann et al. 2022, Figure 1 (kaplan2020 and the Chinchilla approaches,
    budget 5.76e23). Without --output, prints a character plot and the allocations at the budget.
    Example: scalingplan plot frontier --law chinchilla-3 --law llama3 --flops 1e25 -o frontier.png
    """
    from scalingplan.planning import allocation as planning
    from scalingplan.catalogues.models import find_model, training_tokens
    from scalingplan.output.plotting import frontier_text, model_flops
    from scalingplan.output.allocations import allocation_notes, columns, law_columns, table_rows
    from scalingplan.planning.planner import Query, plan

    laws = planning.resolve(chosen_laws(law) or list(FIGURE1_LAWS))
    names = list(model) if model is not None else list(FIGURE1_MODELS)
    models = [] if [n.lower() for n in names] == ["none"] else [find_model(n) for n in names]
    for model in models:
        training_tokens(model)  # a model without published tokens has no place on the figure
    budget = parse_positive(flops, "--flops") if flops is not None else FIGURE1_BUDGET
    lo, hi = budget_range.low, budget_range.high
    if hi == lo:
        raise InputError("must be larger than {0} for an axis", "to", ("from",))
    written = None
    if output is not None:
        from scalingplan.output.plotting import frontier_figure, save_figure

        _check_output(output, dpi)
        written = str(save_figure(frontier_figure(laws, models, budget, (lo, hi)), output, dpi))
    plans = [plan(one, Query(flops=budget)) for one in laws]
    rows = [p.as_dict() for p in plans]
    model_rows = [{"name": str(m.get("display", m["name"])), "params": m["params"], "tokens": m["tokens"],
                   "flops": model_flops(m)} for m in models]
    payload = {"flops_range": [lo, hi], "budget": {"flops": budget, "pf_days": budget / PF_DAY, "description": "budget line"}, "file": written,
               "allocations": rows, "models": model_rows}
    notes = allocation_notes(plans) + ([f"Figure written to {written}."] if written else [])
    table_columns = columns("law", "params", "tokens", "tokens_per_param", "loss", "flops", "pf_days") + law_columns(plans)
    tables = [Table(table_columns, table_rows(rows), f"Compute-optimal allocation at the budget line ({sci(budget)} FLOPs)", notes)]
    if model_rows:
        tables.append(Table(MODEL_COLUMNS, model_rows, "Models on the figure"))
    if fmt == "table" and written is None:
        sys.stdout.write(inert_lines(frontier_text(laws, (lo, hi), budget)) + "\n\n")
    emit(fmt, payload, tables)


def _fit_output(result, budgets, written, fmt):
    from scalingplan.fitting import report
    from scalingplan.output.fits import fit_tables

    payload = report.fit_summary(result, budgets)
    payload["file"] = written
    tables = fit_tables(payload, None)
    tables[0].notes.append(f"Figure written to {written}.")
    emit(fmt, payload, tables)


@app.command()
@with_options(OUTPUT, RUNS)
def isoflop(
    output: RequiredOutput,
    group_tol: GroupTol = 0.1,
    dpi: Dpi = 150,
    runs=None,
    fmt: str = "table",
):
    """IsoFLOP profiles of your runs, their parabolas and minima, and the minima's power laws.

    As Hoffmann et al. 2022, Figure 3; prints the Approach 2 fit as 'scalingplan fit --method approach2'.

    Example: scalingplan plot isoflop runs.csv -o isoflop.png
    """
    from scalingplan.fitting.approach2 import fit_approach2
    from scalingplan.fitting.report import DEFAULT_BUDGETS
    from scalingplan.output.plotting import isoflop_figure, save_figure

    _check_output(output, dpi)
    from scalingplan.fitting.approach2 import check_tolerance

    check_tolerance(group_tol)
    data = runs
    result = fit_approach2(data, group_tol)
    written = str(save_figure(isoflop_figure(result), output, dpi))
    _fit_output(result, DEFAULT_BUDGETS, written, fmt)


@app.command("fit")
@with_options(OUTPUT, RUNS)
def fit_plot(
    output: RequiredOutput,
    flops: Flops = None,
    dpi: Dpi = 150,
    starts: Starts = 0,
    runs=None,
    fmt: str = "table",
):
    """IsoLoss contours of the parametric law fitted to your runs, with the runs and the frontier.

    As Hoffmann et al. 2022, Figure 4 (left), from an Approach 3 fit; prints the fit as 'scalingplan fit'.

    Example: scalingplan plot fit runs.csv --flops 5.76e23 -o isoloss.png
    """
    from scalingplan.fitting.approach3 import fit_approach3, thinned_grid
    from scalingplan.fitting.report import DEFAULT_BUDGETS
    from scalingplan.output.plotting import isoloss_figure, save_figure
    from scalingplan.cli.common import progress_bar

    _check_output(output, dpi)
    budget = parse_positive(flops, "--flops") if flops is not None else None
    data = runs
    with progress_bar("fitting (starts converged)", True) as progress:
        result = fit_approach3(data, starts=thinned_grid(starts), progress=progress)
    written = str(save_figure(isoloss_figure(result.law, data, budget=budget), output, dpi))
    _fit_output(result, [budget] if budget else DEFAULT_BUDGETS, written, fmt)
