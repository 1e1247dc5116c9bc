"""scalingplan.compute.memory: ZeRO model states, Korthikanti activations, layouts; `scalingplan memory`."""

import json

import pytest
from hypothesis import given, settings, strategies as st

from scalingplan.compute import memory as mem
from scalingplan.errors import InputError
from scalingplan.output.schemas import SCHEMA_VERSION
from cli_assertions import assert_one_line_error

GB = 1e9


# --- ZeRO (Rajbhandari et al. 2019) -------------------------------------------------------------------
def sharded_bytes_oracle(psi: int, dp: int, zero: int, k: int = 12) -> float:
    """Brute force: give each parameter's fp16 weight (2 B), fp16 gradient (2 B) and optimizer state
    (K B) to ranks one by one (replicated, or owned by rank i mod N_d when the stage shards that
    state), and return the largest rank's bytes."""
    ranks = [0.0] * dp
    for i in range(psi):
        for nbytes, sharded in ((2, zero >= 3), (2, zero >= 2), (k, zero >= 1)):
            if sharded:
                ranks[i % dp] += nbytes
            else:
                for r in range(dp):
                    ranks[r] += nbytes
    return max(ranks)


@pytest.mark.parametrize("dp", [1, 2, 4, 8])
@pytest.mark.parametrize("zero", [0, 1, 2, 3])
def test_zero_formulas_match_a_brute_force_sharding(dp, zero):
    psi = 96
    states = mem.model_states(psi, dp, zero)
    assert sum(states.values()) == pytest.approx(sharded_bytes_oracle(psi, dp, zero))


def test_zero_paper_section_5_formulas():
    """ZeRO §5: baseline (2+2+K)Ψ; P_os 4Ψ + KΨ/N_d; P_os+g 2Ψ + (2+K)Ψ/N_d; P_os+g+p (2+2+K)Ψ/N_d."""
    psi, k, nd = 1e9, 12, 16
    expected = [(2 + 2 + k) * psi, 4 * psi + k * psi / nd, 2 * psi + (2 + k) * psi / nd, (2 + 2 + k) * psi / nd]
    for zero, value in enumerate(expected):
        assert sum(mem.model_states(psi, nd, zero, optimizer_bytes=k).values()) == pytest.approx(value)


@pytest.mark.parametrize("zero, printed_gb", [(0, 120.0), (1, 31.4), (2, 16.6), (3, 1.9)])
def test_zero_figure_1_example(zero, printed_gb):
    """ZeRO Fig. 1: Ψ = 7.5B, K = 12, N_d = 64 -> 120, 31.4, 16.6 and 1.9 GB per device (printed to
    one decimal, so within 0.05 GB)."""
    total = sum(mem.model_states(7.5e9, 64, zero).values()) / GB
    assert total == pytest.approx(printed_gb, abs=0.05)


def test_tensor_and_pipeline_parallelism_divide_the_parameters_first():
    assert mem.model_states(8e9, 4, 1, tp=2, pp=4) == mem.model_states(1e9, 4, 1)


# --- activations (Korthikanti et al. 2022) --------------------------------------------------------------
# Korthikanti §4.1: the tensors one transformer layer stores, as (name, bytes in units of sbh or of
# a·s²·b, split by tensor parallelism, recomputed under selective recomputation).
TENSORS = [
    ("layernorm 1 input", 2, "sbh", False, False), ("QKV input", 2, "sbh", False, False),
    ("Q and K", 4, "sbh", True, False), ("softmax output", 2, "as2b", True, True),
    ("softmax dropout mask", 1, "as2b", True, True), ("dropout output", 2, "as2b", True, True),
    ("V", 2, "sbh", True, False), ("output projection input", 2, "sbh", True, False),
    ("attention dropout mask", 1, "sbh", False, False), ("layernorm 2 input", 2, "sbh", False, False),
    ("MLP input", 2, "sbh", False, False), ("GeLU input", 8, "sbh", True, False),
    ("GeLU output", 8, "sbh", True, False), ("MLP dropout mask", 1, "sbh", False, False),
]


def tally_oracle(s, b, h, a, t, recompute, sequence_parallel):
    """Korthikanti's per-tensor tally: tensor-parallel regions split by t; sequence parallelism
    splits the rest by t as well; selective recomputation keeps none of the attention-score tensors."""
    total = 0.0
    for _, units, kind, in_tp_region, selective_drops in TENSORS:
        if recompute == "selective" and selective_drops:
            continue
        size = units * (s * b * h if kind == "sbh" else a * s * s * b)
        total += size / t if (in_tp_region or sequence_parallel) else size
    return total


def test_the_tally_adds_up_to_34_sbh_plus_5_as2b():
    s, b, h, a = 2048, 1, 12288, 96
    assert tally_oracle(s, b, h, a, 1, "none", False) == pytest.approx(s * b * h * (34 + 5 * a * s / h))


@pytest.mark.parametrize("t", [1, 2, 4, 8])
@pytest.mark.parametrize("recompute", ["none", "selective"])
@pytest.mark.parametrize("sp", [False, True])
def test_layer_activations_match_the_tensor_tally(t, recompute, sp):
    s, b, h, a = 2048, 2, 12288, 96
    assert mem.layer_activations(s, b, h, a, t, recompute, sp) == pytest.approx(
        tally_oracle(s, b, h, a, t, recompute, sp))


def test_korthikanti_table_2_rows():
    """Table 2, per layer: sbh(34 + 5as/h); sbh(10 + 24/t + 5as/(ht)); sbh(34/t + 5as/(ht));
    sbh(10 + 24/t); 34sbh/t; full recomputation 2sbh."""
    s, b, h, a, t = 2048, 1, 12288, 96, 8
    sbh = s * b * h
    assert mem.layer_activations(s, b, h, a, 1, "none", False) == pytest.approx(sbh * (34 + 5 * a * s / h))
    assert mem.layer_activations(s, b, h, a, t, "none", False) == pytest.approx(sbh * (10 + 24 / t + 5 * a * s / (h * t)))
    assert mem.layer_activations(s, b, h, a, t, "none", True) == pytest.approx(sbh * (34 / t + 5 * a * s / (h * t)))
    assert mem.layer_activations(s, b, h, a, t, "selective", False) == pytest.approx(sbh * (10 + 24 / t))
    assert mem.layer_activations(s, b, h, a, t, "selective", True) == pytest.approx(34 * sbh / t)
    assert mem.layer_activations(s, b, h, a, t, "full", False) == pytest.approx(2 * sbh)


def test_first_pipeline_stage_holds_l_layers_eq_5():
    """Eq. 5: with p micro-batches in flight the first stage holds (sbhL/t)(34 + 5as/h)."""
    shape = mem.Shape(layers=96, d_model=12288, heads=96, seq_len=2048)
    layout = mem.Layout(dp=1, tp=8, pp=8)
    sbh = 2048 * 12288
    expected = sbh * 96 / 8 * (34 + 5 * 96 * 2048 / 12288)
    assert mem.activations(shape, layout, micro_batches=64) == pytest.approx(expected)
    # Fewer micro-batches than stages: only those are in flight.
    assert mem.activations(shape, layout, micro_batches=2) == pytest.approx(expected * 2 / 8)


def test_default_shape_reproduces_gpt3_and_roughly_the_parameters():
    assert mem.default_shape(175e9, 2048) == mem.Shape(96, 12288, 96, 2048, assumed=True)
    for params in (1e8, 7e9, 70e9, 1e12):
        shape = mem.default_shape(params)
        assert 0.6 < 12 * shape.layers * shape.d_model ** 2 / params < 1.5
        assert shape.heads % 8 == 0


# --- properties --------------------------------------------------------------------------------------------
shapes = st.builds(mem.Shape, layers=st.sampled_from([8, 16, 32, 48, 96]), d_model=st.sampled_from([1024, 4096, 8192]),
                   heads=st.sampled_from([8, 16, 64]), seq_len=st.sampled_from([512, 2048, 8192]))
layouts = st.builds(mem.Layout, dp=st.sampled_from([1, 2, 4, 16]), tp=st.sampled_from([1, 2, 4, 8]),
                    pp=st.sampled_from([1, 2, 4, 8]), zero=st.sampled_from(mem.ZERO_STAGES),
                    recompute=st.sampled_from(mem.RECOMPUTE), micro_batch=st.sampled_from([1, 2, 4]))
params = st.floats(1e8, 1e12)
batches = st.sampled_from([64, 512, 4096])


@settings(max_examples=60)
@given(params, shapes, layouts, batches, st.sampled_from(["dp", "tp", "pp"]))
def test_more_gpus_never_raise_per_gpu_memory(n, shape, layout, batch, axis):
    if axis == "pp" and shape.layers % (2 * layout.pp):
        return  # a stage holds whole layers: ceil(L/p) is the busiest stage's share
    more = mem.Layout(**{**layout.__dict__, axis: 2 * getattr(layout, axis)})
    assert mem.per_gpu(n, shape, more, batch)["total"] <= mem.per_gpu(n, shape, layout, batch)["total"] * (1 + 1e-12)


@settings(max_examples=60)
@given(params, shapes, layouts, batches)
def test_higher_zero_stages_never_raise_memory(n, shape, layout, batch):
    totals = [mem.per_gpu(n, shape, mem.Layout(**{**layout.__dict__, "zero": z}), batch)["total"]
              for z in mem.ZERO_STAGES]
    assert all(later <= earlier for earlier, later in zip(totals, totals[1:]))


@settings(max_examples=60)
@given(st.integers(128, 32768), st.integers(1, 8), st.integers(256, 32768), st.integers(1, 256),
       st.sampled_from([1, 2, 4, 8, 16, 32, 64]), st.booleans())
def test_full_recompute_never_needs_more_than_selective(s, b, h, a, t, sp):
    values = [mem.layer_activations(s, b, h, a, t, how, sp) for how in ("none", "selective", "full")]
    assert values[2] <= values[1] <= values[0]


# --- layouts -----------------------------------------------------------------------------------------------
def test_fewest_gpus_for_70b_on_h100():
    """70B with mixed-precision Adam needs 16Ψ = 1.12 TB of model states: 8 × 80 GB cannot hold it,
    16 can (70 GB of states each), with full recomputation."""
    from scalingplan.compute import throughput
    from scalingplan.compute.hardware import wires_for

    arch, wires = throughput.architecture(mem.default_shape(70e9)), wires_for("h100")
    count, best = throughput.fewest_gpus(arch, wires, 1024, {"recompute": "full"}, params=70e9)
    assert count == 16 and best["memory"]["per_gpu"]["total"] <= 80 * GB
    states = best["memory"]["per_gpu"]
    assert states["weights"] + states["gradients"] + states["optimizer"] == pytest.approx(16 * 70e9 / 16)
    assert not throughput.search(arch, wires, 8, 1024, params=70e9)


def test_bad_layouts_are_input_errors():
    shape = mem.default_shape(7e9)
    for layout, fragment in ((mem.Layout(0), "--dp"), (mem.Layout(1, zero=4), "--zero"),
                             (mem.Layout(1, recompute="some"), "--recompute"), (mem.Layout(1, pp=64), "--pp: 64 stages")):
        with pytest.raises(InputError, match=fragment):
            mem.check_layout(layout, shape)


# --- the command -------------------------------------------------------------------------------------------
def test_memory_json_contract(cli):
    result = cli("memory", "--params", "7.5e9", "--gpu", "h100", "--count", "64", "--zero", "2",
                 "--recompute", "selective", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["schema_version"] == SCHEMA_VERSION
    per_gpu = payload["per_gpu"]
    assert set(per_gpu) == {"weights", "gradients", "optimizer", "activations", "logits", "buffers", "total"}
    assert per_gpu["total"] == pytest.approx(sum(v for k, v in per_gpu.items() if k != "total"))
    assert per_gpu["weights"] + per_gpu["gradients"] + per_gpu["optimizer"] == pytest.approx(16.640625e9)
    assert payload["fits"] is True and payload["layouts"]
    assert payload["model"]["shape"]["assumed"] is True
    assert payload["optimizer"]["optimizer_bytes"] == 12


def test_memory_table_answers_whether_70b_fits_on_8_h100s(cli):
    result = cli("memory", "--params", "70e9", "--gpu", "h100", "--count", "8", "--zero", "3")
    assert result.exit_code == 0, result.output
    assert "does NOT fit" in result.stdout and "fit: 16" in result.stdout


def test_memory_of_a_catalogue_model_uses_its_shape(cli):
    payload = json.loads(cli("memory", "--model", "chinchilla", "--gpu", "a100", "--count", "64",
                             "--tp", "8", "--recompute", "selective", "--json").stdout)
    assert payload["model"]["shape"] == {"layers": 80, "d_model": 8192, "heads": 64, "seq_len": 2048, "assumed": False}
    assert payload["layout"]["dp"] == 8


@pytest.mark.parametrize("args, fragment", [
    (["--params", "7e9", "--gpu", "h100", "--count", "8", "--dp", "3"], "dp × tp × pp"),
    (["--params", "7e9", "--gpu", "h100", "--count", "6", "--tp", "4"], "not a multiple"),
    (["--params", "7e9", "--gpu", "h100", "--zero", "5"], "--zero"),
    (["--params", "7e9", "--gpu", "h100", "--recompute", "half"], "--recompute"),
    (["--gpu", "h100"], "give the model"),
    (["--params", "7e9", "--gpu", "h900"], "--gpu"),
    (["--layers", "32", "--gpu", "h100"], "--d-model"),
])
def test_memory_bad_input_is_one_line(cli, args, fragment):
    assert_one_line_error(cli("memory", *args), fragment)


@pytest.mark.parametrize("tp, fragment", [("3", "does not divide the model's 64 heads"),
                                          ("33", "does not divide the model's 64 heads"),
                                          ("16", "beyond one node"), ("64", "beyond one node")])
def test_memory_refuses_tensor_parallel_sizes_that_cannot_run(cli, tp, fragment):
    result = cli("memory", "--layers", "80", "--d-model", "8192", "--heads", "64", "--gpu", "h100", "--tp", tp)
    assert result.exit_code == 2
    assert_one_line_error(result, fragment)


def test_memory_keeps_eager_attention_scores_and_flash_does_not(cli):
    """A 70B model, recompute none, tp 8: eager attention adds Korthikanti's 5as/h term (here per token
    5·64·4096/8 bytes, for the 10 layers of a stage and its 8 micro-batches in flight)."""
    args = ["--layers", "80", "--d-model", "8192", "--heads", "64", "--kv-heads", "8", "--ffw-size", "28672",
            "--mlp", "swiglu", "--gpu", "h100", "--tp", "8", "--pp", "8", "--count", "64", "--json"]
    flash = json.loads(cli("memory", *args).stdout)["per_gpu"]["activations"]
    eager = json.loads(cli("memory", *args, "--attention", "eager").stdout)["per_gpu"]["activations"]
    assert eager - flash == pytest.approx(5 * 64 * 4096 / 8 * 4096 * 10 * 8)


def test_memory_json_matches_its_schema(cli):
    jsonschema = pytest.importorskip("jsonschema")
    from scalingplan.output.schemas import schema

    for args in (["--params", "70e9", "--count", "8"], ["--model", "chinchilla", "--count", "64", "--tp", "8"]):
        payload = json.loads(cli("memory", "--gpu", "h100", *args, "--json").stdout)
        jsonschema.validate(payload, schema("memory"), cls=jsonschema.Draft202012Validator)
