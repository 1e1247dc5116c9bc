"""Compute units."""

PF_DAY = 1e15 * 24 * 3600
"""One petaflop/s-day in FLOPs: 8.64e19 (Kaplan et al. 2020 §1.3)."""


def pf_days(flops):
    """FLOPs -> PF-days."""
    return flops / PF_DAY
