"""The headline of `allocate`: the recommended plan in one line, the spread across laws in another,
then the tables with their notes kept for --explain and their constant columns moved into the title."""

from __future__ import annotations

from scalingplan.output.render import KINDS, Table, human_count


def recommendation_text(recommended: dict, spread: dict, row: dict | None = None) -> list:
    """Two lines: the recommended plan (on a cluster with days and layout), and the spread."""
    loss = "" if recommended["loss"] is None else f", loss {recommended['loss']:.3f}"
    line = (f"Recommended ({recommended['law']}): {human_count(recommended['params'])} parameters × "
            f"{human_count(recommended['tokens'])} tokens{loss}")
    if row is not None and row.get("days") is not None:
        line += f"; {row['days']:,.1f} days"
        layout = ((row.get("memory") or {}).get("layout") or {})
        if layout:
            line += f", layout dp·tp·pp {layout['dp']}·{layout['tp']}·{layout['pp']} z{layout['zero']}"
        elif row.get("memory"):
            line += ", no layout fits"
    params, tokens = spread["params"], spread["tokens"]
    return [line + ".", f"Across the laws: {human_count(params['min'])}–{human_count(params['max'])} parameters, "
            f"{human_count(tokens['min'])}–{human_count(tokens['max'])} tokens."]


def constant_columns(table: Table) -> Table:
    """The table without the columns whose shown value is the same in every row (two rows or more);
    each such value joins the title unless the title already shows it."""
    if len(table.rows) < 2:
        return table
    keep, moved = [], []
    for column in table.columns:
        shown = {KINDS[column.kind](row.get(column.key)) for row in table.rows}
        if len(shown) == 1 and column.kind != "text":
            value = shown.pop()
            if value not in table.title:
                moved.append(f"{column.header} {value}")
        else:
            keep.append(column)
    title = table.title + (f"; {', '.join(moved)} for every law" if moved else "")
    return Table(keep, table.rows, title, table.notes)


def lead(payload: dict, tables: list, explain: bool, default_law: str | None = None) -> list:
    """Add ``recommended`` and ``spread`` to the payload (scalingplan.planning.recommend) and return
    the tables to show: the headline first; notes only with ``explain`` (else one line saying so)."""
    from scalingplan.planning.recommend import recommend

    rows = payload.get("allocations") or []
    recommended, spread = recommend(rows, default_law)
    if recommended is None:
        return tables
    payload["recommended"], payload["spread"] = recommended, spread
    row = next((r for r in rows if r["law"] == recommended["law"]), None)
    lines = recommendation_text(recommended, spread, row)
    head = Table([], [], lines[0], [lines[1]] + ([f"Why {recommended['law']}: {recommended['reason']}."] if explain else []))
    shown = [constant_columns(table) for table in tables]
    if not explain:
        hidden = any(table.notes for table in shown)
        shown = [Table(t.columns, t.rows, t.title, []) for t in shown]
        if hidden:
            marks = any(str(row.get("law_label", "")).endswith("*") for row in shown[0].rows)
            shown[-1].notes = [("* outside the budgets the law was fitted on; " if marks else "") + "--explain for notes."]
    return [head, *shown]
