"""The next runs to train: those that most shrink the uncertainty of the fitted N_opt at a target budget.

Design criterion (c-optimality, linearised): near the fitted θ̂ the log loss of a run with sensitivity
row xᵢ = ∂ log L̂ᵢ/∂θ is linear in θ, so with independent log-loss errors of spread σ the fit's
covariance is σ²·M⁻¹, M = Σ xᵢxᵢᵀ over the runs, and Var(log N_opt(C*)) ≈ σ²·gᵀM⁻¹g with
g = ∂ log N_opt(C*)/∂θ. Adding a run x lowers gᵀM⁻¹g by (gᵀM⁻¹x)²/(1 + xᵀM⁻¹x) (Sherman–Morrison);
runs are chosen greedily, each the candidate with the largest decrease given those already chosen.
σ is the fit's RMS log residual. Candidates form an IsoFLOP grid around the fitted optimum (one
decade of sizes, as ``sweep``) from the smallest trained budget up to a per-run cap. Derivatives are central differences in θ.
"""

import numpy as np

from scalingplan.errors import InputError
from scalingplan.fitting.approach3 import Approach3Fit
from scalingplan.fitting.design import isoflop_design

Z95 = 1.959963984540054
"""Two-sided 95% normal quantile."""
STEP = 1e-5


def sensitivities(fit: Approach3Fit, params, tokens) -> np.ndarray:
    """Rows xᵢ = ∂ log L̂/∂θ at the fitted θ for runs (params, tokens)."""
    log_n, log_d = np.log(params), np.log(tokens)
    rows = []
    for k in range(len(fit.theta)):
        shift = np.zeros_like(fit.theta)
        shift[k] = STEP
        rows.append((fit.form.predict_log(fit.theta + shift, log_n, log_d)
                     - fit.form.predict_log(fit.theta - shift, log_n, log_d)) / (2 * STEP))
    return np.stack(rows, axis=1)


def optimum_gradient(fit: Approach3Fit, flops: float) -> np.ndarray:
    """g = ∂ log N_opt(C)/∂θ at the fitted θ."""
    def log_opt(theta):
        return np.log(fit.form.law(fit.form.constants(theta)).allocate(flops)[0])

    grad = np.empty(len(fit.theta))
    for k in range(len(fit.theta)):
        shift = np.zeros_like(fit.theta)
        shift[k] = STEP
        grad[k] = (log_opt(fit.theta + shift) - log_opt(fit.theta - shift)) / (2 * STEP)
    return grad


def suggest_runs(fit: Approach3Fit, target: float, count: int, max_flops: float | None = None,
                 per_budget: int = 9, spread: float = 1.0, per_decade: int = 2) -> dict:
    """Choose ``count`` runs greedily by the criterion above; each with the predicted 95% half-width
    of log N_opt(target) (as a relative ± on N_opt) once it and the runs before it are trained."""
    if count < 1:
        raise InputError(f"--runs: need at least 1, got {count}")
    runs = fit.runs
    low = float(runs.flops.min())
    high = float(max_flops) if max_flops is not None else 10.0 * float(runs.flops.max())
    if high < low:
        raise InputError(f"--max-flops {high:g} is below the smallest trained budget {low:g}")
    n_budgets = max(2, int(round(per_decade * np.log10(high / low))) + 1) if high > low else 1
    flops, params, tokens = isoflop_design(fit.law, low, high, n_budgets, per_budget, spread)
    sigma = max(fit.rms_log_residual, 1e-4)
    x_runs = sensitivities(fit, runs.params, runs.tokens)
    info = x_runs.T @ x_runs
    info += 1e-10 * np.trace(info) / len(info) * np.eye(len(info))  # guards an ill-posed design
    cov = np.linalg.inv(info)
    g = optimum_gradient(fit, target)
    candidates = sensitivities(fit, params, tokens)

    def half_width(c):
        return float(np.expm1(Z95 * sigma * np.sqrt(max(g @ c @ g, 0.0))))

    chosen, before = [], half_width(cov)
    available = np.ones(len(flops), dtype=bool)
    for _ in range(min(count, len(flops))):
        cx = candidates @ cov  # row j: (M⁻¹xⱼ)ᵀ
        gain = (cx @ g) ** 2 / (1.0 + np.einsum("ij,ij->i", cx, candidates))
        gain[~available] = -np.inf
        j = int(np.argmax(gain))
        available[j] = False
        u = cov @ candidates[j]
        cov = cov - np.outer(u, u) / (1.0 + candidates[j] @ u)
        chosen.append({"flops": float(flops[j]), "params": float(params[j]), "tokens": float(tokens[j]),
                       "half_width_after": half_width(cov)})
    return {"target_flops": float(target), "params_opt": float(fit.law.allocate(target)[0]),
            "sigma": sigma, "half_width_before": before, "candidates": int(len(flops)),
            "candidate_range": [low, high], "runs": chosen}
