"""The user's defaults: a TOML file in the platform's config directory.

    # ~/.config/scalingplan/config.toml (Linux; see ``config_path`` for macOS and Windows)
    laws = ["chinchilla-3", "epoch2024"]   # default --law
    gpu = "h100"                           # default --gpu where hardware is given without one
    mfu = 0.4                              # default --mfu
    format = "table"                       # default --format

``SCALINGPLAN_CONFIG`` names another file (which must exist); ``--no-config`` (or
``SCALINGPLAN_NO_CONFIG=1``) ignores it. Options given on the command line always win.

The file is read like a law file (a regular file, at most MAX_CONFIG_BYTES, UTF-8) and every value is
checked as its flag is (``format`` one of the formats, ``gpu`` a catalogue accelerator, ``mfu`` in
(0, 1]); a bad one is one line naming the file and key, exit 2.
"""

import os
import sys
from pathlib import Path

from scalingplan.errors import InputError

KEYS = {"laws": list, "gpu": str, "mfu": float, "format": str}
MAX_CONFIG_BYTES = 64 * 1024
"""A config holds four settings; a file past this is refused unread."""
_state = {"disabled": False, "loaded": None}


def config_path() -> Path:
    """Where the config file lives on this platform (``SCALINGPLAN_CONFIG`` overrides it)."""
    if os.environ.get("SCALINGPLAN_CONFIG"):
        return Path(os.environ["SCALINGPLAN_CONFIG"])
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "scalingplan" / "config.toml"


def disable() -> None:
    """Ignore the config file for the rest of this process (``--no-config``)."""
    _state["disabled"] = True


def read_config(path: Path) -> dict:
    """The checked settings of a config file; InputError naming the file and key when wrong."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    from scalingplan.catalogues.yamlfile import read_bytes_bounded

    raw = read_bytes_bounded(path, "config file", MAX_CONFIG_BYTES)
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{path}: cannot read the config file: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: config file is not valid TOML: {exc}") from None
    except RecursionError:
        raise InputError(f"{path}: config file is nested too deeply") from None
    settings = {}
    for key, value in data.items():
        if key not in KEYS:
            raise InputError(f"{path}: {key}: unknown setting; known: {', '.join(KEYS)}")
        expected = KEYS[key]
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is list and not all(isinstance(v, str) for v in value)):
            raise InputError(f"{path}: {key}: expected {'a list of law names' if expected is list else expected.__name__}")
        try:
            settings[key] = _check(key, value)
        except InputError as exc:
            raise InputError(f"{path}: {key}: {exc.render(prefix=False)}") from None
    return settings


def _check(key: str, value):
    """A setting checked as its flag is."""
    if key == "format":
        from scalingplan.output.render import FORMATS

        if value.lower() not in FORMATS:
            raise InputError(f"unknown format '{value}'; choose one of {', '.join(FORMATS)}")
        return value.lower()
    if key == "mfu":
        from scalingplan.compute.hardware import check_mfu

        return check_mfu(value)
    if key == "gpu":
        from scalingplan.compute.hardware import find_accelerator

        find_accelerator(value)
    return value


def settings() -> dict:
    """The user's settings (empty when there is no config file or it is disabled)."""
    if _state["disabled"] or os.environ.get("SCALINGPLAN_NO_CONFIG"):
        return {}
    if _state["loaded"] is None:
        path = config_path()
        named = bool(os.environ.get("SCALINGPLAN_CONFIG"))
        _state["loaded"] = read_config(path) if named or path.exists() else {}
    return _state["loaded"]


def setting(key: str, default=None):
    """One setting, or ``default``."""
    return settings().get(key, default)
