"""Reading, validating and filtering a CSV of training runs (parameters, tokens or FLOPs, final loss)."""

import csv
import hashlib
import math
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


def read_runs(path, params_col=None, tokens_col=None, flops_col=None, loss_col=None) -> Runs:
    """Read runs from a CSV file with a header row.

    Columns are found by name (``params``/``N``, ``tokens``/``D``, ``flops``/``C``, ``loss``/``L``,
    case-insensitive) or named explicitly. Tokens are used when present, otherwise D = C/(6N).
    Every value must be a positive finite number. Raises InputError naming the file, line and column.
    """
    path = Path(path)
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{name}: not a UTF-8 text file") from None
    reader = csv.reader(text.splitlines(), strict=True)
    try:
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise InputError(f"{name} line {reader.line_num}: malformed CSV ({exc})") from None
    if not rows:
        raise InputError(f"{name}: the file is empty (expected a header row and one row per run)")
    (_, header), body = rows[0], rows[1:]
    header = [h.strip() for h in header]
    if tokens_col is not None and flops_col is not None:
        raise InputError("give --tokens-col or --flops-col, not both")
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
    used = {"params": n_idx, "loss": l_idx, ("tokens" if d_idx is not None else "flops"): d_idx if d_idx is not None else c_idx}
    values = {key: [] for key in used}
    lines = []
    for line, row in body:
        if len(row) != len(header):
            raise InputError(f"{name} line {line}: malformed CSV (expected {len(header)} fields, found {len(row)})")
        for key, idx in used.items():
            cell = row[idx].strip()
            try:
                value = float(cell)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and value > 0):
                raise InputError(f"{name} line {line}, column '{header[idx]}': expected a positive finite "
                                 f"number, got '{cell}'")
            values[key].append(value)
        lines.append(line)
    if not lines:
        raise InputError(f"{name}: no runs (only a header row)")
    source = {
        "file": name,
        "sha256": hashlib.sha256(raw).hexdigest(),
        "rows": len(lines),
        "columns": {key: header[idx] for key, idx in used.items()},
        "exclusions": [],
    }
    runs = make_runs(values["params"], values["loss"], tokens=values.get("tokens"), flops=values.get("flops"),
                     source=source)
    runs.lines = np.asarray(lines)
    return runs


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


def check_fit_input(runs: Runs, n_parameters: int) -> None:
    """Raise InputError unless the runs can determine ``n_parameters`` constants."""
    if len(runs) < n_parameters:
        raise InputError(f"{len(runs)} runs after exclusions, fewer than the {n_parameters} parameters to fit")
    if np.unique(runs.params).size < 2:
        raise InputError(f"all {len(runs)} runs have the same model size ({runs.params[0]:g} parameters); "
                         "the fit needs several sizes")
