"""Invariants of every registry law, checked with hypothesis."""

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import scalingplan
from scalingplan import available, load_law

budgets = st.floats(min_value=1e15, max_value=1e30, allow_nan=False, allow_infinity=False)
# Laws with a closed-form optimum and C = 6ND; the numerically optimised forms (their own cost
# models, optimum found to ~1e-7) have their own properties in tests/test_new_forms.py.
CLOSED_FORM = [name for name in available() if not hasattr(load_law(name), "optimum")]
laws = st.sampled_from(CLOSED_FORM)


@given(laws, budgets)
def test_allocation_spends_the_budget(name, flops):
    params, tokens = load_law(name).allocate(flops)
    assert params > 0 and tokens > 0
    assert math.isclose(6 * params * tokens, flops, rel_tol=1e-9)


@given(st.sampled_from([n for n in CLOSED_FORM if load_law(n).predicts_loss]), budgets, budgets)
def test_more_compute_never_gives_a_higher_optimal_loss(name, c1, c2):
    law = load_law(name)
    lo, hi = sorted((c1, c2))
    assert law.optimal_loss(hi) <= law.optimal_loss(lo) * (1 + 1e-12)


@given(laws, budgets, budgets)
def test_more_compute_never_shrinks_the_optimal_model(name, c1, c2):
    law = load_law(name)
    lo, hi = sorted((c1, c2))
    assert law.allocate(hi)[0] >= law.allocate(lo)[0] * (1 - 1e-12)


@given(laws, st.floats(min_value=1e6, max_value=1e14))
def test_params_budget_inverts_allocate(name, params):
    law = load_law(name)
    assert math.isclose(law.allocate(law.params_budget(params))[0], params, rel_tol=1e-9)


@settings(max_examples=30)
@given(laws, st.lists(budgets, min_size=1, max_size=20))
def test_arrays_give_the_same_answers_as_scalars(name, values):
    law = load_law(name)
    params, tokens = law.allocate(np.array(values))
    for i, flops in enumerate(values):
        n, d = law.allocate(flops)
        assert math.isclose(params[i], n, rel_tol=1e-12) and math.isclose(tokens[i], d, rel_tol=1e-12)


def test_python_api_takes_numpy_budgets():
    flops = np.logspace(18, 26, 9)
    plans = scalingplan.allocate(flops, ["chinchilla-3", "kaplan"])
    assert [p.law for p in plans] == ["chinchilla-3", "kaplan2020"]
    assert np.allclose(6 * plans[0].params * plans[0].tokens, flops, rtol=1e-12)
    assert np.all(np.diff(plans[0].loss) < 0)
