"""The entry points of one group, found without importing ``importlib.metadata``.

Every command that loads plugins looks for the ``mig`` entry points. ``importlib.metadata``
answers that, but importing it (with the ``email``, ``zipfile`` and ``csv`` machinery it
brings) costs about 25 ms, a tenth of a no-op ``mig upgrade``. In the usual environment
(installed distributions in plain folders on ``sys.path``, found by Python's own path finder)
the answer is a folder listing and a few small ``entry_points.txt`` files; this module reads
those the way ``importlib.metadata`` does and returns the same entry points in the same order.
Anything else (a zip file or ``.egg`` on ``sys.path``, another finder that supplies
distributions, a file it cannot read as ``importlib.metadata`` would) makes it return None, and
the caller asks ``importlib.metadata``.
"""

from __future__ import annotations

import os
import re
import sys
from functools import reduce
from importlib import import_module
from typing import Any

_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")
_SEPARATORS = re.compile(r"[-_.]+")


class FoundEntryPoint:
    """One entry point: ``name``, ``value`` and ``group`` as in ``entry_points.txt``."""

    __slots__ = ("name", "value", "group", "_dist_path", "_dist")

    def __init__(self, name: str, value: str, group: str, dist_path: str) -> None:
        self.name = name
        self.value = value
        self.group = group
        self._dist_path = dist_path
        self._dist: Any = None

    def load(self) -> Any:
        """The module, or the object inside it, that the value names."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point {self.name!r}: bad value {self.value!r}")
        module = import_module(match.group("module"))
        attrs = filter(None, (match.group("attr") or "").split("."))
        return reduce(getattr, attrs, module)

    @property
    def dist(self) -> Any:
        """The distribution (``importlib.metadata``'s, read when first asked for)."""
        if self._dist is None:
            import importlib.metadata
            import pathlib

            self._dist = importlib.metadata.PathDistribution(pathlib.Path(self._dist_path))
        return self._dist

    def __repr__(self) -> str:
        return f"FoundEntryPoint(name={self.name!r}, value={self.value!r}, group={self.group!r})"


def entry_points(group: str) -> list[FoundEntryPoint] | None:
    """The entry points of ``group`` as ``importlib.metadata.entry_points(group=...)`` lists
    them, or None when this environment needs ``importlib.metadata`` itself."""
    if not _only_the_path_finder():
        return None
    found: list[FoundEntryPoint] = []
    seen: set[str] = set()
    for entry in sys.path:
        infos = _infos_in(entry)
        if infos is None:
            return None
        for normalized, paths in infos.items():
            for path in paths:
                if normalized in seen:
                    continue  # importlib.metadata keeps the first distribution of a name
                seen.add(normalized)
                pairs = _read_entry_points(path)
                if pairs is None:
                    return None
                found.extend(FoundEntryPoint(name, value, group, path)
                             for section, name, value in pairs if section == group)
    return found


def _only_the_path_finder() -> bool:
    from importlib.machinery import PathFinder

    return all(
        finder is PathFinder or getattr(finder, "find_distributions", None) is None
        for finder in sys.meta_path
    )


def _infos_in(entry: Any) -> dict[str, list[str]] | None:
    """Normalized distribution name -> its metadata folders in ``entry``, in listing order."""
    if not isinstance(entry, str):
        return None
    root = entry or "."
    if os.path.basename(entry).lower().endswith(".egg"):
        return None
    try:
        children = os.listdir(root)
    except NotADirectoryError:
        return None  # a zip file: importlib.metadata reads inside it
    except OSError:
        return {}  # missing or unreadable: nothing there for importlib.metadata either
    infos: dict[str, list[str]] = {}
    for child in children:
        low = child.lower()
        if low.endswith((".dist-info", ".egg-info")):
            if not child.endswith((".dist-info", ".egg-info")):
                return None  # an upper-case suffix: named from its metadata instead
            name = low.rpartition(".")[0].partition("-")[0]
            normalized = _SEPARATORS.sub("-", name).lower().replace("-", "_")
            infos.setdefault(normalized, []).append(os.path.join(entry, child))
    return infos


def _read_entry_points(path: str) -> list[tuple[str | None, str, str]] | None:
    """``(section, name, value)`` lines of ``path/entry_points.txt`` ([] when absent)."""
    try:
        with open(os.path.join(path, "entry_points.txt"), encoding="utf-8") as f:
            text = f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError):
        return []
    except (OSError, UnicodeDecodeError):
        return None
    pairs: list[tuple[str | None, str, str]] = []
    section = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section is None:
            continue
        name, sep, value = line.partition("=")
        if not sep:
            return None  # importlib.metadata decides what a malformed file means
        pairs.append((section, name.strip(), value.strip()))
    return pairs
