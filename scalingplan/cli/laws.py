"""`scalingplan laws`: the law registry, and one law's formula, constants, citation and notes."""

from typing import Annotated

import typer

from scalingplan.errors import InputError
from scalingplan.numbers import parse_number
from scalingplan.catalogues.registry import expand, law_document, load_law
from scalingplan.output.render import Column, Table
from scalingplan.cli.common import Format, Json, emit, handles_errors, output_format

app = typer.Typer(help="List the law registry, or show one law: formula, constants, citation, notes.\n\n"
                       "Example: scalingplan laws   (then: scalingplan laws show chinchilla-3)",
                  invoke_without_command=True, no_args_is_help=False)

FORMULAS = {
    "parametric": lambda law: [
        "L(N, D) = E + A/N^alpha + B/D^beta   (nats/token)",
        f"N_opt = G·(C/6)^a, D_opt = (C/6)/N_opt with G = (alpha·A/(beta·B))^(1/(alpha+beta)) = {law.G:.5g}, "
        f"a = beta/(alpha+beta) = {law.a:.4f}, b = {law.b:.4f}",
    ],
    "power-law": lambda law: [
        (f"N_opt = G·C^a = {law.G:g}·C^{law.a:g}, D = C/(6·N_opt)" if law.quantity == "params"
         else f"D_opt = G·C^a = {law.G:g}·C^{law.a:g}, N = C/(6·D_opt)") + "   (C in FLOPs; predicts no loss)",
    ],
    "data-constrained": lambda law: [
        "L(N, D, U) = E + A/N'^alpha + B/D'^beta; D' = U_D + U_D·R_D_star·(1 − e^(−R_D/R_D_star)), "
        "R_D = D/U_D − 1, U_D = min(U, D); N' likewise with U_N = min(N, G·(G·U_D)^(beta/alpha))",
        f"Without --unique-tokens: E + A/N^alpha + B/D^beta, N_opt = G·(C/6)^a, G = {law.G:.5g}, a = {law.a:.4f}",
    ],
    "kaplan": lambda law: [
        "Frontier (Table 6): N_opt = N_opt_coef·C_min^N_opt_exp, C_min = C / 8.64e19 (PF-days); D = C/(6N)",
        "L(N, D) = [(N_c_ND/N)^(alpha_N_ND/alpha_D_ND) + D_c_ND/D]^alpha_D_ND   (eq. 1.5, used for loss)",
        "L(N) = (N_c/N)^alpha_N, L(D) = (D_c/D)^alpha_D, L(C_min) = (C_c_min/C_min)^alpha_C_min",
        "L(N, S) = (N_c_NS/N)^alpha_N_NS + (S_c/S)^alpha_S, B_crit(L) = B_star/L^(1/alpha_B)",
    ],
}

CONSTANT_COLUMNS = [Column("Constant", "name", "text"), Column("Value", "value", "exact"),
                    Column("Unit", "unit", "text"), Column("Meaning", "meaning", "text")]
PUBLISHED_COLUMNS = [
    Column("Params", "params", "count"),
    Column("Paper FLOPs", "flops", "flops"), Column("Law FLOPs", "law_flops", "flops"),
    Column("FLOPs ratio", "flops_ratio", "ratio"),
    Column("Paper tokens", "tokens", "count"), Column("Law tokens", "law_tokens", "count"),
    Column("Tokens ratio", "tokens_ratio", "ratio"),
]


def published_comparison(law, published: dict) -> list:
    """The paper's own projections beside what this law gives for the same parameter count."""
    rows = []
    for params, flops, tokens in published.get("rows", []):
        params, flops, tokens = (parse_number(value) for value in (params, flops, tokens))
        law_flops = law.params_budget(params)
        law_tokens = law_flops / (6 * params)
        rows.append({"params": params, "flops": flops, "tokens": tokens, "law_flops": law_flops,
                     "law_tokens": law_tokens, "flops_ratio": law_flops / flops,
                     "tokens_ratio": law_tokens / tokens})
    return rows


def constant_rows(data: dict, law) -> list:
    rows = []
    for name, value in law.constants.items():
        entry = data["constants"].get(name)
        entry = entry if isinstance(entry, dict) else {}
        rows.append({"name": name, "value": value, "unit": entry.get("unit", ""),
                     "meaning": entry.get("meaning", "")})
    return rows


def citation_text(citation) -> str:
    if not isinstance(citation, dict):
        return str(citation or "")
    parts = [citation.get("authors"), citation.get("year"), citation.get("title")]
    text = ", ".join(str(p) for p in parts if p)
    if citation.get("arxiv"):
        text += f", arXiv:{citation['arxiv']}"
    if citation.get("table"):
        text += f"; {citation['table']}"
    if citation.get("variant"):
        text += f" ({citation['variant']})"
    return text


@app.callback()
@handles_errors
def list_laws(ctx: typer.Context, fmt: Format = "table", json_: Json = False):
    """List the law registry (main laws are used when no --law is given).

    Example: scalingplan laws   (then: scalingplan laws show chinchilla-3)
    """
    if ctx.invoked_subcommand:
        return
    fmt = output_format(fmt, json_)
    from scalingplan.catalogues.registry import available, main_laws

    main = set(main_laws())
    rows = []
    for name in available():
        data = law_document(name).data
        rows.append({"name": name, "form": data["form"], "aliases": ", ".join(data.get("aliases") or []),
                     "family": data.get("family"), "main": name in main, "summary": data.get("summary", ""),
                     "citation": citation_text(data.get("citation"))})
    columns = [Column("Law", "name", "text"), Column("Form", "form", "text"),
               Column("Aliases", "aliases", "text"), Column("Summary", "summary", "text")]
    notes = ["Family 'chinchilla' = chinchilla-1, chinchilla-2, chinchilla-3. "
             "Any law argument may also be a path to a law file."]
    emit(fmt, {"schema_version": 1, "laws": rows}, [Table(columns, rows, "Law registry", notes)])


@app.command("show")
@handles_errors
def show(
    name: Annotated[str, typer.Argument(help="Law name, alias or path to a law file.")],
    fmt: Format = "table",
    json_: Json = False,
):
    """Show one law: formula, constants, citation, notes and the paper's own projections.

    Example: scalingplan laws show chinchilla-3
    """
    fmt = output_format(fmt, json_)
    names = expand([name])
    if len(names) != 1:
        raise InputError(f"'{name}' is a family of {len(names)} laws ({', '.join(names)}); show one of them")
    data = law_document(names[0]).data
    law = load_law(names[0])
    formula = FORMULAS[law.form](law)
    constants = constant_rows(data, law)
    notes = [str(n) for n in (data.get("notes") or [])]
    published = data.get("published") or {}
    comparison = published_comparison(law, published) if published else []
    tables = [
        Table(CONSTANT_COLUMNS, constants, f"{law.name} ({law.form}): {data.get('summary', '')}",
              formula + [f"Citation: {citation_text(data.get('citation'))}"]),
    ]
    if comparison:
        tables.append(Table(PUBLISHED_COLUMNS, comparison,
                            f"Published projections beside this law: {published.get('source', '')}"))
    tables.append(Table([Column("Notes", "note", "text")], [{"note": n} for n in notes], ""))
    payload = {"schema_version": 1, "name": law.name, "form": law.form, "formula": formula,
               "constants": constants, "citation": data.get("citation"), "notes": notes,
               "published_comparison": comparison, "source": str(law.meta.get("source"))}
    if law.form == "parametric":
        payload["derived"] = {"G": law.G, "a": law.a, "b": law.b}
    emit(fmt, payload, tables)
