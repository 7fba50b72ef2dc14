"""The compiled code of a version folder's revision files, in one file.

``upgrade`` over thousands of revisions would otherwise read a ``.pyc`` (and, for the history
table's checksum, the ``.py``) per revision; on a machine whose page cache is short-lived that
is most of the cost of loading them. One entry per file name: ``(size, mtime_ns, sha256 of the
source, marshalled code)``. An entry is used only while the file's size and mtime (to the
nanosecond, where ``.pyc`` files compare whole seconds) are unchanged, the rule of the header
cache; files modified in the last two seconds are not cached (a second edit of the same size
could keep the mtime on a coarse clock).

The cache is ``__pycache__/mig-code.<cache tag>[.opt-N].marshal`` beside the files, tagged with
the interpreter's magic number, and written atomically when the run ends (:func:`save_all`, also
registered with :mod:`atexit`), unless ``sys.dont_write_bytecode``. An unreadable or unwritable
cache just means no cache.
"""

from __future__ import annotations

import atexit
import marshal
import os
import sys
import time
from typing import Any

FORMAT = 1
#: files modified less than this long ago are not cached
_FRESH_NS = 2_000_000_000


def _magic() -> bytes:
    import importlib.util

    return importlib.util.MAGIC_NUMBER


def _cache_file(folder: str) -> str | None:
    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    opt = f".opt-{sys.flags.optimize}" if sys.flags.optimize else ""
    return os.path.join(folder, "__pycache__", f"mig-code.{tag}{opt}.marshal")


def write_marshal_atomically(path: str, value: Any) -> None:
    """Write ``marshal.dumps(value)`` to ``path`` through a temporary file and a rename, so
    readers see the old file or the new one; an unwritable folder just means no cache.
    Nothing is written while Python is told not to write bytecode (``PYTHONDONTWRITEBYTECODE``,
    ``python -B``): like a ``.pyc``, the cache lives in ``__pycache__`` beside the sources."""
    if sys.dont_write_bytecode:
        return
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(marshal.dumps(value))
        os.replace(tmp, path)
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass


class CodeCache:
    """The entries of one folder, loaded on first use."""

    def __init__(self, folder: str, path: str) -> None:
        self.folder = folder
        self.path = path
        self.entries: dict[str, tuple[int, int, str, bytes]] = {}
        self.dirty = False
        try:
            with open(path, "rb") as f:
                data = marshal.loads(f.read())
        except (OSError, EOFError, ValueError, TypeError):
            return
        if (
            isinstance(data, tuple)
            and len(data) == 3
            and data[0] == FORMAT
            and data[1] == _magic()
            and isinstance(data[2], dict)
        ):
            self.entries = data[2]

    def get(self, name: str, size: int, mtime_ns: int) -> tuple[str, bytes] | None:
        """(source sha256, marshalled code) of ``name`` if cached for this size and mtime."""
        entry = self.entries.get(name)
        if entry is not None and entry[0] == size and entry[1] == mtime_ns:
            return entry[2], entry[3]
        return None

    def put(self, name: str, size: int, mtime_ns: int, digest: str, code: Any) -> None:
        if time.time_ns() - mtime_ns < _FRESH_NS:
            if self.entries.pop(name, None) is not None:
                self.dirty = True
            return
        try:
            blob = marshal.dumps(code)
        except ValueError:  # not marshallable: leave it out
            return
        self.entries[name] = (size, mtime_ns, digest, blob)
        self.dirty = True

    def save(self) -> None:
        """Write the cache if it changed, forgetting files that no longer exist."""
        if not self.dirty:
            return
        self.dirty = False
        try:
            present = set(os.listdir(self.folder))
        except OSError:
            return
        entries = {k: v for k, v in self.entries.items() if k in present}
        write_marshal_atomically(self.path, (FORMAT, _magic(), entries))


_CACHES: dict[str, CodeCache | None] = {}
_registered = False


def cache_for(folder: str) -> CodeCache | None:
    """The cache of ``folder`` (read once per process); None where there can be none."""
    try:
        return _CACHES[folder]
    except KeyError:
        pass
    global _registered
    path = _cache_file(folder)
    cache = CodeCache(folder, path) if path is not None else None
    _CACHES[folder] = cache
    if cache is not None and not _registered:
        atexit.register(save_all)
        _registered = True
    return cache


def save_all() -> None:
    """Write every cache that changed (the runner calls this when a run ends)."""
    for cache in list(_CACHES.values()):
        if cache is not None:
            cache.save()


#: sha256 of the source each revision file was loaded from in this process, by path
_LOADED_DIGESTS: dict[str, str] = {}


def loaded_digest(path: str | None) -> str | None:
    """The sha256 of the source ``path`` was last loaded from in this process, if known."""
    return _LOADED_DIGESTS.get(path) if path else None


def file_digest(path: str) -> str:
    """The sha256 of ``path``'s bytes, as the history table records a revision's checksum:
    from the folder's code cache while its entry is current (one stat, no read), else by
    reading the file. Raises OSError when the file cannot be read."""
    import hashlib

    folder, filename = os.path.split(path)
    if not path.endswith((".pyc", ".pyo")):
        cache = cache_for(folder)
        if cache is not None:
            st = os.stat(path)
            hit = cache.get(filename, st.st_size, st.st_mtime_ns)
            if hit is not None:
                return hit[0]
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()
