"""`scalingplan memory`: training memory per GPU for a model and a parallel layout, and the layouts
that fit."""

from typing import Annotated, Optional

import typer

from scalingplan.compute import memory as mem
from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive, parse_whole
from scalingplan.output.render import Column, Table, human_count, sci
from scalingplan.cli.common import emit
from scalingplan.cli.options import Model, ModelConfig, OUTPUT, architecture_options, config_architecture, with_options


GB = 1e9
PARTS = {
    "weights": "2Ψ bytes (bf16), ÷ N_d at ZeRO 3",
    "gradients": "2Ψ (bf16) or 4Ψ (fp32) bytes, ÷ N_d at ZeRO ≥ 2",
    "optimizer": "KΨ bytes (fp32 master, m, v), ÷ N_d at ZeRO ≥ 1",
    "activations": "per layer as Korthikanti et al. 2022, by block; first stage",
    "logits": "output logits and fp32 loss buffers, ÷ tp",
    "buffers": "gradient buckets; gathered layers under ZeRO 3",
    "total": "",
}
LAYOUT_COLUMNS = [
    Column("DP", "dp", "plain"), Column("TP", "tp", "plain"), Column("PP", "pp", "plain"),
    Column("CP", "cp", "plain"), Column("ZeRO", "zero", "plain"), Column("Recompute", "recompute", "text"),
    Column("v", "interleave", "plain"), Column("GB/GPU", "total_gb", "plain"), Column("Use", "use", "text"),
    Column("Step s", "step_seconds", "plain"),
    Column("MFU", "mfu_text", "text"),
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


def model_and_shape(params=None, model=None, seq_len=None, config=None, **shape_flags) -> tuple:
    """(parameters, counting.Architecture, Shape, note, params override) from --params, --model, --config
    and/or the architecture flags of `flops` (with their defaults). With --params alone the shape is the
    default one for that count (``memory.default_shape``) and the parameters are the given count."""
    from scalingplan.cli.options import architecture_of
    from scalingplan.compute.throughput import architecture

    seq = whole(seq_len, "--seq-len")
    entry = None
    if config is not None:  # a Hugging Face config.json describes the whole model
        if model is not None or any(v is not None for v in shape_flags.values()):
            raise InputError("--config describes the whole model: give it without --model or shape flags")
        arch = config_architecture(config, seq)
        shape = mem.Shape(arch.layers, arch.d_model, arch.heads, arch.seq_len)
        value = parse_positive(params, "--params") if params is not None else arch.params_total
        return value, arch, shape, f"Shape: {shape.describe()}, from {config}.", value if params else None
    if model is not None:
        from scalingplan.catalogues.models import find_model

        entry = find_model(model)
    value = parse_positive(params, "--params") if params is not None else None
    given = {k: v for k, v in shape_flags.items() if v is not None}
    known = dict((entry or {}).get("architecture") or {})
    if given or known:
        merged = {**known, **given}
        missing = [f"--{k.replace('_', '-')}" for k in ("layers", "d_model", "heads")
                   if merged.get(k) is None and not (k == "heads" and (merged.get("kv_size") or merged.get("head_dim")))]
        if missing:
            raise InputError(f"the shape needs {', '.join(missing)} as well")
        extra = {"vocab": known.get("vocab", mem.DEFAULT_VOCAB)}
        if seq is not None or "seq_len" not in known:
            extra["seq_len"] = seq if seq is not None else mem.DEFAULT_SEQ_LEN
        # a catalogue model's own architecture, or every command's defaults for a model given by flags
        arch = architecture_of({"architecture": {**known, **extra}} if entry else None, {**extra, **given})
        shape = mem.Shape(arch.layers, arch.d_model, arch.heads, arch.seq_len)
        note = f"Shape: {shape.describe()}."
        if value is None:
            value = arch.params_total
            note += " Parameters: counted from the shape (embeddings included)."
        return value, arch, shape, note, value if params is not None else None
    if value is None:
        raise InputError("give the model: --params, --model, or --layers with --d-model and --heads")
    shape = mem.default_shape(value, seq or mem.DEFAULT_SEQ_LEN)
    arch = architecture(shape)
    return value, arch, shape, (f"Shape: {shape.describe()}: d_model = {mem.ASPECT} × layers, "
                                f"{mem.HEAD_DIM}-wide heads, 12·layers·d_model² ≈ the parameters."), value


def layout_entry(result: dict, capacity: float) -> dict:
    """A searched layout as the memory answer lists it."""
    lay, per_gpu = result["layout"], result["memory"]["per_gpu"]
    return dict({key: lay[key] for key in ("dp", "tp", "pp", "cp", "zero", "recompute", "micro_batch", "interleave")},
                per_gpu=per_gpu, memory_fraction=per_gpu["total"] / capacity, throughput=result["mfu"],
                step_seconds=result["step_seconds"], mfu=result["mfu"])


def layout_row(entry: dict) -> dict:
    return dict(entry, total_gb=entry["per_gpu"]["total"] / GB, use=f"{entry['memory_fraction']:.0%}",
                mfu_text=f"{entry['mfu']:.0%}")


@with_options(OUTPUT, architecture_options())
def memory(
    gpu: Annotated[str, typer.Option("--gpu", help="Accelerator, e.g. h100 (memory per chip: 'scalingplan hardware').")],
    params: Annotated[Optional[str], typer.Option("--params", help="Parameters, e.g. 70e9 or 70B.")] = None,
    model: Model = None,
    config: ModelConfig = None,
    seq_len: SeqLen = None,
    count: Whole("--count", "GPUs (default: dp × tp × pp × cp).") = None,
    dp: Whole("--dp", "Data-parallel ranks (default: count ÷ (tp × pp × cp)).") = None,
    tp: Whole("--tp", "Tensor-parallel size: divides the heads, within one node.") = None,
    pp: Whole("--pp", "Pipeline stages (1F1B schedule).") = None,
    cp: Whole("--cp", "Context-parallel size (the sequence split over ranks).") = None,
    interleave: Whole("--interleave", "Pipeline chunks per GPU (interleaved 1F1B).") = None,
    zero: Annotated[int, typer.Option("--zero", help="ZeRO stage 0-3 (Rajbhandari et al. 2019).")] = 0,
    recompute: Recompute = "none",
    sequence_parallel: Annotated[bool, typer.Option(
        "--sequence-parallel/--no-sequence-parallel", help="Sequence parallelism with tp > 1.")] = True,
    attention: Annotated[str, typer.Option(
        "--attention", help="flash (default: no s² scores kept) or eager (Korthikanti's 5as/h term).")] = "flash",
    grad_precision: Annotated[str, typer.Option("--grad-precision", help="bf16 or fp32 gradients.")] = "bf16",
    micro_batch: MicroBatch = "1",
    batch_tokens: Annotated[Optional[str], typer.Option(
        "--batch-tokens", help="Global batch in tokens, for the pipeline's micro-batches "
                               "(default 4M, Llama 2's).")] = None,
    optimizer_bytes: Annotated[str, typer.Option(
        "--optimizer-bytes", help="Optimizer bytes per parameter K (12: mixed-precision Adam's fp32 "
                                  "master weights, momentum and variance).")] = "12",
    architecture: dict = None,
    fmt: str = "table",
):
    """Memory per GPU (weights, gradients, optimizer, activations, logits, buffers) of a layout, whether
    it fits, and the layouts of the cluster that fit, fastest predicted step first.

    Example: scalingplan memory --params 70e9 --gpu h100 --count 8 --zero 3 --recompute full
    """
    from scalingplan.compute import throughput as T
    from scalingplan.compute.hardware import check_count, find_accelerator, wires_for

    entry = find_accelerator(gpu)
    value, arch, shape, shape_note, override = model_and_shape(params, model, seq_len, config, **architecture)
    wires = wires_for(entry)
    tp, pp, cp = whole(tp, "--tp", 1), whole(pp, "--pp", 1), whole(cp, "--cp", 1)
    if arch.heads % tp:
        raise InputError(f"{tp} does not divide the model's {arch.heads} heads", "tp")
    if tp > wires.gpus_per_node:
        raise InputError(f"{tp} reaches beyond one node of {wires.gpus_per_node} {entry['name']} "
                         f"(tensor parallelism needs NVLink)", "tp")
    model_parallel = tp * pp * cp
    count = whole(count, "--count")
    dp = whole(dp, "--dp")
    if dp is None:
        count = count or model_parallel
        if count % model_parallel:
            raise InputError(f"--count {count} is not a multiple of tp × pp × cp = {model_parallel}")
        dp = count // model_parallel
    elif count is None:
        count = dp * model_parallel
    if dp * model_parallel != count:
        raise InputError(f"dp × tp × pp × cp = {dp * model_parallel} but --count is {count}")
    check_count(count)  # layouts are searched over the count's divisors
    k = parse_positive(optimizer_bytes, "--optimizer-bytes")
    attention = attention.lower()
    if attention not in T.ATTENTIONS:
        raise InputError(f"must be flash or eager, got {attention!r}", "attention")
    grads = {"bf16": 2.0, "fp32": 4.0}.get(grad_precision.lower())
    if grads is None:
        raise InputError(f"must be bf16 or fp32, got {grad_precision!r}", "grad_precision")
    if zero not in mem.ZERO_STAGES:
        raise InputError(f"must be 0, 1, 2 or 3, got {zero!r}", "zero")
    if recompute.lower() not in mem.RECOMPUTE:
        raise InputError(f"must be one of {', '.join(mem.RECOMPUTE)}, got {recompute!r}", "recompute")
    v = whole(interleave, "--interleave", 1)
    if pp * v > arch.layers:
        raise InputError(f"{pp} stages × {v} chunks are more than the model's {arch.layers} layers", "pp")
    if arch.seq_len % cp:
        raise InputError(f"{cp} does not divide the sequence length {arch.seq_len}", "cp")
    layout = T.Layout(tp=tp, pp=pp, dp=dp, cp=cp, zero=zero, recompute=recompute.lower(),
                      sequence_parallel=sequence_parallel, interleave=v,
                      micro_batch=whole(micro_batch, "--micro-batch"))
    tokens = parse_positive(batch_tokens, "--batch-tokens") if batch_tokens else mem.DEFAULT_BATCH_TOKENS
    sequences = max(1.0, round(tokens / shape.seq_len))
    per_gpu = T.memory_per_gpu(arch, layout, sequences, attention, grads, k, override)
    capacity = entry["memory_bytes"]
    fixed = {"micro_batch": layout.micro_batch}
    layouts = [layout_entry(r, capacity) for r in
               T.search(arch, wires, count, sequences, fixed, attention, grads, params=override, optimizer_bytes=k)]
    fewest, smallest = T.fewest_gpus(arch, wires, sequences, fixed, attention, grads, override, k)
    smallest = None if smallest is None else layout_entry(smallest, capacity)
    micro_batches = T.micro_batches(sequences, layout)
    payload = {
        "model": {"params": value, "shape": {"layers": shape.layers, "d_model": shape.d_model,
                                             "heads": shape.heads, "seq_len": shape.seq_len,
                                             "assumed": shape.assumed}, "shape_note": shape_note},
        "gpu": {"name": entry["name"], "count": count, "memory_bytes": capacity, "source": entry["memory_source"]},
        "layout": dict(layout.as_dict(), attention=attention, batch_sequences=sequences, micro_batches=micro_batches),
        "optimizer": {"name": "mixed-precision Adam", "weight_bytes": mem.WEIGHT_BYTES,
                      "gradient_bytes": grads, "optimizer_bytes": k},
        "per_gpu": per_gpu,
        "memory_fraction": per_gpu["total"] / capacity,
        "fits": per_gpu["total"] <= capacity,
        "layouts": layouts,
        "fewest_gpus": {"count": fewest, "layout": smallest},
    }
    title = (f"Memory per GPU: {human_count(value)} params on {count:,} × {entry['name']} "
             f"({capacity / GB:g} GB): dp {dp}, tp {tp}, pp {pp}, cp {cp}, ZeRO {zero}, recompute {layout.recompute}")
    rows = [{"part": part, "gb": per_gpu[part] / GB, "formula": PARTS[part]} for part in PARTS]
    verdict = "fits" if payload["fits"] else "does NOT fit"
    in_flight = min(pp, max(1, micro_batches))
    notes = [f"{per_gpu['total'] / GB:.1f} GB of {capacity / GB:g} GB ({payload['memory_fraction']:.0%}): {verdict}.",
             f"Ψ = params ÷ (tp × pp) = {sci(value / (tp * pp))}; K = {k:g}; N_d = dp × cp = {dp * cp} "
             f"(ZeRO, Rajbhandari et al. 2019).",
             (f"Fewest {entry['name']} GPUs (a power of two) that fit: {fewest:,}, as dp {smallest['dp']} tp "
              f"{smallest['tp']} pp {smallest['pp']}, ZeRO {smallest['zero']}, recompute {smallest['recompute']}."
              if fewest else "No power of two up to 2^20 of these GPUs fits."),
             f"Activations: micro-batch {layout.micro_batch} × {shape.seq_len} tokens, {in_flight} in flight, "
             f"{'FlashAttention (no s² scores kept)' if attention == 'flash' else 'eager attention (s² scores kept)'}"
             f", global batch {sequences:,.0f} sequences.", shape_note]
    if micro_batches < 1:
        notes.append(f"The global batch of {sequences:,.0f} sequences is smaller than dp × micro-batch = "
                     f"{dp * layout.micro_batch:,}: give a larger --batch-tokens or fewer data-parallel ranks.")
    tables = [Table([Column("Part", "part", "text"), Column("GB", "gb", "plain"), Column("Formula", "formula", "text")],
                    rows, title, notes)]
    ranked = [layout_row(entry_) for entry_ in layouts]
    tables.append(Table(LAYOUT_COLUMNS, ranked,
                        f"Layouts of {count:,} GPUs that fit, fastest predicted step first",
                        ["Step time and MFU predicted from the hardware's wires ('scalingplan throughput'); "
                         "tensor parallelism within a node."] if ranked else
                        ["No layout of these GPUs fits: add GPUs or shorten the sequence."]))
    emit(fmt, payload, tables)
