"""``import alembic`` loads mig: for libraries that import Alembic and cannot be renamed.

A project switching to mig renames ``alembic`` to ``mig_core`` in its own code; the libraries it
uses (Flask-Migrate, pytest-alembic, alembic-utils ...) still say ``import alembic``. Installing
this distribution puts an import hook first on ``sys.meta_path`` at start-up (through
``mig_as_alembic.pth``): ``alembic`` is then a stand-in module that forwards to ``mig_core`` and
reports the Alembic version whose API mig follows as ``__version__``, and ``alembic.x`` is
``mig_core.x``. An installed Alembic is shadowed; ``MIG_AS_ALEMBIC=0`` turns the hook off.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import os
import sys
import types
from typing import Any

__all__ = ["AlembicIsMig", "install", "install_from_site", "uninstall"]


#: Alembic's per-dialect implementation modules, which mig's dialect plugins hold (subclassed by
#: third-party dialects: ``class CockroachImpl(PostgresqlImpl): __dialect__ = "cockroachdb"``)
PLUGIN_MODULES = {
    "alembic.ddl.postgresql": "mig_postgres.impl",
    "alembic.ddl.sqlite": "mig_sqlite_batch.impl",
    "alembic.ddl.mysql": "mig_mysql.impl",
    "alembic.ddl.mssql": "mig_mssql.impl",
    "alembic.ddl.oracle": "mig_oracle.impl",
}


class AlembicIsMig(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``alembic`` and ``alembic.*`` and loads them from mig."""

    def __init__(self) -> None:
        self._specs: dict[int, Any] = {}

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "alembic" and not name.startswith("alembic."):
            return None
        return importlib.machinery.ModuleSpec(name, self, is_package=True)

    def create_module(self, spec: Any) -> types.ModuleType:
        if spec.name == "alembic":
            return _stand_in()
        target = PLUGIN_MODULES.get(spec.name) or "mig_core" + spec.name[len("alembic"):]
        try:
            module = importlib.import_module(target)
        except ModuleNotFoundError as exc:
            missing = exc.name or ""
            if target != missing and not target.startswith(missing + "."):
                raise
            plugin = target.split(".")[0]
            hint = f" (pip install {plugin.replace('_', '-')})" if plugin != "mig_core" else ""
            raise ModuleNotFoundError(
                f"No module named {spec.name!r}: mig stands in for Alembic here "
                f"(mig-as-alembic) and has no {target}{hint}", name=spec.name,
            ) from None
        spec = getattr(module, "__spec__", None)  # None: mig_core.op / .context, the proxies
        if spec is not None:
            self._specs[id(module)] = spec  # the import system overwrites __spec__
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        original = self._specs.pop(id(module), None)
        if original is not None:  # mig's module keeps its own spec (resources, reload)
            module.__spec__ = original


def _stand_in() -> types.ModuleType:
    """The ``alembic`` module: mig_core's names, and Alembic's version number."""
    import mig_core

    module = types.ModuleType("alembic", __doc__)

    def __getattr__(name: str) -> Any:  # a module's __getattr__ (PEP 562)
        """mig_core's attribute, or its submodule (``alembic.command`` without an import)."""
        try:
            return getattr(mig_core, name)
        except AttributeError:
            if not name.startswith("_"):
                try:
                    return importlib.import_module(f"alembic.{name}")
                except ModuleNotFoundError:
                    pass
        raise AttributeError(f"module 'alembic' (mig) has no attribute {name!r}")

    module.__dict__.update({
        "__version__": mig_core.ALEMBIC_API_VERSION,
        "__path__": [],  # a package: ``alembic.x`` imports come back to the finder
        "__getattr__": __getattr__,
        "op": mig_core.op,
        "context": mig_core.context,
    })
    return module


_finder: AlembicIsMig | None = None


def install() -> None:
    """Put the hook first on ``sys.meta_path`` (once)."""
    global _finder
    if _finder is None:
        _finder = AlembicIsMig()
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Take the hook off ``sys.meta_path``; modules already imported stay."""
    if _finder in sys.meta_path:
        sys.meta_path.remove(_finder)


def install_from_site() -> None:
    """What ``mig_as_alembic.pth`` runs at start-up: install unless ``MIG_AS_ALEMBIC=0``."""
    if os.environ.get("MIG_AS_ALEMBIC", "1") != "0":
        install()
