"""`scalingplan reconcile`: why Kaplan's N_opt ∝ C^0.73 and Chinchilla's C^0.5 disagree, computed."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from scalingplan.errors import InputError
from scalingplan.output.render import Column, Table, sci
from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT, budget_range, with_options

PEARCE_COLUMNS = [
    Column("FLOPs", "flops", "flops"),
    Column("Non-emb. N*", "nonembedding_params", "count"),
    Column("Total N*", "total_params", "count"),
    Column("Tokens", "tokens", "count"),
    Column("Local exponent", "local_exponent", "plain"),
]
PORIAN_COLUMNS = [Column("Correction (cumulative)", "step", "text"), Column("Exponent a", "exponent", "plain"),
                  Column("Change", "change", "plain")]
READING_COLUMNS = [
    Column("FLOPs", "flops", "flops"),
    Column("Kaplan N, C as C_min", "kaplan_params_cmin", "count"),
    Column("Kaplan N, C = 2·C_min", "kaplan_params_spent", "count"),
    Column("Ratio", "reading_ratio", "ratio"),
    Column("Chinchilla-form N", "chinchilla_params", "count"),
]


@with_options(OUTPUT, budget_range("1e13", "1e25", 7, "in the tables"))
def reconcile(
    law: Annotated[str, typer.Option(
        "--law", "-l", help="A parametric (Chinchilla-form) law read in total parameters.")] = "epoch2024",
    budget_range=None,
    output: Annotated[Optional[Path], typer.Option(
        "--output", "-o", help="Also draw the local exponent against budget (.png, .svg or .pdf; "
                               "needs the plot extra).")] = None,
    fmt: str = "table",
):
    """Kaplan's exponent 0.73 against Chinchilla's 0.5: non-embedding counting (Pearce & Song 2024),
    Porian et al. 2024's corrections, and Kaplan's C_min budget.

    Example: scalingplan reconcile --from 1e13 --to 1e25 -o reconcile.png
    """
    from scalingplan.catalogues.registry import load_law
    from scalingplan.planning.reconcile import reconcile as compute

    chinchilla, kaplan = load_law(law), load_law("kaplan2020")
    if not all(hasattr(chinchilla, key) for key in ("A", "B", "alpha", "beta")):
        raise InputError(f"--law: '{chinchilla.name}' is not a Chinchilla-form law (E + A/N^alpha + B/D^beta); "
                         f"try epoch2024 or chinchilla-3")
    budgets = budget_range.budgets
    if output is not None:
        from scalingplan.output.plotting import image_format, require_matplotlib

        image_format(output)
        require_matplotlib()
    result = compute(chinchilla, kaplan, budgets)
    pearce, reading = result["pearce_song"], result["budget_reading"]
    lo, hi = pearce["fit_range"]
    tables = [
        Table(PEARCE_COLUMNS, pearce["rows"],
              f"(a) {chinchilla.name} read in non-embedding parameters (Pearce & Song 2024)", [
                  f"N_total = N + {pearce['gamma']:.0f}·N^(1/3); C = 6·N_nonemb·D, as Kaplan counted.",
                  f"Fitted over {sci(lo)}-{sci(hi)} FLOPs (Kaplan's range): N* ∝ C^{pearce['fitted_exponent']:.3f} "
                  f"(Kaplan: {reading['kaplan_exponent']:g}). Local exponent: {pearce['small_budget_limit']:.3f} "
                  f"at tiny budgets, {pearce['large_budget_limit']:.3f} (Chinchilla) at large ones."]),
        Table(PORIAN_COLUMNS, result["porian"], "(b) Porian et al. 2024: the exponent after each correction",
              ["Measured by Porian et al. (arXiv:2406.19146, Fig. 1, Table 1) on RefinedWeb; carried as "
               "published, not recomputed."]),
        Table(READING_COLUMNS, reading["rows"], "(c) Kaplan's budget read as C_min or as C = 2·C_min", [
            "Kaplan's Table 6 frontier is in C_min; training at the critical batch spends C = 2·C_min "
            "(Kaplan §5.1, §6.3). The reading moves N by 2^0.73 = 1.66× at every budget; the exponent "
            "stays 0.73."]),
    ]
    if output is not None:
        from scalingplan.output.plotting import reconcile_figure, save_figure

        result["file"] = str(save_figure(reconcile_figure(chinchilla, (min(budgets), max(budgets))), output))
        tables[-1].notes.append(f"Figure written to {result['file']}.")
    emit(fmt, result, tables)
