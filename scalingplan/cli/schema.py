"""`scalingplan schema`: the JSON Schema of a command's --json answer."""

import json
import sys
from typing import Annotated, List, Optional

import typer

from scalingplan.errors import InputError, closest


def schema(
    command: Annotated[Optional[List[str]], typer.Argument(
        help="The command, e.g. allocate or 'laws show'. Without one: the commands that have a schema.",
        show_default=False)] = None,
):
    """Print the JSON Schema (draft 2020-12) of a command's --json output.

    Example: scalingplan schema allocate   (also: scalingplan schema laws show)
    """
    from scalingplan.output.schemas import COMMANDS, schema as schema_of

    if not command:
        sys.stdout.write("\n".join(COMMANDS) + "\n")
        return
    name = " ".join(command).replace("-", " ").lower()
    if name not in COMMANDS:
        raise InputError(f"no schema for '{name}'{closest(name, list(COMMANDS))}; "
                         f"commands with one: {', '.join(COMMANDS)}")
    sys.stdout.write(json.dumps(schema_of(name), indent=2, ensure_ascii=False) + "\n")
