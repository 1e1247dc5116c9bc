"""What a fit reports: the JSON payload and the law file of a user's fit (plain dicts, no I/O)."""

import datetime

import numpy as np

from scalingplan.fitting.approach2 import Approach2Fit
from scalingplan.fitting.approach3 import HUBER_DELTA, Approach3Fit

DEFAULT_BUDGETS = (1e20, 1e22, 5.76e23, 1e25)
"""Budgets shown when none are asked for (5.76e23 is the Gopher/Chinchilla budget, Hoffmann et al. 2022)."""

MEANINGS = {
    "E": ("nats/token", "irreducible loss"),
    "A": ("", "model-size term: A/N^alpha"),
    "B": ("", "data term: B/D^beta"),
    "alpha": ("", "model-size exponent"),
    "beta": ("", "data exponent"),
    "G": ("params / FLOPs^a", "prefactor of N_opt = G·C^a"),
    "a": ("", "exponent of N_opt in C"),
    "G_D": ("tokens / FLOPs^b", "prefactor of D_opt = G_D·C^b"),
    "b": ("", "exponent of D_opt in C"),
}


def method_of(fit) -> str:
    return "approach3" if isinstance(fit, Approach3Fit) else "approach2"


def _finite_or_none(group: dict) -> dict:
    """A group's fields with the NaNs of a group that gave no minimum written as None ("not defined")."""
    def clean(value):
        if isinstance(value, (tuple, list)):
            return [clean(v) for v in value]
        return None if isinstance(value, float) and value != value else value

    return {key: clean(value) for key, value in group.items()}


def fit_summary(fit: Approach3Fit | Approach2Fit, budgets=DEFAULT_BUDGETS, boot=None) -> dict:
    """The JSON payload: constants, exponents, allocations at ``budgets``, fit quality, intervals, data."""
    if isinstance(fit, Approach3Fit):
        law = fit.law
        params = dict(fit.constants)
        a, b = law.a, law.b
        extra = {"G": law.G, "objective": fit.objective, "huber_delta": HUBER_DELTA,
                 "starts": fit.n_starts, "starts_converged": fit.n_converged, "status": fit.status}
        quality = "rms_log_loss_residual"
    else:
        params = {"G": fit.G, "a": fit.a, "G_D": fit.G_D, "b": fit.b}
        a, b = fit.a, fit.b
        used = [g for g in fit.groups if g.used]
        residual = np.log([g.params_opt for g in used]) - np.log([fit.G * g.flops ** fit.a for g in used])
        extra = {"objective": float(np.sum(residual**2)), "group_tolerance_dex": fit.tolerance_dex,
                 "groups": [_finite_or_none(vars(g)) for g in fit.groups]}
        quality = "rms_log_params_opt_residual"
    allocations = []
    for budget in budgets:
        n_opt, d_opt = (law.allocate(budget) if isinstance(fit, Approach3Fit) else fit.allocate(budget))
        row = {"flops": float(budget), "params": float(n_opt), "tokens": float(d_opt),
               "tokens_per_param": float(d_opt / n_opt),
               "loss": float(law.loss(n_opt, d_opt)) if isinstance(fit, Approach3Fit) else None}
        if boot is not None and f"params_opt@{budget:g}" in boot.names:
            row["params_interval"] = list(boot.interval(f"params_opt@{budget:g}"))
            row["tokens_interval"] = list(boot.interval(f"tokens_opt@{budget:g}"))
        allocations.append(row)
    payload = {
        "method": method_of(fit),
        "n_points": fit.n_points,
        "objective": extra.pop("objective"),
        "constants": params,
        "params": params,
        "a": a,
        "b": b,
        quality: fit.rms_log_residual,
        **extra,
        "allocations": allocations,
        "warnings": list(getattr(fit, "warnings", [])),
        "data": dict(fit.runs.source, n_points=fit.n_points),
    }
    if boot is not None:
        payload["bootstrap"] = {
            "resamples": boot.n_resamples, "failed": boot.n_failed, "seed": boot.seed,
            "percentiles": list(boot.percentiles),
            "intervals": {name: list(boot.interval(name)) for name in boot.names if "@" not in name},
        }
    return payload


def law_file(fit: Approach3Fit | Approach2Fit, name: str, boot=None, today=None) -> dict:
    """A law file for the registry (``--law path.yaml``), with the data's provenance."""
    today = today or datetime.date.today().isoformat()
    method = method_of(fit)
    if isinstance(fit, Approach3Fit):
        names, values = ("E", "A", "B", "alpha", "beta"), fit.constants
        form, how = "parametric", (f"Approach 3 of Hoffmann et al. 2022: L = E + A/N^alpha + B/D^beta, "
                                   f"Huber (delta = {HUBER_DELTA:g}) on log loss, L-BFGS from "
                                   f"{fit.n_starts} starts, best kept")
    else:
        names, values = ("G", "a"), fit.constants
        form, how = "power-law", (f"Approach 2 of Hoffmann et al. 2022: parabolas in log N per IsoFLOP "
                                  f"group (budgets within {fit.tolerance_dex:g} decades), N_opt = G·C^a "
                                  f"by least squares on log-log axes; C in FLOPs, D = C/(6N)")
    constants = {}
    for key in names:
        unit, meaning = MEANINGS[key]
        if boot is not None:
            low, high = boot.interval(key)
            lo_p, hi_p = boot.percentiles
            meaning += f" (bootstrap {lo_p:g}th-{hi_p:g}th percentiles {low:.4g} to {high:.4g})"
        constants[key] = {"value": float(values[key]), "unit": unit, "meaning": meaning}
    source = fit.runs.source
    data = {
        "name": name,
        "form": form,
        **({"quantity": "params"} if form == "power-law" else {}),
        "summary": f"user fit ({method}) to {source.get('file', 'runs')}",
        "constants": constants,
        "citation": {"variant": f"user fit by 'scalingplan fit', {today}", "method": how},
        "notes": [f"A user fit, not a published law: {fit.n_points} runs from {source.get('file', 'runs')}."],
        "provenance": {
            "file": source.get("file"), "sha256": source.get("sha256"), "rows": source.get("rows"),
            "n_points": fit.n_points, "columns": source.get("columns"),
            "exclusions": source.get("exclusions", []), "method": method, "date": today,
        },
    }
    if boot is not None:
        data["provenance"]["bootstrap"] = {"resamples": boot.n_resamples, "seed": boot.seed,
                                           "percentiles": list(boot.percentiles)}
    return data
