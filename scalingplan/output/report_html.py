"""One self-contained HTML page: a plan (`scalingplan report`) or a set of plan checks (`check --report`).

The page carries everything inline: CSS (light and dark, print, phone width), SVG figures from
matplotlib's SVG backend (text kept as text, ids made unique per figure, each with a title and a
description), the tables a terminal shows, and the command's JSON answer in a
``<script type="application/json">`` block. It needs no JavaScript and fetches nothing. Every string
that reaches the page is escaped: law names, notes and messages may come from user files.
"""

from __future__ import annotations

import io
import re
from html import escape

from scalingplan.output.inert import inert
from scalingplan.output.render import KINDS, Table, human_count, plain, sci

GB = 1e9
BAR_COLOURS = ("#4477aa", "#66ccee", "#228833", "#ccbb44", "#ee6677", "#aa3377", "#bbbbbb", "#332288",
               "#882255", "#44aa99", "#999933")
"""Paul Tol's bright and muted qualitative palettes: distinct for colour-blind readers too."""

CSS = """
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #ffffff; --muted: #57606a; --line: #d0d7de;
  --accent: #0b5cad; --card: #f6f8fa; --warn-bg: #fff4d6; --warn-line: #9a6700; --ok: #1a7f37; --bad: #cf222e; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --bg: #0d1117; --muted: #9da7b3; --line: #30363d; --accent: #58a6ff; --card: #161b22;
    --warn-bg: #3a2d0b; --warn-line: #d29922; --ok: #3fb950; --bad: #f85149; }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
  color: var(--fg); background: var(--bg); }
main { max-width: 72rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .5rem 0 1rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 .5rem; padding-bottom: .2rem; border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .4rem; }
p, li, dd, dt, caption, figcaption, td.text { overflow-wrap: anywhere; }
.answer { font-size: 1.15rem; background: var(--card); border-left: 4px solid var(--accent); padding: .6rem 1rem; }
.warnings { background: var(--warn-bg); border-left: 4px solid var(--warn-line); padding: .4rem 1rem; margin: 1rem 0; }
.warnings h2 { border: 0; margin: .3rem 0; font-size: 1.05rem; }
.warnings ul { margin: .2rem 0 .4rem; padding-left: 1.2rem; }
.table-wrap { overflow-x: auto; max-width: 100%; margin: .5rem 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding: .2rem 0 .4rem; }
th, td { padding: .3rem .65rem; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th { background: var(--card); }
th:first-child, td:first-child, td.text, th.text { text-align: left; }
td.wrap { white-space: normal; min-width: 16rem; }
.notes { color: var(--muted); font-size: .9rem; margin: .3rem 0 1rem; padding-left: 1.2rem; }
figure { margin: 1rem 0; }
figure svg { display: block; width: 100%; height: auto; max-width: 100%; background: #ffffff; border-radius: 6px; }
.wide { overflow-x: auto; }
.wide svg { min-width: 40rem; }
.bars svg { max-width: 52rem; }
figcaption { color: var(--muted); font-size: .9rem; margin-top: .3rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: .5rem 0; }
dt { font-weight: 600; }
dd { margin: 0; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--card); padding: .5rem .75rem; border-radius: 6px; }
.pass { color: var(--ok); font-weight: 600; }
.fail { color: var(--bad); font-weight: 600; }
footer { color: var(--muted); font-size: .85rem; margin-top: 2rem; }
@media (max-width: 640px) {
  main { padding: .75rem .75rem 2rem; }
  h1 { font-size: 1.3rem; }
  .answer { font-size: 1.05rem; }
  dl { grid-template-columns: 1fr; }
  dd { margin-bottom: .4rem; }
}
@media print {
  :root { --fg: #000; --bg: #fff; --muted: #333; --line: #999; --card: #f2f2f2; --warn-bg: #fff; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  .table-wrap, .wide { overflow: visible; }
  .wide svg { min-width: 0; }
  table { width: 100%; font-size: 8pt; }
  th, td { white-space: normal; padding: .15rem .3rem; }
  thead { display: table-header-group; }
  tr, figure, .answer, .warnings, dl { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"""


def command_line(argv: list) -> str:
    """The command as typed (``sys.argv``), quoted for a shell."""
    import shlex

    return shlex.join(["scalingplan", *map(str, argv[1:])])


def write_page(path, text: str, option: str = "--output") -> int:
    """Write a page as UTF-8; its size in bytes. InputError (naming ``option``) when it cannot be written."""
    from pathlib import Path

    from scalingplan.errors import InputError

    data = text.encode("utf-8")
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise InputError(f"{option}: cannot write {path} ({exc.strerror or exc})") from None
    return len(data)


def esc(value) -> str:
    """Text made inert for HTML, in element content and in quoted attributes: control and
    bidirectional characters written as visible escapes (``inert``), then HTML-escaped."""
    return escape(inert("" if value is None else value), quote=True)


def number_attr(value) -> str:
    """A number exactly as JSON writes it (Python's repr of the float), for data-value attributes."""
    return "" if value is None else esc(repr(float(value)))


def json_script(text: str, ident: str = "answer-json") -> str:
    """A JSON document inside the page as data: ``<``, ``>`` and ``&`` escaped as JSON \\u escapes
    so that no string in it can close the script element; JSON.parse reads it back unchanged."""
    safe = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    safe = safe.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return f'<script type="application/json" id="{ident}">{safe}</script>'


# --- tables ------------------------------------------------------------------------------------------
def cell_text(column, value) -> str:
    if value is None:
        return "-"
    return KINDS[column.kind](value)


def html_table(table: Table, ident: str, row_key: str = "law") -> str:
    """A table with header cells; each number cell carries its exact value (``data-value``) and its
    payload key (``data-key``); each row its ``row_key`` (``data-row``). Notes follow as a list."""
    head = "".join(f'<th scope="col" class="{"text" if c.kind == "text" else "num"}">{esc(c.header)}</th>'
                   for c in table.columns)
    body = []
    for row in table.rows:
        cells = []
        for index, c in enumerate(table.columns):
            value = c.cell(row)
            classes = "text" + (" wrap" if c.wrap else "") if c.kind == "text" else "num"
            data = "" if c.kind == "text" or value is None or isinstance(value, str) else \
                f' data-key="{esc(c.key)}" data-value="{number_attr(value)}"'
            tag = "th scope=\"row\"" if index == 0 else "td"
            cells.append(f'<{tag} class="{classes}"{data}>{esc(cell_text(c, value))}</{tag.split()[0]}>')
        body.append(f'<tr data-row="{esc(row.get(row_key, ""))}">{"".join(cells)}</tr>')
    caption = f"<caption>{esc(table.title)}</caption>" if table.title else ""
    notes = notes_list(table.notes)
    return (f'<div class="table-wrap"><table id="{esc(ident)}">{caption}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>{notes}')


def notes_list(notes) -> str:
    return f'<ul class="notes">{"".join(f"<li>{esc(n)}</li>" for n in notes)}</ul>' if notes else ""


def definitions(pairs) -> str:
    """A description list of (term, text) pairs, the text escaped."""
    return "<dl>" + "".join(f"<dt>{esc(term)}</dt><dd>{esc(text)}</dd>" for term, text in pairs) + "</dl>"


# --- figures -----------------------------------------------------------------------------------------
def svg_figure(fig, ident: str, title: str, description: str, caption: str = "", kind: str = "bars") -> str:
    """``fig`` as an inline SVG element inside a <figure>: text as text, no XML prolog or metadata,
    ids prefixed with ``ident`` (several figures share one document), sized by the page (viewBox),
    with <title> and <desc> for screen readers. ``kind`` "wide" scrolls sideways on a phone rather
    than shrink its text below legibility."""
    import matplotlib

    out = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "scalingplan"}):
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    svg = out.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{ident}-{m.group(1)}"', svg)
    svg = re.sub(r'(href|xlink:href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{ident}-{m.group(2)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{ident}-{m.group(1)})", svg)
    opening = re.match(r"<svg[^>]*>", svg).group(0)
    tag = re.sub(r'\s(width|height)="[^"]*"', "", opening)
    tag = tag[:-1] + f' role="img" aria-labelledby="{ident}-title {ident}-desc">'
    svg = (tag + f'<title id="{ident}-title">{esc(title)}</title><desc id="{ident}-desc">{esc(description)}</desc>'
           + svg[len(opening):])
    figcaption = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure id="{ident}" class="{kind}">{svg}{figcaption}</figure>'


def stacked_bars(rows: list, parts: list, unit: str, xlabel: str, limit=None, limit_label: str = ""):
    """Horizontal stacked bars, one per (label, {part: value}) in ``rows``, parts in ``parts`` order;
    an optional dashed line at ``limit``."""
    from scalingplan.output.plotting import inert, new_figure

    fig = new_figure(8.0, 0.42 * len(rows) + 1.7)
    ax = fig.subplots()
    labels = [inert(label) for label, _ in rows]
    positions = list(range(len(rows)))[::-1]
    left = [0.0] * len(rows)
    for index, part in enumerate(parts):
        widths = [values.get(part, 0.0) or 0.0 for _, values in rows]
        ax.barh(positions, widths, left=left, color=BAR_COLOURS[index % len(BAR_COLOURS)], label=part, height=0.65)
        left = [a + b for a, b in zip(left, widths)]
    if limit is not None:
        ax.axvline(limit, color="black", ls="--", lw=1.2, label=inert(limit_label))
    ax.set_yticks(positions, labels)
    ax.set_xlabel(f"{xlabel} ({unit})")
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    handles, names = ax.get_legend_handles_labels()
    fig.legend(handles, names, loc="outside lower center", ncols=min(len(names), 4), fontsize=9, frameon=False)
    return fig


def bars_description(rows: list, parts: list, unit: str, digits: str = ".3g") -> str:
    return "; ".join(f"{label}: " + ", ".join(f"{part} {values.get(part) or 0:{digits}} {unit}" for part in parts)
                     for label, values in rows)


# --- a plan ------------------------------------------------------------------------------------------
def number_span(key: str, value, text: str) -> str:
    return f'<span data-key="{esc(key)}" data-value="{number_attr(value)}">{esc(text)}</span>'


def answer_section(payload: dict) -> str:
    rows = payload["allocations"]
    chosen, spread = payload["recommended"], payload["spread"]
    row = next((r for r in rows if r["law"] == chosen["law"]), {})
    flops = row.get("flops")
    parts = [f'Train a {number_span("params", chosen["params"], human_count(chosen["params"]))}-parameter model '
             f'on {number_span("tokens", chosen["tokens"], human_count(chosen["tokens"]))} tokens']
    if flops is not None:
        parts.append(f' ({number_span("flops", flops, sci(flops))} FLOPs, '
                     f'{esc(plain(chosen["tokens"] / chosen["params"]))} tokens per parameter'
                     + (f', predicted loss {number_span("loss", chosen["loss"], KINDS["loss"](chosen["loss"]))}'
                        if chosen.get("loss") is not None else "") + ")")
    parts.append(f': the plan of <strong>{esc(chosen["law"])}</strong>, {esc(chosen.get("reason", ""))}.')
    if row.get("days") is not None:
        parts.append(f' It takes {number_span("days", row["days"], plain(row["days"]))} days on the cluster.')
    sentence = "".join(parts)
    p, t = spread["params"], spread["tokens"]
    laws = len(rows)
    spread_text = (f"Across the {laws} law{'s' if laws != 1 else ''}: "
                   f"{number_span('params_min', p['min'], human_count(p['min']))} to "
                   f"{number_span('params_max', p['max'], human_count(p['max']))} parameters, "
                   f"{number_span('tokens_min', t['min'], human_count(t['min']))} to "
                   f"{number_span('tokens_max', t['max'], human_count(t['max']))} tokens.")
    return (f'<section id="answer" aria-labelledby="answer-h"><h2 id="answer-h">The answer</h2>'
            f'<p class="answer" data-law="{esc(chosen["law"])}">{sentence}</p><p id="spread">{spread_text}</p></section>')


def warnings_section(warnings: list) -> str:
    if not warnings:
        return ""
    return (f'<aside class="warnings" id="warnings" role="note" aria-labelledby="warnings-h">'
            f'<h2 id="warnings-h">Warnings</h2><ul>{"".join(f"<li>{esc(w)}</li>" for w in warnings)}</ul></aside>')


def plan_warnings(payload: dict, left_out: list = ()) -> list:
    """What a reader must not miss, one line per kind, from the payload: the laws answering outside
    the budgets they were fitted on, the plans that repeat their data, the plans that fit no layout
    of the cluster, and the laws asked that give no answer to this question."""
    rows = payload["allocations"]
    found = []
    far = [f"{r['law']} {r['extrapolation_decades']:.1f}" for r in rows if (r.get("extrapolation_decades") or 0) > 0]
    if far:
        found.append("Outside the budgets each law was fitted on, by (decades): " + ", ".join(far)
                     + "; these plans are extrapolations, the more so the further out.")
    repeated = [f"{r['law']} {plain(r['epochs'])}" for r in rows if (r.get("epochs") or 0) > 1]
    if repeated:
        found.append("Repeated data, epochs of the unique tokens: " + ", ".join(repeated) + ". Muennighoff et al. "
                     "2023 (arXiv:2305.16264) find up to about 4 epochs change loss negligibly; only laws that "
                     "model repetition (muennighoff2023) discount them.")
    unfit = [r["law"] for r in rows if r.get("memory") and not r["memory"].get("fits", True)]
    if unfit:
        found.append("No parallel layout of this cluster fits the model in memory: " + ", ".join(unfit) + ".")
    if left_out:
        found.append("Asked for but left out, as they give no answer to this question: " + ", ".join(left_out) + ".")
    return found


def recipe_facts(payload: dict) -> str:
    """The recommended plan's recipe as a description list: shape, batch (as the headline composes it
    on a cluster), peak learning rate and steps."""
    from scalingplan.output.headline import recommendation_text

    chosen = payload["recommended"]
    row = next((r for r in payload["allocations"] if r["law"] == chosen["law"]), None)
    if row is None or row.get("batch_tokens") is None:
        return ""
    recipe = payload.get("recipe") or {}
    batch = next((line[len("Batch: "):] for line in recommendation_text(chosen, payload["spread"], row)
                  if line.startswith("Batch: ")), None)
    shape = row.get("shape") or {}
    facts = []
    if shape:
        facts.append(("Shape", f"{shape['layers']} layers × d_model {shape['d_model']}, {shape['heads']} heads, "
                               f"sequences of {shape['seq_len']:,} tokens" + (" (assumed from the parameters)"
                                                                            if shape.get("assumed") else "")))
    facts += [("Batch", batch or f"{row['batch_sequences']:,.0f} sequences, {human_count(row['batch_tokens'])} tokens"),
              ("Peak learning rate", f"{plain(row['learning_rate'])} ({recipe.get('hparams_source', row.get('hparams_rule', ''))})"),
              ("Steps", f"{row['steps']:,.0f}")]
    return f"<h3>The recommended plan ({esc(chosen['law'])})</h3>" + definitions(facts)


def frontier_section(table_html: str, figure_html: str) -> str:
    return (f'<section id="laws" aria-labelledby="laws-h"><h2 id="laws-h">The laws side by side</h2>'
            f"{table_html}{figure_html}</section>")


def cluster_rows(payload: dict) -> list:
    return [r for r in payload["allocations"] if r.get("days") is not None]


def memory_per_gpu(row: dict) -> dict | None:
    """Bytes per GPU by part: the throughput model's when the row has it, else the memory layout's."""
    memory = (row.get("throughput") or {}).get("memory") or {}
    if memory.get("per_gpu"):
        return memory["per_gpu"]
    layout = (row.get("memory") or {}).get("layout") or {}
    return layout.get("per_gpu")


def layout_of(row: dict) -> dict | None:
    return (row.get("throughput") or {}).get("layout") or (row.get("memory") or {}).get("layout")


STEP_PARTS = {"compute": "compute", "memory_bound": "memory-bound work", "tp_comm": "tensor-parallel comm.",
              "pp_comm": "pipeline comm.", "dp_comm": "data-parallel comm.", "zero_comm": "ZeRO comm.",
              "cp_comm": "context-parallel comm.", "ep_comm": "expert-parallel comm.", "bubble": "pipeline bubble",
              "optimizer": "optimizer step"}
"""Names for the parts of the throughput model's step-time breakdown (docs/throughput.md)."""


def step_parts(row: dict, cluster: dict) -> dict:
    """Seconds per step by where they go: the throughput model's breakdown when the row has it;
    otherwise the row's average step (days ÷ steps) split into its model FLOPs at peak, the extra
    recomputation FLOPs at peak, and the rest, the time lost below peak utilisation."""
    breakdown = (row.get("throughput") or {}).get("breakdown")
    if breakdown:
        return {STEP_PARTS.get(key, key.replace("_", " ")): value for key, value in breakdown.items() if value}
    step = row["days"] * 86400.0 / row["steps"]
    rate = cluster["count"] * cluster["peak_flops"]
    model = row["flops"] / row["steps"] / rate
    recompute = (row.get("hardware_flops", row["flops"]) - row["flops"]) / row["steps"] / rate
    parts = {"model FLOPs at peak": model}
    if recompute > 0:
        parts["recomputation at peak"] = recompute
    parts["below peak utilisation"] = max(step - model - recompute, 0.0)
    return parts


def utilisation_why(payload: dict, row: dict, default_source: str) -> str:
    cluster = payload["recipe"]["cluster"]
    source = row.get("utilisation_source") or ("default" if "utilisation" in cluster.get("defaults", ()) else "given")
    text = cluster.get("utilisation_text", "")
    if source == "predicted":
        used = [r["mfu"] for r in payload["allocations"] if r.get("mfu") is not None]
        spread = f" ({min(used):.0%} to {max(used):.0%} across the laws)" if len(used) > 1 else ""
        return f"{text}{spread}: predicted from each layout's step time by the throughput model, as none was given."
    if source == "given":
        return f"{text}: given on the command line (--mfu)."
    return f"{text}: the catalogue default, as no utilisation was given. Source: {default_source}"


def cluster_section(payload: dict, table_html: str, default_mfu_source: str) -> str:
    cluster = (payload.get("recipe") or {}).get("cluster")
    if not cluster:
        return ('<section id="cluster" aria-labelledby="cluster-h"><h2 id="cluster-h">The cluster</h2>'
                "<p>No cluster was given: add --gpu and --count for the layout, memory, days, cost and energy.</p>"
                "</section>")
    rows = cluster_rows(payload)
    figures = []
    memory = [(r["law"], {k: v / GB for k, v in memory_per_gpu(r).items() if k != "total"})
              for r in rows if memory_per_gpu(r)]
    if memory:
        parts = list(dict.fromkeys(k for _, values in memory for k in values))
        capacity = cluster["memory_bytes"] / GB
        figures.append(svg_figure(
            stacked_bars(memory, parts, "GB", "Memory per GPU", capacity, f"{cluster['gpu']}: {capacity:g} GB"),
            "memory-figure", f"Memory per GPU on {cluster['count']:,} × {cluster['gpu']}",
            f"Stacked bars of memory per GPU by part for each law's best layout, against {capacity:g} GB: "
            + bars_description(memory, parts, "GB"),
            "Memory per GPU of each law's best layout that fits, by part; the dashed line is the GPU's memory."))
    steps = [(r["law"], step_parts(r, cluster)) for r in rows if r.get("steps")]
    if steps:
        parts = list(dict.fromkeys(k for _, values in steps for k in values))
        figures.append(svg_figure(
            stacked_bars(steps, parts, "s", "Time per optimiser step"), "step-figure",
            "Where the step time goes",
            "Stacked bars of seconds per optimiser step by part for each law: " + bars_description(steps, parts, "s"),
            "Seconds per optimiser step of each law's layout, by where they go (the throughput model, "
            "docs/throughput.md)." if any((r.get("throughput") or {}).get("breakdown") for r in rows) else
            "Seconds per optimiser step: the model's FLOPs at the GPUs' peak, and the time the utilisation "
            "used loses below peak."))
    chosen = payload["recommended"]["law"]
    first = next((r for r in rows if r["law"] == chosen), rows[0] if rows else {})
    layout = layout_of(first) or {}
    facts = [("Accelerators", f"{cluster['count']:,} × {cluster['gpu']} ({plain(cluster['memory_bytes'] / GB)} GB, "
                              f"{plain(cluster['peak_flops'] / 1e12)} TFLOP/s peak)"),
             ("Utilisation", utilisation_why(payload, first, default_mfu_source)),
             ("Recomputation", cluster.get("recompute", "")),
             ("Energy and CO2", f"PUE {cluster['pue']:g}, grid {cluster['grid_intensity_kg_per_kwh']:g} kg CO2e/kWh")]
    if layout and first:
        facts.insert(1, (f"Layout ({first['law']})", ", ".join(
            f"{k} {v}" for k, v in layout.items() if not isinstance(v, (dict, list)) and k not in ("memory_fraction", "throughput"))))
    return (f'<section id="cluster" aria-labelledby="cluster-h"><h2 id="cluster-h">The cluster</h2>'
            f"{definitions(facts)}{table_html}{''.join(figures)}</section>")


def sources_section(sources: list, command: str, version: str) -> str:
    """Each source as (name, citation), then the command line and version that made the page."""
    items = "".join(f"<li><strong>{esc(name)}</strong>: {esc(text)}</li>" for name, text in sources)
    heading = "Sources" if sources else "Made by"
    return (f'<section id="sources" aria-labelledby="sources-h"><h2 id="sources-h">{heading}</h2>'
            + (f"<ul>{items}</ul><h3>Made by</h3>" if sources else "")
            + f"<pre><code>{esc(command)}</code></pre><p>scalingplan {esc(version)}</p></section>")


def page(title: str, body: str, json_text: str) -> str:
    """The HTML document: head with inline CSS, the body, the JSON answer as data."""
    return ("<!DOCTYPE html>\n"
            f'<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="color-scheme" content="light dark">'
            f"<title>{esc(title)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main>{json_script(json_text)}</body></html>\n")


def plan_page(payload: dict, tables: dict, frontier, *, left_out: list, sources: list, command: str,
              version: str, json_text: str, default_mfu_source: str = "") -> str:
    """The report of one plan. ``tables``: the command's Tables by section ("laws", "recipe", "cluster",
    "shapes"; all but "laws" optional); ``frontier``: the frontier Figure; ``left_out``: laws asked
    that gave no row; ``json_text``: the command's --json answer, embedded verbatim."""
    rows = payload["allocations"]
    laws_html = html_table(tables["laws"], "allocations")
    budget = payload.get("budget") or {}
    law_names = ", ".join(r["law"] for r in rows)
    figure = svg_figure(
        frontier, "frontier-figure", "Compute-optimal frontier of the laws",
        f"Log-log plots of compute-optimal parameters and tokens against training FLOPs for {law_names}"
        + (f", with the budget of {sci(budget['flops'])} FLOPs marked" if budget.get("flops") else "")
        + "; stars mark trained models of the catalogue at their 6ND compute.",
        "Compute-optimal parameters (left) and tokens (right) against training FLOPs; the dashed line is "
        "this budget, the dots each law's plan on it; stars are trained models at 6ND.", kind="wide")
    recipe = ""
    if tables.get("recipe") is not None:
        recipe = (f'<section id="recipe" aria-labelledby="recipe-h"><h2 id="recipe-h">The training recipe</h2>'
                  f'{recipe_facts(payload)}{html_table(tables["recipe"], "recipe-table")}'
                  + (html_table(tables["shapes"], "shapes-table") if tables.get("shapes") is not None else "")
                  + "</section>")
    cluster_html = html_table(tables["cluster"], "cluster-table") if tables.get("cluster") is not None else ""
    cluster = (payload.get("recipe") or {}).get("cluster")
    title = (f"Training plan for {sci(budget['flops'])} FLOPs" if budget.get("flops") else tables["laws"].title
             or "Training plan") + (f" on {cluster['count']:,} × {cluster['gpu']}" if cluster else "")
    body = (f"<header><h1>{esc(title)}</h1></header>"
            + answer_section(payload)
            + warnings_section(plan_warnings(payload, left_out))
            + frontier_section(laws_html, figure)
            + recipe
            + cluster_section(payload, cluster_html, default_mfu_source)
            + sources_section(sources, command, version)
            + f"<footer>Made by scalingplan {esc(version)}. The full answer is embedded in this page as JSON "
              f"(the script element with id answer-json).</footer>")
    return page(f"scalingplan: {title}", body, json_text)


# --- plan checks -------------------------------------------------------------------------------------
def checks_page(payload: dict, tables: list, *, command: str, version: str, json_text: str) -> str:
    """One page for `check --report`: each plan's verdict and its checks with their reasons."""
    sections = []
    for index, (result, table) in enumerate(zip(payload["plans"], tables)):
        verdict = "passed" if result["passed"] else "FAILED"
        failed = [c for c in result["checks"] if c["status"] == "fail"]
        reasons = ("<ul>" + "".join(f"<li>{esc(c['message'])}</li>" for c in failed) + "</ul>" if failed
                   else "<p>Every check passed.</p>")
        sections.append(
            f'<section id="plan-{index}" data-file="{esc(result["file"])}" aria-labelledby="plan-{index}-h">'
            f'<h2 id="plan-{index}-h">{esc(result["plan"]["name"])}: '
            f'<span class="{"pass" if result["passed"] else "fail"}">{verdict}</span></h2>'
            f"<p>{esc(table.title)}</p>"
            + (f"<h3>Why it failed</h3>{reasons}" if failed else reasons)
            + html_table(Table(table.columns, table.rows, "Checks", table.notes), f"checks-{index}", row_key="name")
            + "</section>")
    count = len(payload["plans"])
    passed = sum(r["passed"] for r in payload["plans"])
    title = f"Plan checks: {passed} of {count} passed"
    summary = (f'<p class="answer" id="verdict">{"All plans pass." if payload["passed"] else "At least one plan fails."} '
               f"{passed} of {count} plan{'s' if count != 1 else ''} passed.</p>")
    body = (f"<header><h1>{esc(title)}</h1></header>{summary}{''.join(sections)}"
            + sources_section([], command, version))
    return page(f"scalingplan: {title}", body, json_text)
