"""One answer first: the recommended plan, the spread across laws, the short headline."""

import json

import pytest

from scalingplan.planning.recommend import DEFAULT_LAW, recommend
from scalingplan.output.schemas import schema

ROWS = [{"law": "a", "params": 1e9, "tokens": 4e10, "loss": 2.5},
        {"law": DEFAULT_LAW, "params": 3e9, "tokens": 2e10, "loss": 2.4},
        {"law": "c", "params": 2e9, "tokens": 6e10, "loss": None}]


def test_default_law_leads_and_the_spread_covers_every_row():
    recommended, spread = recommend(ROWS)
    assert recommended["law"] == DEFAULT_LAW and (recommended["params"], recommended["tokens"]) == (3e9, 2e10)
    assert recommended["loss"] == 2.4 and recommended["reason"]
    assert spread == {"params": {"min": 1e9, "max": 3e9}, "tokens": {"min": 2e10, "max": 6e10}}


def test_configured_law_wins_and_a_missing_default_falls_back():
    assert recommend(ROWS, "c")[0]["law"] == "c" and "configured" in recommend(ROWS, "c")[0]["reason"]
    assert recommend(ROWS[:1])[0]["reason"] == "the only law asked for"
    assert recommend([ROWS[0], ROWS[2]])[0]["law"] == "a"
    assert recommend([]) == (None, None)


def test_headline_fits_30_lines_at_80_columns(main_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = main_cli("allocate", "--flops", "5.8e23")
    assert result.exit_code == 0, result.output
    lines = result.stdout.rstrip("\n").splitlines()
    assert len(lines) <= 30 and max(len(line.rstrip()) for line in lines) <= 80
    assert lines[0].startswith(f"Recommended ({DEFAULT_LAW}):") and "Across the laws:" in lines[1]


def test_json_contract(cli):
    jsonschema = pytest.importorskip("jsonschema")
    out = json.loads(cli("allocate", "--flops", "5.8e23", "--json").stdout)
    jsonschema.validate(out, schema("allocate"), cls=jsonschema.Draft202012Validator)
    rows = out["allocations"]
    assert out["recommended"]["law"] == DEFAULT_LAW
    assert set(out["recommended"]) == {"law", "params", "tokens", "loss", "reason"}
    assert out["spread"]["params"] == {"min": min(r["params"] for r in rows), "max": max(r["params"] for r in rows)}
    assert out["spread"]["tokens"] == {"min": min(r["tokens"] for r in rows), "max": max(r["tokens"] for r in rows)}


def test_constant_columns_join_the_title_and_notes_wait_for_explain(cli):
    short = cli("allocate", "--flops", "5.8e23").stdout
    assert "PF-days  " not in short and "--explain for notes" in short and "Loss: predicted" not in short
    assert "Loss: predicted final loss" in cli("allocate", "--flops", "5.8e23", "--explain").stdout


def test_cluster_headline_has_days_and_layout(cli):
    out = cli("allocate", "--flops", "5.8e23", "--gpu", "h100", "--count", "1024").stdout
    first = " ".join(out.splitlines()[:2])
    assert "days" in first and "layout dp·tp·pp" in first


def test_the_users_first_configured_law_is_recommended(cli, tmp_path, monkeypatch):
    from scalingplan.cli import settings

    path = tmp_path / "config.toml"
    path.write_text('laws = ["chinchilla-3", "epoch2024"]\n')
    monkeypatch.setenv("SCALINGPLAN_CONFIG", str(path))
    monkeypatch.setattr(settings, "_state", {"disabled": False, "loaded": None})
    out = json.loads(cli("allocate", "--flops", "5.8e23", "--json").stdout)
    assert out["recommended"]["law"] == "chinchilla-3" and "configured" in out["recommended"]["reason"]
    assert [row["law"] for row in out["allocations"]] == ["chinchilla-3", "epoch2024"]
