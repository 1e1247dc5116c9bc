"""How allocations look to a person: table columns named by ``planner.Allocation``'s fields, the
law's name marked when a row extrapolates (tables only; JSON and CSV keep the registry name), the
conventions under every table, and the recipe and cluster tables."""

from scalingplan.laws.base import PARAMS_KINDS
from scalingplan.numbers import human_count
from scalingplan.output.render import Column, Table, plain

OUTSIDE_MARK = "*"
GB = 1e9


def columns(*keys: str) -> list:
    """Table columns for allocation keys, headed and formatted as ``Allocation`` declares them; the
    law's column shows ``law_label`` (marked) to a person and ``law`` in CSV."""
    from scalingplan.planning.planner import row_keys

    known = row_keys()
    out = []
    for key in keys:
        _, header, kind, _ = known[key]
        out.append(Column(header or key, key, kind, shown="law_label" if key == "law" else ""))
    return out


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
        notes.extend(n for n in p.notes if n not in notes)
    return notes


def law_columns(plans: list) -> list:
    """Table columns for the extra keys the plans' laws add, each once."""
    out = []
    for p in plans:
        out.extend(Column(*spec) for spec in p.columns if Column(*spec) not in out)
    return out


def basis_notes(plans: list) -> list:
    """One line per law whose published frontier is not the least L(N, D) at its compute (Kaplan's
    Table 6 against eq. 1.5), saying how its rows compare like with like."""
    from scalingplan.planning.planner import frontier_minimises_loss

    notes = []
    for p in plans:
        law = p.source
        if p.path not in ("over-trained", "assess", "inference") or law is None or not law.predicts_loss \
                or frontier_minimises_loss(law):
            continue
        if p.path in ("over-trained", "assess"):
            text = (f"{law.name}: its frontier (the plan) is a separate fit from its L(N, D); the model and the "
                    f"optimum it is compared with are both taken under L(N, D) at the same compute.")
        elif p.path == "inference":
            text = (f"{law.name}: planned on its frontier, whose losses are not those of its L(N, D): the "
                    f"training share of the budget, or the frontier model of the target loss, then served.")
        else:
            continue
        if text not in notes:
            notes.append(text)
    return notes


RECIPE_COLUMNS = [
    Column("Law", "law", "text"), Column("Batch tokens", "batch_tokens", "count"),
    Column("Sequences", "batch_sequences", "plain"), Column("LR", "learning_rate", "plain"),
    Column("Steps", "steps", "count"), Column("Shape", "shape_text", "text"),
]
CLUSTER_COLUMNS = [
    Column("Law", "law", "text"), Column("Days", "days", "plain"), Column("GPU-hours", "gpu_hours", "count"),
    Column("MFU", "mfu_text", "text"), Column("Layout", "layout_text", "text"), Column("GB", "memory_gb", "plain"),
    Column("MWh", "energy_mwh", "plain"), Column("t CO2e", "co2_t", "plain"),
]


def recipe_tables(info: dict, rows: list) -> list:
    """The recipe table (and, with a cluster, the run's table) of rows planned with a recipe;
    ``info`` is what ``recipe.add_recipe`` says the rows assumed."""
    rule, seq = info["hparams_rule"], info["seq_len"]
    notes = [f"{info['hparams_source']}; batch in whole sequences of {seq}, steps = tokens ÷ batch.",
             f"Shape: layers × d_model, for DeepSeek's attention term and the memory; "
             f"{'* ' if any(row['shape']['assumed'] for row in rows) else ''}{info['shape']}."]
    notes += [info["hparams_extrapolation"]] if info.get("hparams_extrapolation") else []
    for row in rows:
        if "critical_batch_tokens" in row:
            notes.append(f"{row['law']}: critical batch B_crit(L) = B*/L^(1/α_B) = "
                         f"{human_count(row['critical_batch_tokens'])} tokens at loss {row['loss']:.3f} "
                         f"(Kaplan eq. 1.4).")
    shapes = [dict(row, shape_text=f"{row['shape']['layers']} × {row['shape']['d_model']}"
                                   + ("*" if row["shape"]["assumed"] else "")) for row in rows]
    tables = [Table(RECIPE_COLUMNS, shapes, f"Training recipe ({rule})", notes)]
    if "cluster" not in info:
        return tables
    shown = []
    for row in rows:
        best = row["memory"]["layout"]
        shown.append(dict(row, layout_text=(f"{best['dp']}·{best['tp']}·{best['pp']} z{best['zero']}"
                                            if best else "does not fit"),
                          memory_gb=best["per_gpu"]["total"] / GB if best else None,
                          mfu_text=f"{row['mfu']:.0%}" + ("" if row["utilisation_source"] == "predicted" else "*"),
                          energy_mwh=None if row["energy_kwh"] is None else row["energy_kwh"] / 1000,
                          co2_t=None if row["co2_kg"] is None else row["co2_kg"] / 1000))
    table_columns = list(CLUSTER_COLUMNS)
    c = info["cluster"]
    notes = [f"Time: {c['utilisation_text']}; days = GPU-hours ÷ {c['count']:,} ÷ 24.",
             f"Layout: the fastest layout that fits {plain(c['memory_bytes'] / GB)} GB per "
             f"{c['gpu']} with recompute {c['recompute']}, as dp·tp·pp and ZeRO stage z; GB per GPU"
             + ("; MFU predicted for it (docs/throughput.md)." if c["utilisation_source"] == "predicted"
                else "; * MFU given or the default, not predicted."),
             f"Energy = GPU-hours × TDP × PUE {c['pue']:g}; CO2 = energy × {c['grid_intensity_kg_per_kwh']:g} "
             f"kg/kWh" + (" (defaults, cited in 'scalingplan hardware')" if {"pue", "grid_intensity"} & set(c["defaults"]) else "")
             + ("" if c["tdp_watts"] else f"; {c['gpu']} has no published TDP, so no energy") + "."]
    predicted = [row["throughput"]["mfu"] for row in rows if row.get("throughput")]
    if c["utilisation_source"] != "predicted" and predicted:
        span = f"{min(predicted):.0%}" + (f"–{max(predicted):.0%}" if f"{min(predicted):.0%}" != f"{max(predicted):.0%}" else "")
        notes.append(f"MFU predicted for the rows' fastest layouts: {span} "
                     f"(model FLOPs with attention; 'scalingplan throughput'); the days above use the "
                     f"{c['utilisation_source']} MFU.")
    if c["price_per_hour"] is not None:
        table_columns.insert(3, Column("Cost", "cost", "count"))
        notes.append(f"Cost = GPU-hours × {c['price_per_hour']:g} per GPU-hour.")
    if any(not row["memory"]["fits"] for row in rows):
        notes.append("Rows that do not fit: add GPUs, or try a shorter --seq-len"
                     + ("." if c["recompute"] == "full" else " or --recompute full."))
    tables.append(Table(table_columns, shown, f"On {c['count']:,} × {c['gpu']}", notes))
    return tables
