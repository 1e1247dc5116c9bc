"""Loss forms ``fit --form`` can fit, each the Approach 3 way (Huber on log loss, multi-start L-BFGS).

- ``chinchilla``: L = E + A/N^α + B/D^β (Hoffmann et al. 2022 eq. 2), the paper's 4,500-start grid.
- ``kaplan``: L = [(N_c/N)^(α_N/α_D) + D_c/D]^α_D (Kaplan et al. 2020 eq. 1.5), no irreducible term.
- ``gadre``: L(C, M) = E + (a·M^η + b·M^−η)·C^−η with C = 6ND, M = D/N (Gadre et al. 2024 eq. 4).
  Substituting C and M gives a·M^η·C^−η = a·6^−η·N^−2η and b·M^−η·C^−η = b·6^−η·D^−2η: Chinchilla's
  form with α = β = 2η, A = a·6^−η, B = b·6^−η. It is fitted in that tied parametrisation and its law
  file is a ``parametric`` one; the optimum has a fixed M* = (b/a)^(1/(2η)) (Gadre et al. eq. 10).
"""

import numpy as np

from scalingplan.laws.base import FLOPS_PER_PARAM_TOKEN
from scalingplan.laws.kaplan_nd import KaplanNDLaw
from scalingplan.laws.parametric import ParametricLaw
from scalingplan.fitting.approach3 import CHINCHILLA, Form, huber_objective, initial_grid


def kaplan_objective(theta, log_n, log_d, log_loss, delta):
    """Σᵢ Huber_δ(α_D·LSE(uᵢ, vᵢ) − log Lᵢ) and its gradient, θ = (log N_c, log D_c, α_N, α_D),
    uᵢ = (α_N/α_D)(log N_c − log Nᵢ), vᵢ = log D_c − log Dᵢ. With softmax weights w₁, w₂ of (u, v):
    ∂/∂log N_c = α_N·w₁, ∂/∂log D_c = α_D·w₂, ∂/∂α_N = w₁(log N_c − log N), ∂/∂α_D = LSE − w₁·u."""
    theta = np.atleast_2d(theta)
    n_c, d_c, alpha_n, alpha_d = (column[:, None] for column in theta.T)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        gap = n_c - log_n
        u = alpha_n / alpha_d * gap
        v = d_c - log_d
        top = np.maximum(u, v)
        eu, ev = np.exp(u - top), np.exp(v - top)
        lse = top + np.log(eu + ev)
        w1 = eu / (eu + ev)
        r = alpha_d * lse - log_loss
        psi = np.clip(r, -delta, delta)
        value = np.sum(psi * (r - 0.5 * psi), axis=1)
        grad = np.stack([(psi * alpha_n * w1).sum(axis=1), (psi * alpha_d * (1 - w1)).sum(axis=1),
                         (psi * w1 * gap).sum(axis=1), (psi * (lse - w1 * u)).sum(axis=1)], axis=1)
    bad = ~np.isfinite(value) | ~np.isfinite(grad).all(axis=1)
    value[bad] = np.inf
    grad[bad] = 0.0
    return value, grad


def _kaplan_predict(theta, log_n, log_d):
    n_c, d_c, alpha_n, alpha_d = theta
    return alpha_d * np.logaddexp(alpha_n / alpha_d * (n_c - log_n), d_c - log_d)


def _kaplan_grid():
    """log N_c, log D_c ∈ {10, 20, …, 50}; α_N, α_D ∈ {0.05, 0.1, 0.2, 0.4, 0.8}: 625 starts
    (Kaplan's own fit, N_c 6.4e13 and D_c 1.8e13 with α 0.076 and 0.095, lies inside)."""
    scale = np.arange(10.0, 51.0, 10.0)
    exponent = np.array([0.05, 0.1, 0.2, 0.4, 0.8])
    grid = np.meshgrid(scale, scale, exponent, exponent, indexing="ij")
    return np.stack([axis.ravel() for axis in grid], axis=1)


def _kaplan_constants(theta):
    n_c, d_c, alpha_n, alpha_d = (float(v) for v in theta)
    return {"N_c": float(np.exp(n_c)), "D_c": float(np.exp(d_c)), "alpha_N": alpha_n, "alpha_D": alpha_d}


def _tied(theta):
    """(a, b, e, κ) -> Chinchilla's θ = (a, b, e, κ, κ)."""
    theta = np.atleast_2d(theta)
    return np.concatenate([theta, theta[:, 3:4]], axis=1)


def gadre_objective(theta, log_n, log_d, log_loss, delta):
    """Chinchilla's Huber objective at α = β = κ; ∂/∂κ = ∂/∂α + ∂/∂β."""
    value, grad = huber_objective(_tied(theta), log_n, log_d, log_loss, delta)
    return value, np.concatenate([grad[:, :3], grad[:, 3:4] + grad[:, 4:5]], axis=1)


def _gadre_grid():
    """Chinchilla's grid on the diagonal α = β: 6·6·5·5 = 900 starts."""
    return np.unique(initial_grid()[:, :4], axis=0)


def gadre_constants(theta):
    """(log A, log B, log E, κ) -> Gadre's E, a, b, η with η = κ/2, a = A·6^η, b = B·6^η."""
    a_log, b_log, e_log, kappa = (float(v) for v in theta)
    eta = kappa / 2
    return {"E": float(np.exp(e_log)), "a_M": float(np.exp(a_log) * FLOPS_PER_PARAM_TOKEN**eta),
            "b_M": float(np.exp(b_log) * FLOPS_PER_PARAM_TOKEN**eta), "eta": eta}


def gadre_as_parametric(constants) -> dict:
    """Gadre's (E, a, b, η) as Chinchilla's (E, A, B, α, β)."""
    eta, scale = constants["eta"], FLOPS_PER_PARAM_TOKEN ** -constants["eta"]
    return {"E": constants["E"], "A": constants["a_M"] * scale, "B": constants["b_M"] * scale,
            "alpha": 2 * eta, "beta": 2 * eta}


def _kaplan_law(constants) -> KaplanNDLaw:
    return KaplanNDLaw("fit", constants)


def _gadre_predict(theta, log_n, log_d):
    return CHINCHILLA.predict_log(_tied(theta)[0], log_n, log_d)


def _gadre_law(constants) -> ParametricLaw:
    return ParametricLaw("fit", gadre_as_parametric(constants))


KAPLAN = Form("kaplan", ("log_N_c", "log_D_c", "alpha_N", "alpha_D"), kaplan_objective, _kaplan_predict,
              _kaplan_grid, _kaplan_constants, _kaplan_law,
              "L = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D (Kaplan et al. 2020 eq. 1.5)")
GADRE = Form("gadre", ("a", "b", "e", "kappa"), gadre_objective, _gadre_predict, _gadre_grid,
             gadre_constants, _gadre_law,
             "L = E + (a_M·M^eta + b_M·M^-eta)·C^-eta, M = D/N (Gadre et al. 2024 eq. 4)")
FORMS = {form.name: form for form in (CHINCHILLA, KAPLAN, GADRE)}


def derived(form: Form, constants: dict) -> dict:
    """Exponents of the optimum N_opt ∝ C^a, D_opt ∝ C^b, and what else each form implies."""
    law = form.law(constants)
    values = {"a": law.a, "b": law.b}
    if form.name == CHINCHILLA.name:
        values["G"] = law.G
    if form.name == GADRE.name:
        values["M_star"] = (constants["b_M"] / constants["a_M"]) ** (1 / (2 * constants["eta"]))
    return values
