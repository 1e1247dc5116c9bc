"""Laws past dense Chinchilla: fine-grained MoE (Krajewski et al. 2024), over-training with
downstream error (Gadre et al. 2024), precision (Kumar et al. 2024), and the Kaplan-Chinchilla
reconciliation (Pearce & Song 2024). Paper numbers are named with their table or equation; every
numeric optimiser is checked against a brute-force grid."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalingplan import load_law
from scalingplan.laws.precision import parse_precision
from scalingplan.planning import allocation as planning
from scalingplan.planning import reconcile

GADRE = ["gadre2024-c4", "gadre2024-redpajama", "gadre2024-refinedweb"]

# Krajewski et al. 2024, Table 2: compute-optimal MoE (E = 64) by size. Columns: active size the row
# is named by (64×100M ... 64×1T), tokens D, granularity G, training FLOPs.
TABLE_2 = [
    (100e6, 4.37e9, 8, 2.95e18), (1e9, 28.94e9, 16, 1.93e20), (3e9, 72.90e9, 16, 1.41e21),
    (7e9, 137.60e9, 32, 6.46e21), (70e9, 941.07e9, 32, 4.16e23), (300e9, 2.96e12, 64, 5.69e24),
    (1e12, 7.94e12, 64, 4.97e25),
]


def total_from_active(law, active):
    """N = active·(8E + 4)/12 (N = d²·(8E + 4)·n_blocks, active = 12·d²·n_blocks)."""
    return active * (8 * law.E + 4) / 12


def log_grid(lo, hi, points):
    return np.exp(np.linspace(np.log(lo), np.log(hi), points))


NUMERIC = ["krajewski2024", "kumar2024", "kumar2024+fp8+ptq4", "krajewski2024+G8"]
budgets = st.floats(min_value=1e16, max_value=1e28)


def numeric_law(name):
    """The registry laws whose optimum is searched, plain and with run settings."""
    base, _, tag = name.partition("+")
    law = load_law(base)
    if tag == "fp8+ptq4":
        return law.clone(precision=(8.0, 8.0, 8.0), post_bits=4.0)
    return law.clone(granularity=8.0) if tag == "G8" else law


@settings(max_examples=25)
@given(st.sampled_from(NUMERIC), budgets)
def test_numeric_allocation_spends_the_budget_under_its_cost_model(name, flops):
    law = numeric_law(name)
    params, tokens = law.allocate(flops)
    assert params > 0 and tokens > 0
    assert math.isclose(law.at_budget(flops).training_flops(params, tokens), flops, rel_tol=1e-9)


@settings(max_examples=25)
@given(st.sampled_from(NUMERIC), budgets, budgets)
def test_numeric_optimum_monotone_in_the_budget(name, c1, c2):
    """More compute never gives a higher optimal loss or (beyond the search's 1e-6) a smaller model."""
    law = numeric_law(name)
    lo, hi = sorted((c1, c2))
    assert law.optimal_loss(hi) <= law.optimal_loss(lo) + 1e-12
    assert law.allocate(hi)[0] >= law.allocate(lo)[0] * (1 - 1e-6)


@settings(max_examples=10)
@given(st.sampled_from(NUMERIC), st.lists(budgets, min_size=1, max_size=4))
def test_numeric_arrays_give_the_same_answers_as_scalars(name, values):
    law = numeric_law(name)
    params, tokens = law.allocate(np.array(values))
    for i, flops in enumerate(values):
        assert (params[i], tokens[i]) == law.allocate(flops)


# --- krajewski2024 ----------------------------------------------------------------------------------
@pytest.mark.parametrize("active, tokens, granularity, flops", TABLE_2)
def test_krajewski_flops_model_reproduces_table_2(active, tokens, granularity, flops):
    """Eqs. 10–11 with c_f = 6, c_r = 14, d = 64·n_blocks give Table 2's FLOPs column within 1%
    (the table prints three digits and names sizes in round numbers)."""
    law = load_law("krajewski2024").clone(granularity=granularity)
    assert law.training_flops(total_from_active(law, active), tokens) == pytest.approx(flops, rel=0.01)


@pytest.mark.parametrize("active, tokens, granularity, flops", TABLE_2)
def test_krajewski_optimum_reproduces_table_2(active, tokens, granularity, flops):
    """At each Table 2 budget: the optimal G rounds (in log2) to the printed power of two, and at
    that G the optimum's active size and tokens are the row's within 3%."""
    law = load_law("krajewski2024")
    best_g = law.optimum(flops)[2]
    assert 2 ** round(math.log2(best_g)) == granularity
    fixed = law.clone(granularity=granularity)
    params, d = fixed.allocate(flops)
    assert fixed.active_params(params) == pytest.approx(active, rel=0.03)
    assert d == pytest.approx(tokens, rel=0.03)


@pytest.mark.parametrize("flops", [1e19, 1e22, 1e25])
def test_krajewski_optimum_against_a_brute_force_grid(flops):
    law = load_law("krajewski2024")
    params, tokens, gran, loss = law.optimum(flops)
    n, g = np.meshgrid(log_grid(params / 3, params * 3, 601), log_grid(1, 1e4, 601), indexing="ij")
    grid = law.loss_on_budget(flops, n, g)
    i = np.unravel_index(np.argmin(grid), grid.shape)
    assert loss <= grid.min() + 1e-12
    assert params == pytest.approx(n[i], rel=0.01) and gran == pytest.approx(g[i], rel=0.03)
    assert law.at_budget(flops).training_flops(params, tokens) == pytest.approx(flops, rel=1e-9)


def test_krajewski_fixed_granularity_against_a_brute_force_grid():
    law = load_law("krajewski2024").clone(granularity=8)
    params, tokens = law.allocate(1e22)
    n = log_grid(params / 10, params * 10, 20001)
    brute = n[np.argmin(law.loss_on_budget(1e22, n, 8.0))]
    assert params == pytest.approx(brute, rel=1e-3)
    assert law.training_flops(params, tokens) == pytest.approx(1e22, rel=1e-9)


def test_moe_advantage_grows_with_budget():
    """Krajewski et al. §6: the efficiency gap between dense and MoE widens with the training budget.
    The dense budget that matches the MoE's optimal loss, over the budget, rises from 1e20 to 1e25."""
    rows = planning.compare(planning.log_budgets(1e20, 1e25, 6), ["krajewski2024-dense", "krajewski2024"])
    advantage = [r["compute_vs_first"] for r in rows if r["law"] == "krajewski2024"]
    assert all(b > a for a, b in zip(advantage, advantage[1:]))
    assert advantage[0] > 15 and advantage[-1] > 1.4 * advantage[0]
    dense = [r["compute_vs_first"] for r in rows if r["law"] == "krajewski2024-dense"]
    assert dense == pytest.approx([1.0] * 6, rel=1e-9)


def test_krajewski_params_budget_inverts_allocate():
    law = load_law("krajewski2024")
    for params in (1e9, 3e11):
        assert law.allocate(law.params_budget(params))[0] == pytest.approx(params, rel=1e-5)


def test_krajewski_experts_change_cost_not_the_fitted_loss():
    law = load_law("krajewski2024")
    fewer = law.clone(experts=8)
    assert fewer.loss(1e10, 1e11, 4) == law.loss(1e10, 1e11, 4)
    assert fewer.active_params(1e10) == pytest.approx(12e10 / 68)
    assert fewer.training_flops(1e10, 1e11) > law.training_flops(1e10, 1e11)


# --- gadre2024 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", GADRE)
def test_gadre_eq4_is_the_parametric_law_it_implies(name):
    """L(C, M) of eq. 4 at C = 6ND, M = D/N equals E + a·6^-η·N^-2η + b·6^-η·D^-2η."""
    law = load_law(name)
    c = law.constants
    n, d = np.array([1e8, 7e9, 1e11]), np.array([2e10, 1e12, 5e13])
    direct = c["E"] + c["a"] * 6 ** -c["eta"] * n ** (-2 * c["eta"]) + c["b"] * 6 ** -c["eta"] * d ** (-2 * c["eta"])
    assert np.allclose(law.loss_cm(6 * n * d, d / n), direct, rtol=1e-13)


@pytest.mark.parametrize("name", GADRE)
@pytest.mark.parametrize("flops", [1e19, 1e23])
def test_gadre_optimal_multiplier_against_a_brute_force_grid(name, flops):
    """M* = (b/a)^(1/(2η)) (eq. 10) is the argmin over M of L(C, M), and allocate uses it."""
    law = load_law(name)
    m = log_grid(0.01, 1e4, 200001)
    brute = m[np.argmin(law.loss_cm(flops, m))]
    assert law.optimal_multiplier() == pytest.approx(brute, rel=1e-3)
    params, tokens = law.allocate(flops)
    assert tokens / params == pytest.approx(law.optimal_multiplier(), rel=1e-9)
    assert 6 * params * tokens == pytest.approx(flops, rel=1e-12)


def test_gadre_optimal_multipliers_are_the_papers():
    """Eq. 10 gives the M* the paper prints (3.36, 7.42, 5.85) with the refit constants; Table 6's
    rounded constants would give 3.43, 7.52 and 5.86 (tests/test_gadre_refit.py has the refit)."""
    got = [load_law(name).optimal_multiplier() for name in GADRE]
    assert got == pytest.approx([3.36, 7.42, 5.85], abs=0.005)
    printed = [(141, 190, 0.121), (212, 367, 0.136), (157, 246, 0.127)]  # Table 6: a, b, eta
    assert [(b / a) ** (1 / (2 * eta)) for a, b, eta in printed] == pytest.approx([3.43, 7.52, 5.86], abs=0.005)


@pytest.mark.parametrize("name", GADRE)
def test_gadre_top1_error_follows_eq5(name):
    law = load_law(name)
    c = law.constants
    loss = np.array([2.0, 2.5, 3.0, 4.0])
    error = law.top1_error(loss)
    assert np.allclose(error, c["epsilon"] - c["k"] * np.exp(-c["gamma"] * loss), rtol=1e-14)
    assert np.all(np.diff(error) > 0) and np.all(error < c["epsilon"])
    assert law.plan_extras(1e21)["top1_error"] == pytest.approx(law.top1_error(law.optimal_loss(1e21)))


@pytest.mark.parametrize("multiplier", [1.0, 20.0, 200.0, 2000.0])
def test_overtrained_plan_spends_the_budget_and_pays_a_penalty(multiplier):
    law = load_law("gadre2024-c4")
    (plan,) = planning.overtrained(1e22, multiplier, [law])
    assert plan.tokens / plan.params == pytest.approx(multiplier, rel=1e-12)
    assert 6 * plan.params * plan.tokens == pytest.approx(1e22, rel=1e-9)
    assert plan.loss == pytest.approx(law.loss_cm(1e22, multiplier), rel=1e-9)
    assert plan.loss_penalty > 0
    (at_optimum,) = planning.overtrained(1e22, law.optimal_multiplier(), [law])
    assert at_optimum.loss_penalty == pytest.approx(0, abs=1e-9)


def test_overtrained_penalty_grows_with_the_multiplier_past_the_optimum():
    penalties = [planning.overtrained(1e22, m, ["gadre2024-refinedweb"])[0].loss_penalty
                 for m in (10, 40, 160, 640)]
    assert all(b > a for a, b in zip(penalties, penalties[1:]))


# --- kumar2024 ------------------------------------------------------------------------------------
APP_K = {"gamma": (2.6745, 2.2102, 0.9578), "n": (0.3037, 1.4072, 2.4185)}  # Kumar et al. 2024, App. K


def app_k_capacity(p):
    """Π_x(1 − e^(n_x − P/γ_x)), written out from App. K's constants (the offsets inside the exponential)."""
    out = 1.0
    for gamma, n in zip(APP_K["gamma"], APP_K["n"]):
        out = out * (1 - np.exp(n - p / gamma))
    return out


def test_kumar_app_k_with_its_offsets_gives_7_bits():
    """Kumar et al. §4.3 state that 7–8 bits is compute-optimal for training. App. K's constants with
    their offsets inside the exponential and C = (6/16)·N·D·P give 7.0 bits (brute force over P at a
    fixed budget, and the maximum of capacity(P)/P on a fine grid); tolerance 0.01 bits."""
    law = load_law("kumar2024")
    bits = np.linspace(3.2, 16, 12801)
    assert bits[np.argmax(app_k_capacity(bits) / bits)] == pytest.approx(7.0, abs=0.01)
    losses = [law.clone(precision=(p, p, p)).optimal_loss(1e21) for p in bits[::10]]
    brute = bits[::10][int(np.argmin(losses))]
    assert law.optimal_bits() == pytest.approx(7.0, abs=0.01)
    assert brute == pytest.approx(law.optimal_bits(), abs=0.011)
    assert law.plan_extras(1e21)["precision_bits"] == pytest.approx(law.optimal_bits(), abs=1e-5)
    assert law.capacity(8.0, 8.0, 8.0) == pytest.approx(app_k_capacity(8.0), rel=1e-12)
    assert law.params_kind == "non-embedding"


def test_kumar_8_bit_penalty_stated_in_the_law_file():
    """The reducible loss of the optimal plan rises by (capacity(P*)/P* ÷ capacity(8)/8)^(αβ/(α+β)) − 1
    at 8 bits: 0.55% (16 bits: 14.1%), at every budget; the file's notes say so."""
    law = load_law("kumar2024")
    E = law.constants["E"]
    best = law.optimal_bits()
    ratio = lambda p: (app_k_capacity(best) / best / (app_k_capacity(p) / p)) ** (0.4965 / 2)  # noqa: E731
    for flops in (1e19, 1e23):
        for p, stated in ((8.0, 1.0055), (16.0, 1.141)):
            excess = (law.clone(precision=(p,) * 3).optimal_loss(flops) - E) / (law.optimal_loss(flops) - E)
            assert excess == pytest.approx(ratio(p), rel=1e-9)
            assert excess == pytest.approx(stated, abs=0.0005)
    assert any("0.55%" in note and "14.1%" in note for note in law.meta["notes"])


def test_kumar_optimal_precision_does_not_depend_on_the_budget():
    """The compute-optimal P is the same at every budget (Kumar et al. §4.3)."""
    law = load_law("kumar2024")
    assert [law.optimum(f)[2] for f in (1e18, 1e21, 1e25)] == pytest.approx([law.optimal_bits()] * 3, rel=1e-5)


@pytest.mark.parametrize("precision, post_bits", [((16.0,) * 3, None), ((8.0, 8.0, 4.0), None), ((4.0, 16.0, 16.0), 4.0)])
def test_kumar_fixed_precision_optimum_against_a_brute_force_grid(precision, post_bits):
    law = load_law("kumar2024").clone(precision=precision, post_bits=post_bits)
    flops = 1e21
    params, tokens = law.allocate(flops)
    assert law.training_flops(params, tokens) == pytest.approx(flops, rel=1e-9)
    n = log_grid(params / 10, params * 10, 20001)
    losses = law.loss(n, flops / law.training_flops(n, 1.0))
    assert params == pytest.approx(n[np.argmin(losses)], rel=2e-3)
    assert law.optimal_loss(flops) <= losses.min() + 1e-12


def test_kumar_free_precision_optimum_against_a_brute_force_grid():
    law = load_law("kumar2024").clone(post_bits=4.0)
    flops = 1e22
    params, tokens, bits, loss = law.optimum(flops)
    n, p = np.meshgrid(log_grid(params / 5, params * 5, 501), np.linspace(3.2, 13.2, 501), indexing="ij")
    grid = law.loss(n, flops / (6 / 16 * n * p), (p, p, p))
    i = np.unravel_index(np.argmin(grid), grid.shape)
    assert loss <= grid.min() + 1e-12
    assert params == pytest.approx(n[i], rel=0.01) and bits == pytest.approx(p[i], abs=0.03)


def test_kumar_post_training_quantisation_hurts_more_with_more_data():
    """§3: δ_PTQ grows with D at fixed N and shrinks with more bits."""
    law = load_law("kumar2024")
    d = np.array([1e10, 1e11, 1e12])
    assert np.all(np.diff(law.delta_ptq(1e9, d, post_bits=4)) > 0)
    assert law.delta_ptq(1e9, 1e11, post_bits=8) < law.delta_ptq(1e9, 1e11, post_bits=4)
    assert law.delta_ptq(1e9, 1e11) == 0


@pytest.mark.parametrize("text, bits", [("bf16", (16, 16, 16)), ("fp8", (8, 8, 8)), ("6", (6, 6, 6)),
                                        ("w8a8kv8", (8, 8, 8)), ("w4a8", (4, 8, 16)), ("kv4", (16, 16, 4))])
def test_parse_precision(text, bits):
    assert parse_precision(text) == bits


@pytest.mark.parametrize("text", ["", "w8x", "fp9", "bits"])
def test_parse_precision_rejects_nonsense(text):
    with pytest.raises(ValueError, match="unknown precision"):
        parse_precision(text)


# --- reconcile ------------------------------------------------------------------------------------
def test_pearce_song_local_fit_over_kaplan_budgets():
    """Pearce & Song 2024 (§4, their script with Besiroglu et al.'s constants): a Chinchilla law read
    in non-embedding parameters fits N* ∝ C^0.78 over Kaplan's budgets, 1e12.95-1e20.7 FLOPs."""
    assert reconcile.fitted_exponent(load_law("epoch2024")) == pytest.approx(0.78, abs=0.005)


@pytest.mark.parametrize("flops", [1e13, 1e17, 1e21])
def test_nonembedding_optimum_against_a_brute_force_grid(flops):
    law = load_law("epoch2024")
    n = log_grid(1e2, 1e12, 400001)
    losses = law.loss(reconcile.total_params(n), flops / (6 * n))
    assert reconcile.nonembedding_optimum(law, flops) == pytest.approx(n[np.argmin(losses)], rel=1e-3)


def test_local_exponent_is_the_slope_of_the_frontier_and_has_its_limits():
    law = load_law("epoch2024")
    for flops in (1e14, 1e17, 1e22):
        step = 1e-4
        slope = (math.log(reconcile.nonembedding_optimum(law, flops * math.exp(step)))
                 - math.log(reconcile.nonembedding_optimum(law, flops * math.exp(-step)))) / (2 * step)
        n = reconcile.nonembedding_optimum(law, flops)
        assert reconcile.local_exponent(law, n) == pytest.approx(slope, rel=1e-5)
    small, large = reconcile.exponent_limits(law)
    assert reconcile.local_exponent(law, 1.0) == pytest.approx(small, rel=0.01)
    assert reconcile.local_exponent(law, 1e16) == pytest.approx(large, rel=1e-3)
    assert large == pytest.approx(law.a, rel=1e-12)


def test_porian_chain_and_budget_reading():
    rows = reconcile.porian_rows()
    assert rows[0]["exponent"] == 0.835 and rows[-1]["exponent"] == 0.497
    assert sum(r["change"] for r in rows[1:]) == pytest.approx(0.497 - 0.835)
    reading = reconcile.budget_reading_rows(load_law("kaplan2020"), load_law("epoch2024"), [1e19, 1e23])
    assert [r["reading_ratio"] for r in reading] == pytest.approx([2 ** 0.73] * 2, rel=1e-12)


@pytest.mark.parametrize("form, constants, key", [
    ("moe", "{a: 18.1, alpha: -0.1, b: 30.8, beta: 0.147, g: 2.1, gamma: 0.58, c: 0.47, experts: 64, "
            "c_f: 6, c_r: 14, depth_ratio: 64}", "alpha"),
    ("over-training", "{E: 1.5, a: 141, b: 0, eta: 0.12, epsilon: 0.85, k: 2.08, gamma: 0.75}", "b"),
    ("precision", "{A: 4299, alpha: 0.5, B: 18060, beta: 0.5, E: 2.76, gamma_w: 2.67, gamma_a: -1, "
                  "gamma_kv: 0.96, n_w: 0.3, n_a: 1.4, n_kv: 2.4, C_T: 0.06, gamma_D: 0.5, gamma_N: 0.34, "
                  "gamma_post: 0.59}", "gamma_a"),
    ("precision", "{A: 4299, alpha: 0.5, B: 18060, beta: 0.5, E: 2.76, gamma_w: 2.67, gamma_a: 2.2, "
                  "gamma_kv: 0.96, n_w: 0.3, n_a: 40, n_kv: 2.4, C_T: 0.06, gamma_D: 0.5, gamma_N: 0.34, "
                  "gamma_post: 0.59}", "n_a"),
])
def test_impossible_constants_are_refused_naming_the_key(tmp_path, form, constants, key):
    from scalingplan import InputError

    path = tmp_path / "bad.yaml"
    path.write_text(f"name: bad\nform: {form}\nconstants: {constants}\n")
    with pytest.raises(InputError, match=f"constants.{key}"):
        load_law(str(path))
