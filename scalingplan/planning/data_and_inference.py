"""Planning past Chinchilla through the one planner: a limit on unique training tokens (Muennighoff
et al. 2023) and a lifetime inference load (Sardana et al. 2024). Each function returns
``Allocation``s and the one-line warnings a reader needs."""

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


def _laws(laws, unique_tokens) -> list:
    return resolve_for_data_limit(laws) if unique_tokens is not None else resolve(laws)


def allocate_limited(flops: float, unique_tokens: float, laws=None) -> tuple:
    """Plans for a budget with ``unique_tokens`` distinct tokens: (allocations, warnings)."""
    found = plan_all(resolve_for_data_limit(laws), Query(flops=flops, unique_tokens=unique_tokens))
    return list(found.allocations), list(found.warnings)


def inference_for_loss(target: float, inference_tokens: float, laws=None, unique_tokens=None) -> tuple:
    """For a target loss: the model with the least training plus serving compute, beside the
    training-optimal model of the same loss. Returns (allocations, skipped law names, warnings)."""
    found = plan_all(_laws(laws, unique_tokens),
                     Query(loss=target, inference_tokens=inference_tokens, unique_tokens=unique_tokens))
    return list(found.allocations), list(found.skipped), list(found.warnings)


def inference_for_budget(flops: float, inference_tokens: float, laws=None, unique_tokens=None) -> tuple:
    """For a lifetime budget (training plus serving): the lowest loss, beside the training-optimal plan
    spending the same budget. Returns (allocations, skipped law names, warnings)."""
    found = plan_all(_laws(laws, unique_tokens),
                     Query(flops=flops, inference_tokens=inference_tokens, unique_tokens=unique_tokens))
    return list(found.allocations), list(found.skipped), list(found.warnings)


def assess_limited(params: float, tokens: float, unique_tokens: float, laws=None) -> tuple:
    """Like ``allocation.assess`` for a run whose ``tokens`` repeat ``unique_tokens`` distinct ones."""
    from scalingplan.planning.allocation import assess

    return assess(params, tokens, resolve_for_data_limit(laws), unique_tokens)
