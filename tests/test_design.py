"""IsoFLOP designs and `scalingplan sweep`, and the round trip sweep -> simulated losses -> fit."""

import csv
import io
import json

import numpy as np
import pytest

from cli_assertions import assert_one_line_error, write_runs_csv
from scalingplan.catalogues.registry import load_law
from scalingplan.fitting.design import isoflop_design

CHINCHILLA_3 = "chinchilla-3"  # Hoffmann et al. 2022 App. D.2: a = 0.28/(0.34+0.28) = 0.452


def test_design_is_isoflop_and_centred_on_the_prior_optimum():
    law = load_law("epoch2024")
    flops, params, tokens = isoflop_design(law, 1e18, 1e20, 5, 9, spread=1.0)
    assert flops.size == 45 and np.allclose(6 * params * tokens, flops)
    budgets = np.unique(flops)
    assert np.allclose(np.log10(budgets), [18, 18.5, 19, 19.5, 20])
    for budget in budgets:
        sizes = np.log10(params[flops == budget])
        assert sizes.max() - sizes.min() == pytest.approx(1.0)
        assert np.median(sizes) == pytest.approx(np.log10(law.allocate(budget)[0]))


def test_sweep_shapes_come_from_the_shape_search(cli):
    from scalingplan.compute.shapes import propose

    result = cli("sweep", "--from", "1e19", "--to", "1e19", "--budgets", "1", "--per-budget", "3", "--json")
    for run in json.loads(result.stdout)["runs"]:
        best = propose(run["target_params"], tolerance=0.02, top=1)[0]
        assert (run["layers"], run["d_model"], run["ffw_size"]) == (best["layers"], best["d_model"], best["ffw_size"])
        assert run["params"] == best["params"] and abs(run["params"] / run["target_params"] - 1) <= 0.02


def test_sweep_json_contract_and_gpu_hours(cli):
    result = cli("sweep", "--from", "1e18", "--to", "1e20", "--budgets", "3", "--per-budget", "5",
                 "--gpu", "h100", "--mfu", "0.4", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert "schema_version" in payload and len(payload["runs"]) == 15
    peak = 989.4e12  # H100 SXM5 dense BF16 (NVIDIA whitepaper, configs/hardware.yaml)
    for run in payload["runs"]:
        assert {"flops", "params", "tokens", "layers", "d_model", "heads", "ffw_size", "gpu_hours"} <= set(run)
        assert 6 * run["params"] * run["tokens"] == pytest.approx(run["flops"])
        assert run["gpu_hours"] == pytest.approx(run["flops"] / (peak * 0.4) / 3600)
    assert payload["total"]["gpu_hours"] == pytest.approx(sum(r["gpu_hours"] for r in payload["runs"]))


def test_sweep_csv_needs_its_losses_before_fit(cli, tmp_path):
    result = cli("sweep", "--budgets", "2", "--per-budget", "3", "--format", "csv")
    assert result.exit_code == 0, result.output
    path = tmp_path / "sweep.csv"
    path.write_text(result.stdout)
    assert next(csv.reader(io.StringIO(result.stdout)))[:4] == ["flops", "params", "tokens", "loss"]
    assert_one_line_error(cli("fit", path), "line 2", "'loss'")


@pytest.mark.parametrize("args, fragment", [
    (["--per-budget", "2"], "--per-budget"),
    (["--from", "1e20", "--to", "1e18"], "--from"),
    (["--spread", "0"], "--spread"),
    (["--gpu", "h1000"], "--gpu"),
    (["--mfu", "0.5"], "--mfu"),
])
def test_sweep_bad_input(cli, args, fragment):
    assert_one_line_error(cli("sweep", *args), fragment)


def test_round_trip_sweep_simulate_fit_recovers_the_law_100x_beyond(cli, tmp_path):
    """sweep (prior epoch2024, 1e18..1e20, 5 budgets × 9 sizes) -> losses from chinchilla-3 times
    exp(0.002·ε), seed 0 -> fit by both approaches. Tolerances: the exponent a within 0.03 of
    0.452, and N_opt at 1e22 (100× the largest run) within 15% of the truth's 5.16e9 (about the 95%
    bootstrap half-width this design gives at this noise, docs/fit.md)."""
    result = cli("sweep", "--from", "1e18", "--to", "1e20", "--budgets", "5", "--per-budget", "9", "--json")
    runs = json.loads(result.stdout)["runs"]
    params = np.array([r["params"] for r in runs])
    tokens = np.array([r["tokens"] for r in runs])
    truth = load_law(CHINCHILLA_3)
    loss = truth.loss(params, tokens) * np.exp(0.002 * np.random.default_rng(0).standard_normal(params.size))
    path = write_runs_csv(tmp_path / "runs.csv", params, tokens, loss)
    true_opt = truth.allocate(1e22)[0]
    for method in ("approach3", "approach2"):
        fitted = cli("fit", path, "--method", method, "--budget", "1e22", "--json")
        assert fitted.exit_code == 0, fitted.output
        assert "2.0 decades above" in fitted.stderr
        payload = json.loads(fitted.stdout)
        assert payload["a"] == pytest.approx(truth.a, abs=0.03), method
        assert payload["allocations"][0]["params"] == pytest.approx(true_opt, rel=0.15), method


def test_extrapolation_names_the_decades_on_both_sides():
    from scalingplan.fitting.report import extrapolation

    rows = extrapolation([1e18, 1e20], [1e16, 2e17, 1e19, 1e21, 3e22])
    assert [row["flops"] for row in rows] == [1e16, 3e22]  # 2e17 and 1e21 lie within one decade
    assert rows[0]["decades"] == pytest.approx(-2.0) and rows[1]["decades"] == pytest.approx(np.log10(300))
