"""The training recipe of an allocation: batch size, learning rate and steps, and the run on a cluster.

Batch size and learning rate, by rule (floats or numpy arrays):

- ``deepseek`` (default): DeepSeek LLM (Bi et al. 2024, arXiv:2401.02954) eq. 1,
  η_opt = 0.3118·C^-0.1250 and B_opt = 0.2920·C^0.3271 tokens, with C = M·D and M the non-embedding
  FLOPs per token of eq. 2, M = 72·n_layer·d² + 12·n_layer·d·l_seq. Here M = 6·N_ne + 12·n_layer·d·l_seq
  with N_ne the non-embedding parameters a token uses, which is eq. 2 when N_ne = 12·n_layer·d²
  (Kaplan 2020 §2.1): an MoE row's active parameters, a total count less its embeddings, and a
  DeepSeek row's M/6 as it is. Fitted on budgets of 1e17 to 2e19 FLOPs (§3.1); each row carries
  ``hparams_extrapolation_decades``, its distance from that range.
- ``steplaw``: Step Law (Li et al. 2025, arXiv:2503.04715), η = 1.797·N^-0.7129·D^0.3075 and
  B = 0.5807·D^0.5709 tokens (the mean of the authors' bootstrap fits), N non-embedding parameters,
  D tokens.
- Kaplan et al. 2020 rows also carry the critical batch B_crit(L) = B*/L^(1/α_B) (eq. 1.4).

The batch is rounded to whole sequences (at least one); steps = ceil(tokens / batch).

On a cluster of ``count`` chips, each row's model runs in the fastest layout that fits
(``scalingplan.compute.throughput.search``, docs/throughput.md), and unless an MFU is given the time
follows that layout's predicted step: the row's ``mfu`` is then 6N × tokens per step ÷ (step × count
× peak), so that days = C / (count × peak × mfu) = steps × predicted step time, with C = 6ND
(``utilisation_source`` "predicted"). With a given MFU (or for a budget stated in GPU time, read at
the catalogue's default MFU) hardware FLOPs are the model FLOPs 6ND, or 8ND with full recomputation;
GPU-hours = hardware FLOPs / (peak x utilisation) / 3600 (``utilisation_source`` "given" or
"default"; the utilisation is hardware FLOPs utilisation with full recomputation). Then days =
GPU-hours / count / 24; cost = GPU-hours x price; energy (kWh) = GPU-hours x TDP (kW) x PUE; CO2 (kg)
= energy x grid intensity (kg/kWh).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scalingplan.compute import memory as mem
from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive

RULES = ("deepseek", "steplaw")
#: DeepSeek LLM §3.1: eq. 1 was fitted on budgets from 1e17 to 2e19 FLOPs (validated at 1e20).
DEEPSEEK_FITTED_FLOPS = (1e17, 2e19)
#: Step Law: the mean of the 1,000 bootstrap fits the authors publish (github.com/step-law/steplaw,
#: data/1004_fitted_lr_bs_scaling_model_parameters.csv): ln η = a + b·ln N + c·ln D, ln B = a' + c'·ln D.
STEPLAW_LR = (0.5863077907399264, -0.7129222911869909, 0.30749095041206964)
STEPLAW_BATCH = (-0.543542173610334, 0.5709443646895052)
#: The dense runs of the same repository (data/dense_lr_bs_loss.csv): N non-embedding 2.15e8 to 1.07e9,
#: D 4e9 to 1e11 tokens.
STEPLAW_FITTED = {"params": (2.15e8, 1.07e9), "tokens": (4e9, 1e11)}
#: Vocabulary assumed for the embedding of a law that counts all parameters (untied input and output
#: matrices, as the default shapes of ``compute.shapes``).
VOCAB = 32000
RULE_TEXT = {
    "deepseek": "DeepSeek LLM eq. 1 (arXiv:2401.02954): lr 0.3118·C^-0.125, batch 0.2920·C^0.3271, C = M·D "
                "(fitted on 1e17 to 2e19 FLOPs, §3.1)",
    "steplaw": "Step Law (arXiv:2503.04715; mean of the authors' bootstrap fits): lr 1.797·N^-0.7129·D^0.3075, "
               "batch 0.5807·D^0.5709, N non-embedding (fitted on N 2.15e8 to 1.07e9, D 4e9 to 1e11)",
}
SECONDS_PER_DAY = 86400.0


# --- batch size, learning rate and steps ----------------------------------------------------------
def deepseek_flops_per_token(layers, d_model, seq_len):
    """DeepSeek LLM eq. 2: M = 72·n_layer·d² + 12·n_layer·d·l_seq (non-embedding FLOPs per token)."""
    return 72.0 * layers * d_model ** 2 + 12.0 * layers * d_model * seq_len


def deepseek_hparams(compute):
    """DeepSeek LLM eq. 1: (B_opt in tokens, η_opt) for C = M·D FLOPs."""
    return 0.2920 * compute ** 0.3271, 0.3118 * compute ** -0.1250


def steplaw_hparams(params, tokens):
    """Step Law: (B in tokens, η) for N non-embedding parameters and D tokens (``STEPLAW_LR``, ``_BATCH``)."""
    a, b, c = STEPLAW_LR
    a_b, c_b = STEPLAW_BATCH
    return math.exp(a_b) * tokens ** c_b, math.exp(a) * params ** b * tokens ** c


def check_rule(rule: str, field: str | None = "hparams") -> str:
    """The rule's name, lower case; InputError (about ``field``) for an unknown one."""
    rule = str(rule).lower()
    if rule not in RULES:
        raise InputError(f"unknown rule '{rule}'; choose one of {', '.join(RULES)}", field)
    return rule


def rule_scale(params, params_kind: str = "total", seq_len: int = mem.DEFAULT_SEQ_LEN,
               shape: mem.Shape | None = None):
    """(N_ne, M): the non-embedding parameters one token uses and DeepSeek's non-embedding FLOPs per
    token (eq. 2: M = 6·N_ne + 12·n_layer·d·l_seq, the attention term counted once), from a count as
    a law counts it (floats or arrays).

    ``params_kind`` 'M/6' (DeepSeek's own laws) is M/6 already, so M = 6N and N_ne = N − 2·n_layer·d·l_seq;
    'non-embedding' is N_ne; 'total' holds untied embeddings of ``VOCAB`` × d, taken off (a count
    smaller than its embeddings is used as it is). n_layer and d are the shape's, or the default
    shape's for the count (``memory.default_shape``).
    """
    xp = mem.math_for(params)
    params = xp.asarray(params, dtype=float)
    layers = mem.default_layers(params) if shape is None else float(shape.layers)
    d_model = mem.ASPECT * layers if shape is None else float(shape.d_model)
    context = 2.0 * layers * d_model * seq_len  # (12·n_layer·d·l_seq) / 6
    own = {"M/6": context, "total": 2.0 * VOCAB * d_model}.get(params_kind, 0.0)
    nonembedding = xp.where(params > own, params - own, params)
    return nonembedding, 6.0 * params if params_kind == "M/6" else 6.0 * (nonembedding + context)


def hparams_extrapolation(rule: str, compute, params, tokens):
    """Decades outside the range the rule was fitted on (0 inside): C for DeepSeek, N and D for Step Law."""
    xp = mem.math_for(compute, params, tokens)
    log10 = math.log10 if xp is mem.ScalarMath else __import__("numpy").log10

    def outside(value, bounds):
        lo, hi = bounds
        return xp.maximum(xp.maximum(log10(lo / value), log10(value / hi)), 0.0)

    if rule == "deepseek":
        return outside(compute, DEEPSEEK_FITTED_FLOPS)
    return xp.maximum(outside(params, STEPLAW_FITTED["params"]), outside(tokens, STEPLAW_FITTED["tokens"]))


def hyperparameters(params, tokens, rule: str = "deepseek", seq_len: int = mem.DEFAULT_SEQ_LEN,
                    shape: mem.Shape | None = None, params_kind: str = "total", cost_factor=1.0) -> dict:
    """batch_tokens (whole sequences), batch_sequences, learning_rate, steps and
    hparams_extrapolation_decades for N, D (or arrays), N counted as ``params_kind`` says.

    DeepSeek's C is M·D (``rule_scale``) times ``cost_factor``, a law's cost per FLOP against 16-bit
    training (P/16 under Kumar et al.'s C = (6/16)·N·D·P), so the rule sees the compute the budget
    buys; Step Law's N is the non-embedding count.
    """
    rule = check_rule(rule)
    xp = mem.math_for(params, tokens)
    params, tokens = xp.asarray(params, dtype=float), xp.asarray(tokens, dtype=float)
    nonembedding, per_token = rule_scale(params, params_kind, seq_len, shape)
    compute = per_token * tokens * cost_factor
    if rule == "deepseek":
        batch, lr = deepseek_hparams(compute)
    else:
        batch, lr = steplaw_hparams(nonembedding, tokens)
    sequences = xp.maximum(1.0, xp.rint(batch / seq_len))
    batch_tokens = sequences * seq_len
    return {"batch_tokens": batch_tokens, "batch_sequences": sequences, "learning_rate": lr,
            "steps": xp.ceil(tokens / batch_tokens),
            "hparams_extrapolation_decades": hparams_extrapolation(rule, compute, nonembedding, tokens)}


def row_hyperparameters(row: dict, rule: str = "deepseek", seq_len: int = mem.DEFAULT_SEQ_LEN,
                        shape: mem.Shape | None = None) -> dict:
    """``hyperparameters`` of an allocation row in its law's own units: an MoE row's active
    parameters (non-embedding, Krajewski et al. 2024), a precision row's cost P/16 (Kumar et al. 2024,
    §4.3), a DeepSeek row's M/6 as it is."""
    params, kind = row["params"], row.get("params_kind", "total")
    if row.get("active_params") is not None:
        params, kind = row["active_params"], "non-embedding"
    factor = row["precision_bits"] / 16.0 if row.get("precision_bits") is not None else 1.0
    return hyperparameters(params, row["tokens"], rule, seq_len, shape, kind, factor)


# --- the cluster -----------------------------------------------------------------------------------
@dataclass
class Cluster:
    """``count`` chips of one catalogue accelerator, how they are used, and what power costs."""

    gpu: dict
    count: int
    utilisation: float
    recompute: str = "selective"
    micro_batch: int = 1
    price_per_hour: float | None = None
    pue: float = 1.0
    grid_intensity: float = 0.0
    defaults: tuple = ()  # which of utilisation, pue, grid_intensity are the catalogue's defaults
    predict: bool = True  # without a given MFU, use the predicted one of each row's fastest layout

    @property
    def utilisation_source(self) -> str:
        """'given' for a user's MFU, 'predicted' when each row's layout sets it, 'default' otherwise."""
        if "utilisation" not in self.defaults:
            return "given"
        return "predicted" if self.predict else "default"

    @property
    def utilisation_kind(self) -> str:
        return "HFU" if self.recompute == "full" else "MFU"

    def describe_utilisation(self) -> str:
        """Which utilisation the times assume, e.g. 'MFU 0.30 of model FLOPs 6ND (default)'."""
        if self.utilisation_source == "predicted":
            return "MFU predicted for each row's fastest layout (docs/throughput.md)"
        default = " (default)" if "utilisation" in self.defaults else ""
        if self.recompute == "full":
            return (f"HFU {self.utilisation:.2f}{default} of hardware FLOPs 8ND (full recomputation), "
                    f"i.e. MFU {self.utilisation * 0.75:.3g}")
        return f"MFU {self.utilisation:.2f}{default} of model FLOPs 6ND"

    def as_dict(self) -> dict:
        return {"gpu": self.gpu["name"], "count": self.count, "peak_flops": self.gpu["peak_flops"],
                "memory_bytes": self.gpu["memory_bytes"], "tdp_watts": self.gpu["tdp_watts"],
                "utilisation": self.utilisation, "utilisation_kind": self.utilisation_kind,
                "utilisation_source": self.utilisation_source,
                "utilisation_text": self.describe_utilisation(), "recompute": self.recompute,
                "micro_batch": self.micro_batch, "price_per_hour": self.price_per_hour, "pue": self.pue,
                "grid_intensity_kg_per_kwh": self.grid_intensity, "defaults": list(self.defaults),
                "source": self.gpu["memory_source"]}


def make_cluster(gpu, count, mfu=None, recompute="selective", micro_batch=1, price_per_hour=None,
                 pue=None, grid_intensity=None, predict=True) -> Cluster:
    """A Cluster from user values (strings or numbers); catalogue defaults for mfu, pue, grid intensity.
    Without ``mfu`` the time of each row follows its predicted MFU (``predict``), else the default."""
    from scalingplan.compute import hardware

    entry = hardware.find_accelerator(gpu)
    catalogue = hardware.load_catalogue()
    defaults = tuple(name for name, value in (("utilisation", mfu), ("pue", pue),
                                              ("grid_intensity", grid_intensity)) if value is None)
    utilisation = catalogue["default_mfu"] if mfu is None else hardware.check_mfu(mfu)
    pue = catalogue["default_pue"] if pue is None else parse_positive(pue, "--pue")
    if pue < 1.0:
        raise InputError(f"must be at least 1 (total facility power / IT power), got {pue:g}", "pue")
    grid = catalogue["default_grid_intensity"] if grid_intensity is None else parse_positive(
        grid_intensity, "--grid-intensity")
    price = None if price_per_hour is None else parse_positive(price_per_hour, "--price-per-hour")
    micro = parse_positive(micro_batch, "--micro-batch")
    if micro != int(micro):
        raise InputError(f"must be a whole number, got {micro_batch!r}", "micro_batch")
    if recompute not in mem.RECOMPUTE:
        raise InputError(f"must be one of {', '.join(mem.RECOMPUTE)}, got {recompute!r}", "recompute")
    return Cluster(entry, hardware.check_count(count), utilisation, recompute, int(micro), price, pue, grid,
                   defaults, bool(predict))


def on_cluster(flops, cluster: Cluster, predicted: dict | None = None) -> dict:
    """mfu, utilisation_source, hardware_flops, gpu_hours, days, cost, energy_kwh and co2_kg of
    ``flops`` model FLOPs (6ND); ``predicted`` is the row's ``predict_run`` answer, used when the
    cluster takes its MFU from the prediction."""
    peak = cluster.gpu["peak_flops"]
    if cluster.utilisation_source == "predicted" and predicted is not None:
        mfu = predicted["mfu_6nd"]
        hardware_flops = flops * predicted["hfu"] / predicted["mfu"]
        gpu_hours = flops / (peak * mfu) / 3600.0
        source = "predicted"
    else:
        mfu = cluster.utilisation / mem.hardware_flops_factor(cluster.recompute)
        hardware_flops = flops * mem.hardware_flops_factor(cluster.recompute)
        gpu_hours = hardware_flops / (peak * cluster.utilisation) / 3600.0
        source = "given" if cluster.utilisation_source == "given" else "default"
    tdp = cluster.gpu["tdp_watts"]
    energy = None if tdp is None else gpu_hours * tdp / 1000.0 * cluster.pue
    return {
        "mfu": mfu,
        "utilisation_source": source,
        "hardware_flops": hardware_flops,
        "gpu_hours": gpu_hours,
        "days": gpu_hours / cluster.count / 24.0,
        "cost": None if cluster.price_per_hour is None else gpu_hours * cluster.price_per_hour,
        "energy_kwh": energy,
        "co2_kg": None if energy is None else energy * cluster.grid_intensity,
    }




def predict_run(params: float, batch_sequences: float, cluster: Cluster, shape: mem.Shape, arch=None) -> dict | None:
    """The fastest layout of ``cluster`` that fits one model (throughput.search with the cluster's
    recomputation and micro-batch), its prediction, and mfu_6nd (6N × tokens per step ÷ (step ×
    count × peak)); None when none fits."""
    from scalingplan.compute import throughput
    from scalingplan.compute.hardware import wires_for

    if arch is None:
        arch = throughput.architecture(shape)
    wires = wires_for(cluster.gpu)
    batch = max(1, int(batch_sequences))
    found = throughput.search(arch, wires, cluster.count, batch,
                              {"recompute": cluster.recompute, "micro_batch": cluster.micro_batch}, limit=1)
    if not found:
        return None
    best = found[0]
    best["mfu_6nd"] = 6.0 * float(params) * batch * shape.seq_len / (
        best["step_seconds"] * cluster.count * cluster.gpu["peak_flops"])
    return best


def memory_on_cluster(params: float, batch_sequences: float, cluster: Cluster, shape: mem.Shape,
                      predicted: dict | None = None) -> dict:
    """The fastest fitting layout of ``cluster`` for one model (``fits`` False and no layout if none):
    dp, tp, pp, zero, recompute, micro_batch, per_gpu bytes, memory_fraction and throughput (its
    predicted MFU)."""
    if predicted is None:
        predicted = predict_run(params, batch_sequences, cluster, shape)
    if predicted is None:
        return {"fits": False, "layout": None}
    lay, per_gpu = predicted["layout"], predicted["memory"]["per_gpu"]
    layout = {key: lay[key] for key in ("dp", "tp", "pp", "zero", "recompute", "micro_batch")}
    layout.update(per_gpu=dict(per_gpu), memory_fraction=per_gpu["total"] / cluster.gpu["memory_bytes"],
                  throughput=predicted["mfu"])
    return {"fits": True, "layout": layout}


def throughput_summary(predicted: dict) -> dict:
    """The row's ``throughput`` record (the JSON contract of cluster rows)."""
    keys = ("step_seconds", "tokens_per_second", "mfu", "hfu", "model_tflops_per_gpu", "hardware_tflops_per_gpu",
            "layout", "breakdown", "memory")
    return {key: predicted[key] for key in keys}


def extrapolation_note(rows: list, rule: str) -> str | None:
    """One line naming the rows whose recipe lies outside the range the rule was fitted on."""
    far = {}
    for row in rows:
        decades = row.get("hparams_extrapolation_decades")
        worst = float(decades.max()) if hasattr(decades, "max") else float(decades or 0.0)
        if worst > 0:
            far[row["law"]] = max(far.get(row["law"], 0.0), worst)
    if not far:
        return None
    fitted = "budgets of 1e17 to 2e19 FLOPs" if rule == "deepseek" else "N 2.15e8 to 1.07e9 and D 4e9 to 1e11"
    return (f"The {rule} rule was fitted on {fitted}; extrapolated here by (decades): "
            + ", ".join(f"{name} {decades:.1f}" for name, decades in far.items()) + ".")


# --- allocations -----------------------------------------------------------------------------------
def add_recipe(rows: list, rule: str = "deepseek", seq_len: int = mem.DEFAULT_SEQ_LEN,
               cluster: Cluster | None = None, shape: mem.Shape | None = None) -> dict:
    """Add the recipe (and, with a cluster, the run) to allocation rows (``Allocation.as_dict()``).

    Every row gains batch_tokens, batch_sequences, learning_rate, steps and hparams_rule (a law's own
    batch keys, such as Kaplan's frontier_batch_tokens, stay beside them). With a cluster: hardware_flops, gpu_hours,
    days, cost, energy_kwh, co2_kg and memory ({fits, layout}); with a layout the batch is rounded to
    whole micro-batches on every data-parallel rank (accumulation_steps, batch_rounded_from; see
    planning.launch). ``shape`` is the model's shape when
    known; otherwise each row assumes ``memory.default_shape``. Returns what the rows assumed.
    """
    from scalingplan.planning.launch import launchable

    rule = check_rule(rule)
    for row in rows:
        row_shape = shape or mem.default_shape(float(row["params"]), seq_len)
        row.update(row_hyperparameters(row, rule, seq_len, shape))
        row["hparams_rule"] = rule
        row["shape"] = {"layers": row_shape.layers, "d_model": row_shape.d_model, "heads": row_shape.heads,
                        "seq_len": row_shape.seq_len, "assumed": row_shape.assumed}
        if cluster is not None:
            predicted = predict_run(row["params"], row["batch_sequences"], cluster, row_shape)
            row.update(on_cluster(row["flops"], cluster, predicted))
            row["memory"] = memory_on_cluster(row["params"], row["batch_sequences"], cluster, row_shape, predicted)
            row["throughput"] = None if predicted is None else throughput_summary(predicted)
            launchable(row, seq_len)  # whole micro-batches on every data-parallel rank
    info = {"hparams_rule": rule, "hparams_source": RULE_TEXT[rule], "seq_len": seq_len,
            "hparams_extrapolation": extrapolation_note(rows, rule),
            "shape": shape.describe() if shape else
            f"assumed from each row's parameters: d_model = {mem.ASPECT} × layers, {mem.HEAD_DIM}-wide heads"}
    if cluster is not None:
        info["cluster"] = cluster.as_dict()
    return info
