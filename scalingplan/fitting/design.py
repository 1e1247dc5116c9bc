"""IsoFLOP sweep designs (Hoffmann et al. 2022 §3.2) and synthetic runs drawn from a known law.

A design fixes a few training budgets and, at each, a spread of model sizes around a prior law's
compute-optimal size; tokens spend the budget, D = C/(6N). Hoffmann et al. trained nine budgets from
6e18 to 3e21 FLOPs this way (Figure 3); Approach 2 reads each budget's optimum off a parabola.
"""

import numpy as np

from scalingplan.errors import InputError
from scalingplan.laws.base import tokens_for
from scalingplan.fitting.runs import Runs, make_runs

MAX_RUNS = 100
"""Runs a design may shape at most (``--budgets`` × ``--per-budget``, ``suggest --runs``). Hoffmann et
al.'s IsoFLOP sweep trained 9 budgets of about 10 sizes each; each run costs one shape search."""
MAX_RUN_PARAMS = 1e12
"""Largest model a design shapes, in parameters: the runs a law is fitted on are small, and the shape
search grows with the model (its depth bound is (N/10·32²)^(1/3) layers)."""


def check_run_count(count: int, flag: str) -> None:
    """InputError unless 1 <= ``count`` <= MAX_RUNS; checked before any work."""
    if not 1 <= count <= MAX_RUNS:
        raise InputError(f"{flag}: must be 1 to {MAX_RUNS} runs, got {count:,}")


def isoflop_design(law, low: float, high: float, n_budgets: int, per_budget: int, spread: float = 1.0):
    """(flops, params, tokens), one entry per run: ``n_budgets`` budgets log-spaced over [low, high],
    each with ``per_budget`` sizes log-spaced over ``spread`` decades centred on ``law``'s N_opt."""
    if not 0 < low <= high:
        raise InputError(f"--from/--to: need 0 < from <= to, got {low:g} and {high:g}")
    if n_budgets < 1 or (n_budgets == 1) != (low == high):
        raise InputError(f"--budgets: need one budget when from = to and at least 2 otherwise, got {n_budgets}")
    if per_budget < 3:
        raise InputError(f"--per-budget: need at least 3 sizes per budget for a parabola, got {per_budget}")
    if not 0 < spread <= 4:
        raise InputError(f"--spread: must be in (0, 4] decades, got {spread:g}")
    if n_budgets * per_budget > MAX_CANDIDATES:
        raise InputError(f"--budgets × --per-budget: at most {MAX_CANDIDATES:,} runs, got {n_budgets * per_budget:,}")
    budgets = np.geomspace(low, high, n_budgets)
    with np.errstate(all="ignore"):
        centre = np.asarray(law.allocate(budgets)[0], dtype=float)
    if not np.isfinite(centre).all() or not (centre > 0).all():
        raise InputError(f"{law.name} gives no finite optimal size between {low:g} and {high:g} FLOPs; "
                         "choose another law")
    offsets = np.linspace(-spread / 2, spread / 2, per_budget)
    params = (centre[:, None] * 10.0 ** offsets[None, :]).ravel()
    flops = np.repeat(budgets, per_budget)
    return flops, params, tokens_for(flops, params)


def simulate_runs(law, params, tokens, noise: float, rng) -> Runs:
    """Runs whose final losses are ``law``'s loss times exp(ε), ε ~ Normal(0, ``noise``) independently:
    multiplicative noise, the error model behind fitting log loss (Hoffmann et al. 2022 eq. 3)."""
    params = np.asarray(params, dtype=float)
    tokens = np.asarray(tokens, dtype=float)
    loss = law.loss(params, tokens) * np.exp(noise * rng.standard_normal(params.shape))
    return make_runs(params, loss, tokens=tokens, source={"file": "simulated"})


MAX_CANDIDATES = 10_000
"""Sizes a design may list before any is shaped (``suggest`` ranks such a grid)."""
SHAPE_TOLERANCES = (0.02, 0.05, 0.1, 0.25)
"""Tolerances tried in turn: small models have few shapes, so the search widens until one fits."""


def shape_for(params: float) -> dict:
    """The best-ranked shape of ``scalingplan.compute.shapes.propose`` for ``params`` total parameters
    (its default conventions: SwiGLU, head dim 128, width a multiple of 128, aspect near 128)."""
    from scalingplan.compute.shapes import propose

    if params > MAX_RUN_PARAMS:
        raise InputError(f"a run of {params:.3g} parameters is past the {MAX_RUN_PARAMS:.0e} a design shapes; "
                         "lower the budgets (--to, --budget, --max-run-flops) or check the runs' units")
    for tolerance in SHAPE_TOLERANCES:
        found = propose(params, tolerance=tolerance, top=1)
        if found:
            return found[0]
    raise InputError(f"no transformer shape within {SHAPE_TOLERANCES[-1]:.0%} of {params:.3g} parameters; "
                     "narrow --spread or raise --from")


def shaped_run(budget: float, target: float, peak_flops=None, mfu=None, shape=None) -> dict:
    """One run at ``budget`` for a model near ``target`` parameters: the shape's parameter count is the
    run's N and its tokens spend the budget exactly (D = C/(6N)); GPU-hours = C/(peak·MFU)/3600 when a
    peak is given."""
    from scalingplan.compute.hardware import gpu_hours_for

    shape = shape or shape_for(float(target))
    run = {"flops": float(budget), "params": float(shape["params"]),
           "tokens": float(tokens_for(budget, shape["params"])), "target_params": float(target),
           **{k: shape[k] for k in ("layers", "d_model", "heads", "kv_heads", "head_dim", "ffw_size")}}
    run["tokens_per_param"] = run["tokens"] / run["params"]
    run["gpu_hours"] = gpu_hours_for(budget, peak_flops, mfu) if peak_flops else None
    return run


def sweep_runs(law, low, high, n_budgets, per_budget, spread=1.0, peak_flops=None, mfu=None,
               conventions=None) -> list:
    """The runs of an IsoFLOP sweep (``isoflop_design``), each shaped by ``shaped_run``; at most
    MAX_RUNS runs of at most MAX_RUN_PARAMS parameters, checked before the first is shaped.
    ``conventions`` are keyword arguments of ``compute.shapes.candidates`` (MLP, vocabulary, heads...)."""
    if n_budgets * per_budget > MAX_RUNS:
        raise InputError(f"--budgets × --per-budget: at most {MAX_RUNS} runs, got {n_budgets:,} × {per_budget:,}")
    flops, params, _ = isoflop_design(law, low, high, n_budgets, per_budget, spread)
    if params.max() > MAX_RUN_PARAMS:
        raise InputError(f"the sweep's largest run, {params.max():.3g} parameters at {flops[params.argmax()]:.3g} "
                         f"FLOPs under {law.name}, is past the {MAX_RUN_PARAMS:.0e} a sweep shapes; lower --to or choose another --law")
    budgets = np.unique(flops)
    from scalingplan.compute.shapes import propose_series

    runs = []
    for index, budget in enumerate(budgets):
        # Within a budget, depth and width grow with the model (compute.shapes.propose_series).
        targets = params[flops == budget]
        for target, shape in zip(targets, propose_series([float(t) for t in targets], tolerances=SHAPE_TOLERANCES,
                                                             **(conventions or {}))):
            if shape is None:
                raise InputError(f"no transformer shape within {SHAPE_TOLERANCES[-1]:.0%} of {target:.3g} "
                                 "parameters growing with the sweep; narrow --spread or raise --from")
            runs.append(dict(shaped_run(budget, target, peak_flops, mfu, shape), budget=index))
    return runs
