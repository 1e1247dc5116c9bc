"""`scalingplan laws`: the law registry, and one law's formula, constants, citation and notes."""

from typing import Annotated

import typer

from scalingplan.errors import InputError
from scalingplan.laws.base import tokens_for
from scalingplan.catalogues.registry import expand, law_document, load_law
from scalingplan.output.render import Column, Table, citation_text, human_count, sci
from scalingplan.cli.common import emit
from scalingplan.cli.options import OUTPUT, choose_format, with_options

app = typer.Typer(help="List the law registry, or show one law: formula, constants, citation, notes.\n\n"
                       "Example: scalingplan laws   (then: scalingplan laws show chinchilla-3)",
                  invoke_without_command=True, no_args_is_help=False)

CONSTANT_COLUMNS = [Column("Constant", "name", "text"), Column("Value", "value", "exact"),
                    Column("Unit", "unit", "text"), Column("Meaning", "meaning", "text", wrap=True)]
PUBLISHED_COLUMNS = [
    Column("Params", "label", "text"),
    Column("Paper FLOPs", "flops", "flops"), Column("Law FLOPs", "law_flops", "flops"),
    Column("FLOPs ratio", "flops_ratio", "ratio"),
    Column("Paper tokens", "tokens", "count"), Column("Law tokens", "law_tokens", "count"),
    Column("Tokens ratio", "tokens_ratio", "ratio"),
]


def published_comparison(law, published: dict) -> list:
    """The paper's own projections beside what this law gives for the same parameter count.

    A row the file corrects (``corrections``: row index, column, corrected value, why) is shown as
    printed and again corrected.
    """
    from scalingplan.numbers import parse_number

    corrections = {int(c["row"]): c for c in published.get("corrections") or []}
    rows = []
    for index, (params, flops, tokens) in enumerate(published.get("rows", [])):
        versions = [("", parse_number(flops), parse_number(tokens))]
        fix = corrections.get(index)
        if fix:
            value = parse_number(fix["corrected"], "corrected")
            versions = [("*", *versions[0][1:]),
                        ("", *((value, versions[0][2]) if fix["column"] == "flops"
                               else (versions[0][1], value)))]
        params = parse_number(params)
        law_flops = law.params_budget(params)
        law_tokens = tokens_for(law_flops, params)
        for label, flops, tokens in versions:
            rows.append({"label": human_count(params) + label, "params": params, "flops": flops,
                         "tokens": tokens, "law_flops": law_flops, "law_tokens": law_tokens,
                         "flops_ratio": law_flops / flops, "tokens_ratio": law_tokens / tokens,
                         **({"as_printed": label == "*", "why": fix.get("why")} if fix else {})})
    return rows


def validity_lines(law) -> list:
    """The law's parameter convention and the budgets and sizes its fit was made on."""
    from scalingplan.laws.base import PARAMS_KINDS

    lines = [f"Parameters: {PARAMS_KINDS.get(law.params_kind, law.params_kind)} (params_kind: {law.params_kind})"]
    ranges = [f"{what} {'?' if lo is None else sci(lo)} to {'?' if hi is None else sci(hi)}"
              for what, key in (("budgets (FLOPs)", "flops"), ("parameters", "params"))
              if key in law.validity for lo, hi in [law.validity[key]]]
    if ranges:
        lines.append("Fitted on " + "; ".join(ranges) + f". Source: {law.validity.get('source', '')}")
    return lines


def constant_rows(data: dict, law) -> list:
    rows = []
    for name, value in law.constants.items():
        entry = data["constants"].get(name)
        entry = entry if isinstance(entry, dict) else {}
        rows.append({"name": name, "value": value, "unit": entry.get("unit", ""),
                     "meaning": entry.get("meaning", "")})
    return rows


@app.callback()
@with_options(OUTPUT)
def list_laws(ctx: typer.Context, fmt: str = "table"):
    """List the law registry (main laws are used when no --law is given).

    Example: scalingplan laws   (then: scalingplan laws show chinchilla-3)
    """
    if ctx.invoked_subcommand:
        return
    from scalingplan.catalogues.registry import available, main_laws

    main = set(main_laws())
    rows = []
    for name in available():
        data = law_document(name).data
        rows.append({"name": name, "form": data["form"], "aliases": ", ".join(data.get("aliases") or []),
                     "family": data.get("family"), "main": name in main, "summary": data.get("summary", ""),
                     "citation": citation_text(data.get("citation"))})
    columns = [Column("Law", "name", "text"), Column("Form", "form", "text"),
               Column("Aliases", "aliases", "text", wrap=True),
               Column("Summary", "summary", "text", wrap=True)]
    notes = ["Family 'chinchilla' = chinchilla-1, chinchilla-2, chinchilla-3. "
             "Any law argument may also be a path to a law file."]
    emit(fmt, {"laws": rows}, [Table(columns, rows, "Law registry", notes)])


@app.command("show")
@with_options(OUTPUT)
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Law name, alias or path to a law file.")],
    fmt: str = "table",
):
    """Show one law: formula, constants, citation, notes and the paper's own projections.

    Example: scalingplan laws show chinchilla-3
    """
    given = ctx.parent.params if ctx.parent is not None else {}
    if ctx.params.get("fmt") is None and not ctx.params.get("json_") and (given.get("fmt") or given.get("json_")):
        fmt = choose_format(given.get("fmt"), given.get("json_", False))  # `laws --json show NAME`
    names = expand([name])
    if len(names) != 1:
        raise InputError(f"'{name}' is a family of {len(names)} laws ({', '.join(names)}); show one of them")
    data = law_document(names[0]).data
    law = load_law(names[0])
    formula = law.formula_lines()
    constants = constant_rows(data, law)
    notes = [str(n) for n in (data.get("notes") or [])]
    published = data.get("published") or {}
    comparison = published_comparison(law, published) if published else []
    tables = [
        Table(CONSTANT_COLUMNS, constants, f"{law.name} ({law.form}): {data.get('summary', '')}",
              formula + validity_lines(law) + [f"Citation: {citation_text(data.get('citation'))}"]),
    ]
    if comparison:
        fixes = [f"{r['label']}: as printed; the row below corrects it ({r['why']})."
                 for r in comparison if r.get("as_printed")]
        tables.append(Table(PUBLISHED_COLUMNS, comparison,
                            f"Published projections beside this law: {published.get('source', '')}", fixes))
    tables.append(Table([Column("Notes", "note", "text", wrap=True)], [{"note": n} for n in notes], ""))
    payload = {"name": law.name, "form": law.form, "formula": formula,
               "constants": constants, "citation": data.get("citation"), "notes": notes,
               "published_comparison": comparison, "source": str(law.meta.get("source")),
               "params_kind": law.params_kind,
               "validity": {k: list(v) if isinstance(v, tuple) else v for k, v in law.validity.items()}}
    if law.derived():
        payload["derived"] = law.derived()
    emit(fmt, payload, tables)
