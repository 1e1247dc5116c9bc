"""Shape search: layer counts, widths, heads and feed-forward sizes that hit a parameter target.

Conventions (each an option of ``propose``):

- aspect ratio d_model / n_layer within [32, 256], ranked by closeness (in log, steps of ~10%) to 128. Kaplan et al.
  2020 (§3.1, Fig. 5) found the loss at fixed N changes by only a few percent over a wide range of
  aspect ratios; (48, 1600), aspect 33, is their reference shape. Levine et al. 2020 (arXiv:2006.12467)
  find the best depth grows only logarithmically with width, so large models want wider shapes
  (GPT-3, aspect 128, "too deep for its size"). 128 is the aspect of GPT-3, Llama 3 8B and Qwen2.5 7B.
- head size 64 or 128, heads = d_model / head size, d_model a multiple of 128 (tensor cores). From
  1B parameters up the heads are a multiple of 8 and the key/value heads divide them, so attention
  splits over 8-way tensor parallelism inside one node (Megatron-LM splits whole heads across its
  tensor-parallel ranks: Shoeybi et al. 2019 §3, Narayanan et al. 2021 §2.3).
- feed-forward width 4 d_model for a GELU MLP; for a gated MLP 2/3 of that, rounded up to a multiple
  of 256 (Touvron et al. 2023, LLaMA §2.2 and its code: 11008 for d_model 4096).

Bounds, checked before any search: targets within PARAMS_RANGE, aspect ratios within ASPECT_LIMITS,
at most MAX_LAYERS layers and MAX_EVALUATIONS shapes counted. For each depth the width comes from the count's quadratic in d_model
(solved, not searched), so the work is a few counts per depth: O(candidates).
"""

from __future__ import annotations

import math

from scalingplan.compute.counting import Architecture, default_ffw
from scalingplan.errors import InputError

ASPECT_RANGE = (32.0, 256.0)
PREFERRED_ASPECT = 128.0
WIDTH_MULTIPLE = 128
GATED_FFW_MULTIPLE = 256
COUNTS = ("total", "active", "non-embedding")
#: Aspect ratios within this many (natural-log) units of each other rank as equally good.
ASPECT_STEP = 0.1
#: Parameter targets the search accepts (a thousand to a hundred trillion).
PARAMS_RANGE = (1e3, 1e14)
#: Aspect ratios (d_model / n_layer) the search accepts.
ASPECT_LIMITS = (4.0, 4096.0)
#: Deepest shape considered (the deepest published dense models have ~100-200 layers).
MAX_LAYERS = 4096
#: Most shapes one search counts exactly (a few seconds); a wider search is refused before it starts.
MAX_EVALUATIONS = 50_000
HEAD_DIMS = (64, 128)
#: From this many parameters up, heads are a multiple of TP_HEADS (8-way tensor parallelism in a node).
TP_FROM = 1e9
TP_HEADS = 8
#: Pipeline-parallel sizes a depth is checked against.
PIPELINE_SIZES = (1, 2, 4, 8, 16, 32, 64)


def ffw_for(d_model: int, mlp: str) -> int:
    """Feed-forward width by convention: 4 d for GELU; 8d/3 rounded up to a multiple of 256 if gated
    (``counting.default_ffw``)."""
    return default_ffw(d_model, mlp)


def counted(arch: Architecture, count: str) -> float:
    """The parameter count a target refers to: total, active or non-embedding (all experts)."""
    return {"total": arch.params_total, "active": arch.params_active,
            "non-embedding": arch.params_nonembedding}[count]


def pipeline_splits(layers: int) -> list:
    """Pipeline-parallel sizes (of PIPELINE_SIZES) that give every stage the same number of layers."""
    return [pp for pp in PIPELINE_SIZES if pp <= layers and layers % pp == 0]


def width_step(target: float, tolerance: float, head_dim: int, kv_heads: int | None) -> int:
    """The width grid: d_model a multiple of 128 and of head_dim x the heads' multiple (kv_heads,
    and from 1B parameters up also 8)."""
    heads = kv_heads or 1
    if target * (1 + tolerance) >= TP_FROM:
        heads = math.lcm(heads, TP_HEADS)
    return math.lcm(WIDTH_MULTIPLE, heads * head_dim)


def check_search(target: float, tolerance: float, head_dim: int, aspect_range: tuple, count: str = "total") -> None:
    """Every bound of the search, before any work; InputError names the option."""
    if count not in COUNTS:
        raise InputError(f"unknown value '{count}' (choose from {', '.join(COUNTS)})", "count")
    if not (math.isfinite(target) and PARAMS_RANGE[0] <= target <= PARAMS_RANGE[1]):
        raise InputError(f"shapes are proposed for {PARAMS_RANGE[0]:.0e} to {PARAMS_RANGE[1]:.0e} parameters, "
                         f"got {target:.3g}", "params")
    if not 0 < tolerance < 1:
        raise InputError(f"must be in (0, 1), got {tolerance:g}", "tolerance")
    if head_dim not in HEAD_DIMS:
        raise InputError(f"must be 64 or 128, got {head_dim}", "head_dim")
    low, high = aspect_range
    for value, name in ((low, "aspect_min"), (high, "aspect_max")):
        if not ASPECT_LIMITS[0] <= value <= ASPECT_LIMITS[1]:
            raise InputError(f"must be between {ASPECT_LIMITS[0]:g} and {ASPECT_LIMITS[1]:g}, got {value:g}", name)
    if low > high:
        raise InputError(f"must be at most {{0}}, got {low:g} > {high:g}", "aspect_min", ("aspect_max",))


def _architecture(layers, d, head_dim, kv_heads, base) -> Architecture:
    return Architecture(layers=layers, d_model=d, heads=d // head_dim, kv_size=head_dim, kv_heads=kv_heads or None,
                        ffw_size=ffw_for(d, base["mlp"]), **base)


def _quadratic(head_dim, kv_heads, base, count) -> tuple:
    """count(L, d) ≈ L (a d² + b d + c) + (e d + f) from six exact counts (exact but for the
    feed-forward width's rounding): the coefficients (a, b, c, e, f)."""
    widths = (1024, 2048, 3072)
    one = [counted(_architecture(1, d, head_dim, kv_heads, base), count) for d in widths]
    two = [counted(_architecture(2, d, head_dim, kv_heads, base), count) for d in widths]
    per_layer = [t - o for o, t in zip(one, two)]
    fixed = [o - p for o, p in zip(one, per_layer)]
    (x0, x1, x2), (y0, y1, y2) = widths, per_layer
    a = ((y2 - y1) / (x2 - x1) - (y1 - y0) / (x1 - x0)) / (x2 - x0)
    b = (y1 - y0) / (x1 - x0) - a * (x0 + x1)
    c = y0 - a * x0 * x0 - b * x0
    e = (fixed[1] - fixed[0]) / (x1 - x0)
    return a, b, c, e, fixed[0] - e * x0


def _solve_width(layers, coefficients, target) -> float:
    """The d_model where the quadratic count reaches the target at this depth."""
    a, b, c, e, f = coefficients
    qa, qb, qc = layers * a, layers * b + e, layers * c + f - target
    if qa <= 0:
        return -qc / qb if qb > 0 else 0.0
    return (-qb + math.sqrt(max(0.0, qb * qb - 4 * qa * qc))) / (2 * qa)


def candidates(target: float, count: str = "total", mlp: str = "swiglu", kv_heads: int | None = None,
               head_dim: int = 128, vocab: int = 32000, embeddings: str = "untied", norm: str = "rmsnorm",
               seq_len: int = 4096, experts: int = 0, active_experts: int = 0, tolerance: float = 0.02,
               aspect_range: tuple = ASPECT_RANGE) -> list:
    """Every (Architecture, error) within ``tolerance`` of ``target`` on the width grid, unranked."""
    check_search(target, tolerance, head_dim, aspect_range, count)
    low, high = aspect_range
    base = dict(vocab=vocab, seq_len=seq_len, mlp=mlp, embeddings=embeddings, norm=norm,
                experts=experts, active_experts=active_experts)
    step = width_step(target, tolerance, head_dim, kv_heads)
    coefficients = _quadratic(head_dim, kv_heads, base, count)
    windows = []  # (layers, first width, last width): arithmetic only, before any count
    for layers in range(1, MAX_LAYERS + 1):
        centre = _solve_width(layers, coefficients, target)
        smallest = step * max(1, math.ceil(low * layers / step))
        if centre * (1 + tolerance) + 2 * step < smallest:
            break  # deeper shapes are only bigger
        # A count grows at least in proportion to the width, so widths within the tolerance lie within
        # the same fraction of the solved width (two grid steps of slack for its rounding).
        first = max(smallest, step * math.floor((centre * (1 - tolerance)) / step - 1))
        last = min(step * math.floor(high * layers / step), step * math.ceil(centre * (1 + tolerance) / step + 1))
        if first <= last:
            windows.append((layers, first, last))
    planned = sum((last - first) // step + 1 for _, first, last in windows)
    if planned > MAX_EVALUATIONS:
        raise InputError(f"the search would count {planned:,} shapes (at most {MAX_EVALUATIONS:,}): narrow "
                         "the tolerance or the aspect range", "tolerance")
    found = []
    for layers, first, last in windows:
        for d in range(first, last + 1, step):
            arch = _architecture(layers, d, head_dim, kv_heads, base)
            error = counted(arch, count) / target - 1
            if abs(error) <= tolerance:
                found.append((arch, error))
    return found


def rank(found: list, preferred_aspect: float = PREFERRED_ASPECT) -> list:
    """Best first: aspect ratio closest to ``preferred_aspect`` (in steps of ASPECT_STEP), then error."""
    return sorted(found, key=lambda c: (round(abs(math.log(c[0].d_model / c[0].layers / preferred_aspect))
                                              / ASPECT_STEP), abs(c[1])))


def propose(target: float, count: str = "total", preferred_aspect: float = PREFERRED_ASPECT, top: int = 5,
            **conventions) -> list:
    """Shapes whose ``count`` of parameters is within ``tolerance`` of ``target``, best first.

    For each depth the width grid's points around the solved width are counted exactly; candidates
    are ranked by |log(aspect / preferred_aspect)| in steps of ASPECT_STEP (about 10%), then by their
    distance from the target. Keyword conventions: see ``candidates``. Returns dicts with layers,
    d_model, heads, kv_heads, head_dim, ffw_size, params (the chosen count), total_params,
    active_params, aspect_ratio, error, pipeline_splits.
    """
    ranked = rank(candidates(target, count=count, **conventions), preferred_aspect)
    return [describe(arch, error, count) for arch, error in ranked[:top]]


def propose_series(targets, count: str = "total", tolerances=(0.02, 0.05, 0.1, 0.25), **conventions) -> list:
    """One shape per target such that, in order of growing target, depth and width never shrink: for
    each target the best-ranked candidate no shallower and no narrower than the previous (growing)
    one, trying the tolerances in turn; None where no shape fits."""
    order = sorted(range(len(targets)), key=lambda i: targets[i])
    chosen: list = [None] * len(targets)
    floor = (0, 0)
    for i in order:
        for tolerance in tolerances:
            found = [c for c in rank(candidates(float(targets[i]), count=count, tolerance=tolerance, **conventions))
                     if c[0].layers >= floor[0] and c[0].d_model >= floor[1]]
            if found:
                arch, error = found[0]
                chosen[i] = describe(arch, error, count)
                floor = (arch.layers, arch.d_model)
                break
    return chosen


def describe(arch: Architecture, error: float, count: str) -> dict:
    return {"layers": arch.layers, "d_model": arch.d_model, "heads": arch.heads, "kv_heads": arch.n_kv_heads,
            "head_dim": arch.head_dim, "ffw_size": arch.ffw_size, "params": counted(arch, count),
            "total_params": arch.params_total, "active_params": arch.params_active,
            "aspect_ratio": arch.d_model / arch.layers, "error": error,
            "pipeline_splits": pipeline_splits(arch.layers)}
