"""`scalingplan memory`: training memory per GPU for a model and a parallel layout, and the layouts
that fit."""

from typing import Annotated, Optional

import typer

from scalingplan.compute import memory as mem
from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive, parse_whole
from scalingplan.output.render import Column, Table, human_count, sci
from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT, Model, with_options

GB = 1e9
PARTS = {
    "weights": "2Ψ bytes (bf16), ÷ N_d at ZeRO 3",
    "gradients": "2Ψ bytes (bf16), ÷ N_d at ZeRO ≥ 2",
    "optimizer": "KΨ bytes (fp32 master, m, v), ÷ N_d at ZeRO ≥ 1",
    "activations": "Korthikanti Table 2 × layers (1F1B first stage)",
    "total": "",
}
LAYOUT_COLUMNS = [
    Column("DP", "dp", "plain"), Column("TP", "tp", "plain"), Column("PP", "pp", "plain"),
    Column("ZeRO", "zero", "plain"), Column("Recompute", "recompute", "text"),
    Column("GB/GPU", "total_gb", "plain"), Column("Use", "use", "text"),
    Column("Throughput", "throughput", "plain"),
]

Whole = lambda flag, text: Annotated[Optional[str], typer.Option(flag, help=text)]  # noqa: E731
SeqLen = Annotated[Optional[str], typer.Option(
    "--seq-len", help=f"Sequence length in tokens (default {mem.DEFAULT_SEQ_LEN}, or the --model's).")]
Recompute = Annotated[str, typer.Option(
    "--recompute", help="Activation recomputation: none, selective (Korthikanti et al. 2022) or full.")]
MicroBatch = Annotated[str, typer.Option("--micro-batch", help="Sequences per micro-batch per GPU.")]


def whole(value, flag: str, default=None):
    """A positive whole number from the command line, or ``default`` when not given."""
    return default if value is None else parse_whole(value, flag)


def model_and_shape(params=None, model=None, layers=None, d_model=None, heads=None, seq_len=None) -> tuple:
    """(parameters, Shape, note) from --params, --model and/or --layers --d-model --heads --seq-len."""
    seq = whole(seq_len, "--seq-len")
    given = {"layers": whole(layers, "--layers"), "d_model": whole(d_model, "--d-model"),
             "heads": whole(heads, "--heads")}
    entry = None
    if model is not None:
        from scalingplan.catalogues.models import find_model

        entry = find_model(model)
    value = parse_positive(params, "--params") if params is not None else (entry or {}).get("params")
    shapes = dict((entry or {}).get("architecture") or {})
    shapes.update({k: v for k, v in given.items() if v is not None})
    if any(v is not None for v in given.values()) or shapes:
        missing = [f"--{k.replace('_', '-')}" for k in ("layers", "d_model", "heads")
                   if shapes.get(k) is None and not (k == "heads" and shapes.get("kv_size"))]
        if missing:
            raise InputError(f"the shape needs {', '.join(missing)} as well")
        shape = mem.shape_of(shapes, seq if seq is not None else shapes.get("seq_len", mem.DEFAULT_SEQ_LEN))
        note = f"Shape: {shape.describe()}."
        if value is None:
            from scalingplan.compute.counting import kaplan_nonembedding_params

            value = kaplan_nonembedding_params(shape.layers, shape.d_model)
            note += " Parameters: 12·layers·d_model² (Kaplan 2020 §2.1, non-embedding)."
        return value, shape, note
    if value is None:
        raise InputError("give the model: --params, --model, or --layers with --d-model and --heads")
    shape = mem.default_shape(value, seq or mem.DEFAULT_SEQ_LEN)
    return value, shape, (f"Shape: {shape.describe()}: d_model = {mem.ASPECT} × layers, "
                          f"{mem.HEAD_DIM}-wide heads, 12·layers·d_model² ≈ the parameters.")


def layout_row(entry: dict) -> dict:
    return dict(entry, total_gb=entry["per_gpu"]["total"] / GB, use=f"{entry['memory_fraction']:.0%}")


@with_options(OUTPUT)
def memory(
    gpu: Annotated[str, typer.Option("--gpu", help="Accelerator, e.g. h100 (memory per chip: 'scalingplan hardware').")],
    params: Annotated[Optional[str], typer.Option("--params", help="Parameters, e.g. 70e9 or 70B.")] = None,
    model: Model = None,
    layers: Whole("--layers", "Transformer layers (with --d-model and --heads).") = None,
    d_model: Whole("--d-model", "Hidden size.") = None,
    heads: Whole("--heads", "Attention heads.") = None,
    seq_len: SeqLen = None,
    count: Whole("--count", "GPUs (default: dp × tp × pp).") = None,
    dp: Whole("--dp", "Data-parallel ranks (default: count ÷ (tp × pp)).") = None,
    tp: Whole("--tp", "Tensor-parallel size (sequence parallelism assumed when above 1).") = None,
    pp: Whole("--pp", "Pipeline stages (1F1B schedule).") = None,
    zero: Annotated[int, typer.Option("--zero", help="ZeRO stage 0-3 (Rajbhandari et al. 2019).")] = 0,
    recompute: Recompute = "none",
    micro_batch: MicroBatch = "1",
    batch_tokens: Annotated[Optional[str], typer.Option(
        "--batch-tokens", help="Global batch in tokens, for the pipeline's micro-batches "
                               "(default 4M, Llama 2's).")] = None,
    optimizer_bytes: Annotated[str, typer.Option(
        "--optimizer-bytes", help="Optimizer bytes per parameter K (12: mixed-precision Adam's fp32 "
                                  "master weights, momentum and variance).")] = "12",
    fmt: str = "table",
):
    """Memory per GPU (weights, gradients, optimizer, activations) of a layout, whether it fits, and
    the layouts of the cluster that fit, by expected throughput.

    Example: scalingplan memory --params 70e9 --gpu h100 --count 8 --zero 3 --recompute full
    """
    from scalingplan.compute.hardware import find_accelerator

    entry = find_accelerator(gpu)
    value, shape, shape_note = model_and_shape(params, model, layers, d_model, heads, seq_len)
    tp, pp = whole(tp, "--tp", 1), whole(pp, "--pp", 1)
    count = whole(count, "--count")
    dp = whole(dp, "--dp")
    if dp is None:
        count = count or tp * pp
        if count % (tp * pp):
            raise InputError(f"--count {count} is not a multiple of tp × pp = {tp * pp}")
        dp = count // (tp * pp)
    elif count is None:
        count = dp * tp * pp
    if dp * tp * pp != count:
        raise InputError(f"dp × tp × pp = {dp * tp * pp} but --count is {count}")
    from scalingplan.compute.hardware import check_count

    check_count(count)  # layouts are searched over the count's divisors
    k = parse_positive(optimizer_bytes, "--optimizer-bytes")
    layout = mem.check_layout(mem.Layout(dp, tp, pp, zero, recompute.lower(), whole(micro_batch, "--micro-batch")),
                              shape)
    tokens = parse_positive(batch_tokens, "--batch-tokens") if batch_tokens else mem.DEFAULT_BATCH_TOKENS
    sequences = max(1.0, round(tokens / shape.seq_len))
    per_gpu = mem.per_gpu(value, shape, layout, sequences, k)
    capacity = entry["memory_bytes"]
    layouts = mem.fitting_layouts(value, shape, count, capacity, sequences, layout.micro_batch,
                                  optimizer_bytes=k)
    fewest, smallest = mem.fewest_gpus(value, shape, capacity, sequences, layout.micro_batch, k)
    payload = {
        "model": {"params": value, "shape": {"layers": shape.layers, "d_model": shape.d_model,
                                             "heads": shape.heads, "seq_len": shape.seq_len,
                                             "assumed": shape.assumed}, "shape_note": shape_note},
        "gpu": {"name": entry["name"], "count": count, "memory_bytes": capacity, "source": entry["memory_source"]},
        "layout": dict(layout.__dict__, sequence_parallel=tp > 1, batch_sequences=sequences,
                       micro_batches=mem.micro_batches(sequences, layout)),
        "optimizer": {"name": "mixed-precision Adam", "weight_bytes": mem.WEIGHT_BYTES,
                      "gradient_bytes": mem.GRADIENT_BYTES, "optimizer_bytes": k},
        "per_gpu": per_gpu,
        "memory_fraction": per_gpu["total"] / capacity,
        "fits": per_gpu["total"] <= capacity,
        "layouts": layouts,
        "fewest_gpus": {"count": fewest, "layout": smallest},
    }
    title = (f"Memory per GPU: {human_count(value)} params on {count:,} × {entry['name']} "
             f"({capacity / GB:g} GB): dp {dp}, tp {tp}, pp {pp}, ZeRO {zero}, recompute {layout.recompute}")
    rows = [{"part": part, "gb": per_gpu[part] / GB, "formula": PARTS[part]} for part in PARTS]
    verdict = "fits" if payload["fits"] else "does NOT fit"
    notes = [f"{per_gpu['total'] / GB:.1f} GB of {capacity / GB:g} GB ({payload['memory_fraction']:.0%}): {verdict}.",
             f"Ψ = params ÷ (tp × pp) = {sci(value / (tp * pp))}; K = {k:g}; N_d = {dp} "
             f"(ZeRO, Rajbhandari et al. 2019).",
             (f"Fewest {entry['name']} GPUs (a power of two) that fit: {fewest:,}, as dp {smallest['dp']} tp "
              f"{smallest['tp']} pp {smallest['pp']}, ZeRO {smallest['zero']}, recompute {smallest['recompute']}."
              if fewest else "No power of two up to 2^20 of these GPUs fits."),
             f"Activations: micro-batch {layout.micro_batch} × {shape.seq_len} tokens, "
             f"{mem.in_flight(layout, payload['layout']['micro_batches'])} in flight, global batch "
             f"{sequences:,.0f} sequences.", shape_note]
    if payload["layout"]["micro_batches"] < 1:
        notes.append(f"The global batch of {sequences:,.0f} sequences is smaller than dp × micro-batch = "
                     f"{dp * layout.micro_batch:,}: give a larger --batch-tokens or fewer data-parallel ranks.")
    tables = [Table([Column("Part", "part", "text"), Column("GB", "gb", "plain"), Column("Formula", "formula", "text")],
                    rows, title, notes)]
    ranked = [layout_row(entry_) for entry_ in layouts]
    tables.append(Table(LAYOUT_COLUMNS, ranked,
                        f"Layouts of {count:,} GPUs that fit, best expected throughput first",
                        ["Throughput: 1 − pipeline bubble (p−1)/(m+p−1), ÷ 4/3 with full recomputation; "
                         "tensor parallelism within an 8-GPU node."] if ranked else
                        ["No layout of these GPUs fits: add GPUs or shorten the sequence."]))
    emit(fmt, payload, tables)
