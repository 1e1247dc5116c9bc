"""Coverage of bootstrap intervals, checked by simulation.

Runs are drawn on an IsoFLOP design from a known law with multiplicative noise (``simulate_runs``),
fitted and bootstrapped exactly as ``scalingplan fit --bootstrap`` does, many times; the observed rate
at which each nominal interval on N_opt at a target budget contains the true N_opt estimates its
coverage. With R replicates the rate's standard error is √(p(1−p)/R).
"""

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np

from scalingplan.errors import InputError
from scalingplan.fitting.approach2 import fit_approach2
from scalingplan.fitting.approach3 import fit_approach3
from scalingplan.fitting.bootstrap import bootstrap
from scalingplan.fitting.design import simulate_runs


@dataclass
class Coverage:
    method: str
    levels: tuple
    covered: dict
    """level -> number of replicates whose interval held the truth."""
    replicates: int
    failed: int
    """Replicates whose fit or bootstrap failed (left out of the rates)."""
    median_half_width: dict
    """level -> median relative half-width of the interval, (high/low)^(1/2) − 1."""
    median_abs_error: float
    """Median |log(N̂_opt/N_opt)| of the point estimates, as a relative error."""

    def rate(self, level) -> float:
        used = self.replicates - self.failed
        return self.covered[level] / used if used else float("nan")


def _replicate(truth, design, noise, method, resamples, target, levels, seed):
    """One simulated data set: (truth inside each interval, half-widths, log error) or None if it failed."""
    rng = np.random.default_rng(seed)
    flops, params, tokens = design
    runs = simulate_runs(truth, params, tokens, noise, rng)
    try:
        fit = fit_approach3(runs) if method == "approach3" else fit_approach2(runs)
        boot = bootstrap(fit, resamples, seed=int(rng.integers(2**32)), budgets=[target])
    except InputError:
        return None
    column = boot.samples[:, boot.names.index(f"params_opt@{target:g}")]
    true_opt = float(truth.allocate(target)[0])
    estimate = float(fit.law.allocate(target)[0] if method == "approach3" else fit.allocate(target)[0])
    inside, widths = {}, {}
    for level in levels:
        tail = 50.0 * (1.0 - level)
        low, high = np.percentile(column, [tail, 100.0 - tail])
        inside[level] = bool(low <= true_opt <= high)
        widths[level] = float(np.sqrt(high / low) - 1.0)
    return inside, widths, abs(np.log(estimate / true_opt))


def _replicates(args, seeds):
    return [_replicate(*args, seed) for seed in seeds]


def simulate_coverage(truth, design, noise: float, method: str = "approach3", replicates: int = 100,
                      resamples: int = 100, target: float = 1e22, levels=(0.8, 0.95), seed: int = 0,
                      jobs: int = 1) -> Coverage:
    """Coverage of ``fit --bootstrap`` intervals on N_opt at ``target`` over ``replicates`` data sets
    drawn from ``truth`` on ``design`` = (flops, params, tokens). Replicate i uses the stream
    ``SeedSequence(seed).spawn(replicates)[i]``, so the result does not depend on ``jobs``."""
    seeds = np.random.SeedSequence(seed).spawn(replicates)
    args = (truth, design, noise, method, resamples, target, tuple(levels))
    if jobs <= 1:
        results = _replicates(args, seeds)
    else:
        parts = [seeds[i::jobs] for i in range(jobs)]
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            chunks = list(pool.map(_replicates, [args] * jobs, parts))
        results = [None] * replicates
        for i, chunk in enumerate(chunks):
            results[i::jobs] = chunk
    good = [r for r in results if r is not None]
    covered = {level: sum(r[0][level] for r in good) for level in levels}
    widths = {level: float(np.median([r[1][level] for r in good])) if good else float("nan") for level in levels}
    error = float(np.expm1(np.median([r[2] for r in good]))) if good else float("nan")
    return Coverage(method, tuple(levels), covered, replicates, replicates - len(good), widths, error)
