"""``Operations`` (the ``op`` of revision scripts) and ``BatchOperations`` (``batch_op``).

``op.<name>`` is looked up in the plugin manager's operation registry, which the core fills with
Alembic's directives (``mig_core.builtin.operations``) and plugins extend through
``mig_register_operations``; core and third-party operations therefore work the same way.
Alembic's ``Operations.register_operation`` / ``implementation_for`` decorators feed the same
registry and handler table (:mod:`mig_core.operations.custom`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from mig_core.errors import CommandError, PluginError
from mig_core.operations import custom
from mig_core.operations.batch import TableBatch
from mig_core.operations.naming import f as _f
from mig_core.operations.schemaobj import SchemaObjects

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_T = TypeVar("_T")
_C = TypeVar("_C", bound=Callable[..., Any])


def _not_loaded(plugin_manager: Any) -> str:
    """``; not loaded: plugin 'grants' (blocked)`` when installed plugins were left out, one of
    which may be the operation's."""
    left_out = [f"plugin {r.name!r} ({r.status})" for r in plugin_manager.records.values()
                if r.status in ("blocked", "failed") and not r.builtin]
    return f"; not loaded: {', '.join(left_out)}" if left_out else ""


class Operations:
    """The ``op`` object: every registered operation as a method, plus the helpers below."""

    #: True on ``batch_op``
    is_batch = False

    def __init__(self, migration_context: Any, impl: Any = None) -> None:
        self.migration_context = migration_context
        self.impl = impl if impl is not None else migration_context.impl
        self.schema_obj = SchemaObjects.for_options(getattr(migration_context, "opts", None))
        plugin_manager = migration_context.plugin_manager
        custom.install(plugin_manager)  # Alembic-style register_operation, as plugins
        self._registry = plugin_manager.operations

    # --- registered operations ---------------------------------------------------------------
    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        registry = self.__dict__.get("_registry")
        if registry is None:
            raise AttributeError(name)
        plugin_manager = self.migration_context.plugin_manager
        custom.install(plugin_manager)
        current = plugin_manager.operations
        if current is not registry:
            # Alembic-style operations registered after this object was made (another
            # Operations, a batch_op say, may have been the one to install them)
            for cached in [n for n in self.__dict__ if n in registry.entries]:
                del self.__dict__[cached]
            registry = self._registry = current
        entry = registry.entries.get(name)
        prefix = "batch_op" if self.is_batch else "op"
        if entry is None:
            raise AttributeError(
                f"{prefix}.{name}: no such operation (a plugin adds operations through "
                f"mig_register_operations; see `mig plugins`{_not_loaded(plugin_manager)})"
            )
        if self.is_batch and not entry.batch:
            raise AttributeError(f"batch_op.{name}: operation {name!r} has no batch form")
        try:
            target = entry.load()
        except Exception as exc:
            raise PluginError(
                f"operation {name!r} of plugin {entry.plugin!r} cannot be loaded: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        if self.is_batch:
            target = getattr(target, "batch_form", None) or target
        elif getattr(target, "batch_only", False):
            raise AttributeError(
                f"op.{name}: operation {name!r} was registered on BatchOperations only; use "
                f"batch_op.{name} inside op.batch_alter_table()"
            )
        bound = functools.partial(target, self)
        functools.update_wrapper(bound, target)
        self.__dict__[name] = bound
        return bound

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        for name, entry in self._registry.entries.items():
            if entry.batch or not self.is_batch:
                names.add(name)
        return sorted(names)

    # --- Alembic's API for custom operations ---------------------------------------------------
    @classmethod
    def register_operation(
        cls, name: str, sourcename: str | None = None
    ) -> Callable[[type[_T]], type[_T]]:
        """Class decorator: the operation class's classmethod ``sourcename`` (default ``name``)
        becomes ``op.<name>`` (``batch_op.<name>`` when called on :class:`BatchOperations`).

        Alembic's API, kept for ported code; a plugin (``mig_register_operations``) is the mig
        way. See :mod:`mig_core.operations.custom`.
        """
        return custom.register_operation(name, sourcename, batch=cls.is_batch)

    @classmethod
    def implementation_for(cls, op_cls: Any, replace: bool = False) -> Callable[[_C], _C]:
        """Decorator: ``fn(operations, operation)`` carries out ``op_cls`` objects when they are
        invoked (through ``mig_ddl_execute``, like every operation)."""
        return custom.implementation_for(op_cls, replace=replace)

    # --- running operation objects -----------------------------------------------------------
    def invoke(self, operation: Any) -> Any:
        """Carry out an operation object (``mig_ddl_execute``); returns its result."""
        if not custom.has_implementation(operation):
            return self.impl.invoke(operation)
        token = custom.invoking(self)
        try:
            result = self.impl.invoke(operation)
        finally:
            custom.done_invoking(token)
        return None if result is custom.NO_RESULT else result

    # --- helpers ---------------------------------------------------------------------------------
    def f(self, name: str) -> Any:
        """Mark a constraint or index name as final: naming conventions leave it as it is."""
        return _f(name)

    def inline_literal(self, value: Any, type_: Any = None) -> Any:
        """A value written into the SQL as a literal (for ``execute`` in offline scripts)."""
        from mig_core.ddl.base import InlineLiteral

        return InlineLiteral(value, type_)

    def get_bind(self) -> Connection:
        """The connection migrations run on; offline (``--sql``), a stand-in whose executions
        (``execute()``, ``exec_driver_sql()``, ``Enum.create(bind)`` ...) are written into the
        script, and whose reads raise an error."""
        return self.migration_context.bind  # type: ignore[no-any-return]

    def get_context(self) -> Any:
        """The :class:`~mig_core.runtime.migration.MigrationContext` of the run."""
        return self.migration_context

    def run_async(self, async_function: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        """Call ``await async_function(async_connection, *args, **kw)`` on the migration's
        connection (same transaction); needs an async driver and an online run."""
        if self.migration_context.as_sql:
            raise CommandError("op.run_async() cannot run in offline (--sql) mode")
        conn = self.get_bind()
        if conn is None or not getattr(conn.dialect, "is_async", False):
            raise CommandError(
                "op.run_async() needs an async driver (sqlite+aiosqlite, postgresql+asyncpg "
                "...); this run's engine is synchronous"
            )
        from sqlalchemy.ext.asyncio import AsyncConnection
        from sqlalchemy.util import await_only

        async_conn = AsyncConnection._retrieve_proxy_for_target(conn)
        if async_conn is None:
            raise CommandError(
                "op.run_async(): the migration connection was not opened from an async engine "
                "(run migrations through AsyncConnection.run_sync)"
            )
        return await_only(async_function(async_conn, *args, **kw))

    @contextmanager
    def batch_alter_table(
        self,
        table_name: str,
        schema: str | None = None,
        recreate: str = "auto",
        partial_reordering: Sequence[Sequence[str]] | None = None,
        copy_from: Any = None,
        table_args: Sequence[Any] = (),
        table_kwargs: Mapping[str, Any] | None = None,
        reflect_args: Sequence[Any] = (),
        reflect_kwargs: Mapping[str, Any] | None = None,
        naming_convention: Mapping[Any, str] | None = None,
    ) -> Iterator[BatchOperations]:
        """Queue changes to one table on ``batch_op``; apply them when the block ends.

        With ``recreate="never"`` (or ``"auto"`` where the dialect can ALTER) they run as plain
        ALTERs in order; otherwise the table is recreated through ``mig_batch_recreate``.
        """
        if not isinstance(table_name, str):
            from mig_core.operations.opbase import OperationArgumentError

            raise OperationArgumentError(
                f"batch_alter_table: table_name must be a string, got {table_name!r}"
            )
        batch = TableBatch(
            table_name,
            schema,
            self.migration_context,
            recreate=recreate,
            partial_reordering=partial_reordering,
            copy_from=copy_from,
            table_args=tuple(table_args),
            table_kwargs=dict(table_kwargs or {}),
            reflect_args=tuple(reflect_args),
            reflect_kwargs=dict(reflect_kwargs or {}),
            naming_convention=naming_convention,
        )
        yield BatchOperations(self.migration_context, batch, impl=self.impl)
        # a core operation whose handler was replaced (implementation_for(..., replace=True))
        # is queued; when applied as an ALTER its implementation gets this Operations
        token = custom.invoking(self)
        try:
            batch.apply()
        finally:
            custom.done_invoking(token)

    @classmethod
    @contextmanager
    def context(cls, migration_context: Any) -> Iterator[Operations]:
        """Make ``from mig_core import op`` point at a new Operations inside the block."""
        from mig_core.proxies import op

        operations = cls(migration_context)
        with op.installed(operations):
            yield operations


class BatchOperations(Operations):
    """``batch_op``: the batch forms of the table-level operations, queued on one table."""

    is_batch = True

    def __init__(self, migration_context: Any, batch: TableBatch, impl: Any = None) -> None:
        super().__init__(migration_context, impl=impl)
        self.batch = batch

    @property
    def table_name(self) -> str:
        return self.batch.table_name

    @property
    def schema(self) -> str | None:
        return self.batch.schema

    def invoke(self, operation: Any) -> Any:
        """Queue the operation; the batch applies it when its block ends.

        ``batch_op.execute()`` runs at once, before the queued operations, as in Alembic
        (histories written for Alembic rely on it: SQL that reads a column the batch drops,
        or a batch that is otherwise a table recreate). An operation of a class with its own
        Alembic-style implementation (``implementation_for`` on a class the core has no
        handler for) runs now too, and its implementation gets this ``BatchOperations``: what
        it invokes is queued like any ``batch_op`` call. A core operation whose handler was
        replaced (``replace=True``) is queued as usual, so the batch (and a recreate) still
        sees it.
        """
        if _is_execute(operation):
            return Operations.invoke(self, operation)
        if custom.runs_immediately_in_batch(operation):
            self.__dict__["_implementing"] = self.__dict__.get("_implementing", 0) + 1
            try:
                return Operations.invoke(self, operation)
            finally:
                self.__dict__["_implementing"] -= 1
        self.batch.add(operation)
        return None

    @contextmanager
    def batch_alter_table(self, *args: Any, **kw: Any) -> Iterator[BatchOperations]:
        raise CommandError("batch_alter_table cannot be nested inside another batch")
        yield  # pragma: no cover


def _is_execute(operation: Any) -> bool:
    from mig_core.operations.ops import ExecuteSQLOp

    return isinstance(operation, ExecuteSQLOp)
