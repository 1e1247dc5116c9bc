"""Why Kaplan et al. 2020 found N_opt ∝ C^0.73 and Hoffmann et al. 2022 N_opt ∝ C^0.5, computed.

(a) Pearce & Song 2024 (arXiv:2406.12907, eqs. 5–9 and their script
``script_analysis_kaplan_chinchilla.py``): take a Chinchilla-form law in total parameters,
L = E + A/N_T^α + B/D^β, and count parameters as Kaplan did, without embeddings. For Chinchilla-like
shapes N_T = N + γ·N^(1/3) with γ = 47491 (vocabulary 32k, d/n_layers = 39.2). Minimising L at a
budget C = 6·N·D in non-embedding terms gives
    D(N) = (β·B/(α·A) · N_T^(1+α) / (N + γ/3·N^(1/3)))^(1/β),  C = 6·N·D(N),
whose local exponent d log N*/d log C runs from β/(α/3 + β) at small budgets to β/(α + β) at large.
(b) Porian et al. 2024 (arXiv:2406.19146, Table 1 and Fig. 1): the exponent they measure after each
correction of Kaplan's setup, carried as published.
(c) Kaplan's Table 6 frontier is in C_min; the budget actually spent at the critical batch is
C = 2·C_min (Kaplan §5.1, §6.3), which scales N_opt by 2^(−0.73) at every budget and leaves the
exponent alone.
"""

import math

from scalingplan.laws.kaplan import BUDGET_PER_C_MIN
from scalingplan.solve import bisect

PEARCE_GAMMA = 47491.0
"""N_T = N + 47491·N^(1/3) (Pearce & Song 2024, Fig. 2 fit to the Chinchilla model shapes)."""

KAPLAN_RANGE = (10**12.95, 10**20.7)
"""The non-embedding budgets of Pearce & Song's local fit (their script's ``c_range_bounds``),
about Kaplan's own range."""

# Porian et al. 2024, Fig. 1 and Table 1: the exponent a of N* ∝ C^a after each cumulative change.
PORIAN_STEPS = (
    ("Kaplan's setup reproduced (RefinedWeb)", 0.835),
    ("+ count the last layer's FLOPs", 0.706),
    ("+ warmup scaled to the model", 0.602),
    ("+ cosine decay matched to each run's length", 0.571),
    ("+ AdamW tuned at small scale", 0.497),
)


def total_params(nonembedding, gamma: float = PEARCE_GAMMA):
    """N_T = N + γ·N^(1/3) (Pearce & Song 2024, eq. 6)."""
    return nonembedding + gamma * nonembedding ** (1.0 / 3.0)


def nonembedding_budget(law, nonembedding, gamma: float = PEARCE_GAMMA):
    """The budget C = 6·N·D(N) at which a non-embedding size N is compute-optimal under a
    parametric law read in total parameters (Pearce & Song 2024, eq. 8; their ``C_pred``)."""
    A, B, alpha, beta = law.A, law.B, law.alpha, law.beta
    n = nonembedding
    slope = n + gamma / 3.0 * n ** (1.0 / 3.0)  # N·dN_T/dN
    tokens = (beta * B / (alpha * A) * total_params(n, gamma) ** (1.0 + alpha) / slope) ** (1.0 / beta)
    return 6.0 * n * tokens


def local_exponent(law, nonembedding, gamma: float = PEARCE_GAMMA):
    """d log N*/d log C along that frontier: 1/g with g = d log C/d log N (their ``fn_g``)."""
    alpha, beta = law.alpha, law.beta
    third = nonembedding ** (1.0 / 3.0)
    n = nonembedding
    g = (1.0 - (n + gamma / 9.0 * third) / (beta * (n + gamma / 3.0 * third))
         + (1.0 + alpha) / beta * (n + gamma / 3.0 * third) / (n + gamma * third))
    return 1.0 / g


def nonembedding_optimum(law, flops, gamma: float = PEARCE_GAMMA):
    """N* (non-embedding) at budget C: the inverse of ``nonembedding_budget`` by bisection on log N."""
    import numpy as np

    flops = np.asarray(flops, dtype=float)
    lo, hi = bisect(lambda n: nonembedding_budget(law, n, gamma) >= flops, np.ones_like(flops), flops, steps=200)
    result = np.sqrt(lo * hi)
    return float(result) if result.ndim == 0 else result


def fitted_exponent(law, flops_range=KAPLAN_RANGE, points: int = 100, gamma: float = PEARCE_GAMMA):
    """Least-squares slope of log N* against log C over log-spaced budgets, as Kaplan fitted."""
    import numpy as np

    flops = np.logspace(math.log10(flops_range[0]), math.log10(flops_range[1]), points)
    return float(np.polyfit(np.log(flops), np.log(nonembedding_optimum(law, flops, gamma)), 1)[0])


def exponent_limits(law) -> tuple:
    """(small-budget, large-budget) limits of the local exponent: β/(α/3 + β) and β/(α + β)."""
    return law.beta / (law.alpha / 3.0 + law.beta), law.beta / (law.alpha + law.beta)


def pearce_rows(law, budgets, gamma: float = PEARCE_GAMMA) -> list:
    """Per budget: the non-embedding optimum, its total size, tokens, and the local exponent."""
    rows = []
    for flops in budgets:
        n = nonembedding_optimum(law, flops, gamma)
        rows.append({"flops": flops, "nonembedding_params": n, "total_params": total_params(n, gamma),
                     "tokens": flops / (6.0 * n), "local_exponent": local_exponent(law, n, gamma)})
    return rows


def porian_rows() -> list:
    """Porian et al.'s chain of corrections with the change each one makes."""
    rows, previous = [], None
    for step, exponent in PORIAN_STEPS:
        rows.append({"step": step, "exponent": exponent,
                     "change": None if previous is None else exponent - previous})
        previous = exponent
    return rows


def budget_reading_rows(kaplan, chinchilla, budgets) -> list:
    """Kaplan's N_opt with the budget C read as C_min (the plan of 2·C) and as C = 2·C_min (the plan of
    C, as ``allocate`` prints it), beside a Chinchilla law's, all from the planner."""
    from scalingplan.planning.planner import Query, plan

    rows = []
    for flops in budgets:
        as_spent = plan(kaplan, Query(flops=flops)).params
        as_cmin = plan(kaplan, Query(flops=BUDGET_PER_C_MIN * flops)).params
        rows.append({"flops": flops, "kaplan_params_cmin": as_cmin, "kaplan_params_spent": as_spent,
                     "reading_ratio": as_cmin / as_spent,
                     "chinchilla_params": plan(chinchilla, Query(flops=flops)).params})
    return rows


def reconcile(law, kaplan, budgets, flops_range=KAPLAN_RANGE) -> dict:
    """Everything ``scalingplan reconcile`` shows, JSON-ready."""
    small, large = exponent_limits(law)
    return {
        "law": law.name,
        "pearce_song": {
            "gamma": PEARCE_GAMMA,
            "fit_range": list(flops_range),
            "fitted_exponent": fitted_exponent(law, flops_range),
            "small_budget_limit": small,
            "large_budget_limit": large,
            "rows": pearce_rows(law, budgets),
        },
        "porian": porian_rows(),
        "budget_reading": {"kaplan_exponent": kaplan.constants["N_opt_exp"],
                           "rows": budget_reading_rows(kaplan, law, budgets)},
    }
