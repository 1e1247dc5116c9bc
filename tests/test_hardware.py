"""The accelerator catalogue and hardware budgets (scalingplan.compute.hardware)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalingplan.errors import InputError
from scalingplan.compute.hardware import (check_mfu, default_mfu, find_accelerator, flops_for,
                                          gpu_hours_for, hardware_budget, hardware_rows, load_catalogue,
                                          wall_clock_days)


def test_h100_budget_1024_gpus_30_days():
    # 1024 x H100 SXM5 (989.4 TFLOP/s dense BF16, NVIDIA H100 whitepaper Tables 1 and 3) x 30 days x MFU 0.4.
    budget = hardware_budget("h100", count=1024, days=30, mfu=0.4)
    assert budget["flops"] == pytest.approx(1024 * 989.4e12 * 0.4 * 30 * 86400, rel=1e-12)
    assert budget["gpu"] == "H100 SXM5"
    assert budget["peak_flops"] == 989.4e12
    assert budget["mfu"] == 0.4
    assert budget["gpu_hours"] == 1024 * 30 * 24
    assert budget["description"] == "1024 × H100 SXM5 (989.4 TFLOP/s BF16) × 30 days × MFU 0.40"


def test_gpu_hours_budget_equals_count_times_days():
    by_time = hardware_budget("A100", count=64, days=10, mfu=0.5)
    by_hours = hardware_budget("a100-sxm4", gpu_hours=64 * 10 * 24, mfu=0.5)
    assert by_hours["flops"] == pytest.approx(by_time["flops"], rel=1e-12)
    assert by_hours["description"] == "15,360 GPU-hours × A100 SXM4 (312 TFLOP/s BF16) × MFU 0.50"


def test_budget_uses_default_mfu():
    budget = hardware_budget("h100", gpu_hours=1000)
    assert budget["mfu"] == default_mfu()


def test_catalogue_matches_reference_sheet():
    # Peak dense throughput per chip: NVIDIA A100 whitepaper Table 4, H100 whitepaper Table 3,
    # AMD ROCm MI300 docs, Google Cloud TPU docs (reference sheet §5).
    expected = {"A100 SXM4": 312e12, "H100 SXM5": 989.4e12, "H100 PCIe": 756e12, "V100 SXM2": 125e12,
                "MI300X": 1307.4e12, "TPU v4": 275e12, "TPU v5p": 459e12, "TPU v5e": 197e12}
    for name, peak in expected.items():
        assert find_accelerator(name)["peak_flops"] == pytest.approx(peak, rel=1e-12)


def test_catalogue_entries_are_cited_and_names_unique():
    catalogue = load_catalogue()
    seen = set()
    for entry in catalogue["accelerators"]:
        assert entry["source"].strip() and entry["precision"] in ("BF16", "FP16")
        assert entry["peak_flops"] > 1e13
        for label in [entry["name"], *entry["aliases"]]:
            key = "".join(ch for ch in label.lower() if ch.isalnum())
            assert key not in seen, label
            seen.add(key)
            assert find_accelerator(label) is entry
    assert 0 < catalogue["default_mfu"] <= 1
    assert "Epoch" in catalogue["default_mfu_source"]


def test_unknown_accelerator_suggests_a_name():
    with pytest.raises(InputError, match=r"unknown accelerator 'h10'.*did you mean 'h100'") as info:
        find_accelerator("h10")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("mfu", [0, -0.1, 1.01, 40, "nan", "abc"])
def test_bad_mfu(mfu):
    with pytest.raises(InputError, match="--mfu"):
        check_mfu(mfu)


def test_mfu_of_one_is_allowed():
    assert check_mfu(1) == 1.0


@pytest.mark.parametrize("kwargs, message", [
    (dict(count=-8, days=30), "--count"),
    (dict(count=0, days=30), "--count"),
    (dict(count=2.5, days=30), "--count"),
    (dict(count=8, days=-1), "--days"),
    (dict(gpu_hours=-5), "--gpu-hours"),
    (dict(gpu_hours=0), "--gpu-hours"),
    (dict(count=8), "go together"),
    (dict(days=8), "go together"),
    (dict(count=8, days=1, gpu_hours=100), "not both"),
    (dict(), "needs --count and --days, or --gpu-hours"),
    (dict(count=8, days=1, mfu=1.5), "--mfu"),
])
def test_bad_budgets(kwargs, message):
    with pytest.raises(InputError, match=message):
        hardware_budget("h100", **kwargs)


def test_rows_cover_the_catalogue():
    rows = hardware_rows(5.76e23, mfu=0.4, count=1000, price_per_hour=2.0)
    assert [r["name"] for r in rows] == [a["name"] for a in load_catalogue()["accelerators"]]
    h100 = next(r for r in rows if r["name"] == "H100 SXM5")
    hours = 5.76e23 / (989.4e12 * 0.4) / 3600
    assert h100["gpu_hours"] == pytest.approx(hours, rel=1e-12)
    assert h100["days"] == pytest.approx(hours / 1000 / 24, rel=1e-12)
    assert h100["cost"] == pytest.approx(2.0 * hours, rel=1e-12)
    assert "days" not in hardware_rows(1e20)[0] and "cost" not in hardware_rows(1e20)[0]
    with pytest.raises(InputError, match="--price-per-hour"):
        hardware_rows(1e20, price_per_hour=-1)


@given(st.floats(1e10, 1e30), st.floats(1e12, 1e16), st.floats(0.01, 1.0))
def test_flops_gpu_hours_round_trip(flops, peak, mfu):
    assert flops_for(gpu_hours_for(flops, peak, mfu), peak, mfu) == pytest.approx(flops, rel=1e-12)


@given(st.integers(1, 100_000), st.floats(0.01, 1000), st.floats(0.01, 1.0))
def test_budget_and_rows_are_inverse(count, days, mfu):
    # A budget of `count` H100s for `days` days converts back to `days` days on `count` H100s.
    budget = hardware_budget("h100", count=count, days=days, mfu=mfu)
    row = next(r for r in hardware_rows(budget["flops"], mfu=mfu, count=count) if r["name"] == "H100 SXM5")
    assert row["days"] == pytest.approx(days, rel=1e-9)
    assert wall_clock_days(budget["gpu_hours"], count) == pytest.approx(days, rel=1e-12)
