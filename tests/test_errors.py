"""Library errors carry their field; the command line spells it as a flag, a plan file as its key."""

from cli_assertions import assert_one_line_error
from scalingplan.errors import InputError, flag


def test_the_field_is_spelled_by_whoever_reports_it():
    error = InputError("{0} and {1} go together", "count", ("count", "days"))
    assert str(error) == "--count: --count and --days go together"
    assert error.render(spell=str, prefix=False) == "count and days go together"
    assert flag("gpu_hours") == "--gpu-hours" and flag("constants.A") == "constants.A" and flag("VALUE") == "VALUE"


def test_cli_and_plan_name_the_same_mistake_in_their_own_terms(cli, tmp_path):
    shape = ["--layers", "10", "--d-model", "1000", "--heads", "3", "--vocab", "100", "--seq-len", "10"]
    assert_one_line_error(cli("flops", "--params", "1e9", "--tokens", "1e9", *shape),
                          "--heads: 3 does not divide --d-model 1000: give --kv-size as well")
    plan = tmp_path / "plan.yaml"
    plan.write_text("budget: {flops: 6e23}\n"
                    "model: {architecture: {layers: 10, d_model: 1000, heads: 3, vocab: 100, seq_len: 10}, tokens: 1e9}\n"
                    "law: chinchilla-1\nlimits: {max_budget_use: 1.0}\n")
    assert_one_line_error(cli("check", str(plan)),
                          f"{plan}:2: model.architecture.heads: 3 does not divide d_model 1000: give kv_size as well")


def test_budget_given_twice(cli, tmp_path):
    assert_one_line_error(cli("allocate", "--flops", "1e21", "--pf-days", "3"),
                          "give the budget one way only, not --flops and --pf-days")
    plan = tmp_path / "plan.yaml"
    plan.write_text("budget: {flops: 6e23, pf_days: 3}\nmodel: {params: 70e9, tokens: 1.4e12}\n"
                    "law: chinchilla-1\nlimits: {max_budget_use: 1.0}\n")
    assert_one_line_error(cli("check", str(plan)), "budget: give the budget one way only, not flops and pf_days")
