"""Reading revision files' markers without importing them, and caching what was read.

A revision file declares ``revision``, ``down_revision``, ``branch_labels`` and ``depends_on`` as
module-level literals. Three readers, cheapest first:

1. a regex scan of the header (between the module docstring and the first ``def``/``class``),
   accepted only when every marker there is a plain literal (``None``, a quoted string, or a
   tuple/list of quoted strings) written once;
2. :mod:`ast`, when the scan is not sure (a marker after a ``def``, written twice, an escaped
   string, a triple-quoted string in the header ...);
3. importing the module, only when a marker is not a literal at all (``down_revision = OTHER``).

:class:`HeaderCache` remembers the result per file, keyed by (size, mtime_ns), in one file per
version folder under ``__pycache__/``, so a warm run only stats the files.
"""

from __future__ import annotations

import marshal
import os
import re
import sys
import time
from collections.abc import Iterator
from typing import Any

from mig_core.errors import RevisionGraphError
from mig_core.script import code_cache

MARKERS = ("revision", "down_revision", "branch_labels", "depends_on")

_STR = r"""'[^'\\\n]*'|"[^"\\\n]*\""""


class _Patterns:
    """The scanner's regexes, compiled on first use: a warm run (every header cached) never
    needs them."""

    def __init__(self) -> None:
        ws = r"(?:\s|#[^\n]*)*"  # blanks, newlines and comments inside brackets
        self.marker = re.compile(
            r"^(revision|down_revision|branch_labels|depends_on)[ \t]*(?::[^=\n]*)?=(?!=)", re.M
        )
        self.value = re.compile(
            rf"[ \t]*(?:(?P<none>None)|(?P<str>{_STR})"
            rf"|(?P<seq>[(\[]{ws}(?:(?:{_STR}){ws},{ws})*(?:(?:{_STR}){ws})?[)\]]))"
            r"[ \t]*(?:#[^\n]*)?(?:\r?\n|\Z)"
        )
        self.string = re.compile(_STR)
        self.item = re.compile(rf"{_STR}|#[^\n]*")
        self.body = re.compile(r"^(?:def|class|async[ \t]+def)\b|^@", re.M)
        self.leading = re.compile(r"(?:[ \t]*(?:#[^\n]*)?\r?\n)*")
        self.create_date = re.compile(r"^[ \t]*Create Date:[ \t]*(.+?)[ \t]*$", re.M)


_compiled: _Patterns | None = None


def _re() -> _Patterns:
    global _compiled
    if _compiled is None:
        _compiled = _Patterns()
    return _compiled


class RevisionHeader:
    """The markers of one revision file, as read from its header.

    ``line`` / ``down_line`` / ``depends_line`` are the 1-based lines of the markers (0 when
    unknown), used to point at the file in error messages. ``cacheable`` is False when the
    markers came from importing the file (their values may depend on other files).
    """

    __slots__ = (
        "path", "revision", "down_revisions", "branch_labels", "depends_on", "doc",
        "create_date", "line", "down_line", "depends_line", "cacheable",
    )

    def __init__(
        self,
        path: str,
        revision: str,
        down_revisions: tuple[str, ...] = (),
        branch_labels: tuple[str, ...] = (),
        depends_on: tuple[str, ...] = (),
        doc: str = "",
        create_date: str | None = None,
        line: int = 0,
        down_line: int = 0,
        depends_line: int = 0,
        cacheable: bool = True,
    ) -> None:
        self.path = path
        self.revision = revision
        self.down_revisions = down_revisions
        self.branch_labels = branch_labels
        self.depends_on = depends_on
        self.doc = doc
        self.create_date = create_date
        self.line = line
        self.down_line = down_line
        self.depends_line = depends_line
        self.cacheable = cacheable

    def as_tuple(self) -> tuple[Any, ...]:
        """Everything but the path, for the cache (marshal handles tuples of str/int/None)."""
        return (
            self.revision, self.down_revisions, self.branch_labels, self.depends_on, self.doc,
            self.create_date, self.line, self.down_line, self.depends_line,
        )

    @classmethod
    def from_tuple(cls, path: str, data: tuple[Any, ...]) -> RevisionHeader:
        return cls(path, *data)

    def __repr__(self) -> str:
        return f"RevisionHeader({self.revision!r}, down={self.down_revisions!r}, path={self.path!r})"


class _NeedsAst(Exception):
    """The regex scan is not sure; let :mod:`ast` decide."""


class _NeedsImport(Exception):
    """A marker is not a literal; only running the module can tell its value."""


# --- docstring -------------------------------------------------------------------------------


def _module_docstring(text: str) -> tuple[str | None, int]:
    """(raw docstring or None, offset just after it) for a docstring written without prefix."""
    pos = _re().leading.match(text).end()  # type: ignore[union-attr]
    for quote in ('"""', "'''"):
        if text.startswith(quote, pos):
            end = text.find(quote, pos + 3)
            if end < 0:
                raise _NeedsAst
            return text[pos + 3 : end], end + 3
    if text.startswith(('"', "'"), pos):
        m = _re().string.match(text, pos)
        if m:
            return m.group(0)[1:-1], m.end()
    return None, 0


def summarize_doc(doc: str | None) -> tuple[str, str | None]:
    """(first paragraph on one line, ``Create Date:`` value) of a module docstring."""
    if not doc:
        return "", None
    paragraph = doc.strip().split("\n\n", 1)[0]
    m = _re().create_date.search(doc)
    return " ".join(paragraph.split()), (m.group(1) if m else None)


# --- the three readers -----------------------------------------------------------------------


def _literal(text: str, pos: int) -> tuple[Any, int] | None:
    """Parse a simple literal starting at ``pos``; None when it is anything else."""
    m = _re().value.match(text, pos)
    if m is None:
        return None
    if m.group("none") is not None:
        return None, m.end()
    if m.group("str") is not None:
        return m.group("str")[1:-1], m.end()
    seq = m.group("seq")
    if seq[0] + seq[-1] not in ("()", "[]"):
        return None
    items = (t.group(0) for t in _re().item.finditer(seq))
    return tuple(t[1:-1] for t in items if t[0] != "#"), m.end()


def scan_header(path: str, text: str) -> RevisionHeader:
    """The regex reader; raises :class:`_NeedsAst` whenever it is not certain."""
    raw_doc, start = _module_docstring(text)
    patterns = _re()
    body = patterns.body.search(text, start)
    stop = body.start() if body else len(text)
    if '"""' in text[start:stop] or "'''" in text[start:stop]:
        raise _NeedsAst
    found: dict[str, tuple[Any, int]] = {}
    for m in patterns.marker.finditer(text, start):
        name = m.group(1)
        if m.start() >= stop or name in found:
            raise _NeedsAst
        parsed = _literal(text, m.end())
        if parsed is None:
            raise _NeedsAst
        found[name] = (parsed[0], text.count("\n", 0, m.start()) + 1)
    if "revision" not in found or "down_revision" not in found:
        raise _NeedsAst
    doc, create_date = summarize_doc(raw_doc)
    return _build(path, {k: v[0] for k, v in found.items()}, {k: v[1] for k, v in found.items()},
                  doc, create_date, cacheable=True)


def ast_header(path: str, text: str) -> RevisionHeader:
    """The :mod:`ast` reader; raises :class:`_NeedsImport` for non-literal markers."""
    import ast

    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise RevisionGraphError(
            f"{path}:{exc.lineno or 0}: revision file cannot be parsed: {exc.msg}"
        ) from None
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        for target in targets:
            if isinstance(target, ast.Name) and target.id in MARKERS:
                try:
                    values[target.id] = ast.literal_eval(value)
                except ValueError:
                    raise _NeedsImport from None
                lines[target.id] = node.lineno
    if "revision" not in values or "down_revision" not in values:
        # assigned somewhere else at module level (an ``if``, ``exec``, ``import *``)?
        for name in ("revision", "down_revision"):
            if name not in values and re.search(rf"\b{name}\b", text):
                raise _NeedsImport
    doc, create_date = summarize_doc(ast.get_docstring(tree, clean=False))
    return _build(path, values, lines, doc, create_date, cacheable=True)


def import_header(path: str) -> RevisionHeader:
    """The last resort: run the module and read its attributes."""
    module = load_module(path)
    values = {name: getattr(module, name) for name in MARKERS if hasattr(module, name)}
    doc, create_date = summarize_doc(module.__doc__)
    return _build(path, values, {}, doc, create_date, cacheable=False)


def _as_ids(path: str, name: str, value: Any, line: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(v, str) for v in value):
        return tuple(dict.fromkeys(value))
    raise RevisionGraphError(
        f"{path}:{line}: {name} must be None, a string or a tuple of strings, got {value!r}"
    )


def _build(
    path: str, values: dict[str, Any], lines: dict[str, int], doc: str,
    create_date: str | None, cacheable: bool,
) -> RevisionHeader:
    if "revision" not in values:
        raise RevisionGraphError(
            f"{path}: no module-level 'revision = \"...\"' marker; is this a revision file?"
        )
    rev = values["revision"]
    if not isinstance(rev, str) or not rev:
        raise RevisionGraphError(
            f"{path}:{lines.get('revision', 0)}: revision must be a non-empty string, got {rev!r}"
        )
    if "down_revision" not in values:
        raise RevisionGraphError(
            f"{path}: no module-level 'down_revision' marker (write down_revision = None for a "
            "base revision)"
        )
    return RevisionHeader(
        path,
        rev,
        _as_ids(path, "down_revision", values["down_revision"], lines.get("down_revision", 0)),
        _as_ids(path, "branch_labels", values.get("branch_labels"), lines.get("branch_labels", 0)),
        _as_ids(path, "depends_on", values.get("depends_on"), lines.get("depends_on", 0)),
        doc,
        create_date,
        lines.get("revision", 0),
        lines.get("down_revision", 0),
        lines.get("depends_on", 0),
        cacheable,
    )


def read_header(path: str, data: bytes | None = None) -> RevisionHeader:
    """The markers of the revision file at ``path`` (a ``.py`` source, or ``.pyc``)."""
    if path.endswith((".pyc", ".pyo")):
        return import_header(path)
    if data is None:
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as exc:
            raise RevisionGraphError(f"{path}: cannot read revision file: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise RevisionGraphError(f"{path}:{line}: revision file is not valid UTF-8") from None
    try:
        return scan_header(path, text)
    except _NeedsAst:
        pass
    try:
        return ast_header(path, text)
    except _NeedsImport:
        return import_header(path)


# --- importing -------------------------------------------------------------------------------

_module_counter = 0
_NON_WORD = re.compile(r"\W")


def load_module(path: str) -> Any:
    """Import the file at ``path`` under a private name; errors name the file and line.

    The code comes, cheapest first, from the folder's code cache
    (:mod:`mig_core.script.code_cache`: one file for every revision of the folder), from a
    current timestamp-based ``__pycache__`` entry, or from importlib's loader (which compiles
    the source and writes the .pyc unless ``sys.dont_write_bytecode``, and handles hash-based
    and sourceless .pyc files). Loading thousands of revisions one stat, and no file read, each
    is what keeps ``upgrade`` from paying the import machinery per revision. The sha256 of the
    source that was loaded is kept for the history table (:func:`code_cache.loaded_digest`).
    """
    import importlib.machinery

    global _module_counter
    _module_counter += 1
    stem = os.path.basename(path).split(".", 1)[0]
    name = f"_mig_revision_{_module_counter}_" + _NON_WORD.sub("_", stem)
    loader: Any
    code: Any = None
    cached = digest = None
    store = None
    if path.endswith((".pyc", ".pyo")):
        loader = importlib.machinery.SourcelessFileLoader(name, path)
    else:
        loader = importlib.machinery.SourceFileLoader(name, path)
        code, cached, digest, store = _revision_code(path)
    spec = importlib.machinery.ModuleSpec(name, loader, origin=path)
    spec.has_location = True
    if cached is not None:
        spec.cached = cached
    module = _new_module(spec, path)
    sys.modules[name] = module
    if digest is not None:
        code_cache._LOADED_DIGESTS[path] = digest
    else:
        code_cache._LOADED_DIGESTS.pop(path, None)
    try:
        if code is None:
            code = loader.get_code(name)
            if store is not None:
                store(code)
        exec(code, module.__dict__)
    except SyntaxError as exc:
        del sys.modules[name]
        raise RevisionGraphError(
            f"{exc.filename or path}:{exc.lineno or 0}: revision file cannot be parsed: {exc.msg}"
        ) from None
    except Exception as exc:
        del sys.modules[name]
        line = _line_in(exc, path)
        raise RevisionGraphError(
            f"{path}:{line}: importing the revision file failed: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _new_module(spec: Any, path: str) -> Any:
    """An empty module with the attributes ``importlib.util.module_from_spec`` would set."""
    import types

    module = types.ModuleType(spec.name)
    module.__spec__ = spec
    module.__loader__ = spec.loader
    module.__package__ = ""
    module.__file__ = path
    if spec.cached is not None:
        module.__dict__["__cached__"] = spec.cached
    return module


def _revision_code(path: str) -> tuple[Any, str | None, str | None, Any]:
    """(code or None, .pyc path, source sha256, a function caching the code) for ``path``.

    A cache hit costs a stat. On a miss the source is read for its digest and the code comes
    from the current .pyc when there is one, else (code None) from the loader; the returned
    function then puts it in the cache.
    """
    import hashlib

    folder, filename = os.path.split(path)
    cache = code_cache.cache_for(folder)
    try:
        st = os.stat(path)
    except OSError:
        return None, None, None, None  # the loader names the problem
    if cache is not None:
        hit = cache.get(filename, st.st_size, st.st_mtime_ns)
        if hit is not None:
            try:
                code = marshal.loads(hit[1])
            except (EOFError, ValueError, TypeError):
                code = None
            if code is not None and _own_filename(code, path):
                return code, _pyc_path(path), hit[0], None
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())  # the size and mtime of what is read
            source = f.read()
    except OSError:
        return None, None, None, None
    digest = hashlib.sha256(source).hexdigest()
    code, cached = _cached_code(path, st)

    def store(compiled: Any) -> None:
        assert cache is not None
        cache.put(filename, st.st_size, st.st_mtime_ns, digest, compiled)

    if cache is None:
        return code, cached, digest, None
    if code is not None:
        store(code)
        return code, cached, digest, None
    return None, None, digest, store


def _pyc_path(path: str) -> str | None:
    """Where importlib keeps ``path``'s .pyc: ``importlib.util.cache_from_source``, spelled
    out for the usual case (POSIX paths, no ``sys.pycache_prefix``) at a fraction of its cost."""
    tag = sys.implementation.cache_tag
    head, sep, tail = path.rpartition("/")
    base = tail.rpartition(".")[0]
    if tag is None or sys.pycache_prefix is not None or os.altsep or not head or not base:
        import importlib.util

        try:
            return importlib.util.cache_from_source(path)
        except NotImplementedError:  # no cache tag on this interpreter
            return None
    opt = sys.flags.optimize
    suffix = f".opt-{opt}.pyc" if opt else ".pyc"
    return f"{head}/__pycache__/{base}.{tag}{suffix}"


def _own_filename(code: Any, path: str) -> bool:
    """Make ``code`` (and its functions) name ``path``, as importlib's loader does for a
    .pyc compiled under another path (a moved project); False when that is not possible."""
    if code.co_filename == path:
        return True
    fix = getattr(sys.modules.get("_imp"), "_fix_co_filename", None)
    if fix is None:
        return False
    fix(code, path)
    return True


def _cached_code(path: str, st: os.stat_result) -> tuple[Any, str | None]:
    """(code, .pyc path) from ``path``'s timestamp-based ``__pycache__`` entry, when it is
    current for the source's mtime and size (``st``); (None, None) otherwise.

    The check is importlib's own for timestamp .pyc files (magic number, flags 0, source
    mtime and size modulo 2**32).
    """
    import importlib.util

    cached = _pyc_path(path)
    if cached is None:
        return None, None
    try:
        with open(cached, "rb") as f:
            data = f.read()
    except OSError:
        return None, None
    if (
        len(data) < 16
        or data[:4] != importlib.util.MAGIC_NUMBER
        or data[4:8] != b"\0\0\0\0"
        or int.from_bytes(data[8:12], "little") != int(st.st_mtime) & 0xFFFFFFFF
        or int.from_bytes(data[12:16], "little") != st.st_size & 0xFFFFFFFF
    ):
        return None, None
    try:
        code = marshal.loads(memoryview(data)[16:])
    except (EOFError, ValueError, TypeError):
        return None, None
    if not _own_filename(code, path):
        return None, None
    return code, cached


def _line_in(exc: BaseException, path: str) -> int:
    """The last traceback line that ran inside ``path`` (0 when none did)."""
    line = 0
    tb = exc.__traceback__
    target = os.path.abspath(path)
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename) == target:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


# --- scanning version folders with a cache ---------------------------------------------------

CACHE_FORMAT = 1
#: files modified less than this long ago are not cached (their mtime may not change on a quick
#: second edit of the same size)
_FRESH_NS = 2_000_000_000


def _cache_path(location: str) -> str:
    tag = sys.implementation.cache_tag or "python"
    return os.path.join(location, "__pycache__", f"mig-headers.{tag}.marshal")


class HeaderCache:
    """Parsed headers of one version folder, keyed by relative path, valid for (size, mtime_ns)."""

    def __init__(self, location: str, enabled: bool = True) -> None:
        self.location = location
        self.path = _cache_path(location)
        self.enabled = enabled
        self.entries: dict[str, tuple[int, int, tuple[Any, ...]]] = {}
        self.dirty = False
        if enabled:
            self._load()

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as f:
                data = marshal.loads(f.read())
        except (OSError, EOFError, ValueError, TypeError):
            return
        if isinstance(data, tuple) and len(data) == 2 and data[0] == CACHE_FORMAT:
            if isinstance(data[1], dict):
                self.entries = data[1]

    def get(self, rel: str, size: int, mtime_ns: int) -> tuple[Any, ...] | None:
        entry = self.entries.get(rel)
        if entry is not None and entry[0] == size and entry[1] == mtime_ns:
            return entry[2]
        return None

    def put(self, rel: str, size: int, mtime_ns: int, header: RevisionHeader) -> None:
        if not header.cacheable or time.time_ns() - mtime_ns < _FRESH_NS:
            if rel in self.entries:
                del self.entries[rel]
                self.dirty = True
            return
        self.entries[rel] = (size, mtime_ns, header.as_tuple())
        self.dirty = True

    def retain(self, seen: set[str]) -> None:
        """Forget files that no longer exist."""
        stale = [k for k in self.entries if k not in seen]
        for key in stale:
            del self.entries[key]
        if stale:
            self.dirty = True

    def save(self) -> None:
        """Write the cache if it changed; an unwritable folder just means no cache."""
        if not (self.enabled and self.dirty):
            return
        code_cache.write_marshal_atomically(self.path, (CACHE_FORMAT, self.entries))
        self.dirty = False


def _is_revision_file(name: str, sourceless: bool) -> bool:
    if name.startswith((".", "__init__.")):
        return False
    if name.endswith(".py"):
        return True
    return sourceless and name.endswith((".pyc", ".pyo"))


def _walk(location: str, recursive: bool, sourceless: bool) -> Iterator[os.DirEntry[str]]:
    try:
        entries = sorted(os.scandir(location), key=lambda e: e.name)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise RevisionGraphError(f"{location}: cannot list version folder: {exc.strerror}") from None
    sources = {e.name[:-3] for e in entries if e.name.endswith(".py")} if sourceless else set()
    for entry in entries:
        if entry.is_dir():
            if entry.name == "__pycache__":
                if sourceless:
                    yield from _legacy_pycs(entry.path, sources)
            elif recursive and not entry.name.startswith("."):
                yield from _walk(entry.path, recursive, sourceless)
        elif _is_revision_file(entry.name, sourceless):
            if entry.name.endswith((".pyc", ".pyo")) and entry.name[:-4] in sources:
                continue  # the .py next to it is the revision
            yield entry


def _legacy_pycs(folder: str, sources: set[str]) -> Iterator[os.DirEntry[str]]:
    """``__pycache__/name.cpython-311.pyc`` files whose source was removed (sourceless mode)."""
    tag = sys.implementation.cache_tag
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        stem, _, rest = entry.name.partition(".")
        if rest == f"{tag}.pyc" and stem not in sources and not stem.startswith("__init__"):
            yield entry


def scan_location(
    location: str, recursive: bool = False, sourceless: bool = False, use_cache: bool = True
) -> list[RevisionHeader]:
    """Headers of every revision file in the version folder ``location`` (sorted by path)."""
    cache = HeaderCache(location, enabled=use_cache)
    headers: list[RevisionHeader] = []
    append = headers.append
    lookup = cache.entries.get
    seen: set[str] = set()
    prefix_len = len(location.rstrip(os.sep)) + 1
    for entry in _walk(location, recursive, sourceless):
        path = entry.path
        rel = path[prefix_len:]
        st = entry.stat()
        seen.add(rel)
        hit = lookup(rel)
        if hit is not None and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            append(RevisionHeader(path, *hit[2]))
            continue
        header = read_header(path)
        cache.put(rel, st.st_size, st.st_mtime_ns, header)
        append(header)
    cache.retain(seen)
    cache.save()
    return headers
