"""Hook specifications: the contract between mig-core and its plugins.

Every hook is prefixed ``mig_``. Each docstring says when the hook is called, who implements it,
whether calling stops at the first non-None result, and what every parameter is. The meta-test
``tests/test_hookspecs.py`` fails when a spec or one of its parameters is undocumented.

Hooks marked *dialect-bound* are called only on plugins that registered the run's dialect, plus
plugins that registered no dialect at all (operation plugins, the core's built-ins). The Oracle
plugin's hooks therefore never run on a PostgreSQL connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from contextlib import AbstractContextManager

    from mig_core.config import Config
    from mig_core.plugins import (
        CommandRegistry,
        DialectRegistry,
        MigPluginManager,
        OperationRegistry,
    )

hookspec = pluggy.HookspecMarker("mig")

#: hooks whose implementations are filtered by the run's dialect (see module docstring)
DIALECT_BOUND_HOOKS = frozenset(
    {
        "mig_ddl_execute",
        "mig_batch_recreate_keep",
        "mig_run_lock",
        "mig_compare_schema",
        "mig_compare_table",
        "mig_compare_column",
        "mig_compare_type",
        "mig_compare_server_default",
        "mig_render_op",
        "mig_render_type",
        "mig_render_imports",
    }
)


# --- bootstrap -------------------------------------------------------------------------------


@hookspec(historic=True)
def mig_addhooks(pluginmanager: MigPluginManager) -> None:
    """Add a plugin's own hook specifications.

    Called once when the plugin is registered (historic, so late plugins are called too).
    Implemented by plugins that define hooks for other plugins. Collects from every plugin.

    :param pluginmanager: the run's :class:`~mig_core.plugins.MigPluginManager`; call
        ``pluginmanager.add_hookspecs(module)``.
    """


@hookspec(historic=True)
def mig_addoption(options: dict[str, Any], pluginmanager: MigPluginManager) -> None:
    """Declare configuration keys the plugin reads, with their defaults.

    Called once per plugin after loading (historic). Implemented by any plugin with settings.
    Collects from every plugin; returns None.

    :param options: a dict mapping ``"<plugin>.<key>"`` to its default; the plugin adds its own
        keys, readable later with ``config.get_main_option("<plugin>.<key>")``.
    :param pluginmanager: the run's plugin manager.
    """


@hookspec(historic=True)
def mig_configure(config: Config) -> None:
    """Called once after the configuration is read and every plugin is loaded.

    Implemented by plugins that need the configuration early. Collects from every plugin.

    :param config: the run's :class:`~mig_core.config.Config`.
    """


@hookspec
def mig_register_commands(registry: CommandRegistry) -> None:
    """Add sub-commands to the ``mig`` CLI.

    Called once per CLI run, before the command line is parsed. Implemented by plugins that ship
    commands (for example ``mig pg-locks``). Collects from every plugin; a name already taken
    by the core or another plugin is a plugin error naming both.

    :param registry: call ``registry.add(name, handler, help=..., setup=...)``; ``setup(parser)``
        adds argparse arguments, ``handler(config, args)`` runs the command and returns an exit code
        or None.
    """


# --- operations ------------------------------------------------------------------------------


@hookspec
def mig_register_operations(registry: OperationRegistry) -> None:
    """Add ``op.<name>`` and ``batch_op.<name>`` directives.

    Called once per plugin manager, the first time operations are needed. Implemented by the core
    (all of Alembic's ``op.*``) and by operation plugins. Collects from every plugin; a name that
    two plugins register is an error naming both.

    :param registry: call ``registry.add(name, target, batch=False)`` where ``target`` is a
        callable (or a ``"module:attribute"`` string, imported on first use) invoked as
        ``target(operations, *args, **kw)``.
    """


# --- DDL implementations ---------------------------------------------------------------------


@hookspec
def mig_register_dialects(registry: DialectRegistry) -> None:
    """Register the DDL implementation class for one or more SQLAlchemy dialect names.

    Called once per plugin manager. Implemented by dialect plugins. Collects from every plugin;
    registering a dialect binds the plugin to it (see module docstring), and two plugins
    registering the same name is an error naming both.

    :param registry: call ``registry.add("postgresql", "mig_postgres.impl:PostgresqlImpl",
        transactional_ddl=True)``; the class may be given as a string so it is imported only when a
        run needs it (``mig plugins`` must not import SQLAlchemy).
    """


@hookspec(firstresult=True)
def mig_ddl_execute(impl: Any, op: Any) -> Any:
    """Carry out one operation object on the implementation (online or as SQL text).

    Called for every operation a migration runs (``op.invoke(op_obj)``). Dialect-bound.
    Implemented by the core (``trylast``: builds schema objects with the run's naming convention
    and calls the impl's method for the operation, or the op's own ``run_on_impl(impl)``) and by
    dialect or operation plugins, which return True to take an operation over. Stops at the
    first non-None result.

    :param impl: the run's DDL implementation (a :class:`mig_core.ddl.impl.DefaultImpl` subclass).
    :param op: the operation object (:mod:`mig_core.operations.ops`).
    :returns: True (or the operation's result, such as the Table ``create_table`` made) when
        handled, None to let the next implementation decide.
    """


# --- batch -----------------------------------------------------------------------------------


@hookspec(firstresult=True)
def mig_batch_recreate(impl: Any, batch: Any) -> bool | None:
    """Apply a batch of table changes by recreating the table ("move and copy").

    Called at the end of a ``batch_alter_table`` block when the batch needs a recreate
    (``recreate="always"``, or ``"auto"`` and an operation the dialect cannot ALTER).
    Not dialect-bound: move-and-copy serves every dialect, so an implementation meant for one
    dialect checks ``impl.dialect_name`` and returns None otherwise. Implemented by
    mig-sqlite-batch. Stops at the first non-None result; no result is an error.

    :param impl: the run's DDL implementation.
    :param batch: the :class:`mig_core.operations.batch.TableBatch` being applied:
        ``table_name``, ``schema``, ``ops`` (queued operation objects, in order), the
        ``batch_alter_table`` options (``copy_from``, ``table_args``, ``table_kwargs``,
        ``reflect_args``, ``reflect_kwargs``, ``naming_convention``, ``partial_reordering``) and
        ``migration_context``.
    :returns: True when the table was recreated.
    """


@hookspec
def mig_batch_recreate_keep(
    impl: Any, batch: Any, columns: dict[str, str]
) -> Callable[[], None] | None:
    """Check what a move and copy of the table would lose, before anything changes.

    Called by a ``mig_batch_recreate`` implementation once the batch is planned and before its
    first statement (for every dialect but SQLite's own flow). Dialect-bound. Implemented by
    dialect plugins whose tables carry properties a ``CREATE TABLE`` / ``INSERT ... SELECT`` /
    ``DROP`` / ``RENAME`` does not (mig-postgres: privileges, row-level security and policies,
    replica identity, publication membership, extended statistics; partitioned and inheriting
    tables and security labels are refused). Collects from every plugin.

    To refuse, raise :class:`mig_core.errors.CommandError` naming the table and the reason. To
    keep something, read it now and return a callable: the recreate calls it with no argument
    after the new table has taken the old name (indexes and triggers recreated), in the same
    transaction. Return None when there is nothing to do (offline runs cannot read a catalog).

    :param impl: the run's DDL implementation (``impl.connection`` online, ``impl.as_sql``).
    :param batch: the :class:`mig_core.operations.batch.TableBatch` (``table_name``, ``schema``).
    :param columns: the old table's column names mapped to their names in the new table; a
        column the batch drops is absent.
    """


# --- runtime ---------------------------------------------------------------------------------


@hookspec(firstresult=True)
def mig_run_lock(
    impl: Any, timeout: float | None, transaction_scoped: bool
) -> AbstractContextManager[None] | None:
    """Return a context manager holding the dialect's run lock for a writing command.

    Called once per online upgrade, downgrade or stamp run, before the version table is read
    (never offline: ``--sql`` scripts hold no lock). Dialect-bound. Implemented by dialect
    plugins (PostgreSQL advisory lock, SQLite write lock, MSSQL ``sp_getapplock``, Oracle
    ``DBMS_LOCK``). Stops at the first non-None result; the core's ``trylast`` default holds no
    lock. ``__enter__`` takes the lock (the lock should live on ``impl.connection`` itself, so
    it dies with that connection and cannot deadlock with ``autocommit_block``); ``__exit__``
    gives it back and is called after the run's transaction has ended.

    :param impl: the run's DDL implementation (``impl.connection`` is the migration connection).
    :param timeout: seconds to wait for the lock; None waits for ever. Running out raises
        :class:`mig_core.errors.LockTimeoutError`.
    :param transaction_scoped: True when the run is inside a transaction the caller began and
        mig cannot release anything after it ends: take a lock that ends with that transaction
        (``__exit__`` then does nothing).
    """


# --- comparators (autogenerate) --------------------------------------------------------------


@hookspec
def mig_compare_schema(ctx: Any, schemas: Sequence[str | None], upgrade_ops: Any) -> None:
    """Compare whole schemas (tables, sequences, types, views) and append operations.

    Called once per autogenerate comparison (per ``run_migrations()`` call of env.py).
    Dialect-bound. Implemented by the core (``trylast``: tables added or removed, then
    ``mig_compare_table`` for each table both sides have) and by plugins comparing schema-level
    objects; a plugin that must see the tables' operations first declares
    ``@hookimpl(wrapper=True)`` and yields before appending. Collects from every plugin; edits
    ``upgrade_ops`` in place and returns None.

    :param ctx: the :class:`~mig_core.autogenerate.context.CompareContext`: ``ctx.metadatas``,
        ``ctx.model_tables(schemas)`` (the model tables the user's filters keep),
        ``ctx.inspector``, ``ctx.connection``, ``ctx.opts``, ``ctx.dialect``,
        ``ctx.snapshot(schema)`` (the bulk reflection), ``ctx.normalize_schema(schema)``.
    :param schemas: the schemas being compared (None is the default schema).
    :param upgrade_ops: the :class:`~mig_core.operations.ops.UpgradeOps` being built.
    """


@hookspec
def mig_compare_table(
    ctx: Any, modify_ops: Any, schema: str | None, name: str, conn_table: Any, meta_table: Any
) -> None:
    """Compare one table present in both the model and the database.

    Called per table pair by the core's ``mig_compare_schema``. Dialect-bound. Implemented by
    the core (``trylast``: columns, indexes, unique constraints, foreign keys, comment) and by
    plugins. Collects from every plugin; appends to ``modify_ops.ops`` in place.

    :param ctx: the comparison context.
    :param modify_ops: the table's :class:`~mig_core.operations.ops.ModifyTableOps`.
    :param schema: the table's schema as the model gives it, None for the default.
    :param name: the table name.
    :param conn_table: the reflected table, a light
        :class:`~mig_core.autogenerate.snapshot.ReflectedTable` (SQLAlchemy's reflection
        records; ``conn_table.to_table()`` builds a :class:`sqlalchemy.Table`).
    :param meta_table: the model's :class:`sqlalchemy.Table`.
    """


@hookspec
def mig_compare_column(
    ctx: Any,
    alter_op: Any,
    schema: str | None,
    table_name: str,
    conn_col: Any,
    meta_col: Any,
) -> None:
    """Compare one column present in both the model and the database.

    Called per column pair by the core's table comparison. Dialect-bound. Implemented by the
    core (``trylast``: type, nullability, server default, comment, computed, identity).
    Collects from every plugin; sets ``alter_op.modify_*`` in place (an op left unchanged is
    dropped).

    :param ctx: the comparison context.
    :param alter_op: the column's pending :class:`~mig_core.operations.ops.AlterColumnOp`,
        its ``existing_*`` attributes already set from the database.
    :param schema: the table's schema.
    :param table_name: the table name.
    :param conn_col: the reflected column, a
        :class:`~mig_core.autogenerate.snapshot.ReflectedColumn` (``name``, ``type``,
        ``nullable``, ``server_default`` as SQL text, ``comment``, ``computed``, ``identity``).
    :param meta_col: the model's :class:`sqlalchemy.Column`.
    """


@hookspec(firstresult=True)
def mig_compare_type(ctx: Any, conn_col: Any, meta_col: Any) -> bool | None:
    """Decide whether two column types differ.

    Called per column pair when type comparison is on, after the user's ``compare_type``
    callable returned None. Dialect-bound. Implemented by dialect plugins (type synonyms) and
    the core (``trylast``: compiled types compared by name and arguments, with synonyms,
    including the impl's ``type_synonyms``). Stops at the first non-None result.

    Decide from the two types (``conn_col.type``, ``meta_col.type``) and the run (``ctx``):
    the verdict is cached per pair of types for the rest of the comparison, so columns with the
    same reflected and model types are asked about once.

    :param ctx: the comparison context.
    :param conn_col: the reflected column.
    :param meta_col: the model's column.
    :returns: True when they differ, False when equal, None for no opinion.
    """


@hookspec(firstresult=True)
def mig_compare_server_default(
    ctx: Any, conn_col: Any, meta_col: Any, conn_default: str | None, meta_default: str | None
) -> bool | None:
    """Decide whether two server defaults differ.

    Called per column pair when ``compare_server_default`` is on, after the user's callable
    returned None. Dialect-bound. Implemented by dialect plugins (which may evaluate both on the
    server through ``ctx.connection``) and the core (``trylast``: text without quotes, casts and
    outer parentheses). Stops at the first non-None result.

    :param ctx: the comparison context.
    :param conn_col: the reflected column.
    :param meta_col: the model's column.
    :param conn_default: the reflected default's SQL text, or None.
    :param meta_default: the model default rendered as SQL text, or None.
    :returns: True when they differ, False when equal, None for no opinion.
    """


# --- renderers (operations -> migration-script source) ---------------------------------------


@hookspec(firstresult=True)
def mig_render_op(ctx: Any, op: Any) -> str | list[str] | None:
    """Render one operation as Python source for a revision file.

    Called per operation when a revision is autogenerated. Dialect-bound. Implemented by the core
    (``trylast``, every built-in operation) and by operation plugins. Stops at the first non-None
    result.

    :param ctx: the :class:`~mig_core.autogenerate.context.RenderContext`: ``ctx.op(name)``
        (``op.`` or ``batch_op.`` prefix), ``ctx.in_batch``, ``ctx.sa_prefix``, ``ctx.imports``,
        ``ctx.render_type(type_)``.
    :param op: the operation object.
    :returns: the source line(s), or None when the operation is not this plugin's.
    """


@hookspec(firstresult=True)
def mig_render_type(ctx: Any, type_: Any) -> str | None:
    """Render a column type as Python source, adding the imports it needs to ``ctx.imports``.

    Called per type rendered. Dialect-bound. Implemented by dialect plugins
    (``postgresql.JSONB(...)``) and the core (``trylast``). Stops at the first non-None result.

    :param ctx: the render context; call ``ctx.render_type(inner)`` for nested types and add
        the imports the text needs to ``ctx.imports``.
    :param type_: the :class:`sqlalchemy.types.TypeEngine` instance.
    :returns: the source text, or None for no opinion.
    """


@hookspec
def mig_render_imports(ctx: Any) -> Iterable[str] | None:
    """Return extra import lines the rendered revision file needs.

    Called once per rendered revision. Dialect-bound. Implemented by plugins whose rendered code
    needs imports. Collects from every plugin.

    :param ctx: the render context (its ``imports`` set holds what rendering has needed so far).
    :returns: import lines such as ``"from sqlalchemy.dialects import postgresql"``, or None.
    """
