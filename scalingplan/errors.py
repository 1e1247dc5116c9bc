"""Error types shared by the library and the command line.

The command line maps them to exit codes: ``InputError`` -> 2 (one line on stderr),
any other exception -> ``EXIT_INTERNAL``. Exit code 1 is reserved for "a check failed".
"""

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_INPUT = 2
EXIT_INTERNAL = 3


def flag(field: str) -> str:
    """The command-line spelling of a field: ``gpu_hours`` -> ``--gpu-hours`` (paths stay as they are)."""
    if field.startswith("-") or "." in field or " " in field or field.isupper():
        return field
    return "--" + field.replace("_", "-")


class InputError(ValueError):
    """Bad input from the user: a number, a name, a file. The message is one line.

    ``field`` names what is wrong (``"flops"``); ``mentions`` are other fields that ``message``
    refers to as ``{0}``, ``{1}``, .... The command line spells them as flags (``--flops``), a plan
    file as its keys (``budget.flops``), so the library never guesses where its input came from.
    """

    def __init__(self, message: str, field: str | None = None, mentions: tuple = ()):
        self.message, self.field, self.mentions = message, field, tuple(mentions)
        super().__init__(self.render())

    def render(self, spell=flag, prefix: bool = True) -> str:
        """The message with fields spelled by ``spell``; ``prefix`` puts the field first."""
        text = self.message.format(*map(spell, self.mentions)) if self.mentions else self.message
        return f"{spell(self.field)}: {text}" if self.field and prefix else text

    def __str__(self) -> str:
        return self.render()


def closest(name: str, choices) -> str:
    """Return ' (did you mean X?)' for the nearest of ``choices``, or '' if none is close."""
    import difflib

    match = difflib.get_close_matches(name.lower(), [c.lower() for c in choices], n=1, cutoff=0.5)
    if not match:
        return ""
    original = next(c for c in choices if c.lower() == match[0])
    return f" (did you mean '{original}'?)"
