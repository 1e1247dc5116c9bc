"""`scalingplan assess`: how trained models compare with each law's compute-optimal model."""

from typing import Annotated, List, Optional

import typer

from scalingplan.catalogues.models import counted_params, find_model, training_tokens
from scalingplan.errors import InputError
from scalingplan.numbers import parse_positive
from scalingplan.output.render import Column, Table, human_count, sci
from scalingplan.output.allocations import basis_notes, columns, convention_notes, table_rows
from scalingplan.cli.common import emit, lazy_module, warn_once
from scalingplan.cli.options import (LAW_SETTINGS, OUTPUT, Laws, Model, ModelConfig, chosen_laws, config_architecture,
                                     with_options)

planning = lazy_module("scalingplan.planning.allocation")
planner = lazy_module("scalingplan.planning.planner")

COLUMNS = columns("law", "loss", "optimal_params", "optimal_tokens", "params_ratio", "optimal_loss")


def assessed_models(names, params, tokens, config=None) -> list:
    """(name, params, tokens, source, note) for catalogue names and/or an explicit --params/--tokens model,
    or a --config model with --tokens. A mixture of experts is assessed by its active parameters, its
    total shown in the name."""
    models = []
    if config is not None:
        if tokens is None or params is not None:
            raise InputError("--config goes with --tokens (the model's training tokens), without --params")
        arch = config_architecture(config)
        label = f"{config} ({human_count(arch.params_total)} total, by active params)" if arch.is_moe else str(config)
        models.append((label, arch.params_active, parse_positive(tokens, "--tokens"), "config.json", None))
        tokens = None
    for name in names or []:
        entry = find_model(name)
        label = entry.get("display", entry["name"])
        if entry.get("active_params"):
            label += f" ({human_count(entry['params'])} total, by active params)"
        models.append((label, counted_params(entry), training_tokens(entry, "assess it with --params and --tokens"),
                       entry.get("source"), entry.get("note")))
    if (params is None) != (tokens is None):
        raise InputError("--params and --tokens go together")
    if params is not None:
        n, d = parse_positive(params, "--params"), parse_positive(tokens, "--tokens")
        models.append((f"{human_count(n)} params × {human_count(d)} tokens", n, d, None, None))
    if not models:
        raise InputError("name catalogue models (e.g. 'assess gopher chinchilla') or give --params and --tokens")
    return models


def law_columns(assessments: list, laws) -> list:
    """Columns for the extra keys the assessing laws add (predicted error, active parameters, ...)."""
    columns = []
    for spec in (spec for law in planning.resolve(laws) for spec in law.extra_columns):
        if any(spec[1] in a for a in assessments) and Column(*spec) not in columns:
            columns.append(Column(*spec))
    if any(abs(a["flops"] / (6.0 * a["params"] * a["tokens"]) - 1) > 1e-9 for a in assessments):
        columns.append(Column("Law FLOPs", "flops", "flops"))
    return columns


def verdicts(assessments: list) -> list:
    """In words, per law: over- or under-trained, and the compute its optimum needs for the same loss."""
    lines = []
    for a in assessments:
        line = f"{a['law']}: {a['training']}, {a['params_ratio']:.3g}× the optimal size at this compute"
        fraction = a.get("optimum_compute_fraction")
        if fraction is None:
            line += " (no loss predicted)" if a["loss"] is None else ""
        elif fraction <= 1:
            line += f"; its optimum reaches the same loss with {fraction:.0%} of the compute"
        else:
            line += f"; its frontier needs {fraction:.3g}× the compute for the same loss"
        lines.append(line + ".")
    return lines


def loss_table(results: list) -> Table | None:
    """Models × laws predicted losses, when more than one model is assessed."""
    if len(results) < 2:
        return None
    laws = [a["law"] for a in results[0]["assessments"] if a["loss"] is not None]
    if not laws:
        return None
    columns = [Column("Model", "name", "text"), Column("FLOPs", "flops", "flops")]
    columns += [Column(law, law, "loss") for law in laws]
    rows = [{"name": m["name"], "flops": m["flops"],
             **{a["law"]: a["loss"] for a in m["assessments"]}} for m in results]
    return Table(columns, rows, "Predicted loss of each model, by law (lower is better)")


@with_options(OUTPUT, LAW_SETTINGS)
def assess(
    models: Annotated[Optional[List[str]], typer.Argument(
        help="Catalogue models, e.g. gopher chinchilla gpt-3 (see 'scalingplan models').",
        show_default=False)] = None,
    params: Annotated[Optional[str], typer.Option("--params", help="Parameters of a model to assess.")] = None,
    tokens: Annotated[Optional[str], typer.Option("--tokens", help="Training tokens of that model.")] = None,
    unique_tokens: Annotated[Optional[str], typer.Option(
        "--unique-tokens", help="Unique tokens the run's --tokens repeat; data-constrained laws "
                                "(muennighoff2023, added by default) discount the repeats.")] = None,
    model: Model = None,
    config: ModelConfig = None,
    law: Laws = None,
    settings: dict = None,
    fmt: str = "table",
):
    """Assess trained models against each law: loss, the optimum at the same compute, size ratio.

    Example: scalingplan assess gopher chinchilla  (or: --params 280e9 --tokens 300e9; --model gopher;
    --config Meta-Llama-3-8B --tokens 15e12; --law krajewski2024 --granularity 8; --law kumar2024
    --precision int8 --post-train-bits 4)
    """
    law = chosen_laws(law)
    if settings:
        law = planning.configure(law, **settings)
    unique = None if unique_tokens is None else parse_positive(unique_tokens, "--unique-tokens")
    if unique is None:
        laws = planning.resolve(law)
    else:
        from scalingplan.planning.data_and_inference import resolve_for_data_limit

        laws = resolve_for_data_limit(law)
    results, tables = [], []
    for name, n, d, source, note in assessed_models(list(models or []) + ([model] if model else []), params,
                                                    tokens, config):
        found = planner.plan_all(laws, planner.Query(params=n, tokens=d, unique_tokens=unique, settings=settings or {}))
        assessments = [a.as_dict() for a in found.allocations]
        flops = 6.0 * n * d
        results.append({"name": name, "params": n, "tokens": d, "flops": flops, "source": source,
                        "assessments": assessments})
        title = (f"{name}: {human_count(n)} params, {human_count(d)} tokens, "
                 f"{sci(flops)} FLOPs (6ND), {d / n:.3g} tokens/param")
        notes = [f"Source: {source}"] if source else []
        notes += [f"Note: {note}"] if note else []
        if unique is not None:
            title += f", {d / unique:.3g} epochs of {human_count(unique)} unique tokens"
            notes.append("Only data-constrained laws (e.g. muennighoff2023) discount repeated tokens; their "
                         "optimum is the best plan at the same compute and unique tokens. Other laws count "
                         "every token as fresh.")
        notes += verdicts(assessments) + convention_notes(assessments) + basis_notes(found.allocations)
        warn_once(planning.extrapolation_warning(assessments))
        tables.append(Table(COLUMNS + law_columns(assessments, laws), table_rows(assessments), title, notes))
    summary = loss_table(results)
    if summary:
        tables.append(summary)
    tables[-1].notes.append("N ÷ opt.: the model's parameters divided by the law's compute-optimal size N "
                            "at the same compute (optimal tokens D); above 1 under-trained, below 1 "
                            "over-trained. Loss is L(N, D) of the model, Opt. loss the least L(N, D) of any model of the same "
                            "compute under the law.")
    flat = Table([Column("Model", "model", "text"), Column("Params", "params", "count"),
                  Column("Tokens", "tokens", "count"), Column("FLOPs", "flops", "flops")] + COLUMNS,
                 [{**a, "model": m["name"], "params": m["params"], "tokens": m["tokens"], "flops": m["flops"]}
                  for m in results for a in m["assessments"]])
    emit(fmt, {"models": results}, tables, csv_table=flat)
