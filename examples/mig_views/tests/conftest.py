"""The repository's shared database fixtures (``sqlite_url``, ``postgres_url``) for these tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_NAME = "mig_tests_shared_conftest"
if _NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        _NAME, Path(__file__).resolve().parents[3] / "tests" / "conftest.py"
    )
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[_NAME] = _module
    _spec.loader.exec_module(_module)

postgres_url = sys.modules[_NAME].postgres_url
sqlite_url = sys.modules[_NAME].sqlite_url
