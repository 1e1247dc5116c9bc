"""Reading configuration files safely and boundedly, with line numbers for error messages.

Every file goes through ``read_bytes_bounded``: regular files only (a FIFO, a device or a directory is
refused before any read), at most a stated size. YAML is then checked event by event before anything
is built from it: nesting depth is capped, anchors and aliases are refused (expanding them is how a
few hundred bytes become gigabytes), and so are plain scalars that YAML 1.1 reinterprets (``6:46`` as
the base-60 number 406, ``017`` as octal 15) and integers too long to convert. Duplicate keys are an
error naming both lines. Only ``safe_load``-equivalent loaders are used; PyYAML follows YAML 1.1, so
values such as ``6e23`` arrive as strings and ``number`` coerces them, naming file, line and key.
"""

import json
import os
import re
import stat
from pathlib import Path

from scalingplan.errors import InputError
from scalingplan.numbers import parse_number

MAX_YAML_BYTES = 1 << 20
"""Law, plan, model and hardware files: the largest shipped one is a few KB."""
MAX_DEPTH = 32
"""Nesting of lists and mappings; the deepest shipped file nests 4 levels."""
MAX_VALUES = 50_000
"""Parser events (values, lists, mappings) in one file; the largest shipped file, models.yaml, has
about 900. Building and checking a node costs far more than reading its bytes, so a file of many
tiny values under the size limit is refused before any node is built."""
MAX_INT_DIGITS = 400
"""Past this no integer is a float (1.8e308 has 309 digits); Python refuses to convert past 4,300."""
_INT_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_AMBIGUOUS = re.compile(r"[-+]?(0[0-9_]+(\.[0-9_]*)?([eE][-+]?[0-9]+)?|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)")
"""Plain scalars YAML 1.1 reads as octal (``017``) or base 60 (``6:46``, ``1:30.5``)."""


def read_bytes_bounded(path, what: str = "file", limit: int = MAX_YAML_BYTES) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes; InputError (one line) otherwise.

    The file is opened without blocking (a FIFO with no writer would wait forever) and checked on
    the open descriptor, so it cannot be swapped between the check and the read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError(f"{path}: no such {what}") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise InputError(f"{path}: cannot read {what}: {kind}")
        if info.st_size > limit:
            raise InputError(f"{path}: {what} too large ({info.st_size:,} bytes; the limit is {limit:,})")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:  # grew while being read
            raise InputError(f"{path}: {what} too large (over the limit of {limit:,} bytes)")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def check_writable(path, what: str = "--output") -> None:
    """InputError unless ``path`` is a new file in a writable folder or an existing writable regular
    one, checked before any work: writing to a FIFO would wait for a reader forever, to a device would
    not leave a file, and a missing or read-only folder would fail only after the work."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise InputError(f"{what}: cannot write {path} (no folder {folder})") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise InputError(f"{what}: cannot write {path} (the folder {folder} is not writable)") from None
        return
    except OSError as exc:
        raise InputError(f"{what}: cannot write {path} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{what}: {path} is {'a directory' if stat.S_ISDIR(info.st_mode) else 'not a regular file'}")
    if not os.access(path, os.W_OK):
        raise InputError(f"{what}: cannot write {path} (the file is read-only)")


def write_text(path, text: str, what: str = "--output") -> None:
    """Write ``text`` to a new or regular file (``check_writable``), never blocking on a FIFO."""
    check_writable(path, what)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags, 0o644)
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped in since the check
            os.close(fd)
            raise InputError(f"{what}: {path} is not a regular file")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(f"{what}: cannot write {path} ({exc.strerror or exc})") from None


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

    def text(self, *keys, value=None) -> str:
        """The value at ``keys`` as text (a plain scalar: a name such as 2024 reads as '2024'); a list,
        mapping, boolean or null is an error naming file, line and key (``value`` overrides the lookup)."""
        if value is None:
            value = self.data
            for key in keys:
                value = value[key]
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.error(keys, f"expected text, got {type(value).__name__}")
        return str(value)

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


def _check_events(yaml, loader_class, text: str, path) -> None:
    """Refuse deep nesting, anchors, aliases and too many values in one pass over the parser's events
    (no nodes built)."""
    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=loader_class)):
        line = event.start_mark.line + 1
        if count >= MAX_VALUES:
            raise InputError(f"{path}:{line}: more than {MAX_VALUES:,} values in one file")
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise InputError(f"{path}:{line}: YAML anchors and aliases (&name, *name, <<) are not "
                             "supported; write the values out")
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(f"{path}:{line}: nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1


def _check_scalar(node, path) -> None:
    if node.tag in _INT_TAGS and not node.style:  # plain (None in PyYAML, "" in the C loader)
        value = node.value
        if _AMBIGUOUS.fullmatch(value):
            raise InputError(f"{path}:{node.start_mark.line + 1}: '{value}' is ambiguous (YAML 1.1 reads it as "
                             "an octal or base-60 number); write it without leading zeros or colons, or quote it")
        if node.tag == _INT_TAGS[0] and len(value) > MAX_INT_DIGITS:
            raise InputError(f"{path}:{node.start_mark.line + 1}: integer of {len(value):,} digits is too "
                             f"long (at most {MAX_INT_DIGITS})")


def _key_lines(root, path) -> dict:
    """Key path -> 1-based line, walking the node tree without recursion; refuses duplicate keys and
    ambiguous or oversized numbers on the way."""
    import yaml

    out: dict = {}
    stack = [(root, ())]
    while stack:
        node, prefix = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    raise InputError(f"{path}:{key_node.start_mark.line + 1}: a key must be a plain name")
                _check_scalar(key_node, path)
                line = key_node.start_mark.line + 1
                if key_node.value in seen:
                    raise InputError(f"{path}:{line}: duplicate key '{key_node.value}' (first at line "
                                     f"{seen[key_node.value]})")
                seen[key_node.value] = line
                keys = prefix + (key_node.value,)
                out[keys] = line
                stack.append((value_node, keys))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                keys = prefix + (index,)
                out[keys] = item.start_mark.line + 1
                stack.append((item, keys))
        else:
            _check_scalar(node, path)
    return out


def parse_yaml(text: str, path) -> YamlDoc:
    """A YamlDoc from YAML text whose top level must be a mapping; errors are one line with file:line."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        _check_events(yaml, loader_class, text, path)
        loader = loader_class(text)
        try:
            node = loader.get_single_node()
            lines = _key_lines(node, path) if node is not None else {}
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{where}: YAML syntax error: {problem}") from None
    except (ValueError, TypeError, RecursionError) as exc:
        if isinstance(exc, InputError):
            raise
        raise InputError(f"{path}: cannot read YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a YAML mapping of keys at the top level")
    return YamlDoc(path, data, lines)


def _decode(raw: bytes, path, what: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: cannot read {what}: not UTF-8 text") from None


def read_yaml(path, what: str = "file") -> YamlDoc:
    """Read and parse a YAML file whose top level must be a mapping (bounded; see the module doc)."""
    return parse_yaml(_decode(read_bytes_bounded(path, what), path, what), Path(path))


# --- the cache of parsed shipped files ----------------------------------------------------------------
CACHE_VERSION = 3
"""Bump when the parse or a caller's check of the documents changes: a cache holds checked documents."""


def _cache_dir_fd() -> int | None:
    """A descriptor of the cache directory, if it is a real directory owned by this user that no one
    else can write to (created 0700 if missing); None means: do not use a cache."""
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    directory = os.path.join(root, "scalingplan")
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    info = os.fstat(fd)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022:
        os.close(fd)
        return None
    return fd


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data`` in hex. CPython's built-in ``_sha256`` first: ``hashlib`` loads OpenSSL,
    which costs a command started on every CI commit a few milliseconds."""
    try:
        from _sha256 import sha256
    except ImportError:  # other interpreters, or Python 3.12+ (``_sha2``)
        from hashlib import sha256
    return sha256(data).hexdigest()


DOCS_MARK = b', "docs": '
"""What precedes the documents in a cache file, which ends with them. (Outside a JSON string only: a
quote inside one is escaped.)"""


def _load_cache(dir_fd: int, name: str, key: list, paths: list):
    """The cached documents if the cache file is ours, matches ``key`` and has the right shape."""
    try:
        fd = os.open(f"{name}.json", os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0),
                     dir_fd=dir_fd)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if (not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o022
                or info.st_size > 8 * MAX_YAML_BYTES):
            return None
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(8 * MAX_YAML_BYTES + 1)
        stored = json.loads(raw)
        if stored.get("version") != CACHE_VERSION or stored.get("key") != key:
            return None
        if stored.get("digest") != sha256_hex(raw.partition(DOCS_MARK)[2][:-1]):
            return None
        docs = stored["docs"]
        if len(docs) != len(paths):
            return None
        out = []
        for entry, path in zip(docs, paths):
            data, lines = entry["data"], entry["lines"]
            if entry["path"] != str(path) or not isinstance(data, dict) or not isinstance(lines, list):
                return None
            table = {}
            for keys, line in lines:
                if not (isinstance(keys, list) and isinstance(line, int)):
                    return None
                table[tuple(keys)] = line
            out.append(YamlDoc(entry["path"], data, table))
        return out
    except Exception:  # noqa: BLE001 - a damaged cache of any kind falls back to the files
        return None
    finally:
        os.close(fd)


def _store_cache(dir_fd: int, name: str, key: list, docs: list) -> None:
    """Write the cache atomically: a fresh file (O_EXCL, never through a symlink), then rename."""
    entries = json.dumps([{"path": d.path, "data": d.data, "lines": [[list(k), v] for k, v in d._lines.items()]}
                          for d in docs])
    # The checksum covers the documents' text as stored, so a damaged or hand-edited cache is not
    # believed, and checking it needs no second serialisation.
    head = json.dumps({"version": CACHE_VERSION, "key": key, "digest": sha256_hex(entries.encode())})
    text = head[:-1] + DOCS_MARK.decode() + entries + "}"
    temporary = f".{name}.{os.getpid()}.{os.urandom(6).hex()}.tmp"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(temporary, flags, 0o600, dir_fd=dir_fd)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, f"{name}.json", src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(temporary, dir_fd=dir_fd)
        except OSError:
            pass
        raise


def read_yaml_cached(paths, name: str, what: str = "file", check=None) -> list:
    """``read_yaml`` for several files through a JSON cache keyed on their content (SHA-256);
    ``check(doc)``, if given, runs on each document when it is parsed, before it is cached.

    Parsing JSON is several times cheaper than importing PyYAML and parsing YAML, which matters for a
    command run on every CI commit. The cache lives in $XDG_CACHE_HOME/scalingplan (or ~/.cache),
    is used only if that directory belongs to this user and is not writable by others, is written
    atomically, and is checked on read; any problem falls back to the files.
    SCALINGPLAN_NO_CACHE=1 turns it off.
    """
    paths = [Path(p) for p in paths]
    raw = [read_bytes_bounded(p, what) for p in paths]
    key = [[str(p), sha256_hex(b)] for p, b in zip(paths, raw)]
    dir_fd = None if os.environ.get("SCALINGPLAN_NO_CACHE") else _cache_dir_fd()
    try:
        docs = None if dir_fd is None else _load_cache(dir_fd, name, key, paths)
        if docs is None:
            docs = [parse_yaml(_decode(b, p, what), p) for p, b in zip(paths, raw)]
            if check is not None:
                for doc in docs:
                    check(doc)
            if dir_fd is not None:
                try:
                    _store_cache(dir_fd, name, key, docs)
                except (OSError, TypeError, ValueError):
                    pass
        for doc, (_, digest) in zip(docs, key):
            doc.digest = digest  # the SHA-256 of the bytes the document was read from
        return docs
    finally:
        if dir_fd is not None:
            os.close(dir_fd)
