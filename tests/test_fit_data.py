"""Reading run CSVs, exclusions, Approach 2 and the bootstrap."""

import numpy as np
import pytest

from scalingplan.errors import InputError
from scalingplan.fitting import approach2 as a2
from scalingplan.fitting import approach3 as a3
from scalingplan.fitting.bootstrap import bootstrap
from scalingplan.fitting.runs import exclude, make_runs, read_runs
from scalingplan.laws.parametric import ParametricLaw

LAW = ParametricLaw("truth", dict(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28))


def write(tmp_path, text, name="runs.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_columns_found_by_common_names_and_flops_give_tokens(tmp_path):
    runs = read_runs(write(tmp_path, "N,C,L\n1e9,6e19,2.5\n2e9,1.2e20,2.4\n"))
    np.testing.assert_allclose(runs.tokens, [1e10, 1e10])
    assert list(runs.lines) == [2, 3]
    runs = read_runs(write(tmp_path, "Params,Tokens,Loss\n1e9,2e10,2.5\n"))
    np.testing.assert_allclose(runs.flops, [6 * 1e9 * 2e10])


@pytest.mark.parametrize("text, options, message", [
    ("size,tokens,loss\n1,2,3\n", {}, "no column for parameters (looked for params or n; columns present: size, tokens, loss)"),
    ("params,tokens,loss\n1,2,3\n", {"loss_col": "final"}, "--loss-col: no column 'final'"),
    ("params,tokens,loss\n1e9,2e10,2.5\n1e9,-3,2.4\n", {}, "runs.csv line 3, column 'tokens': expected a positive finite number, got '-3'"),
    ("params,tokens,loss\n1e9,2e10,nan\n", {}, "line 2, column 'loss'"),
    ("params,tokens,loss\n1e9,2e10,2.5\n1e9,2e10\n", {}, "runs.csv line 3: malformed CSV (expected 3 fields, found 2)"),
    ('params,tokens,loss\n1e9,"2e10,2.5\n', {}, "runs.csv line"),
    ("params,loss\n1,2\n", {}, "no column for tokens or FLOPs"),
    ("", {}, "the file is empty"),
])
def test_bad_csv_gives_one_line_naming_the_problem(tmp_path, text, options, message):
    with pytest.raises(InputError) as info:
        read_runs(write(tmp_path, text), **options)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_too_few_runs_and_a_single_model_size_are_refused():
    with pytest.raises(InputError, match="need at least 6"):
        a3.fit_approach3(make_runs([1e8, 2e8, 3e8, 4e8], [3, 3, 3, 3], tokens=[1e9] * 4))
    with pytest.raises(InputError, match="same model size"):
        a3.fit_approach3(make_runs([1e8] * 6, [3, 2.9, 2.8, 2.7, 2.6, 2.5], tokens=np.geomspace(1e9, 1e11, 6)))


def test_exclusions_drop_the_highest_losses_and_ranges():
    runs = make_runs(np.geomspace(1e8, 1e10, 8), [4, 3, 5, 2.5, 2.4, 2.3, 2.2, 2.1], flops=np.geomspace(1e18, 1e21, 8))
    kept = exclude(runs, drop_highest_loss=2)
    assert sorted(kept.loss) == [2.1, 2.2, 2.3, 2.4, 2.5, 3]
    kept = exclude(runs, max_loss=3.5, min_flops=2e18, drop_highest_loss=1)
    assert sorted(kept.loss) == [2.1, 2.2, 2.3, 2.4, 2.5]
    assert [rule["dropped"] for rule in kept.source["exclusions"]] == [1, 1, 1]  # flops, then loss, then highest


def test_isoflop_groups_span_at_most_the_tolerance():
    flops = np.array([1e19, 1.1e19, 0.95e19, 3e19, 3.3e19, 1e20, 1.5e20, 2e20])
    labels = a2.isoflop_groups(flops, 0.1)
    assert list(labels) == [0, 0, 0, 1, 1, 2, 3, 4]  # 1.5e20 and 2e20 are 0.125 decades apart
    for label in set(labels):
        group = np.log10(flops[labels == label])
        assert group.max() - group.min() <= 0.1


def isoflop_runs(budgets, sizes_per_budget=9, jitter=0.0, seed=0):
    """IsoFLOP runs under a known law: sizes spread ±0.6 decades around the law's optimum."""
    rng = np.random.default_rng(seed)
    params, flops = [], []
    for budget in budgets:
        optimum, _ = LAW.allocate(budget)
        params.extend(optimum * np.logspace(-0.6, 0.6, sizes_per_budget))
        flops.extend([budget] * sizes_per_budget)
    params, flops = np.array(params), np.array(flops) * np.exp(jitter * rng.standard_normal(len(flops)))
    loss = LAW.loss(params, flops / (6 * params))
    return make_runs(params, loss, flops=flops)


def test_approach2_parabola_vertices_match_a_brute_force_argmin():
    budgets = [6e18, 1e19, 3e19, 6e19, 1e20, 3e20, 6e20, 1e21, 3e21]  # Hoffmann et al. 2022 §3.2 budgets
    fit = a2.fit_approach2(isoflop_runs(budgets))
    assert len(fit.groups) == 9 and all(g.used for g in fit.groups)
    for group in fit.groups:
        grid = np.geomspace(group.params_opt / 5, group.params_opt * 5, 20001)
        brute = grid[np.argmin(LAW.loss(grid, group.flops / (6 * grid)))]
        assert group.params_opt == pytest.approx(brute, rel=0.1)
    # the minima of a parametric law follow its closed form N_opt ∝ C^(β/(α+β)) (Hoffmann eq. 4)
    assert fit.a == pytest.approx(LAW.a, abs=0.01)
    assert fit.b == pytest.approx(1 - fit.a, abs=1e-9)
    assert fit.G_D == pytest.approx(1 / (6 * fit.G), rel=1e-9)


def test_approach2_needs_two_usable_groups():
    with pytest.raises(InputError, match="IsoFLOP groups"):
        a2.fit_approach2(isoflop_runs([1e20]))


def test_bootstrap_is_reproducible_and_independent_of_jobs():
    fit = a2.fit_approach2(isoflop_runs([1e19, 1e20, 1e21, 1e22], jitter=0.01, seed=4))
    one = bootstrap(fit, 12, seed=7, jobs=1, budgets=[1e23])
    two = bootstrap(fit, 12, seed=7, jobs=2, budgets=[1e23])
    np.testing.assert_array_equal(one.samples, two.samples)
    low, high = one.interval("a")
    assert low <= high and one.percentiles == (2.5, 97.5)
    assert "params_opt@1e+23" in one.names


def test_bootstrap_interval_of_approach3_covers_the_truth():
    truth = dict(E=1.8, A=500.0, B=2000.0, alpha=0.35, beta=0.37)
    rng = np.random.default_rng(5)
    params, tokens = np.meshgrid(np.geomspace(5e7, 1.5e10, 8), np.geomspace(1e9, 4e11, 8))
    params, tokens = params.ravel(), tokens.ravel()
    loss = ParametricLaw("t", truth).loss(params, tokens) * np.exp(0.005 * rng.standard_normal(params.size))
    fit = a3.fit_approach3(make_runs(params, loss, tokens=tokens), starts=a3.initial_grid()[::5])
    boot = bootstrap(fit, 40, seed=1, jobs=1, level=0.99)
    for key in ("E", "alpha", "beta"):
        low, high = boot.interval(key)
        assert low <= truth[key] <= high, key
