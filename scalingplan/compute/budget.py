"""A training budget from what the user states: FLOPs, PF-days, or hardware × time."""

from scalingplan.errors import InputError
from scalingplan.numbers import parse_number, parse_positive
from scalingplan.constants import PF_DAY


def resolve_budget(flops=None, pf_days=None, gpu=None, count=None, days=None,
                   gpu_hours=None, mfu=None) -> dict | None:
    """The budget as ``{"flops", "pf_days", "description", ...}``, or None when nothing is given.

    Exactly one of ``flops``, ``pf_days`` or a hardware statement (``gpu`` with ``count`` and
    ``days``, or with ``gpu_hours``; ``mfu`` optional) may be given. Numbers may be strings.
    """
    hardware_given = any(v is not None for v in (gpu, count, days, gpu_hours, mfu))
    if hardware_given and gpu is None:
        options = [name for name, v in (("count", count), ("days", days), ("gpu_hours", gpu_hours),
                                        ("mfu", mfu)) if v is not None]
        raise InputError(" and ".join(f"{{{i}}}" for i in range(len(options)))
                         + f" need{'s' if len(options) == 1 else ''} {{{len(options)}}} to name the accelerator; "
                         f"a budget in FLOPs or PF-days takes none of them", mentions=(*options, "gpu"))
    given = [name for name, v in (("flops", flops), ("pf_days", pf_days)) if v is not None]
    if hardware_given:
        given.append("gpu")
    if len(given) > 1:
        raise InputError("give the budget one way only, not " + " and ".join(f"{{{i}}}" for i in range(len(given))),
                         mentions=tuple(given))
    if flops is not None:
        value = parse_positive(flops, "flops")
        return {"flops": value, "pf_days": value / PF_DAY, "description": "given in FLOPs"}
    if pf_days is not None:
        value = parse_positive(pf_days, "pf_days") * PF_DAY
        return {"flops": value, "pf_days": value / PF_DAY, "description": "given in PF-days"}
    if hardware_given:
        from scalingplan.compute.hardware import hardware_budget

        hardware = hardware_budget(
            gpu,
            count=None if count is None else parse_positive(count, "count"),
            days=None if days is None else parse_positive(days, "days"),
            gpu_hours=None if gpu_hours is None else parse_positive(gpu_hours, "gpu_hours"),
            mfu=None if mfu is None else parse_number(mfu, "mfu"),
        )
        return {"flops": hardware["flops"], "pf_days": hardware["flops"] / PF_DAY,
                "description": hardware["description"], "hardware": hardware}
    return None


def model_flops_budget(budget: dict | None, recompute: str) -> dict | None:
    """A hardware budget read as model FLOPs: with full recomputation the utilisation counts hardware
    FLOPs (8ND for 6ND of model FLOPs, ``memory.hardware_flops_factor``), so the budget buys 6/8 of
    them as model FLOPs. Budgets in FLOPs or PF-days, and other recomputation, are unchanged."""
    if not budget or "hardware" not in budget or recompute != "full":
        return budget
    from scalingplan.compute.memory import hardware_flops_factor

    factor = 1.0 / hardware_flops_factor("full")
    return dict(budget, flops=budget["flops"] * factor, pf_days=budget["pf_days"] * factor,
                description=budget["description"] + " read as HFU; × 6/8 model FLOPs with full recomputation")
