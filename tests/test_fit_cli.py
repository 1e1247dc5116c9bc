"""`scalingplan fit` on the command line: output contract, law files, errors."""

import json
from pathlib import Path

import numpy as np
import pytest

from scalingplan.output.schemas import SCHEMA_VERSION

from scalingplan.laws.parametric import ParametricLaw
from scalingplan.catalogues.registry import load_law

DATA = Path(__file__).resolve().parent / "data" / "chinchilla_fig4_extracted.csv"
CHINCHILLA_OPTIONS = ["--params-col", "Model Size", "--flops-col", "Training FLOP"]
TRUTH = dict(E=1.8, A=500.0, B=2000.0, alpha=0.35, beta=0.37)


@pytest.fixture(scope="module")
def runs_csv(tmp_path_factory):
    """Noise-free runs under a known law, written as a CSV with the common column names."""
    params, tokens = np.meshgrid(np.geomspace(5e7, 1.5e10, 7), np.geomspace(1e9, 4e11, 7))
    params, tokens = params.ravel(), tokens.ravel()
    loss = ParametricLaw("truth", TRUTH).loss(params, tokens)
    path = tmp_path_factory.mktemp("fit") / "runs.csv"
    path.write_text("params,tokens,loss\n" + "".join(f"{n:.17g},{d:.17g},{l:.17g}\n" for n, d, l in zip(params, tokens, loss)))
    return path


def test_json_contract_and_law_file_round_trip(cli, runs_csv, tmp_path):
    law_path = tmp_path / "mylaw.yaml"
    result = cli("fit", runs_csv, "--json", "--budget", "5.76e23", "-o", law_path)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["schema_version"] == SCHEMA_VERSION and payload["method"] == "approach3" and payload["n_points"] == 49
    assert set(payload["params"]) == {"E", "A", "B", "alpha", "beta"}
    for key, value in TRUTH.items():
        assert payload["params"][key] == pytest.approx(value, rel=1e-3)
    assert payload["a"] == pytest.approx(0.37 / 0.72, rel=1e-3)
    law = load_law(str(law_path))
    assert law.form == "parametric" and law.meta["provenance"]["n_points"] == 49
    assert len(law.meta["provenance"]["sha256"]) == 64
    params, tokens = law.allocate(5.76e23)
    assert params == pytest.approx(payload["allocations"][0]["params"], rel=1e-9)
    assert 6 * params * tokens == pytest.approx(5.76e23)


def test_approach2_law_file_is_a_power_law(cli, tmp_path):
    law_path = tmp_path / "iso.yaml"
    result = cli("fit", DATA, *CHINCHILLA_OPTIONS, "--method", "approach2", "--json", "-o", law_path)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload["params"]) >= {"G", "a"}
    law = load_law(str(law_path))
    assert law.form == "power-law" and law.quantity == "params"
    assert law.allocate(1e22)[0] == pytest.approx(payload["params"]["G"] * 1e22 ** payload["params"]["a"])


def test_replication_file_works_with_column_options_and_bootstrap(cli):
    result = cli("fit", DATA, *CHINCHILLA_OPTIONS, "--drop-highest-loss", "5", "--bootstrap", "8",
                 "--jobs", "1", "--starts", "300", "--format", "json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["n_points"] == 240
    assert payload["bootstrap"]["percentiles"] == [2.5, 97.5]
    low, high = payload["bootstrap"]["intervals"]["alpha"]
    assert low <= high


@pytest.mark.parametrize("text, args, message", [
    ("size,tokens,loss\n1,2,3\n", [], "no column for parameters"),
    ("params,tokens,loss\n1e9,2e10,2.5\n1e9,0,2.4\n", [], "line 3, column 'tokens'"),
    ("params,tokens,loss\n1e9,2e10,2.5\n1e9,2e10\n", [], "line 3: malformed CSV"),
    ("params,tokens,loss\n" + "1e9,2e10,2.5\n" * 3, [], "need at least 6"),
    ("params,tokens,loss\n" + "".join(f"1e9,{d},2.{d % 7}\n" for d in range(10, 20)), [], "same model size"),
    ("params,tokens,loss\n1e9,2e10,2.5\n", ["--method", "approach4"], "unknown method"),
])
def test_bad_input_is_one_line_and_exit_2(cli, tmp_path, text, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    result = cli("fit", path, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_fit_command_module_does_not_import_scipy():
    import subprocess
    import sys

    code = "import sys, scalingplan.cli.fit, scalingplan.fitting.approach3; print('scipy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
