"""How a fit looks to a person: its constants (with bootstrap intervals), its allocations and its
IsoFLOP groups, for `fit` and the `plot` commands that print a fit."""

from scalingplan.output.render import Column, Table

CONSTANT_COLUMNS = [
    Column("Constant", "name", "text"),
    Column("Value", "value", "plain"),
    Column("Low", "low", "plain"),
    Column("High", "high", "plain"),
    Column("Meaning", "meaning", "text", wrap=True),
]
ALLOCATION_COLUMNS = [
    Column("FLOPs", "flops", "flops"),
    Column("Params", "params", "count"),
    Column("Params low", "params_low", "count"),
    Column("Params high", "params_high", "count"),
    Column("Tokens", "tokens", "count"),
    Column("Tokens/param", "tokens_per_param", "plain"),
    Column("Loss", "loss", "loss"),
]
GROUP_COLUMNS = [
    Column("Budget (FLOPs)", "flops", "flops"),
    Column("Runs", "n_runs", "plain"),
    Column("N_opt", "params_opt", "count"),
    Column("D_opt", "tokens_opt", "count"),
    Column("Used", "used", "text"),
]


def constant_table(payload: dict, boot) -> Table:
    from scalingplan.fitting.report import MEANINGS

    values = dict(payload["params"], a=payload["a"], b=payload["b"])
    for key in ("G", "M_star"):
        if key in payload and key not in values:
            values[key] = payload[key]
    rows = []
    for key, value in values.items():
        low, high = boot.interval(key) if boot is not None and key in boot.names else (None, None)
        rows.append({"name": key, "value": value, "low": low, "high": high, "meaning": MEANINGS[key][1]})
    columns = CONSTANT_COLUMNS if boot is not None else [c for c in CONSTANT_COLUMNS if c.key not in ("low", "high")]
    data = payload["data"]
    form = f" ({payload['form']} form)" if payload.get("form", "chinchilla") != "chinchilla" else ""
    title = f"{payload['method']}{form} fit to {data['n_points']} of {data['rows']} runs in {data['file']}"
    notes = []
    if boot is not None:
        lo, hi = boot.percentiles
        notes.append(f"Low/High: {lo:g}th and {hi:g}th percentiles of {boot.n_resamples - boot.n_failed} "
                     f"bootstrap refits (seed {boot.seed}).")
    if payload["method"] == "approach3":
        notes.append(f"Objective (sum of Huber, delta {payload['huber_delta']:g}, on log loss) "
                     f"{payload['objective']:.6g}; RMS log-loss residual {payload['rms_log_loss_residual']:.4g}; "
                     f"{payload['starts_converged']} of {payload['starts']} starts converged.")
    else:
        used = sum(g["used"] for g in payload["groups"])
        notes.append(f"{used} of {len(payload['groups'])} IsoFLOP groups used (width {payload['group_tolerance_dex']:g} "
                     f"decades); RMS of log N_opt about the power law {payload['rms_log_params_opt_residual']:.4g}.")
    for rule in data.get("exclusions", []):
        notes.append(f"Excluded: {rule['rule']} ({rule['dropped']} runs).")
    return Table(columns, rows, title, notes)


def fit_tables(payload: dict, boot) -> list:
    rows = []
    for row in payload["allocations"]:
        low, high = row.get("params_interval", (None, None))
        rows.append(dict(row, params_low=low, params_high=high))
    columns = [c for c in ALLOCATION_COLUMNS
               if (boot is not None or c.key not in ("params_low", "params_high"))
               and (payload["method"] == "approach3" or c.key != "loss")]
    tables = [constant_table(payload, boot),
              Table(columns, rows, "Compute-optimal allocation (C = 6ND)")]
    if payload["method"] == "approach2":
        groups = [dict(g, used="yes" if g["used"] else f"no: {g['reason']}") for g in payload["groups"]]
        tables.append(Table(GROUP_COLUMNS, groups, "IsoFLOP groups"))
    return tables
