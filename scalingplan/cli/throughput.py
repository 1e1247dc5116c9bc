"""`scalingplan throughput`: predicted step time, tokens per second and MFU of a model on a cluster, for a
given layout or the fastest layout that fits."""

from typing import Annotated, Optional

import typer

from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive, parse_whole
from scalingplan.output.render import Column, Table, human_count
from scalingplan.cli.common import emit
from scalingplan.cli.options import (Model, ModelConfig, OUTPUT, architecture_options,
                                     described_architecture, shape_option, with_options)

Opt = lambda flag, text, panel="Layout": Annotated[Optional[str], typer.Option(flag, help=text, rich_help_panel=panel)]  # noqa: E731
PARTS = ("compute", "memory_bound", "tp_comm", "pp_comm", "dp_comm", "zero_comm", "cp_comm", "ep_comm", "bubble",
         "optimizer")
BREAKDOWN_COLUMNS = [Column("Where the time goes", "part", "text"), Column("Seconds", "seconds", "plain"),
                     Column("Share", "share", "text")]
LAYOUT_COLUMNS = [Column("TP", "tp", "plain"), Column("PP", "pp", "plain"), Column("DP", "dp", "plain"),
                  Column("CP", "cp", "plain"), Column("EP", "ep", "plain"), Column("ZeRO", "zero", "plain"),
                  Column("Recompute", "recompute", "text"), Column("μb", "micro_batch", "plain"),
                  Column("v", "interleave", "plain"), Column("Step s", "step_seconds", "plain"),
                  Column("MFU", "mfu_text", "text"), Column("GB", "gb", "plain")]


def _whole(value, flag):
    return None if value is None else parse_whole(value, flag)


@with_options(OUTPUT, architecture_options())
def throughput(
    gpu: Annotated[str, typer.Option("--gpu", help="Accelerator, e.g. h100 (see 'scalingplan hardware').")],
    count: Annotated[str, typer.Option("--count", help="Number of accelerators.")],
    model: Model = None,
    config: ModelConfig = None,
    seq_len: shape_option("--seq-len", "Training context length in tokens. Default: 4096.") = None,
    tp: Opt("--tp", "Tensor-parallel size (default: searched).") = None,
    pp: Opt("--pp", "Pipeline stages (default: searched).") = None,
    dp: Opt("--dp", "Data-parallel ranks (default: searched).") = None,
    cp: Opt("--cp", "Context-parallel size (default: searched).") = None,
    ep: Opt("--ep", "Expert-parallel size (default: searched).") = None,
    zero: Opt("--zero", "ZeRO stage 0-3 (default: searched).") = None,
    recompute: Opt("--recompute", "none, selective or full (default: searched).") = None,
    sequence_parallel: Annotated[Optional[bool], typer.Option(
        "--sequence-parallel/--no-sequence-parallel", help="Sequence parallelism with tp > 1 (default: on).",
        rich_help_panel="Layout")] = None,
    interleave: Opt("--interleave", "Pipeline chunks per GPU, V (default: searched).") = None,
    micro_batch: Opt("--micro-batch", "Sequences per micro-batch, M (default: searched).") = None,
    global_batch: Opt("--global-batch", "Sequences per step (default: 4M tokens' worth).") = None,
    precision: Opt("--precision", "bf16, fp16 or fp8 (the peak the GEMMs run at).") = "bf16",
    attention: Opt("--attention", "flash (default) or eager (scores through HBM).") = "flash",
    grad_precision: Opt("--grad-precision", "bf16 or fp32 gradients (reduction and memory).") = "bf16",
    hbm_gbps: Opt("--hbm-gbps", "Override the HBM bandwidth per GPU, GB/s.", "Wires") = None,
    link_gbps: Opt("--link-gbps", "Override the NVLink (ICI) bandwidth per GPU, one way, GB/s.", "Wires") = None,
    gpus_per_node: Opt("--gpus-per-node", "Override the GPUs per NVLink domain.", "Wires") = None,
    network_gbps: Opt("--network-gbps", "Override the network bandwidth per GPU, one way, GB/s.", "Wires") = None,
    architecture: dict = None,
    fmt: str = "table",
):
    """Predicted step time, tokens/s, MFU and HFU, and where the time goes; layout options left out are
    searched (the fastest layout that fits).

    Example: scalingplan throughput --model llama-3.1-405b --gpu h100 --count 16384 --tp 8 --pp 16

    Example: scalingplan throughput --config Meta-Llama-3-8B --gpu h100 --count 64
    """
    from scalingplan.compute import throughput as T
    from scalingplan.compute.hardware import check_count, wires_for

    entry = None
    if model is not None:
        from scalingplan.catalogues.models import find_model

        entry = find_model(model)
    given = dict(architecture, seq_len=seq_len)
    arch = described_architecture(entry, given, config)
    if arch is None:
        raise InputError("give the model: --model, --config, or --layers, --d-model and --heads")
    attention = str(attention).lower()
    if attention not in T.ATTENTIONS:
        raise InputError(f"must be flash or eager, got {attention!r}", "attention")
    grads = {"bf16": 2.0, "fp32": 4.0}.get(str(grad_precision).lower())
    if grads is None:
        raise InputError(f"must be bf16 or fp32, got {grad_precision!r}", "grad_precision")
    wires = wires_for(gpu, precision, hbm_gbps, link_gbps, gpus_per_node, network_gbps)
    n = check_count(count)
    batch = (parse_positive(global_batch, "--global-batch") if global_batch is not None
             else max(1.0, round(4 * 2 ** 20 / arch.seq_len)))
    if batch != int(batch):
        raise InputError(f"must be a whole number of sequences, got {global_batch!r}", "global_batch")
    fixed = {"tp": _whole(tp, "--tp"), "pp": _whole(pp, "--pp"), "dp": _whole(dp, "--dp"), "cp": _whole(cp, "--cp"),
             "ep": _whole(ep, "--ep"), "interleave": _whole(interleave, "--interleave"),
             "micro_batch": _whole(micro_batch, "--micro-batch"), "sequence_parallel": sequence_parallel}
    if zero is not None:
        fixed["zero"] = parse_whole(zero, "--zero", low=0, high=3)
    if recompute is not None:
        if recompute.lower() not in T.RECOMPUTE:
            raise InputError(f"must be one of {', '.join(T.RECOMPUTE)}, got {recompute!r}", "recompute")
        fixed["recompute"] = recompute.lower()
    fixed = {k: v for k, v in fixed.items() if v is not None}
    names = ("tp", "pp", "dp", "cp", "zero", "recompute", "interleave", "micro_batch")
    if all(k in fixed for k in ("tp", "pp", "cp")) and "dp" not in fixed:
        fixed["dp"] = n // (fixed["tp"] * fixed["pp"] * fixed["cp"])
    if all(k in fixed for k in ("tp", "pp", "dp", "cp")):
        if fixed["tp"] * fixed["pp"] * fixed["dp"] * fixed["cp"] != n:
            raise InputError(f"tp × pp × dp × cp = {fixed['tp'] * fixed['pp'] * fixed['dp'] * fixed['cp']} "
                             f"but --count is {n}")
        layout = T.Layout(**{"ep": 1, "zero": 0, "recompute": "none", "interleave": 1, "micro_batch": 1,
                             "sequence_parallel": fixed["tp"] > 1, **fixed})
        T.check_layout(arch, wires, layout, batch)
    for key in ("tp", "pp", "dp", "cp", "ep"):
        if key in fixed and n % fixed[key]:
            raise InputError(f"{fixed[key]} does not divide --count {n}", key)
    if "tp" in fixed:
        T.check_layout(arch, wires, T.Layout(tp=fixed["tp"]), batch)
    layouts = T.search(arch, wires, n, batch, fixed, attention, grads)
    if not layouts:
        raise InputError(f"no layout of {n:,} × {wires.name} with these options fits in "
                         f"{wires.memory_bytes / 1e9:g} GB per GPU: add GPUs, or free a layout option")
    best = layouts[0]
    payload = {key: best[key] for key in ("step_seconds", "tokens_per_second", "mfu", "hfu", "model_tflops_per_gpu",
                                          "hardware_tflops_per_gpu", "layout", "breakdown", "memory")}
    payload.update(micro_batches=best["micro_batches"], global_batch=batch, seq_len=arch.seq_len,
                   gpu={"name": wires.name, "count": n, "peak_flops": wires.peak_flops,
                        "hbm_bandwidth": wires.hbm_bandwidth, "link_bandwidth": wires.link_bandwidth,
                        "gpus_per_node": wires.gpus_per_node, "network_bandwidth": wires.network_bandwidth,
                        "memory_bytes": wires.memory_bytes, "gemm_efficiency": wires.gemm_efficiency},
                   precision=str(precision).lower(), attention=attention, searched=sorted(set(names) - fixed.keys()),
                   layouts=[{k: r[k] for k in ("step_seconds", "tokens_per_second", "mfu", "layout")}
                            | {"memory_gb": r["memory"]["per_gpu"]["total"] / 1e9} for r in layouts])
    step = best["step_seconds"]
    rows = [{"part": part.replace("_", " "), "seconds": best["breakdown"][part],
             "share": f"{best['breakdown'][part] / step:.0%}"} for part in PARTS if best["breakdown"][part] > 0]
    lay = best["layout"]
    title = (f"{human_count(arch.params_total)} params on {n:,} × {wires.name}: step {step:.3g} s, "
             f"MFU {best['mfu']:.1%}, {human_count(best['tokens_per_second'])} tokens/s")
    notes = [f"Layout: tp {lay['tp']} pp {lay['pp']} dp {lay['dp']} cp {lay['cp']} ep {lay['ep']}, ZeRO {lay['zero']}, "
             f"recompute {lay['recompute']}, micro-batch {lay['micro_batch']}, interleave {lay['interleave']}"
             + (" (searched: " + ", ".join(payload["searched"]) + ")" if payload["searched"] else "") + ".",
             f"HFU {best['hfu']:.1%}; {best['model_tflops_per_gpu']:.0f} model TFLOP/s per GPU; "
             f"{best['memory']['per_gpu']['total'] / 1e9:.1f} GB per GPU.",
             "MFU: model FLOPs as PaLM App. B counts them (attention included); HFU adds recomputation."]
    alternatives = [dict(r["layout"], step_seconds=r["step_seconds"], mfu_text=f"{r['mfu']:.1%}",
                         gb=r["memory"]["per_gpu"]["total"] / 1e9) for r in layouts]
    emit(fmt, payload, [Table(BREAKDOWN_COLUMNS, rows, title, notes),
                        Table(LAYOUT_COLUMNS, alternatives, "Fastest layouts that fit")])
