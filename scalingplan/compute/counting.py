"""Counting training compute and parameters of a decoder-only transformer, dense or mixture-of-experts.

Pure functions over plain numbers (no I/O, no numpy). Three compute counts:

- ``six_nd``: C = 6 N D (Kaplan et al. 2020 §2.1; Hoffmann et al. 2022 §3); for a mixture of
  experts N is the active count (the weights one token passes through).
- ``kaplan_training_flops``: Kaplan et al. 2020 Table 1 with the context term,
  C_forward = 2 N + 2 n_layer n_ctx d_attn per token (N non-embedding), training = 3 x forward.
- ``chinchilla_training_flops``: Hoffmann et al. 2022 Appendix F, per-sequence forward terms,
  backward = 2 x forward.

Both detailed counts follow the shape: grouped-query attention shrinks the K and V projections,
a gated MLP (SwiGLU, GeGLU) has three d_model x ffw matrices, a mixture of experts counts the
routed experts a token uses, its shared experts and the router. ``causal=True`` halves the
attention-over-context terms (a causal mask skips half of the score matrix).

Convention that reproduces Hoffmann et al. Table A4 (ratio of the Appendix F count to 6ND):
the per-layer terms only (the embedding and final-logit terms left out), seq_len 2048, vocab 32,000,
and N the parameter count the paper itself uses for those models: non-embedding weights plus one
vocab x d_model embedding matrix plus a relative-position projection of d_model x d_attn per layer
(Transformer-XL style, as in Gopher). That N is ``Architecture.params_relative``; with it the six
rows come out within 0.005 of the printed ratios (tests/test_flops.py).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from scalingplan.errors import InputError
from scalingplan.numbers import parse_number, parse_whole

#: What every command assumes of a model described by flags, for what the flags leave out: a
#: Llama-style decoder (Touvron et al. 2023 §2.2: SwiGLU, RMSNorm pre-normalisation; untied
#: embeddings as in Llama 2 and 3), a 32,000-token vocabulary (Llama 1 and 2) and a 4,096-token
#: context. ``flops``, ``memory``, ``shape`` and ``sweep`` share it; the library's
#: ``make_architecture`` keeps the papers' conventions (GELU, tied, norms uncounted).
COMMAND_DEFAULTS = {"mlp": "swiglu", "embeddings": "untied", "norm": "rmsnorm", "vocab": 32000, "seq_len": 4096}

#: Feed-forward width as a multiple of d_model when none is given (Kaplan 2020 §2.1; GPT-3 Table 2.1;
#: Chinchilla Table 4).
FFW_MULTIPLE = 4

METHODS = ("6nd", "kaplan", "chinchilla")

#: MLP kind -> number of d_model x ffw matrices: GELU (or ReLU) MLPs have two; gated MLPs three
#: (Shazeer 2020, "GLU Variants Improve Transformer": W, V and W2).
MLP_MATRICES = {"gelu": 2, "swiglu": 3, "geglu": 3}
EMBEDDINGS = ("tied", "untied")
#: Norm kind -> weights per normalised dimension: RMSNorm a gain, LayerNorm a gain and a bias;
#: "none" leaves norms uncounted (Kaplan's and Hoffmann's convention).
NORM_WEIGHTS = {"none": 0, "rmsnorm": 1, "layernorm": 2}
RECOMPUTE = ("none", "selective", "full")
#: Shape keys that are words or flags, not counts.
WORD_KEYS = {"mlp": tuple(MLP_MATRICES), "embeddings": EMBEDDINGS, "norm": tuple(NORM_WEIGHTS)}
FLAG_KEYS = ("qkv_bias", "out_bias", "mlp_bias", "qk_norm", "router_bias")


def six_nd(params: float, tokens: float) -> float:
    """Training FLOPs C = 6 N D (forward 2N + backward 4N per token)."""
    return 6.0 * params * tokens


def kaplan_nonembedding_params(layers: int, d_model: int) -> float:
    """Kaplan 2020 §2.1: N = 12 n_layer d_model^2 (d_attn = d_ff/4 = d_model)."""
    return 12.0 * layers * d_model ** 2


@dataclass(frozen=True)
class Architecture:
    """Shapes of a decoder-only transformer.

    kv_size is the per-head query/key size (head_dim); d_attn = heads x kv_size. kv_heads (default
    heads) is the number of key/value heads: grouped-query attention when fewer, multi-query at 1.
    experts > 0 makes every layer after the first ``dense_layers`` a mixture of experts: ``experts``
    routed experts of width expert_ffw_size (default ffw_size), ``active_experts`` of them per
    token, ``shared_experts`` always used, and a d_model x experts router. kv_lora_rank > 0 is
    DeepSeek's multi-head latent attention (MLA): K and V come from a rank-kv_lora_rank latent,
    Q from a rank-q_lora_rank one (0: a full projection), plus rope_head_dim decoupled RoPE
    dimensions per query head and one shared RoPE key. v_head_dim (default kv_size) is the value
    size per head. qkv_bias, out_bias and mlp_bias add the biases of the Q/K/V projections, the
    attention output projection and the MLP matrices (GPT-2 and GPT-NeoX have all three, Qwen2 the
    first). position_embeddings > 0 is a learned table of that many absolute positions (GPT-2).
    """

    layers: int
    d_model: int
    heads: int
    kv_size: int
    ffw_size: int
    vocab: int
    seq_len: int
    kv_heads: int | None = None
    mlp: str = "gelu"
    embeddings: str = "tied"
    norm: str = "none"
    norms_per_layer: int = 2
    qkv_bias: bool = False
    qk_norm: bool = False
    experts: int = 0
    active_experts: int = 0
    shared_experts: int = 0
    expert_ffw_size: int | None = None
    dense_layers: int = 0
    router_bias: bool = False
    q_lora_rank: int = 0
    kv_lora_rank: int = 0
    rope_head_dim: int = 0
    v_head_dim: int | None = None
    out_bias: bool = False
    mlp_bias: bool = False
    position_embeddings: int = 0

    # -- derived sizes ---------------------------------------------------------------------------
    @property
    def head_dim(self) -> int:
        return self.kv_size

    @property
    def n_kv_heads(self) -> int:
        return self.heads if self.kv_heads is None else self.kv_heads

    @property
    def d_attn(self) -> int:
        return self.heads * self.kv_size

    @property
    def qk_dim(self) -> int:
        """Query/key size per head that attention scores use (MLA adds the RoPE dimensions)."""
        return self.kv_size + self.rope_head_dim

    @property
    def v_dim(self) -> int:
        return self.kv_size if self.v_head_dim is None else self.v_head_dim

    @property
    def is_moe(self) -> bool:
        return self.experts > 0

    @property
    def moe_layers(self) -> int:
        return self.layers - self.dense_layers if self.is_moe else 0

    # -- weights of one layer, by part -----------------------------------------------------------
    def attention_projections(self) -> tuple:
        """(Q, K and V projection weights, output projection weights) of one layer; no biases."""
        d, h = self.d_model, self.heads
        if self.kv_lora_rank:
            q = (d * self.q_lora_rank + self.q_lora_rank * h * self.qk_dim if self.q_lora_rank
                 else d * h * self.qk_dim)
            kv = d * (self.kv_lora_rank + self.rope_head_dim) + self.kv_lora_rank * h * (self.kv_size + self.v_dim)
            return q + kv, h * self.v_dim * d
        return d * h * self.kv_size + d * self.n_kv_heads * (self.kv_size + self.v_dim), h * self.v_dim * d

    def attention_extras(self) -> int:
        """Biases and norms inside one attention block: QKV biases (Qwen), QK-norm over the full
        query and key widths (OLMo 2), the norms on MLA's compressed latents (DeepSeek-V2/V3)."""
        extras = 0
        if self.qkv_bias:
            extras += self.d_attn + self.n_kv_heads * (self.kv_size + self.v_dim)
        if self.out_bias:
            extras += self.d_model
        weight = NORM_WEIGHTS[self.norm]
        if self.qk_norm:
            extras += weight * (self.d_attn + self.n_kv_heads * self.kv_size)
        if self.kv_lora_rank:
            extras += weight * (self.q_lora_rank + self.kv_lora_rank)
        return extras

    def mlp_weights(self, width: int) -> int:
        return MLP_MATRICES[self.mlp] * self.d_model * width

    def mlp_biases(self, width: int) -> int:
        """Biases of one MLP of this width: one per output of each matrix (the gated MLP's two input
        matrices give 2 x width), d_model for the output matrix."""
        return (MLP_MATRICES[self.mlp] - 1) * width + self.d_model if self.mlp_bias else 0

    def ffw_biases(self, active: bool) -> float:
        """MLP biases over all layers, counted like ``ffw_weights``."""
        if not self.mlp_bias:
            return 0.0
        dense_layers = self.layers - self.moe_layers
        total = float(dense_layers) * self.mlp_biases(self.ffw_size)
        if self.is_moe:
            used = (self.active_experts if active else self.experts) + self.shared_experts
            total += float(self.moe_layers) * used * self.mlp_biases(self.expert_ffw_size or self.ffw_size)
        return total

    @property
    def router_weights(self) -> int:
        """The d_model x experts router matrix of one MoE layer."""
        return self.d_model * self.experts

    def ffw_weights(self, active: bool) -> float:
        """MLP weights over all layers: dense layers, then experts (all, or those a token uses)."""
        dense_layers = self.layers - self.moe_layers
        total = float(dense_layers) * self.mlp_weights(self.ffw_size)
        if self.is_moe:
            width = self.expert_ffw_size or self.ffw_size
            used = (self.active_experts if active else self.experts) + self.shared_experts
            total += float(self.moe_layers) * used * self.mlp_weights(width)
        return total

    @property
    def params_norms(self) -> float:
        """Layer norms: norms_per_layer per layer plus the final one, d_model each."""
        return float(NORM_WEIGHTS[self.norm]) * self.d_model * (self.norms_per_layer * self.layers + 1)

    def matrix_params(self, active: bool = True) -> float:
        """Non-embedding weight matrices (attention, MLPs, routers): what costs 2 FLOPs per token."""
        qkv, out = self.attention_projections()
        return float(self.layers) * (qkv + out) + self.ffw_weights(active) + float(self.moe_layers) * self.router_weights

    # -- parameter counts ------------------------------------------------------------------------
    def _nonembedding(self, active: bool) -> float:
        router_bias = self.experts if self.router_bias else 0
        extras = float(self.layers) * self.attention_extras() + self.params_norms + float(self.moe_layers) * router_bias
        return self.matrix_params(active) + extras + self.ffw_biases(active)

    @property
    def params_nonembedding(self) -> float:
        """Every non-embedding weight: attention, MLPs (all experts), routers, biases and norms where
        the shape has them. For a dense model without norms or biases this is Kaplan 2020 §2.1's
        2 d_model n_layer (2 d_attn + d_ff)."""
        return self._nonembedding(active=False)

    @property
    def params_active_nonembedding(self) -> float:
        """Non-embedding weights one token passes through (routed experts: only active_experts)."""
        return self._nonembedding(active=True)

    @property
    def params_embedding(self) -> float:
        """vocab x d_model token embedding, twice when the output projection is untied, plus a learned
        position table (position_embeddings x d_model) if the model has one."""
        tables = self.vocab * (2 if self.embeddings == "untied" else 1) + self.position_embeddings
        return float(tables) * self.d_model

    @property
    def params_total(self) -> float:
        """Non-embedding + embedding."""
        return self.params_nonembedding + self.params_embedding

    @property
    def params_active(self) -> float:
        """Active non-embedding + embedding (= params_total for a dense model)."""
        return self.params_active_nonembedding + self.params_embedding

    @property
    def params_relative(self) -> float:
        """Total plus a d_model x d_attn relative-position projection per layer: how Gopher and
        Chinchilla are counted (Table 4 gives 70.0B and 279.7B this way; Table A4's Params column)."""
        return self.params_total + float(self.layers) * self.d_model * self.d_attn

    def parameters(self) -> dict:
        """total, active, embedding and non_embedding counts."""
        return {"total": self.params_total, "active": self.params_active, "embedding": self.params_embedding,
                "non_embedding": self.params_nonembedding}

    def shape(self) -> dict:
        """Every shape field, with kv_heads, head_dim and expert_ffw_size resolved."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out.update(kv_heads=self.n_kv_heads, head_dim=self.head_dim)
        if self.is_moe and self.expert_ffw_size is None:
            out["expert_ffw_size"] = self.ffw_size
        return out


#: Every key a shape may be given with (plan files, the catalogue, the Python API).
SHAPE_KEYS = tuple(f.name for f in fields(Architecture)) + ("head_dim",)
#: Counts that may be zero.
_ZERO_OK = ("experts", "active_experts", "shared_experts", "dense_layers", "q_lora_rank", "kv_lora_rank",
            "rope_head_dim", "norms_per_layer", "position_embeddings")


def _flag(key: str, value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise InputError(f"expected true or false, got {value!r}", key)


def _checked(key: str, value):
    """One shape value: a word from its list, a flag, or a whole number (≥ 1, or ≥ 0 for _ZERO_OK)."""
    if key in WORD_KEYS:
        word = str(value).strip().lower()
        if word not in WORD_KEYS[key]:
            raise InputError(f"unknown value '{value}' (choose from {', '.join(WORD_KEYS[key])})", key)
        return word
    if key in FLAG_KEYS:
        return _flag(key, value)
    return parse_whole(value, key, low=0 if key in _ZERO_OK else 1, high=1e12)


def default_ffw(d_model: int, mlp: str) -> int:
    """Feed-forward width when none is given: 4 d_model for a GELU MLP (Kaplan 2020 §2.1); for a
    gated MLP 2/3 of that, rounded up to a multiple of 256 (Touvron et al. 2023, LLaMA §2.2 and its
    code: 11008 for d_model 4096), so the weights match a GELU MLP's."""
    if MLP_MATRICES[mlp] == 2:
        return FFW_MULTIPLE * d_model
    return 256 * -(-int(8 * d_model / 3) // 256)


def make_architecture(layers=None, d_model=None, heads=None, kv_size=None, ffw_size=None,
                      vocab=None, seq_len=None, **shape) -> Architecture:
    """Validate shapes and fill the derivable ones.

    heads and kv_size (alias head_dim): either both (d_attn = heads x kv_size may differ from
    d_model, as in some Chinchilla Table A9 models and Gemma 2), or one of them dividing d_model
    exactly (the other is d_model / it). ffw_size defaults to ``default_ffw``. Further keys: see
    ``Architecture``. Raises InputError with a one-line message otherwise.
    """
    unknown = sorted(set(shape) - set(SHAPE_KEYS))
    if unknown:
        raise InputError(f"unknown shape key '{unknown[0]}'; known: {', '.join(SHAPE_KEYS)}")
    if shape.get("head_dim") is not None:
        if kv_size is not None and parse_number(kv_size, "kv_size") != parse_number(shape["head_dim"], "head_dim"):
            raise InputError("{0} and {1} name the same size: give one of them", mentions=("head_dim", "kv_size"))
        kv_size = shape["head_dim"]
    shape.pop("head_dim", None)
    values = dict(shape, layers=layers, d_model=d_model, heads=heads, kv_size=kv_size, ffw_size=ffw_size,
                  vocab=vocab, seq_len=seq_len)
    checked = {key: _checked(key, value) for key, value in values.items() if value is not None}
    missing = [k for k in ("layers", "d_model", "vocab", "seq_len") if k not in checked]
    if missing:
        raise InputError("architecture incomplete: give " + ", ".join(f"{{{i}}}" for i in range(len(missing))),
                         mentions=tuple(missing))
    d, h, k = checked["d_model"], checked.get("heads"), checked.get("kv_size")
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
    checked.update(heads=h, kv_size=k)
    checked.setdefault("ffw_size", default_ffw(d, checked.get("mlp", "gelu")))
    _check_consistent(checked)
    return Architecture(**checked)


def _check_consistent(s: dict) -> None:
    """Relations between shape values that no single value shows."""
    kv = s.get("kv_heads")
    if kv is not None and (kv > s["heads"] or s["heads"] % kv):
        raise InputError(f"{kv} must divide {{0}} {s['heads']} (each key/value head serves a group)",
                         "kv_heads", ("heads",))
    experts, active = s.get("experts", 0), s.get("active_experts")
    moe_only = [k for k in ("active_experts", "shared_experts", "expert_ffw_size", "dense_layers", "router_bias")
                if s.get(k) and not experts]
    if moe_only:
        raise InputError("needs {0} (a mixture of experts)", moe_only[0], ("experts",))
    if experts:
        if active is None:
            if experts > 1:
                raise InputError("needs {0} (routed experts each token uses)", "experts", ("active_experts",))
            s["active_experts"] = active = 1
        if not 1 <= active <= experts:
            raise InputError(f"must be between 1 and {{0}} ({experts}), got {active}", "active_experts", ("experts",))
        if s.get("dense_layers", 0) >= s["layers"]:
            raise InputError(f"must be fewer than {{0}} ({s['layers']})", "dense_layers", ("layers",))
    mla_only = [k for k in ("q_lora_rank", "rope_head_dim") if s.get(k) and not s.get("kv_lora_rank")]
    if mla_only:
        raise InputError("needs {0} (multi-head latent attention)", mla_only[0], ("kv_lora_rank",))
    if s.get("kv_lora_rank") and kv is not None and kv != s["heads"]:
        raise InputError("multi-head latent attention has one key/value head per query head: leave it out",
                         "kv_heads")


# -- compute ---------------------------------------------------------------------------------------
def attention_context_per_token(arch: Architecture, context: float, causal: bool = False) -> dict:
    """Attention over ``context`` positions, FLOPs per token for all layers (Appendix F's S x S terms
    divided by S): logits 2 context H qk_dim, softmax 3 H context, values 2 context H v_dim.
    A causal mask halves all three (on average a token attends to half the sequence)."""
    scale = float(arch.layers) * context * (0.5 if causal else 1.0)
    return {"attention_logits": scale * 2.0 * arch.heads * arch.qk_dim,
            "attention_softmax": scale * 3.0 * arch.heads,
            "attention_values": scale * 2.0 * arch.heads * arch.v_dim}


def kaplan_forward_per_token(arch: Architecture, causal: bool = False) -> float:
    """Kaplan 2020 Table 1: C_forward = 2 N + 2 n_layer n_ctx d_attn. N: the non-embedding weight
    matrices a token passes through (active experts only); d_attn: the query/key width."""
    context = 2.0 * arch.layers * arch.seq_len * arch.heads * arch.qk_dim * (0.5 if causal else 1.0)
    return 2.0 * arch.matrix_params(active=True) + context


def kaplan_training_flops(arch: Architecture, tokens: float, causal: bool = False) -> float:
    """Kaplan 2020 Table 1: training = 3 x forward (backward = 2 x forward), times D tokens."""
    return 3.0 * kaplan_forward_per_token(arch, causal) * tokens


def chinchilla_forward_terms(arch: Architecture, causal: bool = False) -> dict:
    """Hoffmann 2022 Appendix F: forward FLOPs per sequence of seq_len tokens, term by term, each
    summed over all layers.

    QKV 2 S (Q, K and V projection weights), i.e. 2 S 3 d d_attn with full multi-head attention;
    final linear 2 S d_attn d; dense 2 S x (MLP weights a token uses); router 2 S d E (MoE only).
    ``forward_total`` = all terms; ``forward_layers`` leaves out the embedding and logit terms (the
    Table A4 convention).
    """
    s, d, v = arch.seq_len, arch.d_model, arch.vocab
    qkv, out = arch.attention_projections()
    context = attention_context_per_token(arch, s, causal)
    terms = {
        "embeddings": 2.0 * s * v * d,
        "attention_qkv": 2.0 * s * arch.layers * qkv,
        **{key: s * value for key, value in context.items()},
        "attention_linear": 2.0 * s * arch.layers * out,
        "dense": 2.0 * s * arch.ffw_weights(active=True),
    }
    if arch.is_moe:
        terms["router"] = 2.0 * s * arch.moe_layers * arch.router_weights
    terms["logits"] = 2.0 * s * d * v
    terms["forward_layers"] = sum(value for key, value in terms.items() if key not in ("embeddings", "logits"))
    terms["forward_total"] = terms["embeddings"] + terms["forward_layers"] + terms["logits"]
    return terms


def chinchilla_training_flops(arch: Architecture, tokens: float, include_embeddings: bool = True,
                              causal: bool = False) -> float:
    """Hoffmann 2022 Appendix F: 3 x forward per sequence x (tokens / seq_len).

    include_embeddings=False drops the embedding and logit terms (the Table A4 convention).
    """
    terms = chinchilla_forward_terms(arch, causal)
    forward = terms["forward_total"] if include_embeddings else terms["forward_layers"]
    return 3.0 * forward * tokens / arch.seq_len


def hardware_training_flops(arch: Architecture, tokens: float, recompute: str, causal: bool = False) -> float:
    """FLOPs the hardware executes with activation recomputation (Chowdhery et al. 2022, PaLM App. B:
    MFU counts model FLOPs, HFU these). Model FLOPs: the Appendix F count. ``full`` recomputes every
    layer's forward once more in the backward pass (≈ 8ND instead of 6ND); ``selective`` only the
    attention over the context (Korthikanti et al. 2022 §4.2); ``none`` adds nothing."""
    if recompute not in RECOMPUTE:
        raise InputError(f"unknown value '{recompute}' (choose from {', '.join(RECOMPUTE)})", "recompute")
    terms = chinchilla_forward_terms(arch, causal)
    extra = {"none": 0.0, "full": terms["forward_layers"],
             "selective": sum(terms[k] for k in ("attention_logits", "attention_softmax", "attention_values"))}
    return chinchilla_training_flops(arch, tokens, causal=causal) + extra[recompute] * tokens / arch.seq_len


def inference_flops_per_token(arch: Architecture, context: float) -> float:
    """Forward FLOPs to generate one token with ``context`` tokens in the KV cache:
    2 x (active weight matrices + the vocab x d_model output projection) + attention over the context
    (2 context H qk_dim for the scores, 2 context H v_dim for the weighted values, per layer)."""
    ctx = attention_context_per_token(arch, context)
    return 2.0 * (arch.matrix_params(active=True) + float(arch.vocab) * arch.d_model) + \
        ctx["attention_logits"] + ctx["attention_values"]


def training_flops(method: str, params: float, tokens: float, arch: Architecture | None = None,
                   causal: bool = False) -> float:
    """Training FLOPs by ``method`` (one of METHODS); kaplan and chinchilla need an architecture."""
    if method == "6nd":
        return six_nd(params, tokens)
    if method not in METHODS:
        raise InputError(f"--method: unknown method '{method}' (choose from {', '.join(METHODS)})")
    if arch is None:
        raise InputError(f"--method {method} needs an architecture: give --layers, --d-model, --heads or "
                         "--kv-size, --vocab and --seq-len, or a --model with one")
    if method == "kaplan":
        return kaplan_training_flops(arch, tokens, causal)
    return chinchilla_training_flops(arch, tokens, causal=causal)
