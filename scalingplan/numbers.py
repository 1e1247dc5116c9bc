"""Parsing and validating the numbers users type: ``5.8e23``, ``70B``, ``1.4T``, ``1_000``."""

import math

from scalingplan.errors import InputError

SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}


def _field(what: str) -> str:
    """'--gpu-hours' -> 'gpu_hours'; other names (``constants.A``) unchanged."""
    return what[2:].replace("-", "_") if what.startswith("--") else what


def parse_number(value, what: str = "value") -> float:
    """Read a float from a number or a string such as '5.8e23', '70B', '1.4T' or '1_000'.

    Suffixes (case-insensitive): K 1e3, M 1e6, B/G 1e9, T 1e12, P 1e15.
    Raises InputError whose field is ``what`` (a field name; a leading ``--`` is dropped) on anything
    else, including NaN and infinities.
    """
    what = _field(what)
    if isinstance(value, bool):
        raise InputError(f"expected a number, got {value!r}", what)
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        scale = 1.0
        if text and text[-1].lower() in SUFFIXES and not text[-1].isdigit():
            scale = SUFFIXES[text[-1].lower()]
            text = text[:-1]
        try:
            number = float(text) * scale
        except ValueError:
            raise InputError(f"'{value}' is not a number (try 5.8e23, 70e9, 70B or 1.4T)", what) from None
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise InputError(f"must be a finite number, got '{value}'", what)
        if math.isinf(number):
            raise InputError(f"'{value}' is too large to represent", what)
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(f"expected a number, got {value!r}", what) from None
    if not math.isfinite(number):
        raise InputError(f"must be a finite number, got {value!r}", what)
    return number


def parse_positive(value, what: str = "value") -> float:
    """Like parse_number, but the result must be > 0."""
    number = parse_number(value, what)
    if number <= 0:
        raise InputError(f"must be positive, got {value!r}" if not isinstance(value, str)
                         else f"must be positive, got '{value}'", _field(what))
    return number


def check_positive(value, what: str = "value"):
    """``value`` unchanged if it is a real number, or an array of them, that is finite and > 0 throughout.

    Raises InputError naming ``what`` and the first offending value otherwise (zero, negative, NaN,
    infinite, complex, boolean or not a number at all): the library's guard for its Python API.
    """
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"{what}: must be a positive finite number, got {value!r}")
        return value
    if isinstance(value, (bool, str, complex)) or value is None:
        raise InputError(f"{what}: expected a positive number, got {value!r}")
    import numpy as np

    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}: expected a positive number or array of them, got {value!r}") from None
    if array.dtype.kind not in "iuf" or array.size == 0:
        raise InputError(f"{what}: expected positive real numbers, got {value!r}")
    bad = ~(np.isfinite(array) & (array > 0))
    if bad.any():
        raise InputError(f"{what}: must be positive and finite everywhere, got {array[bad].flat[0]!r}"
                         + (f" (and {int(bad.sum()) - 1} more bad values)" if bad.sum() > 1 else ""))
    return value
