"""At 80 columns every table keeps names and numbers whole and no line is wider than the terminal."""

import pytest

CASES = [
    ["allocate", "--flops", "5.8e23"],
    ["allocate", "--flops", "1e23", "--unique-tokens", "100e9"],
    ["allocate", "--loss", "2.1", "--inference-tokens", "2e12"],
    ["allocate", "--flops", "1e24", "--inference-tokens", "2e12"],
    ["compare", "kaplan", "chinchilla"],
    ["compare"],
    ["assess", "gopher", "chinchilla", "gpt-3", "lamda"],
    ["laws"],
    ["laws", "show", "chinchilla-3"],
    ["laws", "show", "kaplan2020"],
    ["flops", "--model", "chinchilla"],
    ["convert", "5.76e23", "--count", "1024", "--price-per-hour", "2.5"],
    ["check", "configs/plans/gopher.yaml", "configs/plans/chinchilla.yaml"],
    ["hardware"],
    ["models"],
    ["memory", "--params", "70e9", "--gpu", "h100", "--count", "8"],
    ["memory", "--params", "23e9", "--gpu", "h100", "--count", "512"],
    ["throughput", "--model", "llama-3.1-405b", "--gpu", "h100", "--count", "16384", "--tp", "8", "--pp", "16"],
    ["allocate", "--params", "7e9", "--gpu", "a100", "--count", "256"],
    ["shape", "--params", "7e9"],
    ["sweep", "--from", "1e18", "--to", "1e20", "--gpu", "h100"],
    ["reconcile"],
    ["compare", "krajewski2024-dense", "krajewski2024", "--from", "1e20", "--to", "1e25"],
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(c) for c in CASES])
def test_tables_fit_80_columns(cli, monkeypatch, args):
    monkeypatch.setenv("COLUMNS", "80")
    result = cli(*args)
    assert result.exit_code in (0, 1), result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in result.stdout


def test_names_stay_whole(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = cli("laws").stdout
    for name in ("chinchilla-3-unrounded", "muennighoff2023", "deepseek2024"):
        assert any(line.split()[:1] == [name] for line in out.splitlines()), name
    compared = cli("compare", "kaplan", "chinchilla", "--points", "2").stdout
    # kaplan2020 at 1e26 FLOPs, read as C = 2·C_min: 1.3e9·(5e25 / 8.64e19)^0.73 = 20.9T parameters
    assert "1.00e26" in compared and "chinchilla-3" in compared and "20.9T" in compared
