"""The allocate, compare, assess and laws commands: contracts, stories and errors."""

import csv
import io
import json
import subprocess
import sys

import pytest

from scalingplan.output.schemas import SCHEMA_VERSION

from scalingplan import load_law
from cli_assertions import assert_one_line_error


def as_json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_allocate_json_contract(cli):
    data = as_json(cli("allocate", "--flops", "5.8e23", "--json"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["budget"]["flops"] == 5.8e23
    assert data["budget"]["pf_days"] == pytest.approx(5.8e23 / 8.64e19)
    rows = {row["law"]: row for row in data["allocations"]}
    assert {"kaplan2020", "chinchilla-1", "chinchilla-2", "chinchilla-3", "epoch2024"} <= set(rows)
    for row in rows.values():
        assert {"law", "params", "tokens", "tokens_per_param", "flops", "loss"} <= set(row)
        assert 6 * row["params"] * row["tokens"] == pytest.approx(5.8e23, rel=1e-12)
    assert rows["chinchilla-1"]["loss"] is None
    assert rows["chinchilla-3"]["loss"] == pytest.approx(1.93, abs=0.01)


@pytest.mark.parametrize("fmt", ["table", "csv", "markdown"])
def test_allocate_formats(cli, fmt):
    result = cli("allocate", "--flops", "5.76e23", "--law", "chinchilla-3", "--format", fmt)
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert float(rows[0]["params"]) == pytest.approx(3.22e10, rel=0.005)
    else:
        assert "32.2B" in result.stdout and "2.98T" in result.stdout and "5.76e23" in result.stdout


def test_allocate_accepts_a_law_file(cli, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("{name: my-law, form: parametric, constants: {E: 1.69, A: 406.4, B: 410.7, alpha: 0.34, beta: 0.28}}")
    data = as_json(cli("allocate", "--flops", "1e21", "--law", str(path), "--json"))
    assert data["allocations"][0]["law"] == "my-law"


def test_allocate_for_params(cli):
    data = as_json(cli("allocate", "--params", "7B", "--law", "chinchilla-3", "--json"))
    row = data["allocations"][0]
    law = load_law("chinchilla-3")
    assert row["params"] == 7e9
    assert law.allocate(row["flops"])[0] == pytest.approx(7e9, rel=1e-9)


def test_allocate_for_loss_skips_laws_without_loss(cli):
    result = cli("allocate", "--loss", "2.0", "--law", "chinchilla", "--json")
    data = as_json(result)
    assert [row["law"] for row in data["allocations"]] == ["chinchilla-3"]
    assert data["allocations"][0]["loss"] == pytest.approx(2.0, rel=1e-9)
    assert "chinchilla-1" in result.stderr and "predicts no loss" in result.stderr


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "abc", "1e400", "-inf"])
def test_bad_budget_is_one_line_and_exit_2(cli, value):
    assert_one_line_error(cli("allocate", "--flops", value), "--flops")


@pytest.mark.parametrize("value", ["5.8e23", "5.8E23", "580e21", "580_000e18", "0.58e24"])
def test_number_spellings(cli, value):
    assert as_json(cli("allocate", "--flops", value, "--json"))["budget"]["flops"] == pytest.approx(5.8e23)


def test_unknown_law_suggests_nearest(cli):
    assert_one_line_error(cli("allocate", "--flops", "1e21", "--law", "kaplin"), "unknown law 'kaplin'",
                          "did you mean 'kaplan'")


def test_bad_law_file_via_cli(cli, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nform: parametric\nconstants: {E: 1.69, A: 406.4, B: 410.7, alpha: 0.34}\n")
    assert_one_line_error(cli("allocate", "--flops", "1e21", "--law", str(path)), "broken.yaml:3", "beta")


def test_unreachable_loss(cli):
    assert_one_line_error(cli("allocate", "--loss", "1.5", "--law", "chinchilla-3"), "unreachable", "1.69")


def test_budget_given_twice_or_not_at_all(cli):
    assert_one_line_error(cli("allocate", "--flops", "1e21", "--loss", "2.0"), "exactly one")
    assert_one_line_error(cli("allocate"), "exactly one")


def test_internal_error_has_its_own_exit_code(cli, monkeypatch):
    import scalingplan.planning.planner

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(scalingplan.planning.planner, "plan_all", broken)
    result = cli("allocate", "--flops", "1e21")
    assert result.exit_code == 3
    assert "internal error" in result.stderr and "Traceback" not in result.output


def test_compare_json_and_ratios(cli):
    data = as_json(cli("compare", "kaplan", "chinchilla", "--from", "1e18", "--to", "1e26", "--points", "9", "--json"))
    assert data["schema_version"] == SCHEMA_VERSION
    assert len(data["rows"]) == 9 * 4
    for row in data["rows"]:
        assert {"flops", "law", "params", "tokens"} <= set(row)
    scaling = {s["law"]: s for s in data["scaling"]}
    assert scaling["kaplan2020"]["a"] == pytest.approx(0.73)
    assert scaling["chinchilla-1"]["a"] == pytest.approx(0.50)
    big = [r for r in data["rows"] if r["flops"] == pytest.approx(1e26)]
    assert {r["law"]: r["params_vs_first"] for r in big}["kaplan2020"] == 1


def test_compare_at_given_budgets(cli):
    data = as_json(cli("compare", "kaplan", "epoch2024", "--flops", "1e21", "--flops", "5.76e23", "--json"))
    assert sorted({r["flops"] for r in data["rows"]}) == [1e21, 5.76e23]


def test_assess_tells_the_chinchilla_story(cli):
    data = as_json(cli("assess", "gopher", "chinchilla", "--json"))
    models = {m["name"]: m for m in data["models"]}
    gopher, chinchilla = models["Gopher"], models["Chinchilla"]
    assert gopher["flops"] == pytest.approx(6 * 280e9 * 300e9)
    by_law = lambda model: {a["law"]: a for a in model["assessments"]}  # noqa: E731
    # Under chinchilla-3 Chinchilla's predicted loss is below Gopher's at about the same compute.
    assert by_law(chinchilla)["chinchilla-3"]["loss"] < by_law(gopher)["chinchilla-3"]["loss"]
    assert abs(chinchilla["flops"] / gopher["flops"] - 1) < 0.2
    # Gopher is several times larger than the Chinchilla laws' optimum ...
    assert by_law(gopher)["chinchilla-3"]["params_ratio"] > 4
    # ... while kaplan2020's optimum at that compute is about Gopher's size (eq. 1.5: 224B), and never
    # beaten by it: both losses are eq. 1.5's.
    assert by_law(gopher)["kaplan2020"]["optimal_params"] > 5 * by_law(gopher)["chinchilla-3"]["optimal_params"]
    assert by_law(gopher)["kaplan2020"]["loss"] >= by_law(gopher)["kaplan2020"]["optimal_loss"]
    for assessment in gopher["assessments"]:
        assert {"law", "loss", "optimal_params", "optimal_tokens", "params_ratio", "optimal_loss"} <= set(assessment)


def test_assess_explicit_model(cli):
    data = as_json(cli("assess", "--params", "280e9", "--tokens", "300B", "--law", "chinchilla-3", "--json"))
    (model,) = data["models"]
    assert model["flops"] == pytest.approx(5.04e23)
    assert model["assessments"][0]["loss"] == pytest.approx(1.993, abs=0.001)


def test_assess_errors(cli):
    assert_one_line_error(cli("assess", "gopherr"), "unknown model 'gopherr'", "did you mean 'gopher'")
    assert_one_line_error(cli("assess", "--params", "1e9"), "--params and --tokens")


def test_laws_list_and_show(cli):
    listing = as_json(cli("laws", "--json"))
    assert {law["name"] for law in listing["laws"]} >= {"kaplan2020", "chinchilla-3", "epoch2024"}
    shown = cli("laws", "show", "chinchilla-3")
    assert shown.exit_code == 0, shown.output
    # The published inconsistencies are visible: Table A3 against the constants, and the 175B typo.
    assert "do not reproduce" in shown.stdout and "1.26e24" in shown.stdout
    data = as_json(cli("laws", "show", "chinchilla-3", "--json"))
    rows = {r["params"]: r for r in data["published_comparison"]}
    assert rows[1e9]["flops_ratio"] == pytest.approx(2.64e20 / 1.62e20, rel=0.01)
    assert data["derived"]["a"] == pytest.approx(0.4516, abs=1e-4)


def test_laws_show_unknown(cli):
    assert_one_line_error(cli("laws", "show", "epoch2023"), "did you mean 'epoch2024'")


def run_module(*args, env=None):
    return subprocess.run([sys.executable, "-m", "scalingplan", *args], capture_output=True, text=True, env=env)


def test_python_dash_m_and_no_heavy_imports():
    code = ("import sys; sys.argv = ['scalingplan', 'allocate', '--flops', '5.8e23', '--json'];"
            "from scalingplan.cli.app import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('scipy', 'matplotlib', 'numpy', 'rich') if m in sys.modules), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert json.loads(result.stdout)["schema_version"] == SCHEMA_VERSION
    assert result.stderr.strip().splitlines()[-1] == "[]"  # after the extrapolation warning, if any
    assert run_module("allocate", "--flops", "1e21", "--json").returncode == 0


def test_no_color_and_plain_output_when_piped():
    result = run_module("allocate", "--flops", "5.8e23")
    assert result.returncode == 0
    assert "\x1b[" not in result.stdout and "chinchilla-3" in result.stdout


@pytest.mark.parametrize("args, fragment", [
    (["allocate", "--flops"], "requires an argument"),
    (["allocate", "--flopz", "1"], "No such option"),
    (["nosuch"], "No such command"),
])
def test_parser_errors_are_one_line_from_the_entry_point(main_cli, args, fragment):
    result = main_cli(*args)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr


def all_commands() -> list:
    """Every command and sub-command of the full app, as the words that invoke it."""
    import typer

    from scalingplan.cli.app import COMMANDS, build_app

    names = list(COMMANDS)
    for group in build_app().registered_groups:
        names += [f"{group.name} {info.name or info.callback.__name__}"
                  for info in group.typer_instance.registered_commands]
    assert isinstance(build_app(), typer.Typer)
    return names


@pytest.mark.parametrize("command", all_commands())
def test_every_command_help_has_an_example(cli, command):
    result = cli(*command.split(), "--help")
    assert result.exit_code == 0, result.output
    assert "Example" in result.stdout


@pytest.mark.parametrize("command", all_commands())
def test_help_points_at_nothing_a_wheel_lacks(cli, command):
    text = cli(*command.split(), "--help").stdout
    assert "configs/" not in text and "docs/" not in text


def test_root_help_lists_every_command_without_importing_them():
    code = ("import sys\nsys.argv = ['scalingplan', '--help']\nfrom scalingplan.cli.app import COMMANDS, main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('scalingplan.cli.') and "
            "m.split('.')[-1] not in ('app', 'common', 'options', 'settings', 'signals')), file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    from scalingplan.cli.app import COMMANDS

    for name in COMMANDS:
        assert f"  {name} " in result.stdout, name
    assert result.stderr.strip() == "[]"


def test_a_warning_about_several_models_is_said_once(cli):
    """Gopher and Chinchilla both lie far outside Kaplan's fitted budgets: one line, not one per model."""
    result = cli("assess", "gopher", "chinchilla", "--law", "kaplan2020")
    assert result.exit_code == 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "kaplan2020" in lines[0] and "decades" in lines[0], lines


def test_every_command_that_describes_a_model_takes_the_same_architecture_flags():
    """flops, memory and throughput describe a model with one set of flags, help texts included."""
    import typer.main

    from scalingplan.cli.app import build_app
    from scalingplan.cli.options import ARCHITECTURE_FLAGS

    group = typer.main.get_command(build_app())
    wanted = {flag for _, flag, _ in ARCHITECTURE_FLAGS}
    helps = {}
    for name in ("flops", "memory", "throughput"):
        options = {opt: param.help for param in group.commands[name].params for opt in param.opts}
        assert wanted <= set(options), (name, sorted(wanted - set(options)))
        helps[name] = {flag: options[flag] for flag in wanted}
    assert helps["flops"] == helps["memory"] == helps["throughput"]
