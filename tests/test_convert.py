"""`scalingplan convert` on the command line, and hardware budgets through `allocate`."""

import json

import pytest

from scalingplan.output.schemas import SCHEMA_VERSION
from hypothesis import given, settings
from hypothesis import strategies as st
from scalingplan.compute.hardware import default_mfu

def run_json(cli, *args):
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def row(out, name):
    return next(r for r in out["hardware"] if r["name"] == name)


def test_flops_to_pf_days_and_gpu_time(cli):
    # Kaplan et al. 2020 §1.3: 1 PF-day = 8.64e19 FLOPs, so the Gopher/Chinchilla budget 5.76e23
    # (Hoffmann et al. 2022 Table 3) is 6,666.7 PF-days.
    out = run_json(cli, "convert", "5.76e23", "--count", "1024", "--mfu", "0.4", "--price-per-hour", "2.5")
    assert out["schema_version"] == SCHEMA_VERSION
    assert out["flops"] == 5.76e23
    assert out["pf_days"] == pytest.approx(6666.67, rel=1e-5)
    assert out["count"] == 1024 and out["price_per_hour"] == 2.5
    h100 = row(out, "H100 SXM5")
    hours = 5.76e23 / (989.4e12 * 0.4) / 3600
    assert h100.pop("name") == "H100 SXM5" and h100.pop("precision") == "BF16"
    assert h100 == pytest.approx({"peak_flops": 989.4e12, "mfu": 0.4, "gpu_hours": hours,
                                  "days": hours / 1024 / 24, "cost": 2.5 * hours}, rel=1e-12)
    assert len(out["hardware"]) >= 10


def test_pf_days_in(cli):
    out = run_json(cli, "convert", "6666.7", "--from", "pf-days")
    assert out["flops"] == pytest.approx(6666.7 * 8.64e19, rel=1e-12)
    assert "count" not in out and "days" not in out["hardware"][0]
    assert out["mfu"] == default_mfu()


def test_gpu_hours_in(cli):
    out = run_json(cli, "convert", "200000", "--from", "gpu-hours", "--gpu", "h100", "--mfu", "0.5")
    assert out["flops"] == pytest.approx(200000 * 3600 * 989.4e12 * 0.5, rel=1e-12)
    assert row(out, "H100 SXM5")["gpu_hours"] == pytest.approx(200000, rel=1e-12)
    assert out["from"]["gpu"] == "H100 SXM5"


@settings(max_examples=25, deadline=None)
@given(st.floats(1e15, 1e28))
def test_round_trip_through_pf_days_and_gpu_hours(cli, flops):
    pf = run_json(cli, "convert", repr(flops))["pf_days"]
    assert run_json(cli, "convert", repr(pf), "--from", "pf-days")["flops"] == pytest.approx(flops, rel=1e-12)
    hours = row(run_json(cli, "convert", repr(flops), "--mfu", "0.35"), "A100 SXM4")["gpu_hours"]
    back = run_json(cli, "convert", repr(hours), "--from", "gpu-hours", "--gpu", "a100", "--mfu", "0.35")
    assert back["flops"] == pytest.approx(flops, rel=1e-12)


def test_table_output_names_units_and_default_mfu_source(cli):
    result = cli("convert", "5.76e23", "--count", "1024")
    assert result.exit_code == 0
    assert "6,666.7 PF-days" in result.stdout and "Days on 1,024" in result.stdout
    assert "Epoch AI" in result.stdout


def test_help_states_default_mfu_and_its_source(cli):
    result = cli("convert", "--help")
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    assert f"Default {default_mfu():g}" in text and "Epoch AI" in text and "Example" in text


@pytest.mark.parametrize("args, message", [
    (["1e23", "--from", "gpu-hours", "--gpu", "h10"], "did you mean 'h100'"),
    (["1e23", "--from", "gpu-hours"], "needs --gpu"),
    (["1e23", "--gpu", "h100"], "only used with --from gpu-hours"),
    (["1e23", "--mfu", "1.5"], "--mfu"),
    (["1e23", "--mfu", "0"], "--mfu"),
    (["1e23", "--mfu", "40"], "--mfu"),
    (["1e23", "--count", "-4"], "--count"),
    (["1e23", "--count", "2.5"], "--count"),
    (["1e23", "--price-per-hour", "-1"], "--price-per-hour"),
    (["1e23", "--from", "joules"], "unknown unit"),
    (["--", "-5"], "VALUE: must be positive"),
    (["lots"], "VALUE: 'lots' is not a number"),
])
def test_bad_input_is_one_line_and_exit_2(args, message, cli):
    result = cli("convert", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def test_allocate_takes_a_hardware_budget(cli):
    # 1024 x H100 SXM5 (989.4 TFLOP/s dense BF16) x 30 days x MFU 0.4.
    out = run_json(cli, "allocate", "--gpu", "h100", "--count", "1024", "--days", "30", "--mfu", "0.4")
    assert out["budget"]["flops"] == pytest.approx(1024 * 989.4e12 * 0.4 * 30 * 86400, rel=1e-12)
    assert out["budget"]["description"] == "1024 × H100 SXM5 (989.4 TFLOP/s BF16) × 30 days × MFU 0.40"
