"""Counting functions in scalingplan.compute.counting, pinned to Kaplan et al. 2020 and Hoffmann et al. 2022."""

import dataclasses
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalingplan.errors import InputError
from scalingplan.compute.counting import (Architecture, attention_context_per_token, chinchilla_forward_terms,
                                          chinchilla_training_flops, hardware_training_flops,
                                          inference_flops_per_token, kaplan_forward_per_token,
                                          kaplan_nonembedding_params, kaplan_training_flops,
                                          make_architecture, six_nd, training_flops)
from scalingplan.constants import PF_DAY, pf_days
from test_models_catalogue import tensors

# Hoffmann et al. 2022, Table A4: params, layers, d_model, ffw, heads, kq size, ratio to 6ND.
TABLE_A4 = [
    (73e6, 10, 640, 2560, 10, 64, 1.03),
    (305e6, 20, 1024, 4096, 16, 64, 1.10),
    (552e6, 24, 1280, 5120, 10, 128, 1.08),
    (1.1e9, 26, 1792, 7168, 14, 128, 1.04),
    (1.6e9, 28, 2048, 8192, 16, 128, 1.03),
    (6.8e9, 40, 3584, 14336, 28, 128, 0.99),
]


def a4_arch(layers, d_model, ffw, heads, kq):
    """A Table A4 model under the convention that reproduces the table: seq_len 2048, vocab 32,000."""
    return Architecture(layers=layers, d_model=d_model, heads=heads, kv_size=kq, ffw_size=ffw,
                        vocab=32_000, seq_len=2048)


def test_pf_day_is_8_64e19_flops():
    # Kaplan et al. 2020 §1.3: one PF-day = 1e15 x 24 x 3600 = 8.64e19 FLOPs.
    assert PF_DAY == pytest.approx(8.64e19, rel=1e-15)
    assert pf_days(8.64e19) == pytest.approx(1.0, rel=1e-15)


def test_gpt3_six_nd():
    # Hoffmann et al. 2022 Table 1 (GPT-3: 175B params, 300B tokens); 6ND = 3.15e23 (reference §6).
    assert six_nd(175e9, 300e9) == pytest.approx(3.15e23, rel=1e-12)


@pytest.mark.parametrize("params, layers, d_model, ffw, heads, kq, ratio", TABLE_A4)
def test_table_a4_ratios(params, layers, d_model, ffw, heads, kq, ratio):
    # Hoffmann et al. 2022 Table A4, tolerance 0.02 (the table prints two decimals).
    # Convention: Appendix F per-layer terms only (no embedding or logit terms), seq_len 2048,
    # vocab 32,000, and N counted as the paper counts its models (with the relative-position
    # projection per layer), i.e. Architecture.params_relative.
    arch = a4_arch(layers, d_model, ffw, heads, kq)
    tokens = 1e9
    ours = chinchilla_training_flops(arch, tokens, include_embeddings=False) / six_nd(arch.params_relative, tokens)
    assert ours == pytest.approx(ratio, abs=0.02)


@pytest.mark.parametrize("params, layers, d_model, ffw, heads, kq, ratio", TABLE_A4)
def test_table_a4_params_column(params, layers, d_model, ffw, heads, kq, ratio):
    # Hoffmann et al. 2022 Table A4 "Params" column, printed to two significant figures (1.1B is
    # 1.14B here), so 4% tolerance.
    arch = a4_arch(layers, d_model, ffw, heads, kq)
    assert arch.params_relative == pytest.approx(params, rel=0.04)


def test_table_a4_needs_that_convention():
    # The other readings of Appendix F miss Table A4 by more than the 0.02 tolerance somewhere:
    # with the embedding and logit terms, or with N = non-embedding + embedding only.
    def worst(include_embeddings, n_of):
        errors = []
        for _, layers, d_model, ffw, heads, kq, ratio in TABLE_A4:
            arch = a4_arch(layers, d_model, ffw, heads, kq)
            got = chinchilla_training_flops(arch, 1.0, include_embeddings) / six_nd(n_of(arch), 1.0)
            errors.append(abs(got - ratio))
        return max(errors)

    assert worst(False, lambda a: a.params_relative) < 0.02
    assert worst(True, lambda a: a.params_relative) > 0.1
    assert worst(False, lambda a: a.params_total) > 0.05
    assert worst(False, lambda a: a.params_nonembedding) > 0.3


def test_chinchilla_and_gopher_parameter_counts():
    # Hoffmann et al. 2022 Table 4 shapes (80 layers; ffw 4 x d_model; vocab 32,000) give the quoted
    # 70B and 280B (Table 1) only with the relative-position projection counted.
    chinchilla = make_architecture(80, 8192, heads=64, kv_size=128, vocab=32_000, seq_len=2048)
    gopher = make_architecture(80, 16384, heads=128, kv_size=128, vocab=32_000, seq_len=2048)
    assert chinchilla.params_relative == pytest.approx(70e9, rel=0.01)
    assert gopher.params_relative == pytest.approx(280e9, rel=0.01)
    assert chinchilla.params_total == pytest.approx(64.7e9, rel=0.01)


def test_gpt3_kaplan_parameter_count():
    # Brown et al. 2020 Table 2.1: GPT-3 175B has 96 layers, d_model 12288, 96 heads of size 128,
    # feed-forward 4 x d_model; Kaplan §2.1: N = 12 n_layer d_model^2 = 173.9B non-embedding, and
    # with the 50257 x 12288 token embedding 174.6B, i.e. the paper's "175.0B" within 0.5%.
    arch = make_architecture(96, 12288, heads=96, kv_size=128, vocab=50257, seq_len=2048)
    assert kaplan_nonembedding_params(96, 12288) == 12 * 96 * 12288 ** 2
    assert arch.params_nonembedding == kaplan_nonembedding_params(96, 12288)
    assert arch.params_total == pytest.approx(175.0e9, rel=0.005)


def brute_force_weights(arch):
    """Sum of the weight-matrix sizes of one transformer, listed matrix by matrix."""
    d, da, f = arch.d_model, arch.heads * arch.kv_size, arch.ffw_size
    per_layer = [(d, da), (d, da), (d, da), (da, d), (d, f), (f, d)]  # Q, K, V, O, MLP in, MLP out
    return sum(rows * cols for _ in range(arch.layers) for rows, cols in per_layer)


shapes = st.builds(
    lambda layers, heads, kv, ffw_mult, vocab, seq: Architecture(
        layers=layers, d_model=heads * kv, heads=heads, kv_size=kv, ffw_size=ffw_mult * heads * kv,
        vocab=vocab, seq_len=seq),
    st.integers(1, 128), st.integers(1, 128), st.integers(8, 256), st.integers(1, 8),
    st.integers(100, 300_000), st.integers(16, 32_768))


@given(shapes)
def test_nonembedding_params_match_brute_force(arch):
    assert arch.params_nonembedding == brute_force_weights(arch)


@given(st.integers(1, 200), st.integers(1, 64), st.integers(8, 256))
def test_kaplan_12_n_layer_d_model_squared(layers, heads, kv):
    # Kaplan et al. 2020 §2.1: with d_attn = d_ff / 4 = d_model, N = 12 n_layer d_model^2.
    d = heads * kv
    arch = make_architecture(layers, d, heads=heads, vocab=1000, seq_len=1024)
    assert arch.params_nonembedding == kaplan_nonembedding_params(layers, d) == 12 * layers * d * d


@given(shapes)
def test_kaplan_and_chinchilla_counts_differ_only_in_attention_over_context(arch):
    # Kaplan Table 1 counts 2 n_layer n_ctx d_attn for attention over the context; Appendix F counts
    # both n_ctx x n_ctx products in full (4 n_ctx d_attn per token per layer) plus the softmax
    # (3 heads n_ctx). Everything else is the same 2 x weights.
    per_token_layers = chinchilla_forward_terms(arch)["forward_layers"] / arch.seq_len
    extra = arch.layers * (2 * arch.seq_len * arch.d_attn + 3 * arch.heads * arch.seq_len)
    assert per_token_layers - kaplan_forward_per_token(arch) == pytest.approx(extra, rel=1e-9)


@given(shapes)
def test_chinchilla_terms_add_up(arch):
    # Appendix F per layer (terms are returned summed over the layers): QKV 2·S·3·d·d_attn, logits
    # and values 2·S²·d_attn each, softmax 3·H·S², final linear 2·S·d_attn·d, dense 2·S·2·d·d_ff.
    terms = chinchilla_forward_terms(arch)
    s, d, da, f = arch.seq_len, arch.d_model, arch.d_attn, arch.ffw_size
    per_layer = (2 * s * 3 * d * da + 2 * s * s * da + 3 * arch.heads * s * s + 2 * s * s * da
                 + 2 * s * da * d + 2 * s * 2 * d * f)
    assert terms["forward_total"] == pytest.approx(
        terms["embeddings"] + arch.layers * per_layer + terms["logits"], rel=1e-12)
    assert terms["embeddings"] == terms["logits"] == 2 * arch.seq_len * arch.vocab * arch.d_model


@given(st.floats(1e3, 1e15), st.floats(1e3, 1e15))
def test_six_nd_is_6_n_d(params, tokens):
    assert six_nd(params, tokens) == pytest.approx(6 * params * tokens, rel=1e-12)
    assert six_nd(2 * params, tokens) == pytest.approx(2 * six_nd(params, tokens), rel=1e-12)


def test_training_flops_dispatch():
    arch = make_architecture(12, 768, heads=12, vocab=50257, seq_len=1024)
    assert training_flops("6nd", 1e8, 1e9) == six_nd(1e8, 1e9)
    assert training_flops("kaplan", 1e8, 1e9, arch) == kaplan_training_flops(arch, 1e9)
    assert training_flops("chinchilla", 1e8, 1e9, arch) == chinchilla_training_flops(arch, 1e9)
    assert math.isclose(kaplan_training_flops(arch, 1e9), 3 * kaplan_forward_per_token(arch) * 1e9)
    with pytest.raises(InputError, match="architecture"):
        training_flops("kaplan", 1e8, 1e9)
    with pytest.raises(InputError, match="unknown method"):
        training_flops("8nd", 1e8, 1e9)


def test_architecture_fills_heads_or_kv_size():
    assert make_architecture(2, 512, heads=8, vocab=100, seq_len=64).kv_size == 64
    assert make_architecture(2, 512, kv_size=128, vocab=100, seq_len=64).heads == 4
    assert make_architecture(2, 512, heads=8, vocab=100, seq_len=64).ffw_size == 2048
    # Chinchilla Table A9 has models whose heads x kv_size differs from d_model; both given is fine.
    arch = make_architecture(47, 4608, heads=32, kv_size=128, ffw_size=18432, vocab=32_000, seq_len=2048)
    assert arch.d_attn == 4096


@pytest.mark.parametrize("kwargs, message", [
    (dict(heads=None, kv_size=None), "heads and/or --kv-size"),
    (dict(heads=7, kv_size=None), "does not divide"),
    (dict(heads=None, kv_size=100), "does not divide"),
    (dict(heads=-8, kv_size=None), "positive whole number"),
    (dict(heads=8, kv_size=None, vocab=None), "--vocab"),
    (dict(heads=8.5, kv_size=None), "positive whole number"),
    (dict(heads="many", kv_size=None), "not a number"),
    (dict(heads=8, kv_heads=3), "must divide --heads"),
    (dict(heads=8, mlp="relu"), "--mlp: unknown value"),
    (dict(heads=8, embeddings="shared"), "--embeddings"),
    (dict(heads=8, experts=8), "needs --active-experts"),
    (dict(heads=8, experts=8, active_experts=9), "between 1 and --experts"),
    (dict(heads=8, active_experts=2), "needs --experts"),
    (dict(heads=8, kv_size=64, head_dim=128), "same size"),
    (dict(heads=8, rope_head_dim=64), "needs --kv-lora-rank"),
    (dict(heads=8, experts=8, active_experts=2, dense_layers=4), "fewer than --layers"),
    (dict(heads=8, qkv_bias="maybe"), "true or false"),
    (dict(heads=8, colour=1), "unknown shape key"),
])
def test_bad_architectures(kwargs, message):
    args = dict(layers=4, d_model=512, vocab=1000, seq_len=128)
    args.update(kwargs)
    with pytest.raises(InputError, match=message) as info:
        make_architecture(**args)
    assert "\n" not in str(info.value)


# --- Modern shapes: grouped-query attention, gated MLPs, mixtures of experts, latent attention ------
modern = st.builds(
    lambda layers, kv_heads, group, head_dim, ffw, vocab, seq, mlp, emb, norm, qkv_bias, qk_norm: Architecture(
        layers=layers, d_model=kv_heads * group * head_dim, heads=kv_heads * group, kv_size=head_dim,
        kv_heads=kv_heads, ffw_size=ffw, vocab=vocab, seq_len=seq, mlp=mlp, embeddings=emb, norm=norm,
        qkv_bias=qkv_bias, qk_norm=qk_norm),
    st.integers(1, 64), st.integers(1, 16), st.integers(1, 8), st.sampled_from([32, 64, 128, 256]),
    st.integers(1, 50_000), st.integers(100, 300_000), st.integers(16, 32_768),
    st.sampled_from(["gelu", "swiglu", "geglu"]), st.sampled_from(["tied", "untied"]),
    st.sampled_from(["none", "rmsnorm", "layernorm"]), st.booleans(), st.booleans())


@st.composite
def any_shape(draw):
    """Dense, mixture-of-experts (with shared experts and leading dense layers) or latent attention."""
    arch = draw(modern)
    if draw(st.booleans()):
        experts = draw(st.integers(1, 64))
        arch = dataclasses.replace(arch, experts=experts, active_experts=draw(st.integers(1, experts)),
                                   shared_experts=draw(st.integers(0, 2)), expert_ffw_size=draw(st.integers(1, 20_000)),
                                   dense_layers=draw(st.integers(0, arch.layers - 1)), router_bias=draw(st.booleans()))
    if draw(st.booleans()):
        arch = dataclasses.replace(arch, kv_heads=None, qkv_bias=False, qk_norm=False,
                                   kv_lora_rank=draw(st.integers(1, 1024)), q_lora_rank=draw(st.integers(0, 2048)),
                                   rope_head_dim=draw(st.integers(0, 128)), v_head_dim=draw(st.integers(1, 256)))
    return arch


@given(any_shape())
def test_counts_match_the_tensor_listing(arch):
    assert arch.params_total == sum(tensors(arch).values())


#: Every count-valued shape field; increasing any of them never lowers a count (dense_layers is left
#: out: a leading dense layer may be smaller or larger than the MoE layer it replaces).
GROWING = ("layers", "d_model", "heads", "kv_size", "ffw_size", "vocab", "seq_len", "kv_heads", "norms_per_layer",
           "experts", "active_experts", "shared_experts", "expert_ffw_size", "q_lora_rank", "kv_lora_rank",
           "rope_head_dim", "v_head_dim")


def counts(arch):
    return (arch.params_total, arch.params_active, arch.params_embedding, arch.params_nonembedding,
            kaplan_training_flops(arch, 1e9), chinchilla_training_flops(arch, 1e9),
            chinchilla_training_flops(arch, 1e9, causal=True), inference_flops_per_token(arch, 4096),
            hardware_training_flops(arch, 1e9, "full"))


@given(any_shape(), st.sampled_from(GROWING), st.integers(1, 64))
def test_counts_are_monotone_in_every_dimension(arch, field, step):
    value = getattr(arch, field)
    if value is None:  # kv_heads, expert_ffw_size, v_head_dim default to another field's value
        value = {"kv_heads": arch.heads, "expert_ffw_size": arch.ffw_size, "v_head_dim": arch.kv_size}[field]
    if field in ("experts", "active_experts", "kv_lora_rank", "q_lora_rank") and value == 0:
        return  # 0 switches a part off (dense MLP, full attention, full Q projection): not a size
    if field == "active_experts":
        bigger = dataclasses.replace(arch, active_experts=min(arch.experts, value + step))
    else:
        bigger = dataclasses.replace(arch, **{field: value + step})
    for before, after in zip(counts(arch), counts(bigger)):
        assert after >= before * (1 - 1e-12)


@given(any_shape())
def test_active_at_most_total(arch):
    assert arch.params_active <= arch.params_total
    assert arch.params_active_nonembedding <= arch.params_nonembedding
    if not arch.is_moe:
        assert arch.params_active == arch.params_total


@given(modern, st.booleans())
def test_one_expert_is_the_dense_model_plus_its_router(dense, router_bias):
    moe = dataclasses.replace(dense, experts=1, active_experts=1, router_bias=router_bias)
    router = dense.layers * (dense.d_model + int(router_bias))
    assert moe.params_total == dense.params_total + router
    assert moe.params_active == moe.params_total
    # FLOPs: the router's 2·d per token per layer, forward.
    assert kaplan_forward_per_token(moe) == kaplan_forward_per_token(dense) + 2 * dense.layers * dense.d_model


def test_grouped_query_attention_in_appendix_f():
    # Llama 3 70B (Llama Team 2024, Table 3): 64 query heads and 8 key/value heads of 128. QKV term:
    # 2·S·(d·64·128 + 2·d·8·128) per layer; the context terms use all 64 query heads.
    arch = make_architecture(80, 8192, heads=64, kv_heads=8, ffw_size=28672, mlp="swiglu", vocab=128256, seq_len=8192)
    terms = chinchilla_forward_terms(arch)
    s = 8192
    assert terms["attention_qkv"] == 80 * 2 * s * (8192 * 8192 + 2 * 8192 * 1024)
    assert terms["attention_logits"] == terms["attention_values"] == 80 * 2 * s * s * 8192
    assert terms["dense"] == 80 * 2 * s * 3 * 8192 * 28672


def test_causal_mask_halves_the_context_terms():
    arch = make_architecture(32, 4096, heads=32, kv_heads=8, mlp="swiglu", vocab=32000, seq_len=4096)
    full, causal = chinchilla_forward_terms(arch), chinchilla_forward_terms(arch, causal=True)
    for key in ("attention_logits", "attention_softmax", "attention_values"):
        assert causal[key] == full[key] / 2
    for key in ("attention_qkv", "attention_linear", "dense", "embeddings", "logits"):
        assert causal[key] == full[key]
    context = 2 * 32 * 4096 * 4096
    assert kaplan_forward_per_token(arch) - kaplan_forward_per_token(arch, causal=True) == context / 2


@given(any_shape())
def test_palm_model_flops(arch):
    # Chowdhery et al. 2022, App. B: model FLOPs per token 6N + 12·L·H·Q·T (N non-embedding, both S×S
    # products in the backward pass too). Appendix F without the softmax, embedding and logit terms is
    # exactly that, with Q the query/key size and the value size averaged for latent attention.
    terms = chinchilla_forward_terms(arch)
    per_token = 3 * (terms["forward_layers"] - terms["attention_softmax"]) / arch.seq_len
    q = (arch.qk_dim + arch.v_dim) / 2
    palm = 6 * arch.matrix_params() + 12 * arch.layers * arch.heads * q * arch.seq_len
    assert per_token == pytest.approx(palm, rel=1e-9)


def test_recomputation_hardware_flops():
    # PaLM App. B: with full recomputation the hardware runs one more forward: 8ND instead of 6ND when
    # the weights dominate. GPT-3 175B at a 2048 context, per-layer terms: 4/3 within 3%.
    arch = make_architecture(96, 12288, heads=96, vocab=50257, seq_len=2048)
    model = chinchilla_training_flops(arch, 1e9)
    terms = chinchilla_forward_terms(arch)
    assert hardware_training_flops(arch, 1e9, "none") == model
    assert hardware_training_flops(arch, 1e9, "full") == pytest.approx(model + terms["forward_layers"] * 1e9 / 2048)
    assert hardware_training_flops(arch, 1e9, "full") / model == pytest.approx(4 / 3, rel=0.03)
    selective = sum(terms[k] for k in ("attention_logits", "attention_softmax", "attention_values"))
    assert hardware_training_flops(arch, 1e9, "selective") == pytest.approx(model + selective * 1e9 / 2048)
    with pytest.raises(InputError, match="recompute"):
        hardware_training_flops(arch, 1e9, "half")


@given(any_shape(), st.integers(1, 300))
def test_generating_a_sequence_matches_causal_attention(arch, length):
    # Brute force: generating tokens 1..S one at a time attends to 1, 2, ..., S cached positions; the
    # sum of the per-token context FLOPs is the full S×S scores and values times (S + 1) / (2 S).
    weights = 2.0 * (arch.matrix_params() + arch.vocab * arch.d_model)
    generated = sum(inference_flops_per_token(arch, ctx) - weights for ctx in range(1, length + 1))
    full = attention_context_per_token(arch, length)
    per_sequence = length * (full["attention_logits"] + full["attention_values"])
    assert generated == pytest.approx(per_sequence * (length + 1) / (2 * length), rel=1e-9)


def test_llama_3_70b_worked_example():
    # docs/flops.md: Llama 3 70B (Llama Team 2024, Table 3; config.json: RMSNorm, untied, vocab 128256).
    arch = make_architecture(80, 8192, heads=64, kv_heads=8, ffw_size=28672, vocab=128256, seq_len=8192,
                             mlp="swiglu", embeddings="untied", norm="rmsnorm")
    assert arch.attention_projections() == (8192 * 8192 + 2 * 8192 * 1024, 8192 * 8192)
    per_layer = 2 * 8192 * 8192 + 2 * 8192 * 1024 + 3 * 8192 * 28672 + 2 * 8192
    assert per_layer == 855_654_400
    assert arch.params_embedding == 2 * 128256 * 8192 == 2_101_346_304
    assert arch.params_total == 80 * per_layer + 8192 + 2_101_346_304 == 70_553_706_496
    # The dense-era count (4 d_model^2 attention, 2 GELU matrices of 4 d_model, one embedding) for the
    # same layers, width and ffw: 60.1B.
    old = make_architecture(80, 8192, heads=64, ffw_size=28672, vocab=128256, seq_len=8192)
    assert old.params_total == pytest.approx(60.1e9, rel=0.001)



def test_old_architectures_count_as_before():
    # The defaults (kv_heads = heads, GELU, tied, no norms, dense) are the 2020-2022 convention.
    arch = make_architecture(80, 8192, heads=64, vocab=32_000, seq_len=2048)
    assert arch.params_nonembedding == 2 * 8192 * 80 * (2 * 8192 + 4 * 8192)
    assert arch.params_total == arch.params_active == arch.params_nonembedding + 32_000 * 8192


def test_flops_cli_takes_modern_shapes(cli):
    import json

    args = ["flops", "--tokens", "15e12", "--layers", "80", "--d-model", "8192", "--heads", "64", "--kv-heads", "8",
            "--ffw-size", "28672", "--mlp", "swiglu", "--embeddings", "untied", "--norm", "rmsnorm",
            "--vocab", "128256", "--seq-len", "8192", "--json"]
    out = json.loads(cli(*args).stdout)
    assert out["params"] == out["parameters"]["total"] == out["parameters"]["active"] == 70_553_706_496
    assert out["parameters"]["embedding"] + out["parameters"]["non_embedding"] == out["parameters"]["total"]
    assert out["architecture"]["kv_heads"] == 8 and out["architecture"]["head_dim"] == 128
    assert "swiglu" in out["parameter_convention"] and out["causal"] is False
    hardware = {h["recompute"]: h for h in out["hardware"]}
    chinchilla = next(c["flops"] for c in out["counts"] if c["method"] == "chinchilla")
    assert hardware["none"]["hardware_flops"] == chinchilla < hardware["selective"]["hardware_flops"] \
        < hardware["full"]["hardware_flops"]
    assert out["inference_flops_per_token"] == pytest.approx(1.605e11, rel=1e-3)
    causal = json.loads(cli(*args, "--causal", "--method", "chinchilla").stdout)
    assert causal["causal"] is True and causal["flops"] < chinchilla
    moe = json.loads(cli(*args, "--experts", "8", "--active-experts", "2").stdout)
    assert moe["params"] == moe["parameters"]["active"] < moe["parameters"]["total"]


def test_flops_cli_bad_shapes(cli):
    from cli_assertions import assert_one_line_error

    base = ["flops", "--tokens", "1e12", "--layers", "2", "--d-model", "512", "--heads", "8", "--vocab", "1000",
            "--seq-len", "128"]
    assert_one_line_error(cli(*base, "--kv-heads", "3"), "--kv-heads: 3 must divide --heads 8")
    assert_one_line_error(cli(*base, "--mlp", "relu"), "--mlp")
    assert_one_line_error(cli(*base, "--experts", "4"), "--active-experts")
    assert_one_line_error(cli(*base, "--kv-size", "32", "--head-dim", "64"), "same size")
