"""`scalingplan report`: a plan as one self-contained HTML page, made from the answer of `allocate`."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from scalingplan.cli.allocation import allocation, with_allocate_options
from scalingplan.cli.options import chosen_laws

HtmlOutput = Annotated[Path, typer.Option("--output", "-o", help="HTML file to write, e.g. plan.html.",
                                          show_default=False)]
MODELS_SHOWN = 6
"""Trained models of the catalogue on the frontier: those nearest the budget in compute."""


def check_output(output: Path) -> None:
    """Refuse a file that cannot be written, and a missing matplotlib, before any work."""
    from scalingplan.catalogues.yamlfile import check_writable
    from scalingplan.output.plotting import require_matplotlib

    check_writable(output)
    require_matplotlib()


def pick(tables: list, key: str):
    """The first of allocate's tables with a column for ``key`` (a text column, which every table of
    that kind shows)."""
    return next((t for t in tables if any(c.key == key for c in t.columns)), None)


def nearest_models(flops: float) -> list:
    """Catalogue models with published tokens, the MODELS_SHOWN nearest ``flops`` in log compute."""
    import math

    from scalingplan.catalogues.models import load_models
    from scalingplan.output.plotting import model_flops

    models = [m for m in load_models().values() if m.get("tokens")]
    models.sort(key=lambda m: abs(math.log10(model_flops(m) / flops)))
    return models[:MODELS_SHOWN]


def frontier(payload: dict, options: dict):
    """(Figure, laws drawn, names of the laws asked that gave no row): the laws' frontier with this
    budget (or, for --params and --loss, each law's plan) marked."""
    import math

    from scalingplan.output.plotting import frontier_figure
    from scalingplan.planning import allocation as planning

    laws = planning.resolve(chosen_laws(options.get("law")))
    if options.get("settings"):
        laws = planning.configure(laws, **options["settings"])
    rows = payload["allocations"]
    names = {row["law"] for row in rows}
    shown = [law for law in laws if law.name in names] or laws
    budget = (payload.get("budget") or {}).get("flops")
    centre = budget or sorted(row["flops"] for row in rows)[len(rows) // 2]
    span = (10.0 ** math.floor(min(17.0, math.log10(centre) - 3)), 10.0 ** math.ceil(max(26.0, math.log10(centre) + 2)))
    fig = frontier_figure(shown, nearest_models(centre), budget, span, size=(10.0, 4.8))
    if budget is None:
        for ax, key in zip(fig.axes, ("params", "tokens")):
            ax.plot([row["flops"] for row in rows], [row[key] for row in rows], "o", color="0.2", ms=5, zorder=3)
    return fig, shown, [law.name for law in laws if law.name not in names]


def sources(payload: dict, laws: list, hardware: dict) -> list:
    """(name, citation) for every law shown and every hardware figure used."""
    from scalingplan.compute.hardware import find_accelerator, load_catalogue

    from scalingplan.output.render import citation_text

    found = [(law.name, citation_text(law.meta.get("citation")) or "no citation in its law file") for law in laws]
    cluster = (payload.get("recipe") or {}).get("cluster")
    gpu = (cluster or {}).get("gpu") or hardware.get("gpu")
    if gpu:
        entry = find_accelerator(gpu)
        found += [(f"{entry['name']} peak", entry["source"]), (f"{entry['name']} memory and power", entry["memory_source"])]
        if entry.get("wires_source"):
            found.append((f"{entry['name']} memory bandwidth and links", entry["wires_source"]))
    catalogue = load_catalogue()
    used = set((cluster or {}).get("defaults", ()))
    predicted = any(row.get("utilisation_source") == "predicted" for row in payload["allocations"])
    defaulted = any(row.get("utilisation_source") == "default" for row in payload["allocations"])
    if predicted and not defaulted:
        used.discard("utilisation")
    if "hardware" in (payload.get("budget") or {}) and hardware.get("mfu") is None:
        used.add("utilisation")
    for key, name, label in (("utilisation", "default_mfu", "MFU"), ("pue", "default_pue", "PUE"),
                             ("grid_intensity", "default_grid_intensity", "grid intensity")):
        if key in used:
            found.append((f"default {label} {catalogue[name]:g}", catalogue[f"{name}_source"]))
    if payload.get("recipe"):
        found.append(("batch and learning rate", payload["recipe"]["hparams_source"]))
    return found


@with_allocate_options(without=("explain",))
def report(output: HtmlOutput, **options):
    """A plan as one self-contained HTML page: the answer first, the laws side by side with the
    frontier, the recipe, the cluster (memory and step time), warnings, sources and the JSON answer.

    Takes what allocate takes. Needs matplotlib: pip install 'scalingplan[plot]'.
    Example: scalingplan report --flops 5.8e23 --gpu h100 --count 512 -o plan.html
    """
    from scalingplan import __version__
    from scalingplan.cli.common import versioned
    from scalingplan.compute.hardware import load_catalogue
    from scalingplan.output.render import render
    from scalingplan.output.report_html import command_line, plan_page, write_page

    check_output(output)
    payload, _, tables = allocation(**options)  # every table whole, with its notes
    json_text = render("json", versioned(payload), tables)
    fig, laws, left_out = frontier(payload, options)
    sections = {"laws": tables[0], "recipe": pick(tables, "shape_text"),
                "cluster": pick(tables, "layout_text"), "shapes": pick(tables, "pipeline")}
    text = plan_page(payload, sections, fig, left_out=left_out, sources=sources(payload, laws, options["hardware"]),
                     command=command_line(sys.argv), version=__version__, json_text=json_text,
                     default_mfu_source=load_catalogue()["default_mfu_source"])
    size = write_page(output, text)
    sys.stdout.write(f"wrote {output} ({size / 1024:,.0f} KB)\n")
