"""A recipe that launches: whole micro-batches on every data-parallel rank, a fixed size on a cluster
for a deadline, and launch arguments whose every name the framework itself defines."""

import json
import re
from pathlib import Path

import pytest

from scalingplan.planning.launch import whole_micro_batches

FRAMEWORKS = Path(__file__).parent / "data" / "frameworks"


def names(file):
    return {line.strip() for line in (FRAMEWORKS / file).read_text().splitlines()
            if line.strip() and not line.startswith("#")}


@pytest.mark.parametrize("batch, dp, micro, expected, steps", [
    (3424, 512, 1, 3584, 7),    # 6.69 passes of 512 -> 7
    (3300, 512, 1, 3072, 6),
    (100, 512, 1, 512, 1),      # at least one micro-batch per rank
    (4328, 64, 2, 4352, 34),
])
def test_batch_rounds_to_whole_micro_batches(batch, dp, micro, expected, steps):
    got = whole_micro_batches(batch, dp, micro)
    assert got["batch_sequences"] == expected and got["accumulation_steps"] == steps
    assert got["batch_rounded_from"] == batch


@pytest.mark.parametrize("args", [
    ("--flops", "1e24", "--gpu", "h100", "--count", "512"),
    ("--gpu", "h100", "--count", "512", "--days", "21"),
    ("--params", "7e9", "--gpu", "a100", "--count", "96"),
    ("--flops", "3e23", "--gpu", "h100", "--count", "1000", "--micro-batch", "2"),
])
def test_every_cluster_row_divides_over_its_ranks(cli, args):
    out = json.loads(cli("allocate", *args, "--json").stdout)
    for row in out["allocations"]:
        layout = row["memory"]["layout"]
        if layout is None:
            continue
        per_pass = layout["dp"] * layout["micro_batch"]
        assert row["batch_sequences"] % per_pass == 0
        assert row["batch_sequences"] == per_pass * row["accumulation_steps"]
        assert row["batch_tokens"] == row["batch_sequences"] * out["recipe"]["seq_len"]
        assert row["steps"] * row["batch_tokens"] >= row["tokens"] > (row["steps"] - 1) * row["batch_tokens"]


def test_fixed_size_with_a_deadline_buys_count_peak_mfu_time_over_6n(cli):
    # H100 SXM dense BF16 peak 989.4 TFLOP/s (NVIDIA H100 datasheet); MFU 0.3 is the default.
    out = json.loads(cli("allocate", "--params", "70e9", "--gpu", "h100", "--count", "512", "--days", "10",
                         "--json").stdout)
    expected = 512 * 989.4e12 * 0.3 * 10 * 86400 / (6 * 70e9)
    for row in out["allocations"]:
        assert row["params"] == 70e9 and row["tokens"] == pytest.approx(expected, rel=1e-9)
        assert row["days"] == pytest.approx(10, rel=1e-9)
    assert out["recommended"]["tokens"] == pytest.approx(expected, rel=1e-9)
    assert out["recommended"]["loss"] is not None


def test_megatron_flags_are_megatron_arguments(cli):
    text = cli("allocate", "--params", "70e9", "--gpu", "h100", "--count", "512", "--days", "10",
               "--emit", "megatron").stdout
    flags = re.findall(r"(--[a-z0-9-]+)", text)
    assert {"--num-layers", "--hidden-size", "--global-batch-size", "--micro-batch-size", "--lr", "--train-iters",
            "--tensor-model-parallel-size", "--pipeline-model-parallel-size"} <= set(flags)
    assert set(flags) <= names("megatron_arguments.txt"), set(flags) - names("megatron_arguments.txt")
    value = dict(re.findall(r"(--[a-z-]+) (\S+)", text))
    assert int(value["--global-batch-size"]) % (int(value["--micro-batch-size"])) == 0


def test_torchtitan_keys_are_torchtitan_config(cli):
    tomllib = pytest.importorskip("tomllib")
    text = cli("allocate", "--flops", "5.8e23", "--gpu", "h100", "--count", "1024", "--emit", "torchtitan").stdout
    doc = tomllib.loads(text)
    keys = {f"{section}.{key}" for section, table in doc.items() for key in table}
    keys |= {m for m in re.findall(r"^# (model_args\.\w+) =", text, re.M)}
    assert {"training.global_batch_size", "training.local_batch_size", "optimizer.lr", "training.steps",
            "parallelism.tensor_parallel_degree", "model_args.n_layers", "model_args.dim"} <= keys
    assert keys <= names("torchtitan_job_config.txt"), keys - names("torchtitan_job_config.txt")
    training, parallel = doc["training"], doc["parallelism"]
    assert training["global_batch_size"] % (training["local_batch_size"] * parallel["data_parallel_shard_degree"]) == 0


def test_emit_refuses_an_unknown_framework(main_cli):
    from cli_assertions import assert_one_line_error

    assert_one_line_error(main_cli("allocate", "--flops", "1e23", "--emit", "deepspeed"), "--emit")
