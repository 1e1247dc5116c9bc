"""`scalingplan allocate`: the compute-optimal model and data for a budget, under each law."""

from typing import Annotated, Optional

import typer

from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive
from scalingplan.laws.base import PARAMS_KINDS
from scalingplan.output.render import Column, Table, human_count, sci
from scalingplan.cli.common import emit, lazy_module, warn
from scalingplan.cli.options import (HARDWARE, LAW_SETTINGS, OUTPUT, Flops, Laws, PfDays, chosen_laws,
                                     with_options)
from scalingplan.cli.memory import RECIPE, budget_and_cluster, recipe_tables

planning = lazy_module("scalingplan.planning.allocation")

COLUMNS = [
    Column("Law", "law_label", "text"),
    Column("Params", "params", "count"),
    Column("Tokens", "tokens", "count"),
    Column("Tokens/param", "tokens_per_param", "plain"),
    Column("Loss", "loss", "loss"),
    Column("FLOPs", "flops", "flops"),
    Column("PF-days", "pf_days", "plain"),
]


OUTSIDE_MARK = "*"


def outside(row) -> bool:
    decades = row.get("extrapolation_decades")
    return decades is not None and float(decades) > 0


def table_rows(rows: list) -> list:
    """Rows for a person: the law's name marked when the budget lies outside its fitted range."""
    return [{**row, "law_label": row["law"] + (OUTSIDE_MARK if outside(row) else "")} for row in rows]


def convention_notes(rows: list) -> list:
    """What the parameter counts count, what the losses mean, and which rows extrapolate."""
    kinds: dict = {}
    for row in rows:
        names = kinds.setdefault(row.get("params_kind", "total"), [])
        if row["law"] not in names:
            names.append(row["law"])
    if len(kinds) == 1:
        notes = [f"Params: {PARAMS_KINDS.get(*kinds, *kinds)} ({', '.join(*kinds.values())})."]
    else:
        notes = ["Params: " + "; ".join(
            f"{PARAMS_KINDS.get(kind, kind)} ({'others' if kind == 'total' else ', '.join(names)})"
            for kind, names in sorted(kinds.items(), key=lambda item: item[0] == "total")) + "."]
    if any(r.get("loss") is not None for r in rows):
        notes.append("Loss: predicted final loss in nats/token, on each law's own data and tokenizer; "
                     "compare it within a law, not across laws.")
    far: dict = {}
    for row in rows:
        if outside(row):
            far[row["law"]] = max(far.get(row["law"], 0.0), float(row["extrapolation_decades"]))
    if far:
        notes.append(f"{OUTSIDE_MARK} outside the budgets the law was fitted on, by (decades): "
                     + ", ".join(f"{name} {decades:.1f}" for name, decades in far.items()) + ".")
    return notes


def allocation_notes(plans: list) -> list:
    """Conventions a reader needs beside the numbers, then each law's own notes."""
    notes = convention_notes([p.as_dict() for p in plans])
    for p in plans:
        notes.extend(p.notes)
    return notes


def law_columns(plans: list) -> list:
    """Table columns for the extra keys the plans' laws add, each once."""
    columns = []
    for p in plans:
        columns.extend(Column(*spec) for spec in p.columns if Column(*spec) not in columns)
    return columns


def warn_once(message: str | None) -> None:
    if message:
        warn(message)


def skipped_warning(skipped: list, option: str) -> None:
    """One line for every law left out because it predicts no loss."""
    if skipped:
        warn(f"left out of {option} as each predicts no loss: {', '.join(repr(name) for name in skipped)}")


BUNDLES = (HARDWARE, RECIPE, LAW_SETTINGS)
"""The option bundles of `allocate` beside the output format (`report` takes them too)."""


@with_options(OUTPUT, *BUNDLES)
def allocate(
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
    shapes: Annotated[bool, typer.Option(
        "--shapes", help="Add a proposed shape (layers, width, heads, ffw) to each allocation; see 'scalingplan shape'.")] = False,
    hardware: dict = None,
    settings: dict = None,
    recipe: dict = None,
    fmt: str = "table",
):
    """Compute-optimal parameters, tokens, tokens/param, loss and PF-days for a budget, per law.

    Example: scalingplan allocate --flops 5.8e23 (also --params 7e9, --loss 2.0, or
    --gpu h100 --count 1024 --days 30 --mfu 0.4; --unique-tokens 1T; --loss 2.0 --inference-tokens 2e12;
    --tokens-per-param 200; --law kumar2024 --precision fp8).
    With --gpu and --count (and a budget, --params or --loss): batch, learning rate, days, memory
    layout, cost and energy, e.g. scalingplan allocate --params 7e9 --gpu a100 --count 256.
    """
    emit(fmt, *allocation(flops, law, params, loss, unique_tokens, inference_tokens, tokens_per_param, pf_days,
                          shapes, hardware, settings, recipe))


def allocation(flops=None, law=None, params=None, loss=None, unique_tokens=None, inference_tokens=None,
               tokens_per_param=None, pf_days=None, shapes=False, hardware=None, settings=None, recipe=None) -> tuple:
    """allocate's answer from its options: (JSON payload, tables)."""
    law = chosen_laws(law)
    if settings:
        law = planning.configure(law, **settings)
    budget, cluster = budget_and_cluster(flops, pf_days, hardware, recipe)

    def with_recipe(payload, rows):
        return recipe_tables(payload, rows, recipe, cluster)

    asked = [name for name, given in (("a budget", budget), ("--params", params), ("--loss", loss)) if given]
    if len(asked) != 1:
        raise InputError("give exactly one of a budget (--flops, --pf-days or --gpu ...), --params or --loss"
                         + (f"; got {' and '.join(asked)}" if asked else ""))
    skipped = []
    if unique_tokens is not None or inference_tokens is not None:
        if tokens_per_param is not None:
            raise InputError("--tokens-per-param goes with a budget alone, not with --unique-tokens or --inference-tokens")
        return constrained(budget, params, loss, law, unique_tokens, inference_tokens, with_recipe, shapes)
    if tokens_per_param is not None:
        return overtrained(budget, law, tokens_per_param, with_recipe, shapes)
    if budget:
        plans = planning.allocate(budget["flops"], law)
        title = f"Compute-optimal allocation for {sci(budget['flops'])} FLOPs ({budget['pf_days']:,.1f} PF-days)"
        if "hardware" in budget:
            title += f" = {budget['description']}"
        query = {"flops": budget["flops"]}
    elif params:
        value = parse_positive(params, "--params")
        plans = planning.allocate_params(value, law)
        title = f"Compute-optimal training for a {human_count(value)}-parameter model"
        query = {"params": value}
    else:
        value = parse_positive(loss, "--loss")
        plans, skipped = planning.allocate_loss(value, law)
        title = f"Smallest compute-optimal budget reaching loss {value:g}"
        query = {"loss": value}
    skipped_warning(skipped, "--loss")
    rows = [p.as_dict() for p in plans]
    warn_once(planning.extrapolation_warning(rows))
    payload = {
        "query": query,
        "budget": budget,
        "allocations": rows,
    }
    return payload, ([Table(COLUMNS + law_columns(plans), table_rows(rows), title, allocation_notes(plans))]
                     + with_recipe(payload, rows) + shape_tables(rows, shapes))


def shape_tables(rows: list, wanted: bool) -> list:
    """With --shapes: each row gains ``proposed_shape``, the best candidate of ``scalingplan shape``
    (default conventions) for its parameters (non-embedding ones for a law that counts those); and a
    table. (The recipe's ``shape`` is the memory module's own assumption.)"""
    if not wanted:
        return []
    from scalingplan.compute.shapes import propose

    shown = []
    for row in rows:
        # A law that counts non-embedding parameters, or DeepSeek's M/6 (their non-embedding FLOPs per
        # token ÷ 6, nearest to non-embedding weights), is matched by the non-embedding count.
        count = "total" if row.get("params_kind", "total") == "total" else "non-embedding"
        found = propose(float(row["params"]), count=count, top=1)
        row["proposed_shape"] = dict(found[0], count=count) if found else None
        if found:
            shown.append(dict(row["proposed_shape"], law=row["law"], error_percent=100 * found[0]["error"]))
    note = ("Shapes: SwiGLU, untied embeddings, vocab 32,000, head dim 128, d_model/n_layer near 128 (see "
            "'scalingplan shape'); a law counting non-embedding parameters or M/6 is matched by non-embedding ones.")
    columns = [Column("Law", "law", "text"), Column("Layers", "layers", "exact"), Column("d_model", "d_model", "exact"),
               Column("Heads", "heads", "exact"), Column("FFW", "ffw_size", "exact"), Column("Params", "params", "count"),
               Column("Error %", "error_percent", "plain")]
    return [Table(columns, shown, "Proposed shapes", [note])]


def constrained(budget, params, loss, law, unique_tokens, inference_tokens, with_recipe, shapes=False):
    """allocate with --unique-tokens and/or --inference-tokens (scalingplan.planning.data_and_inference)."""
    from scalingplan.planning import data_and_inference as constraints

    unique = None if unique_tokens is None else parse_positive(unique_tokens, "--unique-tokens")
    served = None if inference_tokens is None else parse_positive(inference_tokens, "--inference-tokens")
    if params:
        raise InputError("--unique-tokens and --inference-tokens go with a budget or --loss, not --params")
    target = parse_positive(loss, "--loss") if loss else None
    columns, notes, warnings, skipped = list(COLUMNS), [], [], []
    if served is None:
        if target is not None:
            raise InputError("--unique-tokens goes with a budget (--flops, ...), or with --loss and --inference-tokens")
        plans, warnings = constraints.allocate_limited(budget["flops"], unique, law)
        title = f"Compute-optimal allocation for {sci(budget['flops'])} FLOPs with {human_count(unique)} unique tokens"
        columns[5:5] = [Column("Epochs", "epochs", "plain"), Column("Unlimited-data loss", "unlimited_data_loss", "loss")]
    else:
        columns = COLUMNS[:4] + [Column("Loss", "loss", "loss"), Column("Training FLOPs", "flops", "flops"),
                                 Column("Inference FLOPs", "inference_flops", "flops"),
                                 Column("Total FLOPs", "total_flops", "flops"),
                                 Column("Chinchilla params", "chinchilla_params", "count")]
        if target is not None:
            plans, skipped, warnings = constraints.inference_for_loss(target, served, law, unique)
            title = f"Least training + inference compute reaching loss {target:g} with {sci(served)} inference tokens"
            columns += [Column("Chinchilla total", "chinchilla_total_flops", "flops"), Column("Saving %", "saving_percent", "plain")]
            notes.append("Chinchilla: the training-optimal model of the same loss, served for the same tokens; "
                         "Saving: its total FLOPs minus the inference-aware plan's.")
        else:
            plans, skipped, warnings = constraints.inference_for_budget(budget["flops"], served, law, unique)
            title = f"Lowest loss for a lifetime budget of {sci(budget['flops'])} FLOPs with {sci(served)} inference tokens"
            columns += [Column("Chinchilla loss", "chinchilla_loss", "loss")]
            notes.append("Chinchilla: the training-optimal plan whose training plus inference spend the same budget.")
        if unique is not None:
            columns[4:4] = [Column("Epochs", "epochs", "plain")]
        notes.append("FLOPs: training 6ND, inference 2N per token (Sardana et al. 2024, arXiv:2401.00448).")
    skipped_warning(skipped, "--inference-tokens")
    for message in warnings:
        warn(message)
    rows = [p.as_dict() for p in plans]
    warn_once(planning.extrapolation_warning(rows))
    query = {key: value for key, value in (("flops", budget and budget["flops"]), ("loss", target),
                                           ("unique_tokens", unique), ("inference_tokens", served)) if value}
    payload = {"query": query, "budget": budget, "allocations": rows}
    return payload, ([Table(columns, table_rows(rows), title, allocation_notes(plans) + notes)]
                     + with_recipe(payload, rows) + shape_tables(rows, shapes))


def overtrained(budget, law, tokens_per_param, with_recipe, shapes=False):
    """allocate --tokens-per-param M: the model with D = M·N that spends the budget, under each law."""
    if not budget:
        raise InputError("--tokens-per-param goes with a budget (--flops, --pf-days or --gpu ...)")
    multiplier = parse_positive(tokens_per_param, "--tokens-per-param")
    plans = planning.overtrained(budget["flops"], multiplier, law)
    rows = [p.as_dict() for p in plans]
    columns = COLUMNS[:4] + [Column("Optimal M", "optimal_tokens_per_param", "plain"), Column("Loss", "loss", "loss"),
                             Column("Penalty", "loss_penalty", "loss")] + law_columns(plans)
    notes = ["Optimal M: the law's compute-optimal tokens per parameter at this budget; Penalty: this "
             "plan's loss minus the compute-optimal plan's (over-training buys a smaller model for inference)."]
    title = f"{multiplier:g} tokens per parameter on {sci(budget['flops'])} FLOPs"
    payload = {"query": {"flops": budget["flops"], "tokens_per_param": multiplier}, "budget": budget,
               "allocations": rows}

    return payload, ([Table(columns, table_rows(rows), title, allocation_notes(plans) + notes)]
                     + with_recipe(payload, rows) + shape_tables(rows, shapes))
