"""The two numeric searches every layer shares: bisection of a monotone condition and a zooming grid
minimiser. Laws, planning and the reconciliation of Kaplan with Chinchilla all use these; no other
module writes its own loop.

Both work on floats, and ``bisect`` also elementwise on numpy arrays of brackets.
"""

import math

GRID_POINTS = 41
"""Points per axis of one zoom of ``grid_minimise``."""


def bisect(condition, lo, hi, log: bool = True, rtol: float = 1e-13, steps: int = 400):
    """(a, b) with ``condition(a)`` False and ``condition(b)`` True, bracketing where a condition that
    turns True once, as x grows, does so; within ``rtol`` (relative, in x) or ``steps`` halvings.

    With ``log`` the bracket is halved in log x (lo, hi > 0). ``lo`` and ``hi`` may be numpy arrays
    (then ``condition`` takes and returns arrays). The caller checks the ends when the condition
    may hold at ``lo`` or fail at ``hi``.
    """
    array = hasattr(lo, "shape") or hasattr(hi, "shape")
    if array:
        import numpy as np

        a = np.log(lo) if log else np.asarray(lo, dtype=float)
        b = np.log(hi) if log else np.asarray(hi, dtype=float)
        a, b = np.broadcast_arrays(np.asarray(a, dtype=float), np.asarray(b, dtype=float))
        a, b = a.copy(), b.copy()
        for _ in range(steps):
            mid = 0.5 * (a + b)
            with np.errstate(all="ignore"):
                ok = np.asarray(condition(np.exp(mid) if log else mid), dtype=bool)
            a, b = np.where(ok, a, mid), np.where(ok, mid, b)
            if np.all(b - a < (rtol if log else rtol * np.maximum(np.abs(b), 1e-300))):
                break
        return (np.exp(a), np.exp(b)) if log else (a, b)
    a, b = (math.log(lo), math.log(hi)) if log else (float(lo), float(hi))
    for _ in range(steps):
        mid = 0.5 * (a + b)
        if condition(math.exp(mid) if log else mid):
            b = mid
        else:
            a = mid
        if b - a < (rtol if log else rtol * max(abs(b), 1e-300)):
            break
    return (math.exp(a), math.exp(b)) if log else (a, b)


def grid_minimise(f, bounds, tol: float = 1e-11):
    """(x, f(x)) minimising ``f`` (vectorised over numpy arrays, one per axis) over the box ``bounds``
    [(lo, hi), ...]: a grid, re-gridded around its best point (the neighbouring cells, clipped to the
    box) until the cells are smaller than ``tol``. NaN counts as +inf."""
    import numpy as np

    box = [tuple(map(float, b)) for b in bounds]
    current = list(box)
    while True:
        axes = [np.linspace(lo, hi, GRID_POINTS) if hi > lo else np.array([lo]) for lo, hi in current]
        mesh = np.meshgrid(*axes, indexing="ij")
        with np.errstate(all="ignore"):
            values = np.asarray(f(*mesh), dtype=float)
        values = np.where(np.isnan(values), np.inf, values)
        best = np.unravel_index(int(np.argmin(values)), values.shape)
        x = [float(m[best]) for m in mesh]
        steps = [(hi - lo) / (GRID_POINTS - 1) for lo, hi in current]
        if max(steps) < tol or not np.isfinite(values[best]):
            return x, float(values[best])
        current = [(max(xi - s, lo0), min(xi + s, hi0)) for xi, s, (lo0, hi0) in zip(x, steps, box)]


def minimise_log(f, lo: float, hi: float, rtol: float = 1e-12):
    """(x, f(x)) minimising a vectorised ``f`` over [lo, hi], searched in log x (``grid_minimise``)."""
    import numpy as np

    (log_x,), value = grid_minimise(lambda t: f(np.exp(t)), [(math.log(lo), math.log(hi))], rtol)
    return math.exp(log_x), value
