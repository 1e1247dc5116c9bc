"""Reading YAML configuration safely, with line numbers for error messages.

Only ``safe_load``-equivalent loaders are used. PyYAML follows YAML 1.1, so values such as ``6e23``
arrive as strings; ``number_at`` coerces them and names the file, line and key when it cannot.
"""

import json
import os
from pathlib import Path

from scalingplan.errors import InputError
from scalingplan.numbers import parse_number


class YamlDoc:
    """A parsed YAML mapping plus the line of every key, for messages like ``plan.yaml:4: key``."""

    def __init__(self, path, data, lines):
        self.path = str(path)
        self.data = data
        self._lines = lines

    def line(self, *keys) -> int | None:
        """1-based line of the key path, or of its nearest parent that has one."""
        keys = tuple(keys)
        while keys:
            if keys in self._lines:
                return self._lines[keys]
            keys = keys[:-1]
        return None

    def where(self, *keys) -> str:
        """'file:line' for a key path."""
        line = self.line(*keys)
        return f"{self.path}:{line}" if line else self.path

    def error(self, keys, message) -> InputError:
        """An InputError naming file, line and key."""
        return InputError(f"{self.where(*keys)}: {'.'.join(map(str, keys))}: {message}" if keys
                          else f"{self.where()}: {message}")

    def number(self, *keys, value=None) -> float:
        """The value at ``keys`` as a finite float (``value`` overrides the lookup)."""
        if value is None:
            value = self.data
            for key in keys:
                value = value[key]
        try:
            return parse_number(value, ".".join(map(str, keys)))
        except InputError as exc:
            raise InputError(f"{self.where(*keys)}: {exc}") from None


def _key_lines(node, prefix, out):
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = prefix + (key_node.value,)
            out[path] = key_node.start_mark.line + 1
            _key_lines(value_node, path, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = prefix + (index,)
            out[path] = item.start_mark.line + 1
            _key_lines(item, path, out)


def read_yaml(path, what: str = "file") -> YamlDoc:
    """Parse a YAML file whose top level must be a mapping; errors are one line with file:line."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read {what}: {exc}") from None
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{where}: YAML syntax error: {problem}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a YAML mapping of keys at the top level")
    lines: dict = {}
    _key_lines(node, (), lines)
    return YamlDoc(path, data, lines)


def _cache_file(name: str) -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "scalingplan" / f"{name}.json"


def read_yaml_cached(paths, name: str, what: str = "file") -> list:
    """``read_yaml`` for several files through a JSON cache keyed on their paths, sizes and mtimes.

    Parsing JSON is several times cheaper than importing PyYAML and parsing YAML, which matters for a
    command run on every CI commit. The cache is best-effort: any problem falls back to YAML.
    SCALINGPLAN_NO_CACHE=1 turns it off.
    """
    paths = [Path(p) for p in paths]
    use_cache = not os.environ.get("SCALINGPLAN_NO_CACHE")
    try:
        key = [[str(p), p.stat().st_mtime_ns, p.stat().st_size] for p in paths]
    except OSError:
        use_cache = False
    cache = _cache_file(name)
    if use_cache:
        try:
            stored = json.loads(cache.read_text(encoding="utf-8"))
            if stored["key"] == key:
                return [YamlDoc(d["path"], d["data"], {tuple(k): line for k, line in d["lines"]})
                        for d in stored["docs"]]
        except (OSError, ValueError, KeyError, TypeError):
            pass
    docs = [read_yaml(p, what) for p in paths]
    if use_cache:
        try:
            text = json.dumps({"key": key, "docs": [
                {"path": d.path, "data": d.data, "lines": [[list(k), v] for k, v in d._lines.items()]}
                for d in docs]})
            cache.parent.mkdir(parents=True, exist_ok=True)
            temporary = cache.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(text, encoding="utf-8")
            os.replace(temporary, cache)
        except (OSError, TypeError, ValueError):
            pass
    return docs
