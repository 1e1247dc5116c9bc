"""The data-constrained law of Muennighoff et al. 2023 (arXiv:2305.16264): formulas pinned to the paper
(§3.1 eqs. 5-6, Appendix A) and to the authors' released code (huggingface/datablations, README section
"Parametric Fit": ``scaling_law`` and ``optimal_allocation``), brute-force oracles and invariants."""

import json
import math
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalingplan.planning import data_and_inference as constraints
from scalingplan.planning import optimise as inference
from scalingplan import load_law
from scalingplan.laws import ParametricLaw

LAW = load_law("muennighoff2023")
# README "Parametric Fit": a, b, e, alpha, beta, rd_star, rn_star
RELEASED = [6.255414, 7.3049974, 0.6254804, 0.3526596, 0.3526596, 15.387756, 5.309743]


def readme_scaling_law(N, D, U):
    """The README's ``scaling_law(N, D, U)``, transcribed independently of the package (U <= D)."""
    a, b, e, alpha, beta, rd_star, rn_star = RELEASED
    A, B, E = np.exp(a), np.exp(b), np.exp(e)
    G = ((alpha * A) / (beta * B)) ** (1 / (alpha + beta))
    assert U <= D
    RD = np.maximum((D / U) - 1, 0)
    UN = np.minimum(N, (U * G) ** (beta / alpha) * G)
    RN = np.maximum((N / UN) - 1, 0)
    return (E + A / (UN + UN * rn_star * (1 - np.exp(-1 * RN / rn_star))) ** alpha
            + B / (U + U * rd_star * (1 - np.exp(-1 * RD / rd_star))) ** beta)


def log_grid(lo, hi, step=10 ** (1 / 20000)):
    return np.exp(np.arange(np.log(lo), np.log(hi), np.log(step)))


# --- constants and formulas against the sources ------------------------------------------------
def test_constants_are_the_released_fit_exponentiated():
    a, b, e, alpha, beta, rd_star, rn_star = RELEASED
    c = LAW.constants
    assert c["A"] == pytest.approx(math.exp(a), rel=1e-15)
    assert c["B"] == pytest.approx(math.exp(b), rel=1e-15)
    assert c["E"] == pytest.approx(math.exp(e), rel=1e-15)
    assert (c["alpha"], c["beta"], c["R_D_star"], c["R_N_star"]) == (alpha, beta, rd_star, rn_star)
    # reference sheet §4 rounding: A = 520.82, B = 1487.72, E = 1.8691
    assert (round(c["A"], 2), round(c["B"], 2), round(c["E"], 4)) == (520.82, 1487.72, 1.8691)


def test_readme_figure_1_models():
    """README, "Models in Figure 1 (right)": printed losses, to the last digit."""
    assert LAW.loss(6.34e9, 242e9, 25e9) == pytest.approx(2.2256440889984477, rel=1e-13)
    assert LAW.loss(8.67e9, 178e9, 25e9) == pytest.approx(2.2269634075087867, rel=1e-13)


@settings(max_examples=200)
@given(st.floats(1e7, 1e12), st.floats(1e8, 1e13), st.floats(1e-4, 1.0))
def test_loss_follows_the_released_code(params, tokens, share):
    """Same value as the README's scaling_law for any N, D and U <= D (U_N from D_to_N, R_D = D/U − 1)."""
    unique = tokens * share
    assert LAW.loss(params, tokens, unique) == pytest.approx(readme_scaling_law(params, tokens, unique), rel=1e-12)


def test_readme_optimal_allocation_example():
    """README grid search at the compute of 8.67B × 178B with 25B unique tokens:
    "227B tokens, 9.1 epochs, 6.8B parameters" (a coarse 500-point grid, so 1%)."""
    flops = 6 * 8.67e9 * 178e9
    (row,), _ = constraints.allocate_limited(flops, 25e9, ["muennighoff2023"])
    assert row.params == pytest.approx(6.8e9, rel=0.01)
    assert row.tokens == pytest.approx(227e9, rel=0.01)
    assert row.epochs == pytest.approx(9.1, abs=0.05)


def test_repeated_tokens_lose_value_as_the_paper_says():
    """§3.1: at R_D = R_D* a repeated token is worth 1 − 1/e less (marginal value e^−1); R_D ≪ R_D*
    gives D′ ≈ D; no repetition beats one epoch of U(1 + R_D*) fresh tokens."""
    unique, star = 1e9, LAW.constants["R_D_star"]
    tokens = unique * (1 + star)
    h = tokens * 1e-6
    slope = (LAW.effective_tokens(tokens + h, unique) - LAW.effective_tokens(tokens - h, unique)) / (2 * h)
    assert slope == pytest.approx(math.exp(-1), rel=1e-6)
    assert LAW.effective_tokens(1.1 * unique, unique) == pytest.approx(1.1 * unique, rel=1e-3)
    assert LAW.effective_tokens(1e30, unique) == pytest.approx(unique * (1 + star), rel=1e-12)
    # four epochs (R_D = 3): 1 + 15.387756·(1 − e^(−3/15.387756)) = 3.7257 U of effective data, 93% of fresh
    assert LAW.effective_tokens(4 * unique, unique) / unique == pytest.approx(3.7257, abs=1e-4)


def test_first_epoch_counts_and_fresh_data_is_the_base_law():
    """D counts the first epoch: with U >= D nothing is repeated, and a model no larger than N_opt(D)
    has no excess parameters, so the loss is the parametric base."""
    n, d = 1e9, 50e9
    assert n <= LAW.unique_params(d)
    assert LAW.loss(n, d, d) == pytest.approx(LAW.loss(n, d), rel=1e-15)
    assert LAW.loss(n, d, 10 * d) == pytest.approx(LAW.loss(n, d), rel=1e-15)  # U_D = min(U, D)
    assert LAW.loss(n, d, d / 2) > LAW.loss(n, d)


def test_unique_params_is_the_compute_optimal_size_of_the_unique_data():
    """U_N = D_to_N(U_D): the closed-form optimum (Hoffmann §3.3) whose tokens are U_D."""
    for unique in (1e8, 25e9, 1e12):
        params = LAW.unique_params(unique)
        assert LAW.allocate(LAW.params_budget(params))[1] == pytest.approx(unique, rel=1e-9)


def test_without_a_limit_it_is_the_parametric_base():
    c = LAW.constants
    base = ParametricLaw("base", {k: c[k] for k in ("E", "A", "B", "alpha", "beta")})
    for flops in (1e19, 1e23, 1e26):
        assert LAW.allocate(flops) == pytest.approx(base.allocate(flops), rel=1e-15)
        assert LAW.optimal_loss(flops) == pytest.approx(base.optimal_loss(flops), rel=1e-15)


# --- the optimiser ---------------------------------------------------------------------------------
@pytest.mark.parametrize("flops, unique", [(1e21, 1e9), (9.26e21, 25e9), (1e23, 1e11), (1e25, 1e12),
                                           (1e24, 1e14)])
def test_limited_optimum_is_the_argmin_on_a_fine_grid(flops, unique):
    (row,), _ = constraints.allocate_limited(flops, unique, ["muennighoff2023"])
    params = log_grid(row.params / 30, row.params * 30)
    losses = LAW.loss(params, flops / (6 * params), unique)
    assert row.loss <= losses.min() + 1e-12
    assert row.params == pytest.approx(params[np.argmin(losses)], rel=2e-3)
    assert 6 * row.params * row.tokens == pytest.approx(flops, rel=1e-12)


def test_enough_unique_data_gives_the_unlimited_optimum():
    flops = 1e23
    n, d = LAW.allocate(flops)
    (row,), _ = constraints.allocate_limited(flops, 2 * d, ["muennighoff2023"])
    assert row.params == pytest.approx(n, rel=1e-5)
    assert row.loss == pytest.approx(row.unlimited_data_loss, rel=1e-12)
    assert row.epochs == pytest.approx(0.5, rel=1e-5)


def test_floor_with_limited_data():
    unique = 1e10
    floor = LAW.data_floor(unique)
    assert LAW.loss(1e20, 1e25, unique) == pytest.approx(floor, rel=1e-9)
    best = [inference.optimum_on_budget(partial(LAW.loss, unique_tokens=unique), flops)[2]
            for flops in (1e19, 1e20, 1e28)]
    assert best[0] > best[1] > floor and best[2] == pytest.approx(floor, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.floats(1e20, 1e26), st.floats(1e8, 1e13), st.floats(1.0, 100.0))
def test_more_unique_data_never_hurts(flops, unique, factor):
    """Loss non-increasing in U, for a fixed run and for the data-limited optimum."""
    n, d = LAW.allocate(flops)
    assert LAW.loss(n, d, unique * factor) <= LAW.loss(n, d, unique) * (1 + 1e-15)
    (small,), _ = constraints.allocate_limited(flops, unique, ["muennighoff2023"])
    (large,), _ = constraints.allocate_limited(flops, unique * factor, ["muennighoff2023"])
    assert large.loss <= small.loss * (1 + 1e-12)
    assert small.loss >= small.unlimited_data_loss * (1 - 1e-12)


# --- command line ----------------------------------------------------------------------------------
def run_json(cli, *args):
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_cli_allocate_with_unique_tokens(cli):
    data, stderr = run_json(cli, "allocate", "--flops", "1e23", "--unique-tokens", "100B")
    rows = {row["law"]: row for row in data["allocations"]}
    assert data["query"] == {"flops": 1e23, "unique_tokens": 1e11}
    assert "muennighoff2023" in rows and "chinchilla-3" in rows  # added by default beside the main laws
    dc = rows["muennighoff2023"]
    assert dc["epochs"] == pytest.approx(dc["tokens"] / 1e11, rel=1e-12)
    assert dc["unique_tokens"] == 1e11
    assert dc["loss"] > dc["unlimited_data_loss"]
    for row in rows.values():
        assert 6 * row["params"] * row["tokens"] == pytest.approx(1e23, rel=1e-12)
        assert row["epochs"] == pytest.approx(row["tokens"] / 1e11, rel=1e-12)
    # Chinchilla's optimum at 1e23 needs 1.14T tokens: one warning line naming its epochs
    lines = [line for line in stderr.splitlines() if "'chinchilla-3'" in line]
    assert len(lines) == 1 and f"{rows['chinchilla-3']['epochs']:.3g} epochs" in lines[0]
    assert "'muennighoff2023'" not in stderr
    # kaplan2020 reads 1e23 as C = 2·C_min (Kaplan §6.3): D = C/(6N) = 123B tokens, 1.23 epochs
    assert "'kaplan2020' assumes fresh tokens but its plan trains on 123B tokens, 1.23 epochs" in stderr


def test_cli_no_repetition_warning_with_enough_data(cli):
    data, stderr = run_json(cli, "allocate", "--flops", "1e23", "--unique-tokens", "10T", "--law", "chinchilla-3")
    assert stderr == "" and data["allocations"][0]["epochs"] < 1


def test_cli_assess_a_repeated_run(cli):
    data, _ = run_json(cli, "assess", "--params", "8.67e9", "--tokens", "178e9", "--unique-tokens", "25e9",
                       "--law", "muennighoff2023")
    (assessment,) = data["models"][0]["assessments"]
    assert assessment["loss"] == pytest.approx(2.2269634075087867, rel=1e-13)  # README, Figure 1
    assert assessment["epochs"] == pytest.approx(7.12)
    assert assessment["optimal_loss"] < assessment["loss"]


@pytest.mark.parametrize("value", ["0", "-1e9", "nan", "abc"])
def test_cli_bad_unique_tokens(cli, value):
    from cli_assertions import assert_one_line_error

    assert_one_line_error(cli("allocate", "--flops", "1e23", "--unique-tokens", value), "--unique-tokens")
    assert_one_line_error(cli("assess", "--params", "1e9", "--tokens", "2e10", "--unique-tokens", value),
                          "--unique-tokens")


def test_cli_unique_tokens_needs_a_budget(cli):
    from cli_assertions import assert_one_line_error

    assert_one_line_error(cli("allocate", "--params", "7e9", "--unique-tokens", "1T"), "--params")
    assert_one_line_error(cli("allocate", "--loss", "2.1", "--unique-tokens", "1T"), "budget")
