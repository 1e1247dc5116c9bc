"""Shape search (scalingplan.compute.shapes, `scalingplan shape`, `allocate --shapes`)."""

import json
import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli_assertions import assert_one_line_error
from scalingplan.compute.counting import make_architecture
from scalingplan.compute.shapes import ASPECT_RANGE, WIDTH_MULTIPLE, counted, ffw_for, propose
from scalingplan.output.schemas import SCHEMA_VERSION, schema


@pytest.mark.parametrize("d_model, ffw", [(4096, 11008), (5120, 13824), (6656, 17920), (8192, 22016)])
def test_gated_ffw_follows_llama(d_model, ffw):
    # Touvron et al. 2023 (LLaMA) §2.2: SwiGLU width 2/3 · 4d, rounded up to a multiple of 256 in their
    # code; the 7B/13B/33B/65B checkpoints have these widths.
    assert ffw_for(d_model, "swiglu") == ffw
    assert ffw_for(d_model, "gelu") == 4 * d_model


def test_llama_2_7b_is_the_first_proposal_for_its_size():
    # Llama 2 7B: 32 layers, d_model 4096, 32 heads, SwiGLU 11008, untied, vocab 32000; 6,738,415,616
    # weights (the released checkpoint's 6,738,417,664 adds 32 x 64 rotary inv_freq buffers).
    best = propose(6.738e9, mlp="swiglu", embeddings="untied", vocab=32000)[0]
    assert (best["layers"], best["d_model"], best["heads"], best["ffw_size"]) == (32, 4096, 32, 11008)
    assert best["params"] == 6_738_415_616


def brute_force(target, tolerance=0.02, **kw):
    """Every (layers, width) in the aspect range, multiple of 128, whose total is within tolerance; from
    1B parameters up only widths of a multiple of 8 heads."""
    low, high = ASPECT_RANGE
    found = set()
    for layers in range(1, 1000):
        widths = [d for d in range(WIDTH_MULTIPLE, int(high * layers) + 1, WIDTH_MULTIPLE) if d >= low * layers]
        for d in widths:
            heads, kv = d // 128, kw.get("kv_heads")
            if (kv and heads % kv) or (target * (1 + tolerance) >= 1e9 and heads % 8):
                continue
            arch = make_architecture(layers, d, heads=heads, kv_heads=kv, ffw_size=ffw_for(d, "swiglu"), vocab=32000,
                                     seq_len=4096, mlp="swiglu", embeddings="untied", norm="rmsnorm")
            if arch.params_total > target * (1 + tolerance):
                break  # counts grow with width
            if abs(arch.params_total / target - 1) <= tolerance:
                found.add((layers, d))
        else:
            continue
        if d == widths[0]:
            break  # even the narrowest width of this depth is too big, and deeper ones are bigger still
    return found


@pytest.mark.parametrize("target, kw", [(3e8, {}), (1.3e9, {}), (7e9, {"kv_heads": 8})])
def test_search_finds_every_shape_brute_force_does(target, kw):
    searched = {(c["layers"], c["d_model"]) for c in propose(target, top=10_000, **kw)}
    assert searched == brute_force(target, **kw)


@settings(max_examples=15)
@given(st.floats(1e8, 3e10), st.sampled_from([None, 1, 2, 4, 8]), st.sampled_from(["gelu", "swiglu"]),
       st.sampled_from([64, 128]))
def test_every_candidate_keeps_the_conventions(target, kv_heads, mlp, head_dim):
    for c in propose(target, kv_heads=kv_heads, mlp=mlp, head_dim=head_dim, top=20):
        assert abs(c["params"] / target - 1) <= 0.02
        assert ASPECT_RANGE[0] <= c["d_model"] / c["layers"] <= ASPECT_RANGE[1]
        assert c["d_model"] % 128 == 0 and c["heads"] * c["head_dim"] == c["d_model"] == c["heads"] * head_dim
        assert c["heads"] % c["kv_heads"] == 0 and (kv_heads is None or c["kv_heads"] == kv_heads)
        assert c["total_params"] < 1e9 or c["heads"] % 8 == 0
        assert c["pipeline_splits"] == [pp for pp in (1, 2, 4, 8, 16, 32, 64) if c["layers"] % pp == 0
                                        and pp <= c["layers"]]
        assert c["ffw_size"] == ffw_for(c["d_model"], mlp)
        arch = make_architecture(c["layers"], c["d_model"], heads=c["heads"], kv_heads=c["kv_heads"],
                                 ffw_size=c["ffw_size"], vocab=32000, seq_len=4096, mlp=mlp, embeddings="untied",
                                 norm="rmsnorm")
        assert c["params"] == arch.params_total


def test_ranked_by_aspect_ratio_then_error():
    found = propose(7e9, top=50)
    keys = [(round(abs(math.log(c["aspect_ratio"] / 128)) / 0.1), abs(c["error"])) for c in found]
    assert keys == sorted(keys)


def test_mixture_of_experts_targets_active_or_total():
    total = propose(47e9, experts=8, active_experts=2, kv_heads=8, count="total")[0]
    active = propose(13e9, experts=8, active_experts=2, kv_heads=8, count="active")[0]
    assert total["active_params"] < total["total_params"] == total["params"]
    assert active["params"] == active["active_params"] == pytest.approx(13e9, rel=0.02)


def test_non_embedding_target():
    c = propose(2e9, count="non-embedding")[0]
    arch = make_architecture(c["layers"], c["d_model"], heads=c["heads"], ffw_size=c["ffw_size"], vocab=32000,
                             seq_len=4096, mlp="swiglu", embeddings="untied", norm="rmsnorm")
    assert counted(arch, "non-embedding") == c["params"] == pytest.approx(2e9, rel=0.02)


def test_shape_cli_json(cli):
    result = cli("shape", "--params", "7e9", "--mlp", "swiglu", "--kv-heads", "8", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["schema_version"] == SCHEMA_VERSION and out["target"] == 7e9
    assert out["conventions"]["kv_heads"] == 8 and out["conventions"]["mlp"] == "swiglu"
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(out, schema("shape"), cls=jsonschema.Draft202012Validator)
    first = out["candidates"][0]
    assert {"layers", "d_model", "heads", "kv_heads", "ffw_size", "params"} <= set(first)
    assert first["kv_heads"] == 8 and abs(first["params"] / 7e9 - 1) <= 0.02


@pytest.mark.parametrize("args, message", [
    (["--params", "7e9", "--count", "most"], "--count"),
    (["--params", "7e9", "--mlp", "relu"], "--mlp"),
    (["--params", "7e9", "--kv-heads", "0"], "--kv-heads"),
    (["--params", "7e9", "--head-dim", "32"], "--head-dim"),
    (["--params", "-1"], "--params"),
    (["--params", "7e9", "--experts", "8"], "--active-experts"),
])
def test_shape_cli_errors(cli, args, message):
    assert_one_line_error(cli("shape", *args), message)


def test_allocate_with_shapes(cli):
    result = cli("allocate", "--flops", "5.76e23", "--shapes", "--json")
    assert result.exit_code == 0, result.output
    for row in json.loads(result.stdout)["allocations"]:
        shape = row["proposed_shape"]
        assert shape["count"] == ("total" if row["params_kind"] == "total" else "non-embedding")
        assert shape["params"] == pytest.approx(row["params"], rel=0.02)
    assert "Proposed shapes" in cli("allocate", "--flops", "5.76e23", "--shapes").stdout


@pytest.mark.parametrize("args", [
    ["shape", "--params", "7e9", "--json"],
    ["flops", "--tokens", "15e12", "--layers", "80", "--d-model", "8192", "--heads", "64", "--kv-heads", "8",
     "--ffw-size", "28672", "--mlp", "swiglu", "--embeddings", "untied", "--vocab", "128256", "--seq-len", "8192",
     "--json"],
])
def test_json_start_up_stays_light(args):
    code = ("import sys\nfrom scalingplan.cli.app import main\nsys.argv = ['scalingplan', *sys.argv[1:]]\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'rich', 'yaml', 'scipy'}), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "[]"


@pytest.mark.parametrize("command, args", [
    ("flops", ["--model", "deepseek-v3", "--causal"]), ("flops", ["--model", "mixtral-8x7b", "--tokens", "1e12"]),
    ("allocate", ["--flops", "1e23", "--shapes"]), ("models", []), ("assess", ["mixtral-8x7b", "llama-3-70b"]),
])
def test_modern_answers_match_their_schemas(cli, command, args):
    jsonschema = pytest.importorskip("jsonschema")
    result = cli(command, *args, "--json")
    if command == "assess":  # Mixtral's tokens were never published: one line, exit 2
        assert result.exit_code == 2 and "training tokens unknown" in result.stderr
        result = cli(command, "llama-3-70b", "deepseek-v3", "--json")
    assert result.exit_code == 0, result.output
    jsonschema.validate(json.loads(result.stdout), schema(command), cls=jsonschema.Draft202012Validator)


@pytest.mark.parametrize("target", [1e9, 7e9, 7e10, 4e11, 1e12])
def test_every_shape_from_1b_splits_over_8_way_tensor_parallelism(target):
    for c in propose(target, top=50) + propose(target, kv_heads=8, top=50) + propose(target, head_dim=64, top=50):
        assert c["heads"] % 8 == 0 and c["heads"] % c["kv_heads"] == 0 and c["head_dim"] in (64, 128)


def test_sweep_shapes_grow_monotonically():
    from scalingplan.compute.shapes import propose_series

    targets = [1.2e9, 4e8, 2.5e9, 9e8, 6e9, 3e9, 1.5e10]
    shapes = propose_series(targets)
    ordered = [shapes[i] for i in sorted(range(len(targets)), key=targets.__getitem__)]
    for small, big in zip(ordered, ordered[1:]):
        assert big["layers"] >= small["layers"] and big["d_model"] >= small["d_model"]
    for target, shape in zip(targets, shapes):
        assert abs(shape["total_params"] / target - 1) <= 0.25


@pytest.mark.parametrize("args, message", [
    (["shape", "--params", "1e20"], "--params"),
    (["shape", "--params", "1e100"], "--params"),
    (["shape", "--params", "7e9", "--aspect-min", "1e-100"], "--aspect-min"),
    (["shape", "--params", "7e9", "--aspect-max", "1e100"], "--aspect-max"),
    (["shape", "--params", "1e14", "--aspect-min", "4", "--aspect-max", "4096", "--tolerance", "0.9"], "--tolerance"),
    (["allocate", "--flops", "1e100", "--shapes"], "--shapes"),
])
def test_shape_search_bounds_refuse_in_one_line(main_cli, args, message):
    assert_one_line_error(main_cli(*args), message)


def test_largest_target_answers_quickly():
    # The bound is the whole range: the largest accepted target is searched in a few counts per depth.
    found = propose(1e14, top=3)
    assert found and all(abs(c["error"]) <= 0.02 for c in found)


def test_sweep_runs_grow_within_each_budget(cli):
    result = cli("sweep", "--from", "1e19", "--to", "1e21", "--budgets", "3", "--per-budget", "5", "--json")
    runs = json.loads(result.stdout)["runs"]
    for budget in {run["budget"] for run in runs}:
        ordered = sorted((r for r in runs if r["budget"] == budget), key=lambda r: r["target_params"])
        for small, big in zip(ordered, ordered[1:]):
            assert big["layers"] >= small["layers"] and big["d_model"] >= small["d_model"]
        assert all(r["heads"] % 8 == 0 for r in ordered if r["params"] >= 1e9)
