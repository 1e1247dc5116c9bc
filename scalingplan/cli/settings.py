"""The user's defaults: a TOML file in the platform's config directory.

    # ~/.config/scalingplan/config.toml (Linux; see ``config_path`` for macOS and Windows)
    laws = ["chinchilla-3", "epoch2024"]   # default --law
    gpu = "h100"                           # default --gpu where hardware is given without one
    mfu = 0.4                              # default --mfu
    format = "table"                       # default --format

``SCALINGPLAN_CONFIG`` names another file; ``--no-config`` (or ``SCALINGPLAN_NO_CONFIG=1``) ignores it.
Options given on the command line always win.
"""

import os
import sys
from pathlib import Path

from scalingplan.errors import InputError

KEYS = {"laws": list, "gpu": str, "mfu": float, "format": str}
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
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise InputError(f"{path}: cannot read the config file: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: config file is not valid TOML: {exc}") from None
    settings = {}
    for key, value in data.items():
        if key not in KEYS:
            raise InputError(f"{path}: {key}: unknown setting; known: {', '.join(KEYS)}")
        expected = KEYS[key]
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is list and not all(isinstance(v, str) for v in value)):
            raise InputError(f"{path}: {key}: expected {'a list of law names' if expected is list else expected.__name__}")
        settings[key] = value
    return settings


def settings() -> dict:
    """The user's settings (empty when there is no config file or it is disabled)."""
    if _state["disabled"] or os.environ.get("SCALINGPLAN_NO_CONFIG"):
        return {}
    if _state["loaded"] is None:
        path = config_path()
        _state["loaded"] = read_config(path) if path.is_file() else {}
    return _state["loaded"]


def setting(key: str, default=None):
    """One setting, or ``default``."""
    return settings().get(key, default)
