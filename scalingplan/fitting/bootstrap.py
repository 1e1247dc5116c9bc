"""Bootstrap intervals for a fitted law: resample the runs with replacement, refit, take percentiles.

Approach 3 resamples all runs; each refit starts from the distinct local minima the full-data grid
reached (``Approach3Fit.minima``), not the whole 4,500-point grid. Approach 2 resamples runs within
each IsoFLOP group of the full-data grouping, so every budget stays represented. Resample i draws
from its own stream ``SeedSequence(seed).spawn(n)[i]``, so results do not depend on ``jobs``.

Workers are processes that ignore Ctrl-C (the parent decides) and die with their parent; if the
parent is interrupted or fails, they are killed at once (pending pieces are never started), so no
worker outlives the command. A worker that dies (killed by a signal, out of memory, crashed) stops
the bootstrap at once with one line (``worker_failure``), never waiting on a piece that no process
will finish.
"""

import os
import signal
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
    """In a worker: signals as ``scalingplan.workers`` sets them, and numpy's warnings quiet."""
    import warnings

    from scalingplan.workers import worker_defaults

    worker_defaults()
    warnings.simplefilter("ignore")


class WorkerDied(RuntimeError):
    """A bootstrap worker process crashed (a bug: exit 3)."""


def worker_failure(exitcode) -> Exception:
    """Why the bootstrap stopped, from the dead worker's exit code: killed from outside (SIGKILL, which the
    kernel's out-of-memory killer sends, or SIGTERM) is InputError (exit 2, one line); anything else
    is a crash, ``WorkerDied`` (exit 3)."""
    if exitcode in (-signal.SIGKILL, -signal.SIGTERM):
        hint = "; out of memory? rerun with fewer --jobs" if exitcode == -signal.SIGKILL else ""
        return InputError(f"the bootstrap stopped: a worker process was killed by "
                          f"{signal.Signals(-exitcode).name}{hint}")
    how = (f"died of {signal.Signals(-exitcode).name}" if exitcode is not None and exitcode < 0
           else "ended unexpectedly" if exitcode is None else f"exited with status {exitcode}")
    return WorkerDied(f"the bootstrap stopped: a worker process {how}")


def _serve(conn) -> None:
    """A worker: refit the pieces the parent sends until it closes the pipe; each answer is
    (True, rows) or (False, the exception)."""
    _worker_init()
    while True:
        try:
            piece = conn.recv()
        except EOFError:
            return
        try:
            answer = (True, _refit_piece(piece))
        except Exception as exc:  # noqa: BLE001 - raised again in the parent
            answer = (False, exc)
        conn.send(answer)


def _run_pieces(pieces, jobs):
    """(start, rows) per piece, in completion order, from ``jobs`` worker processes (forked where the
    platform can: they share the parent's imports). Each worker has its own pipe and the parent waits
    on the pipes and on the processes themselves, so a worker that dies is seen at once (a shared
    queue would wait forever for its piece, or deadlock on a lock it died holding)."""
    import multiprocessing
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
    todo = iter(pieces)
    workers, busy = [], {}

    def give(conn, process) -> None:
        """Send ``process`` its next piece, if any is left."""
        piece = next(todo, None)
        if piece is None:
            return
        try:
            conn.send(piece)
        except OSError:  # it died (a broken pipe here is not stdout's)
            raise _dead(process) from None
        busy[conn] = process

    try:
        for _ in range(min(jobs, len(pieces))):
            conn, child = context.Pipe()
            process = context.Process(target=_serve, args=(child,), daemon=True)
            process.start()
            child.close()
            workers.append((process, conn))
            give(conn, process)
        while busy:
            ready = wait([*busy, *(process.sentinel for process in busy.values())])
            for conn in [c for c in busy if c in ready]:
                process = busy.pop(conn)
                try:
                    ok, value = conn.recv()
                except (EOFError, OSError):
                    raise _dead(process) from None
                if not ok:
                    raise value
                yield value
                give(conn, process)
            for process in busy.values():
                if process.sentinel in ready:
                    raise _dead(process)
    finally:
        for process, conn in workers:  # at the end idle; on an interrupt or a failure, killed at once
            process.kill()
            conn.close()
        for process, _ in workers:
            process.join()


def _dead(process) -> Exception:
    process.join(timeout=1)
    return worker_failure(process.exitcode)


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
    results = map(_refit_piece, pieces) if jobs == 1 else _run_pieces(pieces, jobs)
    try:
        for start, part in results:
            rows[start:start + len(part)] = part
            done += len(part)
            if progress is not None:
                progress(done, n_resamples)
    finally:
        if hasattr(results, "close"):
            results.close()  # the pool's cleanup runs now, also on an interrupt
    good = [[row[name] for name in names] for row in rows if row is not None]
    if len(good) < 2:
        raise InputError(f"the bootstrap failed: only {len(good)} of {n_resamples} resamples could be refitted")
    return BootstrapResult(names, np.array(good), n_resamples, n_resamples - len(good), level, seed)
