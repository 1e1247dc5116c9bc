"""The JSON Schema (draft 2020-12) of every command's ``--json`` answer, defined once, here.

``scalingplan schema COMMAND`` prints one; the test suite validates every command's output against
its schema; ``docs/json.md`` is generated from them. Every answer carries ``schema_version``, which
changes when a key is renamed or removed (adding keys keeps the version).
"""

from scalingplan.output import SCHEMA_VERSION

DRAFT = "https://json-schema.org/draft/2020-12/schema"

NUMBER = {"type": "number"}
NUMBER_OR_NULL = {"type": ["number", "null"]}
INTEGER = {"type": "integer"}
STRING = {"type": "string"}
STRING_OR_NULL = {"type": ["string", "null"]}
BOOLEAN = {"type": "boolean"}
EXTRA_VALUE = {"type": ["number", "string", "boolean", "null", "array", "object"]}


def described(schema: dict, text: str) -> dict:
    return {**schema, "description": text}


def array(items: dict, text: str = "") -> dict:
    return {"type": "array", "items": items, **({"description": text} if text else {})}


def record(required: dict, optional: dict | None = None, extra: dict | bool = False, text: str = "",
           nullable: bool = False) -> dict:
    """An object with ``required`` and ``optional`` properties; ``extra`` allows other keys (a schema)."""
    schema = {"type": ["object", "null"] if nullable else "object",
              "properties": {**required, **(optional or {})}, "required": list(required),
              "additionalProperties": extra}
    if text:
        schema["description"] = text
    return schema


HARDWARE = record({
    "flops": described(NUMBER, "FLOPs the hardware does: GPU-hours × 3600 × peak × MFU"),
    "description": STRING, "gpu": described(STRING, "canonical accelerator name"),
    "peak_flops": described(NUMBER, "dense peak FLOP/s per chip"), "precision": STRING,
    "mfu": described(NUMBER, "model FLOPs utilization"), "gpu_hours": NUMBER,
    "count": {"type": ["integer", "null"]}, "days": NUMBER_OR_NULL, "source": STRING,
}, text="A budget stated as accelerators and time.")

BUDGET = record({
    "flops": described(NUMBER, "the training budget in FLOPs"),
    "pf_days": described(NUMBER, "the same budget in PF-days (8.64e19 FLOPs)"),
    "description": STRING,
}, {"hardware": HARDWARE}, text="A training budget, however it was given.")

LAYOUT = record({
    "dp": INTEGER, "tp": INTEGER, "pp": INTEGER, "zero": described(INTEGER, "ZeRO stage 0-3"),
    "recompute": {"enum": ["none", "selective", "full"]}, "micro_batch": INTEGER,
    "per_gpu": record({key: described(NUMBER, "bytes per GPU") for key in
                       ("weights", "gradients", "optimizer", "activations", "total")},
                      {"logits": NUMBER, "buffers": NUMBER}),
    "memory_fraction": described(NUMBER, "total ÷ the accelerator's memory"),
    "throughput": described(NUMBER, "predicted MFU of the layout (docs/throughput.md)"),
}, {"cp": INTEGER, "interleave": INTEGER, "step_seconds": described(NUMBER, "predicted step time"),
    "mfu": described(NUMBER, "predicted model FLOPs utilisation")},
    text="A parallel layout that fits, with its memory per GPU.")
RECIPE_KEYS = {
    "batch_tokens": described(NUMBER, "batch size in tokens by the recipe's rule, whole sequences"),
    "batch_sequences": NUMBER,
    "accumulation_steps": described(INTEGER, "on a cluster: micro-batches per data-parallel rank and step "
                                             "(gradient accumulation); batch_sequences = dp × micro-batch × this"),
    "batch_rounded_from": described(NUMBER, "on a cluster: the rule's batch in sequences before it was rounded "
                                            "to whole micro-batches on every data-parallel rank"),
    "learning_rate": described(NUMBER, "peak learning rate by the recipe's rule"),
    "hparams_rule": {"enum": ["deepseek", "steplaw"]},
    "hparams_extrapolation_decades": described(NUMBER, "decades outside the range the batch/lr rule was "
                                                       "fitted on (DeepSeek: 1e17-2e19 FLOPs), 0 inside"),
    "shape": record({"layers": INTEGER, "d_model": INTEGER, "heads": INTEGER, "seq_len": INTEGER,
                     "assumed": BOOLEAN}, text="the shape used for the recipe (assumed from N when unknown)"),
    "proposed_shape": record({"layers": INTEGER, "d_model": INTEGER, "heads": INTEGER, "kv_heads": INTEGER,
                              "ffw_size": INTEGER, "params": NUMBER, "count": STRING}, extra=EXTRA_VALUE,
                             nullable=True, text="allocate --shapes: the best 'scalingplan shape' candidate"),
    "steps": described(NUMBER, "optimisation steps, ceil(tokens ÷ batch)"),
    "hardware_flops": described(NUMBER, "6ND, or 8ND with full recomputation (with --gpu --count)"),
    "gpu_hours": NUMBER, "days": described(NUMBER, "wall-clock days on the cluster"),
    "cost": NUMBER_OR_NULL, "energy_kwh": NUMBER_OR_NULL, "co2_kg": NUMBER_OR_NULL,
    "memory": record({"fits": BOOLEAN, "layout": {**LAYOUT, "type": ["object", "null"]}},
                     text="the fastest layout of the cluster that fits, or none"),
    "mfu": described(NUMBER, "the utilisation the days use (6ND model FLOPs)"),
    "utilisation_source": {"enum": ["predicted", "given", "default"]},
    "throughput": {"type": ["object", "null"], "description": "the predicted step of the row's layout "
                   "(keys as `scalingplan throughput`: step_seconds, tokens_per_second, mfu, hfu, "
                   "model_tflops_per_gpu, hardware_tflops_per_gpu, layout, breakdown, memory)"},
}
"""Keys the recipe and the cluster add to an allocation row (``recipe.add_recipe``)."""

LAW_KEYS = {
    "frontier_batch_tokens": described(NUMBER, "kaplan2020: Table 6 frontier batch in tokens"),
    "frontier_steps": described(NUMBER, "kaplan2020: Table 6 frontier steps"),
    "critical_batch_tokens": described(NUMBER, "kaplan2020: B_crit(L) = B*/L^(1/α_B) at the frontier loss, eq. 1.4"),
}
"""Keys a law form adds beside those it names in ``extra_columns``."""

ROW_EXTRAS: dict = {}
"""More keys allowed in an allocation row: a module that adds keys to rows registers them here."""

JSON_TYPES = {"number": NUMBER, "number|null": NUMBER_OR_NULL, "string": STRING, "boolean": BOOLEAN}


def allocation_record(more: dict | None = None) -> dict:
    """The schema of one allocation row, generated from ``planner.Allocation``'s fields, the law
    forms' own keys and the recipe's; closed (no other keys)."""
    from scalingplan.laws import FORMS
    from scalingplan.planning.planner import CORE_KEYS, row_keys

    keys = {name: described(JSON_TYPES[kind], text) for name, (text, _, _, kind) in row_keys().items()}
    required = {name: keys.pop(name) for name in (*CORE_KEYS, "tokens_per_param", "pf_days")}
    forms = {spec[1]: described(EXTRA_VALUE, f"{form.form}: {spec[0]}") for form in FORMS.values()
             for spec in form.extra_columns}
    return record(required, {**keys, **forms, **LAW_KEYS, **RECIPE_KEYS, **ROW_EXTRAS, **(more or {})},
                  text="One law's allocation (generated from planner.Allocation); law forms add the keys they "
                       "name (see 'scalingplan laws show').")


CONSTANT = record({"name": STRING, "value": NUMBER, "unit": STRING, "meaning": STRING})
CITATION = {"type": ["object", "string", "null"]}
CHECK = record({
    "name": STRING, "passed": BOOLEAN, "value": NUMBER_OR_NULL, "limit": NUMBER, "message": STRING,
    "law": STRING_OR_NULL, "line": {"type": ["integer", "null"]},
    "status": {"enum": ["pass", "fail", "not applicable"]},
}, extra=EXTRA_VALUE)
PLAN = record({
    "file": STRING, "name": STRING, "params": NUMBER, "tokens": NUMBER, "flops": NUMBER,
    "flops_method": STRING, "budget": BUDGET, "laws": array(STRING),
    "hardware": {"type": ["object", "null"]}, "days": NUMBER_OR_NULL,
}, extra=EXTRA_VALUE)
FIT_ALLOCATION = record({"flops": NUMBER, "params": NUMBER, "tokens": NUMBER, "tokens_per_param": NUMBER,
                         "loss": NUMBER_OR_NULL},
                        {"params_interval": array(NUMBER), "tokens_interval": array(NUMBER)})

COMMANDS = {
    "allocate": lambda: record({
        "query": record({}, {"flops": NUMBER, "params": NUMBER, "loss": NUMBER, "tokens_per_param": NUMBER,
                             "unique_tokens": NUMBER, "inference_tokens": NUMBER},
                        text="what was asked: a budget, a model size or a target loss, and its limits"),
        "budget": {**BUDGET, "type": ["object", "null"]},
        "allocations": array(allocation_record()),
    }, {"recipe": record({"hparams_rule": STRING, "hparams_source": STRING, "seq_len": INTEGER, "shape": STRING},
                         {"cluster": {"type": "object"}}, extra=EXTRA_VALUE,
                         text="the batch/learning-rate rule and, with --gpu --count, the cluster assumed"),
        "recommended": described(record({"law": STRING, "params": NUMBER, "tokens": NUMBER, "loss": NUMBER_OR_NULL,
                                         "reason": STRING}, extra=EXTRA_VALUE, nullable=True),
                                 "the one plan to start from"),
        "spread": described({**record({"params": record({"min": NUMBER, "max": NUMBER}),
                                        "tokens": record({"min": NUMBER, "max": NUMBER})}),
                             "type": ["object", "null"]}, "min and max of params and tokens over the laws' rows")}),
    "memory": record({
        "model": record({"params": NUMBER, "shape": {"type": "object"}, "shape_note": STRING}),
        "gpu": record({"name": STRING, "count": INTEGER, "memory_bytes": NUMBER, "source": STRING}),
        "layout": {"type": "object", "description": "the layout asked about"},
        "optimizer": record({"name": STRING, "weight_bytes": NUMBER, "gradient_bytes": NUMBER,
                             "optimizer_bytes": NUMBER}, text="bytes per parameter of each state"),
        "per_gpu": LAYOUT["properties"]["per_gpu"],
        "memory_fraction": NUMBER, "fits": BOOLEAN,
        "layouts": array(LAYOUT, "layouts of the cluster that fit, fastest predicted step first"),
        "fewest_gpus": record({"count": {"type": ["integer", "null"]}, "layout": {**LAYOUT, "type": ["object", "null"]}},
                              text="the fewest GPUs (a power of two) with a layout that fits"),
    }),
    "compare": lambda: record({
        "laws": array(STRING), "budgets": array(NUMBER, "budgets compared, in FLOPs"),
        "rows": array(allocation_record({"params_vs_first": NUMBER, "tokens_vs_first": NUMBER,
                                         "compute_vs_first": NUMBER})),
        "scaling": array(record({"law": STRING, "a": NUMBER, "b": NUMBER, "params_per_decade": NUMBER,
                                 "tokens_per_decade": NUMBER})),
    }, {"budget": BUDGET}),
    "assess": lambda: record({"models": array(record({
        "name": STRING, "params": NUMBER, "tokens": NUMBER, "flops": NUMBER, "source": STRING_OR_NULL,
        "assessments": array(allocation_record())}))}),
    "laws": record({"laws": array(record({
        "name": STRING, "form": STRING, "aliases": STRING, "family": STRING_OR_NULL, "main": BOOLEAN,
        "summary": STRING, "citation": STRING}, extra=EXTRA_VALUE))}),
    "laws show": record({
        "name": STRING, "form": STRING, "formula": array(STRING), "constants": array(CONSTANT),
        "citation": CITATION, "notes": array(STRING),
        "published_comparison": array(record({
            "params": NUMBER, "flops": NUMBER, "tokens": NUMBER, "law_flops": NUMBER, "law_tokens": NUMBER,
            "flops_ratio": NUMBER, "tokens_ratio": NUMBER}, extra=EXTRA_VALUE)),
        "source": STRING,
    }, {"derived": {"type": "object", "additionalProperties": NUMBER},
        "params_kind": STRING,
        "validity": described({"type": "object"}, "flops and params as [lo, hi] (null: not stated), source")},
        extra=EXTRA_VALUE),
    "flops": record({}, {
        "flops": described(NUMBER, "the headline count, by 'method' (without --tokens: only the parameters)"),
        "pf_days": NUMBER, "method": STRING,
        "params": described(NUMBER, "N of 6ND: given, the model's (active for a mixture of experts) or the "
                                    "architecture's active count"), "tokens": NUMBER,
        "model": STRING, "architecture": {"type": "object"},
        "parameters": record({
            "total": NUMBER, "active": described(NUMBER, "what one token passes through; = total if dense"),
            "embedding": NUMBER, "non_embedding": NUMBER}, {
            "nonembedding": described({**NUMBER, "deprecated": True}, "non_embedding under its old key"),
            "kaplan_nonembedding": NUMBER, "total_with_relative_position": NUMBER}, extra=EXTRA_VALUE),
        "parameter_convention": described(STRING, "what the parameter counts include"), "causal": BOOLEAN,
        "counts": array(record({"method": STRING, "name": STRING, "flops": NUMBER, "pf_days": NUMBER,
                                "ratio_to_6nd": NUMBER}, extra=EXTRA_VALUE)),
        "chinchilla_terms": array({"type": "object"}),
        "hardware": array(record({"recompute": STRING, "hardware_flops": NUMBER, "ratio_to_model": NUMBER}),
                          "FLOPs with activation recomputation (none, selective, full) beside model FLOPs"),
        "inference_flops_per_token": described(NUMBER, "forward FLOPs per generated token at seq_len context"),
    }, extra=EXTRA_VALUE),
    "shape": record({
        "target": NUMBER, "conventions": {"type": "object"},
        "candidates": array(record({
            "layers": INTEGER, "d_model": INTEGER, "heads": INTEGER, "kv_heads": INTEGER, "head_dim": INTEGER,
            "ffw_size": INTEGER, "params": described(NUMBER, "the count the target names"),
            "total_params": NUMBER, "active_params": NUMBER, "aspect_ratio": NUMBER,
            "error": described(NUMBER, "params / target - 1")}, extra=EXTRA_VALUE), "best first"),
    }),
    "convert": record({
        "flops": NUMBER, "pf_days": NUMBER, "mfu": NUMBER,
        "from": record({"value": NUMBER, "unit": STRING}, {"gpu": STRING, "description": STRING}),
        "hardware": array(record({"name": STRING, "peak_flops": NUMBER, "precision": STRING, "mfu": NUMBER,
                                  "gpu_hours": NUMBER}, {"days": NUMBER, "cost": NUMBER}, extra=EXTRA_VALUE)),
    }, {"count": INTEGER, "price_per_hour": NUMBER}, extra=EXTRA_VALUE),
    "check": record({"passed": BOOLEAN, "plans": array(record({
        "file": STRING, "passed": BOOLEAN, "plan": PLAN, "checks": array(CHECK)}, extra=EXTRA_VALUE))}),
    "fit": record({
        "method": STRING, "n_points": INTEGER, "objective": NUMBER,
        "constants": described({"type": "object", "additionalProperties": NUMBER}, "the fitted constants"),
        "params": described({"type": "object", "additionalProperties": NUMBER, "deprecated": True},
                            "the fitted constants under their old key; use 'constants'"),
        "a": NUMBER, "b": NUMBER, "allocations": array(FIT_ALLOCATION), "data": {"type": "object"},
    }, {"bootstrap": {"type": "object"}, "law_file": STRING,
        "form": described(STRING, "approach 3's loss form: chinchilla, kaplan or gadre"),
        "extrapolation": array(record({"flops": NUMBER, "decades": described(
            NUMBER, "signed distance outside the runs' FLOPs (positive: above the largest)")}),
            "budgets more than one decade outside the runs' FLOPs")}, extra=EXTRA_VALUE),
    "sweep": record({
        "law": described(STRING, "the prior law whose optimum centres each budget"),
        "spread_decades": NUMBER, "per_budget": INTEGER, "budgets": array(NUMBER),
        "runs": array(record({
            "flops": NUMBER, "params": described(NUMBER, "the shape's total parameters"),
            "tokens": described(NUMBER, "D = C/(6N)"), "layers": INTEGER, "d_model": INTEGER, "heads": INTEGER,
            "kv_heads": INTEGER, "head_dim": INTEGER, "ffw_size": INTEGER,
            "gpu_hours": described(NUMBER_OR_NULL, "null without --gpu"), "budget": INTEGER,
            "target_params": described(NUMBER, "the size the design asked for"), "tokens_per_param": NUMBER})),
        "total": record({"runs": INTEGER, "flops": NUMBER, "gpu_hours": NUMBER_OR_NULL}),
    }, {"gpu": STRING, "peak_flops": NUMBER, "mfu": NUMBER}),
    "suggest": record({
        "method": STRING, "form": STRING, "target_flops": NUMBER,
        "params_opt": described(NUMBER, "fitted N_opt at the target"),
        "sigma_log_loss": described(NUMBER, "the fit's RMS log-loss residual, taken as the noise"),
        "half_width_before": described(NUMBER, "predicted 95% relative half-width of N_opt now"),
        "candidates": INTEGER, "candidate_flops_range": array(NUMBER), "criterion": STRING,
        "runs": array(record({"rank": INTEGER, "flops": NUMBER, "params": NUMBER, "tokens": NUMBER,
                              "half_width_after": described(NUMBER, "predicted half-width once trained")},
                             extra=EXTRA_VALUE), "in the order chosen"),
        "total": record({"runs": INTEGER, "flops": NUMBER, "gpu_hours": NUMBER_OR_NULL}),
    }, {"gpu": STRING, "peak_flops": NUMBER, "mfu": NUMBER}),
    "fit compare": record({
        "law_a": STRING, "law_b": STRING, "level": NUMBER,
        "samples": described(INTEGER, "paired bootstrap refits (0: no intervals)"),
        "budgets": array(record({
            "flops": NUMBER, "loss_a": NUMBER, "loss_b": NUMBER,
            "multiplier": described(NUMBER_OR_NULL, "compute A needs for B's loss, over B's; null if never"),
            "equal_loss_flops": NUMBER_OR_NULL}, {"interval": array(NUMBER_OR_NULL)})),
    }),
    "plot frontier": lambda: record({
        "flops_range": array(NUMBER), "budget": BUDGET, "file": STRING_OR_NULL,
        "allocations": array(allocation_record()),
        "models": array(record({"name": STRING, "params": NUMBER, "tokens": NUMBER, "flops": NUMBER})),
    }),
    "hardware": record({"default_mfu": NUMBER, "default_mfu_source": STRING, "accelerators": array(record({
        "name": STRING, "aliases": STRING, "peak_flops": NUMBER, "peak_tflops": NUMBER, "precision": STRING,
        "source": STRING}, extra=EXTRA_VALUE))}, extra=EXTRA_VALUE),
    "models": record({"models": array(record({
        "name": STRING, "display": STRING, "params": NUMBER,
        "tokens": described(NUMBER_OR_NULL, "null where the developer never published them"),
        "tokens_per_param": NUMBER_OR_NULL, "flops": NUMBER_OR_NULL, "source": STRING},
        {"architecture": {"type": ["object", "null"]},
         "active_params": described(NUMBER_OR_NULL, "a mixture of experts: parameters one token uses")},
        extra=EXTRA_VALUE))}),
    "reconcile": record({
        "law": STRING,
        "pearce_song": record({
            "gamma": described(NUMBER, "N_total = N + gamma·N^(1/3)"), "fit_range": array(NUMBER),
            "fitted_exponent": described(NUMBER, "slope of log N* on log C over fit_range"),
            "small_budget_limit": NUMBER, "large_budget_limit": NUMBER,
            "rows": array(record({"flops": NUMBER, "nonembedding_params": NUMBER, "total_params": NUMBER,
                                 "tokens": NUMBER, "local_exponent": NUMBER}))}),
        "porian": array(record({"step": STRING, "exponent": NUMBER, "change": NUMBER_OR_NULL})),
        "budget_reading": record({"kaplan_exponent": NUMBER, "rows": array(record({
            "flops": NUMBER, "kaplan_params_cmin": NUMBER, "kaplan_params_spent": NUMBER,
            "reading_ratio": NUMBER, "chinchilla_params": NUMBER}))}),
    }, {"file": STRING}),
}
# `throughput` (self-contained): the predicted step of the fastest layout that fits, and alternatives.
THROUGHPUT_LAYOUT = record({key: INTEGER for key in ("tp", "pp", "dp", "cp", "ep", "zero", "micro_batch", "interleave")}
                           | {"recompute": STRING, "sequence_parallel": BOOLEAN}, text="the parallel layout")
THROUGHPUT_PARTS = ("compute", "memory_bound", "tp_comm", "pp_comm", "dp_comm", "zero_comm", "cp_comm", "ep_comm",
                    "bubble", "optimizer")
THROUGHPUT = record({
    "step_seconds": described(NUMBER, "predicted time of one training step"),
    "tokens_per_second": NUMBER,
    "mfu": described(NUMBER, "model FLOPs utilisation (PaLM App. B model FLOPs, attention included)"),
    "hfu": described(NUMBER, "hardware FLOPs utilisation (recomputation counted)"),
    "model_tflops_per_gpu": NUMBER, "hardware_tflops_per_gpu": NUMBER,
    "layout": THROUGHPUT_LAYOUT,
    "breakdown": record({key: NUMBER for key in THROUGHPUT_PARTS}, text="seconds per step by where they go"),
    "memory": record({"per_gpu": record({key: NUMBER for key in ("weights", "gradients", "optimizer", "activations",
                                                                 "logits", "buffers", "total")}),
                      "fits": BOOLEAN}),
}, text="a predicted step (docs/throughput.md)")
COMMANDS["throughput"] = record({
    **THROUGHPUT["properties"],
    "micro_batches": INTEGER, "global_batch": NUMBER, "seq_len": INTEGER,
    "gpu": record({"name": STRING, "count": INTEGER}, extra=NUMBER),
    "precision": STRING, "attention": STRING,
    "searched": array(STRING, "layout options the search chose"),
    "layouts": array(record({"step_seconds": NUMBER, "tokens_per_second": NUMBER, "mfu": NUMBER,
                             "layout": THROUGHPUT_LAYOUT, "memory_gb": NUMBER}), "the fastest layouts that fit"),
})
COMMANDS["plot isoflop"] = COMMANDS["plot fit"] = {
    **COMMANDS["fit"], "properties": {**COMMANDS["fit"]["properties"], "file": STRING}}


def schema(command: str) -> dict:
    """The full JSON Schema of ``command``'s --json answer (KeyError for an unknown command).

    Schemas of allocations are built when asked, from ``planner.Allocation`` and the forms registered."""
    body = COMMANDS[command]
    body = body() if callable(body) else body
    properties = {"schema_version": {"const": SCHEMA_VERSION, "description": "version of this schema"},
                  **body["properties"]}
    return {"$schema": DRAFT, "$id": f"scalingplan/{command.replace(' ', '-')}/v{SCHEMA_VERSION}",
            "title": f"scalingplan {command} --json", **body,
            "properties": properties, "required": ["schema_version", *body["required"]]}


def _type_text(node: dict) -> str:
    kind = node.get("type", "const" if "const" in node else "enum" if "enum" in node else "any")
    kind = " or ".join(kind) if isinstance(kind, list) else kind
    if kind == "array" and "items" in node:
        kind = f"array of {_type_text(node['items'])}"
    return kind


def _rows(node: dict, prefix: str, out: list) -> None:
    required = set(node.get("required", []))
    for key, child in node.get("properties", {}).items():
        path = f"{prefix}{key}"
        text = child.get("description", "")
        if child.get("deprecated"):
            text = f"deprecated: {text}"
        out.append(f"| `{path}` | {_type_text(child)} | {'yes' if key in required else ''} | {text} |")
        target = child["items"] if child.get("type") == "array" and "items" in child else child
        if target.get("properties"):
            _rows(target, f"{path}{'[]' if target is not child else ''}.", out)


def reference_markdown() -> str:
    """docs/json.md: every command's keys, from the schemas above."""
    lines = ["# JSON output reference", "",
             "Every command's `--json` answer, generated from `scalingplan/output/schemas.py` (schema version "
             f"{SCHEMA_VERSION}). `scalingplan schema COMMAND` prints the full JSON Schema (draft 2020-12). "
             "Keys may be added within a version; renaming or removing one changes the version.", ""]
    for command in COMMANDS:
        lines += [f"## `scalingplan {command} --json`", "", "| key | type | required | meaning |",
                  "|---|---|---|---|"]
        _rows(schema(command), "", lines)
        lines.append("")
    return "\n".join(lines)
