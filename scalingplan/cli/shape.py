"""`scalingplan shape`: propose layer counts, widths, heads and feed-forward sizes for a parameter target."""

from typing import Annotated, Optional

import typer

from scalingplan.compute import shapes
from scalingplan.compute.counting import COMMAND_DEFAULTS as DEFAULTS
from scalingplan.numbers import parse_positive
from scalingplan.output.render import Column, Table, human_count
from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT, like_settings, shape_settings, with_options

COLUMNS = [
    Column("Layers", "layers", "exact"),
    Column("Width", "d_model", "exact"),
    Column("Heads", "heads", "exact"),
    Column("KV", "kv_heads", "exact"),
    Column("FFW", "ffw_size", "exact"),
    Column("Params", "params", "count"),
    Column("Aspect", "aspect_ratio", "plain"),
    Column("Miss %", "error_percent", "plain"),
    Column("PP", "pipeline", "text"),
]
SHAPE_OPTIONS = ("mlp", "kv_heads", "head_dim", "vocab", "embeddings", "norm", "seq_len", "experts", "active_experts")


def option(text: str):
    return Annotated[Optional[str], typer.Option(help=text)]


@with_options(OUTPUT)
def shape(
    params: Annotated[str, typer.Option("--params", help="Target parameter count, e.g. 7e9 or 7B.")],
    count: Annotated[str, typer.Option(
        "--count", help="What --params counts: total, active (mixture of experts) or non-embedding.")] = "total",
    mlp: Annotated[str, typer.Option("--mlp", help="gelu, swiglu or geglu.")] = DEFAULTS["mlp"],
    kv_heads: option("Key/value heads (grouped-query attention); must divide the heads. Default: = heads.") = None,
    head_dim: Annotated[str, typer.Option("--head-dim", help="Size per head: 64 or 128.")] = "128",
    vocab: Annotated[str, typer.Option("--vocab", help="Vocabulary size.")] = str(DEFAULTS["vocab"]),
    embeddings: Annotated[str, typer.Option("--embeddings", help="tied or untied.")] = DEFAULTS["embeddings"],
    norm: Annotated[str, typer.Option("--norm", help="Norms counted: none, rmsnorm or layernorm.")] = DEFAULTS["norm"],
    experts: option("Routed experts per layer (mixture of experts).") = None,
    active_experts: option("Routed experts each token uses.") = None,
    tolerance: Annotated[str, typer.Option("--tolerance", help="Largest relative miss of the target.")] = "0.02",
    aspect_min: Annotated[str, typer.Option("--aspect-min", help="Smallest d_model / n_layer.")] = "32",
    aspect_max: Annotated[str, typer.Option("--aspect-max", help="Largest d_model / n_layer.")] = "256",
    top: Annotated[int, typer.Option("--top", help="Candidates to show.", min=1, max=100)] = 5,
    like: Annotated[Optional[str], typer.Option(
        "--like", help="A Hugging Face config.json (or model folder): take its MLP, vocabulary, embeddings, "
                       "norms, key/value heads and experts (flags given as well are overridden).")] = None,
    fmt: str = "table",
):
    """Propose shapes (layers, d_model, heads, ffw size) that hit a parameter count, ranked.

    Example: scalingplan shape --params 7e9 --mlp swiglu --kv-heads 8

    Example: scalingplan shape --params 13e9 --like Meta-Llama-3-8B/config.json
    """
    target = parse_positive(params, "--params")
    given = dict(mlp=mlp, kv_heads=kv_heads, head_dim=head_dim, vocab=vocab, embeddings=embeddings, norm=norm,
                 experts=experts, active_experts=active_experts)
    if like is not None:
        given.update(like_settings(like))
    settings = shape_settings(seq_len=str(DEFAULTS["seq_len"]), **given)
    tol = parse_positive(tolerance, "--tolerance")
    aspect = (parse_positive(aspect_min, "--aspect-min"), parse_positive(aspect_max, "--aspect-max"))
    shapes.check_search(target, tol, settings["head_dim"], aspect, count.lower())
    candidates = shapes.propose(target, count=count.lower(), tolerance=tol, aspect_range=aspect, top=top, **settings)
    for c in candidates:
        c["error_percent"] = 100 * c["error"]
        c["pipeline"] = ",".join(map(str, c["pipeline_splits"]))
    conventions = {"count": count.lower(), "tolerance": tol, "aspect_range": list(aspect),
                   "preferred_aspect": shapes.PREFERRED_ASPECT, "width_multiple": shapes.WIDTH_MULTIPLE, **settings}
    payload = {"target": target, "conventions": conventions, "candidates": candidates}
    notes = [f"{settings['mlp']} MLP, {settings['embeddings']} embeddings, vocab {settings['vocab']:,}, head dim "
             f"{settings['head_dim']}, {settings['norm']} norms counted; d_model a multiple of "
             f"{shapes.WIDTH_MULTIPLE}; ffw 4·d (GELU) or 8d/3 up to a multiple of 256 (gated).",
             f"Ranked by closeness of d_model/n_layer to {shapes.PREFERRED_ASPECT:g} within "
             f"{aspect[0]:g}–{aspect[1]:g} (Kaplan et al. 2020 Fig. 5; Levine et al. 2020), then by error.",
             "From 1B parameters: heads a multiple of 8 (8-way tensor parallelism); PP: pipeline sizes that "
             "give every stage the same number of layers."]
    if not candidates:
        notes.append("No shape within the tolerance: widen --tolerance or the aspect range, or try --head-dim 64.")
    title = f"Shapes with {human_count(target)} {count.lower()} parameters (within {100 * tol:g}%)"
    columns = COLUMNS + ([Column("Total", "total_params", "count")] if settings["experts"] else [])
    emit(fmt, payload, [Table(columns, candidates, title, notes)])
