"""The one planner: every question asked of a law is a ``Query``, and ``plan(law, query)`` answers it
with one ``Allocation``.

A query asks for a budget (``flops``), a model size (``params``), a target loss (``loss``) or a trained
model (``params`` with ``tokens``), with optional limits: tokens per parameter (over-training), unique
tokens (Muennighoff et al. 2023), lifetime inference tokens (Sardana et al. 2024), the law's run
settings (granularity, experts, precision) and a recipe or cluster. Every path spends compute in the
law's own cost model (``law.training_flops``: 6ND, Krajewski et al.'s eqs. 10-11, Kumar et al.'s
(6/16)·N·D·P) with the law's settings fixed at the budget (``law.at_budget``), and compares like with
like: a model's L(N, D) against the least L(N, D) of any model of the same compute under the same law.

A law whose published frontier is not the optimum of its own L(N, D) (Kaplan et al. 2020: Table 6
against eq. 1.5) is planned on its frontier wherever a limit changes the plan (inference, loss
targets), and compared under L(N, D) on both sides wherever a given model meets an optimum (assess,
over-training); see ``frontier_minimises_loss``.
"""

import math
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import NamedTuple

from scalingplan.constants import FLOPS_PER_PARAM_TOKEN, INFERENCE_FLOPS_PER_PARAM_TOKEN, pf_days
from scalingplan.errors import InputError
from scalingplan.numbers import check_positive, human_count, sci
from scalingplan.solve import bisect, minimise_log

MIN_COUNT = 1e3
"""An optimum with fewer parameters or tokens than this is no answer: such budgets are refused."""
OPTIMAL_BAND = 1.1
"""A model within this factor of a law's optimal size at its compute is called compute-optimal."""
SERVING_SHARE = INFERENCE_FLOPS_PER_PARAM_TOKEN / FLOPS_PER_PARAM_TOKEN
"""Serving a token costs a forward pass, a third of training's forward and backward: 2N of 6N
(Kaplan et al. 2020 §2.1); applied to the law's own training cost per token."""


# --- the question --------------------------------------------------------------------------------------
class Recipe(NamedTuple):
    """How to train the plan: the batch/learning-rate rule, the sequence length, an optional model
    shape (``memory.Shape``) and an optional cluster (``recipe.Cluster``) for days, cost and memory.
    (A plain record; a named tuple costs start-up a tenth of what a dataclass does.)"""

    rule: str = "deepseek"
    seq_len: int | None = None
    shape: object = None
    cluster: object = None


@dataclass(frozen=True)
class Query:
    """One question for a law. Exactly one of ``flops``, ``params`` or ``loss``; ``tokens`` with
    ``params`` asks about a trained model. Numbers may be floats (``flops`` also a numpy array on the
    plain path); ``settings`` maps a law setting to its value (a dict is frozen into pairs)."""

    flops: object = None
    params: object = None
    loss: object = None
    tokens: object = None
    tokens_per_param: object = None
    unique_tokens: object = None
    inference_tokens: object = None
    settings: tuple = ()
    recipe: Recipe | None = None

    def __post_init__(self):
        for name in ("flops", "params", "loss", "tokens", "tokens_per_param", "unique_tokens", "inference_tokens"):
            if getattr(self, name) is not None:
                check_positive(getattr(self, name), name)
        if isinstance(self.settings, dict):
            object.__setattr__(self, "settings", tuple((k, v) for k, v in self.settings.items() if v is not None))
        asked = [name for name in ("flops", "params", "loss") if getattr(self, name) is not None]
        fixed = asked == ["flops", "params"] and self.tokens is None  # a given size on a given budget
        if len(asked) != 1 and not fixed:
            raise InputError("give exactly one of a budget (flops), a model size (params) or a target loss (loss)"
                             + (f"; got {' and '.join(asked)}" if asked else ""))
        if self.tokens is not None and self.params is None:
            raise InputError("tokens go with params: a trained model to assess")
        limits = [name for name in ("tokens_per_param", "unique_tokens", "inference_tokens")
                  if getattr(self, name) is not None]
        if self.tokens_per_param is not None and (self.flops is None or len(limits) > 1 or fixed):
            raise InputError("tokens_per_param goes with a budget alone, not with unique_tokens, "
                             "inference_tokens, params or loss")
        if self.tokens is not None and self.inference_tokens is not None:
            raise InputError("a trained model is assessed without inference_tokens")
        if self.params is not None and self.tokens is None and limits:
            raise InputError("unique_tokens and inference_tokens go with a budget or a loss, not params")
        if self.loss is not None and self.unique_tokens is not None and self.inference_tokens is None:
            raise InputError("unique_tokens goes with a budget, or with a loss and inference_tokens")
        if any(getattr(getattr(self, name), "ndim", 0) for name in
               ("params", "loss", "tokens", "tokens_per_param", "unique_tokens", "inference_tokens")) or (
                getattr(self.flops, "ndim", 0) and self.path != "plain"):
            raise InputError(f"the {self.path} path takes one number per quantity; only a plain budget may be an array")

    @property
    def path(self) -> str:
        """plain, params, loss, fixed-size, over-trained, data-limited, inference or assess."""
        if self.tokens is not None:
            return "assess"
        if self.inference_tokens is not None:
            return "inference"
        if self.unique_tokens is not None:
            return "data-limited"
        if self.tokens_per_param is not None:
            return "over-trained"
        if self.params is not None and self.flops is not None:
            return "fixed-size"
        return "params" if self.params is not None else "loss" if self.loss is not None else "plain"


# --- the answer ------------------------------------------------------------------------------------------
def key(text: str, header: str | None = None, kind: str = "plain", json: str = "number", default=None):
    """A field of ``Allocation``: its JSON type and meaning (the schema), its table header and kind."""
    return field(default=default, metadata={"text": text, "header": header, "kind": kind, "json": json})


@dataclass(frozen=True, eq=False)
class Allocation:
    """One law's answer to a query. The fields define the JSON keys (``output/schemas.py`` builds the
    schema from them), the CSV keys and the table columns; a field left None is not an answer of the
    path and is omitted. ``extra`` holds the law form's own keys (``Law.plan_extras``/``model_extras``),
    ``run`` the recipe and cluster keys (``recipe.add_recipe``)."""

    law: str = key("the law's registry name", "Law", "text", "string")
    params: object = key("parameters N, counted as the law counts them", "Params", "count")
    tokens: object = key("training tokens D", "Tokens", "count")
    flops: object = key("training compute in the law's own cost model (6ND unless the law has its own)",
                        "FLOPs", "flops")
    loss: object = key("predicted final loss (nats/token, the law's own data); null if the law predicts none",
                       "Loss", "loss", "number|null")
    params_kind: str = key("what 'params' counts: total, non-embedding or M/6 (DeepSeek)", json="string",
                           default="total")
    extrapolation_decades: object = key("decades of budget outside the budgets the law was fitted on: 0 "
                                        "inside; null if the law states none", json="number|null")
    # over-training
    optimal_tokens_per_param: object = key("the law's compute-optimal tokens per parameter at this budget",
                                           "Optimal M")
    loss_penalty: object = key("this plan's L(N, D) minus the least L(N, D) of any model of the same "
                               "compute under the law (never negative)", "Penalty", "loss")
    # data limits
    epochs: object = key("passes over the unique tokens", "Epochs")
    unique_tokens: object = key("unique tokens available")
    unlimited_data_params: object = key("the plain plan's parameters")
    unlimited_data_tokens: object = key("the plain plan's tokens")
    unlimited_data_loss: object = key("the plain plan's loss", "Unlimited-data loss", "loss", "number|null")
    # inference
    inference_tokens: object = key("lifetime inference tokens T")
    inference_flops: object = key("serving FLOPs, the law's forward cost per token × T (2NT for 6ND)",
                                  "Inference FLOPs", "flops")
    total_flops: object = key("training plus inference FLOPs", "Total FLOPs", "flops")
    chinchilla_params: object = key("the training-optimal model's parameters", "Chinchilla params", "count")
    chinchilla_tokens: object = key("the training-optimal model's tokens")
    chinchilla_total_flops: object = key("the training-optimal model's training plus inference FLOPs",
                                         "Chinchilla total", "flops")
    chinchilla_loss: object = key("the training-optimal plan's loss", "Chinchilla loss", "loss", "number|null")
    saving_flops: object = key("the training-optimal model's total FLOPs minus this plan's")
    saving_percent: object = key("saving_flops as a percentage", "Saving %")
    loss_gain: object = key("the training-optimal plan's loss minus this plan's")
    # a trained model (assess)
    optimal_params: object = key("the law's optimal N at the same compute (its plan)", "Optimal N", "count")
    optimal_tokens: object = key("the law's optimal D at the same compute (its plan)", "Optimal D", "count")
    params_ratio: object = key("the model's parameters ÷ the optimal N", "N ÷ opt.", "ratio")
    training: object = key("under-trained, over-trained or compute-optimal", json="string")
    optimal_loss: object = key("the least L(N, D) of any model of the same compute under the law",
                               "Opt. loss", "loss", "number|null")
    optimum_compute_fraction: object = key("compute the law's optimum needs to reach the model's loss ÷ the "
                                           "model's compute", json="number|null")
    repetition_modelled: object = key("whether the law discounts repeated tokens", json="boolean")
    path: str = field(default="plain", metadata={"emit": False})
    extra: object = field(default_factory=dict, metadata={"emit": False})
    run: object = field(default_factory=dict, metadata={"emit": False})
    warnings: tuple = field(default=(), metadata={"emit": False})
    source: object = field(default=None, repr=False, compare=False, metadata={"emit": False})

    def __post_init__(self):
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))
        object.__setattr__(self, "run", MappingProxyType(dict(self.run)))

    @property
    def tokens_per_param(self):
        return self.tokens / self.params

    @property
    def pf_days(self):
        return pf_days(self.flops)

    @property
    def notes(self) -> list:
        """The law's footnotes for a reader of this allocation."""
        return self.source.allocation_notes(self.as_dict()) if self.source is not None else []

    @property
    def columns(self) -> tuple:
        """The law's (header, key, kind) for its extra keys worth a table column."""
        return tuple(self.source.extra_columns) if self.source is not None else ()

    def as_dict(self) -> dict:
        """The JSON row: every answered field, tokens_per_param and pf_days, then the law's and the
        recipe's keys."""
        row = {}
        always = CORE_KEYS + PATH_KEYS.get(self.path, ())
        for f in fields(self):
            value = getattr(self, f.name)
            if f.metadata.get("emit", True) and (value is not None or f.name in always):
                row[f.name] = value
            if f.name == "tokens":
                row["tokens_per_param"] = self.tokens_per_param
            if f.name == "flops":
                row["pf_days"] = self.pf_days
        row.update(self.extra)
        row.update(self.run)
        return row


CORE_KEYS = ("law", "params", "params_kind", "tokens", "flops", "loss", "extrapolation_decades")
"""Keys every allocation row has (loss and extrapolation_decades may be null)."""
PATH_KEYS = {"assess": ("optimal_params", "optimal_tokens", "params_ratio", "training", "optimal_loss",
                       "optimum_compute_fraction")}
"""Keys a path always writes, null where a law has no answer (e.g. no loss)."""
DERIVED_KEYS = {"tokens_per_param": ("tokens ÷ params", "Tokens/param", "plain", "number"),
                "pf_days": ("flops in PF-days (8.64e19 FLOPs)", "PF-days", "plain", "number")}


def row_keys() -> dict:
    """key -> (meaning, header, kind, JSON type) of every key an allocation row may carry itself."""
    out = {}
    for f in fields(Allocation):
        if f.metadata.get("emit", True):
            out[f.name] = (f.metadata["text"], f.metadata["header"], f.metadata["kind"], f.metadata["json"])
        if f.name == "tokens":
            out["tokens_per_param"] = DERIVED_KEYS["tokens_per_param"]
        if f.name == "flops":
            out["pf_days"] = DERIVED_KEYS["pf_days"]
    return out


# --- the laws' shared arithmetic -----------------------------------------------------------------------------
def with_settings(law, settings):
    """The law with those of ``settings`` it takes applied (a copy); the law itself when none."""
    given = {k: v for k, v in dict(settings or ()).items() if v is not None and k in getattr(law, "settings", ())}
    if not given:
        return law
    make = getattr(law, "clone", None) or law.configured
    return make(**given)


def law_key(law) -> tuple:
    """What makes a law answer as it does: its form, name, constants, settings and file keys."""
    settings = tuple((name, repr(getattr(law, name, None))) for name in getattr(law, "settings", ()))
    described = (law.params_kind, repr(sorted(dict(law.validity).items())), repr(getattr(law, "quantity", None)))
    return (type(law), law.name, tuple(sorted(law.constants.items())), settings, described)


_SMALLEST: dict = {}


def smallest_budget(law) -> float:
    """The smallest budget (FLOPs) whose optimum has at least MIN_COUNT parameters and tokens
    (bisection on log C: both counts grow with the budget under every law form); cached per law."""
    found = _SMALLEST.get(law_key(law))
    if found is None:
        found = _SMALLEST[law_key(law)] = bisect(lambda c: min(law.allocate(c)) >= MIN_COUNT, 1e-30, 1e60,
                                                 rtol=1e-12)[1]
    return found


def check_budget(law, flops) -> None:
    """InputError when a budget (or any of an array of them) is too small for ``law`` to answer."""
    check_positive(flops, "budget (FLOPs)")
    low = float(flops.min()) if hasattr(flops, "min") else float(flops)
    if min(law.allocate(low)) >= MIN_COUNT:  # the counts grow with the budget: no need to find the least
        return
    least = smallest_budget(law)
    if low < least * (1 - 1e-9):
        raise InputError(f"a budget of {sci(low)} FLOPs is too small for '{law.name}': its optimum would "
                         f"have fewer than {MIN_COUNT:,.0f} parameters or tokens; the smallest budget it "
                         f"answers is {sci(least)} FLOPs")


def training_verdict(params_ratio: float) -> str:
    """'under-trained' (larger than the optimum, too few tokens), 'over-trained' or 'compute-optimal'."""
    if params_ratio > OPTIMAL_BAND:
        return "under-trained"
    if params_ratio < 1 / OPTIMAL_BAND:
        return "over-trained"
    return "compute-optimal"


def needs_loss(law, path: str) -> None:
    if not law.predicts_loss:
        raise NoLoss(f"law '{law.name}' predicts no loss, which the {path} path needs")


class NoLoss(InputError):
    """A law that predicts no loss was asked a question only a loss answers."""


def serving_flops(law, params, inference_tokens):
    """FLOPs of serving ``inference_tokens`` with a model of ``params`` in the law's cost model."""
    cost = law.unchecked("training_flops")
    return SERVING_SHARE * cost(params, inference_tokens) if inference_tokens else 0.0 * params


def loss_of(law, unique_tokens=None):
    """L(N, D) of the law, with repeated data discounted when it models repetition (vectorised, unchecked)."""
    function = law.unchecked("loss_with_data")
    return lambda n, d: function(n, d, unique_tokens=unique_tokens)


def least_loss(law, flops: float, unique_tokens=None, inference_tokens=None) -> tuple:
    """(N, D, L): the least L(N, D) with training plus serving at ``flops`` in the law's cost model and
    its settings at that budget, searched over N (D spends the rest)."""
    import numpy as np

    fixed = law.at_budget(flops)
    loss = loss_of(fixed, unique_tokens)
    per_token = fixed.unchecked("training_flops")  # grids reach where nothing is left to train on

    def tokens(n):
        return (flops - serving_flops(fixed, n, inference_tokens)) / per_token(n, 1.0)

    hi = 1e4 * math.sqrt(flops / FLOPS_PER_PARAM_TOKEN)
    if inference_tokens:
        hi = min(hi, bisect(lambda n: serving_flops(fixed, n, inference_tokens) >= flops, 1e-30, flops)[0])
    params, value = minimise_log(lambda n: np.where(tokens(n) > 0, loss(n, tokens(n)), np.inf), hi * 1e-11, hi)
    return params, float(tokens(params)), value


def frontier_minimises_loss(law) -> bool:
    """Whether the law's compute-optimal plan is the least L(N, D) at its compute
    (``Law.frontier_minimises_loss``; a law without a loss has nothing to compare)."""
    return not law.predicts_loss or law.frontier_minimises_loss


# --- the paths ---------------------------------------------------------------------------------------------
def _answer(law, path, flops, params, tokens, loss, extra=None, **keys) -> Allocation:
    return Allocation(law=law.name, params=params, tokens=tokens, flops=flops, loss=loss,
                      params_kind=law.params_kind, extrapolation_decades=law.extrapolation_decades(flops),
                      path=path, extra=extra or {}, source=law, **keys)


_PLAINS: dict = {}
MEMO_SIZE = 4096
"""Plain plans kept per (law, budget): the paths ask for the same plan many times, and the numerically
optimised forms search for each."""


def _plain(law, flops) -> Allocation:
    memo = None if getattr(flops, "ndim", 0) else (law_key(law), float(flops))
    if memo in _PLAINS:
        return _PLAINS[memo]
    check_budget(law, flops)
    params, tokens = law.allocate(flops)
    loss = law.frontier_loss(flops) if law.predicts_loss else None
    answer = _answer(law, "plain", flops, params, tokens, loss, law.plan_extras(flops))
    if memo is not None:
        if len(_PLAINS) >= MEMO_SIZE:
            _PLAINS.clear()
        _PLAINS[memo] = answer
    return answer


def optimum(law, flops: float, unique_tokens=None) -> Allocation:
    """The best model of compute ``flops`` under the law: its plan, with ``unique_tokens`` its
    data-limited plan; for a law whose frontier is not the least L(N, D) (Kaplan), the model of least
    L(N, D). Its ``loss`` is then L(N, D), so a given model of the same compute never beats it."""
    if unique_tokens is not None and law.models_repetition:
        return _limited(law, flops, unique_tokens)
    if frontier_minimises_loss(law):
        return _plain(law, flops)
    check_budget(law, flops)
    params, tokens, loss = least_loss(law, flops)
    return _answer(law, "plain", flops, params, tokens, loss, law.at_budget(flops).model_extras(params, tokens))


def _size(law, query) -> Allocation:
    best = _plain(law, law.params_budget(query.params))
    return replace(best, params=query.params, path="params")


def _fixed_size(law, query) -> Allocation:
    """A given size on a given budget (a cluster until a deadline): the tokens it buys, D = C/(6N), and
    their loss L(N, D)."""
    tokens = float(query.flops) / (6.0 * float(query.params))
    loss = law.loss(float(query.params), tokens) if law.predicts_loss else None
    return _answer(law, "fixed-size", query.flops, query.params, tokens, loss)


def _target(law, query) -> Allocation:
    needs_loss(law, "target-loss")
    flops = law.loss_budget(query.loss)
    if flops == math.inf:
        raise InputError(f"loss {query.loss:g} is unreachable under '{law.name}': its irreducible loss is "
                         f"{law.floor_loss():g}; choose a higher target")
    return replace(_plain(law, flops), path="loss")


def _overtrained(law, query) -> Allocation:
    flops, multiplier = query.flops, query.tokens_per_param
    best = _plain(law, flops)
    fixed = law.at_budget(flops)
    lo, hi = bisect(lambda n: fixed.training_flops(n, multiplier * n) >= flops, 1e-30, flops)
    params = math.sqrt(lo * hi)
    tokens = multiplier * params
    loss = penalty = None
    if law.predicts_loss:
        loss = float(fixed.loss(params, tokens))
        penalty = max(loss - float(optimum(law, flops).loss), 0.0)
    return _answer(law, "over-trained", flops, params, tokens, loss, fixed.model_extras(params, tokens),
                   optimal_tokens_per_param=best.tokens / best.params, loss_penalty=penalty)


def _limited(law, flops, unique_tokens) -> Allocation:
    """The plan under a limit of unique tokens: a law that models repetition minimises its
    repeated-data loss; any other keeps its plan and warns when the plan repeats data."""
    plain = _plain(law, flops)
    if law.models_repetition:
        params, tokens, loss = least_loss(law, flops, unique_tokens)
        answer = _answer(law, "data-limited", flops, params, tokens, loss, unlimited_data_params=plain.params,
                         unlimited_data_tokens=plain.tokens, unlimited_data_loss=plain.loss)
    else:
        answer = replace(plain, path="data-limited")
    return _repeating(answer, law, unique_tokens)


def _repeating(answer, law, unique_tokens) -> Allocation:
    if unique_tokens is None:
        return answer
    epochs = answer.tokens / unique_tokens
    warnings = answer.warnings
    if epochs > 1 and not law.models_repetition:
        warnings += (f"'{law.name}' assumes fresh tokens but its plan trains on {human_count(answer.tokens)} tokens, "
                     f"{epochs:.3g} epochs of the {human_count(unique_tokens)} unique ones; "
                     f"see --law muennighoff2023 for a law that discounts repeats",)
    return replace(answer, epochs=epochs, unique_tokens=unique_tokens, warnings=warnings)


def _data(law, flops, unique_tokens) -> Allocation:
    return _plain(law, flops) if unique_tokens is None else _limited(law, flops, unique_tokens)


def _inference(law, query) -> Allocation:
    needs_loss(law, "inference-aware")
    return (_inference_loss if query.loss is not None else _inference_budget)(law, query)


def _inference_budget(law, query) -> Allocation:
    """The lowest loss for a lifetime budget C = training + serving, beside the training-optimal plan
    whose training and serving spend the same C."""
    flops, served, unique = query.flops, query.inference_tokens, query.unique_tokens
    if serving_flops(law.at_budget(flops), 1.0, served) >= flops:
        raise InputError(f"serving {served:.3g} inference tokens costs more than the lifetime budget {flops:.3g} "
                         f"FLOPs even for a one-parameter model")

    def spent(training):
        return training + serving_flops(law.at_budget(training), _data(law, training, unique).params, served)

    training, guess, least = None, flops, smallest_budget(law)
    for _ in range(8):  # a fixed point first: serving is usually a small share of the budget
        step = flops - (spent(guess) - guess)
        if step < least:
            break
        if abs(step / guess - 1) < 1e-12:
            training = step
            break
        guess = step
    if training is None or abs(spent(training) / flops - 1) > 1e-9:
        training = bisect(lambda c: spent(c) > flops, least, flops, rtol=1e-10)[0]
    base = _data(law, training, unique)
    if frontier_minimises_loss(law):
        check_budget(law, flops)
        params, tokens, loss = least_loss(law, flops, unique, served)
        fixed = law.at_budget(flops)
        answer = _answer(law, "inference", fixed.training_flops(params, tokens), params, tokens, loss,
                         fixed.model_extras(params, tokens))
    else:  # planned on its frontier: the training share of the budget
        answer = replace(base, path="inference")
    chinchilla_loss = float(base.loss)
    answer = replace(answer, inference_tokens=served, inference_flops=serving_flops(law.at_budget(flops),
                     answer.params, served), total_flops=flops, chinchilla_params=base.params,
                     chinchilla_tokens=base.tokens, chinchilla_loss=chinchilla_loss,
                     loss_gain=max(chinchilla_loss - float(answer.loss), 0.0))
    return _repeating(answer, law, unique)


def tokens_reaching(law, params, target: float, unique_tokens=None):
    """Fewest tokens D with the law's L(N, D) <= target for each N; inf if none (``optimise``)."""
    from scalingplan.planning.optimise import tokens_reaching as reaching

    return reaching(loss_of(law, unique_tokens), params, target)


def _cheapest(law, target, served, unique):
    """(N, D, lifetime FLOPs) of the model reaching ``target`` with the least training plus serving."""
    training = law.unchecked("training_flops")  # inf where no tokens reach the target

    def cost(n):
        return training(n, tokens_reaching(law, n, target, unique)) + serving_flops(law, n, served)

    params, total = minimise_log(cost, 1.0, 1e30)
    if not math.isfinite(total):
        raise InputError(f"no model reaches loss {target:g} under '{law.name}'")
    return params, float(tokens_reaching(law, params, target, unique)), total


def _inference_loss(law, query) -> Allocation:
    """For a target loss: the (N, D) with the least training plus serving, beside the training-optimal
    model of the same loss served for the same tokens."""
    target, served, unique = query.loss, query.inference_tokens, query.unique_tokens
    floor = law.data_floor(unique)
    if target <= floor:
        limit = "" if floor == law.floor_loss() else f" with {human_count(unique)} unique tokens"
        raise InputError(f"loss {target:g} is unreachable under '{law.name}'{limit}: its floor is {floor:g}; "
                         f"choose a higher target")
    if frontier_minimises_loss(law):
        reached = law.loss_budget(target)
        fixed = law.at_budget(reached) if reached < math.inf else law
        params, tokens, total = _cheapest(fixed, target, served, unique)
        base_params, base_tokens, _ = _cheapest(fixed, target, 0.0, unique)
        flops = fixed.training_flops(params, tokens)
        answer = _answer(law, "inference", flops, params, tokens, float(loss_of(fixed, unique)(params, tokens)),
                         fixed.model_extras(params, tokens))
        base_flops = fixed.training_flops(base_params, base_tokens)
    else:  # planned on its frontier
        fixed = law
        answer = replace(_target(law, query), path="inference")
        params, tokens = answer.params, answer.tokens
        total = answer.flops + serving_flops(law, params, served)
        base_params, base_tokens, base_flops = params, tokens, answer.flops
    base_total = base_flops + serving_flops(fixed, base_params, served)
    answer = replace(answer, inference_tokens=served, inference_flops=serving_flops(fixed, params, served),
                     total_flops=total, chinchilla_params=base_params, chinchilla_tokens=base_tokens,
                     chinchilla_total_flops=base_total, saving_flops=max(base_total - total, 0.0),
                     saving_percent=100.0 * max(base_total - total, 0.0) / base_total)
    return _repeating(answer, law, unique)


def budget_for_loss(law, target: float) -> float:
    """The least compute at which the law's best model (``optimum``) reaches ``target``; inf if none."""
    if frontier_minimises_loss(law):
        return law.loss_budget(target)
    least = smallest_budget(law)
    if least_loss(law, 1e60)[2] > target:
        return math.inf
    if least_loss(law, least)[2] <= target:
        return least
    return bisect(lambda c: least_loss(law, c)[2] <= target, least, 1e60, rtol=1e-10)[1]


def _assess(law, query) -> Allocation:
    """A trained model against the law's plan for the same compute (its optimal N and D, as ``allocate``
    gives them) and the least L(N, D) of any model of that compute (the plan's loss, except for a law
    whose frontier is a separate fit from its L(N, D))."""
    params, tokens, unique = query.params, query.tokens, query.unique_tokens
    spent = law.training_flops(params, tokens)
    best = _data(law, spent, unique if law.models_repetition else None)
    least = optimum(law, spent, unique) if law.predicts_loss and not frontier_minimises_loss(law) else best
    loss = fraction = None
    if law.predicts_loss:
        loss = float(law.loss_with_data(params, tokens, unique)) if unique else float(law.loss(params, tokens))
        if unique is None:
            needed = budget_for_loss(law, loss)
            fraction = needed / spent if needed != math.inf else None
    keys = dict(optimal_params=best.params, optimal_tokens=best.tokens, params_ratio=params / best.params,
                training=training_verdict(params / best.params), optimal_loss=least.loss,
                optimum_compute_fraction=fraction)
    if unique is not None:
        keys.update(epochs=tokens / unique, unique_tokens=unique, repetition_modelled=law.models_repetition)
    answer = _answer(law, "assess", spent, params, tokens, loss, law.model_extras(params, tokens), **keys)
    return replace(answer, extrapolation_decades=best.extrapolation_decades)


PATHS = {"plain": lambda law, q: _plain(law, q.flops), "params": _size, "loss": _target,
         "over-trained": _overtrained, "data-limited": lambda law, q: _limited(law, q.flops, q.unique_tokens),
         "inference": _inference, "assess": _assess, "fixed-size": _fixed_size}
"""Each path of the planner. A new path is one function here and one branch of ``Query.path``."""


def with_recipe(answer: Allocation, recipe: Recipe) -> Allocation:
    """The allocation with the recipe's keys (batch, learning rate, steps; days, cost and memory on a
    cluster) in ``run``."""
    from scalingplan.compute import memory as mem
    from scalingplan.planning.recipe import add_recipe

    row = answer.as_dict()
    before = set(row)
    add_recipe([row], recipe.rule, recipe.seq_len or mem.DEFAULT_SEQ_LEN, recipe.cluster, recipe.shape)
    return replace(answer, run={k: row[k] for k in row if k not in before})


DEADLINE_STEPS = 10
"""At most this many passes of the fixed-size deadline iteration (``on_deadline``)."""


def on_deadline(answer_for, query: Query) -> Allocation:
    """A fixed size on a cluster's time budget T (GPU-seconds) at its predicted MFU: C = T × peak × MFU
    buys D = C/(6N) tokens, whose batch (DeepSeek's rule) sets the micro-batches, the layout and so the
    MFU. Fixed-point iteration from the catalogue's default MFU: plan at MFU m, read the row's
    predicted MFU m', repeat with m' until m' = m. The prediction depends on D only through the whole
    number of sequences in the batch, so the pass after the batch repeats is exact (C/(count × peak ×
    m) = T); a layout that does not fit keeps the default. ``answer_for(query)`` plans one query."""
    cluster = query.recipe.cluster
    rate = cluster.gpu_seconds * cluster.gpu["peak_flops"]  # FLOPs per unit of MFU
    mfu = cluster.utilisation  # the seed
    for _ in range(DEADLINE_STEPS):
        answer = answer_for(replace(query, flops=rate * mfu))
        if answer.run["utilisation_source"] != "predicted" or answer.run["mfu"] == mfu:
            break
        mfu = answer.run["mfu"]
    return answer


def plan(law, query: Query) -> Allocation:
    """The answer of one law object to ``query``, through the path the query names (a fixed size on a
    cluster's time budget through ``on_deadline``)."""
    law = with_settings(law, query.settings)

    def answer_for(query):
        try:
            answer = PATHS[query.path](law, query)
        except (OverflowError, ZeroDivisionError):
            raise InputError(f"'{law.name}' cannot compute the {query.path} path for these inputs; "
                             f"use numbers of ordinary size") from None
        except NotImplementedError:
            raise InputError(f"law '{law.name}' ({law.form or type(law).__name__}) cannot answer the "
                             f"{query.path} path") from None
        return with_recipe(answer, query.recipe) if query.recipe is not None else answer

    cluster = query.recipe.cluster if query.recipe is not None else None
    if query.path == "fixed-size" and getattr(cluster, "gpu_seconds", None):
        return on_deadline(answer_for, query)
    return answer_for(query)


class Plans(NamedTuple):
    """Every law's answer to one query: the allocations, the laws left out because they predict no
    loss, and the warnings a reader needs."""

    allocations: tuple
    skipped: tuple = ()
    warnings: tuple = ()


def plan_all(laws, query: Query) -> Plans:
    """``plan`` for each law; laws that predict no loss are skipped on paths that need one
    (InputError when every law is)."""
    answers, skipped, warnings = [], [], []
    for law in laws:
        try:
            answer = plan(law, query)
        except NoLoss:
            skipped.append(law.name)
            continue
        answers.append(answer)
        warnings.extend(w for w in answer.warnings if w not in warnings)
    if not answers and skipped:
        option = "--inference-tokens" if query.path == "inference" else "--loss"
        raise InputError(f"{option} needs a law that predicts loss, and {', '.join(skipped)} "
                         f"{'does' if len(skipped) == 1 else 'do'} not; try --law chinchilla-3 or --law epoch2024")
    return Plans(tuple(answers), tuple(skipped), tuple(warnings))
