"""Planning under a limit on unique training tokens (Muennighoff et al. 2023), through the one
planner: which laws answer it, and the plans with the one-line warnings a reader needs. Inference
load and the rest are fields of ``planner.Query``."""

from scalingplan.catalogues.registry import available, load_law
from scalingplan.planning.allocation import resolve
from scalingplan.planning.planner import Query, plan_all


def resolve_for_data_limit(laws=None) -> list:
    """The laws asked for; by default the main laws plus every registry law that models repetition."""
    if laws:
        return resolve(laws)
    main = resolve(None)
    limited = [law for law in map(load_law, available()) if law.models_repetition and law not in main]
    return main + limited


def allocate_limited(flops: float, unique_tokens: float, laws=None) -> tuple:
    """Plans for a budget with ``unique_tokens`` distinct tokens: (allocations, warnings)."""
    found = plan_all(resolve_for_data_limit(laws), Query(flops=flops, unique_tokens=unique_tokens))
    return list(found.allocations), list(found.warnings)
