"""Where the shipped configuration files live, in a source tree and in an installed package."""

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent


def config_dir() -> Path:
    """The ``configs`` folder: bundled into the package on install, at the repo top in a checkout."""
    bundled = _PACKAGE / "configs"
    return bundled if bundled.is_dir() else _PACKAGE.parent / "configs"


def config_path(*parts: str) -> Path:
    """Path of a shipped configuration file, e.g. ``config_path("laws", "kaplan2020.yaml")``."""
    return config_dir().joinpath(*parts)
