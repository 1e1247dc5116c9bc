"""Planning on top of the laws: allocations for a budget, a model size or a target loss; comparisons
across budgets; assessments of trained models. Inputs may be floats or numpy arrays of budgets."""

from dataclasses import dataclass, field

from scalingplan.errors import InputError
from scalingplan.laws.base import tokens_for
from scalingplan.catalogues.registry import distinct_names, load_laws
from scalingplan.constants import pf_days


@dataclass
class Allocation:
    """One law's compute-optimal plan: ``params`` and ``tokens`` spend ``flops`` (C = 6ND)."""

    law: str
    flops: object
    params: object
    tokens: object
    loss: object = None
    extra: dict = field(default_factory=dict)

    @property
    def tokens_per_param(self):
        return self.tokens / self.params

    @property
    def pf_days(self):
        return pf_days(self.flops)

    def as_dict(self) -> dict:
        row = {"law": self.law, "params": self.params, "tokens": self.tokens,
               "tokens_per_param": self.tokens_per_param, "flops": self.flops,
               "pf_days": self.pf_days, "loss": self.loss}
        row.update(self.extra)
        return row


def resolve(laws=None) -> list:
    """Law objects from names, aliases, families, paths or law objects (main laws when empty)."""
    if laws is None or isinstance(laws, str):
        return load_laws(() if laws is None else (laws,))
    resolved = []
    for law in laws:
        resolved.extend([law] if hasattr(law, "allocate") else load_laws((law,)))
    return distinct_names(resolved) if resolved else load_laws(())


def plan(law, flops) -> Allocation:
    """The compute-optimal allocation of ``flops`` under one law object."""
    params, tokens = law.allocate(flops)
    loss = law.loss(params, tokens) if law.predicts_loss else None
    extra = {}
    if law.form == "kaplan":
        extra = {"batch_tokens": law.frontier_batch(flops), "steps": law.frontier_steps(flops)}
    return Allocation(law.name, flops, params, tokens, loss, extra)


def allocate(flops, laws=None) -> list:
    """Compute-optimal allocations of a budget (FLOPs; float or array) under each law."""
    return [plan(law, flops) for law in resolve(laws)]


def allocate_params(params, laws=None) -> list:
    """For a model size: the budget for which it is compute-optimal, and its tokens, under each law."""
    out = []
    for law in resolve(laws):
        flops = law.params_budget(params)
        tokens = tokens_for(flops, params)
        loss = law.loss(params, tokens) if law.predicts_loss else None
        out.append(Allocation(law.name, flops, params, tokens, loss))
    return out


def allocate_loss(target_loss: float, laws=None) -> tuple:
    """For a target loss: the smallest budget that reaches it under each law that predicts loss.

    Returns (allocations, skipped) where ``skipped`` names the laws that predict no loss.
    Raises InputError when a law can never reach the target (at or below its irreducible loss).
    """
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
    laws = resolve(laws)
    rows = []
    for flops in budgets:
        plans = [plan(law, flops) for law in laws]
        base = plans[0]
        for p in plans:
            row = p.as_dict()
            row["params_vs_first"] = p.params / base.params
            row["tokens_vs_first"] = p.tokens / base.tokens
            rows.append(row)
    return rows


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


def assess(params: float, tokens: float, laws=None) -> tuple:
    """How a trained model (N, D) compares with each law's optimum at its compute C = 6ND.

    Returns (flops, assessments): per law the model's predicted loss, the optimal N and D at the same
    compute, N / N_opt, and the loss the optimum would reach (losses None for laws without one).
    """
    flops = 6.0 * params * tokens
    assessments = []
    for law in resolve(laws):
        best = plan(law, flops)
        assessments.append({
            "law": law.name,
            "loss": law.loss(params, tokens) if law.predicts_loss else None,
            "optimal_params": best.params,
            "optimal_tokens": best.tokens,
            "params_ratio": params / best.params,
            "optimal_loss": best.loss,
        })
    return flops, assessments
