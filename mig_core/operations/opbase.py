"""The base of operation objects: :class:`MigrateOperation` and the operation errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from mig_core.errors import CommandError

if TYPE_CHECKING:
    from mig_core.operations.schemaobj import SchemaObjects


class IrreversibleOperationError(CommandError):
    """An operation was asked for its reverse but does not carry what the reverse needs."""


class OperationArgumentError(CommandError, TypeError):
    """An operation got a wrong argument; the message names the operation and the argument.

    Also a TypeError, so code written for Alembic's ``TypeError("List expected")`` still works.
    """


def _schema_obj(schema_obj: Any) -> SchemaObjects:
    """The SchemaObjects to build with: the one given, one for a migration context given
    instead (Alembic's ``to_index(migration_context)``, which GeoAlchemy2 calls), or a plain
    one."""
    from mig_core.operations.schemaobj import SchemaObjects

    if schema_obj is None:
        return SchemaObjects()
    if isinstance(schema_obj, SchemaObjects):
        return schema_obj
    return SchemaObjects.for_options(getattr(schema_obj, "opts", None))


def _qualified(table_name: str, schema: str | None) -> str:
    return f"{schema}.{table_name}" if schema else table_name


class MigrateOperation:
    """Base of every operation object and container."""

    #: the ``op.<name>`` this object stands for (used in messages)
    op_name: ClassVar[str] = "operation"

    @property
    def info(self) -> dict[Any, Any]:
        """Free-form dictionary for user code and plugins (not rendered, not compared)."""
        info = self.__dict__.get("_info")
        if info is None:
            info = self.__dict__["_info"] = {}
        return info  # type: ignore[no-any-return]

    def describe(self) -> str:
        """A short human label such as ``add_column('account.email')``, for error messages."""
        target = getattr(self, "table_name", None)
        schema = getattr(self, "schema", None)
        return f"{self.op_name}({_qualified(target, schema)!r})" if target else self.op_name

    def reverse(self) -> MigrateOperation:
        """The operation undoing this one; irreversible operations raise."""
        raise IrreversibleOperationError(f"{self.describe()} is not reversible")

    def to_diff_tuple(self) -> Any:
        """The diff entry autogenerate's ``compare_metadata`` reports for this operation."""
        raise NotImplementedError(f"{type(self).__name__} has no diff form")

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{k}={v!r}" for k, v in self.__dict__.items() if not k.startswith("_") and v is not None
        )
        return f"{type(self).__name__}({fields})"
