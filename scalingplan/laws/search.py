"""Numeric optimum search shared by the forms without a closed form: a grid over a box, re-gridded
around its best point until the cells are smaller than a tolerance."""

import math

from scalingplan.solve import bisect, grid_minimise  # noqa: F401 - the shared searches


def budget_for_size(optimal_size, params: float) -> float:
    """The budget C whose optimal size ``optimal_size(C)`` (non-decreasing) equals ``params``:
    bisection on log C, starting from C = N (no plan spends less than one FLOP per parameter)."""
    return bisect(lambda c: optimal_size(c) >= params, params, params * math.exp(80.0), rtol=1e-10)[1]


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
