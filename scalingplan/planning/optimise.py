"""Inference-aware optimisers (Sardana et al. 2024, "Beyond Chinchilla-Optimal", arXiv:2401.00448).

Lifetime compute is training plus inference, 6·N·D + 2·N·T for T inference tokens (their code,
nikhilsardana/beyond-chinchilla utils.py: FLOPMode TRAINING = 6, INFERENCE = 2, counted over input
and output tokens alike). Every function takes the loss as a callable ``loss(N, D)`` over numpy
arrays, non-increasing in D, so any law with a loss works, the data-constrained one included. The
minimisers search a log grid and zoom around the best point (``solve``); no closed form is needed
(Sardana et al. solve their first-order condition with Newton's method; tests check that condition at
our optimum). The planner generalises them to each law's own cost model; these 6ND versions are the
paper's own statement.
"""

import math

from scalingplan.constants import FLOPS_PER_PARAM_TOKEN, INFERENCE_FLOPS_PER_PARAM_TOKEN
from scalingplan.solve import bisect, minimise_log

TOKENS_CEILING = 1e60  # upper end of the search for the tokens that reach a target loss


def lifetime_flops(params, tokens, inference_tokens):
    """6·N·D + 2·N·T."""
    return params * (FLOPS_PER_PARAM_TOKEN * tokens + INFERENCE_FLOPS_PER_PARAM_TOKEN * inference_tokens)


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
    with np.errstate(all="ignore"):
        reachable = loss(params, TOKENS_CEILING) <= target
    _, hi = bisect(lambda d: loss(params, d) <= target, np.ones_like(params), np.full_like(params, TOKENS_CEILING),
                   steps=80)
    return np.where(reachable, hi, np.inf)


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
    return bisect(lambda c: c + INFERENCE_FLOPS_PER_PARAM_TOKEN * train_params(c) * inference_tokens > flops,
                  1.0, flops)[0]
