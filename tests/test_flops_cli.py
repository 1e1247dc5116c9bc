"""`scalingplan flops` on the command line."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scalingplan.output.schemas import SCHEMA_VERSION

def run_json(cli, *args):
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_six_nd_json_contract(cli):
    # Hoffmann et al. 2022 Table 1: Chinchilla, 70B parameters, 1.4T tokens; 6ND = 5.88e23.
    out = run_json(cli, "flops", "--params", "70e9", "--tokens", "1.4T")
    assert out["schema_version"] == SCHEMA_VERSION
    assert out["method"] == "6nd"
    assert out["params"] == 70e9 and out["tokens"] == 1.4e12
    assert out["flops"] == pytest.approx(5.88e23, rel=1e-12)
    assert out["pf_days"] == pytest.approx(5.88e23 / 8.64e19, rel=1e-12)
    assert "counts" not in out


def test_catalogue_model_uses_its_tokens_and_architecture(cli):
    out = run_json(cli, "flops", "--model", "chinchilla", "--method", "chinchilla")
    assert out["method"] == "chinchilla" and out["model"] == "chinchilla"
    assert out["tokens"] == 1.4e12 and out["params"] == 70e9
    counts = {c["method"]: c for c in out["counts"]}
    assert out["flops"] == counts["chinchilla"]["flops"]
    assert counts["6nd"]["flops"] == pytest.approx(6 * 70e9 * 1.4e12, rel=1e-12)
    for count in counts.values():
        assert count["ratio_to_6nd"] == pytest.approx(count["flops"] / counts["6nd"]["flops"], rel=1e-12)
    # Table 4 shapes: with the relative-position projections the count is the quoted 70B.
    assert out["parameters"]["total_with_relative_position"] == pytest.approx(70e9, rel=0.01)
    terms = out["chinchilla_terms"]
    assert sum(t["training_flops"] for t in terms) == pytest.approx(counts["chinchilla"]["flops"], rel=1e-9)
    assert sum(t["share"] for t in terms) == pytest.approx(1.0, rel=1e-9)


def test_gpt3_by_name(cli):
    # Brown et al. 2020 Table 2.1 / Hoffmann et al. Table 1: 175B parameters, 300B tokens.
    out = run_json(cli, "flops", "--model", "gpt-3")
    assert out["flops"] == pytest.approx(3.15e23, rel=1e-12)
    assert out["parameters"]["kaplan_nonembedding"] == 12 * 96 * 12288 ** 2
    assert out["architecture"]["seq_len"] == 2048


def test_user_shapes_override_and_headline_method_is_named(cli):
    out = run_json(cli, "flops", "--params", "1e9", "--tokens", "20e9", "--method", "kaplan", "--layers", "24",
                   "--d-model", "2048", "--heads", "16", "--vocab", "32000", "--seq-len", "2048", "--mlp", "gelu")
    kaplan = next(c for c in out["counts"] if c["method"] == "kaplan")
    assert out["method"] == "kaplan" and out["flops"] == kaplan["flops"]
    nonembedding = 12 * 24 * 2048 ** 2
    assert out["flops"] == pytest.approx(3 * (2 * nonembedding + 2 * 24 * 2048 * 2048) * 20e9, rel=1e-12)
    result = cli("flops", "--params", "1e9", "--tokens", "20e9", "--method", "kaplan", "--layers", "24",
                 "--d-model", "2048", "--heads", "16", "--vocab", "32000", "--seq-len", "2048")
    assert result.exit_code == 0
    assert "Kaplan 2020 Table 1" in result.stdout and "Parameter counts" in result.stdout


def test_architecture_without_params_uses_its_total(cli):
    out = run_json(cli, "flops", "--tokens", "1e9", "--layers", "2", "--d-model", "64", "--kv-size", "16",
                   "--vocab", "100", "--seq-len", "32", "--mlp", "gelu", "--embeddings", "tied", "--norm", "none")
    assert out["params"] == 12 * 2 * 64 ** 2 + 100 * 64


def test_table_and_markdown_name_the_method(cli):
    for fmt in ("table", "markdown"):
        result = cli("flops", "--params", "70e9", "--tokens", "1.4e12", "--format", fmt)
        assert result.exit_code == 0 and "(6ND)" in result.stdout
    csv = cli("flops", "--model", "gopher", "--format", "csv")
    assert csv.exit_code == 0 and csv.stdout.splitlines()[0] == "name,flops,pf_days,ratio_to_6nd"


@pytest.mark.parametrize("args, message", [
    (["--params", "70e9"], "--tokens"),
    (["--tokens", "1e12"], "--params"),
    (["--params", "-70e9", "--tokens", "1e12"], "--params"),
    (["--params", "7e9", "--tokens", "1e12", "--method", "7nd"], "unknown method"),
    (["--params", "7e9", "--tokens", "1e12", "--method", "kaplan"], "needs an architecture"),
    (["--model", "chinchila"], "did you mean 'chinchilla'"),
    (["--params", "7e9", "--tokens", "1e12", "--layers", "24", "--d-model", "2048", "--vocab", "32000",
      "--seq-len", "2048"], "heads and/or --kv-size"),
    (["--params", "7e9", "--tokens", "1e12", "--layers", "24", "--d-model", "2048", "--heads", "3",
      "--vocab", "32000", "--seq-len", "2048"], "does not divide"),
    (["--params", "7e9", "--tokens", "1e12", "--layers", "-24", "--d-model", "2048", "--heads", "16",
      "--vocab", "32000", "--seq-len", "2048"], "--layers"),
    (["--params", "7e9", "--tokens", "1e12", "--d-model", "2048", "--heads", "16"], "--layers"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, cli):
    result = cli("flops", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_help_has_an_example(cli):
    result = cli("flops", "--help")
    assert result.exit_code == 0 and "Example" in result.stdout


@pytest.mark.parametrize("args", [
    ["flops", "--model", "chinchilla", "--json"],
    ["flops", "--model", "gpt-3"],
    ["convert", "5.76e23", "--count", "1024", "--json"],
    ["convert", "1000", "--from", "gpu-hours", "--gpu", "h100"],
    ["allocate", "--gpu", "h100", "--count", "1024", "--days", "30", "--mfu", "0.4", "--json"],
])
def test_no_scipy_or_matplotlib(args):
    # Run the real entry point in a fresh interpreter, then look at what it imported.
    code = ("import sys\nfrom scalingplan.cli.app import main\nsys.argv = ['scalingplan', *sys.argv[1:]]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "bad = sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'matplotlib'})\n"
            "assert not bad, bad\n")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[1], env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr


def test_flags_share_the_commands_defaults_and_count_without_tokens(cli):
    """Llama 2 7B from its shape alone (Touvron et al. 2023: 32 layers, d_model 4096, 32 heads, SwiGLU
    11008, untied 32,000 vocabulary, RMSNorm): 6,738,415,616 weights, no --seq-len or --tokens needed."""
    out = run_json(cli, "flops", "--layers", "32", "--d-model", "4096", "--heads", "32")
    assert out["parameters"]["total"] == 6_738_415_616
    assert out["architecture"]["ffw_size"] == 11008 and out["architecture"]["mlp"] == "swiglu"
    from scalingplan.compute.shapes import propose

    best = propose(6.738e9)[0]  # shape proposes under the same defaults
    assert (best["layers"], best["d_model"], best["params"]) == (32, 4096, 6_738_415_616)
