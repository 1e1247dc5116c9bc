"""`scalingplan hardware` and `scalingplan models`: the shipped catalogues, with their sources."""

from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT, with_options
from scalingplan.output.render import Column, Table

HARDWARE_COLUMNS = [Column("Accelerator", "name", "text"), Column("Aliases", "aliases", "text", wrap=True),
                    Column("Peak TFLOP/s", "peak_tflops", "plain"), Column("Precision", "precision", "text"),
                    Column("GB", "memory_gb", "plain"), Column("kW", "tdp_kw", "plain")]
WIRES_COLUMNS = [Column("Accelerator", "name", "text"), Column("HBM TB/s", "hbm_tbps", "plain"),
                 Column("Link GB/s", "link_gbps", "plain"), Column("Per node", "gpus_per_node", "plain"),
                 Column("Net GB/s", "network_gbps", "plain"), Column("FP8 TFLOP/s", "fp8_tflops", "plain"),
                 Column("GEMM", "gemm_efficiency", "plain")]
MODEL_COLUMNS = [Column("Model", "name", "text"), Column("Params", "params", "count"),
                 Column("Tokens", "tokens", "count"), Column("Tokens/param", "tokens_per_param", "plain"),
                 Column("FLOPs (6ND)", "flops", "flops")]


@with_options(OUTPUT)
def hardware(fmt: str = "table"):
    """List the accelerator catalogue: peak dense throughput per chip, precision and source.

    Example: scalingplan hardware --json
    """
    from scalingplan.compute.hardware import load_catalogue

    catalogue = load_catalogue()
    rows = [{"name": a["name"], "aliases": ", ".join(a["aliases"]), "peak_flops": a["peak_flops"],
             "peak_tflops": a["peak_flops"] / 1e12, "precision": a["precision"], "source": a["source"],
             "memory_bytes": a["memory_bytes"], "memory_gb": a["memory_bytes"] / 1e9, "tdp_watts": a["tdp_watts"],
             "tdp_kw": a["tdp_watts"] and a["tdp_watts"] / 1000, "memory_source": a["memory_source"],
             "hbm_bandwidth": a["hbm_bandwidth"], "link_bandwidth": a["link_bandwidth"],
             "gpus_per_node": a["gpus_per_node"], "network_bandwidth": a["network_bandwidth"],
             "fp8_flops": a["fp8_flops"], "gemm_efficiency": a["gemm_efficiency"], "wires_source": a["wires_source"],
             "hbm_tbps": a["hbm_bandwidth"] / 1e12, "link_gbps": a["link_bandwidth"] / 1e9,
             "network_gbps": a["network_bandwidth"] / 1e9, "fp8_tflops": a["fp8_flops"] and a["fp8_flops"] / 1e12}
            for a in catalogue["accelerators"]]
    notes = [f"Default {name} {catalogue[key]:g}: {catalogue[key + '_source']}" for name, key in
             (("MFU", "default_mfu"), ("PUE", "default_pue"), ("grid intensity (kg CO2e/kWh)", "default_grid_intensity"))]
    notes.append("GB: memory per chip; kW: maximum board power (TDP); from vendor datasheets (memory_source "
                 "in --json). Google publishes no per-chip TDP for TPUs.")
    payload = {key: catalogue[key] for key in ("default_mfu", "default_mfu_source", "default_pue", "default_pue_source",
                                               "default_grid_intensity", "default_grid_intensity_source")}
    payload["accelerators"] = rows
    wires = ["Per chip, one way: HBM bandwidth, NVLink/NVSwitch (TPU ICI, AMD Infinity Fabric) into a node "
             "or pod of 'Per node' chips, network between nodes; GEMM: the fraction of peak large GEMMs sustain "
             "in training (fitted; docs/throughput.md). Sources: wires_source in --json. 'scalingplan throughput' "
             "overrides each with --hbm-gbps, --link-gbps, --gpus-per-node, --network-gbps."]
    emit(fmt, payload, [Table(HARDWARE_COLUMNS, rows, "Accelerators (dense peak per chip)", notes),
                        Table(WIRES_COLUMNS, rows, "Wires (for predicted step times)", wires)])


@with_options(OUTPUT)
def models(fmt: str = "table"):
    """List the catalogue of trained models: parameters, training tokens, compute and source.

    Example: scalingplan models   (then: scalingplan assess chinchilla gopher)
    """
    from scalingplan.catalogues.models import load_models
    from scalingplan.compute.counting import six_nd

    rows = []
    for name, model in load_models().items():
        n, d = model["active_params"] or model["params"], model["tokens"]
        rows.append({"name": name, "display": str(model.get("display", name)), "params": model["params"],
                     "active_params": model["active_params"], "tokens": d,
                     "tokens_per_param": None if d is None else d / n,
                     "flops": None if d is None else six_nd(n, d), "source": str(model.get("source", "")),
                     "architecture": model.get("architecture")})
    notes = ["FLOPs: 6·N·D from the catalogued N and D; N is the active count for a mixture of experts.",
             "Tokens '-': never published by the developer."]
    emit(fmt, {"models": rows}, [Table(MODEL_COLUMNS, rows, "Trained models", notes)])
