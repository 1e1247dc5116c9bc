"""Accelerator catalogue (configs/hardware.yaml) and conversions between FLOPs and GPU time.

GPU-hours = FLOPs / (peak FLOP/s x MFU) / 3600; wall-clock days = GPU-hours / count / 24.
Peak is the dense per-chip figure (reference sheet §5); MFU is model FLOPs utilization.
"""

from __future__ import annotations

import functools

from scalingplan.constants import HOURS_PER_DAY, SECONDS_PER_HOUR
from scalingplan.errors import InputError, closest
from scalingplan.numbers import parse_number, parse_positive, parse_whole



def _normalise(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


@functools.lru_cache(maxsize=None)
def load_catalogue() -> dict:
    """Read configs/hardware.yaml once: {"default_mfu", "default_mfu_source", "default_pue",
    "default_grid_intensity" (each with its "..._source"), "accelerators": [...]}.

    Each accelerator: name, aliases, peak_flops (FLOP/s), precision, source, memory_bytes (vendor GB
    x 1e9), tdp_watts (None when unpublished) and memory_source.
    """
    from scalingplan.catalogues.paths import config_path
    from scalingplan.catalogues.yamlfile import read_yaml_cached

    doc = read_yaml_cached([config_path("hardware.yaml")], "hardware", "hardware catalogue")[0]
    accelerators = []
    for index, entry in enumerate(doc.data["accelerators"]):
        peak = doc.number("accelerators", index, "peak_tflops")
        if peak <= 0:
            raise doc.error(("accelerators", index, "peak_tflops"), "must be positive")
        memory = doc.number("accelerators", index, "memory_gb")
        tdp = entry.get("tdp_watts")
        tdp = None if tdp is None else doc.number("accelerators", index, "tdp_watts")
        if memory <= 0 or (tdp is not None and tdp <= 0):
            raise doc.error(("accelerators", index), "memory_gb and tdp_watts must be positive")
        wires = {}
        for key in ("hbm_gbps", "link_gbps", "gpus_per_node", "network_gbps", "gemm_efficiency"):
            wires[key] = doc.number("accelerators", index, key)
            if wires[key] <= 0:
                raise doc.error(("accelerators", index, key), "must be positive")
        fp8 = entry.get("fp8_tflops")
        fp8 = None if fp8 is None else doc.number("accelerators", index, "fp8_tflops")
        accelerators.append({
            "hbm_bandwidth": wires["hbm_gbps"] * 1e9,
            "link_bandwidth": wires["link_gbps"] * 1e9,
            "gpus_per_node": int(wires["gpus_per_node"]),
            "network_bandwidth": wires["network_gbps"] * 1e9,
            "gemm_efficiency": wires["gemm_efficiency"],
            "fp8_flops": None if fp8 is None else fp8 * 1e12,
            "wires_source": str(entry.get("wires_source", "")),
            "name": str(entry["name"]),
            "aliases": [str(a) for a in entry.get("aliases", [])],
            "peak_flops": peak * 1e12,
            "precision": str(entry["precision"]),
            "source": str(entry["source"]),
            "memory_bytes": memory * 1e9,
            "tdp_watts": tdp,
            "memory_source": str(entry["memory_source"]),
        })
    catalogue = {"accelerators": accelerators}
    for key in ("default_mfu", "default_pue", "default_grid_intensity"):
        catalogue[key] = doc.number(key, "value")
        catalogue[f"{key}_source"] = " ".join(str(doc.data[key]["source"]).split())
    catalogue["default_mfu"] = check_mfu(catalogue["default_mfu"])
    return catalogue


def accelerator_names() -> list[str]:
    """Canonical names, catalogue order."""
    return [a["name"] for a in load_catalogue()["accelerators"]]


def find_accelerator(name: str) -> dict:
    """Look an accelerator up by name or alias, ignoring case, spaces and dashes ('h100', 'H100 SXM5')."""
    key = _normalise(name)
    choices = []
    for entry in load_catalogue()["accelerators"]:
        labels = [entry["name"], *entry["aliases"]]
        if key and key in (_normalise(label) for label in labels):
            return entry
        choices.extend(labels)
    raise InputError(f"unknown accelerator '{name}'{same_kind(str(name), choices)}"
                     f" (known: {', '.join(accelerator_names())})", "gpu")


def chip(name: str) -> str:
    """The leading model token of an accelerator name, normalised: 'h100' for 'H100 SXM5' and
    'h100-80gb', 'tpuv5' for 'TPU v5e'; '' when the name has no digits."""
    import re

    token = re.match(r"[a-z\s_-]*?\d+", str(name).strip().lower())
    return _normalise(token.group()) if token else ""


def same_kind(name: str, labels: list) -> str:
    """' (did you mean ...?)' naming every accelerator of the same chip as ``name`` ('h100-80gb' gives
    the H100s), else the closest name by spelling."""
    kind = [entry["name"] for entry in load_catalogue()["accelerators"]
            if chip(name) and chip(name) in (chip(label) for label in [entry["name"], *entry["aliases"]])]
    if kind:
        return f" (did you mean {' or '.join(repr(k) for k in kind)}?)"
    return closest(name, labels)


PRECISIONS = ("bf16", "fp16", "fp8")


def wires_for(gpu, precision: str | None = None, hbm_gbps=None, link_gbps=None, gpus_per_node=None,
              network_gbps=None, memory_gb=None):
    """The step-time model's view of an accelerator (throughput.Wires): the catalogue's figures, each
    overridable; ``precision`` bf16/fp16 (the 16-bit peak) or fp8 (InputError on chips without it)."""
    from scalingplan.compute.throughput import Wires

    entry = gpu if isinstance(gpu, dict) else find_accelerator(gpu)
    precision = (precision or "bf16").lower()
    if precision not in PRECISIONS:
        raise InputError(f"must be one of {', '.join(PRECISIONS)}, got {precision!r}", "precision")
    peak = entry["peak_flops"]
    if precision == "fp8":
        if entry["fp8_flops"] is None:
            raise InputError(f"{entry['name']} has no FP8 tensor cores; use bf16", "precision")
        peak = entry["fp8_flops"]

    def given(value, flag, default, scale=1.0):
        return default if value is None else parse_positive(value, flag) * scale

    node = entry["gpus_per_node"] if gpus_per_node is None else parse_whole(gpus_per_node, "gpus_per_node")
    return Wires(entry["name"], peak, entry["gemm_efficiency"],
                 given(hbm_gbps, "hbm_gbps", entry["hbm_bandwidth"], 1e9),
                 given(link_gbps, "link_gbps", entry["link_bandwidth"], 1e9), node,
                 given(network_gbps, "network_gbps", entry["network_bandwidth"], 1e9),
                 given(memory_gb, "memory_gb", entry["memory_bytes"], 1e9))


def default_mfu() -> float:
    """The catalogue's default MFU (its source is ``load_catalogue()['default_mfu_source']``)."""
    return load_catalogue()["default_mfu"]


def check_mfu(mfu) -> float:
    """MFU as a float in (0, 1]."""
    value = parse_number(mfu, "mfu")
    if not 0.0 < value <= 1.0:
        raise InputError(f"must be in (0, 1] (a fraction such as 0.4, not 40), got {mfu!r}", "mfu")
    return value


MAX_COUNT = 10_000_000
"""Accelerators in one job: the largest clusters hold a few hundred thousand; layouts are searched
over the divisors of the count."""


def check_count(count) -> int:
    """Accelerator count: a positive whole number, at most MAX_COUNT."""
    return parse_whole(count, "count", high=MAX_COUNT)


def gpu_hours_for(flops: float, peak_flops: float, mfu: float) -> float:
    """GPU-hours to do ``flops`` at ``mfu`` of ``peak_flops`` FLOP/s per chip."""
    return flops / (peak_flops * mfu) / SECONDS_PER_HOUR


def flops_for(gpu_hours: float, peak_flops: float, mfu: float) -> float:
    """FLOPs done in ``gpu_hours`` at ``mfu`` of ``peak_flops`` FLOP/s per chip (inverse of gpu_hours_for)."""
    return gpu_hours * SECONDS_PER_HOUR * peak_flops * mfu


def wall_clock_days(gpu_hours: float, count: int) -> float:
    """Days of wall-clock time when ``count`` chips share ``gpu_hours``."""
    return gpu_hours / count / HOURS_PER_DAY


def _fmt(value: float) -> str:
    """1024 -> '1024', 30 -> '30', 2.5 -> '2.5', 200000 -> '200,000', 1.5e9 -> '1.5e+09'."""
    if value == int(value) and abs(value) < 1e9:
        return f"{int(value):,}" if abs(value) >= 1e4 else str(int(value))
    return f"{value:.4g}"


def describe_accelerator(entry: dict) -> str:
    """'H100 SXM5 (989.4 TFLOP/s BF16)'."""
    return f"{entry['name']} ({entry['peak_flops'] / 1e12:g} TFLOP/s {entry['precision']})"


def hardware_budget(gpu: str, count=None, days=None, gpu_hours=None, mfu=None) -> dict:
    """A compute budget from hardware: either ``count`` chips for ``days`` days, or ``gpu_hours``.

    FLOPs = GPU-hours x 3600 x peak x MFU, with GPU-hours = count x days x 24. ``mfu`` defaults to
    the catalogue's default. Returns flops, description, gpu (canonical name), peak_flops, precision,
    mfu, gpu_hours, count, days (None when not given) and source. Raises InputError on an unknown
    accelerator, an MFU outside (0, 1], non-positive numbers, or a bad combination of arguments.
    """
    entry = find_accelerator(gpu)
    mfu = default_mfu() if mfu is None else check_mfu(mfu)
    by_time = count is not None or days is not None
    if by_time and gpu_hours is not None:
        raise InputError("give either {0} and {1}, or {2}, not both", mentions=("count", "days", "gpu_hours"))
    if by_time:
        if count is None or days is None:
            raise InputError("{0} and {1} go together (or give {2} instead)", mentions=("count", "days", "gpu_hours"))
        count = check_count(count)
        days = parse_positive(days, "days")
        hours = count * days * HOURS_PER_DAY
        how = f"{count} × {describe_accelerator(entry)} × {_fmt(days)} days × MFU {mfu:.2f}"
    elif gpu_hours is not None:
        hours = parse_positive(gpu_hours, "gpu_hours")
        how = f"{_fmt(hours)} GPU-hours × {describe_accelerator(entry)} × MFU {mfu:.2f}"
    else:
        raise InputError(f"{gpu} needs {{0}} and {{1}}, or {{2}}", "gpu", ("count", "days", "gpu_hours"))
    return {
        "flops": flops_for(hours, entry["peak_flops"], mfu),
        "description": how,
        "gpu": entry["name"],
        "peak_flops": entry["peak_flops"],
        "precision": entry["precision"],
        "mfu": mfu,
        "gpu_hours": hours,
        "count": count,
        "days": days,
        "source": entry["source"],
    }


def hardware_rows(flops: float, mfu=None, count=None, price_per_hour=None) -> list[dict]:
    """For every catalogue accelerator: name, peak_flops, precision, mfu, gpu_hours, and
    days (when ``count`` is given) and cost (when ``price_per_hour``, per GPU-hour, is given)."""
    mfu = default_mfu() if mfu is None else check_mfu(mfu)
    count = None if count is None else check_count(count)
    price = None if price_per_hour is None else parse_positive(price_per_hour, "price_per_hour")
    rows = []
    for entry in load_catalogue()["accelerators"]:
        hours = gpu_hours_for(flops, entry["peak_flops"], mfu)
        row = {"name": entry["name"], "peak_flops": entry["peak_flops"], "precision": entry["precision"],
               "mfu": mfu, "gpu_hours": hours}
        if count is not None:
            row["days"] = wall_clock_days(hours, count)
        if price is not None:
            row["cost"] = hours * price
        rows.append(row)
    return rows
