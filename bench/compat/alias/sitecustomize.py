"""On PYTHONPATH, makes every ``alembic[.x]`` import resolve to ``mig_core[.x]``: the rename a
project switching to mig makes, applied to a library that imports Alembic (pytest-alembic).
Used only by bench/compat/pytest_alembic_run.py, in a venv without Alembic."""

import importlib
import importlib.abc
import importlib.util
import sys


class _AlembicIsMig(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        if name == "alembic" or name.startswith("alembic."):
            return importlib.util.spec_from_loader(name, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("mig_core" + spec.name[len("alembic"):])

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _AlembicIsMig())
