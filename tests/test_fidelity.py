"""Each law read as its authors read it: Kaplan's budget C = 2·C_min and its C_min loss trend, the
budgets each fit was made on, the parameter conventions, and a library that refuses nonsense."""

import json
import math
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scalingplan
from scalingplan import InputError, available, load_law
from scalingplan.constants import PF_DAY
from scalingplan.planning.allocation import MIN_COUNT, smallest_budget
from cli_assertions import assert_one_line_error

KAPLAN = load_law("kaplan2020")


def as_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rows_by_law(rows):
    return {row["law"]: row for row in rows}


# --- 1. Kaplan's budget is C = 2·C_min --------------------------------------------------------------
def test_kaplan_optimum_at_1e21_is_hoffmann_d4s_number(cli):
    # Hoffmann et al. 2022 (arXiv:2203.15556) App. D.4: "For 10^21 FLOPs ... From Kaplan et al. (2020),
    # we find that the optimal model size should be 4.68 billion parameters." Printed to three
    # significant figures, so the tolerance is half a unit in the last digit: ±0.005e9.
    assert abs(KAPLAN.allocate(1e21)[0] - 4.68e9) <= 0.005e9
    # the same number wherever a budget is read: allocate, compare and assess
    (row,) = as_json(cli("allocate", "--flops", "1e21", "--law", "kaplan", "--json"))["allocations"]
    assert abs(row["params"] - 4.68e9) <= 0.005e9
    compared = as_json(cli("compare", "kaplan", "--flops", "1e21", "--json"))["rows"]
    assert abs(compared[0]["params"] - 4.68e9) <= 0.005e9
    tokens = 1e21 / (6 * 2e9)
    (model,) = as_json(cli("assess", "--params", "2e9", "--tokens", tokens, "--law", "kaplan",
                           "--json"))["models"]
    assert abs(model["assessments"][0]["optimal_params"] - 4.68e9) <= 0.005e9


def test_check_reads_kaplan_the_same_way(tmp_path):
    # a plan file's max_params_ratio check compares with the same optimum: 4.68B at 1e21 (App. D.4)
    from scalingplan.checks.plans import evaluate, load_plan

    path = tmp_path / "plan.yaml"
    path.write_text(f"budget: {{flops: 1e21}}\nmodel: {{params: 4.68e9, tokens: {1e21 / (6 * 4.68e9):.6e}}}\n"
                    "law: kaplan\nlimits: {max_params_ratio: 1.01}\n", encoding="utf-8")
    (result,) = [c for c in evaluate(load_plan(path)) if c.name == "max_params_ratio"]
    assert result.passed and abs(result.value - 1) < 0.005 / 4.68
    assert "counts non-embedding parameters" in result.message


def test_kaplan_tokens_are_table_6s_d_opt():
    # Kaplan et al. 2020 Table 6: D_opt = 2e10·C_min^0.27 tokens, one significant figure, so any
    # prefactor that rounds to 2e10 agrees: [1.5e10, 2.5e10). D = C/(6N) with C = 2·C_min (§6.3)
    # gives 2.2e10; reading C as C_min (the old reading) gives 1.1e10, which does not round to 2e10.
    for c_min in (1e-3, 1.0, 1e4):
        _, tokens = KAPLAN.allocate(2 * c_min * PF_DAY)
        assert 1.5e10 <= tokens / c_min ** 0.27 < 2.5e10


def test_kaplan_batch_and_steps_spend_the_budget():
    # Kaplan §5.1 eq. 5.4: at B = B_crit a run takes S = S_min·(1 + B_crit/B) = 2·S_min steps, so
    # C = 6·N·B·2·S_min. Table 6 prints its prefactors to two significant figures (1.3e9, 2.0e6,
    # 5.4e3), which bounds the mismatch by about 0.05/1.3 + 0.05/2.0 + 0.05/5.4 = 7%.
    for flops in (1e18, 1e21, 5.76e23):
        params, tokens = KAPLAN.allocate(flops)
        batch, steps = KAPLAN.frontier_batch(flops), KAPLAN.frontier_steps(flops)
        assert 6 * params * batch * steps == pytest.approx(flops, rel=0.07)
        assert batch * steps == pytest.approx(tokens, rel=0.07)


def test_kaplan_oracle_brute_force_over_the_frontier():
    # Oracle: walk Kaplan's Table 6 frontier on a fine grid of C_min and take, by brute force, the
    # point whose run at the critical batch (N, B_crit, 2·S_min steps; §5.1) spends the budget.
    # Its N must be the planner's, within the 7% of Table 6's rounding (N ∝ C^0.73: within 5.2%).
    c_min = np.geomspace(1e-10, 1e12, 400_001)
    c = KAPLAN.constants
    n = c["N_opt_coef"] * c_min ** c["N_opt_exp"]
    spent = 6 * n * c["B_opt_coef"] * c_min ** c["B_opt_exp"] * 2 * c["S_opt_coef"] * c_min ** c["S_opt_exp"]
    for flops in (1e15, 1e19, 1e21, 5.76e23, 1e26):
        best = np.argmin(np.abs(np.log(spent / flops)))
        assert KAPLAN.allocate(flops)[0] == pytest.approx(n[best], rel=0.052)
        assert c_min[best] * PF_DAY == pytest.approx(flops / 2, rel=0.075)


def test_kaplan_frontier_loss_is_the_c_min_trend():
    # Kaplan eq. 1.3, L(C_min) = (3.1e8 PF-days / C_min)^0.050, which footnote 3 says is the trend to
    # predict with; C_min = C/2. L = 1 exactly at C_min = C_c^min, and 10× the budget divides the loss
    # by 10^0.05 (tolerance: floating point).
    assert KAPLAN.frontier_loss(2 * 3.1e8 * PF_DAY) == pytest.approx(1.0, rel=1e-12)
    assert KAPLAN.frontier_loss(1e21) / KAPLAN.frontier_loss(1e22) == pytest.approx(10 ** 0.05, rel=1e-12)
    (plan,) = scalingplan.allocate(5.76e23, ["kaplan"])
    assert plan.loss == pytest.approx(KAPLAN.frontier_loss(5.76e23), rel=1e-15)
    assert plan.loss != pytest.approx(KAPLAN.loss(plan.params, plan.tokens), rel=1e-3)


def test_kaplan_assess_compares_l_of_n_and_d_on_both_sides():
    # Kaplan eq. 1.5 (Table 2 fit) is the loss of a given model and data. The optimum it is compared
    # with is the least eq. 1.5 loss at the same compute, whose closed form is the kaplan-nd form's
    # N_opt = (p·N_c^p·C/(6·D_c))^(1/(p+1)); eq. 1.3's frontier (1.784 here) is a separate fit that
    # Gopher's eq. 1.5 loss (1.630) would seem to beat.
    from scalingplan.laws import KaplanNDLaw

    c = KAPLAN.constants
    eq_1_5 = KaplanNDLaw("eq-1.5", {"N_c": c["N_c_ND"], "D_c": c["D_c_ND"], "alpha_N": c["alpha_N_ND"],
                                    "alpha_D": c["alpha_D_ND"]})
    flops, (kaplan,) = scalingplan.assess(280e9, 300e9, ["kaplan"])
    assert kaplan["loss"] == pytest.approx(KAPLAN.loss(280e9, 300e9), rel=1e-15)
    assert kaplan["optimal_loss"] == pytest.approx(eq_1_5.frontier_loss(flops), rel=1e-9)
    assert kaplan["loss"] >= kaplan["optimal_loss"]
    # The optimal N and D stay the plan's (Table 6, as allocate gives them).
    assert kaplan["optimal_params"] == pytest.approx(scalingplan.allocate(flops, ["kaplan"])[0].params, rel=1e-12)


@pytest.mark.parametrize("target", [3.0, 2.2, 1.7])
def test_kaplan_loss_budget_closed_form_against_bisection(target):
    # The closed form inverts eq. 1.3 (C = 2·C_c^min·L^(-1/0.050) PF-days); the generic bisection of
    # the base class over the same frontier loss is the oracle (tolerance: its 1e-13 stopping rule).
    closed = KAPLAN.loss_budget(target)
    assert scalingplan.laws.Law.loss_budget(KAPLAN, target) == pytest.approx(closed, rel=1e-12)
    assert KAPLAN.frontier_loss(closed) == pytest.approx(target, rel=1e-12)


def test_laws_show_kaplan_explains_the_reading(cli):
    text = cli("laws", "show", "kaplan").stdout
    assert "C = 2·C_min" in text and "4.68B" in text and "eq. 1.3" in text


# --- 2. Ranges of validity --------------------------------------------------------------------------
def test_every_row_far_outside_at_1e30(cli):
    result = cli("allocate", "--flops", "1e30", "--json")
    for row in as_json(result)["allocations"]:
        assert row["extrapolation_decades"] > 0, row["law"]
    assert len([line for line in result.stderr.splitlines() if "extrapolations" in line]) == 1


def test_small_budget_far_below_chinchilla_and_llama3(cli):
    rows = rows_by_law(as_json(cli("allocate", "--flops", "1e13", "--json"))["allocations"])
    for name in ("chinchilla-1", "chinchilla-2", "chinchilla-3", "llama3"):
        assert rows[name]["extrapolation_decades"] > 3, name


def test_chinchilla_family_inside_at_1e21(cli):
    rows = as_json(cli("allocate", "--flops", "1e21", "--law", "chinchilla", "--json"))["allocations"]
    assert [row["extrapolation_decades"] for row in rows] == [0, 0, 0]


def test_extrapolation_decades_is_the_distance_in_decades():
    law = load_law("chinchilla-2")  # fitted on 6e18 to 3e21 FLOPs (Hoffmann et al. 2022 §3.2)
    assert law.extrapolation_decades(6e16) == pytest.approx(2.0, rel=1e-12)
    assert law.extrapolation_decades(3e24) == pytest.approx(3.0, rel=1e-12)
    assert np.allclose(law.extrapolation_decades(np.array([6e16, 1e20, 3e24])), [2, 0, 3], rtol=1e-12)
    assert load_law("muennighoff2023").extrapolation_decades(1e30) is None  # no stated range


def test_every_registry_law_cites_its_range():
    for name in available():
        validity = load_law(name).validity
        assert validity.get("source") and ("flops" in validity or "params" in validity), name


def test_table_marks_rows_outside(cli):
    text = cli("allocate", "--flops", "1e21").stdout
    assert "kaplan2020*" in text and "chinchilla-3*" not in text and "* outside the budgets" in text


def test_absurd_budgets_are_refused_naming_the_smallest(cli):
    result = cli("allocate", "--flops", "1k")
    assert_one_line_error(result, "too small for 'kaplan2020'", "smallest budget it answers is 7.28e11")
    with pytest.raises(InputError, match="smallest budget"):
        scalingplan.allocate(1e3)


@pytest.mark.parametrize("name", available())
def test_smallest_budget_is_where_the_optimum_reaches_a_thousand(name):
    law = load_law(name)
    least = smallest_budget(law)
    # Searched optima (the MoE and precision forms) are exact to ~1e-7, closed forms to rounding.
    assert min(law.allocate(least)) == pytest.approx(MIN_COUNT, rel=1e-6 if hasattr(law, "optimum") else 1e-9)
    assert min(law.allocate(least * 0.99)) < MIN_COUNT
    scalingplan.allocate(least, [name])
    with pytest.raises(InputError, match=f"too small for '{name}'"):
        scalingplan.allocate(least * 0.99, [name])


# --- 3. Labels ----------------------------------------------------------------------------------------
def test_params_kind_in_json_and_footnotes(cli):
    kinds = {"kaplan2020": "non-embedding", "deepseek2024": "M/6", "chinchilla-3": "total"}
    for args, key in ((("allocate", "--flops", "1e21"), "allocations"), (("compare", "--points", "2"), "rows")):
        data = as_json(cli(*args, "--json"))
        for row in data[key]:
            assert row["params_kind"] == kinds.get(row["law"], "total")
    (model,) = as_json(cli("assess", "gopher", "--json"))["models"]
    assert {a["law"]: a["params_kind"] for a in model["assessments"]}["kaplan2020"] == "non-embedding"
    for args in (("allocate", "--flops", "1e21", "--explain"), ("compare", "--points", "2"), ("assess", "gopher")):
        text = cli(*args).stdout
        assert "Params: non-embedding parameters (kaplan2020); M/6" in text and "(deepseek2024)" in text, args


def test_compare_says_what_its_ratios_divide_and_prints_allocates_notes(cli):
    text = cli("compare", "chinchilla-3", "kaplan", "--points", "2").stdout
    assert "divided by those of chinchilla-3" in text
    assert "Loss: predicted final loss" in text and "Params:" in text


def test_laws_show_sources(cli):
    unrounded = as_json(cli("laws", "show", "chinchilla-3-unrounded", "--json"))
    assert "Besiroglu" in unrounded["citation"]["authors"]
    assert any("notebook" in note and "D.2 prints only the rounded" in note for note in unrounded["notes"])
    epoch = as_json(cli("laws", "show", "epoch2024", "--json"))
    assert any("Huber-likelihood" in note and "477.84" in note for note in epoch["notes"])
    rows = as_json(cli("laws", "show", "chinchilla-3", "--json"))["published_comparison"]
    printed, corrected = [r for r in rows if r["params"] == 175e9]
    assert printed["as_printed"] and printed["flops"] == 1.26e24  # Hoffmann et al. 2022 Table A3
    assert corrected["flops"] == 1.26e25 == pytest.approx(6 * 175e9 * 12.0e12, rel=1e-12)


def test_lamda_notes_its_non_embedding_count(cli):
    text = cli("assess", "lamda").stdout
    assert "non-embedding" in text and "3.55e23" in text  # Thoppilan et al. 2022 §3 and §10


def test_assess_says_over_or_under_trained_and_what_it_costs(cli):
    # Gopher (280B on 300B tokens) is far larger than epoch2024's optimum at its compute.
    flops, assessments = scalingplan.assess(280e9, 300e9, ["epoch2024"])
    (a,) = assessments
    assert a["training"] == "under-trained" and a["params_ratio"] > 4
    law = load_law("epoch2024")
    # the optimum's budget for Gopher's own loss, found by bisection (base class), as a fraction
    needed = scalingplan.laws.Law.loss_budget(law, a["loss"])
    assert a["optimum_compute_fraction"] == pytest.approx(needed / flops, rel=1e-9)
    assert law.frontier_loss(needed) == pytest.approx(a["loss"], rel=1e-9)
    text = cli("assess", "gopher", "--law", "epoch2024").stdout
    assert "epoch2024: under-trained" in text and f"{a['optimum_compute_fraction']:.0%} of the compute" in text
    _, (small,) = scalingplan.assess(1e9, 1e12, ["chinchilla-3"])
    assert small["training"] == "over-trained"


# --- 4. The library refuses nonsense ------------------------------------------------------------------
BAD = [0.0, -1.0, -1e30, math.nan, math.inf, -math.inf]


def entry_points():
    """Every public entry point, as (label, function of one number)."""
    points = [
        ("allocate", lambda x: scalingplan.allocate(x)),
        ("allocate_params", lambda x: scalingplan.allocate_params(x)),
        ("allocate_loss", lambda x: scalingplan.allocate_loss(x)),
        ("assess params", lambda x: scalingplan.assess(x, 1e12)),
        ("assess tokens", lambda x: scalingplan.assess(1e9, x)),
        ("compare", lambda x: scalingplan.compare([x])),
    ]
    for name in available():
        law = load_law(name)
        points += [
            (f"{name}.allocate", law.allocate),
            (f"{name}.params_budget", law.params_budget),
            (f"{name}.loss N", lambda x, law=law: law.loss(x, 1e12)),
            (f"{name}.loss D", lambda x, law=law: law.loss(1e9, x)),
            (f"{name}.frontier_loss", law.frontier_loss),
            (f"{name}.optimal_loss", law.optimal_loss),
            (f"{name}.loss_budget", law.loss_budget),
            (f"{name}.extrapolation_decades", law.extrapolation_decades),
            (f"{name}.plan_extras", law.plan_extras),
        ]
    points += [(f"kaplan2020.{m}", getattr(KAPLAN, m)) for m in
               ("frontier_batch", "frontier_steps", "loss_params", "loss_tokens", "loss_compute",
                "critical_batch")]
    return points


ENTRY_POINTS = entry_points()


@settings(max_examples=150)
@given(st.sampled_from(ENTRY_POINTS), st.sampled_from(BAD), st.booleans(),
       st.lists(st.floats(min_value=1e18, max_value=1e24), min_size=0, max_size=4))
def test_every_public_entry_point_refuses_bad_numbers(point, bad, as_array, good):
    label, function = point
    value = np.array(good + [bad]) if as_array else bad
    with pytest.raises(InputError):
        result = function(value)
        pytest.fail(f"{label}({value!r}) returned {result!r}")


def test_lists_are_read_as_arrays():
    params, _ = load_law("chinchilla-3").allocate([1e21, 1e22])
    assert np.allclose(params, load_law("chinchilla-3").allocate(np.array([1e21, 1e22]))[0], rtol=0)
    with pytest.raises(InputError):
        KAPLAN.allocate([1e21, -1.0])


def test_huge_finite_inputs_raise_input_error_not_overflow():
    with pytest.raises(InputError):
        load_law("chinchilla-3").params_budget(1e300)


def test_law_files_with_impossible_constants_are_rejected(tmp_path, cli):
    source = (load_law("chinchilla-3").meta["source"])
    text = open(source, encoding="utf-8").read()
    cases = {"alpha: {value: 0.34": "alpha: {value: -0.34", "A: {value: 406.4": "A: {value: 0",
             "E: {value: 1.69": "E: {value: -1.69", "B: {value: 410.7": "B: {value: -410.7"}
    for old, new in cases.items():
        path = tmp_path / f"bad-{len(os.listdir(tmp_path))}.yaml"
        path.write_text(text.replace(old, new), encoding="utf-8")
        key = new.split(":")[0]
        line = next(i for i, row in enumerate(path.read_text().splitlines(), 1) if row.strip().startswith(key + ":"))
        with pytest.raises(InputError, match=rf"{path.name}:{line}: constants\.{key}: must be"):
            load_law(str(path))
        assert_one_line_error(cli("allocate", "--flops", "1e21", "--law", str(path)), f":{line}: constants.{key}")
    kaplan = open(KAPLAN.meta["source"], encoding="utf-8").read().replace("value: 1.3e9", "value: 0")
    path = tmp_path / "kaplan-zero.yaml"
    path.write_text(kaplan, encoding="utf-8")
    with pytest.raises(InputError, match="constants.N_opt_coef: must be positive"):
        load_law(str(path))


def test_load_law_rereads_an_edited_file(tmp_path):
    path = tmp_path / "mine.yaml"
    text = open(load_law("chinchilla-3").meta["source"], encoding="utf-8").read()
    path.write_text(text, encoding="utf-8")
    first = load_law(str(path))
    assert load_law(str(path)) is first  # unchanged: cached
    path.write_text(text.replace("E: {value: 1.69", "E: {value: 1.5"), encoding="utf-8")
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 10**9))
    assert load_law(str(path)).E == 1.5


# --- 5. Messages -------------------------------------------------------------------------------------
@pytest.mark.parametrize("args, fragment", [
    (["--flops", "1e21", "--mfu", "0.4"], "--mfu needs --gpu"),
    (["--count", "8", "--days", "2"], "--count needs --gpu"),
    (["--days", "2"], "--days needs --gpu"),
    (["--gpu", "h100-80gb", "--count", "8", "--days", "1"], "did you mean 'H100 SXM5' or 'H100 PCIe'?"),
])
def test_messages_point_at_the_right_thing(cli, args, fragment):
    assert_one_line_error(cli("allocate", *args), fragment)


def test_comma_list_of_laws(cli):
    rows = as_json(cli("allocate", "--flops", "1e21", "--law", "kaplan,chinchilla-3", "--json"))["allocations"]
    assert [row["law"] for row in rows] == ["kaplan2020", "chinchilla-3"]
    rows = as_json(cli("allocate", "--flops", "1e21", "--law", "kaplan,", "--json"))["allocations"]
    assert [row["law"] for row in rows] == ["kaplan2020"]


def test_skipped_laws_are_one_warning_line(cli):
    result = cli("allocate", "--loss", "2.2", "--json")
    lines = [line for line in result.stderr.splitlines() if "predicts no loss" in line]
    assert len(lines) == 1 and "'chinchilla-1'" in lines[0] and "'llama3'" in lines[0]
