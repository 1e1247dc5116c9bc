"""scalingplan.planning.recipe: batch size and learning rate rules, and runs on a cluster; `allocate`
with --gpu --count."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from scalingplan.compute import memory as mem
from scalingplan.planning import recipe
from cli_assertions import assert_one_line_error

A100_PEAK, H100_PEAK = 312e12, 989.4e12  # configs/hardware.yaml, BF16 dense


# --- DeepSeek LLM (Bi et al. 2024, arXiv:2401.02954) ---------------------------------------------------
# Table 2: layers, d_model, batch (sequences of 4096 tokens), peak learning rate; both on 2T tokens.
DEEPSEEK_TABLE_2 = {"7B": (30, 4096, 2304, 4.2e-4), "67B": (95, 8192, 4608, 3.2e-4)}


def test_deepseek_eq_2_flops_per_token():
    """Eq. 2: M = 72·n_layer·d² + 12·n_layer·d·l_seq; for the 7B model 4.23e10 FLOPs per token."""
    assert recipe.deepseek_flops_per_token(30, 4096, 4096) == 72 * 30 * 4096 ** 2 + 12 * 30 * 4096 * 4096
    assert recipe.deepseek_flops_per_token(30, 4096, 4096) == pytest.approx(4.228e10, rel=1e-3)


@pytest.mark.parametrize("model, batch_tol, lr_tol", [("7B", 0.03, 0.02), ("67B", 0.10, 0.03)])
def test_deepseek_eq_1_at_the_budgets_of_their_table_2_models(model, batch_tol, lr_tol):
    """Eq. 1 at C = M·D (eq. 2, 2T tokens) against the hyper-parameters DeepSeek trained with (Table 2).
    The 7B model is within 3% (batch) and 2% (lr); for the 67B model eq. 1 gives 5,042 sequences where
    DeepSeek used 4,608 (9.4% apart) and lr 3.12e-4 against 3.2e-4 (2.5%)."""
    layers, d, sequences, lr = DEEPSEEK_TABLE_2[model]
    compute = recipe.deepseek_flops_per_token(layers, d, 4096) * 2e12
    batch, rate = recipe.deepseek_hparams(compute)
    assert batch == pytest.approx(sequences * 4096, rel=batch_tol)
    assert rate == pytest.approx(lr, rel=lr_tol)


def test_hyperparameters_with_deepseek_7b_shape_use_eq_2():
    """Given the 7B shape and N = 12·n_layer·d², hyperparameters() evaluates eq. 1 at eq. 2's C."""
    shape = mem.Shape(30, 4096, 32, 4096)
    params = 12.0 * 30 * 4096 ** 2
    out = recipe.hyperparameters(params, 2e12, "deepseek", 4096, shape, "non-embedding")
    batch, lr = recipe.deepseek_hparams(recipe.deepseek_flops_per_token(30, 4096, 4096) * 2e12)
    assert out["batch_sequences"] == round(batch / 4096) == 2252
    assert out["learning_rate"] == pytest.approx(lr)
    assert out["steps"] == math.ceil(2e12 / (2252 * 4096))


# --- Step Law (Li et al. 2025) and Kaplan's critical batch -------------------------------------------
@pytest.mark.parametrize("n, d", [(1e8, 1e10), (1e9, 1e11), (7e9, 2e12)])
def test_steplaw_in_log_form(n, d):
    """Step Law, as the paper prints it to three digits: ln η = ln 1.79 − 0.713 ln N + 0.307 ln D and
    ln B = ln 0.58 + 0.571 ln D; the code's unrounded constants are within the rounding (0.5% on the
    prefactors, 0.0005 on the exponents: at most 3% at N = 7e9, D = 2e12)."""
    batch, lr = recipe.steplaw_hparams(n, d)
    assert math.log(lr) == pytest.approx(math.log(1.79) - 0.713 * math.log(n) + 0.307 * math.log(d), abs=0.03)
    assert math.log(batch) == pytest.approx(math.log(0.58) + 0.571 * math.log(d), abs=0.02)


def test_kaplan_rows_carry_the_critical_batch(cli):
    payload = json.loads(cli("allocate", "--flops", "1e21", "--law", "kaplan2020", "--json").stdout)
    (row,) = payload["allocations"]
    assert row["critical_batch_tokens"] == pytest.approx(2e8 / row["loss"] ** (1 / 0.21))  # eq. 1.4
    assert "frontier_batch_tokens" in row and row["hparams_rule"] == "deepseek"


# --- rounding and arrays -------------------------------------------------------------------------------
@settings(max_examples=50)
@given(st.floats(1e7, 1e12), st.floats(1e9, 1e14), st.sampled_from(recipe.RULES), st.sampled_from([512, 2048, 4096]))
def test_batch_is_whole_sequences_and_steps_cover_the_tokens(n, d, rule, seq):
    out = recipe.hyperparameters(n, d, rule, seq)
    assert out["batch_tokens"] == out["batch_sequences"] * seq and out["batch_sequences"] >= 1
    assert out["steps"] * out["batch_tokens"] >= d > (out["steps"] - 1) * out["batch_tokens"]


def test_arrays_give_the_same_numbers_as_floats():
    n, d = np.logspace(8, 12, 7), np.logspace(10, 13, 7)
    for rule in recipe.RULES:
        arrays = recipe.hyperparameters(n, d, rule)
        for i in range(len(n)):
            scalar = recipe.hyperparameters(float(n[i]), float(d[i]), rule)
            for key, value in scalar.items():
                assert arrays[key][i] == pytest.approx(value)


# --- the cluster -----------------------------------------------------------------------------------------
def test_days_energy_and_co2_on_a100s():
    """6·7e9·1.4e11 FLOPs at MFU 0.3 on 256 A100s (312 TFLOP/s, 400 W), PUE 1.58, 0.436 kg/kWh."""
    cluster = recipe.make_cluster("a100", 256, price_per_hour=2, predict=False)
    flops = 6 * 7e9 * 1.4e11
    run = recipe.on_cluster(flops, cluster)
    hours = flops / (A100_PEAK * 0.3) / 3600
    assert run["gpu_hours"] == pytest.approx(hours)
    assert run["days"] == pytest.approx(hours / 256 / 24)
    assert run["cost"] == pytest.approx(2 * hours)
    assert run["energy_kwh"] == pytest.approx(hours * 0.4 * 1.58)
    assert run["co2_kg"] == pytest.approx(hours * 0.4 * 1.58 * 0.436)
    assert cluster.describe_utilisation() == "MFU 0.30 (default) of model FLOPs 6ND"


def test_full_recomputation_adds_a_third_of_hardware_flops():
    plain = recipe.on_cluster(1e23, recipe.make_cluster("h100", 512, mfu=0.4))
    full_cluster = recipe.make_cluster("h100", 512, mfu=0.4, recompute="full")
    full = recipe.on_cluster(1e23, full_cluster)
    assert full["hardware_flops"] == pytest.approx(8 / 6 * 1e23)
    assert full["days"] == pytest.approx(plain["days"] * 4 / 3)
    assert full_cluster.describe_utilisation().startswith("HFU 0.40 of hardware FLOPs 8ND")


def test_no_published_tdp_means_no_energy():
    run = recipe.on_cluster(1e22, recipe.make_cluster("v4", 64))
    assert run["energy_kwh"] is None and run["co2_kg"] is None and run["days"] > 0


# --- allocate on a cluster --------------------------------------------------------------------------------
def test_allocate_params_on_a_cluster_gives_days(cli):
    result = cli("allocate", "--params", "7e9", "--gpu", "a100", "--count", "256", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["recipe"]["cluster"]["count"] == 256
    for row in payload["allocations"]:
        assert row["utilisation_source"] == "predicted" and 0.2 < row["mfu"] < 0.8
        assert row["days"] == pytest.approx(row["flops"] / (256 * A100_PEAK * row["mfu"]) / 86400)
        layout = row["throughput"]["layout"]
        assert row["memory"]["fits"] is True and layout["dp"] * layout["tp"] * layout["pp"] * layout["cp"] == 256
        # days are the steps at the predicted step time (6ND = 6 N × tokens per step × steps)
        assert row["days"] * 86400 == pytest.approx(row["tokens"] / row["batch_tokens"]
                                                    * row["throughput"]["step_seconds"], rel=1e-9)
        assert row["steps"] == math.ceil(row["tokens"] / row["batch_tokens"])


@pytest.mark.parametrize("recompute", ["selective", "full"])
def test_a_hardware_budget_takes_its_own_days(cli, recompute):
    payload = json.loads(cli("allocate", "--gpu", "h100", "--count", "512", "--days", "21", "--law", "chinchilla-3",
                             "--recompute", recompute, "--json").stdout)
    (row,) = payload["allocations"]
    assert row["days"] == pytest.approx(21)
    model_share = 0.75 if recompute == "full" else 1.0
    assert row["flops"] == pytest.approx(512 * 21 * 86400 * H100_PEAK * 0.3 * model_share)


def test_rows_that_do_not_fit_say_so(cli):
    result = cli("allocate", "--params", "1e12", "--gpu", "v100", "--count", "8", "--law", "chinchilla-3")
    assert result.exit_code == 0, result.output
    assert "does not fit" in result.stdout
    payload = json.loads(cli("allocate", "--params", "1e12", "--gpu", "v100", "--count", "8",
                             "--law", "chinchilla-3", "--json").stdout)
    assert payload["allocations"][0]["memory"] == {"fits": False, "layout": None}


def test_steplaw_rule_and_cost_in_the_table(cli):
    result = cli("allocate", "--flops", "1e23", "--gpu", "h100", "--count", "64", "--hparams", "steplaw",
                 "--price-per-hour", "2.5", "--law", "chinchilla-3", "--explain")
    assert result.exit_code == 0, result.output
    assert "Step Law" in result.stdout and "Cost" in result.stdout


@pytest.mark.parametrize("args, fragment", [
    (["--params", "7e9", "--gpu", "a100"], "--count"),
    (["--params", "7e9", "--price-per-hour", "2"], "--price-per-hour"),
    (["--params", "7e9", "--gpu", "a100", "--count", "8", "--pue", "0.9"], "--pue"),
    (["--params", "7e9", "--hparams", "magic"], "--hparams"),
    (["--params", "7e9", "--gpu", "a100", "--count", "8", "--recompute", "most"], "--recompute"),
    (["--params", "7e9", "--count", "8"], "--gpu"),
])
def test_allocate_cluster_errors_are_one_line(cli, args, fragment):
    assert_one_line_error(cli("allocate", *args), fragment)


# --- check: the recipe limits -------------------------------------------------------------------------------
def recipe_plan(tmp_path, limits, hardware="{recompute: selective, price_per_hour: 2.5}",
                recipe_section="{batch_tokens: 12e6, learning_rate: 3.5e-4}"):
    from scalingplan.checks.plans import load_plan

    path = tmp_path / "plan.yaml"
    path.write_text(f"budget: {{gpu: h100, count: 512, days: 21, mfu: 0.4}}\nmodel: {{params: 34e9, tokens: 1.8e12}}\n"
                    f"law: chinchilla-3\nhardware: {hardware}\nrecipe: {recipe_section}\nlimits: {limits}\n")
    return load_plan(path)


def one_check(plan, name):
    from scalingplan.checks.plans import evaluate

    (result,) = [c for c in evaluate(plan) if c.name == name]
    return result


def test_check_cost_and_co2_follow_the_run(tmp_path):
    hours = 6 * 34e9 * 1.8e12 / (H100_PEAK * 0.4) / 3600
    cost = one_check(recipe_plan(tmp_path, "{max_cost: 1e6}"), "max_cost")
    assert cost.value == pytest.approx(2.5 * hours) and cost.passed
    co2 = one_check(recipe_plan(tmp_path, "{max_co2_kg: 1e5}"), "max_co2_kg")
    assert co2.value == pytest.approx(hours * 0.7 * 1.58 * 0.436) and not co2.passed


def test_check_memory_fraction_and_min_gpus(tmp_path):
    plan = recipe_plan(tmp_path, "{max_memory_fraction: 0.5, min_gpus: 1024}")
    fraction = one_check(plan, "max_memory_fraction")
    from scalingplan.compute import throughput
    from scalingplan.compute.hardware import wires_for

    arch = throughput.architecture(mem.default_shape(34e9))
    best = throughput.search(arch, wires_for("h100"), 512, round(12e6 / 4096),
                             {"recompute": "selective", "micro_batch": 1}, limit=1)[0]
    share = best["memory"]["per_gpu"]["total"] / 80e9
    assert fraction.value == pytest.approx(share) and fraction.passed is (share <= 0.5)
    gpus = one_check(plan, "min_gpus")
    assert gpus.value == 512 and not gpus.passed and "as few as" in gpus.message


def test_check_batch_and_lr_against_the_rule(tmp_path):
    plan = recipe_plan(tmp_path, "{max_batch_ratio: 1.1, max_lr_ratio: 1.5}")
    rule = recipe.hyperparameters(34e9, 1.8e12, "deepseek")
    batch = one_check(plan, "max_batch_ratio")
    assert batch.value == pytest.approx(12e6 / rule["batch_tokens"]) and not batch.passed
    lr = one_check(plan, "max_lr_ratio")
    assert lr.value == pytest.approx(3.5e-4 / rule["learning_rate"]) and lr.passed


@pytest.mark.parametrize("limits, hardware, recipe_section, fragment", [
    ("{max_cost: 1}", "{recompute: full}", "{batch_tokens: 1e6}", "price_per_hour"),
    ("{max_lr_ratio: 2}", "{recompute: full}", "{batch_tokens: 1e6}", "recipe.learning_rate"),
    ("{max_batch_ratio: 0.5}", "{recompute: full}", "{batch_tokens: 1e6}", "at least 1"),
    ("{max_cost: 1}", "{recompute: most}", "{batch_tokens: 1e6}", "recompute"),
    ("{max_cost: 1}", "{price_per_hour: 2}", "{rule: magic}", "rule"),
])
def test_check_recipe_plan_errors(tmp_path, limits, hardware, recipe_section, fragment):
    from scalingplan.errors import InputError

    with pytest.raises(InputError, match=fragment):
        recipe_plan(tmp_path, limits, hardware, recipe_section)


def test_check_cli_with_recipe_limits(tmp_path, cli):
    recipe_plan(tmp_path, "{max_memory_fraction: 0.9, max_cost: 1e6, max_batch_ratio: 2}")
    result = cli("check", str(tmp_path / "plan.yaml"))
    assert result.exit_code == 0, result.output
    assert "max_memory_fraction" in result.stdout and "0.5×–2×" in result.stdout


@pytest.mark.parametrize("args", [["--params", "7e9", "--gpu", "a100", "--count", "256", "--price-per-hour", "2"],
                                  ["--gpu", "h100", "--count", "512", "--days", "21", "--recompute", "full"],
                                  ["--params", "1e12", "--gpu", "v100", "--count", "8"],
                                  ["--flops", "1e23", "--unique-tokens", "1e11", "--gpu", "v4", "--count", "64"]])
def test_allocate_on_a_cluster_matches_its_schema(cli, args):
    jsonschema = pytest.importorskip("jsonschema")
    from scalingplan.output.schemas import schema

    result = cli("allocate", *args, "--json")
    assert result.exit_code == 0, result.output
    jsonschema.validate(json.loads(result.stdout), schema("allocate"), cls=jsonschema.Draft202012Validator)


def test_the_docs_example_512_h100s_for_three_weeks(cli):
    """docs/recipe.md, step by step from the formulas: budget, Approach 3, shape, DeepSeek eq. 1,
    ZeRO 3 with selective recomputation, days, cost, energy and CO2."""
    payload = json.loads(cli("allocate", "--gpu", "h100", "--count", "512", "--days", "21", "--law", "chinchilla-3",
                             "--price-per-hour", "2.5", "--json").stdout)
    (row,) = payload["allocations"]
    gpu_hours = 512 * 21 * 24
    flops = gpu_hours * 3600 * H100_PEAK * 0.30
    A, B, alpha, beta = 406.4, 410.7, 0.34, 0.28  # Hoffmann et al. App. D.2
    n = (alpha * A / (beta * B)) ** (1 / (alpha + beta)) * (flops / 6) ** (beta / (alpha + beta))
    d = flops / (6 * n)
    assert (row["params"], row["tokens"]) == (pytest.approx(n), pytest.approx(d))
    assert row["shape"] == {"layers": 48, "d_model": 6144, "heads": 48, "seq_len": 4096, "assumed": True}
    # DeepSeek's M counts no embeddings: 2 × 32,000 × 6144 untied embedding parameters come off N.
    compute = (6 * (n - 2 * 32000 * 6144) + 12 * 48 * 6144 * 4096) * d
    assert row["batch_rounded_from"] == round(0.2920 * compute ** 0.3271 / 4096) == 3407
    # rounded to whole micro-batches on the layout's data-parallel ranks: 3407 / (dp x micro) to a whole number
    layout = row["memory"]["layout"]
    per_pass = layout["dp"] * layout["micro_batch"]
    accumulation = max(1, round(3407 / per_pass))
    assert row["batch_sequences"] == accumulation * per_pass and row["accumulation_steps"] == accumulation
    assert row["learning_rate"] == pytest.approx(0.3118 * compute ** -0.125)
    assert row["steps"] == math.ceil(d / (accumulation * per_pass * 4096))
    assert layout["dp"] * layout["tp"] * layout["pp"] * row["throughput"]["layout"]["cp"] == 512
    assert layout["per_gpu"]["total"] <= 80e9 and row["throughput"]["memory"]["fits"]
    # a budget stated in GPU time keeps the MFU it was read at
    assert row["utilisation_source"] == "default" and row["mfu"] == pytest.approx(0.3)
    assert row["days"] == pytest.approx(21) and row["gpu_hours"] == pytest.approx(gpu_hours)
    assert row["cost"] == pytest.approx(2.5 * gpu_hours)
    assert row["energy_kwh"] == pytest.approx(gpu_hours * 0.7 * 1.58)
    assert row["co2_kg"] == pytest.approx(gpu_hours * 0.7 * 1.58 * 0.436)


def test_allocate_on_a_cluster_uses_the_predicted_mfu(cli):
    """allocate --flops 1e24 --law chinchilla-3 --gpu h100 --count 1024: the row's MFU is the predicted
    one, said so, and its days are C / (count × peak × MFU)."""
    payload = json.loads(cli("allocate", "--flops", "1e24", "--law", "chinchilla-3", "--gpu", "h100", "--count", "1024",
                             "--json").stdout)
    (row,) = payload["allocations"]
    assert row["utilisation_source"] == "predicted"
    assert row["days"] == pytest.approx(1e24 / (1024 * H100_PEAK * row["mfu"]) / 86400)
    assert row["throughput"]["mfu"] > 0 and set(row["throughput"]["breakdown"]) >= {"compute", "bubble", "tp_comm"}
    given = json.loads(cli("allocate", "--flops", "1e24", "--law", "chinchilla-3", "--gpu", "h100", "--count", "1024",
                           "--mfu", "0.4", "--json").stdout)["allocations"][0]
    assert given["utilisation_source"] == "given" and given["mfu"] == pytest.approx(0.4)
    assert given["days"] == pytest.approx(1e24 / (1024 * H100_PEAK * 0.4) / 86400)


def test_70b_on_512_h100s_answers_in_predicted_days(cli):
    """allocate --params 70e9 --gpu h100 --count 512: every row's days are its steps at the predicted
    step time of its fastest layout, and the table says the MFU is predicted."""
    payload = json.loads(cli("allocate", "--params", "70e9", "--gpu", "h100", "--count", "512", "--json").stdout)
    assert payload["recipe"]["cluster"]["utilisation_source"] == "predicted"
    for row in payload["allocations"]:
        assert row["utilisation_source"] == "predicted"
        steps = row["tokens"] / row["batch_tokens"]
        assert row["days"] * 86400 == pytest.approx(steps * row["throughput"]["step_seconds"], rel=1e-9)
    table = cli("allocate", "--params", "70e9", "--gpu", "h100", "--count", "512").stdout
    assert "MFU predicted" in " ".join(table.split())
