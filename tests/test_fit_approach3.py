"""Approach 3 fitting: objective, gradient, batched L-BFGS, recovery of known constants, and the
Besiroglu et al. 2024 refit of the Chinchilla Figure 4 data."""

from pathlib import Path

import numpy as np
import pytest

from scalingplan.fitting import approach3 as a3
from scalingplan.fitting.lbfgs import minimize_batch
from scalingplan.fitting.runs import exclude, make_runs, read_runs

DATA = Path(__file__).resolve().parent / "data" / "chinchilla_fig4_extracted.csv"

CHINCHILLA = dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)  # Hoffmann et al. 2022, App. D.2


def synthetic_runs(constants, noise, seed=0):
    """Runs on a grid of sizes and token counts, loss from the law times log-normal noise."""
    rng = np.random.default_rng(seed)
    params, tokens = np.meshgrid(np.geomspace(5e7, 1.5e10, 10), np.geomspace(1e9, 4e11, 10))
    params, tokens = params.ravel(), tokens.ravel()
    loss = a3.predict_loss(constants, params, tokens) * np.exp(noise * rng.standard_normal(params.size))
    return make_runs(params, loss, tokens=tokens)


def log_data(runs):
    return np.log(runs.params), np.log(runs.tokens), np.log(runs.loss)


def test_grid_is_the_papers_4500_starts():
    grid = a3.initial_grid()
    assert grid.shape == (4500, 5)
    for column, values in zip(grid.T, ([0, 5, 10, 15, 20, 25], [0, 5, 10, 15, 20, 25],
                                       [-1, -0.5, 0, 0.5, 1], [0, 0.5, 1, 1.5, 2], [0, 0.5, 1, 1.5, 2])):
        assert sorted(set(column)) == values
    assert len(np.unique(grid, axis=0)) == 4500


def test_objective_matches_a_direct_huber_sum():
    from scipy.special import huber

    runs = synthetic_runs(CHINCHILLA, 0.01)
    log_n, log_d, log_l = log_data(runs)
    rng = np.random.default_rng(1)
    theta = a3.from_constants(**CHINCHILLA) + 0.05 * rng.standard_normal((7, 5))
    value, _ = a3.huber_objective(theta, log_n, log_d, log_l)
    for row, got in zip(theta, value):
        a, b, e, alpha, beta = row
        prediction = np.log(np.exp(a - alpha * log_n) + np.exp(b - beta * log_d) + np.exp(e))
        assert got == pytest.approx(huber(1e-3, prediction - log_l).sum(), rel=1e-12)


def test_gradient_matches_finite_differences():
    runs = synthetic_runs(CHINCHILLA, 0.01)
    data = log_data(runs)
    rng = np.random.default_rng(2)
    # points near the optimum (mixed Huber regimes) and far from it (all residuals in the linear part)
    thetas = np.vstack([a3.from_constants(**CHINCHILLA) + 0.002 * rng.standard_normal((3, 5)),
                        a3.initial_grid()[rng.choice(4500, 5, replace=False)]])
    _, grad = a3.huber_objective(thetas, *data)
    step = 1e-6
    for j in range(5):
        shift = np.zeros(5)
        shift[j] = step
        up, _ = a3.huber_objective(thetas + shift, *data)
        down, _ = a3.huber_objective(thetas - shift, *data)
        numeric = (up - down) / (2 * step)
        np.testing.assert_allclose(grad[:, j], numeric, rtol=1e-5, atol=1e-9)


def test_batched_lbfgs_agrees_with_scipy_from_the_same_starts():
    from scipy.optimize import minimize

    runs = exclude(read_runs(DATA, params_col="Model Size", flops_col="Training FLOP"), drop_highest_loss=5)
    data = log_data(runs)
    starts = a3.initial_grid()[[0, 1500, 3999]]
    batch = minimize_batch(lambda t: a3.huber_objective(t, *data), starts, gtol=1e-10, ftol=1e-15, maxiter=5000)

    def scalar(theta):
        value, grad = a3.huber_objective(theta[None, :], *data)
        return value[0], grad[0]

    for start, x, f in zip(starts, batch.x, batch.f):
        reference = minimize(scalar, start, jac=True, method="L-BFGS-B",
                             options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 15000, "maxfun": 30000})
        assert f == pytest.approx(reference.fun, rel=1e-7, abs=1e-12)
        if reference.fun < 2e-3:  # a proper minimum: the points agree too (far starts can stall on plateaus)
            np.testing.assert_allclose(x, reference.x, atol=2e-3)


def test_recovers_known_constants_from_noisy_synthetic_runs():
    truth = dict(E=1.8, A=500.0, B=2000.0, alpha=0.35, beta=0.37)
    fit = a3.fit_approach3(synthetic_runs(truth, noise=0.003, seed=3), starts=a3.initial_grid()[::5])
    got = fit.constants
    assert got["E"] == pytest.approx(truth["E"], rel=0.02)
    assert got["alpha"] == pytest.approx(truth["alpha"], abs=0.02)
    assert got["beta"] == pytest.approx(truth["beta"], abs=0.02)
    assert got["A"] == pytest.approx(truth["A"], rel=0.3)
    assert got["B"] == pytest.approx(truth["B"], rel=0.3)
    assert fit.rms_log_residual == pytest.approx(0.003, rel=0.3)


def test_exact_synthetic_runs_give_the_constants_back():
    fit = a3.fit_approach3(synthetic_runs(CHINCHILLA, noise=0.0), starts=a3.initial_grid()[::9])
    for key, value in CHINCHILLA.items():
        assert fit.constants[key] == pytest.approx(value, rel=1e-3)


@pytest.fixture(scope="module")
def replication_fit():
    runs = exclude(read_runs(DATA, params_col="Model Size", flops_col="Training FLOP"), drop_highest_loss=5)
    return a3.fit_approach3(runs)


# Besiroglu et al. 2024 (arXiv:2404.10102), eq. 3: estimate and standard error
REPLICATION = {"E": (1.8172, 0.03), "A": (482.01, 124.58), "B": (2085.43, 1293.23),
               "alpha": (0.3478, 0.02), "beta": (0.3658, 0.02)}


def test_replication_constants_within_their_standard_errors(replication_fit):
    assert replication_fit.n_points == 240
    for key, (value, se) in REPLICATION.items():
        assert abs(replication_fit.constants[key] - value) <= se, key


def test_replication_objective_no_worse_than_at_their_published_values(replication_fit):
    published = {key: value for key, (value, _) in REPLICATION.items()}
    assert replication_fit.objective <= a3.objective_at(published, replication_fit.runs)


def test_replication_exponent_a(replication_fit):
    # Besiroglu et al. 2024: a = β/(α+β) = 0.5126 (s.e. 0.02)
    assert replication_fit.law.a == pytest.approx(0.5126, abs=0.02)
