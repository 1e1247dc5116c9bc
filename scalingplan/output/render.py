"""All output formatting: rich tables for people; JSON, CSV and markdown for scripts and docs.

A command builds a JSON-ready ``payload`` (its contract) and a list of ``Table``s describing what a
person should see; ``render`` turns them into the requested format. Every string printed passes
through ``output.inert`` (no control character or CI command from an input file reaches the output).
"""

import json
import math
from dataclasses import dataclass, field

from scalingplan.numbers import special_text, human_count, sci  # noqa: F401 - formatters for every command
from scalingplan.output.inert import inert, json_text

FORMATS = ("table", "json", "csv", "markdown")


# --- human numbers (human_count and sci live with the number parsing, for every layer) -----------
def plain(x, digits: int = 3) -> str:
    """A moderate number with ``digits`` significant digits (1.93, 20.4, 6,670), sci when huge."""
    if special_text(x):
        return special_text(x)
    x = float(x)
    if x != 0 and (abs(x) >= 1e6 or abs(x) < 1e-3):
        return sci(x)
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def loss_text(x) -> str:
    return special_text(x) or f"{float(x):.3f}"


def ratio_text(x) -> str:
    return special_text(x) or f"{float(x):.3g}×"


def exact(x) -> str:
    """A constant as written in its source (up to 8 significant digits)."""
    return special_text(x) or f"{float(x):.8g}"


def citation_text(citation) -> str:
    """A law file's ``citation`` (authors, year, title, arXiv id, table, variant) as one line."""
    from collections.abc import Mapping

    if not isinstance(citation, Mapping):
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


KINDS = {"count": human_count, "flops": sci, "plain": plain, "loss": loss_text, "exact": exact,
         "ratio": ratio_text, "text": lambda x: "-" if x is None else str(x)}


@dataclass
class Column:
    """A table column: ``kind`` picks the formatter (KINDS); ``wrap`` lets long text wrap across
    lines (prose such as notes or messages); every other cell is kept whole. ``shown`` names a key
    that a person sees instead of ``key`` when a row has it (e.g. a law's name with a mark); CSV
    always writes ``key``."""

    header: str
    key: str
    kind: str = "plain"
    wrap: bool = False
    shown: str = ""
    names_row: bool = False
    """Part of what names a row: repeated in every part of a folded table."""

    def cell(self, row: dict):
        """The value a person sees in this column of ``row``."""
        return row[self.shown] if self.shown and self.shown in row else row.get(self.key)


@dataclass
class Table:
    """A titled table of rows (dicts) shown through ``columns``; ``notes`` print under it."""

    columns: list
    rows: list
    title: str = ""
    notes: list = field(default_factory=list)


# --- results are finite ----------------------------------------------------------------------------
def check_finite(payload, where: str = "") -> None:
    """InputError naming the first non-finite number in ``payload``: a result that overflowed,
    underflowed into a division by zero, or is undefined is never printed as if it were an answer."""
    from scalingplan.errors import InputError

    stack = [(where, payload)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            stack.extend((f"{path}.{k}" if path else str(k), v) for k, v in value.items())
        elif isinstance(value, (list, tuple)):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))
        elif hasattr(value, "tolist") and not isinstance(value, float):  # numpy arrays and scalars
            stack.append((path, value.tolist()))
        elif isinstance(value, float) and not math.isfinite(value):
            raise InputError(f"the result {path} is {value} for these inputs (out of the range the "
                                 "law can compute); use inputs of ordinary size")


# --- JSON ------------------------------------------------------------------------------------------
def to_jsonable(value):
    """Plain Python for json: numpy scalars and arrays become floats and lists."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return to_jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def render_json(payload: dict) -> str:
    return json_text(json.dumps(to_jsonable(payload), indent=2, allow_nan=False, ensure_ascii=False))


# --- CSV and markdown --------------------------------------------------------------------------------
def render_csv(tables: list) -> str:
    """The first table's rows with raw values (one header line, keys as column names)."""
    import csv
    import io

    table = tables[0]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([inert(c.key) for c in table.columns])
    for row in table.rows:
        values = ("" if row.get(c.key) is None else to_jsonable(row.get(c.key)) for c in table.columns)
        writer.writerow([inert(v) if isinstance(v, str) else v for v in values])
    return buffer.getvalue().rstrip("\n")


def _cells(table: Table) -> list:
    return [[inert(KINDS[c.kind](c.cell(row))) for c in table.columns] for row in table.rows]


def render_markdown(tables: list) -> str:
    parts = []
    for table in tables:
        if table.title:
            parts.append(f"**{inert(table.title)}**\n")
        if table.columns:  # a table without columns is a title and notes: a headline
            parts.append("| " + " | ".join(inert(c.header) for c in table.columns) + " |")
            parts.append("|" + "|".join("---" if c.kind == "text" else "---:" for c in table.columns) + "|")
            parts.extend("| " + " | ".join(cells) + " |" for cells in _cells(table))
        parts.extend(f"\n- {inert(note)}" for note in table.notes)
        parts.append("")
    return "\n".join(parts).rstrip("\n")


# --- rich tables -------------------------------------------------------------------------------------
MIN_WIDTH, MAX_WIDTH, PIPE_WIDTH = 80, 1000, 160
"""Table width: the terminal's (or COLUMNS), kept within MIN..MAX so that a tiny, negative or
garbled COLUMNS never squeezes a table to nothing; PIPE_WIDTH when output is not a terminal."""


def table_width(stream) -> int:
    """The width to lay tables out in for ``stream``."""
    import os
    import shutil

    try:
        width = int(os.environ.get("COLUMNS", "").strip())
    except ValueError:
        width = 0
    if width <= 0:
        tty = False
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError, OSError):
            pass
        width = shutil.get_terminal_size((PIPE_WIDTH, 24)).columns if tty else PIPE_WIDTH
    return min(max(width, MIN_WIDTH), MAX_WIDTH)


def console(stderr: bool = False):
    """A rich Console that respects NO_COLOR, with a sane width (``table_width``)."""
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(file=stream, width=table_width(stream), highlight=False, soft_wrap=False)


# --- terminals that cannot show every character -------------------------------------------------------
ASCII_FALLBACKS = {"α": "alpha", "β": "beta", "—": "-", "–": "-", "×": "x", "·": "*", "÷": "/", "≥": ">=",
                   "≤": "<=", "≈": "~", "−": "-", "²": "^2", "³": "^3", "…": "...", "’": "'", "“": '"',
                   "”": '"', "₀": "0", "ₑ": "e", "θ": "theta", "δ": "delta", "ψ": "psi", "─": "-", "│": "|",
                   "━": "=", "┃": "|", "╸": "-", "•": "*", "→": "->", "∝": "~"}
ENCODE_ERRORS = "scalingplan-fallback"


def _fallback(error: UnicodeEncodeError):
    """Codec error handler: a readable ASCII stand-in for what the stream cannot encode, else '?'."""
    text = error.object[error.start:error.end]
    return "".join(ASCII_FALLBACKS.get(ch, "?") for ch in text), error.end


def use_ascii_fallbacks(*streams) -> None:
    """Make ``streams`` write ASCII stand-ins (alpha, -, x) for characters their encoding lacks,
    instead of raising UnicodeEncodeError (e.g. under PYTHONIOENCODING=ascii or a C locale)."""
    import codecs

    codecs.register_error(ENCODE_ERRORS, _fallback)
    for stream in streams:
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors=ENCODE_ERRORS)
            except (ValueError, OSError):
                pass


def _rich_table(title: str, columns: list, cells: list):
    """A rich table of ``cells`` (inert strings), shown as plain text: no rich markup is read in them."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    # As wide as the title (within the console) so that a long title does not wrap into a column.
    table = RichTable(title=Text(inert(title)) if title else None, box=box.SIMPLE_HEAD, title_justify="left",
                      min_width=len(title or ""))
    for column in columns:
        table.add_column(Text(inert(column.header)), justify="left" if column.kind == "text" else "right",
                         no_wrap=not column.wrap, overflow="fold")
    for row in cells:
        table.add_row(*map(Text, row))
    return table


def _min_width(out, columns: list, cells: list) -> int:
    """The narrowest the table can be with every unwrappable cell whole (wrapping cells shrink to
    their longest word)."""
    from rich.measure import Measurement

    def narrowest(text: str, column: Column) -> str:
        return max(text.split() or [""], key=len) if column.wrap else text

    squeezed = [[narrowest(cell, column) for cell, column in zip(row, columns)] for row in cells]
    return Measurement.get(out, out.options.update_width(10**6), _rich_table("", columns, squeezed)).maximum


def fold_columns(out, table: Table) -> list:
    """Column groups that each fit the console: the columns that name a row (``names_row``; by
    default the leading columns up to the first text column) repeat in every group; the others are
    taken in order while they fit."""
    cells = _cells(table)
    if len(table.columns) < 2 or _min_width(out, table.columns, cells) <= out.width:
        return [list(range(len(table.columns)))]
    named = [i for i, column in enumerate(table.columns) if column.names_row]
    texts = [i for i, column in enumerate(table.columns) if column.kind == "text"]
    key = named or list(range((texts[0] if texts else 0) + 1))
    groups, current = [], list(key)
    for index in (i for i in range(len(table.columns)) if i not in key):
        trial = current + [index]
        picked = [table.columns[i] for i in trial]
        if len(current) > len(key) and _min_width(out, picked, [[row[i] for i in trial] for row in cells]) > out.width:
            groups.append(current)
            current = key + [index]
        else:
            current = trial
    groups.append(current)
    return groups


def print_tables(tables: list) -> None:
    """Rich tables for a person: numbers and names are never cut; a table wider than the terminal
    is folded into several that repeat its first column."""
    from rich.padding import Padding
    from rich.text import Text

    out = console()
    for table in tables:
        if not table.columns:  # a headline: its title, then its notes
            out.print(Text(inert(table.title), style="bold"))
            for note in table.notes:
                out.print(Text(inert(note)))
            out.print()
            continue
        cells = _cells(table)
        groups = fold_columns(out, table)
        for number, group in enumerate(groups, 1):
            title = table.title if len(groups) == 1 else f"{table.title} ({number}/{len(groups)})".strip()
            out.print(_rich_table(title, [table.columns[i] for i in group], [[row[i] for i in group] for row in cells]))
        for note in table.notes:
            out.print(Padding(Text(inert(note), style="dim"), (0, 0, 0, 2), expand=False))


def check_results(payload: dict, tables: list, csv_table: Table | None = None) -> None:
    """InputError if any number in the payload or the tables is not finite (``check_finite``)."""
    check_finite(payload)
    for table in tables + ([csv_table] if csv_table else []):
        check_finite([[row.get(c.key) for c in table.columns if c.kind != "text"] for row in table.rows],
                     table.title or "table")


def render(fmt: str, payload: dict, tables: list, csv_table: Table | None = None) -> str | None:
    """The output text in ``fmt``; for 'table' prints directly (rich) and returns None.

    CSV holds one table: ``csv_table`` if given, else the first. InputError if any number in the
    payload or the tables is not finite (``check_finite``).
    """
    check_results(payload, tables, csv_table)
    if fmt == "json":
        return render_json(payload)
    if fmt == "csv":
        return render_csv([csv_table] if csv_table else tables)
    if fmt == "markdown":
        return render_markdown(tables)
    print_tables(tables)
    return None


# --- standard output that fails cleanly ---------------------------------------------------------------
class GuardedStream:
    """Standard output that goes quiet when the reader has gone (``scalingplan laws | head -1``) and
    turns any other write failure (a full disk, an I/O error) into one InputError line; with
    ``quiet`` (standard error) every failure goes quiet, as nothing is left to report it on.

    After a closed pipe the command still runs to its end and keeps its exit code (a failed check is
    still 1); its descriptor is pointed at /dev/null so nothing complains at exit.
    """

    def __init__(self, stream, quiet: bool = False):
        self._stream = stream
        self.quiet = quiet
        self.reader_gone = False

    def _guard(self, action, *args):
        if self.reader_gone:
            return None
        try:
            return action(*args)
        except (OSError, ValueError) as exc:  # ValueError: the stream was closed
            if not isinstance(exc, OSError) and not self.quiet:
                raise
            silence(self._stream)
            self.reader_gone = True
            if self.quiet or isinstance(exc, BrokenPipeError):
                return None
            from scalingplan.errors import InputError

            raise InputError(f"cannot write the output: {exc.strerror or exc}") from None

    def write(self, text):
        self._guard(self._stream.write, text)
        return len(text)

    def flush(self):
        self._guard(self._stream.flush)

    def __getattr__(self, name):
        return getattr(self._stream, name)


def silence(stream) -> None:
    """Point ``stream``'s descriptor at /dev/null, so buffered text and later writes go nowhere."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass
