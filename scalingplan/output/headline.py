"""The headline of `allocate`: the recommended plan in one line, the spread across laws in another,
then the tables with their notes kept for --explain and their constant columns moved into the title."""

from __future__ import annotations

import re

from scalingplan.output.render import KINDS, Table, human_count


def recommendation_text(recommended: dict, spread: dict, row: dict | None = None) -> list:
    """Two lines: the recommended plan (on a cluster with days and layout), and the spread."""
    loss = "" if recommended["loss"] is None else f", loss {recommended['loss']:.3f}"
    line = (f"Recommended ({recommended['law']}): {human_count(recommended['params'])} parameters × "
            f"{human_count(recommended['tokens'])} tokens{loss}")
    if row is not None and row.get("days") is not None:
        line += f"; {row['days']:,.1f} days"
        if row.get("mfu") is not None:
            line += f" (MFU {row.get('utilisation_source', 'given')} {row['mfu']:.0%})"
        layout = ((row.get("memory") or {}).get("layout") or {})
        if layout:
            line += f", layout dp·tp·pp {layout['dp']}·{layout['tp']}·{layout['pp']} z{layout['zero']}"
        elif row.get("memory"):
            line += ", no layout fits"
    def span(values):
        low, high = human_count(values["min"]), human_count(values["max"])
        return low if low == high else f"{low}–{high}"

    lines = [line + ".", f"Across the laws: {span(spread['params'])} parameters, {span(spread['tokens'])} tokens."]
    if row is not None and row.get("accumulation_steps"):
        layout = row["memory"]["layout"]
        rounded = ("" if row["batch_rounded_from"] == row["batch_sequences"]
                   else f" (rounded from {row['batch_rounded_from']:,.0f})")
        lines.append(f"Batch: {row['batch_sequences']:,.0f} sequences{rounded} = {layout['dp']:,} data-parallel "
                     f"ranks × {row['accumulation_steps']} accumulation steps × micro-batch "
                     f"{layout.get('micro_batch', 1)}; {row['steps']:,.0f} steps.")
    return lines


def _shows(title: str, value: str) -> bool:
    """Whether ``title`` already shows ``value`` as a whole number or word (10 is not in H100)."""
    return re.search(rf"(?<![\w.,]){re.escape(value)}(?!\w)", title) is not None


def constant_columns(table: Table) -> Table:
    """The table without the columns (but the first, which names the rows) whose shown value is the
    same in every row (two rows or more); each such value joins the title unless the title already
    shows it. A table left with only its first column becomes a title line."""
    if len(table.rows) < 2:
        return table
    keep, moved = table.columns[:1], []
    for column in table.columns[1:]:
        shown = {KINDS[column.kind](column.cell(row)) for row in table.rows}
        if len(shown) == 1:
            value = shown.pop()
            if not _shows(table.title, value):
                moved.append(f"{column.header} {value}")
        else:
            keep.append(column)
    title = table.title + (f"; {', '.join(moved)} for every law" if moved else "")
    return Table(keep if len(keep) > 1 else [], table.rows if len(keep) > 1 else [], title, table.notes)


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
    head = Table([], [], lines[0], lines[1:] + ([f"Why {recommended['law']}: {recommended['reason']}."] if explain else []))
    shown = [constant_columns(table) for table in tables]
    if not explain:
        hidden = any(table.notes for table in shown)
        shown = [Table(t.columns, t.rows, t.title, []) for t in shown]
        if hidden:
            marks = any(str(row.get("law_label", "")).endswith("*") for row in shown[0].rows)
            shown[-1].notes = [("* outside the budgets the law was fitted on; " if marks else "") + "--explain for notes."]
    return [head, *shown]
