"""The user config file, --no-config, --version, and the catalogue commands."""

import json

import pytest

from cli_assertions import assert_one_line_error
from scalingplan.cli import settings


@pytest.fixture
def config(tmp_path, monkeypatch):
    """Write a config file and point scalingplan at it for one test."""
    path = tmp_path / "config.toml"
    monkeypatch.setenv("SCALINGPLAN_CONFIG", str(path))
    monkeypatch.setattr(settings, "_state", {"disabled": False, "loaded": None})

    def write(text):
        path.write_text(text)
        settings._state["loaded"] = None
        return path

    return write


def laws_of(result):
    return [row["law"] for row in json.loads(result.stdout)["allocations"]]


def test_config_sets_default_laws_and_format(cli, config):
    config('laws = ["chinchilla-3", "epoch2024"]\nformat = "json"\n')
    result = cli("allocate", "--flops", "1e21")
    assert result.exit_code == 0, result.output
    assert laws_of(result) == ["chinchilla-3", "epoch2024"]
    # The command line wins over the config.
    assert laws_of(cli("allocate", "--flops", "1e21", "--law", "llama3", "--json")) == ["llama3"]
    assert "Law" in cli("allocate", "--flops", "1e21", "--format", "table").stdout


def test_config_sets_default_gpu_and_mfu(cli, config):
    config('gpu = "a100"\nmfu = 0.5\n')
    result = cli("allocate", "--count", "64", "--days", "10", "--json")
    assert result.exit_code == 0, result.output
    # 64 chips × 10 days × 86,400 s × 312e12 FLOP/s × 0.5.
    assert json.loads(result.stdout)["budget"]["flops"] == pytest.approx(64 * 10 * 86400 * 312e12 * 0.5)


def test_no_config_ignores_the_file(cli, config):
    config('laws = ["llama3"]\n')
    assert laws_of(cli("allocate", "--flops", "1e21", "--json")) == ["llama3"]
    assert laws_of(cli("--no-config", "allocate", "--flops", "1e21", "--json")) != ["llama3"]


@pytest.mark.parametrize("text, fragment", [
    ("laws = 3\n", "laws: expected a list of law names"),
    ("colour = 'red'\n", "colour: unknown setting"),
    ("laws = [\n", "config file is not valid TOML"),
])
def test_a_bad_config_is_one_line(cli, config, text, fragment):
    path = config(text)
    assert_one_line_error(cli("allocate", "--flops", "1e21"), str(path), fragment)


def test_version(cli):
    from scalingplan import __version__

    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"scalingplan {__version__}"


def test_hardware_and_models_list_the_catalogues(cli):
    hardware = json.loads(cli("hardware", "--json").stdout)
    h100 = next(a for a in hardware["accelerators"] if a["name"] == "H100 SXM5")
    assert h100["peak_flops"] == pytest.approx(989.4e12)
    models = {m["name"]: m for m in json.loads(cli("models", "--json").stdout)["models"]}
    # Chinchilla: 70B parameters on 1.4T tokens (Hoffmann et al. 2022, Table 1).
    assert models["chinchilla"]["flops"] == pytest.approx(6 * 70e9 * 1.4e12)


def test_options_mean_the_same_everywhere(cli):
    assert_one_line_error(cli("allocate", "--flops", "1e21", "--json", "--format", "csv"), "disagree")
    assert_one_line_error(cli("compare", "--flops", "1e21", "--from", "1e20"), "--from (a sweep) would be ignored")
    for command in (["flops", "--help"], ["plot", "frontier", "--help"]):
        assert "-m, --model" in cli(*command).stdout
    assert "-m" not in cli("fit", "--help").stdout.split("--method")[0].splitlines()[-1]
