"""`fit --form`: Kaplan's L(N, D) (eq. 1.5) and Gadre's over-training form (eq. 4) beside Chinchilla's;
their objectives, gradients, optima and law files."""

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from cli_assertions import assert_one_line_error, write_runs_csv
from scalingplan.catalogues.registry import load_law
from scalingplan.fitting import forms
from scalingplan.fitting.approach3 import fit_approach3
from scalingplan.fitting.runs import make_runs
from scalingplan.laws.kaplan_nd import KaplanNDLaw
from scalingplan.laws.parametric import ParametricLaw

KAPLAN = dict(N_c=8.8e13, D_c=5.4e13, alpha_N=0.076, alpha_D=0.095)  # Kaplan et al. 2020, Table 2 (eq. 1.5)
GADRE_C4 = dict(E=1.51, a_M=141.0, b_M=190.0, eta=0.121)  # Gadre et al. 2024, Table 6 (C4)


def grid_runs(law, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    params, tokens = np.meshgrid(np.geomspace(3e7, 3e9, 7), np.geomspace(1e9, 2e11, 7))
    params, tokens = params.ravel(), tokens.ravel()
    loss = law.loss(params, tokens) * np.exp(noise * rng.standard_normal(params.size))
    return make_runs(params, loss, tokens=tokens)


def gadre_eq4(E, a_M, b_M, eta, params, tokens):
    """Gadre et al. eq. 4 as printed: E + (a·M^η + b·M^−η)·C^−η, C = 6ND, M = D/N."""
    flops, ratio = 6 * params * tokens, tokens / params
    return E + (a_M * ratio**eta + b_M * ratio**-eta) * flops**-eta


@settings(max_examples=30)
@given(st.floats(1e6, 1e12), st.floats(1e8, 1e14))
def test_gadre_form_is_chinchilla_with_tied_exponents(params, tokens):
    law = ParametricLaw("g", forms.gadre_as_parametric(GADRE_C4))
    assert law.loss(params, tokens) == pytest.approx(gadre_eq4(**GADRE_C4, params=params, tokens=tokens), rel=1e-12)


def test_gadre_optimum_is_eq10_tokens_per_parameter():
    law = ParametricLaw("g", forms.gadre_as_parametric(GADRE_C4))
    m_star = forms.derived(forms.GADRE, GADRE_C4)["M_star"]
    assert m_star == pytest.approx((190 / 141) ** (1 / (2 * 0.121)))  # Gadre et al. eq. 10
    for flops in (1e19, 1e23):
        params, tokens = law.allocate(flops)
        assert tokens / params == pytest.approx(m_star, rel=1e-9)
        # brute force over M at fixed C
        ratios = np.geomspace(m_star / 10, m_star * 10, 20001)
        n = np.sqrt(flops / (6 * ratios))
        assert ratios[np.argmin(law.loss(n, ratios * n))] == pytest.approx(m_star, rel=1e-3)


@pytest.mark.parametrize("flops", [1e18, 1e21, 1e24])
def test_kaplan_nd_optimum_against_brute_force(flops):
    law = KaplanNDLaw("k", KAPLAN)
    params = np.geomspace(1e3, 1e15, 400001)
    brute = params[np.argmin(law.loss(params, flops / (6 * params)))]
    best, tokens = law.allocate(flops)
    assert best == pytest.approx(brute, rel=1e-3)
    assert 6 * best * tokens == pytest.approx(flops)
    assert law.params_budget(best) == pytest.approx(flops, rel=1e-10)
    assert law.a == pytest.approx(0.095 / (0.076 + 0.095))


@pytest.mark.parametrize("form, theta", [
    (forms.KAPLAN, [[31.0, 30.0, 0.08, 0.1], [20.0, 25.0, 0.3, 0.2]]),
    (forms.GADRE, [[6.0, 7.0, 0.5, 0.3], [2.0, 9.0, 0.2, 0.6]]),
])
def test_gradients_match_central_differences(form, theta):
    rng = np.random.default_rng(1)
    log_n, log_d = np.log(np.geomspace(1e7, 1e10, 12)), np.log(np.geomspace(1e9, 1e11, 12))
    log_loss = np.log(2 + rng.random(12))
    theta = np.array(theta)
    for delta in (1e-3, 10.0):  # Huber's linear and quadratic parts
        _, grad = form.objective(theta, log_n, log_d, log_loss, delta)
        for k in range(theta.shape[1]):
            step = np.zeros(theta.shape[1])
            step[k] = 1e-6
            up, _ = form.objective(theta + step, log_n, log_d, log_loss, delta)
            down, _ = form.objective(theta - step, log_n, log_d, log_loss, delta)
            assert grad[:, k] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("form, law, truth", [
    (forms.KAPLAN, KaplanNDLaw("k", KAPLAN), KAPLAN),
    (forms.GADRE, ParametricLaw("g", forms.gadre_as_parametric(GADRE_C4)), GADRE_C4),
])
def test_forms_recover_their_constants_from_noise_free_runs(form, law, truth):
    fit = fit_approach3(grid_runs(law), form=form)
    for key, value in truth.items():
        assert fit.constants[key] == pytest.approx(value, rel=2e-3), key


@pytest.mark.parametrize("form, law_form, keys", [
    ("kaplan", "kaplan-nd", {"N_c", "D_c", "alpha_N", "alpha_D"}),
    ("gadre", "parametric", {"E", "a_M", "b_M", "eta"}),
])
def test_fit_form_writes_a_law_file_the_planner_reads(cli, tmp_path, form, law_form, keys):
    truth = KaplanNDLaw("k", KAPLAN) if form == "kaplan" else ParametricLaw("g", forms.gadre_as_parametric(GADRE_C4))
    runs = grid_runs(truth, noise=0.001)
    path = write_runs_csv(tmp_path / "runs.csv", runs.params, runs.tokens, runs.loss)
    law_path = tmp_path / "law.yaml"
    result = cli("fit", path, "--form", form, "--json", "--budget", "1e21", "-o", law_path)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["form"] == form and set(payload["params"]) == keys
    law = load_law(str(law_path))
    assert law.form == law_form
    assert law.allocate(1e21)[0] == pytest.approx(payload["allocations"][0]["params"], rel=1e-9)
    planned = cli("allocate", "--flops", "1e21", "--law", law_path, "--json")
    assert planned.exit_code == 0, planned.output


def test_form_with_approach2_is_an_input_error(cli, tmp_path):
    path = tmp_path / "runs.csv"
    path.write_text("params,tokens,loss\n1e8,1e9,3\n2e8,1e9,2.9\n")
    assert_one_line_error(cli("fit", path, "--method", "approach2", "--form", "kaplan"), "--form")
    assert_one_line_error(cli("fit", path, "--form", "kaplam"), "--form", "kaplam")


@pytest.mark.parametrize("name", list(forms.FORMS))
def test_fits_of_every_form_travel_to_worker_processes(name):
    """Bootstrap workers receive the fit by pickle, so a form holds no lambdas."""
    import pickle

    law = KaplanNDLaw("k", KAPLAN) if name == "kaplan" else ParametricLaw("g", forms.gadre_as_parametric(GADRE_C4))
    fit = fit_approach3(grid_runs(law), starts=forms.FORMS[name].grid()[::50], form=forms.FORMS[name])
    from scalingplan.fitting.bootstrap import quantities

    copy = pickle.loads(pickle.dumps(fit))
    assert copy.form == forms.FORMS[name]
    assert quantities(copy, [1e21]) == quantities(fit, [1e21])
