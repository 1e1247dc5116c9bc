"""Parsing and validating the numbers users type (``5.8e23``, ``70B``, ``1.4T``, ``1_000``), and writing
them back for people (``70.0B``, ``5.76e23``)."""

import math
import unicodedata

from scalingplan.errors import InputError

SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12, "p": 1e15}
LARGEST = 1e100
SMALLEST = 1e-100
"""Magnitudes accepted from users. Past them a planner's quantities have no meaning (1e100 FLOPs is
far beyond any budget), and the laws' powers and products of them would overflow or underflow a
double (a frontier inverts C^0.27 as D^3.7); zero is accepted where zero means something."""
RANGE_TEXT = "1e-100 to 1e100 in magnitude, or 0"


def _field(what: str) -> str:
    """'--gpu-hours' -> 'gpu_hours'; other names (``constants.A``) unchanged."""
    return what[2:].replace("-", "_") if what.startswith("--") else what


def ascii_number_text(text: str, what: str) -> str:
    """``text`` with digits of any script read as their value (as Python's int() and float() do) and
    fullwidth forms (``１２３ｅ２１``) read as the ASCII they stand for; any other non-ASCII is refused,
    so that '10²³' or '1.5−3' never becomes a different number."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
        elif unicodedata.decimal(ch, None) is not None:
            out.append(str(unicodedata.decimal(ch)))
        elif "\uff01" <= ch <= "\uff5e":  # fullwidth ASCII
            out.append(chr(ord(ch) - 0xFEE0))
        else:
            raise InputError(f"'{text}' is not a number: it contains '{ch}' (U+{ord(ch):04X}); "
                             "write digits, '.', 'e' and '-'", _field(what))
    return "".join(out)


def check_range(number: float, value, what: str) -> float:
    """``number`` if finite and 0 or within [SMALLEST, LARGEST] in magnitude; InputError otherwise."""
    shown = value if isinstance(value, str) else repr(value)
    if not math.isfinite(number):
        raise InputError(f"must be a finite number, got '{shown}'" if isinstance(value, str)
                         else f"must be a finite number, got {shown}", _field(what))
    if number != 0 and not SMALLEST <= abs(number) <= LARGEST:
        raise InputError(f"{shown} is out of range (allowed: {RANGE_TEXT})", _field(what))
    return number


def parse_number(value, what: str = "value") -> float:
    """Read a float from a number or a string such as '5.8e23', '70B', '1.4T' or '1_000'.

    Suffixes (case-insensitive): K 1e3, M 1e6, B/G 1e9, T 1e12, P 1e15.
    Raises InputError whose field is ``what`` (a field name; a leading ``--`` is dropped) on anything
    else, including NaN, infinities and magnitudes outside SMALLEST..LARGEST.
    """
    field = _field(what)
    if isinstance(value, bool):
        raise InputError(f"expected a number, got {value!r}", field)
    if isinstance(value, int):
        if abs(value) > LARGEST:
            digits = len(str(abs(value)))  # formatting it as a float would overflow past 308 digits
            raise InputError(f"{str(value)[:12]}... ({digits} digits) is out of range (allowed: {RANGE_TEXT})", field)
        number = float(value)
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        text = ascii_number_text(value.strip(), what).replace("_", "")
        scale = 1.0
        if text and text[-1].lower() in SUFFIXES:
            scale = SUFFIXES[text[-1].lower()]
            text = text[:-1]
        if text.lower().lstrip("+-") in ("nan", "inf", "infinity"):
            raise InputError(f"must be a finite number, got '{value}'", field)
        if len(text) > 400:
            raise InputError(f"'{value[:20]}...' is too long to be a number", field)
        try:
            number = float(text) * scale
        except ValueError:
            raise InputError(f"'{value}' is not a number (try 5.8e23, 70e9, 70B or 1.4T)", field) from None
    else:
        raise InputError(f"expected a number, got {type(value).__name__}", field)
    return check_range(number, value, what)


def parse_positive(value, what: str = "value") -> float:
    """Like parse_number, but the result must be > 0."""
    number = parse_number(value, what)
    if number <= 0:
        raise InputError(f"must be positive, got {value!r}" if not isinstance(value, str)
                         else f"must be positive, got '{value}'", _field(what))
    return number


def parse_whole(value, what: str = "value", low: int = 1, high: float | None = None) -> int:
    """Like parse_number, but a whole number from ``low`` (1: positive) to ``high`` (if given)."""
    number = parse_number(value, what)
    if number < low or number != int(number):
        kind = "a positive whole number" if low == 1 else f"a whole number ≥ {low}"
        raise InputError(f"must be {kind}, got {value!r}", _field(what))
    if high is not None and number > high:
        raise InputError(f"must be at most {high:,.0f}, got {value!r}", _field(what))
    return int(number)


def check_positive(value, what: str = "value"):
    """``value`` unchanged if it is a real number, or an array of them, that is finite and > 0 throughout.

    Raises InputError naming ``what`` and the first offending value otherwise (zero, negative, NaN,
    infinite, complex, boolean or not a number at all): the library's guard for its Python API.
    """
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > LARGEST:
        raise InputError(f"{what}: a {len(str(abs(value)))}-digit number is out of range (allowed: up to {LARGEST:g})")
    if isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool)):
        if not (math.isfinite(value) and value > 0):
            raise InputError(f"{what}: must be a positive finite number, got {value!r}")
        return value
    if isinstance(value, (bool, str, bytes, complex)) or value is None:
        raise InputError(f"{what}: expected a positive number, got {value!r}"[:200])
    if isinstance(value, (list, tuple, dict, set)):
        raise InputError(f"{what}: expected a number or a numpy array of them, got {type(value).__name__} "
                         "(numpy.asarray turns a list into an array)")
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


# --- writing numbers for people --------------------------------------------------------------------
def special_text(x) -> str | None:
    """'-' for None, 'inf', '-inf' or 'nan' for a non-finite number; None for an ordinary number."""
    if x is None:
        return "-"
    return None if math.isfinite(float(x)) else str(float(x))


def human_count(x) -> str:
    """70.0B, 1.40T, 400M, 12.3K: three significant digits with a size suffix; 1.43e15 beyond T."""
    if special_text(x):
        return special_text(x)
    x = float(x)
    if abs(x) >= 999.5e12:
        return sci(x)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(x) >= scale * 0.9995:
            value = float(f"{x / scale:.3g}")
            return f"{value:.{max(0, 2 - int(math.floor(math.log10(abs(value)))))}f}{suffix}"
    return f"{x:.3g}"


def sci(x) -> str:
    """5.76e23 (three significant digits, no '+' or leading zero in the exponent)."""
    if special_text(x):
        return special_text(x)
    mantissa, exponent = f"{float(x):.2e}".split("e")
    return f"{mantissa}e{int(exponent)}"
