"""Inference-aware planning (Sardana et al. 2024, arXiv:2401.00448), pinned to the authors' released code
(nikhilsardana/beyond-chinchilla: utils.py FLOPMode 6/2, model_calculator.compute_optimal_train_tokens,
README examples), with brute-force oracles and invariants."""

import json
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalingplan.planning import optimise as inference
from scalingplan import available, load_law
from scalingplan.laws import ParametricLaw

PARAMETRIC = [name for name in available() if isinstance(load_law(name), ParametricLaw)]
LOSS_LAWS = [name for name in available() if load_law(name).predicts_loss]
# The repository's default coefficients (utils.ChinchillaConstants): alpha 0.336, beta 0.283.
SARDANA = ParametricLaw("sardana", {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.336, "beta": 0.283})
SARDANA_FILE = "{name: sardana, form: parametric, constants: {E: 1.69, A: 406.4, B: 410.7, alpha: 0.336, beta: 0.283}}"


def log_grid(lo, hi, step=10 ** (1 / 20000)):
    return np.exp(np.arange(np.log(lo), np.log(hi), np.log(step)))


def first_order_condition(law, tokens, inference_tokens, target):
    """model_calculator.Model.compute_optimal_train_tokens: zero at the optimal D (their Newton root)."""
    coeff_1 = law.beta * law.B / law.alpha + law.B
    coeff_2 = inference_tokens * law.beta * law.B / (3 * law.alpha)
    return coeff_1 * tokens ** -law.beta + coeff_2 * tokens ** (-law.beta - 1) + law.E - target


# --- against the released code ----------------------------------------------------------------------
def test_flop_convention():
    assert inference.lifetime_flops(7e9, 2e12, 0) == 6 * 7e9 * 2e12
    assert inference.lifetime_flops(7e9, 2e12, 1e12) == 6 * 7e9 * 2e12 + 2 * 7e9 * 1e12


def test_readme_compute_optimal_example():
    """README: 70B on 1T tokens has loss 1.947; for that loss and 2T inference tokens the optimum is
    2.418e10 params, 2.657e12 tokens: 70.96% of the Chinchilla parameters, 146.77% of its tokens,
    95.22% of its FLOPs (printed to 4 digits)."""
    assert SARDANA.loss(70e9, 1e12) == pytest.approx(1.947, abs=5e-4)
    params, tokens, total = inference.cheapest_for_loss(SARDANA.loss, 1.947, 2e12)
    base_params, base_tokens, _ = inference.cheapest_for_loss(SARDANA.loss, 1.947, 0.0)
    assert params == pytest.approx(2.418e10, rel=3e-4)
    assert tokens == pytest.approx(2.657e12, rel=3e-4)
    assert 100 * params / base_params == pytest.approx(70.96, abs=0.006)
    assert 100 * tokens / base_tokens == pytest.approx(146.77, abs=0.006)
    assert 100 * total / inference.lifetime_flops(base_params, base_tokens, 2e12) == pytest.approx(95.22, abs=0.006)


@pytest.mark.parametrize("target, served", [(1.947, 2e12), (2.2, 1e10), (1.8, 1e15)])
def test_optimum_satisfies_their_first_order_condition(target, served):
    _, tokens, _ = inference.cheapest_for_loss(SARDANA.loss, target, served)
    assert abs(first_order_condition(SARDANA, tokens, served, target)) < 1e-7 * (target - SARDANA.E)


@pytest.mark.parametrize("name", PARAMETRIC)
@pytest.mark.parametrize("target", [2.0, 2.5])
def test_no_inference_gives_the_chinchilla_model_of_that_loss(name, target):
    """T = 0: Hoffmann's closed form at the smallest budget reaching the loss, and the repository's
    chinchilla_params_from_loss N = (A·(α/β + 1)/(L − E))^(1/α)."""
    law = load_law(name)
    params, tokens, total = inference.cheapest_for_loss(law.loss, target, 0.0)
    closed_n, closed_d = law.allocate(law.loss_budget(target))
    assert params == pytest.approx(closed_n, rel=1e-6) and tokens == pytest.approx(closed_d, rel=1e-6)
    assert params == pytest.approx((law.A * (law.alpha / law.beta + 1) / (target - law.E)) ** (1 / law.alpha), rel=1e-6)
    assert total == pytest.approx(law.loss_budget(target), rel=1e-9)


# --- brute-force oracles ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", PARAMETRIC)
@pytest.mark.parametrize("served", [1e11, 2e12, 1e14])
def test_cheapest_for_loss_is_the_argmin_on_a_fine_grid(name, served):
    """Over N, with D solving L(N, D) = target in closed form, minimise 6ND + 2NT."""
    law, target = load_law(name), 2.1
    params, _, total = inference.cheapest_for_loss(law.loss, target, served)
    grid = log_grid(params / 20, params * 20)
    gap = target - law.E - law.A / grid**law.alpha
    grid, gap = grid[gap > 0], gap[gap > 0]
    cost = inference.lifetime_flops(grid, (law.B / gap) ** (1 / law.beta), served)
    assert params == pytest.approx(grid[np.argmin(cost)], rel=1e-3)
    assert total <= cost.min() * (1 + 1e-9)


@pytest.mark.parametrize("name", LOSS_LAWS)
@pytest.mark.parametrize("served", [0.0, 1e12, 1e13])
def test_best_loss_on_a_lifetime_budget_is_the_argmin_on_a_fine_grid(name, served):
    law, flops = load_law(name), 1e24
    params, tokens, value = inference.optimum_on_budget(law.unchecked("loss"), flops, served)
    assert inference.lifetime_flops(params, tokens, served) == pytest.approx(flops, rel=1e-12)
    grid = log_grid(params / 20, min(params * 20, flops / (2 * served) if served else np.inf))
    losses = law.unchecked("loss")(grid, (flops - 2 * grid * served) / (6 * grid))
    assert params == pytest.approx(grid[np.argmin(losses)], rel=2e-3)
    assert value <= losses.min() + 1e-12


def test_inference_with_limited_data_is_the_argmin_on_a_fine_grid():
    law, unique, served, target = load_law("muennighoff2023"), 50e9, 2e12, 2.3
    loss = partial(law.loss, unique_tokens=unique)
    params, tokens, total = inference.cheapest_for_loss(loss, target, served)
    assert loss(params, tokens) == pytest.approx(target, rel=1e-12)
    grid = log_grid(params / 5, params * 5, step=10 ** (1 / 4000))
    cost = inference.lifetime_flops(grid, inference.tokens_reaching(loss, grid, target), served)
    assert params == pytest.approx(grid[np.argmin(cost)], rel=2e-3)


def test_training_share_spends_the_lifetime_budget():
    law, flops, served = load_law("chinchilla-3"), 1e24, 2e13
    budget = inference.training_share(lambda c: law.allocate(c)[0], flops, served)
    assert budget + 2 * law.allocate(budget)[0] * served == pytest.approx(flops, rel=1e-12)


# --- invariants --------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(st.sampled_from(PARAMETRIC + ["kaplan2020"]), st.floats(2.0, 3.0), st.floats(0.0, 1e15), st.floats(1.0, 1e3))
def test_more_inference_never_makes_the_optimal_model_larger(name, target, served, factor):
    law = load_law(name)
    small = inference.cheapest_for_loss(law.loss, target, served)[0]
    large = inference.cheapest_for_loss(law.loss, target, served * factor + 1e9)[0]
    assert large <= small * (1 + 1e-6)


# --- command line ------------------------------------------------------------------------------------
def run_json(cli, *args):
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), result.stderr


def test_cli_target_loss_with_inference(cli, tmp_path):
    path = tmp_path / "sardana.yaml"
    path.write_text(SARDANA_FILE)
    data, stderr = run_json(cli, "allocate", "--loss", "1.947", "--inference-tokens", "2e12", "--law", str(path))
    assert stderr == ""
    (row,) = data["allocations"]
    assert row["params"] == pytest.approx(2.418e10, rel=3e-4)  # README example
    assert row["loss"] == pytest.approx(1.947, rel=1e-12)
    assert row["inference_tokens"] == 2e12
    assert row["inference_flops"] == pytest.approx(2 * row["params"] * 2e12, rel=1e-12)
    assert row["total_flops"] == pytest.approx(row["flops"] + row["inference_flops"], rel=1e-12)
    assert row["flops"] == pytest.approx(6 * row["params"] * row["tokens"], rel=1e-12)
    assert row["chinchilla_params"] > row["params"]
    assert row["saving_flops"] == pytest.approx(row["chinchilla_total_flops"] - row["total_flops"], rel=1e-9)
    assert row["saving_percent"] == pytest.approx(100 - 95.22, abs=0.006)


def test_cli_default_laws_skip_those_without_loss(cli):
    data, stderr = run_json(cli, "allocate", "--loss", "2.0", "--inference-tokens", "2e12")
    assert {"chinchilla-3", "epoch2024"} <= {row["law"] for row in data["allocations"]}
    assert "'chinchilla-1'" in stderr and "predicts no loss" in stderr
    assert len([line for line in stderr.splitlines() if "predicts no loss" in line]) == 1
    for row in data["allocations"]:
        assert row["saving_flops"] >= 0 and row["params"] <= row["chinchilla_params"]


def test_cli_lifetime_budget(cli):
    data, _ = run_json(cli, "allocate", "--flops", "1e24", "--inference-tokens", "2e13", "--law", "chinchilla-3")
    (row,) = data["allocations"]
    assert data["query"] == {"flops": 1e24, "inference_tokens": 2e13}
    assert row["total_flops"] == 1e24
    assert 6 * row["params"] * row["tokens"] + 2 * row["params"] * 2e13 == pytest.approx(1e24, rel=1e-12)
    assert row["loss"] <= row["chinchilla_loss"]
    assert row["params"] < row["chinchilla_params"]


def test_cli_inference_with_limited_data(cli):
    data, stderr = run_json(cli, "allocate", "--loss", "2.3", "--inference-tokens", "2e12",
                            "--unique-tokens", "50B", "--law", "muennighoff2023")
    (row,) = data["allocations"]
    law = load_law("muennighoff2023")
    assert row["loss"] == pytest.approx(law.loss(row["params"], row["tokens"], 50e9), rel=1e-9)
    assert row["epochs"] == pytest.approx(row["tokens"] / 50e9, rel=1e-12) and stderr == ""


def test_cli_errors(cli):
    from cli_assertions import assert_one_line_error

    assert_one_line_error(cli("allocate", "--loss", "1.5", "--inference-tokens", "2e12", "--law", "chinchilla-3"),
                          "unreachable", "1.69")
    assert_one_line_error(cli("allocate", "--loss", "2.0", "--inference-tokens", "2e12", "--law", "chinchilla-1"),
                          "predicts loss", "chinchilla-1")
    assert_one_line_error(cli("allocate", "--loss", "2.0", "--inference-tokens", "0"), "--inference-tokens")
    assert_one_line_error(cli("allocate", "--params", "7e9", "--inference-tokens", "2e12"), "--params")
    assert_one_line_error(cli("allocate", "--flops", "1e20", "--inference-tokens", "1e20"), "lifetime budget")
    # a target below the floor that 10B unique tokens allow under the data-constrained law
    floor = load_law("muennighoff2023").data_floor(1e10)
    assert_one_line_error(cli("allocate", "--loss", f"{floor - 0.01}", "--inference-tokens", "1e12",
                              "--unique-tokens", "10B", "--law", "muennighoff2023"), "unreachable", "10.0B unique")
