"""What a fit reports: the JSON payload and the law file of a user's fit (plain dicts, no I/O)."""

import datetime

import numpy as np

from scalingplan.fitting.approach2 import Approach2Fit
from scalingplan.fitting.approach3 import HUBER_DELTA, Approach3Fit
from scalingplan.fitting.forms import GADRE, derived, gadre_as_parametric

FAR_DECADES = 1.0
"""A budget more than this many decades outside the runs' FLOPs is flagged as a far extrapolation."""

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
    "N_c": ("params", "model-size scale: (N_c/N)^(alpha_N/alpha_D)"),
    "D_c": ("tokens", "data scale: D_c/D"),
    "alpha_N": ("", "model-size exponent"),
    "alpha_D": ("", "data exponent (outer power)"),
    "a_M": ("", "over-training term: a_M·M^eta·C^-eta"),
    "b_M": ("", "under-training term: b_M·M^-eta·C^-eta"),
    "eta": ("", "compute exponent"),
    "M_star": ("tokens / param", "compute-optimal M = D/N = (b_M/a_M)^(1/(2 eta))"),
}


def extrapolation(flops, budgets, far=FAR_DECADES) -> list:
    """Budgets more than ``far`` decades outside [min, max] of the runs' ``flops``, with the signed
    distance in decades (positive above the largest run, negative below the smallest)."""
    low, high = np.log10(np.min(flops)), np.log10(np.max(flops))
    rows = []
    for budget in budgets:
        x = np.log10(budget)
        decades = x - high if x > high else (x - low if x < low else 0.0)
        if abs(decades) > far:
            rows.append({"flops": float(budget), "decades": float(decades)})
    return rows


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
        extra = derived(fit.form, params)
        a, b = extra.pop("a"), extra.pop("b")
        extra.update({"form": fit.form.name, "equation": fit.form.equation, "objective": fit.objective,
                      "huber_delta": HUBER_DELTA, "starts": fit.n_starts, "starts_converged": fit.n_converged,
                      "status": fit.status})
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
        "extrapolation": extrapolation(fit.runs.flops, budgets),
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


def validity_of(runs) -> dict:
    """The budgets and model sizes the runs span, as a law file's ``validity`` (so that planning
    past them is flagged as extrapolation, like the registry's laws)."""
    return {"flops": [float(runs.flops.min()), float(runs.flops.max())],
            "params": [float(runs.params.min()), float(runs.params.max())],
            "source": f"the {len(runs)} runs fitted ({runs.source.get('file', 'runs')})"}


def law_file(fit: Approach3Fit | Approach2Fit, name: str, boot=None, today=None) -> dict:
    """A law file for the registry (``--law path.yaml``), with the data's provenance."""
    today = today or datetime.date.today().isoformat()
    method = method_of(fit)
    if isinstance(fit, Approach3Fit):
        law = fit.law
        names, values, form = law.constant_names, law.constants, law.form
        how = (f"Approach 3 of Hoffmann et al. 2022 applied to {fit.form.equation}: Huber (delta = "
               f"{HUBER_DELTA:g}) on log loss, L-BFGS from {fit.n_starts} starts, best kept")
    else:
        names, values = ("G", "a"), fit.constants
        form, how = "power-law", (f"Approach 2 of Hoffmann et al. 2022: parabolas in log N per IsoFLOP "
                                  f"group (budgets within {fit.tolerance_dex:g} decades), N_opt = G·C^a "
                                  f"by least squares on log-log axes; C in FLOPs, D = C/(6N)")
    constants = {}
    for key in names:
        unit, meaning = MEANINGS[key]
        if boot is not None and key in boot.names:
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
    data["validity"] = validity_of(fit.runs)
    if isinstance(fit, Approach3Fit) and fit.form.name == GADRE.name:
        fitted = dict(fit.constants, **derived(GADRE, fit.constants))
        data["fitted_form"] = {"name": "gadre", "equation": GADRE.equation,
                               "constants": {key: float(fitted[key]) for key in ("E", "a_M", "b_M", "eta", "M_star")},
                               "as_parametric": "alpha = beta = 2 eta, A = a_M·6^-eta, B = b_M·6^-eta"}
    if boot is not None:
        data["provenance"]["bootstrap"] = {"resamples": boot.n_resamples, "seed": boot.seed,
                                           "percentiles": list(boot.percentiles),
                                           "samples": law_samples(fit, boot)}
    return data


def law_samples(fit, boot) -> dict:
    """The law file's constants in every bootstrap refit, column by column (``fit-compare`` reads them)."""
    rows = [dict(zip(boot.names, row)) for row in boot.samples]
    if isinstance(fit, Approach3Fit) and fit.form.name == GADRE.name:
        rows = [gadre_as_parametric(row) for row in rows]
    names = fit.law.constant_names if isinstance(fit, Approach3Fit) else ("G", "a")
    return {key: [float(row[key]) for row in rows] for key in names}
