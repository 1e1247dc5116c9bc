"""The step-time model against published measurements (tests/data/throughput_published.yaml, each case
citing its table), the published ranking of ZeRO-3 against tensor + pipeline parallelism, and its
invariants."""

import statistics
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from scalingplan.compute import throughput as T
from scalingplan.compute.counting import make_architecture
from scalingplan.compute.hardware import wires_for

DATA = yaml.safe_load((Path(__file__).parent / "data" / "throughput_published.yaml").read_text())


def architecture(case: dict):
    shape = dict(DATA["shapes"][case["shape"]])
    if "seq_len" in case:
        shape["seq_len"] = case["seq_len"]
    return make_architecture(**shape)


def layout(case: dict) -> T.Layout:
    return T.Layout(tp=case.get("tp", 1), pp=case.get("pp", 1), dp=case.get("dp", 1), ep=case.get("ep", 1),
                    zero=case.get("zero", 0),
                    recompute=case["recompute"], sequence_parallel=case.get("sequence_parallel", True),
                    interleave=case.get("interleave", 1), micro_batch=case["micro_batch"])


def measured_step(case: dict, arch, lay: T.Layout) -> float:
    """The published measurement as seconds per step (hand-derived from the figure the source prints)."""
    tokens = case["global_batch"] * arch.seq_len
    if "step_seconds" in case:
        return case["step_seconds"]
    if "hardware_tflops" in case:  # Narayanan et al. 2021 eq. 3
        s, h, l, v = arch.seq_len, arch.d_model, arch.layers, arch.vocab
        flops = 96.0 * case["global_batch"] * s * l * h * h * (1 + s / (6 * h) + v / (16 * l * h))
        return flops / (lay.gpus * case["hardware_tflops"] * 1e12)
    if "model_tflops" in case:
        return T.model_flops_per_token(arch) * tokens / (lay.gpus * case["model_tflops"] * 1e12)
    return tokens / (lay.gpus * case["tokens_per_gpu_second"])


def predicted_error(case: dict) -> float:
    arch, lay = architecture(case), layout(case)
    result = T.step_time(arch, wires_for(case["gpu"], case.get("precision")), lay, case["global_batch"], case["attention"],
                         case.get("grad_bytes", 2), case.get("overlap_grad_reduce", True))
    return result["step_seconds"] / measured_step(case, arch, lay) - 1.0


PINNED = [c for c in DATA["cases"] if "outside_15" not in c]


@pytest.mark.parametrize("case", PINNED, ids=[c["name"] for c in PINNED])
def test_published_step_time_within_15_percent(case):
    assert abs(predicted_error(case)) < 0.15


def test_validation_covers_sources_and_generations_with_mean_error_under_10_percent():
    """The mean is over every published case, the ones the model misses by 15% or more included."""
    cases = DATA["cases"]
    assert len(PINNED) >= 12
    assert len({c["source"] for c in PINNED}) >= 3 and len({c["gpu"] for c in PINNED}) >= 2
    assert statistics.mean(abs(predicted_error(c)) for c in cases) < 0.10


def test_every_published_case_is_in_the_validation_table():
    """docs/throughput.md lists every case, pinned or not; each miss is named with its reason."""
    doc = (Path(__file__).parents[1] / "docs" / "throughput.md").read_text()
    for case in DATA["cases"]:
        assert f"| {case['name']} |" in doc, case["name"]
        if "outside_15" in case:
            assert f"| {case['name']} |" in doc.split("### Outside 15%")[1], case["name"]


def test_korthikanti_table5_mfu_of_the_1t_model():
    """Table 5: the 1T model at 56.3% MFU with sequence parallelism and selective recomputation."""
    case = next(c for c in DATA["cases"] if c["name"].startswith("1T") and c["recompute"] == "selective")
    result = T.step_time(architecture(case), wires_for("a100"), layout(case), case["global_batch"], "eager", 4, False)
    assert result["mfu"] == pytest.approx(0.563, rel=0.15)


@pytest.mark.parametrize("row", DATA["zero3_ranking"], ids=lambda r: f"{r['gpus']} GPUs")
def test_zero3_against_tensor_and_pipeline_ranked_as_published(row):
    """Narayanan et al. 2021 Table 2: PTD-P ahead of ZeRO-3 by 6% on 384 A100s and 3.2× on 1,536."""
    arch = make_architecture(**DATA["shapes"]["gpt-175b"])
    wires = wires_for("a100")
    n = row["gpus"]
    zero3 = T.step_time(arch, wires, T.Layout(dp=n, zero=3, recompute="full", sequence_parallel=False,
                                              micro_batch=row["zero3_micro_batch"]), 1536, "eager")
    ptdp = T.step_time(arch, wires, T.Layout(tp=8, pp=12, dp=n // 96, recompute="full", sequence_parallel=False),
                       1536, "eager", 4, False)
    assert ptdp["step_seconds"] < zero3["step_seconds"]
    published = row["ptdp_tflops"] / row["zero3_tflops"]
    assert zero3["step_seconds"] / ptdp["step_seconds"] == pytest.approx(published, rel=0.3)


def test_zero3_prepares_each_micro_batch_gradient_in_hbm():
    """ZeRO-3 against ZeRO-2 on one GPU (no communication): per micro-batch the 16-bit gradient of
    every weight is cast to fp32 (read 2, write 4 bytes) and divided (read 4, write 4): 14 bytes.
    GPT weights by hand: 12·L·h² in the layers + V·h for the output layer."""
    arch = make_architecture(layers=4, d_model=1024, heads=16, vocab=32000, seq_len=1024)
    wires = wires_for("h100")
    weights = 12 * 4 * 1024 ** 2 + 32000 * 1024
    steps = {z: T.step_time(arch, wires, T.Layout(zero=z, micro_batch=2), 6, "flash", 4) for z in (2, 3)}
    extra = steps[3]["breakdown"]["memory_bound"] - steps[2]["breakdown"]["memory_bound"]
    assert extra == pytest.approx(3 * weights * 14 / (wires.hbm_bandwidth * 0.8), rel=1e-9)


def test_flops_counts_match_the_megatron_formula():
    """Model FLOPs per token (PaLM App. B) equal Narayanan et al. eq. 3 without recomputation (÷ 4/3 on
    the layers): 72 l h² (1 + s/6h) + 6 V h for a GPT with 4h MLPs."""
    arch = make_architecture(**DATA["shapes"]["gpt-175b"])
    s, h, l, v = arch.seq_len, arch.d_model, arch.layers, arch.vocab
    assert T.model_flops_per_token(arch) == pytest.approx(72 * l * h * h * (1 + s / (6 * h)) + 6 * v * h, rel=1e-9)


# --- invariants ------------------------------------------------------------------------------------------
ARCH = make_architecture(layers=32, d_model=4096, heads=32, kv_heads=8, ffw_size=14336, mlp="swiglu", vocab=128256,
                         seq_len=8192)
LAYOUTS = st.builds(T.Layout, tp=st.sampled_from([1, 2, 4, 8]), pp=st.sampled_from([1, 2, 4]),
                    dp=st.sampled_from([1, 2, 8, 32]), cp=st.sampled_from([1, 2]), zero=st.sampled_from([0, 1, 2, 3]),
                    recompute=st.sampled_from(T.RECOMPUTE), interleave=st.sampled_from([1, 2]),
                    micro_batch=st.sampled_from([1, 2]))


@settings(max_examples=60, deadline=None)
@given(LAYOUTS, st.sampled_from(["hbm_bandwidth", "link_bandwidth", "network_bandwidth", "peak_flops"]),
       st.floats(1.0, 8.0), st.sampled_from(["a100", "h100", "b200"]))
def test_more_bandwidth_never_slows_a_step(lay, field, factor, gpu):
    from dataclasses import replace

    wires = wires_for(gpu)
    base = T.step_time(ARCH, wires, lay, 512)["step_seconds"]
    faster = T.step_time(ARCH, replace(wires, **{field: getattr(wires, field) * factor}), lay, 512)["step_seconds"]
    assert faster <= base * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(LAYOUTS, st.integers(1, 64))
def test_more_micro_batches_never_grow_the_bubble_share(lay, more):
    small = lay.dp * lay.micro_batch * 4
    big = small + lay.dp * lay.micro_batch * more
    one, two = (T.step_time(ARCH, wires_for("h100"), lay, b) for b in (small, big))
    assert two["breakdown"]["bubble"] / two["step_seconds"] <= one["breakdown"]["bubble"] / one["step_seconds"] + 1e-12


@settings(max_examples=3, deadline=None)
@given(st.sampled_from([32, 64]), st.sampled_from([256, 1024]), st.floats(1.0, 3.0))
def test_search_best_first_and_more_memory_never_slower(count, batch, factor):
    from dataclasses import replace

    wires = wires_for("h100")
    found = T.search(ARCH, wires, count, batch)
    assert found and all(found[0]["step_seconds"] <= r["step_seconds"] for r in found)
    assert all(r["memory"]["fits"] and r["layout"]["tp"] * r["layout"]["pp"] * r["layout"]["dp"]
               * r["layout"]["cp"] == count for r in found)
    roomier = T.search(ARCH, replace(wires, memory_bytes=wires.memory_bytes * factor), count, batch, limit=1)
    assert roomier[0]["step_seconds"] <= found[0]["step_seconds"] * (1 + 1e-12)


def test_layouts_that_cannot_run_are_refused():
    from scalingplan.errors import InputError

    wires = wires_for("h100")
    for bad in (T.Layout(tp=3, dp=1), T.Layout(tp=16), T.Layout(pp=64), T.Layout(dp=1024, micro_batch=1)):
        with pytest.raises(InputError):
            T.check_layout(ARCH, wires, bad, 512)


def test_flash_attention_keeps_far_less_than_eager():
    """A 70B model without recomputation: the s² scores dominate eager attention's activations."""
    arch = make_architecture(layers=80, d_model=8192, heads=64, kv_heads=8, ffw_size=28672, mlp="swiglu",
                             vocab=32000, seq_len=4096)
    lay = T.Layout(tp=8, pp=8, dp=1, recompute="none")
    flash = T.memory_per_gpu(arch, lay, 64, "flash")["activations"]
    eager = T.memory_per_gpu(arch, lay, 64, "eager")["activations"]
    per_token_eager_extra = 5.0 * arch.heads * arch.seq_len / 8  # Korthikanti's 5as/h term, per token, ÷ tp
    tokens = arch.seq_len * 10 * 8  # 10 layers per stage × 8 micro-batches in flight
    assert eager - flash == pytest.approx(per_token_eager_extra * tokens, rel=1e-9)


@pytest.mark.parametrize("tp", [1, 2, 8])
@pytest.mark.parametrize("recompute", T.RECOMPUTE)
@pytest.mark.parametrize("sp", [False, True])
def test_gpt_activations_are_korthikanti_table_2(tp, recompute, sp):
    """For a GPT block (4h GELU MLP, multi-head attention) under eager attention the generalised tally
    is Korthikanti et al. 2022 Table 2 (the paper's per-layer formulas in compute/memory.py)."""
    from scalingplan.compute import memory as mem

    arch = make_architecture(**DATA["shapes"]["gpt-175b"])
    lay = T.Layout(tp=tp, recompute=recompute, sequence_parallel=sp, micro_batch=2)
    expected = mem.layer_activations(2048, 2, 12288, 96, tp, recompute, sp and tp > 1)
    assert T.layer_activation_bytes(arch, lay, "eager") == pytest.approx(expected, rel=1e-12)


# --- the command -------------------------------------------------------------------------------------------
GPT7B = ["--layers", "32", "--d-model", "4096", "--heads", "32", "--vocab", "32000", "--seq-len", "4096"]


def test_throughput_json_answers_a_given_layout(cli):
    import json

    result = cli("throughput", "--gpu", "h100", "--count", "64", *GPT7B, "--tp", "2", "--pp", "2", "--dp", "16",
                 "--cp", "1", "--ep", "1", "--zero", "1", "--recompute", "selective", "--interleave", "2",
                 "--micro-batch", "2", "--global-batch", "256", "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["searched"] == [] and payload["layout"] == {
        "tp": 2, "pp": 2, "dp": 16, "cp": 1, "ep": 1, "zero": 1, "recompute": "selective", "micro_batch": 2,
        "interleave": 2, "sequence_parallel": True}
    assert payload["step_seconds"] == pytest.approx(sum(payload["breakdown"].values()))
    assert payload["tokens_per_second"] == pytest.approx(256 * 4096 / payload["step_seconds"])
    assert payload["model_tflops_per_gpu"] == pytest.approx(payload["mfu"] * 989.4)
    assert payload["micro_batches"] == 256 // (16 * 2)


def test_throughput_searches_what_is_left_out_and_wires_can_be_overridden(cli):
    import json

    base = json.loads(cli("throughput", "--gpu", "h100", "--count", "256", *GPT7B, "--json").stdout)
    assert set(base["searched"]) >= {"tp", "pp", "dp", "zero", "recompute"} and base["memory"]["fits"]
    assert all(base["step_seconds"] <= row["step_seconds"] for row in base["layouts"])
    slow = json.loads(cli("throughput", "--gpu", "h100", "--count", "256", *GPT7B, "--network-gbps", "1",
                          "--link-gbps", "10", "--json").stdout)
    assert slow["step_seconds"] > base["step_seconds"] and slow["gpu"]["network_bandwidth"] == 1e9


@pytest.mark.parametrize("args, fragment", [
    (["--tp", "3"], "--tp"), (["--tp", "16"], "--tp"), (["--precision", "fp8", "--gpu", "a100"], "FP8"),
    (["--recompute", "half"], "--recompute"), (["--zero", "4"], "--zero"), (["--attention", "sparse"], "--attention"),
    (["--tp", "8", "--pp", "4", "--dp", "4", "--cp", "1"], "--count is 64"),
    (["--global-batch", "1.5"], "--global-batch"),
])
def test_throughput_bad_input_is_one_line(cli, args, fragment):
    from cli_assertions import assert_one_line_error

    gpu = [] if "--gpu" in args else ["--gpu", "h100"]
    assert_one_line_error(cli("throughput", *gpu, "--count", "64", *GPT7B, *args), fragment)


# --- config.json in ------------------------------------------------------------------------------------------
CONFIGS = Path(__file__).parent / "data" / "configs"
FIXED = ["--gpu", "h100", "--count", "512", "--tp", "1", "--pp", "1", "--dp", "512", "--cp", "1", "--ep", "1",
         "--zero", "3", "--recompute", "full", "--interleave", "1", "--micro-batch", "1", "--json"]


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.json")), ids=lambda p: p.stem)
def test_throughput_predicts_every_shipped_config(cli, path):
    """Each shipped config.json (at 4,096 tokens) is predicted as the model hf_config reads from it:
    the model FLOPs behind the reported teraFLOP/s are that architecture's, per token."""
    import json

    from scalingplan.compute.hf_config import load_architecture

    result = cli("throughput", "--config", str(path), "--seq-len", "4096", *FIXED)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    arch = load_architecture(path, 4096)[0]
    flops_per_token = payload["model_tflops_per_gpu"] * 1e12 * 512 / payload["tokens_per_second"]
    assert flops_per_token == pytest.approx(T.model_flops_per_token(arch), rel=1e-9)
    assert payload["step_seconds"] == pytest.approx(sum(payload["breakdown"].values()))


def test_llama_3_8b_config_model_flops_by_hand(cli):
    """Llama 3 8B (config.json: 32 layers, d 4096, 32 heads of 128, vocabulary 128,256 untied, 8,192
    positions; 8,030,261,248 weights on the Hub): the weights a token multiplies are the total less the
    input embedding (128,256 × 4,096) and the 65 norm vectors of 4,096; PaLM App. B adds
    6 · 32 · 8,192 · 32 · (128 + 128) for attention."""
    import json

    payload = json.loads(cli("throughput", "--config", str(CONFIGS / "llama-3-8b.json"), *FIXED).stdout)
    weights = 8_030_261_248 - 128_256 * 4_096 - 65 * 4_096
    expected = 6 * weights + 6 * 32 * 8_192 * 32 * 256
    assert payload["model_tflops_per_gpu"] * 1e12 * 512 / payload["tokens_per_second"] == pytest.approx(expected, rel=1e-9)
