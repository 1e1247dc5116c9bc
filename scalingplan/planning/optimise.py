"""Inference-aware optimisers (Sardana et al. 2024, "Beyond Chinchilla-Optimal", arXiv:2401.00448).

Lifetime compute is training plus inference, 6·N·D + 2·N·T for T inference tokens (their code,
nikhilsardana/beyond-chinchilla utils.py: FLOPMode TRAINING = 6, INFERENCE = 2, counted over input
and output tokens alike). Every function takes the loss as a callable ``loss(N, D)`` over numpy
arrays, non-increasing in D, so any law with a loss works, the data-constrained one included. The
minimisers search a log grid and zoom around the best point; no closed form is needed (Sardana et al.
solve their first-order condition with Newton's method; tests check that condition at our optimum).
"""

import math

from scalingplan.constants import FLOPS_PER_PARAM_TOKEN, INFERENCE_FLOPS_PER_PARAM_TOKEN

GRID_POINTS = 801
TOKENS_CEILING = 1e60  # upper end of the search for the tokens that reach a target loss


def lifetime_flops(params, tokens, inference_tokens):
    """6·N·D + 2·N·T."""
    return params * (FLOPS_PER_PARAM_TOKEN * tokens + INFERENCE_FLOPS_PER_PARAM_TOKEN * inference_tokens)


def minimise_log(f, lo: float, hi: float, rtol: float = 1e-12):
    """(x, f(x)) minimising ``f`` (vectorised) over [lo, hi]: a log grid, re-gridded between the
    neighbours of the best point until they are within ``rtol`` (relative) of each other."""
    import numpy as np

    a, b = math.log(lo), math.log(hi)
    while True:
        x = np.linspace(a, b, GRID_POINTS)
        with np.errstate(all="ignore"):
            y = np.asarray(f(np.exp(x)), dtype=float)
        y = np.where(np.isnan(y), np.inf, y)
        i = int(np.argmin(y))
        if b - a < rtol or not np.isfinite(y[i]):
            return float(np.exp(x[i])), float(y[i])
        a, b = x[max(i - 1, 0)], x[min(i + 1, GRID_POINTS - 1)]


def optimum_on_budget(loss, flops: float, inference_tokens: float = 0.0):
    """(N, D, L): the lowest loss with 6·N·D + 2·N·T = C, searched over N (D spends the rest).

    With T = 0 this is the compute-optimal model of a training budget under any loss.
    """
    scale = math.sqrt(flops / FLOPS_PER_PARAM_TOKEN)
    hi = scale * 1e4
    if inference_tokens > 0:
        hi = min(hi, flops / (INFERENCE_FLOPS_PER_PARAM_TOKEN * inference_tokens))

    def tokens(params):
        return (flops - INFERENCE_FLOPS_PER_PARAM_TOKEN * params * inference_tokens) / (
            FLOPS_PER_PARAM_TOKEN * params)

    params, best = minimise_log(lambda n: loss(n, tokens(n)), min(scale * 1e-7, hi * 1e-7), hi)
    return params, tokens(params), best


def tokens_reaching(loss, params, target: float):
    """Fewest tokens D with loss(N, D) <= target for each N (bisection on log D); inf if none."""
    import numpy as np

    params = np.asarray(params, dtype=float)
    lo = np.zeros_like(params)
    hi = np.full_like(params, math.log(TOKENS_CEILING))
    with np.errstate(all="ignore"):
        reachable = loss(params, TOKENS_CEILING) <= target
        for _ in range(80):
            mid = 0.5 * (lo + hi)
            ok = loss(params, np.exp(mid)) <= target
            hi, lo = np.where(ok, mid, hi), np.where(ok, lo, mid)
    return np.where(reachable, np.exp(hi), np.inf)


def cheapest_for_loss(loss, target: float, inference_tokens: float = 0.0):
    """(N, D, lifetime FLOPs): the model reaching ``target`` with the least 6·N·D + 2·N·T.

    With T = 0 it is the training-compute-optimal model of that loss (the Chinchilla model for a
    parametric law). The caller checks that the target lies above the law's floor.
    """
    def cost(params):
        return lifetime_flops(params, tokens_reaching(loss, params, target), inference_tokens)

    params, total = minimise_log(cost, 1.0, 1e30)
    if not math.isfinite(total):
        raise ValueError(f"no model reaches loss {target:g}")
    return params, float(tokens_reaching(loss, params, target)), total


def training_share(train_params, flops: float, inference_tokens: float) -> float:
    """The training budget C_t with C_t + 2·N_t(C_t)·T = C, for a rule ``train_params(C_t) -> N``
    (non-decreasing in C_t): how much a training-only plan may spend when inference shares C."""
    lo, hi = 0.0, math.log(flops)
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        spent = math.exp(mid) + INFERENCE_FLOPS_PER_PARAM_TOKEN * train_params(math.exp(mid)) * inference_tokens
        lo, hi = (mid, hi) if spent <= flops else (lo, mid)
        if hi - lo < 1e-13:
            break
    return math.exp(lo)
