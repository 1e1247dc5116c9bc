"""The law registry: cited YAML files under ``configs/laws/``, and user law files given by path.

Each file names a ``form`` (the class in ``scalingplan.laws.FORMS`` that interprets it) and its
``constants``, each a plain number or ``{value, unit, meaning}``; ``citation`` and ``notes`` travel
with the law as metadata.
"""

import os
from functools import lru_cache
from pathlib import Path

from scalingplan.errors import InputError, closest
from scalingplan.catalogues.paths import config_path

REQUIRED_KEYS = ("name", "form", "constants")


def _laws_dir() -> Path:
    return config_path("laws")


def is_path(name: str) -> bool:
    """Whether a law argument names a file rather than a registry entry."""
    return name.endswith((".yaml", ".yml")) or "/" in name or "\\" in name


@lru_cache(maxsize=None)
def _registry() -> dict:
    """name -> parsed file for every registry file, oldest publication first (loaded once per process)."""
    from scalingplan.catalogues.yamlfile import read_yaml_cached

    docs = read_yaml_cached(sorted(_laws_dir().glob("*.yaml")), "registry", "law file")
    docs.sort(key=lambda doc: (str((doc.data.get("citation") or {}).get("year", "")), doc.path))
    return {str(doc.data.get("name", doc.path)): doc for doc in docs}


@lru_cache(maxsize=None)
def _aliases() -> dict:
    table = {}
    for name, doc in _registry().items():
        table[name.lower()] = name
        for alias in doc.data.get("aliases") or []:
            table[str(alias).lower()] = name
    return table


def _families() -> dict:
    families: dict = {}
    for name, doc in _registry().items():
        family = doc.data.get("family")
        if family:
            families.setdefault(str(family).lower(), []).append(name)
    return families


def available() -> list:
    """Names of all registry laws."""
    return list(_registry())


def main_laws() -> list:
    """The laws shown when none are asked for (files with ``main: true``)."""
    return [name for name, doc in _registry().items() if doc.data.get("main", False)]


def canonical_name(name: str) -> str:
    """Registry name for a name or alias; InputError with the nearest suggestion otherwise."""
    found = _aliases().get(name.strip().lower())
    if found is None:
        choices = available() + [a for a in _aliases() if a not in available()] + list(_families())
        raise InputError(f"unknown law '{name}'{closest(name, choices)}; "
                         f"see 'scalingplan laws' for the list, or give a path to a law file")
    return found


def expand(names) -> list:
    """Law arguments -> registry names or paths: family names become their members, no repeats.

    An empty list means the main laws.
    """
    if not names:
        return main_laws()
    out = []
    for name in names:
        if is_path(name):
            members = [name]
        else:
            members = _families().get(name.strip().lower()) or [canonical_name(name)]
        out.extend(member for member in members if member not in out)
    return out


def law_document(name: str):
    """The parsed YAML document of a registry law or a law file."""
    if is_path(name):
        from scalingplan.catalogues.yamlfile import read_yaml

        return read_yaml(name, "law file")
    return _registry()[canonical_name(name)]


def build_law(doc):
    """Validate a parsed law file and build its law object."""
    from scalingplan.laws import FORMS

    data = doc.data
    for key in REQUIRED_KEYS:
        if key not in data:
            raise doc.error((), f"missing key '{key}' (a law file needs {', '.join(REQUIRED_KEYS)})")
    form = str(data["form"])
    if form not in FORMS:
        raise doc.error(("form",), f"unknown form '{form}'{closest(form, list(FORMS))}; "
                        f"known forms: {', '.join(FORMS)}")
    cls = FORMS[form]
    constants = data["constants"]
    if not isinstance(constants, dict):
        raise doc.error(("constants",), "expected a mapping of constant names to numbers")
    for key in constants:
        if key not in cls.constant_names:
            raise doc.error(("constants", key), f"unknown constant for form '{form}'"
                            f"{closest(str(key), list(cls.constant_names))}")
    values = {}
    for key in cls.constant_names:
        if key not in constants:
            raise doc.error(("constants",), f"missing constant '{key}' "
                            f"(form '{form}' needs {', '.join(cls.constant_names)})")
        entry = constants[key]
        if isinstance(entry, dict):
            if "value" not in entry:
                raise doc.error(("constants", key), "expected a number or {value, unit, meaning}")
            values[key] = doc.number("constants", key, "value", value=entry["value"])
        else:
            values[key] = doc.number("constants", key, value=entry)
    meta = {k: v for k, v in data.items() if k != "constants"}
    meta["source"] = doc.path
    meta["validity"] = validity(doc)
    try:
        return cls.from_document(str(data["name"]), values, meta)
    except ValueError as exc:
        key, _, message = str(exc).partition(": ")
        keys = tuple(key.split(".")) if message and " " not in key else ()
        raise doc.error(keys, message if keys else str(exc)) from None


def validity(doc) -> dict:
    """The file's ``validity``: budgets (FLOPs) and model sizes its fit was made on, with a source.

    ``{"flops": (lo, hi), "params": (lo, hi), "source": str}``; a bound may be null (not stated).
    """
    data = doc.data.get("validity")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise doc.error(("validity",), "expected a mapping with flops: [lo, hi], params: [lo, hi], source")
    out = {"source": str(data.get("source", ""))}
    for key in ("flops", "params"):
        if key not in data:
            continue
        pair = data[key]
        if not isinstance(pair, list) or len(pair) != 2:
            raise doc.error(("validity", key), "expected [lo, hi] (null for a bound not stated)")
        bounds = tuple(None if v is None else doc.number("validity", key, value=v) for v in pair)
        if any(b is not None and b <= 0 for b in bounds) or (None not in bounds and bounds[0] >= bounds[1]):
            raise doc.error(("validity", key), f"expected 0 < lo < hi, got {pair}")
        out[key] = bounds
    return out


_LOADED: dict = {}


@lru_cache(maxsize=None)
def law_path(name: str) -> str:
    """The resolved file a law argument reads: the path itself, or the registry file of a name or
    alias (cached: only the file's modification time is checked on each load)."""
    return str((Path(name) if is_path(name) else Path(_registry()[canonical_name(name)].path)).resolve())


def load_law(name: str):
    """A law by registry name, alias or file path; cached on the file's resolved path and mtime.

    An edited file is read again. A registry file is first taken from the registry read at start-up
    (``_registry``), and from the file itself once it has changed since.
    """
    path = law_path(name)
    try:
        key = (path, os.stat(path).st_mtime_ns)
    except OSError:
        return build_law(law_document(name))
    if key not in _LOADED:
        seen = any(k[0] == path for k in _LOADED)
        if is_path(name) or seen:
            from scalingplan.catalogues.yamlfile import read_yaml

            doc = read_yaml(name if is_path(name) else path, "law file")
        else:
            doc = _registry()[canonical_name(name)]
        _LOADED[key] = build_law(doc)
    return _LOADED[key]


def load_laws(names=()) -> list:
    """Laws for a list of arguments (names, aliases, families, paths); the main laws if empty."""
    return [load_law(name) for name in expand(names)]
