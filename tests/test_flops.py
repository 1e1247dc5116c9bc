"""Counting functions in scalingplan.compute.counting, pinned to Kaplan et al. 2020 and Hoffmann et al. 2022."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalingplan.errors import InputError
from scalingplan.compute.counting import (Architecture, chinchilla_forward_terms,
                                          chinchilla_training_flops, kaplan_forward_per_token,
                                          kaplan_nonembedding_params, kaplan_training_flops,
                                          make_architecture, six_nd, training_flops)
from scalingplan.constants import PF_DAY, pf_days

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
])
def test_bad_architectures(kwargs, message):
    args = dict(layers=4, d_model=512, vocab=1000, seq_len=128)
    args.update(kwargs)
    with pytest.raises(InputError, match=message) as info:
        make_architecture(**args)
    assert "\n" not in str(info.value)
