"""allocate's answer from its options, shared by the commands that show it (`allocate` as tables or
JSON, `report` as an HTML page): the options, the planner call, the payload and the tables."""

import inspect
from typing import Annotated, Optional

import typer

from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive
from scalingplan.output.allocations import (allocation_notes, basis_notes, columns, law_columns, recipe_tables,
                                            table_rows)
from scalingplan.output.render import Column, Table, human_count, sci
from scalingplan.cli.common import lazy_module, warn, warn_once
from scalingplan.cli.options import (HARDWARE, LAW_SETTINGS, RECIPE, Flops, Laws, Model, ModelConfig, PfDays,
                                     budget_and_recipe, chosen_laws, configured_first_law, deadline_budget, model_params,
                                     with_options)
from scalingplan.output.headline import lead

planning = lazy_module("scalingplan.planning.allocation")
planner = lazy_module("scalingplan.planning.planner")

LEAD = ("law", "params", "tokens", "tokens_per_param")


def skipped_warning(skipped, option: str) -> None:
    """One line for every law left out because it predicts no loss."""
    if skipped:
        warn(f"left out of {option} as each predicts no loss: {', '.join(repr(name) for name in skipped)}")


BUNDLES = (HARDWARE, RECIPE, LAW_SETTINGS)
"""allocate's option bundles; ``allocation`` receives each as one value."""


def allocation(
    flops: Flops = None,
    law: Laws = None,
    params: Annotated[Optional[str], typer.Option(
        "--params", help="Instead of a budget: a model size; gives its compute-optimal tokens and budget.")] = None,
    loss: Annotated[Optional[str], typer.Option(
        "--loss", help="Instead of a budget: a target loss; gives the smallest budget that reaches it.")] = None,
    unique_tokens: Annotated[Optional[str], typer.Option(
        "--unique-tokens", help="Unique training tokens available; data-constrained laws (muennighoff2023, "
                                "added by default) repeat them, others warn when they would.")] = None,
    inference_tokens: Annotated[Optional[str], typer.Option(
        "--inference-tokens", help="Lifetime inference tokens T: minimise 6ND + 2NT for --loss, or spend a "
                                   "lifetime budget 6ND + 2NT = C (Sardana et al. 2024).")] = None,
    tokens_per_param: Annotated[Optional[str], typer.Option(
        "--tokens-per-param", help="Train on M tokens per parameter instead of the optimum (over-training): "
                                   "the model that spends the budget, with its loss penalty.")] = None,
    pf_days: PfDays = None,
    model: Model = None,
    config: ModelConfig = None,
    shapes: Annotated[bool, typer.Option(
        "--shapes", help="Add a proposed shape (layers, width, heads, ffw) to each allocation; see 'scalingplan shape'.")] = False,
    explain: Annotated[bool, typer.Option(
        "--explain", help="Show the notes: conventions, extrapolation, each law's caveats.")] = False,
    hardware: dict = None,
    settings: dict = None,
    recipe: dict = None,
) -> tuple:
    """allocate's answer to its options: (the JSON payload, the tables a person is shown (the headline
    first; notes with --explain), every table whole (the allocation table first, CSV's))."""
    params = model_params(params, model, config)  # --model and --config name a fixed size too
    budget, recipe_spec = budget_and_recipe(flops, pf_days, hardware, recipe, fixed_size=bool(params))
    asked = [name for name, given in (("a budget", budget), ("--params", params), ("--loss", loss)) if given]
    fixed = asked == ["a budget", "--params"]  # a fixed size on a budget: the tokens it buys
    if len(asked) != 1 and not fixed:
        raise InputError("give exactly one of a budget (--flops, --pf-days or --gpu ...), --params or --loss"
                         + (f"; got {' and '.join(asked)}" if asked else ""))
    unique = None if unique_tokens is None else parse_positive(unique_tokens, "--unique-tokens")
    served = None if inference_tokens is None else parse_positive(inference_tokens, "--inference-tokens")
    multiplier = None if tokens_per_param is None else parse_positive(tokens_per_param, "--tokens-per-param")
    if multiplier is not None and (unique is not None or served is not None):
        raise InputError("--tokens-per-param goes with a budget alone, not with --unique-tokens or --inference-tokens")
    if multiplier is not None and not budget:
        raise InputError("--tokens-per-param goes with a budget (--flops, --pf-days or --gpu ...)")
    if params and (unique is not None or served is not None):
        raise InputError("--unique-tokens and --inference-tokens go with a budget or --loss, not --params")
    if loss and unique is not None and served is None:
        raise InputError("--unique-tokens goes with a budget (--flops, ...), or with --loss and --inference-tokens")
    query = planner.Query(flops=budget["flops"] if budget else None,
                          params=parse_positive(params, "--params") if params else None,
                          loss=parse_positive(loss, "--loss") if loss else None, tokens_per_param=multiplier,
                          unique_tokens=unique, inference_tokens=served, settings=settings or {}, recipe=recipe_spec)
    laws = chosen_laws(law)
    if settings:
        laws = planning.configure(laws, **settings)
    if unique is not None:
        from scalingplan.planning.data_and_inference import resolve_for_data_limit

        laws = resolve_for_data_limit(laws)
    found = planner.plan_all(planning.resolve(laws), query)
    skipped_warning(found.skipped, "--inference-tokens" if served is not None else "--loss")
    for message in found.warnings:
        warn(message)
    plans = list(found.allocations)
    rows = [p.as_dict() for p in plans]
    if getattr(recipe_spec.cluster, "gpu_seconds", None):  # a fixed size until a deadline: the predicted MFU
        budget = deadline_budget(budget, hardware, rows, configured_first_law())
    shapes_in_range(rows, shapes)
    warn_once(planning.extrapolation_warning(rows))
    table_columns, notes, title = layout(query, budget)
    payload = {"query": {key: value for key, value in (
        ("flops", budget["flops"] if budget else None), ("params", query.params), ("loss", query.loss), ("tokens_per_param", multiplier),
        ("unique_tokens", unique), ("inference_tokens", served)) if value is not None},
        "budget": budget, "allocations": rows}
    from scalingplan.planning.recipe import add_recipe

    info = add_recipe([], recipe_spec.rule, recipe_spec.seq_len, recipe_spec.cluster)
    payload["recipe"] = info
    main = Table(table_columns + law_columns(plans), table_rows(rows), title,
                 allocation_notes(plans) + basis_notes(plans) + notes)
    full = [main] + recipe_tables(info, rows) + shape_tables(rows, shapes)
    return payload, lead(payload, full, explain, configured_first_law()), full


def layout(query, budget) -> tuple:
    """(columns, notes, title) of the allocation table for the query's path."""
    path = query.path
    if path == "fixed-size":
        title = f"A {human_count(query.params)}-parameter model on {sci(budget['flops'])} FLOPs: D = C/(6N)"
        if "hardware" in budget:
            title += f" ({budget['description']})"
        return columns(*LEAD, "loss", "flops", "pf_days"), [], title
    if path in ("plain", "params", "loss"):
        if path == "plain":
            title = f"Compute-optimal allocation for {sci(query.flops)} FLOPs ({budget['pf_days']:,.1f} PF-days)"
            if "hardware" in budget:
                title += f" = {budget['description']}"
        elif path == "params":
            title = f"Compute-optimal training for a {human_count(query.params)}-parameter model"
        else:
            title = f"Smallest compute-optimal budget reaching loss {query.loss:g}"
        return columns(*LEAD, "loss", "flops", "pf_days"), [], title
    if path == "over-trained":
        notes = ["Optimal M: the law's compute-optimal tokens per parameter at this budget; Penalty: this "
                 "plan's L(N, D) minus the least L(N, D) of any model of the same compute under the law "
                 "(over-training buys a smaller model for inference)."]
        return (columns(*LEAD, "optimal_tokens_per_param", "loss", "loss_penalty"), notes,
                f"{query.tokens_per_param:g} tokens per parameter on {sci(query.flops)} FLOPs")
    if path == "data-limited":
        return (columns(*LEAD, "loss", "epochs", "unlimited_data_loss", "flops", "pf_days"), [],
                f"Compute-optimal allocation for {sci(query.flops)} FLOPs with "
                f"{human_count(query.unique_tokens)} unique tokens")
    keys = [*LEAD] + (["epochs"] if query.unique_tokens is not None else []) + [
        "loss", "flops", "inference_flops", "total_flops", "chinchilla_params"]
    notes = ["FLOPs: training in each law's cost model (6ND unless it has its own); serving a token costs a "
             "forward pass, a third of training's (2N per token for 6ND; Sardana et al. 2024, arXiv:2401.00448)."]
    if query.loss is not None:
        keys += ["chinchilla_total_flops", "saving_percent"]
        notes.insert(0, "Chinchilla: the training-optimal model of the same loss, served for the same tokens; "
                        "Saving: its total FLOPs minus the inference-aware plan's.")
        title = (f"Least training + inference compute reaching loss {query.loss:g} with "
                 f"{sci(query.inference_tokens)} inference tokens")
    else:
        keys += ["chinchilla_loss"]
        notes.insert(0, "Chinchilla: the training-optimal plan whose training plus inference spend the same budget.")
        title = (f"Lowest loss for a lifetime budget of {sci(query.flops)} FLOPs with "
                 f"{sci(query.inference_tokens)} inference tokens")
    shown = [Column("Training FLOPs", c.key, c.kind) if c.key == "flops" else c for c in columns(*keys)]
    return shown, notes, title


def shapes_in_range(rows: list, wanted: bool) -> None:
    """With --shapes: every plan's size within the shape search's range, before any work."""
    if not wanted:
        return
    from scalingplan.compute.shapes import PARAMS_RANGE

    sizes = [float(row["params"]) for row in rows]
    outside = [n for n in sizes if not PARAMS_RANGE[0] <= n <= PARAMS_RANGE[1]]
    if outside:
        raise InputError(f"--shapes: shapes are proposed for {PARAMS_RANGE[0]:.0e} to {PARAMS_RANGE[1]:.0e} "
                         f"parameters; a plan has {outside[0]:.3g}")


def shape_tables(rows: list, wanted: bool) -> list:
    """With --shapes: each row gains ``proposed_shape``, the best candidate of ``scalingplan shape``
    (default conventions) for its parameters (non-embedding ones for a law that counts those); and a
    table. (The recipe's ``shape`` is the memory module's own assumption.)"""
    if not wanted:
        return []
    from scalingplan.compute.shapes import propose

    shapes_in_range(rows, wanted)
    shown = []
    for row in rows:
        # A law that counts non-embedding parameters, or DeepSeek's M/6 (their non-embedding FLOPs per
        # token ÷ 6, nearest to non-embedding weights), is matched by the non-embedding count.
        count = "total" if row.get("params_kind", "total") == "total" else "non-embedding"
        found = propose(float(row["params"]), count=count, top=1)
        row["proposed_shape"] = dict(found[0], count=count) if found else None
        if found:
            shown.append(dict(row["proposed_shape"], law=row["law"], error_percent=100 * found[0]["error"],
                              pipeline=",".join(map(str, found[0]["pipeline_splits"]))))
    note = ("Shapes: SwiGLU, untied embeddings, vocab 32,000, head dim 128, d_model/n_layer near 128 (see "
            "'scalingplan shape'); a law counting non-embedding parameters or M/6 is matched by non-embedding ones.")
    columns = [Column("Law", "law", "text"), Column("Layers", "layers", "exact"), Column("d_model", "d_model", "exact"),
               Column("Heads", "heads", "exact"), Column("FFW", "ffw_size", "exact"), Column("Params", "params", "count"),
               Column("Error %", "error_percent", "plain"), Column("PP", "pipeline", "text")]
    return [Table(columns, shown, "Proposed shapes", [note])]


def with_allocate_options(*bundles, without: tuple = ()):
    """Give a command allocate's options (those of ``allocation`` and its bundles, less the ones named
    in ``without``, which the command sets itself) besides its own and ``bundles``'; it takes them as
    ``**options``, ready for ``allocation(**options)``."""

    def decorate(command):
        own = [p for p in inspect.signature(command).parameters.values() if p.kind != inspect.Parameter.VAR_KEYWORD]
        names = {bundle.name for bundle in BUNDLES} | set(without)
        taken = [p for p in inspect.signature(allocation).parameters.values() if p.name not in names]
        parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in own + taken]
        command.__signature__ = inspect.Signature(parameters)
        command.__annotations__ = {p.name: p.annotation for p in parameters}
        return with_options(*bundles, *BUNDLES)(command)

    return decorate
