"""Counting training compute and parameters of a dense decoder-only transformer.

Pure functions over plain numbers (no I/O, no numpy). Three compute counts:

- ``six_nd``: C = 6 N D (Kaplan et al. 2020 §2.1; Hoffmann et al. 2022 §3).
- ``kaplan_training_flops``: Kaplan et al. 2020 Table 1 with the context term,
  C_forward = 2 N + 2 n_layer n_ctx d_attn per token (N non-embedding), training = 3 x forward.
- ``chinchilla_training_flops``: Hoffmann et al. 2022 Appendix F, per-sequence forward terms,
  backward = 2 x forward.

Convention that reproduces Hoffmann et al. Table A4 (ratio of the Appendix F count to 6ND):
the per-layer terms only (the embedding and final-logit terms left out), seq_len 2048, vocab 32,000,
and N the parameter count the paper itself uses for those models: non-embedding weights plus one
vocab x d_model embedding matrix plus a relative-position projection of d_model x d_attn per layer
(Transformer-XL style, as in Gopher). That N is ``Architecture.params_relative``; with it the six
rows come out within 0.005 of the printed ratios (tests/test_flops.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from scalingplan.errors import InputError
from scalingplan.numbers import parse_number

#: Feed-forward width as a multiple of d_model when none is given (Kaplan 2020 §2.1; GPT-3 Table 2.1;
#: Chinchilla Table 4).
FFW_MULTIPLE = 4

METHODS = ("6nd", "kaplan", "chinchilla")


def six_nd(params: float, tokens: float) -> float:
    """Training FLOPs C = 6 N D (forward 2N + backward 4N per token)."""
    return 6.0 * params * tokens


def kaplan_nonembedding_params(layers: int, d_model: int) -> float:
    """Kaplan 2020 §2.1: N = 12 n_layer d_model^2 (d_attn = d_ff/4 = d_model)."""
    return 12.0 * layers * d_model ** 2


@dataclass(frozen=True)
class Architecture:
    """Shapes of a dense decoder-only transformer; d_attn = heads x kv_size."""

    layers: int
    d_model: int
    heads: int
    kv_size: int
    ffw_size: int
    vocab: int
    seq_len: int

    @property
    def d_attn(self) -> int:
        return self.heads * self.kv_size

    @property
    def params_nonembedding(self) -> float:
        """2 d_model n_layer (2 d_attn + d_ff) (Kaplan 2020 §2.1): Q, K, V, O and the two MLP
        matrices; no biases or layer norms."""
        return 2.0 * self.d_model * self.layers * (2 * self.d_attn + self.ffw_size)

    @property
    def params_embedding(self) -> float:
        """One vocab x d_model token-embedding matrix (tied with the output projection)."""
        return float(self.vocab) * self.d_model

    @property
    def params_total(self) -> float:
        """Non-embedding + one token embedding matrix."""
        return self.params_nonembedding + self.params_embedding

    @property
    def params_relative(self) -> float:
        """Total plus a d_model x d_attn relative-position projection per layer: how Gopher and
        Chinchilla are counted (Table 4 gives 70.0B and 279.7B this way; Table A4's Params column)."""
        return self.params_total + float(self.layers) * self.d_model * self.d_attn


def make_architecture(layers, d_model, heads=None, kv_size=None, ffw_size=None,
                      vocab=None, seq_len=None) -> Architecture:
    """Validate shapes and fill the derivable ones.

    heads and kv_size: either both (d_attn = heads x kv_size may differ from d_model, as in some
    Chinchilla Table A9 models), or one of them dividing d_model exactly (the other is d_model / it).
    ffw_size defaults to 4 d_model. Raises InputError with a one-line message otherwise.
    """
    values = {"layers": layers, "d_model": d_model, "heads": heads, "kv_size": kv_size,
              "ffw_size": ffw_size, "vocab": vocab, "seq_len": seq_len}
    checked = {}
    for key, value in values.items():
        if value is None:
            checked[key] = None
            continue
        number = parse_number(value, key)
        if number <= 0 or number != int(number) or number > 1e12:
            raise InputError(f"must be a positive whole number, got {value!r}", key)
        checked[key] = int(number)
    missing = [k for k in ("layers", "d_model", "vocab", "seq_len") if checked[k] is None]
    if missing:
        raise InputError("architecture incomplete: give " + ", ".join(f"{{{i}}}" for i in range(len(missing))),
                         mentions=tuple(missing))
    d, h, k = checked["d_model"], checked["heads"], checked["kv_size"]
    if h is None and k is None:
        raise InputError("architecture needs d_attn = heads x kv_size: give {0} and/or {1}",
                         mentions=("heads", "kv_size"))
    if h is None:
        if d % k:
            raise InputError(f"{k} does not divide {{0}} {d}: give {{1}} as well", "kv_size", ("d_model", "heads"))
        h = d // k
    elif k is None:
        if d % h:
            raise InputError(f"{h} does not divide {{0}} {d}: give {{1}} as well", "heads", ("d_model", "kv_size"))
        k = d // h
    ffw = checked["ffw_size"] if checked["ffw_size"] is not None else FFW_MULTIPLE * d
    return Architecture(layers=checked["layers"], d_model=d, heads=h, kv_size=k, ffw_size=ffw,
                        vocab=checked["vocab"], seq_len=checked["seq_len"])


def kaplan_forward_per_token(arch: Architecture) -> float:
    """Kaplan 2020 Table 1: C_forward = 2 N + 2 n_layer n_ctx d_attn (non-embedding N)."""
    return 2.0 * arch.params_nonembedding + 2.0 * arch.layers * arch.seq_len * arch.d_attn


def kaplan_training_flops(arch: Architecture, tokens: float) -> float:
    """Kaplan 2020 Table 1: training = 3 x forward (backward = 2 x forward), times D tokens."""
    return 3.0 * kaplan_forward_per_token(arch) * tokens


def chinchilla_forward_terms(arch: Architecture) -> dict:
    """Hoffmann 2022 Appendix F: forward FLOPs per sequence of seq_len tokens, term by term.

    The attention and dense terms are per layer; ``forward_total`` is
    embeddings + layers x (attention + dense) + logits, and ``forward_layers`` leaves out the
    embedding and logit terms (the Table A4 convention).
    """
    s, d, v, h, da, f = arch.seq_len, arch.d_model, arch.vocab, arch.heads, arch.d_attn, arch.ffw_size
    terms = {
        "embeddings": 2.0 * s * v * d,
        "attention_qkv": 2.0 * 3 * s * d * da,
        "attention_logits": 2.0 * s * s * da,
        "attention_softmax": 3.0 * h * s * s,
        "attention_values": 2.0 * s * s * da,
        "attention_linear": 2.0 * s * da * d,
        "dense": 2.0 * s * (d * f + d * f),
        "logits": 2.0 * s * d * v,
    }
    per_layer = sum(terms[k] for k in terms if k.startswith("attention_")) + terms["dense"]
    terms["forward_layers"] = arch.layers * per_layer
    terms["forward_total"] = terms["embeddings"] + terms["forward_layers"] + terms["logits"]
    return terms


def chinchilla_training_flops(arch: Architecture, tokens: float, include_embeddings: bool = True) -> float:
    """Hoffmann 2022 Appendix F: 3 x forward per sequence x (tokens / seq_len).

    include_embeddings=False drops the embedding and logit terms (the Table A4 convention).
    """
    terms = chinchilla_forward_terms(arch)
    forward = terms["forward_total"] if include_embeddings else terms["forward_layers"]
    return 3.0 * forward * tokens / arch.seq_len


def training_flops(method: str, params: float, tokens: float, arch: Architecture | None = None) -> float:
    """Training FLOPs by ``method`` (one of METHODS); kaplan and chinchilla need an architecture."""
    if method == "6nd":
        return six_nd(params, tokens)
    if method not in METHODS:
        raise InputError(f"--method: unknown method '{method}' (choose from {', '.join(METHODS)})")
    if arch is None:
        raise InputError(f"--method {method} needs an architecture: give --layers, --d-model, --heads or "
                         "--kv-size, --vocab and --seq-len, or a --model with one")
    if method == "kaplan":
        return kaplan_training_flops(arch, tokens)
    return chinchilla_training_flops(arch, tokens)
