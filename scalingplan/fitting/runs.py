"""Reading, validating and filtering a CSV of training runs (parameters, tokens or FLOPs, final loss)."""

import csv
import hashlib
import math
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scalingplan.errors import InputError, closest
from scalingplan.constants import FLOPS_PER_PARAM_TOKEN

COLUMN_NAMES = {
    "params": ("params", "n"),
    "tokens": ("tokens", "d"),
    "flops": ("flops", "c"),
    "loss": ("loss", "l"),
}
"""Column names recognised without an option (compared case-insensitively)."""


@dataclass
class Runs:
    """Training runs: parameters N, tokens D, training FLOPs C = 6ND and final loss, one entry per run."""

    params: np.ndarray
    tokens: np.ndarray
    flops: np.ndarray
    loss: np.ndarray
    lines: np.ndarray
    """CSV line number of each run."""
    source: dict = field(default_factory=dict)
    """Provenance: file, sha256, columns used, rows read, exclusions applied."""

    def __len__(self) -> int:
        return len(self.loss)

    def subset(self, index) -> "Runs":
        """The runs at ``index`` (a boolean mask or integer array; repeats allowed)."""
        return Runs(self.params[index], self.tokens[index], self.flops[index], self.loss[index],
                    self.lines[index], dict(self.source))


def make_runs(params, loss, tokens=None, flops=None, source=None) -> Runs:
    """Runs from arrays; tokens are derived from FLOPs as D = C/(6N) when not given (and vice versa)."""
    params = np.asarray(params, dtype=float)
    loss = np.asarray(loss, dtype=float)
    if tokens is None:
        flops = np.asarray(flops, dtype=float)
        tokens = flops / (FLOPS_PER_PARAM_TOKEN * params)
    else:
        tokens = np.asarray(tokens, dtype=float)
        flops = FLOPS_PER_PARAM_TOKEN * params * tokens
    return Runs(params, tokens, flops, loss, np.arange(2, len(loss) + 2), dict(source or {}))


def _find_column(header, wanted: str, option: str | None, role: str, flag: str, required: bool):
    """Index of the column for ``role``: the one named by the option, else a recognised name."""
    lowered = [h.strip().lower() for h in header]
    if option is not None:
        if option.strip().lower() in lowered:
            return lowered.index(option.strip().lower())
        raise InputError(f"{flag}: no column '{option}'{closest(option, header)}; "
                         f"columns present: {', '.join(header)}")
    for name in COLUMN_NAMES[wanted]:
        if name in lowered:
            return lowered.index(name)
    if required:
        raise InputError(f"no column for {role} (looked for {' or '.join(COLUMN_NAMES[wanted])}; "
                         f"columns present: {', '.join(header)}); name it with {flag}")
    return None


MAX_CSV_BYTES = 256 << 20
"""A runs file of 10^6 rows with a dozen columns is about 120 MB."""
LOSS_OUTLIER_FACTOR = 100.0
"""A loss this many times above or below the median loss is taken for a data error, not a run."""


def read_runs(path, params_col=None, tokens_col=None, flops_col=None, loss_col=None) -> Runs:
    """Read runs from a CSV file with a header row (a regular file of at most MAX_CSV_BYTES).

    Columns are found by name (``params``/``N``, ``tokens``/``D``, ``flops``/``C``, ``loss``/``L``,
    case-insensitive) or named explicitly. Tokens are used when present, otherwise D = C/(6N).
    Every value must be a positive finite number. Raises InputError naming the file, line and column.
    Rows are read one at a time into arrays, so memory grows with the rows, not with the columns.
    """
    import io

    from scalingplan.catalogues.yamlfile import read_bytes_bounded
    from scalingplan.numbers import LARGEST, SMALLEST, parse_positive

    path = Path(path)
    name = path.name
    raw = read_bytes_bounded(path, "runs file", MAX_CSV_BYTES)
    if b"\0" in raw:
        raise InputError(f"{name}: not a text file (contains NUL bytes)")
    if tokens_col is not None and flops_col is not None:
        raise InputError("give --tokens-col or --flops-col, not both")
    # decoded a block at a time as the rows are read: no second full copy of the text
    reader = csv.reader(io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8-sig", newline=""), strict=True)
    header, used, values, lines = None, {}, {}, array("q")
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if header is None:
                header = [h.strip() for h in row]
                used = _columns(header, params_col, tokens_col, flops_col, loss_col)
                values = {key: array("d") for key in used}
                continue
            if len(row) != len(header):
                raise InputError(f"{name} line {line}: malformed CSV (expected {len(header)} fields, found {len(row)})")
            for key, idx in used.items():
                cell = row[idx]
                try:
                    value = float(cell)
                except ValueError:
                    value = math.nan
                if not SMALLEST <= value <= LARGEST:  # also NaN; the rare other spellings: parse_positive
                    try:
                        value = parse_positive(cell, "")
                    except InputError as exc:
                        reason = str(exc).lstrip(": ")
                        why = f" ({reason})" if "range" in reason or "U+" in reason else ""
                        raise InputError(f"{name} line {line}, column '{header[idx]}': expected a positive "
                                         f"finite number, got '{cell.strip()[:40]}'{why}") from None
                values[key].append(value)
            lines.append(line)
    except csv.Error as exc:
        raise InputError(f"{name} line {reader.line_num}: malformed CSV ({exc})") from None
    except UnicodeDecodeError:
        raise InputError(f"{name}: not a UTF-8 text file") from None
    if header is None:
        raise InputError(f"{name}: the file is empty (expected a header row and one row per run)")
    if not lines:
        raise InputError(f"{name}: no runs (only a header row)")
    source = {
        "file": name,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "rows": len(lines),
        "columns": {key: header[idx] for key, idx in used.items()},
        "exclusions": [],
    }
    del raw
    runs = make_runs(values["params"], values["loss"], tokens=values.get("tokens"), flops=values.get("flops"),
                     source=source)
    runs.lines = np.asarray(lines)
    return runs


def _columns(header, params_col, tokens_col, flops_col, loss_col) -> dict:
    """Role -> column index for params, loss and tokens (or FLOPs)."""
    n_idx = _find_column(header, "params", params_col, "parameters", "--params-col", True)
    l_idx = _find_column(header, "loss", loss_col, "final loss", "--loss-col", True)
    d_idx = c_idx = None
    if flops_col is None:
        d_idx = _find_column(header, "tokens", tokens_col, "tokens", "--tokens-col", False)
    if d_idx is None:
        c_idx = _find_column(header, "flops", flops_col, "FLOPs", "--flops-col", False)
    if d_idx is None and c_idx is None:
        raise InputError(f"no column for tokens or FLOPs (looked for tokens, D, flops, C; "
                         f"columns present: {', '.join(header)}); name one with --tokens-col or --flops-col")
    return {"params": n_idx, "loss": l_idx, **({"tokens": d_idx} if d_idx is not None else {"flops": c_idx})}


def exclude(runs: Runs, drop_highest_loss: int = 0, max_loss=None, min_flops=None, max_flops=None) -> Runs:
    """Drop runs the way published analyses do, recording each rule and how many runs it removed.

    Order: the FLOP and loss ranges first, then the ``drop_highest_loss`` highest remaining losses
    (Besiroglu et al. 2024 drop the 5 highest-loss points of the Chinchilla Figure 4 data).
    """
    keep = np.ones(len(runs), dtype=bool)
    notes = []
    for rule, mask in (
        (f"flops < {min_flops:g}" if min_flops is not None else None,
         runs.flops < min_flops if min_flops is not None else None),
        (f"flops > {max_flops:g}" if max_flops is not None else None,
         runs.flops > max_flops if max_flops is not None else None),
        (f"loss > {max_loss:g}" if max_loss is not None else None,
         runs.loss > max_loss if max_loss is not None else None),
    ):
        if rule is not None:
            notes.append({"rule": rule, "dropped": int(np.count_nonzero(mask & keep))})
            keep &= ~mask
    if drop_highest_loss:
        if drop_highest_loss < 0:
            raise InputError(f"--drop-highest-loss: must be 0 or more, got {drop_highest_loss}")
        remaining = np.flatnonzero(keep)
        order = remaining[np.argsort(runs.loss[remaining], kind="stable")[::-1]]
        dropped = order[:drop_highest_loss]
        keep[dropped] = False
        notes.append({"rule": f"{drop_highest_loss} highest-loss runs", "dropped": int(len(dropped)),
                      "lines": [int(x) for x in sorted(runs.lines[dropped])]})
    result = runs.subset(keep)
    result.source["exclusions"] = list(runs.source.get("exclusions", [])) + notes
    return result


def check_fit_input(runs: Runs, n_parameters: int, method: str = "approach3") -> None:
    """Raise InputError unless the runs can determine ``n_parameters`` constants: more distinct runs
    than constants, several model sizes, several token counts and budgets (for the parametric law),
    losses that vary, and no loss so far from the others that it must be a data error."""
    distinct = np.unique(np.stack([runs.params, runs.tokens]), axis=1).shape[1] if len(runs) else 0
    if distinct <= n_parameters:
        raise InputError(f"{distinct} distinct runs after exclusions; the {n_parameters} constants of {method} "
                         f"need at least {n_parameters + 1} (more runs than constants)")
    if np.unique(runs.params).size < 2:
        raise InputError(f"all {len(runs)} runs have the same model size ({runs.params[0]:g} parameters); "
                         "the fit needs several sizes")
    if method == "approach3":
        if np.unique(runs.tokens).size < 2:
            raise InputError(f"all {len(runs)} runs have the same number of tokens ({runs.tokens[0]:g}); the data "
                             "term B/D^beta cannot be told from E; the fit needs several token counts")
        span = float(np.ptp(np.log10(runs.flops)))
        if span < 0.1:
            raise InputError(f"all {len(runs)} runs use about the same compute (within {span:.2g} decades of "
                             f"{np.median(runs.flops):.3g} FLOPs); the parametric fit needs runs at two or more "
                             "budgets to separate the model-size and data terms")
    if np.ptp(runs.loss) <= 1e-12 * np.max(runs.loss):
        raise InputError(f"all {len(runs)} runs have the same loss ({runs.loss[0]:g}); there is nothing to fit")
    median = float(np.median(runs.loss))
    ratio = np.maximum(runs.loss / median, median / runs.loss)
    worst = int(np.argmax(ratio))
    if ratio[worst] > LOSS_OUTLIER_FACTOR:
        raise InputError(f"line {runs.lines[worst]}: loss {runs.loss[worst]:g} is {ratio[worst]:.3g}x "
                         f"{'above' if runs.loss[worst] > median else 'below'} the median loss {median:.4g}, "
                         "a data error rather than a run; fix it or leave it out (--max-loss, --drop-highest-loss)")


def check_law(what: str, build, constants: dict) -> None:
    """InputError unless ``build(constants)`` makes a law (``what``: "chinchilla law", ...): runs whose
    loss does not fall with size and data, such as swapped columns or values in the wrong units, fit
    constants no law can have (a negative exponent), and are refused with the constant and why."""
    import re

    try:
        if not all(np.isfinite(value) for value in constants.values()):
            raise ValueError("a constant that is not finite")
        build(constants)
    except ValueError as exc:
        reason = str(exc).removeprefix("constants.")
        parts = re.fullmatch(r"(\w+): (must .*), got (.*)", reason)
        if parts:
            reason = f"{parts[1]} = {parts[3]}, which {parts[2]}"
        raise InputError(f"these runs do not determine a {what}: the best fit gives {reason}; check that the "
                         "columns (--params-col, --tokens-col, --loss-col) hold parameters, tokens and loss, "
                         "in plain units") from None
