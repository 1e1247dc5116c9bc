"""Planning on top of the laws: allocations for a budget, a model size or a target loss; comparisons
across budgets; assessments of trained models. Inputs may be floats or numpy arrays of budgets."""

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from scalingplan.compute.counting import six_nd
from scalingplan.errors import InputError
from scalingplan.catalogues.registry import distinct_names, load_laws
from scalingplan.constants import pf_days
from scalingplan.numbers import check_positive
from scalingplan.numbers import sci

MIN_COUNT = 1e3
"""An optimum with fewer parameters or tokens than this is no answer: such budgets are refused."""
WARN_DECADES = 2.0
"""Budgets more than this many decades outside a law's fitted range draw one warning line. Chinchilla
itself was extrapolated 1.6 decades past the largest budget of its fits (1.3e22 to 5.76e23 FLOPs)."""


@dataclass
class Allocation:
    """One law's compute-optimal plan: ``params`` and ``tokens`` spend ``flops`` (C = 6ND).

    ``params_kind`` says what the law's parameters count; ``extrapolation_decades`` how many decades
    of budget lie outside the range the law was fitted on (0 inside, None if the law states none).
    """

    law: str
    flops: object
    params: object
    tokens: object
    loss: object = None
    extra: dict = field(default_factory=dict)
    source: object = field(default=None, repr=False, compare=False)
    """The law object that made this allocation, when there is one."""

    @property
    def params_kind(self) -> str:
        """What the law's parameter count counts (``Law.params_kind``)."""
        return self.source.params_kind if self.source is not None else "total"

    @property
    def extrapolation_decades(self):
        """Decades of budget outside the law's fitted range (0 inside; None if it states none)."""
        return self.source.extrapolation_decades(self.flops) if self.source is not None else None

    @property
    def notes(self) -> list:
        """The law's footnotes for a reader of this allocation."""
        return self.source.allocation_notes(self.as_dict()) if self.source is not None else []

    @property
    def columns(self) -> tuple:
        """The law's (header, key, kind) for its extra keys worth a table column."""
        return tuple(self.source.extra_columns) if self.source is not None else ()

    @property
    def tokens_per_param(self):
        return self.tokens / self.params

    @property
    def pf_days(self):
        return pf_days(self.flops)

    def as_dict(self) -> dict:
        row = {"law": self.law, "params": self.params, "params_kind": self.params_kind,
               "tokens": self.tokens, "tokens_per_param": self.tokens_per_param, "flops": self.flops,
               "pf_days": self.pf_days, "loss": self.loss,
               "extrapolation_decades": self.extrapolation_decades}
        row.update(self.extra)
        return row


def resolve(laws=None) -> list:
    """Law objects from names, aliases, families, paths or law objects (main laws when empty)."""
    if laws is None or isinstance(laws, (str, os.PathLike)) or hasattr(laws, "allocate"):
        laws = () if laws is None else (laws,)
    if not isinstance(laws, Iterable) or isinstance(laws, (bytes, dict)):
        raise InputError(f"laws: expected law names, paths or law objects, got {type(laws).__name__}")
    resolved = []
    for law in laws:
        resolved.extend([law] if hasattr(law, "allocate") else load_laws((law,)))
    return distinct_names(resolved) if resolved else load_laws(())


@lru_cache(maxsize=None)
def smallest_budget(law) -> float:
    """The smallest budget (FLOPs) whose optimum has at least MIN_COUNT parameters and tokens.

    Bisection on log C: both counts grow with the budget under every law form.
    """
    import math

    lo, hi = 1e-30, 1e60
    for _ in range(400):
        mid = math.sqrt(lo * hi)
        if min(law.allocate(mid)) >= MIN_COUNT:
            hi = mid
        else:
            lo = mid
        if hi / lo - 1 < 1e-12:
            break
    return hi


def check_budget(law, flops) -> None:
    """InputError when a budget (or any of an array of them) is too small for ``law`` to answer."""
    check_positive(flops, "budget (FLOPs)")
    least = smallest_budget(law)
    low = float(flops.min()) if hasattr(flops, "min") else float(flops)
    if low < least * (1 - 1e-9):
        raise InputError(f"a budget of {sci(low)} FLOPs is too small for '{law.name}': its optimum would "
                         f"have fewer than {MIN_COUNT:,.0f} parameters or tokens; the smallest budget it "
                         f"answers is {sci(least)} FLOPs")


def plan(law, flops) -> Allocation:
    """The compute-optimal allocation of ``flops`` under one law object.

    Its loss is the law's frontier loss (for Kaplan the C_min trend of eq. 1.3).
    """
    check_budget(law, flops)
    params, tokens = law.allocate(flops)
    loss = law.frontier_loss(flops) if law.predicts_loss else None
    return Allocation(law.name, flops, params, tokens, loss, law.plan_extras(flops), source=law)


def configure(laws=None, **settings) -> list:
    """Law objects with run settings (e.g. granularity=8, precision=(8, 8, 8)) applied to the laws
    that take them. With no laws named, the main laws plus every registry law that takes a given
    setting. InputError when a setting is given and none of the laws takes it."""
    from scalingplan.catalogues.registry import available, load_law

    given = {key: value for key, value in settings.items() if value is not None}
    resolved = resolve(laws)
    if not given:
        return resolved
    takes = lambda law: set(given) & set(getattr(law, "settings", ()))  # noqa: E731
    if not laws:
        resolved += [law for law in map(load_law, available()) if takes(law) and law not in resolved]
    for key in given:
        if not any(key in getattr(law, "settings", ()) for law in resolved):
            option = "--post-train-bits" if key == "post_bits" else "--" + key
            raise InputError(f"{option}: none of the laws {', '.join(law.name for law in resolved)} takes it; "
                             f"see 'scalingplan laws' for laws that do")
    return [law.clone(**{k: v for k, v in given.items() if k in law.settings}) if takes(law) else law
            for law in resolved]


def overtrained(flops, multiplier: float, laws=None) -> list:
    """Plans that spend ``flops`` on D = M·N tokens (over-training when M is above the optimum):
    N from the law's cost model at its budget's settings, with the loss penalty against the
    compute-optimal plan for laws that predict loss."""
    import math

    out = []
    for law in resolve(laws):
        best = plan(law, flops)
        fixed = law.at_budget(flops)
        lo, hi = 0.0, math.log(flops)  # training_flops(N, M·N) grows with N
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            lo, hi = (mid, hi) if fixed.training_flops(math.exp(mid), multiplier * math.exp(mid)) < flops else (lo, mid)
        params = math.exp(0.5 * (lo + hi))
        tokens = multiplier * params
        extra = {"optimal_tokens_per_param": best.tokens_per_param, **fixed.model_extras(params, tokens)}
        loss = None
        if law.predicts_loss:
            loss = fixed.loss(params, tokens)
            extra["loss_penalty"] = loss - best.loss
        out.append(Allocation(law.name, flops, params, tokens, loss, extra, source=law))
    return out


def allocate(flops, laws=None) -> list:
    """Compute-optimal allocations of a budget (FLOPs; float or array) under each law."""
    check_positive(flops, "budget (FLOPs)")
    return [plan(law, flops) for law in resolve(laws)]


def allocate_params(params, laws=None) -> list:
    """For a model size: the budget for which it is compute-optimal, and its tokens, under each law."""
    check_positive(params, "params")
    out = []
    for law in resolve(laws):
        best = plan(law, law.params_budget(params))
        best.params = params  # the plan's own tokens: laws with their own cost model differ from C/(6N)
        out.append(best)
    return out


def allocate_loss(target_loss: float, laws=None) -> tuple:
    """For a target loss: the smallest budget that reaches it under each law that predicts loss.

    Returns (allocations, skipped) where ``skipped`` names the laws that predict no loss.
    Raises InputError when a law can never reach the target (at or below its irreducible loss).
    """
    check_positive(target_loss, "loss")
    out, skipped = [], []
    for law in resolve(laws):
        if not law.predicts_loss:
            skipped.append(law.name)
            continue
        flops = law.loss_budget(target_loss)
        if flops == float("inf"):
            raise InputError(f"loss {target_loss:g} is unreachable under '{law.name}': its "
                             f"irreducible loss is {law.floor_loss():g}; choose a higher target")
        out.append(plan(law, flops))
    if not out:
        raise InputError(f"none of the laws {', '.join(skipped)} predicts loss; "
                         f"try --law chinchilla-3 or --law epoch2024")
    return out, skipped


def compare(budgets, laws=None) -> list:
    """Allocations for every (budget, law) pair, each row with its ratios to the first law's plan."""
    if isinstance(budgets, (int, float)) and not isinstance(budgets, bool):
        budgets = [budgets]
    if not isinstance(budgets, Iterable) or isinstance(budgets, (str, bytes, dict)):
        raise InputError(f"compare: expected a list of budgets (FLOPs), got {type(budgets).__name__}")
    budgets = list(budgets)
    if not budgets:
        raise InputError("compare needs at least one budget")
    for flops in budgets:
        check_positive(flops, "budget (FLOPs)")
    laws = resolve(laws)
    rows = []
    for flops in budgets:
        plans = [plan(law, flops) for law in laws]
        base = plans[0]
        for p in plans:
            row = p.as_dict()
            row["params_vs_first"] = p.params / base.params
            row["tokens_vs_first"] = p.tokens / base.tokens
            if losses_comparable(laws):
                row["compute_vs_first"] = laws[0].loss_budget(p.loss) / flops
            rows.append(row)
    return rows


def losses_comparable(laws) -> bool:
    """Whether the laws' losses share one scale: all predict loss and belong to one family (one
    paper's fits on one evaluation set, e.g. krajewski2024-dense and krajewski2024)."""
    families = {law.meta.get("family") for law in laws}
    return len(laws) > 1 and None not in families and len(families) == 1 and all(l.predicts_loss for l in laws)


def far_outside(rows: list, limit: float = WARN_DECADES) -> list:
    """Names of the laws whose rows lie more than ``limit`` decades of budget outside their fit."""
    import math

    names = []
    for row in rows:
        decades = row.get("extrapolation_decades")
        if decades is None:
            continue
        worst = float(decades.max()) if hasattr(decades, "max") else float(decades)
        if worst > limit and not math.isnan(worst) and row["law"] not in names:
            names.append(row["law"])
    return names


def extrapolation_warning(rows: list, limit: float = WARN_DECADES) -> str | None:
    """One line naming every law asked about a budget far outside the budgets it was fitted on."""
    names = far_outside(rows, limit)
    if not names:
        return None
    return (f"more than {limit:g} decades of budget outside the fitted range of {', '.join(names)}; "
            f"treat {'its' if len(names) == 1 else 'their'} answers as extrapolations "
            f"(extrapolation_decades in --json)")


MAX_POINTS = 1000
"""Budgets in one sweep: a table past a few dozen rows is unread, and each costs every law's plan."""


def log_budgets(start: float, stop: float, points: int) -> list:
    """``points`` budgets evenly spaced in log between ``start`` and ``stop`` (inclusive)."""
    import math

    if not 1 <= points <= MAX_POINTS:
        raise InputError(f"--points must be 1 to {MAX_POINTS:,}, got {points}")
    if points == 1:
        return [start]
    if stop <= start:
        raise InputError(f"--to ({stop:g}) must be larger than --from ({start:g})")
    step = (math.log10(stop) - math.log10(start)) / (points - 1)
    return [10 ** (math.log10(start) + i * step) for i in range(points)]


OPTIMAL_BAND = 1.1
"""A model within this factor of a law's optimal size at its compute is called compute-optimal."""


def training_verdict(params_ratio: float) -> str:
    """'under-trained' (larger than the optimum, too few tokens), 'over-trained' or 'compute-optimal'."""
    if params_ratio > OPTIMAL_BAND:
        return "under-trained"
    if params_ratio < 1 / OPTIMAL_BAND:
        return "over-trained"
    return "compute-optimal"


def assess(params: float, tokens: float, laws=None) -> tuple:
    """How a trained model (N, D) compares with each law's optimum at its compute C = 6ND.

    Returns (flops, assessments): per law the model's predicted loss L(N, D), the optimal N and D at
    the same compute, N / N_opt, whether the model is over- or under-trained, the loss the optimum
    reaches, and ``optimum_compute_fraction``: the budget the law's optimum needs to reach the model's
    own loss, as a fraction of the model's compute (losses None for laws without one).
    """
    check_positive(params, "params")
    check_positive(tokens, "tokens")
    flops = six_nd(params, tokens)
    assessments = []
    for law in resolve(laws):
        spent = law.training_flops(params, tokens)
        best = plan(law, spent)
        loss = law.loss(params, tokens) if law.predicts_loss else None
        needed = law.loss_budget(loss) if loss is not None else None
        fraction = needed / spent if needed is not None and needed != float("inf") else None
        row = {
            "law": law.name,
            "params_kind": law.params_kind,
            "loss": loss,
            "optimal_params": best.params,
            "optimal_tokens": best.tokens,
            "params_ratio": params / best.params,
            "training": training_verdict(params / best.params),
            "optimal_loss": best.loss,
            "optimum_compute_fraction": fraction,
            "extrapolation_decades": best.extrapolation_decades,
            **law.model_extras(params, tokens),
        }
        if spent != flops:
            row["law_flops"] = spent  # the law's own cost model (e.g. MoE routers, precision)
        assessments.append(row)
    return flops, assessments
