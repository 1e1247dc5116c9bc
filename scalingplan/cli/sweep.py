"""`scalingplan sweep`: an IsoFLOP design of runs to train (Hoffmann et al. 2022 §3.2)."""

from typing import Annotated, Optional

import typer

from scalingplan.output.render import Column, Table, sci
from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT, Gpu, Mfu, ModelConfig, budget_range, device as device_of, with_options

COLUMNS = [
    Column("Budget", "flops", "flops"),
    Column("Params", "params", "count"),
    Column("Tokens", "tokens", "count"),
    Column("Layers", "layers", "plain"),
    Column("d_model", "d_model", "plain"),
    Column("Heads", "heads", "plain"),
    Column("FFW", "ffw_size", "plain"),
    Column("GPU-hours", "gpu_hours", "plain"),
]
CSV_KEYS = ("flops", "params", "tokens", "loss", "layers", "d_model", "heads", "ffw_size", "gpu_hours")
DEFAULT_LAW = "epoch2024"


@with_options(OUTPUT, budget_range("1e18", "1e20"))
def sweep(
    budgets: Annotated[int, typer.Option("--budgets", help="Number of budgets, log-spaced.")] = 5,
    per_budget: Annotated[int, typer.Option("--per-budget", help="Model sizes per budget.")] = 9,
    spread: Annotated[float, typer.Option("--spread", help="Width of each budget's sizes in decades, centred on the prior law's optimum.")] = 1.0,
    law: Annotated[Optional[str], typer.Option("--law", "-l", help=f"Prior law whose optimum centres each budget (default {DEFAULT_LAW}).")] = None,
    gpu: Gpu = None,
    mfu: Mfu = None,
    config: ModelConfig = None,
    budget_range=None,
    fmt: str = "table",
):
    """An IsoFLOP sweep: model sizes around a prior law's optimum at each budget, with shapes and cost.

    Example: scalingplan sweep --from 1e18 --to 1e20 --budgets 5 --per-budget 9 --gpu h100
    (--config Meta-Llama-3-8B shapes the runs like that model; --format csv writes a runs file for 'scalingplan fit', with an empty loss column to fill in).
    """
    from scalingplan.catalogues.registry import load_law
    from scalingplan.fitting.design import sweep_runs

    prior = load_law(law or DEFAULT_LAW)
    device = device_of(gpu, mfu)
    conventions = None
    if config is not None:  # shapes of the config.json's family: its MLP, vocabulary, heads, embeddings
        from scalingplan.cli.options import like_settings, shape_settings

        conventions = shape_settings(seq_len="4096", **like_settings(config))
    runs = sweep_runs(prior, budget_range.low, budget_range.high, budgets, per_budget,
                      spread, device.get("peak_flops"), device.get("mfu"), conventions)
    total_flops = sum(run["flops"] for run in runs)
    total_hours = sum(run["gpu_hours"] for run in runs) if device else None
    payload = {"law": prior.name, "spread_decades": spread,
               "budgets": sorted({run["flops"] for run in runs}), "per_budget": per_budget,
               **device, "runs": runs,
               "total": {"runs": len(runs), "flops": total_flops, "gpu_hours": total_hours}}
    notes = [f"{len(runs)} runs, {sci(total_flops)} FLOPs in all"
             + (f", {total_hours:,.0f} {device['gpu']} GPU-hours at MFU {device['mfu']:g}." if device else
                "; give --gpu for GPU-hours."),
             f"Sizes span {spread:g} decade{'' if spread == 1 else 's'} around {prior.name}'s N_opt at each "
             "budget; tokens D = C/(6N).",
             ("Shapes from 'scalingplan shape' conventions (SwiGLU, head dim 128, width a multiple of 128, "
              "aspect near 128, vocabulary 32,000, untied)" if conventions is None else
              f"Shapes like {config}: {conventions['mlp']}, head dim {conventions['head_dim']}, vocabulary "
              f"{conventions['vocab']:,}, {conventions['embeddings']}, aspect near 128")
             + "; depth and width grow with size in each budget; Params is the shape's total count."]
    columns = COLUMNS if device else COLUMNS[:-1]
    table = Table(columns, runs, f"IsoFLOP sweep: {len(payload['budgets'])} budgets × {per_budget} sizes",
                  notes)
    csv_table = Table([Column(key, key) for key in CSV_KEYS], runs)
    emit(fmt, payload, [table], csv_table)
