"""`scalingplan suggest`: the next runs to train for the sharpest N_opt at a target budget."""

from typing import Annotated, Optional

import typer

from scalingplan.numbers import parse_positive
from scalingplan.output.render import Column, Table, human_count, sci
from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT, RUNS, Gpu, Mfu, Starts, device as device_of, with_options

COLUMNS = [
    Column("#", "rank", "plain"),
    Column("Budget", "flops", "flops"),
    Column("Params", "params", "count"),
    Column("Tokens", "tokens", "count"),
    Column("Layers", "layers", "plain"),
    Column("d_model", "d_model", "plain"),
    Column("N_opt ± after", "half_width_percent", "plain"),
    Column("GPU-hours", "gpu_hours", "plain"),
]


@with_options(OUTPUT, RUNS)
def suggest(
    budget: Annotated[str, typer.Option("--budget", help="Target budget in FLOPs whose N_opt should be sharpest.")] = "1e23",
    count: Annotated[int, typer.Option("--runs", "-n", help="Number of runs to suggest.")] = 4,
    max_run_flops: Annotated[Optional[str], typer.Option("--max-run-flops", help="Largest budget of a suggested run (default 10x the largest trained).")] = None,
    form: Annotated[str, typer.Option("--form", help="Loss form fitted: chinchilla, kaplan or gadre.")] = "chinchilla",
    starts: Starts = 0,
    gpu: Gpu = None,
    mfu: Mfu = None,
    runs=None,
    fmt: str = "table",
):
    """Suggest the next runs: those that most narrow the fitted N_opt at --budget, with their cost.

    Example: scalingplan suggest runs.csv --budget 1e23 --runs 4 --gpu h100
    """
    from scalingplan.errors import InputError
    from scalingplan.fitting.approach3 import fit_approach3, thinned_grid
    from scalingplan.fitting.design import check_run_count, shaped_run
    from scalingplan.fitting.forms import FORMS
    from scalingplan.fitting.suggest import suggest_runs

    if form.lower() not in FORMS:
        raise InputError(f"--form: unknown form '{form}'; choose {', '.join(FORMS)}")
    check_run_count(count, "--runs")
    target = parse_positive(budget, "--budget")
    cap = parse_positive(max_run_flops, "--max-run-flops") if max_run_flops is not None else None
    device = device_of(gpu, mfu)
    data = runs
    chosen = FORMS[form.lower()]
    fit = fit_approach3(data, starts=thinned_grid(starts, chosen.grid()), form=chosen)
    result = suggest_runs(fit, target, count, cap)
    rows = []
    for rank, pick in enumerate(result["runs"], 1):
        run = shaped_run(pick["flops"], pick["params"], device.get("peak_flops"), device.get("mfu"))
        rows.append(dict(run, rank=rank, half_width_after=pick["half_width_after"],
                         half_width_percent=100 * pick["half_width_after"]))
    total_flops = sum(r["flops"] for r in rows)
    total_hours = sum(r["gpu_hours"] for r in rows) if device else None
    payload = {"method": "approach3", "form": fit.form.name, "target_flops": target,
               "params_opt": result["params_opt"], "sigma_log_loss": result["sigma"],
               "half_width_before": result["half_width_before"], "candidates": result["candidates"],
               "candidate_flops_range": result["candidate_range"], **device, "runs": rows,
               "total": {"runs": len(rows), "flops": total_flops, "gpu_hours": total_hours},
               "criterion": "greedy c-optimal design: largest decrease of the linearised variance of "
                            "log N_opt at the target budget"}
    notes = [f"Fitted N_opt at {sci(target)} FLOPs: {human_count(result['params_opt'])} parameters, 95% ±"
             f"{100 * result['half_width_before']:.1f}% from the {len(data)} trained runs (linearised, "
             f"log-loss noise {result['sigma']:.2g} from the fit's residuals).",
             "'N_opt ± after': the predicted 95% half-width once this run and those above it are trained.",
             f"{len(rows)} runs, {sci(total_flops)} FLOPs"
             + (f", {total_hours:,.0f} {device['gpu']} GPU-hours at MFU {device['mfu']:g}." if device else
                "; give --gpu for GPU-hours."),
             f"Chosen from {result['candidates']} IsoFLOP candidates between {sci(result['candidate_range'][0])} "
             f"and {sci(result['candidate_range'][1])} FLOPs."]
    columns = COLUMNS if device else COLUMNS[:-1]
    emit(fmt, payload, [Table(columns, rows, f"Next {len(rows)} runs for N_opt at {sci(target)} FLOPs", notes)])
