"""Parsing and validating the numbers users type: ``5.8e23``, ``70B``, ``1.4T``, ``1_000``."""

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
            raise InputError(f"{what}: '{text}' is not a number: it contains '{ch}' "
                             f"(U+{ord(ch):04X}); write digits, '.', 'e' and '-'")
    return "".join(out)


def check_range(number: float, value, what: str) -> float:
    """``number`` if finite and 0 or within [SMALLEST, LARGEST] in magnitude; InputError otherwise."""
    if not math.isfinite(number):
        raise InputError(f"{what}: must be a finite number, got {value!r}" if not isinstance(value, str)
                         else f"{what}: must be a finite number, got '{value}'")
    if number != 0 and not SMALLEST <= abs(number) <= LARGEST:
        raise InputError(f"{what}: {value if isinstance(value, str) else repr(value)} is out of range "
                         f"(allowed: {RANGE_TEXT})")
    return number


def parse_number(value, what: str = "value") -> float:
    """Read a float from a number or a string such as '5.8e23', '70B', '1.4T' or '1_000'.

    Suffixes (case-insensitive): K 1e3, M 1e6, B/G 1e9, T 1e12, P 1e15.
    Raises InputError naming ``what`` on anything else, including NaN, infinities and magnitudes
    outside SMALLEST..LARGEST.
    """
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, int):
        if abs(value) > LARGEST:
            raise InputError(f"{what}: {value:.3g} is out of range (allowed: {RANGE_TEXT})")
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
            raise InputError(f"{what}: must be a finite number, got '{value}'")
        if len(text) > 400:
            raise InputError(f"{what}: '{value[:20]}...' is too long to be a number")
        try:
            number = float(text) * scale
        except ValueError:
            raise InputError(f"{what}: '{value}' is not a number (try 5.8e23, 70e9, 70B or 1.4T)") from None
    else:
        raise InputError(f"{what}: expected a number, got {type(value).__name__}")
    return check_range(number, value, what)


def parse_positive(value, what: str = "value") -> float:
    """Like parse_number, but the result must be > 0."""
    number = parse_number(value, what)
    if number <= 0:
        raise InputError(f"{what}: must be positive, got {value!r}" if not isinstance(value, str)
                         else f"{what}: must be positive, got '{value}'")
    return number
