"""Bootstrap intervals for a fitted law: resample the runs with replacement, refit, take percentiles.

Approach 3 resamples all runs; each refit starts from the distinct local minima the full-data grid
reached (``Approach3Fit.minima``), not the whole 4,500-point grid. Approach 2 resamples runs within
each IsoFLOP group of the full-data grouping, so every budget stays represented. Resample i draws
from its own stream ``SeedSequence(seed).spawn(n)[i]``, so results do not depend on ``jobs``.

Workers are a ``multiprocessing`` pool that ignores Ctrl-C (the parent decides) and dies with its
parent; if the parent is interrupted or fails, the pool is terminated at once (pending pieces are
never started, running ones are killed), so no worker outlives the command.
"""

import os
from dataclasses import dataclass

import numpy as np

from scalingplan.errors import InputError
from scalingplan.fitting.approach2 import Approach2Fit, fit_approach2
from scalingplan.fitting.approach3 import Approach3Fit, fit_approach3
from scalingplan.fitting.forms import derived
from scalingplan.fitting.runs import Runs


def quantities(fit, budgets=()) -> dict:
    """The numbers a bootstrap gives intervals for: constants, exponents, allocation at each budget."""
    if isinstance(fit, Approach3Fit):
        values = dict(fit.constants, **derived(fit.form, fit.constants))
        allocate = fit.law.allocate
    else:
        values = dict(fit.constants)
        allocate = fit.allocate
    for budget in budgets:
        params, tokens = allocate(budget)
        values[f"params_opt@{budget:g}"] = float(params)
        values[f"tokens_opt@{budget:g}"] = float(tokens)
    return values


@dataclass
class BootstrapResult:
    names: list
    samples: np.ndarray
    """One row per successful resample, one column per name."""
    n_resamples: int
    n_failed: int
    level: float
    seed: int

    @property
    def percentiles(self) -> tuple:
        tail = round(50.0 * (1.0 - self.level), 10)
        return tail, 100.0 - tail

    def interval(self, name) -> tuple:
        """(low, high) percentiles of ``name`` over the resamples."""
        column = self.samples[:, self.names.index(name)]
        low, high = np.percentile(column, self.percentiles)
        return float(low), float(high)


def _refit(runs: Runs, fit, rng, budgets):
    """One resample of ``runs`` refitted the way ``fit`` was; None if the refit fails."""
    if isinstance(fit, Approach3Fit):
        index = rng.integers(0, len(runs), len(runs))
        try:
            return quantities(fit_approach3(runs.subset(index), starts=fit.minima, form=fit.form), budgets)
        except InputError:
            return None
    parts = [rng.choice(np.flatnonzero(fit.labels == label), size=np.count_nonzero(fit.labels == label))
             for label in np.unique(fit.labels)]
    index = np.concatenate(parts)
    try:
        return quantities(fit_approach2(runs.subset(index), fit.tolerance_dex, labels=fit.labels[index]), budgets)
    except InputError:
        return None


def _refit_many(runs, fit, seeds, budgets):
    with np.errstate(all="ignore"):
        return [_refit(runs, fit, np.random.default_rng(seed), budgets) for seed in seeds]


def _refit_piece(task):
    start, runs, fit, seeds, budgets = task
    return start, _refit_many(runs, fit, seeds, budgets)


def _worker_init():
    import warnings

    from scalingplan.workers import worker_defaults

    worker_defaults()
    warnings.simplefilter("ignore")


MAX_RESAMPLES = 10_000
"""Percentile intervals settle long before this (Efron & Tibshirani recommend 1,000-2,000)."""


def max_jobs() -> int:
    """Worker processes at most: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def bootstrap(fit: Approach3Fit | Approach2Fit, n_resamples: int, seed: int = 0, jobs: int = 1,
              budgets=(), level: float = 0.95, progress=None) -> BootstrapResult:
    """Refit ``n_resamples`` resamples of ``fit.runs`` on ``jobs`` processes; percentile intervals at ``level``."""
    if n_resamples < 2:
        raise InputError(f"--bootstrap: need at least 2 resamples, got {n_resamples}")
    if n_resamples > MAX_RESAMPLES:
        raise InputError(f"--bootstrap: at most {MAX_RESAMPLES:,} resamples, got {n_resamples:,}")
    if not 0 < level < 1:
        raise InputError(f"interval level must be between 0 and 1, got {level:g}")
    jobs = max(1, min(jobs, max_jobs()))
    seeds = np.random.SeedSequence(seed).spawn(n_resamples)
    names = list(quantities(fit, budgets))
    chunk = max(1, min(25, -(-n_resamples // (4 * jobs))))
    pieces = [(i, fit.runs, fit, seeds[i:i + chunk], budgets) for i in range(0, n_resamples, chunk)]
    rows = [None] * n_resamples
    done = 0
    if jobs == 1:
        results = map(_refit_piece, pieces)
        pool = None
    else:
        import multiprocessing

        pool = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                           else None).Pool(jobs, initializer=_worker_init)
        results = pool.imap_unordered(_refit_piece, pieces)
    try:
        for start, part in results:
            rows[start:start + len(part)] = part
            done += len(part)
            if progress is not None:
                progress(done, n_resamples)
    finally:
        if pool is not None:
            pool.terminate()  # at the end a no-op; on an interrupt it kills the workers at once
            pool.join()
    good = [[row[name] for name in names] for row in rows if row is not None]
    if len(good) < 2:
        raise InputError(f"the bootstrap failed: only {len(good)} of {n_resamples} resamples could be refitted")
    return BootstrapResult(names, np.array(good), n_resamples, n_resamples - len(good), level, seed)
