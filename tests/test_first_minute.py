"""The first minute: bare commands show their usage, every `Example:` of every --help runs, CI
annotations for malformed plans, folded tables keep the columns that name their rows."""

import importlib
import re
import shlex
import shutil
from pathlib import Path

import pytest
import typer

from scalingplan.cli.app import COMMANDS

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"


def docstrings():
    """(command, help text) of every command and sub-command."""
    for name, (module, attribute, _) in COMMANDS.items():
        target = getattr(importlib.import_module(f"scalingplan.cli.{module}"), attribute)
        if isinstance(target, typer.Typer):
            yield name, target.info.help or ""
            for command in target.registered_commands:
                yield f"{name} {command.name or command.callback.__name__}", command.callback.__doc__ or ""
        else:
            yield name, target.__doc__ or ""


def examples():
    """Every command line an Example names: after 'Example:' (and 'then:', 'also:', 'e.g.') up to a
    parenthesis or the end of its sentence, and each line of an 'Examples:' block."""
    found = []
    for name, doc in docstrings():
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", doc)]
        for index, paragraph in enumerate(paragraphs):
            if paragraph.startswith("Examples:"):
                found += [(name, p) for p in paragraphs[index + 1:] if p.startswith("scalingplan ")]
            elif "Example:" in paragraph:
                for match in re.finditer(r"(?:Example:|then:|also:|e\.g\.)\s+(scalingplan [^()]*?)(?=\s*\(|\)|\.\s|\.$|$)",
                                         paragraph):
                    found.append((name, match.group(1).strip()))
    return found


EXAMPLES = examples()


def test_every_command_has_examples_found():
    named = {name.split()[0] for name, _ in EXAMPLES}
    assert named == set(COMMANDS), set(COMMANDS) - named
    assert len(EXAMPLES) >= 30


@pytest.fixture
def example_folder(tmp_path, monkeypatch):
    """A folder with the files the examples name: runs.csv, plans/, Meta-Llama-3-8B/, two law files."""
    shutil.copy(DATA / "examples" / "runs.csv", tmp_path / "runs.csv")
    shutil.copytree(ROOT / "configs" / "plans", tmp_path / "plans")
    (tmp_path / "Meta-Llama-3-8B").mkdir()
    shutil.copy(DATA / "configs" / "llama-3-8b.json", tmp_path / "Meta-Llama-3-8B" / "config.json")
    shutil.copy(ROOT / "configs" / "laws" / "chinchilla-3.yaml", tmp_path / "baseline.yaml")
    shutil.copy(ROOT / "configs" / "laws" / "epoch2024.yaml", tmp_path / "new-recipe.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# Options that only make an example cheaper to run here, not whether it runs: a small PNG, and
# approach 3 from 300 of the grid's starts (the full grid is fitted in test_fit_approach3).
LIGHTER = {"plot frontier": ["--dpi", "40"], "plot isoflop": ["--dpi", "40"],
           "plot fit": ["--dpi", "40", "--starts", "300"], "fit": ["--starts", "300"], "suggest": ["--starts", "300"]}


@pytest.mark.parametrize("command, line", EXAMPLES, ids=[line for _, line in EXAMPLES])
def test_every_help_example_runs(cli, example_folder, command, line):
    if " plot " in f" {line} " or "reconcile" in line:
        pytest.importorskip("matplotlib")
    args = []
    for word in shlex.split(line)[1:]:
        matches = sorted(str(p) for p in example_folder.glob(word)) if "*" in word else []
        args += matches or [word]
    lighter = next((extra for name, extra in LIGHTER.items() if line.startswith(f"scalingplan {name} ")), [])
    result = cli(*args, *lighter)
    assert result.exit_code in (0, 1), f"{line}: {result.output}"  # check exits 1 for a failing plan
    if command == "check":
        assert result.exit_code == 1 or "passed" in result.stdout


def test_bare_commands_show_their_usage(main_cli):
    for args in ((), ("plot",)):
        result = main_cli(*args)
        assert result.exit_code == 0 and result.stdout.startswith("Usage: scalingplan"), args
        assert "Commands" in result.stdout
    assert "allocate" in main_cli().stdout and "frontier" in main_cli("plot").stdout


def test_github_format_annotates_a_malformed_plan(main_cli, tmp_path):
    plan = tmp_path / "bad.yaml"
    plan.write_text("budget: {flops: 6e23}\nmodel: {params: abc, tokens: 1.4e12}\n")
    result = main_cli("check", plan, "--format", "github")
    assert result.exit_code == 2
    assert result.stdout.strip() == (f"::error file={plan},line=2,title=scalingplan check%3A malformed plan::"
                                     "model.params: 'abc' is not a number (try 5.8e23, 70e9, 70B or 1.4T)")
    missing = main_cli("check", tmp_path / "none.yaml", "--format", "github")
    assert missing.exit_code == 2 and missing.stdout.startswith(f"::error file={tmp_path / 'none.yaml'},title=")


def test_folded_check_table_repeats_check_and_law(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = cli("check", ROOT / "configs" / "plans" / "chinchilla.yaml").stdout
    headers = [line for line in out.splitlines() if line.strip().startswith("Check ")]
    assert len(headers) >= 2  # folded
    assert all(re.search(r"Check\s+Law\s", header) for header in headers)


def test_fit_writes_the_validity_range_of_its_runs(cli, tmp_path):
    import csv

    import yaml

    from scalingplan.catalogues.registry import load_law

    runs = list(csv.DictReader((DATA / "examples" / "runs.csv").open()))
    flops = [float(r["flops"]) for r in runs]
    params = [float(r["params"]) for r in runs]
    out = tmp_path / "mine.yaml"
    assert cli("fit", DATA / "examples" / "runs.csv", "--starts", "20", "-o", out).exit_code == 0
    validity = yaml.safe_load(out.read_text())["validity"]
    assert validity["flops"] == [min(flops), max(flops)] and validity["params"] == [min(params), max(params)]
    law = load_law(str(out))
    assert law.extrapolation_decades(max(flops)) == 0
    assert law.extrapolation_decades(max(flops) * 1e3) == pytest.approx(3)
