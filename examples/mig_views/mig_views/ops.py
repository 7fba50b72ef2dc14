"""The view operations: op objects (reversible, diffable) and the ``op.*`` directives."""

from __future__ import annotations

from typing import Any

from mig_core.errors import CommandError
from mig_core.operations import directive
from mig_core.operations.ops import IrreversibleOperationError, MigrateOperation


def _qualified(name: str, schema: str | None) -> str:
    return f"{schema}.{name}" if schema else name


def definition_sql(impl: Any, definition: Any) -> str:
    """A view definition as SQL text: strings as given, SELECTs compiled with literal values."""
    if isinstance(definition, str):
        return definition.strip()
    compiled = definition.compile(dialect=impl.dialect, compile_kwargs={"literal_binds": True})
    return str(compiled).strip()


class CreateViewOp(MigrateOperation):
    """``op.create_view(name, definition)``."""

    op_name = "create_view"

    def __init__(
        self, view_name: str, definition: Any, *, schema: str | None = None,
        or_replace: bool = False,
    ) -> None:
        self.view_name = view_name
        self.definition = definition
        self.schema = schema
        self.or_replace = or_replace

    def describe(self) -> str:
        return f"create_view({_qualified(self.view_name, self.schema)!r})"

    def reverse(self) -> DropViewOp:
        return DropViewOp(self.view_name, definition=self.definition, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("add_view", self.schema, self.view_name, self.definition)

    def run_on_impl(self, impl: Any) -> None:
        """Called by mig's ``mig_ddl_execute`` for op objects it does not know itself."""
        if self.or_replace:
            dialect = impl.dialect.name
            if dialect == "sqlite":
                raise CommandError(f"{self.describe()}: SQLite has no CREATE OR REPLACE VIEW")
            verb = "CREATE OR ALTER VIEW" if dialect == "mssql" else "CREATE OR REPLACE VIEW"
        else:
            verb = "CREATE VIEW"
        name = impl.format_table_name(self.view_name, self.schema)
        impl.execute(f"{verb} {name} AS {definition_sql(impl, self.definition)}")


class DropViewOp(MigrateOperation):
    """``op.drop_view(name, definition=...)``: reversible when the definition is given."""

    op_name = "drop_view"

    def __init__(
        self, view_name: str, *, definition: Any = None, schema: str | None = None,
        if_exists: bool | None = None,
    ) -> None:
        self.view_name = view_name
        self.definition = definition
        self.schema = schema
        self.if_exists = if_exists

    def describe(self) -> str:
        return f"drop_view({_qualified(self.view_name, self.schema)!r})"

    def reverse(self) -> CreateViewOp:
        if self.definition is None:
            raise IrreversibleOperationError(
                f"{self.describe()} is not reversible: pass definition= so the view can be "
                "created again"
            )
        return CreateViewOp(self.view_name, self.definition, schema=self.schema)

    def to_diff_tuple(self) -> tuple[Any, ...]:
        return ("remove_view", self.schema, self.view_name, self.definition)

    def run_on_impl(self, impl: Any) -> None:
        exists = "IF EXISTS " if self.if_exists else ""
        impl.execute(f"DROP VIEW {exists}{impl.format_table_name(self.view_name, self.schema)}")


@directive
def create_view(
    operations: Any, view_name: str, definition: Any, *, schema: str | None = None,
    or_replace: bool = False,
) -> None:
    """Create a view from SQL text or a ``select()``."""
    if not isinstance(view_name, str):
        raise CommandError(f"create_view: view_name must be a string, got {view_name!r}")
    operations.invoke(CreateViewOp(view_name, definition, schema=schema, or_replace=or_replace))


@directive
def drop_view(
    operations: Any, view_name: str, *, definition: Any = None, schema: str | None = None,
    if_exists: bool | None = None,
) -> None:
    """Drop a view; give its ``definition`` so the drop can be reversed."""
    if not isinstance(view_name, str):
        raise CommandError(f"drop_view: view_name must be a string, got {view_name!r}")
    operations.invoke(
        DropViewOp(view_name, definition=definition, schema=schema, if_exists=if_exists)
    )
