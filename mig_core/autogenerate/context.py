"""The contexts handed to comparator and renderer hooks.

:class:`CompareContext` carries one comparison: the model (one or several ``MetaData``), the
migration context (connection, dialect, impl, options), the bulk-reflected snapshot of each
schema, the user's filters, and the hook callers bound to the run's dialect.

:class:`RenderContext` carries one rendering: module prefixes, the import lines the rendered code
needs (``ctx.imports``), ``render_item``, batch mode, and :meth:`RenderContext.render_type`,
which dialect plugins call back into for nested types (``ARRAY(item)``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mig_core.errors import CommandError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from mig_core.autogenerate.snapshot import SchemaSnapshot
    from mig_core.autogenerate.translate import SchemaTranslation
    from mig_core.runtime.migration import MigrationContext

#: ``include_name`` / ``include_object`` type names
OBJECT_TYPES = (
    "schema",
    "table",
    "column",
    "index",
    "unique_constraint",
    "foreign_key_constraint",
    "check_constraint",
)


def _metadata_list(target: Any) -> list[sa.MetaData]:
    if target is None:
        return []
    if isinstance(target, Sequence) and not isinstance(target, (str, bytes)):
        return list(target)
    return [target]


def _as_callables(value: Any) -> list[Callable[..., Any]]:
    if value is None:
        return []
    if callable(value):
        return [value]
    return list(value)


class CompareContext:
    """Everything a comparator needs: model, database snapshot, options, filters, hooks.

    Attributes plugins read: ``metadata`` (the first MetaData, or None), ``metadatas`` (all of
    them), ``migration_context``, ``connection``, ``dialect``, ``dialect_name``, ``impl``,
    ``opts`` (the ``configure()`` options), ``hooks`` (dialect-bound hook callers),
    ``inspector`` (created on first use), and :meth:`snapshot` (the reflected schema).
    """

    def __init__(
        self,
        migration_context: MigrationContext,
        metadata: Any = None,
        opts: dict[str, Any] | None = None,
    ) -> None:
        self.migration_context = migration_context
        self.opts: dict[str, Any] = dict(migration_context.opts)
        if opts:
            self.opts.update(opts)
        if metadata is None:
            metadata = self.opts.get("target_metadata")
        self.metadatas = _metadata_list(metadata)
        self.metadata = self.metadatas[0] if self.metadatas else None
        # the database itself: offline, MigrationContext.connection is a stand-in that writes
        # into the SQL script and cannot be reflected
        self.connection = migration_context.live_connection
        if self.connection is None:
            raise CommandError(
                "autogenerate needs a database connection: configure the migration context with "
                "connection=... (it cannot compare in --sql mode)"
            )
        self.dialect = migration_context.dialect
        self.dialect_name: str = str(self.dialect.name)
        self.impl = migration_context.impl
        from mig_core.autogenerate.families import Families
        from mig_core.runtime.plugins import enabled_plugins

        #: the plugin names ``autogenerate_plugins`` enables, resolved once per comparison
        self.autogenerate_plugins = enabled_plugins(self.opts.get("autogenerate_plugins"))
        #: which of the core's comparisons run (see mig_core.autogenerate.families)
        self.families = Families(self.autogenerate_plugins)
        install_dispatch(getattr(migration_context, "plugin_manager", None),
                         self.autogenerate_plugins)
        self.hooks = migration_context.hooks
        self._inspector: Any = None
        self._snapshots: dict[str | None, SchemaSnapshot] = {}
        self._name_filters = _as_callables(self.opts.get("include_name"))
        self._object_filters = _as_callables(self.opts.get("include_object"))
        # an excluded plugin's comparison is off whatever its option says
        self.compare_type_option = (
            self.opts.get("compare_type", True) if self.families.types else False
        )
        self.compare_server_default_option = (
            self.opts.get("compare_server_default", False) if self.families.defaults else False
        )
        self.default_schema: str | None = None
        self.translation: SchemaTranslation | None = None
        self._meta_tables: dict[tuple[str | None, str], sa.Table] | None = None
        # the filters' verdict on each table, by (schema, name), asked once per comparison
        self._table_names: dict[tuple[str | None, str], bool] = {}
        self._table_objects: dict[tuple[str | None, str], bool] = {}
        #: the database tables the comparison drops, by (schema, name) (schema None: default)
        self.dropped_tables: set[tuple[str | None, str]] = set()
        #: caches shared by comparators for one run (compiled types and the like)
        self.cache: dict[Any, Any] = {}
        self._direct: dict[str, Callable[..., Any]] = {}

    def hook(self, name: str) -> Callable[..., Any]:
        """The caller of hook ``name``; the plain function when the core's is the only one.

        Comparison calls the column hooks tens of thousands of times; skipping pluggy's
        dispatch when no plugin implements a hook keeps that cheap. Results are the same.
        """
        caller = self._direct.get(name)
        if caller is None:
            caller = getattr(self.hooks, name)
            impls = caller.get_hookimpls()
            if (
                len(impls) == 1
                and impls[0].plugin_name == "mig_core.builtin.compare"
                and not impls[0].hookwrapper
                and not getattr(impls[0], "wrapper", False)
            ):
                caller = impls[0].function
            self._direct[name] = caller
        return caller

    # --- model ----------------------------------------------------------------------------
    def meta_tables(self) -> dict[tuple[str | None, str], sa.Table]:
        """Every model table keyed by ``(schema, name)`` (schema None is the default schema)."""
        if self._meta_tables is None:
            tables: dict[tuple[str | None, str], sa.Table] = {}
            for md in self.metadatas:
                for table in md.tables.values():
                    key = (self.normalize_schema(table.schema), table.name)
                    if key in tables and tables[key] is not table:
                        raise CommandError(
                            f"table {table.fullname!r} is declared in two MetaData objects of "
                            "target_metadata; each table may appear in only one"
                        )
                    tables[key] = table
            self._meta_tables = tables
        return self._meta_tables

    def normalize_schema(self, schema: str | None) -> str | None:
        """None for the default schema, whether it is named or not."""
        if schema is not None and schema == self.default_schema:
            return None
        return schema

    # --- database ---------------------------------------------------------------------------
    @property
    def inspector(self) -> Any:
        """A SQLAlchemy ``Inspector`` on the connection (made once)."""
        if self._inspector is None:
            import sqlalchemy as sa

            from mig_core.autogenerate.translate import translation_for

            self._inspector = sa.inspect(self.connection)
            self.translation = translation_for(
                self.connection, self._inspector.default_schema_name
            )
            # a model's schema=None is where the connection's schema_translate_map sends it
            self.default_schema = self.translation.default_schema
        return self._inspector

    def database_schema(self, schema: str | None) -> str | None:
        """The schema reflection reads for model schema ``schema``: where the connection's
        ``schema_translate_map`` sends it (see mig_core.autogenerate.translate); ``schema``
        itself before anything was reflected."""
        if self.translation is None:
            return schema
        return self.translation.to_database(schema)

    def snapshot(self, schema: str | None) -> SchemaSnapshot:
        """The reflected tables of ``schema`` (one bulk reflection per schema, made once)."""
        if schema not in self._snapshots:
            from mig_core.autogenerate.snapshot import reflect_schema

            self._snapshots[schema] = reflect_schema(self, schema)
        return self._snapshots[schema]

    def is_version_table(self, schema: str | None, name: str) -> bool:
        """True for mig's own tables (version and history), which autogenerate never reports."""
        own = self.cache.get("own_tables")
        if own is None:
            from mig_core.runtime.history import history_table_name

            version_schema = self.normalize_schema(self.opts.get("version_table_schema"))
            own = {(version_schema, self.opts.get("version_table") or "mig_version")}
            history = history_table_name(self.opts)
            if history:
                history_schema = self.opts.get("history_table_schema",
                                               self.opts.get("version_table_schema"))
                own.add((self.normalize_schema(history_schema), history))
            self.cache["own_tables"] = own
        return (schema, name) in own

    def release(self) -> None:
        """Drop the snapshots, caches and inspector of a finished comparison.

        They reference each other (a column its table, a plugin's catalog this context), so
        without this only a garbage-collector pass would free them; released here, reference
        counting frees them at once and the collector has little left to scan.
        """
        for snapshot in self._snapshots.values():
            snapshot.release()
        self._snapshots = {}
        self.cache = {}
        self._direct = {}
        self._inspector = None

    # --- filters ----------------------------------------------------------------------------
    def run_name_filters(self, name: Any, type_: str, parent_names: dict[str, Any]) -> bool:
        """``include_name`` callables: False leaves the object out before reflection."""
        if not self._name_filters:
            return True
        if type_ == "table":
            schema = parent_names.get("schema_name")
            parent_names.setdefault(
                "schema_qualified_table_name", f"{schema}.{name}" if schema else name
            )
        elif "table_name" in parent_names:
            schema = parent_names.get("schema_name")
            table = parent_names["table_name"]
            parent_names.setdefault(
                "schema_qualified_table_name", f"{schema}.{table}" if schema else table
            )
        for fn in self._name_filters:
            if not fn(name, type_, parent_names):
                return False
        return True

    def table_name_included(self, schema: str | None, name: str) -> bool:
        """``include_name(name, "table", ...)`` for a table of ``schema``, asked once: the
        database's table and the model's of the same name are one name."""
        if not self._name_filters:
            return True
        key = (schema, name)
        verdict = self._table_names.get(key)
        if verdict is None:
            verdict = self._table_names[key] = self.run_name_filters(
                name, "table", {"schema_name": schema}
            )
        return verdict

    def model_table_included(
        self, schema: str | None, name: str, table: sa.Table, conn_table: Any
    ) -> bool:
        """``include_object`` for the model's table, asked once (``conn_table``: the database's
        table of that name, or None), as the core's table comparison asks it."""
        key = (schema, name)
        verdict = self._table_objects.get(key)
        if verdict is None:
            verdict = self._table_objects[key] = self.run_object_filters(
                table, name, "table", False, conn_table
            )
        return verdict

    def model_tables(
        self, schemas: Iterable[str | None]
    ) -> dict[tuple[str | None, str], sa.Table]:
        """The model tables of ``schemas`` (None: the default schema) that the comparison
        covers, keyed by ``(schema, name)``: the ones ``include_name`` and ``include_object``
        keep, mig's own tables left out; for plugins comparing a property of tables.

        The verdicts are the table comparison's, whichever asks first (each filter is asked
        about a table once per comparison); ``include_object`` sees the reflected table as
        ``compare_to`` when the database has it.
        """
        key = ("mig_core.model_tables", tuple(schemas))
        cached = self.cache.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        wanted = set(key[1])
        out = {}
        for (schema, name), table in self.meta_tables().items():
            if schema not in wanted or self.is_version_table(schema, name):
                continue
            conn_table = self._conn_table(schema, name)
            if conn_table is None and not self.table_name_included(schema, name):
                continue
            if self._object_filters and not self.model_table_included(
                schema, name, table, conn_table
            ):
                continue
            out[(schema, name)] = table
        self.cache[key] = out
        return out

    def _conn_table(self, schema: str | None, name: str) -> Any:
        """The database's table ``name`` as the table comparison sees it (None when the
        filters hide it or the database lacks it); nothing is reflected for this when the
        tables are not compared (``~alembic.autogenerate.tables``)."""
        if not self._object_filters:
            return None  # only include_object is shown it
        snapshot = self._snapshots.get(schema)
        if snapshot is None:
            if not self.families.tables:
                return None
            snapshot = self.snapshot(schema)
        return snapshot.tables.get(name)

    @staticmethod
    def table_parent_names(table: str, schema: str | None) -> dict[str, Any]:
        """The complete ``parent_names`` of a table's columns, indexes and constraints, made once
        per table for :meth:`run_table_name_filters`."""
        return {"table_name": table, "schema_name": schema,
                "schema_qualified_table_name": f"{schema}.{table}" if schema else table}

    def run_table_name_filters(self, name: Any, type_: str, parents: dict[str, Any]) -> bool:
        """:meth:`run_name_filters` for an object of a table, with ``parents`` from
        :meth:`table_parent_names`: each call gets its own copy, as each Alembic call gets its
        own dict (a filter may change it)."""
        names = dict(parents)
        for fn in self._name_filters:
            if not fn(name, type_, names):
                return False
        return True

    def run_object_filters(
        self, obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        """``include_object`` callables: False leaves the object out of the comparison."""
        for fn in self._object_filters:
            if not fn(obj, name, type_, reflected, compare_to):
                return False
        return True

    @property
    def has_object_filters(self) -> bool:
        return bool(self._object_filters)


class RenderContext:
    """Options and state of one rendering of operations into Python source.

    ``imports`` is the set of import lines the rendered code needs; renderers add to it
    (``ctx.imports.add("from sqlalchemy.dialects import postgresql")``). ``sa_prefix`` and
    ``op_prefix`` are the module prefixes (``sa.`` / ``op.``); inside a batch block ``op_prefix``
    is ``batch_op.`` and ``in_batch`` is True. Call :meth:`render_type` to render a nested type
    through the hooks, and :meth:`render_op` for nested operations.

    Also Alembic's ``AutogenContext``: ``AutogenContext(migration_context, metadata=None,
    opts=None, autogenerate=True)`` builds one (pytest-alembic does, to render a difference).
    """

    def __init__(
        self,
        migration_context: MigrationContext | None = None,
        metadata: Any = None,
        opts: dict[str, Any] | None = None,
        autogenerate: bool = True,
        *,
        hooks: Any = None,
        imports: Iterable[str] | None = None,
    ) -> None:
        self.migration_context = migration_context
        self.opts: dict[str, Any] = dict(migration_context.opts) if migration_context else {}
        if opts:
            self.opts.update({k: v for k, v in opts.items() if v is not None})
        self.metadata = metadata if metadata is not None else self.opts.get("target_metadata")
        self.connection = migration_context.live_connection if migration_context else None
        self.dialect = migration_context.dialect if migration_context is not None else None
        self.dialect_name = str(self.dialect.name) if self.dialect is not None else None
        if hooks is None and migration_context is not None:
            hooks = migration_context.hooks
        if hooks is None:
            from mig_core.plugins import build_plugin_manager

            hooks = build_plugin_manager(None).hooks_for(None)
        install_dispatch(getattr(hooks, "_pm", None))
        self.hooks = hooks
        self._direct: dict[str, tuple[Any, Callable[..., Any]]] = {}
        self.imports: set[str] = set(imports or ())
        # an empty prefix is one too (names imported with ``from sqlalchemy import *``)
        self.sa_prefix: str = _first_set(self.opts, "sqlalchemy_module_prefix", default="sa.")
        self.base_op_prefix: str = _first_set(
            self.opts, "mig_module_prefix", "alembic_module_prefix", default="op."
        )
        self.op_prefix = self.base_op_prefix
        self.user_module_prefix: str | None = self.opts.get("user_module_prefix")
        # the options as Alembic's AutogenContext always has them: renderers written for it
        # read ``autogen_context.opts["alembic_module_prefix"]``
        self.opts["alembic_module_prefix"] = self.base_op_prefix
        self.opts["sqlalchemy_module_prefix"] = self.sa_prefix
        self.opts["user_module_prefix"] = self.user_module_prefix
        self.render_item: Callable[..., Any] | None = self.opts.get("render_item")
        self.render_as_batch = bool(self.opts.get("render_as_batch", False))
        self.in_batch = False
        #: the table whose ops are being rendered (inside ``modify_table`` groups), or None
        self.table_name: str | None = None
        self.schema: str | None = None

    @property
    def _has_batch(self) -> bool:
        """Alembic's name for :attr:`in_batch`, which renderers written for it read."""
        return self.in_batch

    # --- hooks --------------------------------------------------------------------------------
    def render_type(self, type_: Any) -> str:
        """Python source for ``type_`` (``render_item`` first, then ``mig_render_type``)."""
        custom = self.user_render("type", type_)
        if custom is not False:
            # None is written as None, as Alembic does: sa.Column('x', None) is a NullType column
            return "None" if custom is None else str(custom)
        text = self.hook("mig_render_type")(ctx=self, type_=type_)
        if text is None:
            raise CommandError(f"no renderer for type {type_!r}")
        return str(text)

    def hook(self, name: str) -> Callable[..., Any]:
        """The caller of the ``firstresult`` hook ``name`` (``mig_render_op``,
        ``mig_render_type``): rendering calls them once per operation and column, so without
        pluggy's per-call dispatch when plain implementations are all there is (see
        :func:`mig_core.hookcall.firstresult_caller`; same results)."""
        hooks = self.hooks
        entry = self._direct.get(name)
        if entry is None or entry[0] is not hooks:
            from mig_core.hookcall import firstresult_caller

            caller = getattr(hooks, name)
            entry = self._direct[name] = (hooks, firstresult_caller(caller) or caller)
        return entry[1]

    def render_op(self, op: Any) -> list[str]:
        """Source lines for one operation (``mig_render_op``); containers render their children."""
        from mig_core.autogenerate.render import render_op

        return render_op(self, op)

    def user_render(self, type_: str, obj: Any) -> Any:
        """The user's ``render_item(type_, obj, ctx)``: a string, None (omit) or False (default)."""
        if self.render_item is None:
            return False
        return self.render_item(type_, obj, self)

    def sa(self, name: str) -> str:
        """``name`` with the SQLAlchemy module prefix (``sa.Column``)."""
        return f"{self.sa_prefix}{name}"

    def op(self, name: str) -> str:
        """``name`` with the operations prefix (``op.add_column`` or ``batch_op.add_column``)."""
        return f"{self.op_prefix}{name}"


def _first_set(opts: dict[str, Any], *keys: str, default: str) -> str:
    """The first of ``keys`` given a value other than None in ``opts``, else ``default``."""
    for key in keys:
        value = opts.get(key)
        if value is not None:
            return str(value)
    return default


def install_dispatch(plugin_manager: Any, enabled: frozenset[str] | None = None) -> None:
    """Install Alembic-style ``comparators`` / ``renderers.dispatch_for`` registrations, and
    the comparators of the Alembic 1.18 plugins ``enabled`` (None: as installed last).

    Only when the user's code imported those modules (nothing to do otherwise).
    """
    if plugin_manager is None:
        return
    import sys

    comparators = sys.modules.get("mig_core.autogenerate.comparators")
    if comparators is not None:
        comparators.install(plugin_manager, enabled)
    renderers = sys.modules.get("mig_core.autogenerate.renderers")
    if renderers is not None:
        renderers.install(plugin_manager)
