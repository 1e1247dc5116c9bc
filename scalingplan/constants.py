"""Domain constants: the compute convention and time and compute units, defined once."""

FLOPS_PER_PARAM_TOKEN = 6.0
"""Training FLOPs per parameter per token: C = 6·N·D (Kaplan et al. 2020 §2.1; Hoffmann et al. 2022 §3)."""

INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0
"""Inference (forward-only) FLOPs per parameter per token: 2·N (Kaplan et al. 2020 §2.1)."""

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0
SECONDS_PER_DAY = SECONDS_PER_HOUR * HOURS_PER_DAY

PF_DAY = 1e15 * SECONDS_PER_DAY
"""One petaflop/s-day in FLOPs: 8.64e19 (Kaplan et al. 2020 §1.3)."""


def pf_days(flops):
    """FLOPs -> PF-days."""
    return flops / PF_DAY
