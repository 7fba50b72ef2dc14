"""mig_core.testing: helpers for the test suites of projects using mig.

Alembic-style registrations (``Operations.register_operation`` / ``implementation_for``,
``autogenerate.comparators.dispatch_for``, ``autogenerate.renderers.dispatch_for``) are
process-wide, like Alembic's: once a project's module has been imported, every later run in the
process sees them. A test session that runs several projects (services) resets them between
tests::

    import pytest
    from mig_core.testing import reset_registrations

    @pytest.fixture(autouse=True)
    def _mig_registrations():
        yield
        reset_registrations()

(also drop the project's modules from ``sys.modules`` so the next import registers again).
"""

from __future__ import annotations

__all__ = ["reset_registrations"]


def reset_registrations(module: str | None = None) -> None:
    """Forget the Alembic-style registrations (of ``module``, or all) and restore the core
    handlers replaced with ``implementation_for(..., replace=True)``."""
    from mig_core.autogenerate import comparators, renderers
    from mig_core.operations import custom

    comparators.forget(module)
    renderers.forget(module)
    custom.forget(module)
