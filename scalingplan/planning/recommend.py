"""One answer first: the plan of a default law, and how far the other laws spread around it.

DEFAULT_LAW is Besiroglu et al. 2024 (arXiv:2404.10102), the refit of Hoffmann et al. 2022's
Approach 3 to the data of their Figure 4: it agrees with Approaches 1 and 2 (about 20 tokens per
parameter at Chinchilla's budget), predicts a loss, and counts all parameters (embeddings included),
so its rows are the best-supported dense plan in the registry. A user's configured first law
(``laws = [...]`` in the config file) takes its place.
"""

from __future__ import annotations

DEFAULT_LAW = "epoch2024"
REASONS = {
    "default": ("the default law: Besiroglu et al. 2024's refit of Chinchilla Approach 3, consistent with "
                "Approaches 1 and 2, loss predicted, all parameters counted"),
    "configured": "your configured first law",
    "only": "the only law asked for",
    "first": "the first law asked for ({law} is not among them)",
}


def _rows_by_name(rows: list, name: str) -> dict | None:
    return next((row for row in rows if row.get("law") == name), None)


def recommend(rows: list, default_law: str | None = None) -> tuple:
    """(recommended, spread) over allocation rows (dicts with law, params, tokens, loss).

    recommended = {law, params, tokens, loss, reason}: the row of ``default_law`` (the user's
    configured first law) or of DEFAULT_LAW, else the first row; spread = {params: {min, max},
    tokens: {min, max}} over every row. (None, None) without rows.
    """
    if not rows:
        return None, None
    wanted = default_law or DEFAULT_LAW
    row = _rows_by_name(rows, wanted)
    if row is not None:
        reason = REASONS["configured" if default_law else "default"]
    elif len({r.get("law") for r in rows}) == 1:
        row, reason = rows[0], REASONS["only"]
    else:
        row, reason = rows[0], REASONS["first"].format(law=wanted)
    recommended = {"law": row["law"], "params": float(row["params"]), "tokens": float(row["tokens"]),
                   "loss": None if row.get("loss") is None else float(row["loss"]), "reason": reason}
    spread = {key: {"min": min(float(r[key]) for r in rows), "max": max(float(r[key]) for r in rows)}
              for key in ("params", "tokens")}
    return recommended, spread
