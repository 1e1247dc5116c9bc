"""The Python API of the planner: allocations for a budget, a model size or a target loss, over-trained
plans, comparisons across budgets and assessments of trained models, each under several laws. Every
function is a thin loop over ``planner.plan`` (one law, one ``Query``); budgets may be numpy arrays
on the plain path."""

import os
from collections.abc import Iterable

from scalingplan.catalogues.registry import distinct_names, load_laws
from scalingplan.errors import InputError
from scalingplan.numbers import check_positive
from scalingplan.planning.planner import (MIN_COUNT, OPTIMAL_BAND, Allocation, Query, check_budget,  # noqa: F401
                                          plan_all, smallest_budget, training_verdict)
from scalingplan.planning import planner

WARN_DECADES = 2.0
"""Budgets more than this many decades outside a law's fitted range draw one warning line. Chinchilla
itself was extrapolated 1.6 decades past the largest budget of its fits (1.3e22 to 5.76e23 FLOPs)."""


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


def plan(law, flops) -> Allocation:
    """The compute-optimal allocation of ``flops`` under one law object (for Kaplan its loss is the
    C_min trend of eq. 1.3)."""
    return planner.plan(law, Query(flops=flops))


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
    return [planner.with_settings(law, given) for law in resolved]


def answers(query: Query, laws=None) -> list:
    """Every law's allocation for ``query`` (laws that predict no loss must not be needed)."""
    return list(plan_all(resolve(laws), query).allocations)


def allocate(flops, laws=None) -> list:
    """Compute-optimal allocations of a budget (FLOPs; float or array) under each law."""
    check_positive(flops, "budget (FLOPs)")
    return answers(Query(flops=flops), laws)


def allocate_params(params, laws=None) -> list:
    """For a model size: the budget for which it is compute-optimal, and its tokens, under each law."""
    check_positive(params, "params")
    return answers(Query(params=params), laws)


def allocate_loss(target_loss: float, laws=None) -> tuple:
    """For a target loss: the smallest budget that reaches it under each law that predicts loss.

    Returns (allocations, skipped) where ``skipped`` names the laws that predict no loss.
    Raises InputError when a law can never reach the target (at or below its irreducible loss).
    """
    check_positive(target_loss, "loss")
    found = plan_all(resolve(laws), Query(loss=target_loss))
    return list(found.allocations), list(found.skipped)


def overtrained(flops, multiplier: float, laws=None) -> list:
    """Plans that spend ``flops`` on D = M·N tokens (over-training when M is above the optimum), with
    the loss penalty against the law's best model of the same compute for laws that predict loss."""
    return answers(Query(flops=flops, tokens_per_param=multiplier), laws)


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
        plans = [planner.plan(law, Query(flops=flops)) for law in laws]
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


def assess(params: float, tokens: float, laws=None, unique_tokens=None) -> tuple:
    """How a trained model (N, D) compares with each law's best model of the same compute.

    Returns (6ND, assessment rows): per law the model's L(N, D), the optimal N and D at the law's
    compute for the model, N / N_opt, the verdict, the optimum's L(N, D) and the compute the optimum
    needs for the model's loss as a fraction of the model's (losses None for laws without one).
    """
    from scalingplan.compute.counting import six_nd

    query = Query(params=params, tokens=tokens, unique_tokens=unique_tokens)
    return six_nd(params, tokens), [a.as_dict() for a in answers(query, laws)]


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
