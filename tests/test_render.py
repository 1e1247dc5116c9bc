"""Human numbers and the output formats."""

import json

import numpy as np
import pytest

from scalingplan.output.render import Column, Table, human_count, render, sci


@pytest.mark.parametrize("value, text", [
    (70e9, "70.0B"), (1.4e12, "1.40T"), (400e6, "400M"), (12345, "12.3K"), (5, "5"),
    (999.6e9, "1.00T"), (99.96e9, "100B"), (1425.5e12, "1.43e15"), (280e9, "280B"), (None, "-"),
])
def test_human_count(value, text):
    assert human_count(value) == text


def test_sci():
    assert sci(5.76e23) == "5.76e23"
    assert sci(1.2e-5) == "1.20e-5"


def test_json_converts_numpy_and_refuses_nan_silently():
    payload = {"schema_version": 1, "a": np.float64(1.5), "b": np.array([1.0, 2.0]), "c": float("nan")}
    assert json.loads(render("json", payload, [])) == {"schema_version": 1, "a": 1.5, "b": [1.0, 2.0], "c": None}


def test_csv_and_markdown():
    table = Table([Column("Law", "law", "text"), Column("Params", "params", "count")],
                  [{"law": "x", "params": 7e10}], "T", ["a note"])
    assert render("csv", {}, [table]) == "law,params\nx,70000000000.0"
    markdown = render("markdown", {}, [table])
    assert "| Law | Params |" in markdown and "| x | 70.0B |" in markdown and "- a note" in markdown
