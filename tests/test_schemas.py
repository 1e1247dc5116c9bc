"""Every command's --json answer validates against its published schema (scalingplan schema COMMAND)."""

import json
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")

from scalingplan.output.schemas import COMMANDS, SCHEMA_VERSION, reference_markdown, schema  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "chinchilla_fig4_extracted.csv"
RUNS = [str(DATA), "--params-col", "Model Size", "--flops-col", "Training FLOP", "--drop-highest-loss", "5"]

INVOCATIONS = {
    "throughput": [["--gpu", "h100", "--count", "64", "--layers", "32", "--d-model", "4096", "--heads", "32",
                    "--vocab", "32000", "--seq-len", "4096"],
                   ["--gpu", "a100", "--count", "16", "--layers", "24", "--d-model", "2048", "--heads", "16",
                    "--vocab", "50000", "--seq-len", "2048", "--tp", "2", "--pp", "2", "--zero", "1"]],
    "allocate": [["--flops", "5.8e23"], ["--params", "7e9"], ["--loss", "2.0"],
                 ["--flops", "1e22", "--tokens-per-param", "100", "--law", "gadre2024-c4,krajewski2024"],
                 ["--flops", "1e22", "--precision", "fp8", "--post-train-bits", "4"],
                 ["--gpu", "h100", "--count", "1024", "--days", "30"],
                 ["--flops", "1e23", "--unique-tokens", "100e9"], ["--loss", "2.1", "--inference-tokens", "2e12"],
                 ["--flops", "1e24", "--inference-tokens", "2e12"]],
    "compare": [["kaplan", "chinchilla"], ["--gpu", "h100", "--count", "8", "--days", "1"]],
    "assess": [["gopher", "chinchilla"], ["--params", "7e9", "--tokens", "1e12", "--unique-tokens", "2e11"]],
    "laws": [[]],
    "laws show": [["chinchilla-3"], ["kaplan2020"], ["llama3"]],
    "flops": [["--params", "70e9", "--tokens", "1.4e12"], ["--model", "chinchilla", "--method", "chinchilla"]],
    "convert": [["5.76e23", "--count", "1024", "--price-per-hour", "2"], ["1000", "--from", "gpu-hours", "--gpu", "h100"]],
    "check": [["configs/plans/chinchilla.yaml", "configs/plans/gopher.yaml"]],
    "fit": [RUNS + ["--method", "approach2"]],
    "sweep": [["--budgets", "2", "--per-budget", "3", "--gpu", "h100"], ["--from", "1e19", "--to", "1e19", "--budgets", "1"]],
    "suggest": [RUNS + ["--budget", "1e23", "--runs", "2", "--starts", "500"]],
    "fit compare": [["chinchilla-3", "epoch2024"]],
    "plot frontier": [[]],
    "hardware": [[]],
    "models": [[]],
    "reconcile": [[]],
}


def test_every_schema_is_valid_and_versioned():
    for command in COMMANDS:
        document = schema(command)
        jsonschema.Draft202012Validator.check_schema(document)
        assert document["properties"]["schema_version"]["const"] == SCHEMA_VERSION


@pytest.mark.parametrize("command, args", [(c, a) for c, runs in INVOCATIONS.items() for a in runs])
def test_json_answers_match_their_schema(cli, command, args):
    words = ["fit-compare"] if command == "fit compare" else command.split()  # schema names drop the dash
    result = cli(*words, *args, "--json")
    assert result.exit_code in (0, 1), result.output
    jsonschema.validate(json.loads(result.stdout), schema(command),
                        cls=jsonschema.Draft202012Validator)


def test_schema_command_prints_the_schema(cli):
    result = cli("schema", "laws", "show")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"] == "scalingplan laws show --json"


def test_unknown_schema_is_one_line(cli):
    from cli_assertions import assert_one_line_error

    assert_one_line_error(cli("schema", "alocate"), "did you mean 'allocate'")


def test_fit_constants_key_and_its_deprecated_alias(cli):
    payload = json.loads(cli("fit", *RUNS, "--method", "approach2", "--json").stdout)
    assert payload["constants"] == payload["params"]
    assert schema("fit")["properties"]["params"]["deprecated"] is True


def test_docs_reference_is_generated_from_the_schemas():
    page = Path(__file__).resolve().parents[1] / "docs" / "json.md"
    assert page.read_text(encoding="utf-8") == reference_markdown(), \
        "regenerate: python -c \"from scalingplan.output.schemas import reference_markdown as r; " \
        "open('docs/json.md', 'w').write(r())\""
