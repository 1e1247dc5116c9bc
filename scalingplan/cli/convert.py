"""`scalingplan convert`: FLOPs, PF-days and accelerator time for one amount of compute."""

from typing import Annotated

import typer

from scalingplan.compute import hardware
from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive
from scalingplan.output.render import Column, Table, sci
from scalingplan.constants import PF_DAY
from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT, Count, Gpu, Mfu, PricePerHour, with_options

UNITS = ("flops", "pf-days", "gpu-hours")


def columns(count, price) -> list:
    cols = [
        Column("Accelerator", "name", "text"),
        Column("Peak TFLOP/s", "peak_tflops", "text"),
        Column("Precision", "precision", "text"),
        Column("MFU", "mfu", "plain"),
        Column("GPU-hours", "gpu_hours", "plain"),
    ]
    if count is not None:
        cols.append(Column(f"Days on {count:,}", "days", "plain"))
    if price is not None:
        cols.append(Column("Cost", "cost", "plain"))
    return cols


@with_options(OUTPUT)
def convert(
    value: Annotated[str, typer.Argument(help="An amount of compute, e.g. 5.76e23 (in the --from unit).",
                                         show_default=False)],
    unit: Annotated[str, typer.Option("--from", help="Unit of VALUE: flops, pf-days or gpu-hours (with --gpu).")] = "flops",
    gpu: Gpu = None,
    count: Count = None,
    mfu: Mfu = None,
    price_per_hour: PricePerHour = None,
    fmt: str = "table",
):
    """Convert compute between FLOPs, PF-days and GPU-hours on every catalogued accelerator.

    Peak figures are dense per-chip throughput ('scalingplan hardware' lists them with sources).
    With --from gpu-hours, --gpu names the accelerator the hours are on; --count adds wall-clock days.

    Examples:

    scalingplan convert 5.76e23 --count 1024 --mfu 0.4 --price-per-hour 2.5

    scalingplan convert 6666.7 --from pf-days

    scalingplan convert 200000 --from gpu-hours --gpu h100
    """
    unit = unit.lower()
    if unit not in UNITS:
        raise InputError(f"--from: unknown unit '{unit}'; choose one of {', '.join(UNITS)}")
    amount = parse_positive(value, "VALUE")
    if mfu is None:
        from scalingplan.cli.settings import setting

        mfu = setting("mfu")  # the user's default, checked when the config was read
    mfu_value = hardware.default_mfu() if mfu is None else hardware.check_mfu(mfu)
    source = {"value": amount, "unit": unit}
    if unit == "gpu-hours":
        if gpu is None:
            raise InputError("--from gpu-hours needs --gpu to name the accelerator, e.g. --gpu h100")
        budget = hardware.hardware_budget(gpu, gpu_hours=amount, mfu=mfu_value)
        total = budget["flops"]
        source.update(gpu=budget["gpu"], description=budget["description"])
    elif gpu is not None:
        raise InputError("--gpu is only used with --from gpu-hours (every accelerator is listed)")
    else:
        total = amount * PF_DAY if unit == "pf-days" else amount
    rows = hardware.hardware_rows(total, mfu_value, count, price_per_hour)
    payload = {"flops": total, "pf_days": total / PF_DAY, "from": source,
               "mfu": mfu_value, "hardware": rows}
    n = None
    if count is not None:
        n = hardware.check_count(count)
        payload["count"] = n
    price = None
    if price_per_hour is not None:
        price = parse_positive(price_per_hour, "--price-per-hour")
        payload["price_per_hour"] = price
    table_rows = [dict(r, peak_tflops=f"{r['peak_flops'] / 1e12:g}") for r in rows]
    title = f"{sci(total)} FLOPs = {total / PF_DAY:,.5g} PF-days"
    if unit == "gpu-hours":
        title += f" = {source['description']}"
    notes = ["Peak: dense per-chip throughput (no sparsity); GPU-hours = FLOPs / (peak × MFU) / 3600."]
    if mfu is None:
        notes.append(f"MFU {mfu_value:g} by default: {hardware.load_catalogue()['default_mfu_source']}")
    emit(fmt, payload, [Table(columns(n, price), table_rows, title, notes)])
