"""Effective compute between two fitted laws: how many times more compute law A needs to reach the
loss law B reaches at a budget, both at their compute-optimal allocations (the compute multiplier
at equal loss used to compare training recipes along a model ladder, e.g. OLMo's ladder work).

multiplier(C) = C_A(L_B(C)) / C, where L_B(C) is B's compute-optimal loss and C_A(L) the smallest
budget at which A's compute-optimal loss reaches L (``Law.loss_budget``). Above 1, B is the better
recipe. With bootstrap samples of both laws, sample i of A is paired with sample i of B (the two fits
are independent) and the interval is the percentile range of the paired multipliers.
"""

import numpy as np

from scalingplan.errors import InputError


def multiplier(law_a, law_b, flops: float) -> float:
    """C_A(L_B(C))/C; inf when A never reaches B's loss (B's loss is at or below A's floor)."""
    return law_a.loss_budget(float(law_b.optimal_loss(flops))) / flops


def sample_laws(law) -> list:
    """Laws built from the bootstrap samples a fitted law file carries (empty when it has none);
    InputError naming the law when they are not lists of numbers, one per constant."""
    from collections.abc import Mapping

    from scalingplan.numbers import parse_number

    where = f"{law.meta.get('source') or law.name}: provenance.bootstrap.samples"
    samples = law.meta.get("provenance") or {}
    for key in ("bootstrap", "samples"):
        if not isinstance(samples, Mapping):
            raise InputError(f"{where}: expected a mapping of each constant to a list of numbers")
        samples = samples.get(key) or {}
    if not isinstance(samples, Mapping):
        raise InputError(f"{where}: expected a mapping of each constant to a list of numbers")
    names = type(law).constant_names
    if not samples or any(name not in samples for name in names):
        return []
    columns = {}
    for name in names:
        if not isinstance(samples[name], (list, tuple)):
            raise InputError(f"{where}.{name}: expected a list of numbers")
        columns[name] = [parse_number(value, f"{where}.{name}") for value in samples[name]]
    laws = []
    for i in range(min(len(column) for column in columns.values())):
        try:
            laws.append(type(law)(law.name, {name: columns[name][i] for name in names}))
        except ValueError:  # a resample outside the form's domain
            continue
    return laws


def compare(law_a, law_b, budgets, level: float = 0.95) -> dict:
    """Multiplier of B over A at each budget, with a percentile interval when both laws carry samples."""
    for law in (law_a, law_b):
        if not law.predicts_loss:
            raise InputError(f"law '{law.name}' predicts no loss (a {law.form} law); effective compute "
                             "needs loss laws (fit with approach3)")
    pairs = list(zip(sample_laws(law_a), sample_laws(law_b)))
    tail = 50.0 * (1.0 - level)
    rows = []
    for budget in budgets:
        row = {"flops": float(budget), "loss_a": float(law_a.optimal_loss(budget)),
               "loss_b": float(law_b.optimal_loss(budget)), "multiplier": multiplier(law_a, law_b, budget)}
        row["equal_loss_flops"] = row["multiplier"] * budget
        if pairs:
            values = np.array([multiplier(a, b, budget) for a, b in pairs])
            # interpolating next to an infinite multiplier is undefined: take the nearest order statistic
            method = "linear" if np.isfinite(values).all() else "nearest"
            row["interval"] = [float(v) for v in np.percentile(values, [tail, 100.0 - tail], method=method)]
        rows.append(row)
    return {"rows": rows, "samples": len(pairs), "level": level}
