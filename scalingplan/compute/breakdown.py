"""Every count of one model's training compute side by side: 6ND, Kaplan's and Chinchilla's counts,
Chinchilla's Appendix F terms, hardware FLOPs with recomputation and inference FLOPs per token, with the
parameter counts and their conventions (what `scalingplan flops` reports for an architecture)."""

from scalingplan.compute import counting
from scalingplan.constants import PF_DAY

METHOD_NAMES = {
    "6nd": "6ND",
    "kaplan": "Kaplan 2020 Table 1 (6N + context term)",
    "chinchilla": "Chinchilla Appendix F (all terms)",
    "chinchilla-layers": "Chinchilla Appendix F, per-layer terms only (Table A4 convention)",
}

def conventions(arch: counting.Architecture) -> str:
    """What the parameter counts include, in one line."""
    parts = [f"{arch.mlp} MLP ({counting.MLP_MATRICES[arch.mlp]} matrices)", f"{arch.embeddings} embeddings"]
    if arch.n_kv_heads != arch.heads:
        parts.append(f"{arch.n_kv_heads} key/value heads")
    if arch.kv_lora_rank:
        parts.append("multi-head latent attention")
    if arch.is_moe:
        parts.append(f"{arch.experts} experts, {arch.active_experts} active, {arch.shared_experts} shared, "
                     f"router per MoE layer")
    parts.append("no norms counted" if arch.norm == "none" else f"{arch.norm} weights counted")
    biases = [name for name, has in (("QKV", arch.qkv_bias), ("output", arch.out_bias), ("MLP", arch.mlp_bias)) if has]
    parts.append(f"{', '.join(biases)} biases" if biases else "no biases")
    if arch.position_embeddings:
        parts.append(f"{arch.position_embeddings:,} learned positions")
    return "; ".join(parts)


def parameter_counts(arch: counting.Architecture) -> dict:
    """total, active, embedding and non_embedding counts, Kaplan's 12·n_layer·d_model², and the total
    with relative-position projections (Gopher's and Chinchilla's convention)."""
    parameters = arch.parameters()
    parameters.update(kaplan_nonembedding=counting.kaplan_nonembedding_params(arch.layers, arch.d_model),
                      total_with_relative_position=arch.params_relative)
    return parameters


def breakdown(arch: counting.Architecture, params: float, tokens: float, causal: bool = False) -> dict:
    """Parameter counts, every compute count with its ratio to 6ND, Appendix F's terms, hardware
    FLOPs with recomputation and inference FLOPs per generated token."""
    six = counting.six_nd(params, tokens)
    totals = {
        "6nd": six,
        "kaplan": counting.kaplan_training_flops(arch, tokens, causal),
        "chinchilla": counting.chinchilla_training_flops(arch, tokens, causal=causal),
        "chinchilla-layers": counting.chinchilla_training_flops(arch, tokens, False, causal),
    }
    sequences = tokens / arch.seq_len
    term_rows = []
    for key, value in counting.chinchilla_forward_terms(arch, causal).items():
        if key.startswith("forward_"):
            continue
        training = 3.0 * value * sequences
        term_rows.append({"term": key, "forward_per_sequence": value, "training_flops": training,
                          "share": training / totals["chinchilla"]})
    hardware = [{"recompute": mode, "hardware_flops": (hw := counting.hardware_training_flops(arch, tokens, mode, causal)),
                 "ratio_to_model": hw / totals["chinchilla"]} for mode in counting.RECOMPUTE]
    parameters = parameter_counts(arch)
    json_only = {"nonembedding": arch.params_nonembedding}  # the old key of non_embedding, deprecated
    return {
        "architecture": arch.shape(),
        "parameters": {**parameters, **json_only},
        "parameter_convention": conventions(arch),
        "causal": causal,
        "counts": [{"method": m, "name": METHOD_NAMES[m], "flops": f, "pf_days": f / PF_DAY,
                    "ratio_to_6nd": f / six} for m, f in totals.items()],
        "chinchilla_terms": term_rows,
        "hardware": hardware,
        "inference_flops_per_token": counting.inference_flops_per_token(arch, arch.seq_len),
    }
