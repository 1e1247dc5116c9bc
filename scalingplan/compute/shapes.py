"""Shape search: layer counts, widths, heads and feed-forward sizes that hit a parameter target.

Conventions (each an option of ``propose``):

- aspect ratio d_model / n_layer within [32, 256], ranked by closeness (in log, steps of ~10%) to 128. Kaplan et al.
  2020 (§3.1, Fig. 5) found the loss at fixed N changes by only a few percent over a wide range of
  aspect ratios; (48, 1600), aspect 33, is their reference shape. Levine et al. 2020 (arXiv:2006.12467)
  find the best depth grows only logarithmically with width, so large models want wider shapes
  (GPT-3, aspect 128, "too deep for its size"). 128 is the aspect of GPT-3, Llama 3 8B and Qwen2.5 7B.
- d_model a multiple of 128 (tensor-core and tensor-parallel friendly); head_dim 128 by default
  (64–256 allowed), heads = d_model / head_dim, kv_heads dividing heads.
- feed-forward width 4 d_model for a GELU MLP; for a gated MLP 2/3 of that, rounded up to a multiple
  of 256 (Touvron et al. 2023, LLaMA §2.2 and its code: 11008 for d_model 4096).
"""

from __future__ import annotations

import math

from scalingplan.compute.counting import MLP_MATRICES, Architecture
from scalingplan.errors import InputError

ASPECT_RANGE = (32.0, 256.0)
PREFERRED_ASPECT = 128.0
WIDTH_MULTIPLE = 128
GATED_FFW_MULTIPLE = 256
COUNTS = ("total", "active", "non-embedding")
#: Aspect ratios within this many (natural-log) units of each other rank as equally good.
ASPECT_STEP = 0.1


def ffw_for(d_model: int, mlp: str) -> int:
    """Feed-forward width by convention: 4 d for GELU; 8d/3 rounded up to a multiple of 256 if gated."""
    if MLP_MATRICES[mlp] == 2:
        return 4 * d_model
    return GATED_FFW_MULTIPLE * math.ceil(int(8 * d_model / 3) / GATED_FFW_MULTIPLE)


def counted(arch: Architecture, count: str) -> float:
    """The parameter count a target refers to: total, active or non-embedding (all experts)."""
    return {"total": arch.params_total, "active": arch.params_active,
            "non-embedding": arch.params_nonembedding}[count]


def _candidate(layers, d, head_dim, kv_heads, base: dict) -> Architecture | None:
    heads = d // head_dim
    if d % head_dim or (kv_heads and heads % kv_heads):
        return None
    return Architecture(layers=layers, d_model=d, heads=heads, kv_size=head_dim, kv_heads=kv_heads or None,
                        ffw_size=ffw_for(d, base["mlp"]), **base)


def propose(target: float, count: str = "total", mlp: str = "swiglu", kv_heads: int | None = None,
            head_dim: int = 128, vocab: int = 32000, embeddings: str = "untied", norm: str = "rmsnorm",
            seq_len: int = 4096, experts: int = 0, active_experts: int = 0, tolerance: float = 0.02,
            aspect_range: tuple = ASPECT_RANGE, preferred_aspect: float = PREFERRED_ASPECT, top: int = 5) -> list:
    """Shapes whose ``count`` of parameters is within ``tolerance`` of ``target``, best first.

    For each layer count the width (a multiple of 128 within the aspect range) nearest the target is
    tried, with its neighbours; candidates are ranked by |log(aspect / preferred_aspect)| in steps
    of ASPECT_STEP (about 10%), then by their distance from the target. Returns dicts with layers, d_model, heads, kv_heads, head_dim,
    ffw_size, params (the chosen count), total_params, active_params, aspect_ratio, error.
    """
    if count not in COUNTS:
        raise InputError(f"unknown value '{count}' (choose from {', '.join(COUNTS)})", "count")
    if not 0 < tolerance < 1:
        raise InputError(f"must be in (0, 1), got {tolerance:g}", "tolerance")
    if not 64 <= head_dim <= 256:
        raise InputError(f"must be between 64 and 256, got {head_dim}", "head_dim")
    low, high = aspect_range
    if low > high:
        raise InputError(f"must be at most {{0}}, got {low:g} > {high:g}", "aspect_min", ("aspect_max",))
    base = dict(vocab=vocab, seq_len=seq_len, mlp=mlp, embeddings=embeddings, norm=norm,
                experts=experts, active_experts=active_experts)
    found = []
    # Every layer holds at least 10 d² weights (Q and O, and 8 d² of MLP) and d >= low L, so
    # 10 low² L³ <= N bounds the depth.
    max_layers = int((target * (1 + tolerance) / (10 * low * low)) ** (1 / 3)) + 1
    for layers in range(1, max_layers + 1):
        widths = range(WIDTH_MULTIPLE * max(1, math.ceil(low * layers / WIDTH_MULTIPLE)),
                       int(high * layers) + 1, WIDTH_MULTIPLE)
        if not widths:
            continue
        nearest = _nearest_width(widths, layers, head_dim, kv_heads, base, target, count)
        for d in widths[max(0, nearest - 2):nearest + 3]:
            arch = _candidate(layers, d, head_dim, kv_heads, base)
            if arch is None:
                continue
            error = counted(arch, count) / target - 1
            if abs(error) <= tolerance:
                found.append((arch, error))
    found.sort(key=lambda c: (round(abs(math.log(c[0].d_model / c[0].layers / preferred_aspect)) / ASPECT_STEP),
                              abs(c[1])))
    return [describe(arch, error, count) for arch, error in found[:top]]


def _nearest_width(widths: range, layers, head_dim, kv_heads, base, target, count) -> int:
    """Index in ``widths`` of the first width whose count reaches the target (bisection; counts grow
    with width)."""
    lo, hi = 0, len(widths) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        arch = Architecture(layers=layers, d_model=widths[mid], heads=1, kv_size=widths[mid],
                            ffw_size=ffw_for(widths[mid], base["mlp"]), **base)
        if counted(arch, count) < target:
            lo = mid + 1
        else:
            hi = mid
    return lo


def describe(arch: Architecture, error: float, count: str) -> dict:
    return {"layers": arch.layers, "d_model": arch.d_model, "heads": arch.heads, "kv_heads": arch.n_kv_heads,
            "head_dim": arch.head_dim, "ffw_size": arch.ffw_size, "params": counted(arch, count),
            "total_params": arch.params_total, "active_params": arch.params_active,
            "aspect_ratio": arch.d_model / arch.layers, "error": error}
