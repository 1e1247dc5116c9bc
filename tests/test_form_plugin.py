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
