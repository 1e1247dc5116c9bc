"""Brute-force oracles beside every closed form: argmin or crossing over a fine log grid."""

import numpy as np
import pytest

from scalingplan import available, load_law
from scalingplan.laws import ParametricLaw

PARAMETRIC = [name for name in available() if load_law(name).form == "parametric"]
# Forms whose optimum is itself a numeric search have their own oracles (tests/test_new_forms.py).
CLOSED_FORM = [name for name in available() if not hasattr(load_law(name), "optimum")]
LOSS_LAWS = [name for name in CLOSED_FORM if load_law(name).predicts_loss]
GRID_STEP = 10 ** (1 / 20000)  # 0.0115% between grid points


def log_grid(lo, hi):
    return np.exp(np.arange(np.log(lo), np.log(hi), np.log(GRID_STEP)))


@pytest.mark.parametrize("name", PARAMETRIC)
@pytest.mark.parametrize("flops", [1e19, 5.76e23, 1e27])
def test_parametric_optimum_is_the_argmin_of_loss_on_the_budget(name, flops):
    """N_opt of eq. 4 (Hoffmann et al. §3.3) against argmin over N of L(N, C/(6N))."""
    law = load_law(name)
    params = log_grid(flops**0.5 / 1e4, flops**0.5 * 1e2)
    losses = law.loss(params, flops / (6 * params))
    brute = params[np.argmin(losses)]
    closed, _ = law.allocate(flops)
    assert closed == pytest.approx(brute, rel=5e-4)
    assert law.optimal_loss(flops) <= losses.min() + 1e-12


def test_oracle_catches_the_inverted_allocation_formula():
    """N/D = βB/(αA) instead of the optimum: the oracle must see the difference."""
    law = load_law("epoch2024")
    flops = 1e23
    params = log_grid(1e8, 1e13)
    brute = params[np.argmin(law.loss(params, flops / (6 * params)))]
    wrong_ratio = law.beta * law.B / (law.alpha * law.A)  # N/D, the wrong way round
    wrong = np.sqrt(flops / 6 * wrong_ratio)
    assert abs(wrong / brute - 1) > 0.05


@pytest.mark.parametrize("name", LOSS_LAWS)
@pytest.mark.parametrize("target", [2.0, 2.5, 3.0])
def test_loss_budget_is_the_smallest_budget_reaching_the_target(name, target):
    law = load_law(name)
    budget = law.loss_budget(target)
    flops = log_grid(budget / 10, budget * 10)
    reached = flops[law.optimal_loss(flops) <= target]
    assert budget == pytest.approx(reached.min(), rel=5e-4)
    assert law.optimal_loss(budget) == pytest.approx(target, rel=1e-9)


def test_parametric_loss_budget_closed_form_agrees_with_bisection():
    law = load_law("chinchilla-3")
    generic = super(ParametricLaw, law).loss_budget  # the bisection of the base class
    for target in (1.8, 2.0, 3.0):
        assert law.loss_budget(target) == pytest.approx(generic(target), rel=1e-10)
    assert law.loss_budget(law.E) == float("inf")


@pytest.mark.parametrize("name", CLOSED_FORM)
@pytest.mark.parametrize("params", [1e8, 7e9, 1e12])
def test_params_budget_is_where_the_optimal_size_crosses_params(name, params):
    law = load_law(name)
    budget = law.params_budget(params)
    flops = log_grid(budget / 10, budget * 10)
    optimal = law.allocate(flops)[0]
    crossing = flops[np.argmin(np.abs(np.log(optimal / params)))]
    assert budget == pytest.approx(crossing, rel=5e-4)


@pytest.mark.parametrize("name", PARAMETRIC)
def test_frontier_loss_closed_form(name):
    """L_opt(C) = E + K·(C/6)^-γ against the loss evaluated at the allocation."""
    law = load_law(name)
    K, gamma = law.frontier_coefficients()
    flops = np.logspace(18, 28, 11)
    assert np.allclose(law.E + K * (flops / 6) ** -gamma, law.optimal_loss(flops), rtol=1e-12)
