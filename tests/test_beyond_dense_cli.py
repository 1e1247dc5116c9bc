"""The MoE, over-training, precision laws and `reconcile` on the command line."""

import json
import math

import pytest

from cli_assertions import assert_one_line_error

NEW_LAWS = ["krajewski2024", "krajewski2024-dense", "gadre2024-c4", "gadre2024-redpajama",
            "gadre2024-refinedweb", "kumar2024"]


def as_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("name", NEW_LAWS)
def test_every_new_law_works_in_every_command(cli, name, tmp_path):
    allocation = as_json(cli("allocate", "--flops", "1e21", "--law", name, "--json"))["allocations"][0]
    assert allocation["law"] == name and allocation["loss"] > 0
    assert as_json(cli("allocate", "--params", "7e9", "--law", name, "--json"))["allocations"][0]["params"] == 7e9
    assert as_json(cli("allocate", "--loss", "2.9", "--law", name, "--json"))["allocations"][0]["loss"] == \
        pytest.approx(2.9, rel=1e-6)
    assessed = as_json(cli("assess", "--params", "7e9", "--tokens", "1e12", "--law", name, "--json"))
    assert assessed["models"][0]["assessments"][0]["loss"] > 0
    compared = as_json(cli("compare", name, "chinchilla-3", "--from", "1e20", "--to", "1e24", "--points", "3", "--json"))
    assert len(compared["rows"]) == 6
    shown = as_json(cli("laws", "show", name, "--json"))
    assert shown["form"] and shown["formula"] and shown["notes"]
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"name: p\nbudget: {{flops: 1e22}}\nmodel: {{params: 2e9, tokens: 8e11}}\nlaw: [{name}]\n"
                    "limits: {max_params_ratio: 1000, max_loss: 5}\n")
    checked = as_json(cli("check", str(plan), "--json"))
    assert checked["passed"] is True


def test_compare_shows_the_moe_advantage_growing(cli):
    result = cli("compare", "krajewski2024-dense", "krajewski2024", "--from", "1e20", "--to", "1e25")
    assert result.exit_code == 0, result.output
    assert "C ÷ 1st" in result.stdout
    rows = as_json(cli("compare", "krajewski2024-dense", "krajewski2024", "--from", "1e20", "--to", "1e25",
                       "--json"))["rows"]
    moe = [r["compute_vs_first"] for r in rows if r["law"] == "krajewski2024"]
    assert moe == sorted(moe) and moe[-1] > moe[0]


def test_allocate_moe_shows_active_params_and_granularity(cli):
    result = cli("allocate", "--flops", "1e22", "--law", "krajewski2024")
    assert "Active params" in result.stdout and "Granularity" in result.stdout
    row = as_json(cli("allocate", "--flops", "1e22", "--law", "krajewski2024", "--json"))["allocations"][0]
    assert row["active_params"] < row["params"] / 40 and row["granularity"] > 1


def test_assess_with_granularity_and_experts(cli):
    base = ["assess", "--params", "300e9", "--tokens", "150e9", "--law", "krajewski2024", "--json"]
    coarse = as_json(cli(*base))["models"][0]["assessments"][0]
    fine = as_json(cli(*base, "--granularity", "16"))["models"][0]["assessments"][0]
    assert fine["loss"] < coarse["loss"] and fine["granularity"] == 16 and coarse["granularity"] == 1
    fewer = as_json(cli(*base, "--experts", "8"))["models"][0]["assessments"][0]
    assert fewer["active_params"] > coarse["active_params"]


def test_tokens_per_param_for_any_law(cli):
    rows = as_json(cli("allocate", "--flops", "1e22", "--tokens-per-param", "100", "--law",
                       "gadre2024-c4,chinchilla-1,kaplan", "--json"))["allocations"]
    assert [r["tokens_per_param"] for r in rows] == pytest.approx([100] * 3)
    gadre = rows[0]
    assert gadre["loss_penalty"] > 0 and 0 < gadre["top1_error"] < 1
    assert rows[1]["loss"] is None and "loss_penalty" not in rows[1]


def test_precision_options(cli):
    rows = as_json(cli("allocate", "--flops", "1e21", "--precision", "w8a8kv8", "--post-train-bits", "4",
                       "--json"))["allocations"]
    kumar = [r for r in rows if r["law"] == "kumar2024"]  # joins the default laws: it takes --precision
    assert kumar and kumar[0]["precision_bits"] == 8 and kumar[0]["delta_ptq"] > 0
    capacity = ((1 - math.exp(0.3037 - 8 / 2.6745)) * (1 - math.exp(1.4072 - 8 / 2.2102))
                * (1 - math.exp(2.4185 - 8 / 0.9578)))  # App. K, offsets inside the exponential
    assert kumar[0]["effective_params"] == pytest.approx(kumar[0]["params"] * capacity, rel=1e-12)
    free = as_json(cli("allocate", "--flops", "1e21", "--law", "kumar2024", "--json"))["allocations"][0]
    assert free["precision_bits"] == pytest.approx(7.0, abs=0.01)
    assessed = as_json(cli("assess", "--params", "1e9", "--tokens", "1e11", "--law", "kumar2024",
                           "--precision", "int4", "--json"))["models"][0]["assessments"][0]
    assert assessed["flops"] == pytest.approx(6 / 16 * 1e9 * 1e11 * 4)


def test_assess_shows_predicted_error(cli):
    result = cli("assess", "--params", "1.4e9", "--tokens", "900e9", "--law", "gadre2024-redpajama")
    assert "Top-1 err" in result.stdout


@pytest.mark.parametrize("args, fragment", [
    (["allocate", "--flops", "1e21", "--precision", "w9z"], "--precision"),
    (["assess", "--params", "1e9", "--tokens", "1e11", "--granularity", "0.5"], "--granularity"),
    (["allocate", "--flops", "1e21", "--tokens-per-param", "-3"], "--tokens-per-param"),
    (["allocate", "--params", "7e9", "--tokens-per-param", "30"], "--tokens-per-param"),
    (["allocate", "--flops", "1e21", "--law", "chinchilla-3", "--granularity", "8"], "--granularity"),
    (["reconcile", "--law", "llama3"], "Chinchilla-form"),
    (["reconcile", "-o", "figure.gif"], "--output"),
])
def test_bad_input_is_one_line(cli, args, fragment):
    assert_one_line_error(cli(*args), fragment)


def test_reconcile_table_json_and_figure(cli, tmp_path):
    result = cli("reconcile")
    assert result.exit_code == 0, result.output
    assert "Pearce & Song" in result.stdout and "Porian" in result.stdout and "C_min" in result.stdout
    payload = as_json(cli("reconcile", "--json"))
    assert payload["pearce_song"]["fitted_exponent"] == pytest.approx(0.78, abs=0.005)
    pytest.importorskip("matplotlib")
    figure = tmp_path / "reconcile.png"
    assert as_json(cli("reconcile", "-o", figure, "--json"))["file"] == str(figure)
    assert figure.stat().st_size > 10_000
