"""Numeric optimum search shared by the forms without a closed form: a grid over a box, re-gridded
around its best point until the cells are smaller than a tolerance."""

import math

POINTS = 41


def grid_minimise(f, bounds, tol: float = 1e-11):
    """(x, f(x)) minimising ``f`` (vectorised over numpy arrays, one per axis) over the box ``bounds``
    [(lo, hi), ...]; each zoom keeps the neighbouring cells of the best point, clipped to the box."""
    import numpy as np

    box = [tuple(map(float, b)) for b in bounds]
    current = list(box)
    while True:
        axes = [np.linspace(lo, hi, POINTS) if hi > lo else np.array([lo]) for lo, hi in current]
        mesh = np.meshgrid(*axes, indexing="ij")
        with np.errstate(all="ignore"):
            values = np.asarray(f(*mesh), dtype=float)
        values = np.where(np.isnan(values), np.inf, values)
        best = np.unravel_index(int(np.argmin(values)), values.shape)
        x = [float(m[best]) for m in mesh]
        steps = [(hi - lo) / (POINTS - 1) for lo, hi in current]
        if max(steps) < tol:
            return x, float(values[best])
        current = [(max(xi - s, lo0), min(xi + s, hi0)) for xi, s, (lo0, hi0) in zip(x, steps, box)]


def budget_for_size(optimal_size, params: float) -> float:
    """The budget C whose optimal size ``optimal_size(C)`` (non-decreasing) equals ``params``:
    bisection on log C, starting from C = N (no plan spends less than one FLOP per parameter)."""
    lo, hi = math.log(params), math.log(params) + 80.0
    while hi - lo > 1e-10:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if optimal_size(math.exp(mid)) < params else (lo, mid)
    return math.exp(hi)


def each(function, values):
    """``function`` applied to every element of a float or array; the same shape back, per output."""
    import numpy as np

    flat = np.asarray(values, dtype=float).ravel()
    rows = [function(float(v)) for v in flat]
    if np.ndim(values) == 0:
        return rows[0]
    if isinstance(rows[0], tuple):
        return tuple(np.array(col).reshape(np.shape(values)) for col in zip(*rows))
    return np.array(rows).reshape(np.shape(values))
