"""`scalingplan flops`: training FLOPs of a model by 6ND, Kaplan's count and Chinchilla's count."""

from typing import Annotated, Optional

import typer

from scalingplan.compute import counting
from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive
from scalingplan.output.render import Column, Table, human_count, sci
from scalingplan.constants import PF_DAY
from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT, Model, with_options

METHOD_NAMES = {
    "6nd": "6ND",
    "kaplan": "Kaplan 2020 Table 1 (6N + context term)",
    "chinchilla": "Chinchilla Appendix F (all terms)",
    "chinchilla-layers": "Chinchilla Appendix F, per-layer terms only (Table A4 convention)",
}
COLUMNS = [
    Column("Method", "name", "text"),
    Column("FLOPs", "flops", "flops"),
    Column("PF-days", "pf_days", "plain"),
    Column("÷ 6ND", "ratio_to_6nd", "plain"),
]
PARAM_COLUMNS = [Column("Parameters", "name", "text"), Column("Count", "value", "count")]
TERM_COLUMNS = [
    Column("Appendix F term", "term", "text"),
    Column("Forward FLOPs / sequence", "forward_per_sequence", "flops"),
    Column("Training FLOPs", "training_flops", "flops"),
    Column("Share", "share", "plain"),
]
PARAM_NAMES = {
    "kaplan_nonembedding": "Kaplan 12·n_layer·d_model²",
    "nonembedding": "non-embedding, from shapes",
    "embedding": "token embedding (vocab × d_model)",
    "total": "total (non-embedding + embedding)",
    "total_with_relative_position": "total + d_model·d_attn per layer (relative positions; how Gopher/Chinchilla are counted)",
}
ARCH_KEYS = ("layers", "d_model", "heads", "kv_size", "ffw_size", "vocab", "seq_len")


def shape_option(flag: str, text: str):
    return Annotated[Optional[str], typer.Option(flag, help=text, rich_help_panel="Architecture")]


def architecture_of(model: Optional[dict], given: dict) -> Optional[counting.Architecture]:
    """The catalogue model's architecture with any shape the user gave on top, or None."""
    shapes = dict((model or {}).get("architecture") or {})
    shapes.update({k: v for k, v in given.items() if v is not None})
    if not shapes:
        return None
    return counting.make_architecture(**{k: shapes.get(k) for k in ARCH_KEYS})


def breakdown(arch: counting.Architecture, params: float, tokens: float) -> dict:
    """Parameter counts, every compute count with its ratio to 6ND, and Appendix F's terms."""
    six = counting.six_nd(params, tokens)
    totals = {
        "6nd": six,
        "kaplan": counting.kaplan_training_flops(arch, tokens),
        "chinchilla": counting.chinchilla_training_flops(arch, tokens),
        "chinchilla-layers": counting.chinchilla_training_flops(arch, tokens, include_embeddings=False),
    }
    terms = counting.chinchilla_forward_terms(arch)
    sequences = tokens / arch.seq_len
    term_rows = []
    for key, value in terms.items():
        if key.startswith("forward_"):
            continue
        layers = 1 if key in ("embeddings", "logits") else arch.layers
        training = 3.0 * value * layers * sequences
        term_rows.append({"term": key if layers == 1 else f"{key} (× {arch.layers} layers)",
                          "forward_per_sequence": value * layers, "training_flops": training,
                          "share": training / totals["chinchilla"]})
    return {
        "architecture": {k: getattr(arch, k) for k in ARCH_KEYS},
        "parameters": {
            "kaplan_nonembedding": counting.kaplan_nonembedding_params(arch.layers, arch.d_model),
            "nonembedding": arch.params_nonembedding,
            "embedding": arch.params_embedding,
            "total": arch.params_total,
            "total_with_relative_position": arch.params_relative,
        },
        "counts": [{"method": m, "name": METHOD_NAMES[m], "flops": f, "pf_days": f / PF_DAY,
                    "ratio_to_6nd": f / six} for m, f in totals.items()],
        "chinchilla_terms": term_rows,
    }


@with_options(OUTPUT)
def flops(
    params: Annotated[Optional[str], typer.Option(
        "--params", help="Parameters N, e.g. 70e9 or 70B. Default: the --model's, or the architecture's total.")] = None,
    tokens: Annotated[Optional[str], typer.Option(
        "--tokens", help="Training tokens D, e.g. 1.4e12 or 1.4T. Default: the --model's.")] = None,
    model: Model = None,
    method: Annotated[str, typer.Option(
        "--method", help="Count for the headline figure: 6nd, kaplan or chinchilla (the last two need an architecture).")] = "6nd",
    layers: shape_option("--layers", "Number of transformer layers.") = None,
    d_model: shape_option("--d-model", "Residual stream width.") = None,
    heads: shape_option("--heads", "Attention heads (d_attn = heads × kv-size).") = None,
    kv_size: shape_option("--kv-size", "Key/value size per head. Give --heads, --kv-size or both.") = None,
    ffw_size: shape_option("--ffw-size", "Feed-forward width. Default: 4 × d-model.") = None,
    vocab: shape_option("--vocab", "Vocabulary size.") = None,
    seq_len: shape_option("--seq-len", "Training context length in tokens.") = None,
    fmt: str = "table",
):
    """Training FLOPs: 6ND, and with an architecture Kaplan's and Chinchilla's counts and parameter counts.

    Examples:

    scalingplan flops --params 70e9 --tokens 1.4e12

    scalingplan flops --model chinchilla --method chinchilla

    scalingplan flops --params 1e9 --tokens 20e9 --layers 24 --d-model 2048 --heads 16 --vocab 32000 --seq-len 2048
    """
    method = method.lower()
    if method not in counting.METHODS:
        raise InputError(f"--method: unknown method '{method}'; choose one of {', '.join(counting.METHODS)}")
    entry = None
    if model is not None:
        from scalingplan.catalogues.models import find_model

        entry = find_model(model)
    given = dict(layers=layers, d_model=d_model, heads=heads, kv_size=kv_size, ffw_size=ffw_size,
                 vocab=vocab, seq_len=seq_len)
    arch = architecture_of(entry, given)
    if params is not None:
        n, n_source = parse_positive(params, "--params"), "given"
    elif entry is not None:
        n, n_source = entry["params"], f"{entry.get('display', entry['name'])} ({entry['source']})"
    elif arch is not None:
        n, n_source = arch.params_total, "architecture total (non-embedding + embedding)"
    else:
        raise InputError("give --params (or --model, or an architecture with --layers, --d-model, ...)")
    if tokens is not None:
        d = parse_positive(tokens, "--tokens")
    elif entry is not None:
        d = entry["tokens"]
    else:
        raise InputError("give --tokens (the number of training tokens), or a --model from the catalogue")
    headline = counting.training_flops(method, n, d, arch)
    payload = {"flops": headline, "pf_days": headline / PF_DAY, "method": method,
               "params": n, "tokens": d}
    if entry is not None:
        payload["model"] = entry["name"]
    title = (f"Training FLOPs for {human_count(n)} parameters × {human_count(d)} tokens: "
             f"{sci(headline)} ({METHOD_NAMES[method]})")
    if arch is None:
        row = {"name": METHOD_NAMES["6nd"], "flops": headline, "pf_days": headline / PF_DAY, "ratio_to_6nd": 1.0}
        notes = [f"N: {n_source}.", "Give an architecture (--layers, --d-model, --heads/--kv-size, --vocab, "
                 "--seq-len) or a --model for Kaplan's and Chinchilla's counts."]
        emit(fmt, payload, [Table(COLUMNS, [row], title, notes)])
        return
    detail = breakdown(arch, n, d)
    payload.update(detail)
    notes = [
        f"N: {n_source}; ratios are to 6·N·D with this N.",
        "Kaplan: 3 × (2·N_non-embedding + 2·n_layer·n_ctx·d_attn) per token (Kaplan et al. 2020, Table 1).",
        "Chinchilla: Hoffmann et al. 2022 Appendix F, backward = 2 × forward; its Table A4 ratios use the "
        "per-layer terms only and N with the relative-position projections.",
    ]
    params_rows = [{"name": PARAM_NAMES[k], "value": v} for k, v in detail["parameters"].items()]
    emit(fmt, payload, [
        Table(COLUMNS, detail["counts"], title, notes),
        Table(PARAM_COLUMNS, params_rows, "Parameter counts"),
        Table(TERM_COLUMNS, detail["chinchilla_terms"], "Chinchilla Appendix F terms (attention and dense: all layers)"),
    ])
