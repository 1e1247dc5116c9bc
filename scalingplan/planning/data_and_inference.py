"""Planning past Chinchilla: a limit on unique training tokens (Muennighoff et al. 2023) and a lifetime
inference load (Sardana et al. 2024). Each function returns ``Allocation``s like ``planning`` does,
with extra keys (``epochs``, ``inference_flops``, ...), and the one-line warnings a reader needs."""

from functools import partial

from scalingplan.planning import optimise as inference
from scalingplan.compute.counting import six_nd
from scalingplan.errors import InputError
from scalingplan.laws.base import tokens_for
from scalingplan.planning.allocation import Allocation, plan, resolve, training_verdict
from scalingplan.catalogues.registry import available, load_law
from scalingplan.numbers import human_count


def resolve_for_data_limit(laws=None) -> list:
    """The laws asked for; by default the main laws plus every registry law that models repetition."""
    if laws:
        return resolve(laws)
    main = resolve(None)
    limited = [law for law in map(load_law, available()) if law.models_repetition and law not in main]
    return main + limited


def loss_function(law, unique_tokens=None):
    """(loss(N, D), floor): the law's loss under the data limit (fresh tokens for a law that does not
    model repetition), and its floor."""
    return (partial(law.unchecked("loss_with_data"), unique_tokens=unique_tokens),
            law.data_floor(unique_tokens))


def repetition(law, tokens, unique_tokens) -> tuple:
    """(extra keys, warnings) for a plan that trains on ``tokens`` drawn from ``unique_tokens``."""
    if unique_tokens is None:
        return {}, []
    epochs = tokens / unique_tokens
    warnings = []
    if epochs > 1 and not law.models_repetition:
        warnings.append(f"'{law.name}' assumes fresh tokens but its plan trains on {human_count(tokens)} tokens, "
                        f"{epochs:.3g} epochs of the {human_count(unique_tokens)} unique ones; "
                        f"see --law muennighoff2023 for a law that discounts repeats")
    return {"epochs": epochs, "unique_tokens": unique_tokens}, warnings


def allocate_limited(flops: float, unique_tokens: float, laws=None) -> tuple:
    """Compute-optimal plans for a budget with ``unique_tokens`` distinct tokens.

    Data-constrained laws minimise their loss over N on C = 6ND (D may repeat the data) and report the
    loss they would reach with unlimited data; other laws keep their plan and get a warning when it
    needs more than one epoch. Returns (allocations, warnings).
    """
    plans, warnings = [], []
    for law in resolve_for_data_limit(laws):
        if law.models_repetition:
            loss, _ = loss_function(law, unique_tokens)
            params, tokens, value = inference.optimum_on_budget(loss, flops)
            unlimited = plan(law, flops)
            result = Allocation(law.name, flops, params, tokens, value,
                                {"unlimited_data_params": unlimited.params,
                                 "unlimited_data_tokens": unlimited.tokens,
                                 "unlimited_data_loss": unlimited.loss}, source=law)
        else:
            result = plan(law, flops)
        extra, notes = repetition(law, result.tokens, unique_tokens)
        result.extra.update(extra)
        plans.append(result)
        warnings.extend(notes)
    return plans, warnings


def _loss_laws(laws, unique_tokens) -> tuple:
    """(laws that predict loss, names of those that do not); InputError if none does."""
    chosen = resolve_for_data_limit(laws) if unique_tokens is not None else resolve(laws)
    kept = [law for law in chosen if law.predicts_loss]
    skipped = [law.name for law in chosen if not law.predicts_loss]
    if not kept:
        raise InputError(f"--inference-tokens needs a law that predicts loss, and {', '.join(skipped)} "
                         f"does not; try --law chinchilla-3 or --law epoch2024")
    return kept, skipped


def inference_for_loss(target: float, inference_tokens: float, laws=None, unique_tokens=None) -> tuple:
    """For a target loss: the (N, D) with the least 6ND + 2NT, beside the training-optimal model of
    the same loss (T = 0: the Chinchilla model for a parametric law) and the saving.

    Returns (allocations, skipped law names, warnings).
    """
    kept, skipped = _loss_laws(laws, unique_tokens)
    plans, warnings = [], []
    for law in kept:
        loss, floor = loss_function(law, unique_tokens)
        if target <= floor:
            limit = "" if floor == law.floor_loss() else f" with {human_count(unique_tokens)} unique tokens"
            raise InputError(f"loss {target:g} is unreachable under '{law.name}'{limit}: its floor is "
                             f"{floor:g}; choose a higher target")
        params, tokens, total = inference.cheapest_for_loss(loss, target, inference_tokens)
        base_params, base_tokens, _ = inference.cheapest_for_loss(loss, target, 0.0)
        base_total = inference.lifetime_flops(base_params, base_tokens, inference_tokens)
        extra = {"inference_tokens": inference_tokens,
                 "inference_flops": 2.0 * params * inference_tokens, "total_flops": total,
                 "chinchilla_params": base_params, "chinchilla_tokens": base_tokens,
                 "chinchilla_total_flops": base_total, "saving_flops": base_total - total,
                 "saving_percent": 100.0 * (base_total - total) / base_total}
        more, notes = repetition(law, tokens, unique_tokens)
        extra.update(more)
        warnings.extend(notes)
        plans.append(Allocation(law.name, six_nd(params, tokens), params, tokens, float(loss(params, tokens)),
                                extra, source=law))
    return plans, skipped, warnings


def inference_for_budget(flops: float, inference_tokens: float, laws=None, unique_tokens=None) -> tuple:
    """For a lifetime budget C = 6ND + 2NT: the lowest loss reachable, beside the training-optimal
    plan whose training and inference together spend the same C, and its loss.

    Returns (allocations, skipped law names, warnings).
    """
    if inference.lifetime_flops(1.0, 0.0, inference_tokens) >= flops:
        raise InputError(f"serving {inference_tokens:.3g} inference tokens costs 2·N·T = {2 * inference_tokens:.3g} "
                         f"FLOPs per parameter, more than the lifetime budget {flops:.3g}")
    kept, skipped = _loss_laws(laws, unique_tokens)
    plans, warnings = [], []
    for law in kept:
        loss, _ = loss_function(law, unique_tokens)
        params, tokens, value = inference.optimum_on_budget(loss, flops, inference_tokens)

        def train_params(budget, loss=loss):
            return inference.optimum_on_budget(loss, budget)[0]

        base_flops = inference.training_share(train_params, flops, inference_tokens)
        base_params = train_params(base_flops)
        base_tokens = tokens_for(base_flops, base_params)
        extra = {"inference_tokens": inference_tokens,
                 "inference_flops": 2.0 * params * inference_tokens, "total_flops": flops,
                 "chinchilla_params": base_params, "chinchilla_tokens": base_tokens,
                 "chinchilla_loss": float(loss(base_params, base_tokens))}
        extra["loss_gain"] = extra["chinchilla_loss"] - value
        more, notes = repetition(law, tokens, unique_tokens)
        extra.update(more)
        warnings.extend(notes)
        plans.append(Allocation(law.name, six_nd(params, tokens), params, tokens, value, extra, source=law))
    return plans, skipped, warnings


def assess_limited(params: float, tokens: float, unique_tokens: float, laws=None) -> tuple:
    """Like ``planning.assess`` for a run whose ``tokens`` repeat ``unique_tokens`` distinct ones:
    data-constrained laws predict the repeated-data loss and compare with their data-limited optimum
    at the same compute; other laws treat every token as fresh. Returns (flops, assessments)."""
    flops = six_nd(params, tokens)
    assessments = []
    for law in resolve_for_data_limit(laws):
        if law.models_repetition:
            best = allocate_limited(flops, unique_tokens, [law])[0][0]
        else:
            best = plan(law, flops)
        assessments.append({
            "law": law.name,
            "params_kind": law.params_kind,
            "loss": float(law.loss_with_data(params, tokens, unique_tokens)) if law.predicts_loss else None,
            "optimal_params": best.params,
            "optimal_tokens": best.tokens,
            "params_ratio": params / best.params,
            "training": training_verdict(params / best.params),
            "optimal_loss": best.loss,
            "extrapolation_decades": best.extrapolation_decades,
            "epochs": tokens / unique_tokens,
            "unique_tokens": unique_tokens,
            "repetition_modelled": law.models_repetition,
        })
    return flops, assessments
