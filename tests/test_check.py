"""scalingplan.checks.plans: reading plan files and evaluating each limit, passing and failing."""

import math
import textwrap

import pytest

from scalingplan.compute import counting
from scalingplan import load_law
from scalingplan.checks.plans import evaluate, load_plan
from scalingplan.errors import InputError

MINIMAL = """\
budget: {flops: 6e23}
model: {params: 70e9, tokens: 1.4e12}
law: chinchilla-1
limits: {max_budget_use: 1.0, max_params_ratio: 2.0}
"""
H100_PEAK = 989.4e12  # configs/hardware.yaml, H100 SXM5 BF16 dense


def write(tmp_path, text, name="plan.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def plan_with(tmp_path, limits, model="{params: 70e9, tokens: 1.4e12}", law="chinchilla-1",
              budget="{flops: 6e23}", extra=""):
    return load_plan(write(tmp_path, f"budget: {budget}\nmodel: {model}\nlaw: {law}\nlimits: {limits}\n{extra}"))


def checks(plan, name):
    return [c for c in evaluate(plan) if c.name == name]


def only(plan, name):
    (result,) = checks(plan, name)
    return result


def test_minimal_plan_as_written(tmp_path):
    plan = load_plan(write(tmp_path, MINIMAL))
    results = evaluate(plan)
    assert [r.name for r in results] == ["max_budget_use", "max_params_ratio"]
    assert all(r.passed for r in results)
    assert plan.flops_method == "6nd" and plan.flops == pytest.approx(6 * 70e9 * 1.4e12)
    budget, ratio = results
    assert budget.value == pytest.approx(6 * 70e9 * 1.4e12 / 6e23) and budget.limit == 1.0
    assert "6ND" in budget.message
    law = load_law("chinchilla-1")  # N_opt = G·C^a (Hoffmann et al. 2022 Table 2, a = 0.50)
    assert ratio.value == pytest.approx(70e9 / (law.G * (6 * 70e9 * 1.4e12) ** 0.5), rel=1e-12)
    assert ratio.law == "chinchilla-1"
    assert budget.line == ratio.line == 4


@pytest.mark.parametrize("limit, passed", [(0.99, True), (0.97, False)])
def test_max_budget_use(tmp_path, limit, passed):
    result = only(plan_with(tmp_path, f"{{max_budget_use: {limit}}}"), "max_budget_use")
    assert result.passed is passed
    assert ("within" if passed else "over") in result.message


def test_max_params_ratio_both_directions(tmp_path):
    law = load_law("chinchilla-1")
    big = only(plan_with(tmp_path, "{max_params_ratio: 2}", model="{params: 280e9, tokens: 300e9}"),
               "max_params_ratio")
    assert big.value == pytest.approx(280e9 / (law.G * math.sqrt(6 * 280e9 * 300e9)), rel=1e-12)
    assert big.value > 4 and not big.passed and "too large" in big.message
    loose = only(plan_with(tmp_path, "{max_params_ratio: 5}", model="{params: 280e9, tokens: 300e9}"),
                 "max_params_ratio")
    assert loose.passed
    small = only(plan_with(tmp_path, "{max_params_ratio: 2}", model="{params: 10e9, tokens: 10e12}"),
                 "max_params_ratio")
    assert small.value < 0.5 and not small.passed and "too small" in small.message


def test_max_params_ratio_is_checked_for_each_law(tmp_path):
    plan = plan_with(tmp_path, "{max_params_ratio: 2}", law="[chinchilla-1, chinchilla-3]")
    results = checks(plan, "max_params_ratio")
    assert [r.law for r in results] == ["chinchilla-1", "chinchilla-3"]
    # Chinchilla is 1.02x Approach 1's optimum but about 2.2x Approach 3's (32B at 5.76e23, reference §2.4).
    assert [r.passed for r in results] == [True, False]


@pytest.mark.parametrize("limit, passed", [(19, True), (21, False)])
def test_min_tokens_per_param(tmp_path, limit, passed):
    result = only(plan_with(tmp_path, f"{{min_tokens_per_param: {limit}}}"), "min_tokens_per_param")
    assert result.value == pytest.approx(20) and result.passed is passed


@pytest.mark.parametrize("offset, passed", [(0.01, True), (-0.01, False)])
def test_max_loss(tmp_path, offset, passed):
    # Hoffmann et al. 2022 Approach 3, printed constants (Appendix D.2): E + A/N^α + B/D^β.
    expected = 1.69 + 406.4 / 70e9 ** 0.34 + 410.7 / 1.4e12 ** 0.28
    plan = plan_with(tmp_path, f"{{max_loss: {expected + offset}}}", law="[chinchilla-1, chinchilla-3]")
    no_loss, with_loss = checks(plan, "max_loss")
    assert no_loss.law == "chinchilla-1" and no_loss.passed and no_loss.value is None
    assert not no_loss.applies and "does not apply" in no_loss.message
    assert no_loss.as_dict()["status"] == "not applicable"
    assert with_loss.value == pytest.approx(expected, rel=1e-12) and with_loss.passed is passed


def test_max_loss_needs_a_law_that_predicts_loss(tmp_path):
    with pytest.raises(InputError, match=r"plan.yaml:4: limits.max_loss: none of the laws"):
        plan_with(tmp_path, "{max_loss: 2.0}", law="chinchilla-1")


@pytest.mark.parametrize("limits, passed", [
    ("{unique_tokens: 0.5e12, max_epochs: 3}", True),   # 1.4T / 0.5T = 2.8 epochs
    ("{unique_tokens: 0.5e12, max_epochs: 2}", False),
    ("{unique_tokens: 2e12}", True),                    # alone: at most one epoch
    ("{unique_tokens: 1e12}", False),
])
def test_epochs(tmp_path, limits, passed):
    result = only(plan_with(tmp_path, limits), "max_epochs")
    assert result.passed is passed
    assert result.value == pytest.approx(1.4e12 / float(limits.split()[1].rstrip(",}")))


def test_max_epochs_needs_unique_tokens(tmp_path):
    with pytest.raises(InputError, match="limits.max_epochs: needs unique_tokens"):
        plan_with(tmp_path, "{max_epochs: 4}")


@pytest.mark.parametrize("offset, passed", [(0.5, True), (-0.5, False)])
def test_max_days_with_a_hardware_section(tmp_path, offset, passed):
    days = 6 * 70e9 * 1.4e12 / (1024 * H100_PEAK * 0.4) / 86400
    plan = plan_with(tmp_path, f"{{max_days: {days + offset}}}", extra="hardware: {gpu: h100, count: 1024, mfu: 0.4}\n")
    result = only(plan, "max_days")
    assert result.value == pytest.approx(days, rel=1e-12) and result.passed is passed
    assert "1,024 × H100 SXM5" in result.message and "(default)" not in result.message


def test_max_days_from_a_hardware_budget_with_default_mfu(tmp_path):
    plan = plan_with(tmp_path, "{max_days: 100, max_budget_use: 1}", budget="{gpu: h100, count: 512, days: 60}")
    budget = 512 * 60 * 86400 * H100_PEAK * 0.3  # default MFU 0.3 (configs/hardware.yaml)
    assert plan.budget["flops"] == pytest.approx(budget, rel=1e-12)
    result = only(plan, "max_days")
    assert result.value == pytest.approx(6 * 70e9 * 1.4e12 / (512 * H100_PEAK * 0.3) / 86400, rel=1e-12)
    assert "(default)" in result.message


def test_max_days_needs_hardware(tmp_path):
    with pytest.raises(InputError, match="limits.max_days: needs the hardware"):
        plan_with(tmp_path, "{max_days: 30}")
    with pytest.raises(InputError, match="limits.max_days: needs the hardware"):
        plan_with(tmp_path, "{max_days: 30}", budget="{gpu: h100, gpu_hours: 1e6}")


def test_budget_ways(tmp_path):
    assert plan_with(tmp_path, "{max_budget_use: 1}", budget="{pf_days: 1000}").budget["flops"] == pytest.approx(8.64e22)
    hours = plan_with(tmp_path, "{max_budget_use: 1}", budget="{gpu: a100, gpu_hours: 1e6, mfu: 0.5}")
    assert hours.budget["flops"] == pytest.approx(1e6 * 3600 * 312e12 * 0.5)


def test_catalogue_model_and_overrides(tmp_path):
    gopher = plan_with(tmp_path, "{max_budget_use: 1}", model="gopher")
    assert (gopher.params, gopher.tokens, gopher.flops_method) == (280e9, 300e9, "6nd")
    longer = plan_with(tmp_path, "{max_budget_use: 1}", model="{name: gopher, tokens: 1e12}")
    assert (longer.params, longer.tokens) == (280e9, 1e12)


def test_architecture_uses_its_own_count(tmp_path):
    shapes = "{layers: 24, d_model: 2048, heads: 16, vocab: 32000, seq_len: 2048}"
    arch = counting.make_architecture(layers=24, d_model=2048, heads=16, vocab=32000, seq_len=2048)
    plan = plan_with(tmp_path, "{max_budget_use: 1}", model=f"{{architecture: {shapes}, tokens: 20e9}}")
    assert plan.flops_method == "chinchilla"
    # 2·d·L·(2·d_attn + d_ff) + vocab·d = 2·2048·24·(2·2048 + 8192) + 32000·2048 (Kaplan §2.1 plus one embedding).
    assert plan.params == arch.params_total == 1_273_495_552
    assert plan.flops == pytest.approx(counting.chinchilla_training_flops(arch, 20e9), rel=1e-12)
    assert "Chinchilla Appendix F" in only(plan, "max_budget_use").message
    six = plan_with(tmp_path, "{max_budget_use: 1}",
                    model=f"{{architecture: {shapes}, tokens: 20e9, params: 1.3e9, flops_method: 6nd}}")
    assert six.flops == pytest.approx(6 * 1.3e9 * 20e9)


def test_families_and_law_files_relative_to_the_plan(tmp_path, monkeypatch):
    assert [law.name for law in plan_with(tmp_path, "{max_budget_use: 1}", law="chinchilla").laws] == [
        "chinchilla-1", "chinchilla-2", "chinchilla-3"]
    (tmp_path / "laws").mkdir()
    write(tmp_path, "{name: my-law, form: parametric, constants: {E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, "
                    "beta: 0.28}}", "laws/mine.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    plan = plan_with(tmp_path, "{max_params_ratio: 3}", law="[laws/mine.yaml, kaplan]")
    assert [law.name for law in plan.laws] == ["my-law", "kaplan2020"]


def test_numbers_are_numbers(tmp_path):
    plan = plan_with(tmp_path, "{max_budget_use: 1, max_params_ratio: 2}", budget="{flops: 6E23}",
                     model="{params: 70B, tokens: 1_400e9}")
    assert (plan.budget["flops"], plan.params, plan.tokens) == (6e23, 70e9, 1.4e12)


@pytest.mark.parametrize("text, fragments", [
    ("budget: {flops: 6e23\nmodel: x\n", ["plan.yaml:2", "YAML syntax error"]),
    (MINIMAL.replace("chinchilla-1", "chinchila-1"), ["plan.yaml:3", "law:", "did you mean 'chinchilla-1'"]),
    (MINIMAL.replace("budget: {flops: 6e23}\n", ""), ["plan.yaml", "missing key 'budget'"]),
    (MINIMAL.replace("70e9", "-70e9"), ["plan.yaml:2", "model.params", "must be positive"]),
    (MINIMAL.replace("6e23", "-6e23"), ["plan.yaml:1", "budget.flops", "must be positive"]),
    (MINIMAL.replace("max_params_ratio: 2.0", "max_params_ratio: -2"), ["plan.yaml:4", "limits.max_params_ratio"]),
    (MINIMAL.replace("max_budget_use", "max_budget_usage"),
     ["plan.yaml:4", "limits.max_budget_usage", "did you mean 'max_budget_use'"]),
    (MINIMAL + "limts: {}\n", ["plan.yaml:5", "limts", "did you mean 'limits'"]),
    (MINIMAL.replace("tokens:", "tokenz:"), ["plan.yaml:2", "model.tokenz", "did you mean 'tokens'"]),
    (MINIMAL.replace("70e9", "seventy"), ["plan.yaml:2", "model.params", "not a number"]),
    (MINIMAL.replace("max_params_ratio: 2.0", "max_params_ratio: 0.5"), ["limits.max_params_ratio", "at least 1"]),
    (MINIMAL.replace("{flops: 6e23}", "{flops: 6e23, pf_days: 10}"), ["plan.yaml:1", "budget", "one way"]),
    (MINIMAL.replace("{flops: 6e23}", "{gpu: h1000, count: 8, days: 2}"),
     ["plan.yaml:1", "budget.gpu", "did you mean 'h100'"]),
    (MINIMAL.replace("{flops: 6e23}", "{gpu: h100, count: 8.5, days: 2}"), ["budget.count", "whole number"]),
    (MINIMAL.replace("{flops: 6e23}", "{gpu: h100, count: 8, days: 2, mfu: 40}"), ["budget.mfu", "(0, 1]"]),
    (MINIMAL.replace("model: {params: 70e9, tokens: 1.4e12}", "model: gopherr"), ["model", "did you mean 'gopher'"]),
    (MINIMAL.replace("{params: 70e9, tokens: 1.4e12}", "{params: 70e9}"), ["model", "tokens"]),
    (MINIMAL.replace("limits: {max_budget_use: 1.0, max_params_ratio: 2.0}", "limits: {}"), ["limits", "no limits"]),
    (MINIMAL.replace("law: chinchilla-1\n", ""), ["missing key 'law'"]),
    (MINIMAL.replace("chinchilla-1", "missing.yaml"), ["plan.yaml:3", "missing.yaml", "no such law file"]),
    ("- 1\n- 2\n", ["plan.yaml", "mapping"]),
    (MINIMAL.replace("{params: 70e9, tokens: 1.4e12}", "{architecture: {layers: 2, d_model: 64}, tokens: 1e9}"),
     ["plan.yaml:2", "model.architecture", "give vocab, seq_len, heads or kv_size"]),
    (MINIMAL.replace("{params: 70e9, tokens: 1.4e12}", "{params: 1e9, tokens: 1e9, flops_method: kaplan}"),
     ["model.flops_method", "needs an architecture"]),
    (MINIMAL + "hardware: {gpu: h100}\n", ["plan.yaml:5", "hardware", "missing key 'count'"]),
])
def test_malformed_plans_are_one_line_input_errors(tmp_path, text, fragments):
    with pytest.raises(InputError) as info:
        load_plan(write(tmp_path, text))
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


def test_every_registry_law_can_judge_a_plan(tmp_path):
    from scalingplan.catalogues.registry import available

    for name in available():
        law = load_law(name)
        limits = "{max_params_ratio: 100, max_loss: 100}" if law.predicts_loss else "{max_params_ratio: 100}"
        results = evaluate(plan_with(tmp_path, limits, law=name))
        ratio = results[0]
        assert ratio.law == law.name and ratio.passed
        # The optimum at the model's compute in the law's own cost model (6ND but for MoE routing), as assess.
        assert ratio.value * law.allocate(law.training_flops(70e9, 1.4e12))[0] == pytest.approx(70e9, rel=1e-9)
        if law.predicts_loss:
            assert results[1].value == pytest.approx(float(law.loss(70e9, 1.4e12)), rel=1e-12)


def test_min_mfu_checks_the_predicted_utilisation(tmp_path):
    """A plan on a cluster without an MFU takes the one predicted for its fastest layout; min_mfu bounds it."""
    from scalingplan.checks.plans import evaluate, load_plan

    path = tmp_path / "plan.yaml"
    path.write_text("budget: {flops: 1e23}\nlaw: chinchilla-3\nmodel: {params: 7e9, tokens: 2e12}\nhardware: {gpu: h100, count: 256}\n"
                    "limits: {min_mfu: 0.05, max_days: 1000}\n")
    results = {r.name: r for r in evaluate(load_plan(str(path)))}
    assert results["min_mfu"].passed and 0.05 < results["min_mfu"].value < 0.8
    assert "predicted" in results["min_mfu"].message and "(predicted)" in results["max_days"].message
    path.write_text("budget: {flops: 1e23}\nlaw: chinchilla-3\nmodel: {params: 7e9, tokens: 2e12}\nhardware: {gpu: h100, count: 256, mfu: 0.2}\n"
                    "limits: {min_mfu: 0.25}\n")
    (result,) = evaluate(load_plan(str(path)))
    assert not result.passed and result.value == 0.2
