"""A new law form is one class in one file: registered once, it works in every command.

The toy form below fixes the tokens per parameter r, so C = 6ND gives N = sqrt(C / (6r)), D = r·N, and
predicts L = E + K / (N·D)^0.1. Every expected number is worked out by hand from those equations.
"""

import json
import math

import pytest

from scalingplan.laws import FORMS, Law, register_form


class FixedRatioLaw(Law):
    """D = r·N on C = 6ND, with a toy loss L = E + K/(N·D)^0.1."""

    form = "toy-fixed-ratio"
    constant_names = ("r", "E", "K")
    predicts_loss = True
    params_kind = "non-embedding"
    extra_columns = (("Ratio r", "ratio", "plain"),)

    def allocate(self, flops):
        params = (flops / (6.0 * self.constants["r"])) ** 0.5
        return params, self.constants["r"] * params

    def params_budget(self, params):
        return 6.0 * self.constants["r"] * params**2

    def loss(self, params, tokens):
        return self.constants["E"] + self.constants["K"] / (params * tokens) ** 0.1

    def formula_lines(self):
        return [f"D = r·N with r = {self.constants['r']:g}; L = E + K/(N·D)^0.1"]

    def plan_extras(self, flops):
        return {"ratio": self.constants["r"]}

    def allocation_notes(self, row):
        return [f"{self.name}: a toy law with a fixed ratio."]


@pytest.fixture
def toy_law(tmp_path):
    register_form(FixedRatioLaw)
    path = tmp_path / "toy.yaml"
    path.write_text("name: toy\nform: toy-fixed-ratio\nconstants: {r: 10, E: 1.5, K: 100}\n")
    yield str(path)
    FORMS.pop(FixedRatioLaw.form, None)


def test_allocate_uses_the_form(cli, toy_law):
    result = cli("allocate", "--flops", "6e20", "--law", toy_law, "--json")
    assert result.exit_code == 0, result.output
    row = json.loads(result.stdout)["allocations"][0]
    # N = sqrt(6e20 / 60) = 1e9.5, D = 10·N.
    assert row["params"] == pytest.approx(10**9.5, rel=1e-12)
    assert row["tokens"] == pytest.approx(10**10.5, rel=1e-12)
    assert row["loss"] == pytest.approx(1.5 + 100 / 1e20 ** 0.1, rel=1e-12)
    assert row["ratio"] == 10


def test_table_shows_the_forms_column_and_note(cli, toy_law):
    result = cli("allocate", "--flops", "6e20", "--law", toy_law, "--explain")
    assert result.exit_code == 0, result.output
    assert "Ratio r" in result.stdout and "a toy law with a fixed ratio" in result.stdout


def test_compare_assess_laws_show_and_plot(cli, toy_law):
    compared = cli("compare", toy_law, "chinchilla-3", "--from", "1e20", "--to", "1e22", "--points", "3", "--json")
    assert compared.exit_code == 0, compared.output
    rows = [r for r in json.loads(compared.stdout)["rows"] if r["law"] == "toy"]
    # N ∝ C^0.5 for this form.
    assert math.log10(rows[-1]["params"] / rows[0]["params"]) / 2 == pytest.approx(0.5, rel=1e-12)

    assessed = cli("assess", "--params", "1e9", "--tokens", "2e10", "--law", toy_law, "--json")
    assert assessed.exit_code == 0, assessed.output
    row = json.loads(assessed.stdout)["models"][0]["assessments"][0]
    assert row["loss"] == pytest.approx(1.5 + 100 / 2e19 ** 0.1, rel=1e-12)
    assert row["optimal_params"] == pytest.approx(math.sqrt(6 * 1e9 * 2e10 / 60), rel=1e-12)

    shown = cli("laws", "show", toy_law, "--json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["formula"] == ["D = r·N with r = 10; L = E + K/(N·D)^0.1"]

    plotted = cli("plot", "frontier", "--law", toy_law, "--model", "none", "--json")
    assert plotted.exit_code == 0, plotted.output


def test_check_and_data_limits(cli, toy_law, tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(f"budget: {{flops: 6e20}}\nmodel: {{params: 3.16e9, tokens: 3.16e10}}\n"
                    f"law: {toy_law}\nlimits: {{max_params_ratio: 1.1, max_loss: 5}}\n")
    result = cli("check", str(plan), "--json")
    assert result.exit_code == 0, result.output
    limited = cli("allocate", "--flops", "6e20", "--unique-tokens", "1e10", "--law", toy_law, "--json")
    assert limited.exit_code == 0, limited.output
    # The toy form does not model repetition: its plan stands, 3.16 epochs, and a warning says so.
    assert json.loads(limited.stdout)["allocations"][0]["epochs"] == pytest.approx(10**10.5 / 1e10)
    assert "assumes fresh tokens" in limited.stderr


def test_the_toy_form_goes_through_every_path_of_the_planner(toy_law):
    from scalingplan import load_law
    from scalingplan.planning.planner import Query, Recipe, plan

    law = load_law(toy_law)
    # L depends on N·D alone, and C = 6ND fixes N·D: every model of one compute has one loss.
    loss_at = lambda flops: 1.5 + 100 / (flops / 6) ** 0.1  # noqa: E731
    plain = plan(law, Query(flops=6e20))
    assert plain.path == "plain" and plain.params == pytest.approx(10**9.5, rel=1e-12)
    sized = plan(law, Query(params=1e9))  # C = 6·r·N² = 6e19, D = r·N = 1e10
    assert sized.flops == pytest.approx(6e19, rel=1e-12) and sized.tokens == pytest.approx(1e10, rel=1e-12)
    target = plan(law, Query(loss=2.0))  # (N·D)^0.1 = 100 / 0.5: N·D = 200^10, C = 6·200^10
    assert target.flops == pytest.approx(6 * 200.0**10, rel=1e-9)
    over = plan(law, Query(flops=6e20, tokens_per_param=100.0))  # 600·N² = 6e20: N = 1e9, D = 1e11
    assert over.params == pytest.approx(1e9, rel=1e-9) and over.loss == pytest.approx(2.5, rel=1e-9)
    assert over.loss_penalty == pytest.approx(0.0, abs=1e-9)
    limited = plan(law, Query(flops=6e20, unique_tokens=1e10))
    assert limited.epochs == pytest.approx(10**10.5 / 1e10, rel=1e-12) and limited.warnings
    served = plan(law, Query(flops=6e20, inference_tokens=1e12))  # training plus serving spend the budget
    assert served.flops + served.inference_flops == pytest.approx(6e20, rel=1e-9)
    assert served.loss == pytest.approx(loss_at(served.flops), rel=1e-12)
    cheapest = plan(law, Query(loss=2.0, inference_tokens=1e12))
    assert cheapest.total_flops <= cheapest.chinchilla_total_flops * (1 + 1e-9)
    assessed = plan(law, Query(params=1e9, tokens=2e10))
    assert assessed.loss == pytest.approx(loss_at(1.2e20), rel=1e-12)
    assert assessed.optimal_loss == pytest.approx(assessed.loss, rel=1e-12)
    recipe = plan(law, Query(flops=6e20, recipe=Recipe()))
    assert recipe.run["batch_tokens"] > 0 and recipe.as_dict()["law"] == "toy"


def test_a_form_that_cannot_answer_a_path_says_which(toy_law):
    from scalingplan.errors import InputError
    from scalingplan.planning.planner import Query, plan

    class NoInverse(FixedRatioLaw):
        form = "toy-no-inverse"
        predicts_loss = False

        def params_budget(self, params):
            raise NotImplementedError

    law = NoInverse("toy-2", {"r": 10, "E": 1.5, "K": 100})
    with pytest.raises(InputError, match="cannot answer the params path"):
        plan(law, Query(params=1e9))
    with pytest.raises(InputError, match="predicts no loss, which the target-loss path needs"):
        plan(law, Query(loss=2.0))
    with pytest.raises(InputError, match="predicts no loss, which the inference-aware path needs"):
        plan(law, Query(flops=6e20, inference_tokens=1e12))
