r"""Text from files and the command line, made inert before it is printed.

Names of laws and plans, notes, file paths and echoed option values come from files that anyone with
a pull request can change. Printed raw they could drive the terminal (ANSI escape sequences move the
cursor, retitle the window, hide text, forge hyperlinks) or the CI system that reads the log: GitHub
Actions acts on a line that starts with ``::`` (``::error``, ``::add-mask::``, ``::stop-commands::``)
or ``##[`` once leading whitespace is stripped; Azure Pipelines on ``##vso[`` anywhere in a line.

``inert`` therefore writes, as visible escapes:

- control characters (C0, DEL, C1), the Unicode line and paragraph separators, bidirectional
  overrides and the byte-order mark (``\x1b``, ``\u2028``), so no input string spans lines or reaches
  the terminal raw;
- the first character of every ``::``, ``##[`` and ``##vso[`` (``\x3a:``, ``\x23#[``), wherever it
  occurs: a wrapped or folded table cell can start a line with any part of a string.

Tables, markdown, CSV and messages on stderr pass every string through ``inert``. JSON keeps every
string exactly (``json_text``): its escapes are lossless, and no JSON line can start with ``::``
because every string in it is quoted. The only workflow commands in the output are the tool's own
(``check --format github``), whose text is escaped the same way.
"""

import re

_BEYOND_ASCII = "\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_ASCII}]|:(?=:)|#(?=#(?:vso)?\\[)")
_RAW_IN_JSON = re.compile(f"[{_BEYOND_ASCII}]|#(?=#vso\\[)")  # json.dumps escapes C0 itself, not these


def _escape(match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text) -> str:
    """``text`` (any value, as ``str``) with control characters and CI command markers escaped."""
    return _UNSAFE.sub(_escape, str(text))


def inert_lines(text: str) -> str:
    """Several lines of output, each made inert; the line breaks themselves are kept."""
    return "\n".join(inert(line) for line in str(text).split("\n"))


def json_text(text: str) -> str:
    """JSON text with the characters json.dumps leaves raw (DEL, C1, separators, bidi controls) and
    the first ``#`` of ``##vso[`` written as ``\\uXXXX`` escapes: the same strings to a JSON reader,
    nothing raw on a terminal or for a CI runner (outside strings JSON has no such characters)."""
    return _RAW_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
