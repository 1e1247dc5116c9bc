"""`scalingplan flops`: training FLOPs of a model by 6ND, Kaplan's count and Chinchilla's count."""

from typing import Annotated, Optional

import typer

from scalingplan.compute import counting
from scalingplan.compute.breakdown import METHOD_NAMES, breakdown, conventions, parameter_counts
from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive
from scalingplan.output.render import Column, Table, human_count, sci
from scalingplan.constants import PF_DAY
from scalingplan.cli.common import emit
from scalingplan.cli.options import (Model, ModelConfig, OUTPUT, architecture_options,
                                     described_architecture, shape_option, with_options)

COLUMNS = [
    Column("Method", "name", "text", wrap=True),
    Column("FLOPs", "flops", "flops"),
    Column("PF-days", "pf_days", "plain"),
    Column("÷ 6ND", "ratio_to_6nd", "plain"),
]
PARAM_COLUMNS = [Column("Parameters", "name", "text", wrap=True), Column("Count", "value", "count")]
TERM_COLUMNS = [
    Column("Appendix F term", "term", "text"),
    Column("Forward FLOPs / sequence", "forward_per_sequence", "flops"),
    Column("Training FLOPs", "training_flops", "flops"),
    Column("Share", "share", "plain"),
]
HARDWARE_COLUMNS = [
    Column("Recomputation", "recompute", "text", wrap=True),
    Column("Hardware FLOPs", "hardware_flops", "flops"),
    Column("÷ model FLOPs (HFU/MFU)", "ratio_to_model", "plain"),
]
PARAM_NAMES = {
    "total": "total (non-embedding + embedding)",
    "active": "active: what one token passes through",
    "embedding": "embedding (vocab × d_model; × 2 untied)",
    "non_embedding": "non-embedding, from shapes",
    "kaplan_nonembedding": "Kaplan 12·n_layer·d_model²",
    "total_with_relative_position": "total + d_model·d_attn per layer (relative positions; how Gopher/Chinchilla are counted)",
}
RECOMPUTE_NAMES = {"none": "none", "selective": "selective (S×S attention)", "full": "full (one more forward)"}


def parameter_tables(arch: counting.Architecture) -> tuple:
    """(the parameter counts, their table): what counting needs no tokens for."""
    parameters = parameter_counts(arch)
    rows = [{"name": name, "value": parameters[k]} for k, name in PARAM_NAMES.items()]
    return parameters, Table(PARAM_COLUMNS, rows, "Parameter counts", [f"Counted with: {conventions(arch)}."])


@with_options(OUTPUT, architecture_options())
def flops(
    params: Annotated[Optional[str], typer.Option(
        "--params", help="Parameters N, e.g. 70e9 or 70B. Default: the --model's (active for a mixture of "
                         "experts), or the architecture's active count.")] = None,
    tokens: Annotated[Optional[str], typer.Option(
        "--tokens", help="Training tokens D, e.g. 1.4e12 or 1.4T. Default: the --model's.")] = None,
    model: Model = None,
    config: ModelConfig = None,
    method: Annotated[str, typer.Option(
        "--method", help="Count for the headline figure: 6nd, kaplan or chinchilla (the last two need an architecture).")] = "6nd",
    causal: Annotated[bool, typer.Option(
        "--causal", help="Count attention under a causal mask (half the context terms).")] = False,
    seq_len: shape_option("--seq-len", "Training context length in tokens. Default: 4096.") = None,
    architecture: dict = None,
    fmt: str = "table",
):
    """Training FLOPs: 6ND, and with an architecture Kaplan's and Chinchilla's counts and parameter counts.

    Examples:

    scalingplan flops --params 70e9 --tokens 1.4e12

    scalingplan flops --model chinchilla --method chinchilla

    scalingplan flops --params 1e9 --tokens 20e9 --layers 24 --d-model 2048 --heads 16 --vocab 32000 --seq-len 2048

    scalingplan flops --model mixtral-8x7b --tokens 8e12

    scalingplan flops --config Meta-Llama-3-8B

    scalingplan flops --tokens 15e12 --layers 80 --d-model 8192 --heads 64 --kv-heads 8 --ffw-size 28672 --mlp swiglu --embeddings untied --vocab 128256 --seq-len 8192
    """
    method = method.lower()
    if method not in counting.METHODS:
        raise InputError(f"--method: unknown method '{method}'; choose one of {', '.join(counting.METHODS)}")
    entry = None
    if model is not None:
        from scalingplan.catalogues.models import find_model

        entry = find_model(model)
    given = dict(architecture, seq_len=seq_len)
    arch = described_architecture(entry, given, config)
    if arch is not None and tokens is None and entry is None and params is None:
        parameters, table = parameter_tables(arch)
        table.title = (f"Parameters: {parameters['total']:,.0f} total"
                       + (f", {parameters['active']:,.0f} active" if arch.is_moe else ""))
        table.notes.append("Give --tokens for the training FLOPs.")
        emit(fmt, {"architecture": arch.shape(), "parameters": parameters,
                   "parameter_convention": conventions(arch)}, [table])
        return
    moe = arch is not None and arch.is_moe
    if params is not None:
        n, n_source = parse_positive(params, "--params"), "given"
    elif entry is not None:
        n = entry.get("active_params") or entry["params"]
        kind = "active parameters" if entry.get("active_params") else "parameters"
        n_source = f"{entry.get('display', entry['name'])} {kind} ({entry['source']})"
    elif arch is not None:
        n = arch.params_active
        n_source = ("architecture's active count (non-embedding + embedding)" if moe
                    else "architecture total (non-embedding + embedding)")
    else:
        raise InputError("give --params (or --model, or an architecture with --layers, --d-model, ...)")
    if tokens is not None:
        d = parse_positive(tokens, "--tokens")
    elif entry is not None:
        from scalingplan.catalogues.models import training_tokens

        d = training_tokens(entry, "give --tokens")
    else:
        raise InputError("give --tokens (the number of training tokens), or a --model from the catalogue")
    headline = counting.training_flops(method, n, d, arch, causal)
    payload = {"flops": headline, "pf_days": headline / PF_DAY, "method": method,
               "params": n, "tokens": d}
    if entry is not None:
        payload["model"] = entry["name"]
    kind = "active parameters" if moe and params is None else "parameters"
    title = (f"Training FLOPs for {human_count(n)} {kind} × {human_count(d)} tokens: "
             f"{sci(headline)} ({METHOD_NAMES[method]})")
    if arch is None:
        row = {"name": METHOD_NAMES["6nd"], "flops": headline, "pf_days": headline / PF_DAY, "ratio_to_6nd": 1.0}
        notes = [f"N: {n_source}.", "Give an architecture (--layers, --d-model, --heads/--kv-size, --vocab, "
                 "--seq-len) or a --model for Kaplan's and Chinchilla's counts."]
        emit(fmt, payload, [Table(COLUMNS, [row], title, notes)])
        return
    detail = breakdown(arch, n, d, causal)
    payload.update(detail)
    notes = [
        f"N: {n_source}; ratios are to 6·N·D with this N"
        + ("; a mixture of experts is counted by its active parameters." if moe else "."),
        "Kaplan: 3 × (2·N + 2·n_layer·n_ctx·d_attn) per token, N the non-embedding weight matrices a token "
        "passes through (Kaplan et al. 2020, Table 1).",
        "Chinchilla: Hoffmann et al. 2022 Appendix F, backward = 2 × forward; its Table A4 ratios use the "
        "per-layer terms only and N with the relative-position projections.",
        "Attention over the context: " + ("causal mask (half the S×S terms)." if causal else "full S×S (no causal mask)."),
    ]
    params_rows = [{"name": name, "value": detail["parameters"][k]} for k, name in PARAM_NAMES.items()]
    infer = detail["inference_flops_per_token"]
    emit(fmt, payload, [
        Table(COLUMNS, detail["counts"], title, notes),
        Table(PARAM_COLUMNS, params_rows, "Parameter counts", [f"Counted with: {detail['parameter_convention']}."]),
        Table(TERM_COLUMNS, detail["chinchilla_terms"], "Chinchilla Appendix F terms (summed over the layers)"),
        Table(HARDWARE_COLUMNS, [dict(r, recompute=RECOMPUTE_NAMES[r["recompute"]]) for r in detail["hardware"]],
              "Model vs hardware FLOPs with activation recomputation (PaLM App. B)",
              [f"Inference: {sci(infer)} FLOPs per generated token with {arch.seq_len:,} tokens of context "
               "(2 × active weights incl. the output layer + attention over the context)."]),
    ])
