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

    docs = read_yaml_cached(sorted(_laws_dir().glob("*.yaml")), "registry", "law file", check_metadata)
    docs.sort(key=lambda doc: (str((doc.data.get("citation") or {}).get("year", "")), doc.path))
    registry: dict = {}
    for doc in docs:
        name = str(doc.data.get("name", doc.path))
        if name in registry:
            raise doc.error(("name",), f"'{name}' is already the name of {registry[name].path}; "
                            "each registry law needs its own name")
        registry[name] = doc
    return registry


@lru_cache(maxsize=None)
def _aliases() -> dict:
    """Lower-case name or alias -> registry name; a name or alias used twice is an error naming both."""
    table, owner = {}, {}
    for name, doc in _registry().items():
        for alias in [name] + list(doc.data.get("aliases") or []):
            key = str(alias).lower()
            if key in table and table[key] != name:
                raise doc.error(("aliases",), f"'{alias}' already names the law in {owner[key]}; a name or "
                                "alias may stand for one law only")
            table[key], owner[key] = name, doc.path
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
        shown = name if len(name) <= 80 else name[:77] + "..."
        raise InputError(f"unknown law '{shown}'{closest(name[:200], choices)}; "
                         f"see 'scalingplan laws' for the list, or give a path to a law file")
    return found


def expand(names) -> list:
    """Law arguments -> registry names or paths: family names become their members, no repeats.

    An empty list means the main laws.
    """
    if names is None or isinstance(names, (str, os.PathLike)):
        names = [] if names is None else [names]
    try:
        names = list(names)
    except TypeError:
        raise InputError(f"laws: expected a list of law names or paths, got {type(names).__name__}") from None
    if not names:
        return main_laws()
    out = []
    for name in map(law_argument, names):
        if is_path(name):
            members = [name]
        else:
            members = _families().get(name.strip().lower()) or [canonical_name(name)]
        out.extend(member for member in members if member not in out)
    return out


TEXT_KEYS = ("name", "summary", "family", "quantity")
PUBLISHED_COLUMNS = ["params", "flops", "tokens"]


def _text_list(doc, key) -> None:
    value = doc.data.get(key)
    if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise doc.error((key,), "expected a list of text items")


MAX_PUBLISHED_ROWS = 1_000
"""A paper's own projections are a table of a few rows (Hoffmann et al. 2022 Table 3 has 9); each is
compared with the law and shown, so their number is bounded."""


def check_metadata(doc) -> None:
    """Check the metadata of a law file as strictly as its constants: the text fields are text,
    ``aliases`` and ``notes`` lists of text, ``citation`` a mapping of plain values (or text),
    ``main`` true or false, and ``published`` a mapping whose ``rows`` are [params, flops, tokens]
    triples of positive numbers."""
    data = doc.data
    for key in TEXT_KEYS:
        if key in data and not isinstance(data[key], str):
            raise doc.error((key,), f"expected text, got {type(data[key]).__name__} {data[key]!r}"[:200])
    for key in ("aliases", "notes"):
        _text_list(doc, key)
    if "main" in data and not isinstance(data["main"], bool):
        raise doc.error(("main",), "expected true or false")
    citation = data.get("citation")
    if citation is not None and not isinstance(citation, (str, dict)):
        raise doc.error(("citation",), "expected a mapping (authors, title, year, ...) or text")
    if isinstance(citation, dict):
        for key, value in citation.items():
            if isinstance(value, (dict, list)):
                raise doc.error(("citation", key), "expected a plain value")
    published = data.get("published")
    if published is None:
        return
    if not isinstance(published, dict):
        raise doc.error(("published",), "expected a mapping of source, columns and rows")
    if "source" in published and not isinstance(published["source"], str):
        raise doc.error(("published", "source"), "expected text")
    if published.get("columns", PUBLISHED_COLUMNS) != PUBLISHED_COLUMNS:
        raise doc.error(("published", "columns"), f"expected {PUBLISHED_COLUMNS}")
    rows = published.get("rows", [])
    if not isinstance(rows, list):
        raise doc.error(("published", "rows"), "expected a list of [params, flops, tokens] rows")
    if len(rows) > MAX_PUBLISHED_ROWS:
        raise doc.error(("published", "rows"), f"at most {MAX_PUBLISHED_ROWS:,} rows, got {len(rows):,}")
    for i, row in enumerate(rows):
        if not (isinstance(row, list) and len(row) == 3):
            raise doc.error(("published", "rows", i), "expected a row of three numbers: [params, flops, tokens]")
        for j, value in enumerate(row):
            if doc.number("published", "rows", i, j, value=value) <= 0:
                raise doc.error(("published", "rows", i), f"{PUBLISHED_COLUMNS[j]} must be positive, got {value!r}")
    corrections = published.get("corrections") or []
    if not isinstance(corrections, list):
        raise doc.error(("published", "corrections"), "expected a list of {row, column, corrected, why}")
    for i, fix in enumerate(corrections):
        keys = ("published", "corrections", i)
        if not (isinstance(fix, dict) and isinstance(fix.get("row"), int) and not isinstance(fix["row"], bool)
                and 0 <= fix["row"] < len(rows) and fix.get("column") in ("flops", "tokens")):
            raise doc.error(keys, f"expected {{row: 0 to {len(rows) - 1}, column: flops or tokens, corrected, why}}")
        if doc.number(*keys, "corrected", value=fix.get("corrected")) <= 0:
            raise doc.error(keys, "corrected must be positive")


def distinct_names(laws: list) -> list:
    """``laws`` with repeats of the same law dropped; InputError if two different laws share a name,
    so that a law file never silently stands in for (or beside) a registry law of the same name."""
    out, seen = [], {}
    for law in laws:
        source = str(law.meta.get("source"))
        if law.name in seen:
            if seen[law.name] != source:
                raise InputError(f"two laws are named '{law.name}' ({seen[law.name]} and {source}); "
                                 "rename one (the 'name' key of a law file)")
            continue
        seen[law.name] = source
        out.append(law)
    return out


def build_law(doc):
    """Validate a parsed law file and build its law object."""
    from scalingplan.laws import FORMS

    data = doc.data
    for key in REQUIRED_KEYS:
        if key not in data:
            raise doc.error((), f"missing key '{key}' (a law file needs {', '.join(REQUIRED_KEYS)})")
    check_metadata(doc)
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
"""(absolute path, SHA-256 of the file's bytes) -> law: a law is read again whenever its file's content
changes, however the change was made (in place, by a new symlink target, or another working directory)."""


def law_argument(name) -> str:
    """A law argument as text: a registry name, alias or family, or a path (``os.PathLike`` too);
    InputError for anything else."""
    if isinstance(name, os.PathLike):
        name = os.fspath(name)
        if isinstance(name, bytes):
            name = os.fsdecode(name)
    if not isinstance(name, str):
        raise InputError(f"a law is a registry name, an alias or the path of a law file, got "
                         f"{type(name).__name__} {name!r}"[:200])
    if not name.strip() or "\0" in name:
        raise InputError(f"a law is a registry name, an alias or the path of a law file, got {name[:80]!r}")
    return name


def law_document(name: str):
    """The parsed YAML document of a registry law or a law file."""
    name = law_argument(name)
    if is_path(name):
        from scalingplan.catalogues.yamlfile import read_yaml

        return read_yaml(name, "law file")
    return _registry()[canonical_name(name)]


def load_law(name):
    """A law by registry name, alias or file path (text or ``os.PathLike``).

    Cached on the file's absolute path and the SHA-256 of its bytes, read on every call: an edited
    file (even in place, at the same size and time), a path relative to a new working directory
    and a retargeted symlink all give the law the file holds now. A registry file unchanged since
    start-up comes from the registry read then (``_registry``, itself cached on content).
    """
    from scalingplan.catalogues.yamlfile import read_bytes_bounded, sha256_hex

    name = law_argument(name)
    registry_doc = None if is_path(name) else _registry()[canonical_name(name)]
    path = name if registry_doc is None else registry_doc.path
    raw = read_bytes_bounded(path, "law file")
    digest = sha256_hex(raw)
    key = (os.path.abspath(path), digest)
    if key not in _LOADED:
        if registry_doc is not None and getattr(registry_doc, "digest", None) == digest:
            doc = registry_doc
        else:
            from scalingplan.catalogues.yamlfile import _decode, parse_yaml

            doc = parse_yaml(_decode(raw, path, "law file"), Path(path))
        _LOADED[key] = build_law(doc)
    return _LOADED[key]


def load_laws(names=()) -> list:
    """Laws for a list of arguments (names, aliases, families, paths); the main laws if empty.
    Two different laws of the same name are refused (``distinct_names``)."""
    return distinct_names([load_law(name) for name in expand(names)])
