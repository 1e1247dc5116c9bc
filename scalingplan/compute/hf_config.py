"""A Hugging Face ``config.json`` read into an ``Architecture``.

One table, ``FAMILIES``, says for each ``model_type`` which keys name which sizes and what the
family's code builds without a key for it (MLP kind, norms, biases, tied embeddings). The counts
follow the modelling code of each family in Hugging Face transformers:

| model_type   | MLP    | norms per layer        | biases                      | embeddings default |
|--------------|--------|------------------------|-----------------------------|--------------------|
| llama        | SwiGLU | 2 RMSNorm              | attention_bias, mlp_bias    | untied             |
| mistral      | SwiGLU | 2 RMSNorm              | none                        | untied             |
| mixtral      | SwiGLU experts, router   | 2 RMSNorm    | none                  | untied             |
| qwen2        | SwiGLU | 2 RMSNorm              | Q, K and V always           | untied             |
| gemma2       | GeGLU  | 4 RMSNorm (pre and post) | none                      | tied               |
| olmo2        | SwiGLU | 2 RMSNorm + QK-norm    | none                        | untied             |
| deepseek_v2/v3 | SwiGLU, MLA, shared + routed experts, leading dense layers | 2 RMSNorm + latent norms | V3's router bias | untied |
| falcon       | GELU   | 1 LayerNorm (parallel), 2 otherwise | bias (all linear) | tied               |
| gpt_neox     | GELU   | 2 LayerNorm            | all linear                  | untied             |
| gpt2         | GELU   | 2 LayerNorm            | all linear; learned positions | tied             |

Keys that do not change the parameter count (dropouts, epsilons, RoPE settings, token ids, dtypes,
sliding windows, soft-capping) are listed in ``NEUTRAL_KEYS`` and ignored; any other key that the
family does not read is refused, naming it, since it may change the count. DeepSeek-V3's
multi-token-prediction module (``num_nextn_predict_layers``) is not part of the main model
(DeepSeek-AI 2024, §2.2: 671B main parameters plus 14B for the MTP module) and is left out.

The context length (``seq_len``) is the pre-training context when the config states it
(``rope_scaling.original_max_position_embeddings``), else ``max_position_embeddings``; it matters
only to compute counts, never to parameter counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from scalingplan.compute.counting import Architecture, make_architecture
from scalingplan.errors import InputError

#: Largest config.json read (real ones are a few kilobytes).
MAX_BYTES = 1 << 20

#: Keys that never change the parameter count.
NEUTRAL_KEYS = frozenset("""
_name_or_path architectures model_type auto_map torch_dtype dtype transformers_version use_cache
bos_token_id eos_token_id pad_token_id sep_token_id decoder_start_token_id initializer_range
initializer_factor attention_dropout hidden_dropout embd_pdrop attn_pdrop resid_pdrop
summary_first_dropout classifier_dropout rms_norm_eps layer_norm_eps layer_norm_epsilon rope_theta
rope_scaling rope_parameters rope_interleave rotary_emb_base rotary_pct partial_rotary_factor
sliding_window use_sliding_window max_window_layers layer_types sliding_window_pattern
attn_logit_softcapping final_logit_softcapping query_pre_attn_scalar cache_implementation hidden_act
hidden_activation activation_function router_aux_loss_coef router_jitter_noise output_router_logits
aux_loss_alpha seq_aux norm_topk_prob routed_scaling_factor scoring_func n_group topk_group ep_size
pretraining_tp use_parallel_residual alibi n_ctx scale_attn_weights reorder_and_upcast_attn
scale_attn_by_inverse_layer_idx summary_type summary_use_proj summary_activation
summary_proj_to_labels task_specific_params use_mrope num_nextn_predict_layers tokenizer_class
apply_residual_connection_post_layernorm quantization_config sliding_window_size use_return_dict
output_attentions output_hidden_states use_bfloat16 is_decoder max_position_embeddings n_positions num_kv_heads multi_query
new_decoder_architecture parallel_attn
""".split())
"""(The last keys here are read by the families that use them; other families ignore them.)"""


@dataclass(frozen=True)
class Family:
    """How one model_type's config.json names its sizes, and what its code builds by default."""

    name: str
    mlp: str = "swiglu"
    norm: str = "rmsnorm"
    norms_per_layer: int = 2
    tied: bool = False
    keys: dict = field(default_factory=lambda: dict(
        layers="num_hidden_layers", d_model="hidden_size", heads="num_attention_heads",
        kv_heads="num_key_value_heads", ffw_size="intermediate_size", vocab="vocab_size", head_dim="head_dim"))
    #: Further keys the family reads (beyond ``keys`` and tie_word_embeddings).
    reads: tuple = ()


_GPT2_KEYS = dict(layers="n_layer", d_model="n_embd", heads="n_head", ffw_size="n_inner", vocab="vocab_size")
_DEEPSEEK = ("n_routed_experts", "num_experts_per_tok", "n_shared_experts", "moe_intermediate_size",
             "first_k_dense_replace", "moe_layer_freq", "q_lora_rank", "kv_lora_rank", "qk_rope_head_dim",
             "qk_nope_head_dim", "v_head_dim", "topk_method", "attention_bias")

FAMILIES = {
    "llama": Family("Llama", reads=("attention_bias", "mlp_bias")),
    "mistral": Family("Mistral"),
    "mixtral": Family("Mixtral", reads=("num_local_experts", "num_experts_per_tok")),
    "qwen2": Family("Qwen2"),
    "gemma2": Family("Gemma 2", mlp="geglu", norms_per_layer=4, tied=True, reads=("attention_bias",)),
    "olmo2": Family("OLMo 2", reads=("attention_bias",)),
    "deepseek_v2": Family("DeepSeek-V2", reads=_DEEPSEEK),
    "deepseek_v3": Family("DeepSeek-V3", reads=_DEEPSEEK),
    "falcon": Family("Falcon", mlp="gelu", norm="layernorm", norms_per_layer=1, tied=True,
                     keys=dict(layers="num_hidden_layers", d_model="hidden_size", heads="num_attention_heads",
                               ffw_size="ffn_hidden_size", vocab="vocab_size"),
                     reads=("bias", "multi_query", "num_kv_heads", "new_decoder_architecture", "parallel_attn",
                            "num_ln_in_parallel_attn", "activation")),
    "gpt_neox": Family("GPT-NeoX", mlp="gelu", norm="layernorm",
                       keys=dict(layers="num_hidden_layers", d_model="hidden_size", heads="num_attention_heads",
                                 ffw_size="intermediate_size", vocab="vocab_size"),
                       reads=("attention_bias",)),
    "gpt2": Family("GPT-2", mlp="gelu", norm="layernorm", tied=True, keys=_GPT2_KEYS, reads=("n_positions",)),
}


def read_config(path) -> dict:
    """The JSON object of a config.json, or of the config.json inside a model folder."""
    path = Path(path)
    if path.is_dir():
        path = path / "config.json"
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise InputError(f"--config: cannot read {path}: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"--config: {path} is larger than {MAX_BYTES // 1024} KiB; a config.json is a few KiB")
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"--config: {path} is not JSON ({str(exc).splitlines()[0][:80]})") from None
    if not isinstance(doc, dict):
        raise InputError(f"--config: {path} holds no JSON object")
    return doc


def _value(doc: dict, key: str, default=None):
    value = doc.get(key)
    return default if value is None else value


def _flag(doc: dict, key: str, default: bool) -> bool:
    value = doc.get(key, default)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise InputError(f"--config: {key} must be true or false, got {str(value)[:40]!r}")
    return value


def architecture_from_config(doc: dict, seq_len=None) -> Architecture:
    """The ``Architecture`` a config.json describes (see the module's table); InputError names a
    model_type or key it cannot count."""
    model_type = doc.get("model_type")
    if model_type not in FAMILIES:
        raise InputError(f"--config: model_type {str(model_type)[:40]!r} is not one scalingplan can count; "
                         f"known: {', '.join(FAMILIES)}")
    family = FAMILIES[model_type]
    known = NEUTRAL_KEYS | set(family.keys.values()) | set(family.reads) | {"tie_word_embeddings"}
    unknown = sorted(str(k)[:40] for k in doc if k not in known)
    if unknown:
        raise InputError(f"--config: {family.name} keys not understood (they may change the parameter count): "
                         + ", ".join(unknown))
    shape = {name: doc.get(key) for name, key in family.keys.items() if doc.get(key) is not None}
    shape.update(mlp=family.mlp, norm=family.norm, norms_per_layer=family.norms_per_layer,
                 embeddings="tied" if _flag(doc, "tie_word_embeddings", family.tied) else "untied")
    if shape.get("ffw_size") is None and family.mlp == "gelu":
        shape["ffw_size"] = 4 * int(shape.get("d_model") or 0) or None
    _family_specifics(model_type, doc, shape)
    scaling = doc.get("rope_scaling") if isinstance(doc.get("rope_scaling"), dict) else {}
    context = (seq_len or scaling.get("original_max_position_embeddings")
               or _value(doc, "max_position_embeddings") or _value(doc, "n_positions") or 2048)
    try:
        return make_architecture(seq_len=context, **{k: v for k, v in shape.items() if v is not None})
    except InputError as exc:
        raise InputError(f"--config: {exc}") from None


def _family_specifics(model_type: str, doc: dict, shape: dict) -> None:
    """Biases, experts and attention variants each family spells its own way."""
    if model_type == "llama":
        shape.update(qkv_bias=_flag(doc, "attention_bias", False), out_bias=_flag(doc, "attention_bias", False),
                     mlp_bias=_flag(doc, "mlp_bias", False))
    elif model_type == "qwen2":
        shape["qkv_bias"] = True  # Qwen2's attention always has Q, K and V biases (no key for it)
    elif model_type == "olmo2":
        shape["qk_norm"] = True
    elif model_type == "mixtral":
        shape.update(experts=doc.get("num_local_experts", 8), active_experts=doc.get("num_experts_per_tok", 2))
    elif model_type.startswith("deepseek"):
        _deepseek(doc, shape)
    elif model_type == "falcon":
        new = _flag(doc, "new_decoder_architecture", False)
        bias = _flag(doc, "bias", False)
        shape.update(qkv_bias=bias, out_bias=bias, mlp_bias=bias)
        if new:
            shape["kv_heads"] = doc.get("num_kv_heads")
        elif _flag(doc, "multi_query", True):
            shape["kv_heads"] = 1
        shape["norms_per_layer"] = 2 if new or not _flag(doc, "parallel_attn", True) else 1
        if new and doc.get("num_ln_in_parallel_attn") is not None:  # Falcon 2: one norm before both branches
            shape["norms_per_layer"] = doc["num_ln_in_parallel_attn"]
        if doc.get("activation", "gelu") != "gelu":
            raise InputError(f"--config: Falcon activation {str(doc['activation'])[:20]!r} is not counted (gelu is)")
    elif model_type == "gpt_neox":
        attention = _flag(doc, "attention_bias", True)
        shape.update(qkv_bias=attention, out_bias=attention, mlp_bias=True)
    elif model_type == "gpt2":
        shape.update(qkv_bias=True, out_bias=True, mlp_bias=True, embeddings="tied",
                     position_embeddings=_value(doc, "n_positions", 1024))
    if model_type in ("gemma2", "olmo2") and _flag(doc, "attention_bias", False):
        shape.update(qkv_bias=True, out_bias=True)


def _deepseek(doc: dict, shape: dict) -> None:
    """DeepSeek-V2/V3: multi-head latent attention; shared and routed experts after the first dense
    layers (DeepSeek-AI 2024, arXiv:2405.04434 §2.1-2.2 and arXiv:2412.19437 §2.1)."""
    if _value(doc, "moe_layer_freq", 1) != 1:
        raise InputError("--config: moe_layer_freq other than 1 (experts on every other layer) is not counted")
    if _flag(doc, "attention_bias", False):
        raise InputError("--config: attention_bias true is not counted for multi-head latent attention")
    shape.pop("kv_heads", None)  # MLA: one key/value head per query head
    shape.pop("head_dim", None)
    shape.update(kv_size=doc.get("qk_nope_head_dim"), rope_head_dim=_value(doc, "qk_rope_head_dim", 0),
                 v_head_dim=doc.get("v_head_dim"), q_lora_rank=_value(doc, "q_lora_rank", 0),
                 kv_lora_rank=_value(doc, "kv_lora_rank", 0))
    experts = _value(doc, "n_routed_experts", 0)
    if experts:
        shape.update(experts=experts, active_experts=doc.get("num_experts_per_tok"),
                     shared_experts=_value(doc, "n_shared_experts", 0),
                     expert_ffw_size=doc.get("moe_intermediate_size"),
                     dense_layers=_value(doc, "first_k_dense_replace", 0),
                     # noaux_tc routing adds a per-expert score-correction bias (arXiv:2412.19437 §2.1.2)
                     router_bias=doc.get("topk_method") == "noaux_tc")


def load_architecture(path, seq_len=None) -> tuple:
    """(Architecture, the config's model_type) from a config.json file or a model folder."""
    doc = read_config(path)
    return architecture_from_config(doc, seq_len), doc.get("model_type")
