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


def test_json_converts_numpy():
    payload = {"schema_version": 1, "a": np.float64(1.5), "b": np.array([1.0, 2.0]), "c": None}
    assert json.loads(render("json", payload, [])) == {"schema_version": 1, "a": 1.5, "b": [1.0, 2.0], "c": None}


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown", "table"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), np.float64("-inf"), np.array([1.0, np.nan])])
def test_a_non_finite_result_is_refused_not_printed(fmt, bad):
    from scalingplan.errors import InputError

    table = Table([Column("Params", "params", "count")], [{"params": 1.0}])
    with pytest.raises(InputError, match="allocations.0.params|allocations"):
        render(fmt, {"allocations": [{"params": bad}]}, [table])


def test_human_formats_show_non_finite_numbers():
    from scalingplan.output.render import exact, loss_text, plain, ratio_text

    for format_ in (human_count, sci, plain, loss_text, ratio_text, exact):
        assert format_(float("inf")) == "inf" and format_(float("nan")) == "nan"
        assert format_(-float("inf")) == "-inf"


def test_csv_and_markdown():
    table = Table([Column("Law", "law", "text"), Column("Params", "params", "count")],
                  [{"law": "x", "params": 7e10}], "T", ["a note"])
    assert render("csv", {}, [table]) == "law,params\nx,70000000000.0"
    markdown = render("markdown", {}, [table])
    assert "| Law | Params |" in markdown and "| x | 70.0B |" in markdown and "- a note" in markdown
