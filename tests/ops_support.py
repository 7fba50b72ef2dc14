"""Shared helpers for the operation tests: a plugin manager with the core alone (no dialect
plugin: impls that only carry each dialect's offline framing), an offline runner, and a fixture
setting aside dialect plugins' ``@compiles`` overrides so the core's own SQL is what is tested."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mig_core import hookimpl
from mig_core.ddl.impl import DefaultImpl
from mig_core.operations import Operations
from mig_core.plugins import build_plugin_manager, module_plugin
from mig_core.runtime.migration import MigrationContext

#: the offline framing of each dialect's plugin impl (terminator, separator, BEGIN)
FRAMING: dict[str, dict[str, Any]] = {
    "postgresql": {"transactional_ddl": True},
    "sqlite": {"transactional_ddl": True},
    "mssql": {"transactional_ddl": True, "batch_separator": "GO",
              "begin_statement": "BEGIN TRANSACTION"},
    "oracle": {"command_terminator": "", "batch_separator": "/"},
}


def core_impl(dialect: str) -> type:
    """DefaultImpl with only the dialect's framing."""
    attrs = {"dialect_name": dialect, **FRAMING[dialect]}
    return type(f"Core{dialect.title()}Impl", (DefaultImpl,), attrs)


@hookimpl
def _register_core_impls(registry: Any) -> None:
    for dialect in FRAMING:
        registry.add(dialect, core_impl(dialect))


def core_plugin_manager(*plugins: Any) -> Any:
    """The core's built-ins, framing-only impls for the four dialects, and ``plugins``."""
    manager = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    manager.register_plugin(
        module_plugin("core_impls", mig_register_dialects=_register_core_impls), "core_impls"
    )
    for number, plugin in enumerate(plugins):
        manager.register_plugin(plugin, f"test_plugin_{number}")
    return manager


@pytest.fixture(autouse=True)
def without_dialect_compilations() -> Iterator[None]:
    """Set aside the ``@compiles(<construct>, "<dialect>")`` that plugins registered."""
    from sqlalchemy.sql.elements import ClauseElement
    from sqlalchemy.sql.visitors import Visitable

    saved: list[tuple[dict[str, Any], str, Any]] = []
    stack: list[type] = [Visitable, ClauseElement]
    seen: set[type] = set()
    while stack:
        cls = stack.pop()
        if cls in seen:
            continue
        seen.add(cls)
        stack.extend(cls.__subclasses__())
        dispatcher = cls.__dict__.get("_compiler_dispatcher")
        if dispatcher is None:
            continue
        for dialect in FRAMING:
            if dialect in dispatcher.specs:
                saved.append((dispatcher.specs, dialect, dispatcher.specs.pop(dialect)))
    yield
    for specs, dialect, fn in saved:
        specs[dialect] = fn


def offline(pm: Any, dialect: str, fn: Callable[[Any], Any], **opts: Any) -> str:
    """Run ``fn(op)`` as an offline (--sql) migration on ``dialect``; return the SQL text."""
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=dialect,
        opts={"as_sql": True, "output_buffer": buf, **opts},
        plugin_manager=pm,
    )
    with Operations.context(ctx) as op:
        fn(op)
    return buf.getvalue().strip()



