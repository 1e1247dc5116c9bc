"""`scalingplan check`: exit codes, the JSON contract, formats, annotations and the example plans."""

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scalingplan.output.schemas import SCHEMA_VERSION
from cli_assertions import assert_one_line_error

PLANS = Path(__file__).resolve().parents[1] / "configs" / "plans"
PASSING = """\
budget: {flops: 6e23}
model: {params: 70e9, tokens: 1.4e12}
law: chinchilla-1
limits: {max_budget_use: 1.0, max_params_ratio: 2.0}
"""
# Gopher's model on the minimal plan: within budget (5.04e23 of 6e23), 4.4x chinchilla-1's optimum.
FAILING = PASSING.replace("{params: 70e9, tokens: 1.4e12}", "{params: 280e9, tokens: 300e9}")


@pytest.fixture
def plans(tmp_path):
    def make(**texts):
        paths = []
        for name, text in texts.items():
            path = tmp_path / f"{name}.yaml"
            path.write_text(text)
            paths.append(str(path))
        return paths

    return make


def test_exit_0_when_every_check_passes(cli, plans):
    result = cli("check", *plans(ok=PASSING))
    assert result.exit_code == 0, result.output
    assert "max_budget_use" in result.stdout and "max_params_ratio" in result.stdout and "FAIL" not in result.stdout


def test_exit_1_when_a_check_fails(cli, plans):
    result = cli("check", *plans(ok=PASSING, bad=FAILING))
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.stdout and "too large" in result.stdout
    assert result.stderr == ""


def test_json_contract(cli, plans):
    result = cli("check", *plans(ok=PASSING, bad=FAILING), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["schema_version"] == SCHEMA_VERSION and data["passed"] is False
    ok, bad = data["plans"]
    assert ok["file"].endswith("ok.yaml") and ok["passed"] is True
    assert bad["file"].endswith("bad.yaml") and bad["passed"] is False
    for plan in data["plans"]:
        for check in plan["checks"]:
            assert {"name", "passed", "value", "limit", "message"} <= set(check)
            assert isinstance(check["passed"], bool) and isinstance(check["message"], str)
    budget, ratio = bad["checks"]
    assert (budget["name"], budget["passed"], budget["limit"]) == ("max_budget_use", True, 1.0)
    assert budget["value"] == pytest.approx(6 * 280e9 * 300e9 / 6e23)
    assert (ratio["name"], ratio["passed"], ratio["law"], ratio["limit"], ratio["line"]) == (
        "max_params_ratio", False, "chinchilla-1", 2.0, 4)
    assert ratio["value"] > 4
    assert json.loads(cli("check", *plans(ok=PASSING), "--format", "json").stdout)["passed"] is True


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_other_formats(cli, plans, fmt):
    result = cli("check", *plans(bad=FAILING), "--format", fmt)
    assert result.exit_code == 1
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["name"], r["passed"]) for r in rows] == [("max_budget_use", "True"), ("max_params_ratio", "False")]
        assert float(rows[1]["limit"]) == 2.0
    else:
        assert "max_params_ratio" in result.stdout and "FAIL" in result.stdout and "0.5×–2×" in result.stdout
    assert "::error" not in result.stdout


def test_github_annotations_point_at_the_failing_limit(cli, plans):
    path = plans(bad=FAILING.replace("limits: {max_budget_use: 1.0, max_params_ratio: 2.0}",
                                     "limits:\n  max_budget_use: 1.0\n  max_params_ratio: 2.0\n"))[0]
    result = cli("check", path, "--format", "github")
    assert result.exit_code == 1
    errors = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert len(errors) == 1
    match = re.fullmatch(r"::error file=(.+),line=(\d+),title=(.+)::(.+)", errors[0])
    assert match, errors[0]
    assert match.group(1) == path.replace(":", "%3A").replace(",", "%2C")
    assert match.group(2) == "6"  # the max_params_ratio line
    assert "max_params_ratio" in match.group(3) and "chinchilla-1" in match.group(3)
    assert "4.42×" in match.group(4)


def test_github_annotations_by_default_on_github_actions(cli, plans, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert "::error file=" in cli("check", *plans(bad=FAILING)).stdout
    data = json.loads(cli("check", *plans(bad=FAILING), "--json").stdout)  # JSON stays pure
    assert data["passed"] is False


def test_annotation_escaping():
    from scalingplan.cli.check import escape

    assert escape("a%b\nc") == "a%25b%0Ac"
    assert escape("C:\\x,y", property_value=True) == "C%3A\\x%2Cy"


@pytest.mark.parametrize("text, fragments", [
    ("budget: {flops: 6e23\nmodel: x\n", ["bad.yaml:2", "YAML syntax error"]),
    (PASSING.replace("chinchilla-1", "chinchila-1"), ["bad.yaml:3", "law", "unknown law 'chinchila-1'"]),
    (PASSING.replace("budget: {flops: 6e23}\n", ""), ["bad.yaml", "missing key 'budget'"]),
    (PASSING.replace("70e9", "-70e9"), ["bad.yaml:2", "model.params", "must be positive"]),
    (PASSING.replace("max_budget_use", "max_budget_usage"),
     ["bad.yaml:4", "limits.max_budget_usage", "did you mean 'max_budget_use'"]),
])
def test_malformed_plan_exits_2_with_one_line(cli, plans, text, fragments):
    # A malformed plan stops the run even next to a good one: nothing is checked.
    result = cli("check", *plans(ok=PASSING, bad=text))
    assert_one_line_error(result, *fragments)
    assert result.stdout == ""


def test_missing_file_and_bad_format(cli, plans, tmp_path):
    assert_one_line_error(cli("check", str(tmp_path / "nope.yaml")), "nope.yaml", "no such plan file")
    assert_one_line_error(cli("check", *plans(ok=PASSING), "--format", "xml"), "--format")


def test_internal_error_exits_3(cli, plans, monkeypatch):
    import scalingplan.checks.plans

    def broken(plan):
        raise RuntimeError("boom")

    monkeypatch.setattr(scalingplan.checks.plans, "evaluate", broken)
    result = cli("check", *plans(ok=PASSING))
    assert result.exit_code == 3
    assert "internal error" in result.stderr and "Traceback" not in result.output


# --- the entry point on the example plans; the installed command ------------------------------------
def test_example_plans_verdicts(main_cli):
    result = main_cli("check", str(PLANS / "chinchilla.yaml"), str(PLANS / "gopher.yaml"),
                      str(PLANS / "h100-cluster.yaml"), "--json")
    assert result.exit_code == 1, result.stderr
    verdicts = {Path(p["file"]).stem: p for p in json.loads(result.stdout)["plans"]}
    assert verdicts["chinchilla"]["passed"] and verdicts["h100-cluster"]["passed"]
    gopher = verdicts["gopher"]
    assert not gopher["passed"]
    failed = {(c["name"], c["law"]) for c in gopher["checks"] if not c["passed"]}
    # Gopher fails the optimality check under every Chinchilla law (Hoffmann et al. 2022 §4, Figure 1).
    assert {("max_params_ratio", "chinchilla-1"), ("max_params_ratio", "chinchilla-2"),
            ("max_params_ratio", "epoch2024")} <= failed
    assert ("max_budget_use", None) not in failed
    h100 = {c["name"] for c in verdicts["h100-cluster"]["checks"]}
    assert {"max_days", "max_epochs", "max_loss"} <= h100
    assert main_cli("check", str(PLANS / "chinchilla.yaml")).exit_code == 0
    assert main_cli("check", str(PLANS / "gopher.yaml")).exit_code == 1


def test_console_script():
    script = Path(sys.executable).parent / "scalingplan"
    if not script.exists():
        pytest.skip("console script not installed next to this interpreter")
    result = subprocess.run([str(script), "check", str(PLANS / "gopher.yaml"), "--format", "github"],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout.count("::error file=") >= 3


def test_check_imports_neither_scipy_nor_matplotlib():
    code = ("import sys; sys.argv = ['scalingplan', 'check', sys.argv[1], '--json'];"
            "from scalingplan.cli.app import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('scipy', 'matplotlib') if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, str(PLANS / "h100-cluster.yaml")],
                            capture_output=True, text=True)
    assert json.loads(result.stdout)["passed"] is True
    assert result.stderr.strip() == "[]"
