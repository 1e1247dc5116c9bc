"""`scalingplan allocate`: the compute-optimal model and data for a budget, under each law."""

from typing import Annotated, Optional

import typer

from scalingplan.planning import allocation as planning
from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive
from scalingplan.laws.base import PARAMS_KINDS
from scalingplan.output.render import Column, Table, human_count, sci
from scalingplan.cli.common import emit, warn
from scalingplan.cli.options import HARDWARE, OUTPUT, Flops, Laws, PfDays, chosen_laws, with_options
from scalingplan.cli.memory import RECIPE, budget_and_cluster, recipe_tables

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


@with_options(OUTPUT, HARDWARE, RECIPE)
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
    pf_days: PfDays = None,
    hardware: dict = None,
    recipe: dict = None,
    fmt: str = "table",
):
    """Compute-optimal parameters, tokens, tokens/param, loss and PF-days for a budget, per law.

    Example: scalingplan allocate --flops 5.8e23 (also --params 7e9, --loss 2.0, or
    --gpu h100 --count 1024 --days 30 --mfu 0.4; --unique-tokens 1T; --loss 2.0 --inference-tokens 2e12).
    With --gpu and --count (and a budget, --params or --loss): batch, learning rate, days, memory
    layout, cost and energy, e.g. scalingplan allocate --params 7e9 --gpu a100 --count 256.
    """
    law = chosen_laws(law)
    budget, cluster = budget_and_cluster(flops, pf_days, hardware, recipe)

    def with_recipe(payload, rows):
        return recipe_tables(payload, rows, recipe, cluster)

    asked = [name for name, given in (("a budget", budget), ("--params", params), ("--loss", loss)) if given]
    if len(asked) != 1:
        raise InputError("give exactly one of a budget (--flops, --pf-days or --gpu ...), --params or --loss"
                         + (f"; got {' and '.join(asked)}" if asked else ""))
    skipped = []
    if unique_tokens is not None or inference_tokens is not None:
        return constrained(fmt, budget, params, loss, law, unique_tokens, inference_tokens, with_recipe)
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
    emit(fmt, payload, [Table(COLUMNS + law_columns(plans), table_rows(rows), title, allocation_notes(plans))]
         + with_recipe(payload, rows))


def constrained(fmt, budget, params, loss, law, unique_tokens, inference_tokens, with_recipe):
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
    emit(fmt, payload, [Table(columns, table_rows(rows), title, allocation_notes(plans) + notes)]
         + with_recipe(payload, rows))
