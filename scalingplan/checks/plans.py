"""Budget checks for CI: a plan file states a budget, a model, laws and limits; each limit is a check.

``load_plan`` reads and validates a plan file into a ``Plan`` (every error one line naming file, line
and key); ``evaluate`` turns a plan into ``CheckResult``s. Nothing here prints.

A plan (numbers may be written 6e23, 70e9, 70B, 1.4T)::

    budget: {flops: 6e23}            # or {pf_days: ...}, or {gpu, count, days | gpu_hours, mfu}
    model: {params: 70e9, tokens: 1.4e12}   # or {name: chinchilla}, or {architecture: {...}, tokens}
    law: chinchilla-1                # name, alias, family or law-file path; or a list of them
    limits: {max_budget_use: 1.0, max_params_ratio: 2.0}

Optional: ``hardware: {gpu, count, mfu, recompute, micro_batch, price_per_hour, pue, grid_intensity}``
(with a hardware budget only the keys after count), and ``recipe: {batch_tokens, learning_rate, rule,
seq_len}`` for the batch and learning-rate limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scalingplan.compute import counting
from scalingplan.errors import InputError, closest
from scalingplan.numbers import human_count, sci

TOP_KEYS = ("name", "budget", "model", "law", "laws", "hardware", "recipe", "limits")
BUDGET_KEYS = ("flops", "pf_days", "gpu", "count", "days", "gpu_hours", "mfu")
MODEL_KEYS = ("name", "params", "tokens", "architecture", "flops_method")
ARCH_KEYS = counting.SHAPE_KEYS
HARDWARE_KEYS = ("gpu", "count", "mfu", "recompute", "micro_batch", "price_per_hour", "pue", "grid_intensity")
RECIPE_KEYS = ("batch_tokens", "learning_rate", "rule", "seq_len")
LIMIT_KEYS = ("max_budget_use", "max_params_ratio", "min_tokens_per_param", "max_loss",
              "unique_tokens", "max_epochs", "max_days", "max_memory_fraction", "min_gpus", "max_cost",
              "max_co2_kg", "max_batch_ratio", "max_lr_ratio", "min_mfu")
# The limits that need the hardware, and what else each needs.
NEEDS_HARDWARE = ("max_days", "max_memory_fraction", "min_gpus", "max_cost", "max_co2_kg", "min_mfu")
METHOD_TEXT = {"6nd": "6ND", "kaplan": "Kaplan 2020 Table 1 count",
               "chinchilla": "Chinchilla Appendix F count"}


@dataclass
class Plan:
    """A validated plan: compute in FLOPs, the laws as objects, limits as floats."""

    doc: object  # the YamlDoc, for the file name and the line of each key
    name: str
    budget: dict  # flops, pf_days, description (and hardware for a hardware budget)
    params: float
    tokens: float
    flops: float  # planned training compute
    flops_method: str  # one of flops.METHODS
    laws: list
    limits: dict
    hardware: dict | None = None  # gpu, peak_flops, count, mfu, mfu_default, cluster: what runs the plan
    shape: object = None  # memory.Shape of the model's architecture, when it has one
    recipe: dict | None = None  # batch_tokens, learning_rate, rule, seq_len as the plan states them

    @property
    def file(self) -> str:
        return self.doc.path

    @property
    def days(self) -> float | None:
        """Wall-clock days of the planned compute on the plan's hardware, if it states one."""
        hw = self.hardware
        if hw is None:
            return None
        return self.run["days"]

    @property
    def predicted(self) -> dict | None:
        """The fastest layout of the plan's cluster that fits its model, with its predicted step."""
        from scalingplan.planning.recipe import predict_run

        if self.hardware is None:
            return None
        cache = self.hardware.setdefault("_predicted", {})
        if "run" not in cache:
            cache["run"] = predict_run(self.params, _batch_sequences(self), self.hardware["cluster"], _shape(self))
        return cache["run"]

    @property
    def run(self) -> dict | None:
        """mfu, utilisation_source, GPU-hours, days, cost, energy and CO2 of the planned compute on the
        plan's hardware (at the predicted MFU unless the plan gives one)."""
        from scalingplan.planning.recipe import on_cluster

        if self.hardware is None:
            return None
        cluster = self.hardware["cluster"]
        return on_cluster(self.flops, cluster, self.predicted if cluster.utilisation_source == "predicted" else None)

    def summary(self) -> dict:
        return {"file": self.file, "name": self.name, "params": self.params, "tokens": self.tokens,
                "flops": self.flops, "flops_method": self.flops_method, "budget": self.budget, "laws": [law.name for law in self.laws],
                "hardware": self.hardware and dict({k: v for k, v in self.hardware.items() if k not in ("cluster", "_predicted")},
                                                   cluster=self.hardware["cluster"].as_dict()),
                "days": self.days}


@dataclass
class CheckResult:
    """One limit checked (per law for the law-dependent limits); ``applies`` is False when the
    check cannot be made for this law (then it passes and ``value`` is None)."""

    name: str
    passed: bool
    value: float | None
    limit: float
    message: str
    law: str | None = None
    line: int | None = None
    applies: bool = True

    def as_dict(self) -> dict:
        return {"name": self.name, "passed": self.passed, "value": self.value, "limit": self.limit,
                "message": self.message, "law": self.law, "line": self.line,
                "status": ("pass" if self.passed else "fail") if self.applies else "not applicable"}


# --- reading a plan ----------------------------------------------------------------------------------
def _call(doc, keys: tuple, function, *args, **kwargs):
    """``function(*args)``, turning its InputError into one naming this plan's file, line and key."""
    try:
        return function(*args, **kwargs)
    except InputError as exc:
        where = keys + (exc.field,) if exc.field and (not keys or keys[-1] != exc.field) else keys
        raise doc.error(where, exc.render(spell=str, prefix=False)) from None


def _section(doc, key: str, allowed: tuple, required: bool = True) -> dict | None:
    """The mapping at top-level ``key``, with every key in it known."""
    if key not in doc.data or doc.data[key] is None:
        if required:
            raise doc.error((), f"missing key '{key}' (a plan needs budget, model, law and limits)")
        return None
    section = doc.data[key]
    if not isinstance(section, dict):
        raise doc.error((key,), f"expected a mapping of {', '.join(allowed)}")
    _known_keys(doc, (key,), section, allowed)
    return section


def _known_keys(doc, prefix: tuple, mapping: dict, allowed: tuple) -> None:
    for name in mapping:
        if name not in allowed:
            raise doc.error(prefix + (name,), f"unknown key{closest(str(name), list(allowed))}; "
                                              f"expected one of {', '.join(allowed)}")


def _positive(doc, *keys) -> float:
    value = doc.number(*keys)
    if value <= 0:
        raise doc.error(keys, f"must be positive, got {_raw(doc, keys)!r}")
    return value


def _whole(doc, *keys) -> int:
    value = doc.number(*keys)
    if value <= 0 or value != int(value):
        raise doc.error(keys, f"must be a positive whole number, got {_raw(doc, keys)!r}")
    return int(value)


def _count(doc, *keys) -> int:
    """An accelerator count, within the limit of ``hardware.check_count``."""
    from scalingplan.compute.hardware import check_count

    return _call(doc, keys, check_count, _whole(doc, *keys))


def _raw(doc, keys):
    value = doc.data
    for key in keys:
        value = value[key]
    return value


def _mfu(doc, *keys) -> float:
    from scalingplan.compute.hardware import check_mfu

    return _call(doc, keys, check_mfu, doc.number(*keys))


def _budget(doc) -> dict:
    """The budget section: each value checked where it stands, then ``budget.resolve_budget``."""
    from scalingplan.compute.budget import resolve_budget

    section = _section(doc, "budget", BUDGET_KEYS)
    values = {}
    for key in section:
        if key == "gpu":
            from scalingplan.compute.hardware import find_accelerator

            values[key] = _call(doc, ("budget", key), find_accelerator, doc.text("budget", key))["name"]
        elif key == "count":
            values[key] = _count(doc, "budget", key)
        elif key == "mfu":
            values[key] = _mfu(doc, "budget", key)
        else:
            values[key] = _positive(doc, "budget", key)
    budget = _call(doc, ("budget",), resolve_budget, **values)
    if budget is None:
        raise doc.error(("budget",), "give the budget one way: flops, pf_days, or gpu with count and days "
                                     "(or gpu_hours)")
    return budget


def _hardware(doc, budget: dict) -> dict | None:
    """The accelerators that run the plan, from a ``hardware`` section or a hardware budget."""
    from scalingplan.compute.hardware import find_accelerator

    section = _section(doc, "hardware", HARDWARE_KEYS, required=False)
    if section is not None and ("gpu" in section or "count" in section or "mfu" in section):
        if "hardware" in budget:
            raise doc.error(("hardware",), "the budget already names the hardware; give it in one place")
        for key in ("gpu", "count"):
            if key not in section:
                raise doc.error(("hardware",), f"missing key '{key}' (hardware needs gpu and count; mfu optional)")
        entry = _call(doc, ("hardware", "gpu"), find_accelerator, doc.text("hardware", "gpu"))
        count = _count(doc, "hardware", "count")
        mfu = _mfu(doc, "hardware", "mfu") if "mfu" in section else None
    elif budget.get("hardware", {}).get("count") is not None:
        given = budget["hardware"]
        entry = find_accelerator(given["gpu"])
        count = given["count"]
        mfu = given["mfu"] if "mfu" in doc.data["budget"] else None
    elif section:
        raise doc.error(("hardware",), "missing key 'gpu' (hardware needs gpu and count; mfu optional)")
    else:
        return None
    from scalingplan.planning.recipe import make_cluster

    extra = {key: section[key] for key in HARDWARE_KEYS[3:] if section and key in section}
    predict = "hardware" not in budget  # a budget in GPU time keeps the MFU it was read at
    cluster = _call(doc, ("hardware",), make_cluster, entry["name"], count, mfu, **extra, predict=predict)
    return {"gpu": cluster.gpu["name"], "peak_flops": cluster.gpu["peak_flops"], "count": cluster.count,
            "mfu": cluster.utilisation, "mfu_default": mfu is None, "cluster": cluster}


def _architecture(doc, shapes, keys: tuple):
    if not isinstance(shapes, dict):
        raise doc.error(keys, f"expected a mapping of {', '.join(ARCH_KEYS)}")
    _known_keys(doc, keys, shapes, ARCH_KEYS)
    words = set(counting.WORD_KEYS) | set(counting.FLAG_KEYS)
    values = {key: shapes[key] if key in words else doc.number(*keys, key) for key in shapes}
    missing = [k for k in ("layers", "d_model", "vocab", "seq_len") if k not in values]
    if not {"heads", "kv_size", "head_dim"} & set(values):
        missing.append("heads or kv_size")
    if missing:
        raise doc.error(keys, f"incomplete: give {', '.join(missing)}")
    return _call(doc, keys, counting.make_architecture, **values)


def _model(doc) -> tuple:
    """(params, tokens, planned flops, flops method)."""
    section = doc.data.get("model")
    if section is None:
        raise doc.error((), "missing key 'model' (a plan needs budget, model, law and limits)")
    if isinstance(section, str):  # `model: chinchilla` names a catalogue model
        section = {"name": section}
        name_keys = ("model",)
    else:
        section = _section(doc, "model", MODEL_KEYS)
        name_keys = ("model", "name")
    entry = None
    if "name" in section:
        from scalingplan.catalogues.models import find_model

        entry = _call(doc, name_keys, find_model, doc.text(*name_keys, value=section["name"]))
    arch = None
    if "architecture" in section:
        arch = _architecture(doc, section["architecture"], ("model", "architecture"))
    elif entry is not None and entry.get("architecture"):
        arch = counting.make_architecture(**entry["architecture"])
    if "params" in section:
        params = _positive(doc, "model", "params")
    elif entry is not None:
        from scalingplan.catalogues.models import counted_params

        params = counted_params(entry)
    elif "architecture" in section:
        params = arch.params_active
    else:
        raise doc.error(("model",), "give params and tokens, a catalogue model name, or an architecture and tokens")
    if "tokens" in section:
        tokens = _positive(doc, "model", "tokens")
    elif entry is not None:
        from scalingplan.catalogues.models import training_tokens

        tokens = _call(doc, name_keys, training_tokens, entry)
    else:
        raise doc.error(("model",), "missing key 'tokens' (the number of training tokens)")
    method = section.get("flops_method", "chinchilla" if "architecture" in section else "6nd")
    method = doc.text("model", "flops_method", value=method).lower()
    if method not in counting.METHODS:
        raise doc.error(("model", "flops_method"), f"unknown method '{method}'"
                        f"{closest(method, list(counting.METHODS))}; choose one of {', '.join(counting.METHODS)}")
    if method != "6nd" and arch is None:
        raise doc.error(("model", "flops_method"), f"'{method}' needs an architecture (model.architecture)")
    flops = counting.training_flops(method, params, tokens, arch)
    return params, tokens, flops, method, arch


def _laws(doc) -> list:
    from scalingplan.catalogues.registry import distinct_names, expand, is_path, load_law

    if "law" in doc.data and "laws" in doc.data:
        raise doc.error(("laws",), "give 'law' or 'laws', not both")
    key = "laws" if "laws" in doc.data else "law"
    value = doc.data.get(key)
    if value is None:
        raise doc.error((), "missing key 'law' (a law name such as chinchilla-3, a family, or a law file)")
    items = [((key,), value)] if not isinstance(value, list) else [((key, i), v) for i, v in enumerate(value)]
    if not items:
        raise doc.error((key,), "name at least one law")
    laws = []
    for keys, name in items:
        if not isinstance(name, str) or not name.strip():
            raise doc.error(keys, f"expected a law name or law-file path, got {name!r}")
        if is_path(name):
            path = Path(name).expanduser()
            names = [str(path if path.is_absolute() else Path(doc.path).parent / path)]
        else:
            names = _call(doc, keys, expand, [name])
        laws.extend(_call(doc, keys, load_law, member) for member in names)
    return _call(doc, (key,), distinct_names, laws)


def _limits(doc, laws: list, hardware: dict | None, recipe: dict | None = None) -> dict:
    section = _section(doc, "limits", LIMIT_KEYS)
    if not section:
        raise doc.error(("limits",), f"no limits: give at least one of {', '.join(LIMIT_KEYS)}")
    limits = {key: _positive(doc, "limits", key) for key in LIMIT_KEYS if key in section}
    if limits.get("max_params_ratio", 1.0) < 1.0:
        raise doc.error(("limits", "max_params_ratio"), "must be at least 1: it bounds the size both ways "
                        "(2 allows 0.5× to 2× the optimum)")
    if "max_epochs" in limits and "unique_tokens" not in limits:
        raise doc.error(("limits", "max_epochs"), "needs unique_tokens (the unique tokens available)")
    if "max_loss" in limits and not any(law.predicts_loss for law in laws):
        raise doc.error(("limits", "max_loss"), f"none of the laws ({', '.join(law.name for law in laws)}) "
                        "predicts loss; add one that does, e.g. chinchilla-3 or epoch2024")
    for key in NEEDS_HARDWARE:
        if key in limits and hardware is None:
            raise doc.error(("limits", key), "needs the hardware: a budget with gpu, count and days, "
                            "or a hardware section with gpu and count (and mfu)")
    if "max_cost" in limits and hardware["cluster"].price_per_hour is None:
        raise doc.error(("limits", "max_cost"), "needs hardware.price_per_hour (price per GPU-hour)")
    if "max_co2_kg" in limits and hardware["cluster"].gpu["tdp_watts"] is None:
        raise doc.error(("limits", "max_co2_kg"), f"{hardware['gpu']} has no published TDP to count energy with")
    for key, value in (("max_batch_ratio", "batch_tokens"), ("max_lr_ratio", "learning_rate")):
        if key in limits and value not in (recipe or {}):
            raise doc.error(("limits", key), f"needs recipe.{value} (the plan's own value, compared with the rule)")
        if limits.get(key, 1.0) < 1.0:
            raise doc.error(("limits", key), "must be at least 1: it bounds the value both ways")
    return limits


def _recipe(doc) -> dict | None:
    """The recipe section: batch_tokens, learning_rate (positive), rule (deepseek by default), seq_len."""
    from scalingplan.planning.recipe import check_rule

    section = _section(doc, "recipe", RECIPE_KEYS, required=False)
    if section is None:
        return None
    out = {key: _positive(doc, "recipe", key) for key in ("batch_tokens", "learning_rate") if key in section}
    out["rule"] = _call(doc, ("recipe", "rule"), check_rule, section.get("rule", "deepseek"), None)
    out["seq_len"] = _whole(doc, "recipe", "seq_len") if "seq_len" in section else None
    return out


def parse_plan(doc) -> Plan:
    """Validate a parsed plan file; InputError (one line: file, line, key) on anything wrong."""
    _known_keys(doc, (), doc.data, TOP_KEYS)
    budget = _budget(doc)
    params, tokens, flops, method, arch = _model(doc)
    laws = _laws(doc)
    hardware = _hardware(doc, budget)
    recipe = _recipe(doc)
    limits = _limits(doc, laws, hardware, recipe)
    name = doc.text("name") if doc.data.get("name") is not None else Path(doc.path).stem
    shape = None
    if arch is not None:
        from scalingplan.compute.memory import shape_of

        shape = shape_of(arch, (recipe or {}).get("seq_len"))
    return Plan(doc, name, budget, params, tokens, flops, method, laws, limits, hardware, shape, recipe)


def load_plan(path) -> Plan:
    """Read and validate a plan file."""
    from scalingplan.catalogues.yamlfile import read_yaml

    return parse_plan(read_yaml(path, "plan file"))


# --- checking a plan ---------------------------------------------------------------------------------
def _budget_use(plan: Plan, limit: float) -> CheckResult:
    use = plan.flops / plan.budget["flops"]
    verdict = "within" if use <= limit else "over"
    return CheckResult("max_budget_use", use <= limit, use, limit,
                       f"planned {sci(plan.flops)} FLOPs ({METHOD_TEXT[plan.flops_method]}) is {use:.1%} of the "
                       f"{sci(plan.budget['flops'])} FLOPs budget: {verdict} the {limit:.0%} allowed")


def _params_ratio(plan: Plan, limit: float, law) -> CheckResult:
    best = _optimum(plan, law)
    ratio = plan.params / best.params
    passed = max(ratio, 1.0 / ratio) <= limit
    if passed:
        how = "within"
    else:
        how = f"too {'large' if ratio > 1 else 'small'}: outside"
    return CheckResult("max_params_ratio", passed, ratio, limit,
                       f"{human_count(plan.params)} params is {ratio:.3g}× the optimum of {human_count(best.params)} "
                       f"params on {human_count(best.tokens)} tokens at {sci(best.flops)} FLOPs; {how} "
                       f"{1 / limit:.3g}×–{limit:.3g}×" + _counting_note(law), law=law.name)


def _optimum(plan: Plan, law):
    """The law's plan at the plan's compute, as ``allocate`` gives it: the compute counted by the plan's
    method, or for a model counted as 6ND, by the law's own cost model (the ``assess`` path)."""
    from scalingplan.planning import planner

    flops = law.training_flops(plan.params, plan.tokens) if plan.flops_method == "6nd" else plan.flops
    return planner.plan(law, planner.Query(flops=flops))


def _counting_note(law) -> str:
    return "" if law.params_kind == "total" else f" ({law.name} counts {law.params_kind} parameters)"


def _tokens_per_param(plan: Plan, limit: float) -> CheckResult:
    ratio = plan.tokens / plan.params
    passed = ratio >= limit
    return CheckResult("min_tokens_per_param", passed, ratio, limit,
                       f"{human_count(plan.tokens)} tokens / {human_count(plan.params)} params = {ratio:.3g} "
                       f"tokens per parameter; {'at least' if passed else 'below'} the minimum {limit:.3g}")


def _loss(plan: Plan, limit: float, law) -> CheckResult:
    if not law.predicts_loss:
        return CheckResult("max_loss", True, None, limit, f"{law.name} predicts no loss: does not apply",
                           law=law.name, applies=False)
    from scalingplan.planning.planner import optimum

    loss = float(law.loss(plan.params, plan.tokens))
    best = float(optimum(law, _optimum(plan, law).flops).loss)  # the least L(N, D) there: like with like
    passed = loss <= limit
    return CheckResult("max_loss", passed, loss, limit,
                       f"predicted loss {loss:.4f} is {'at most' if passed else 'above'} {limit:.4g} "
                       f"(the optimum at this compute: {best:.4f})", law=law.name)


def _epochs(plan: Plan, unique: float, limit: float) -> CheckResult:
    epochs = plan.tokens / unique
    passed = epochs <= limit
    return CheckResult("max_epochs", passed, epochs, limit,
                       f"{human_count(plan.tokens)} tokens over {human_count(unique)} unique tokens is "
                       f"{epochs:.3g} epochs; {'within' if passed else 'over'} the {limit:.3g} allowed")


def _days(plan: Plan, limit: float) -> CheckResult:
    hw, days, run = plan.hardware, plan.days, plan.run
    mfu = f"MFU {run['mfu']:.3g}" + {"default": " (default)", "given": "", "predicted": " (predicted)"}[
        run["utilisation_source"]]
    passed = days <= limit
    return CheckResult("max_days", passed, days, limit,
                       f"{sci(plan.flops)} FLOPs on {hw['count']:,} × {hw['gpu']} at {mfu} take {days:.3g} days; "
                       f"{'within' if passed else 'past'} the {limit:.3g}-day deadline")


def _shape(plan: Plan):
    from scalingplan.compute import memory as mem

    if plan.shape is not None:
        return plan.shape
    return mem.default_shape(plan.params, (plan.recipe or {}).get("seq_len") or mem.DEFAULT_SEQ_LEN)


def _rule_values(plan: Plan) -> dict:
    """The rule's batch (whole sequences) and learning rate for the plan's model and tokens."""
    from scalingplan.planning.recipe import hyperparameters

    shape = _shape(plan)
    return hyperparameters(plan.params, plan.tokens, (plan.recipe or {}).get("rule", "deepseek"),
                           shape.seq_len, plan.shape)


def _batch_sequences(plan: Plan) -> float:
    stated = (plan.recipe or {}).get("batch_tokens")
    return max(1.0, round(stated / _shape(plan).seq_len)) if stated else _rule_values(plan)["batch_sequences"]


def _memory_fraction(plan: Plan, limit: float) -> CheckResult:
    from scalingplan.compute import memory as mem

    cluster, shape = plan.hardware["cluster"], _shape(plan)
    capacity, sequences = cluster.gpu["memory_bytes"], _batch_sequences(plan)
    best = plan.predicted
    where = f"{cluster.count:,} × {cluster.gpu['name']} ({capacity / 1e9:g} GB), recompute {cluster.recompute}"
    if best is None:
        least = mem.Layout(cluster.count, zero=3, recompute=cluster.recompute, micro_batch=cluster.micro_batch)
        fraction = mem.per_gpu(plan.params, shape, least, sequences)["total"] / capacity
        return CheckResult("max_memory_fraction", False, fraction, limit,
                           f"no layout of {where} fits {human_count(plan.params)} params; even dp "
                           f"{cluster.count} with ZeRO 3 needs {fraction:.0%} of a GPU")
    layout = best["layout"]
    fraction = best["memory"]["per_gpu"]["total"] / capacity
    passed = fraction <= limit
    return CheckResult("max_memory_fraction", passed, fraction, limit,
                       f"fastest layout on {where}: dp {layout['dp']} tp {layout['tp']} pp {layout['pp']} "
                       f"cp {layout['cp']} ZeRO {layout['zero']} uses {fraction:.0%} of each GPU; "
                       f"{'within' if passed else 'over'} the {limit:.0%} allowed")


def _min_mfu(plan: Plan, limit: float) -> CheckResult:
    run, cluster = plan.run, plan.hardware["cluster"]
    passed = run["mfu"] >= limit
    how = {"predicted": "predicted for the fastest layout that fits", "given": "as the plan gives it",
           "default": "the catalogue's default"}[run["utilisation_source"]]
    return CheckResult("min_mfu", passed, run["mfu"], limit,
                       f"MFU {run['mfu']:.1%} on {cluster.count:,} × {cluster.gpu['name']} ({how}) is "
                       f"{'at least' if passed else 'below'} the {limit:.1%} required")


def _min_gpus(plan: Plan, limit: float) -> CheckResult:
    from scalingplan.compute import throughput
    from scalingplan.compute.hardware import wires_for

    cluster = plan.hardware["cluster"]
    fixed = {"recompute": cluster.recompute, "micro_batch": cluster.micro_batch}
    fewest, _ = throughput.fewest_gpus(throughput.architecture(_shape(plan)), wires_for(cluster.gpu),
                                       _batch_sequences(plan), fixed, params=plan.params)
    passed = cluster.count >= limit
    need = f"the model fits on as few as {fewest:,}" if fewest else "no power of two up to 2^20 fits the model"
    return CheckResult("min_gpus", passed, float(cluster.count), limit,
                       f"{cluster.count:,} × {cluster.gpu['name']} is {'at least' if passed else 'below'} the "
                       f"{limit:,.0f} GPUs required ({need})")


def _run_limit(plan: Plan, name: str, limit: float) -> CheckResult:
    """max_cost or max_co2_kg from the run on the plan's hardware."""
    run, cluster = plan.run, plan.hardware["cluster"]
    value = run["cost"] if name == "max_cost" else run["co2_kg"]
    passed = value <= limit
    how = (f"{human_count(run['gpu_hours'])} GPU-hours × {cluster.price_per_hour:g}" if name == "max_cost" else
           f"{run['energy_kwh']:,.0f} kWh (TDP {cluster.gpu['tdp_watts']:g} W × PUE {cluster.pue:g}) × "
           f"{cluster.grid_intensity:g} kg/kWh")
    what = "cost" if name == "max_cost" else "CO2e (kg)"
    return CheckResult(name, passed, value, limit,
                       f"{what} {value:,.0f} = {how} ({cluster.describe_utilisation()}); "
                       f"{'within' if passed else 'over'} the {limit:,.0f} allowed")


def _rule_ratio(plan: Plan, name: str, limit: float) -> CheckResult:
    key = "batch_tokens" if name == "max_batch_ratio" else "learning_rate"
    rule = _rule_values(plan)
    ratio = plan.recipe[key] / rule[key]
    passed = max(ratio, 1.0 / ratio) <= limit
    text = (lambda x: human_count(x) + " tokens") if key == "batch_tokens" else (lambda x: f"{x:.3g}")
    return CheckResult(name, passed, ratio, limit,
                       f"{key.replace('_', ' ')} {text(plan.recipe[key])} is {ratio:.3g}× the {plan.recipe['rule']} "
                       f"rule's {text(rule[key])}; {'within' if passed else 'outside'} {1 / limit:.3g}×–{limit:.3g}×")


def evaluate(plan: Plan) -> list:
    """Every limit of the plan checked, in the order of LIMIT_KEYS (per law where the law matters)."""
    limits, results = plan.limits, []

    def add(result, key):
        result.line = plan.doc.line("limits", key)
        results.append(result)

    if "max_budget_use" in limits:
        add(_budget_use(plan, limits["max_budget_use"]), "max_budget_use")
    if "max_params_ratio" in limits:
        for law in plan.laws:
            add(_params_ratio(plan, limits["max_params_ratio"], law), "max_params_ratio")
    if "min_tokens_per_param" in limits:
        add(_tokens_per_param(plan, limits["min_tokens_per_param"]), "min_tokens_per_param")
    if "max_loss" in limits:
        for law in plan.laws:
            add(_loss(plan, limits["max_loss"], law), "max_loss")
    if "unique_tokens" in limits:
        key = "max_epochs" if "max_epochs" in limits else "unique_tokens"
        add(_epochs(plan, limits["unique_tokens"], limits.get("max_epochs", 1.0)), key)
    if "max_days" in limits:
        add(_days(plan, limits["max_days"]), "max_days")
    if "max_memory_fraction" in limits:
        add(_memory_fraction(plan, limits["max_memory_fraction"]), "max_memory_fraction")
    if "min_gpus" in limits:
        add(_min_gpus(plan, limits["min_gpus"]), "min_gpus")
    for key in ("max_cost", "max_co2_kg"):
        if key in limits:
            add(_run_limit(plan, key, limits[key]), key)
    for key in ("max_batch_ratio", "max_lr_ratio"):
        if key in limits:
            add(_rule_ratio(plan, key, limits[key]), key)
    if "min_mfu" in limits:
        add(_min_mfu(plan, limits["min_mfu"]), "min_mfu")
    return results
