# Typed view of mig_core.proxies for editors and type checkers: ``op.add_column(`` completes with
# the real parameters. tests/test_ops_stubs.py keeps every signature here equal to the directive
# it stands for (mig_core.operations.directives). Operations added by plugins are reached
# through __getattr__ (typed Any).

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import conv
from sqlalchemy.types import TypeEngine

from mig_core.ddl.base import InlineLiteral
from mig_core.operations.base import Operations
from mig_core.operations.opbase import MigrateOperation
from mig_core.runtime.environment import EnvironmentContext
from mig_core.runtime.migration import MigrationContext

_T = TypeVar("_T")
_TypeArg = TypeEngine[Any] | type[TypeEngine[Any]]
_ServerDefault = (
    str | bool | sa.TextClause | sa.ColumnElement[Any] | sa.Identity | sa.Computed | None
)
_IndexColumn = str | sa.TextClause | sa.ColumnElement[Any]

class ContextProxy:
    def __init__(
        self, name: str, where: str, methods: Callable[[str], bool] | None = None
    ) -> None: ...
    def __getattr__(self, attr: str) -> Any: ...
    def installed(self, target: _T) -> AbstractContextManager[_T]: ...
    def current(self) -> Any: ...

class BatchOperationsProxy:
    """``batch_op`` inside ``with op.batch_alter_table(...) as batch_op``."""

    table_name: str
    schema: str | None
    def add_column(
        self,
        column: sa.Column[Any],
        *,
        insert_before: str | None = None,
        insert_after: str | None = None,
        if_not_exists: bool | None = None,
        inline_references: bool | None = None,
        inline_primary_key: bool | None = None,
    ) -> None: ...
    def alter_column(
        self,
        column_name: str,
        *,
        nullable: bool | None = None,
        comment: str | Literal[False] | None = False,
        server_default: _ServerDefault = False,
        new_column_name: str | None = None,
        type_: _TypeArg | None = None,
        existing_type: _TypeArg | None = None,
        existing_server_default: _ServerDefault = False,
        existing_nullable: bool | None = None,
        existing_comment: str | None = None,
        insert_before: str | None = None,
        insert_after: str | None = None,
        **kw: Any,
    ) -> None: ...
    def drop_column(self, column_name: str, **kw: Any) -> None: ...
    def create_index(
        self, index_name: str | None, columns: Sequence[_IndexColumn], **kw: Any
    ) -> None: ...
    def drop_index(self, index_name: str, **kw: Any) -> None: ...
    def create_unique_constraint(
        self, constraint_name: str | None, columns: Sequence[str], **kw: Any
    ) -> None: ...
    def create_primary_key(self, constraint_name: str | None, columns: Sequence[str]) -> None: ...
    def create_foreign_key(
        self,
        constraint_name: str | None,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        *,
        referent_schema: str | None = None,
        onupdate: str | None = None,
        ondelete: str | None = None,
        deferrable: bool | None = None,
        initially: str | None = None,
        match: str | None = None,
        **dialect_kw: Any,
    ) -> None: ...
    def create_check_constraint(
        self, constraint_name: str | None, condition: str | sa.ColumnElement[Any], **kw: Any
    ) -> None: ...
    def drop_constraint(self, constraint_name: str, type_: str | None = None) -> None: ...
    def create_table_comment(
        self, comment: str | None, *, existing_comment: str | None = None
    ) -> None: ...
    def drop_table_comment(self, *, existing_comment: str | None = None) -> None: ...
    def execute(
        self,
        sqltext: str | sa.TextClause | sa.Executable,
        *,
        execution_options: dict[str, Any] | None = None,
    ) -> None: ...
    def invoke(self, operation: MigrateOperation) -> Any: ...
    def f(self, name: str) -> conv: ...
    def inline_literal(self, value: Any, type_: _TypeArg | None = None) -> InlineLiteral: ...
    def get_bind(self) -> Connection: ...
    def get_context(self) -> MigrationContext: ...
    def __getattr__(self, name: str) -> Any: ...

class OperationsProxy:
    """``op`` inside a revision's ``upgrade()`` / ``downgrade()``."""

    def installed(self, target: Operations) -> AbstractContextManager[Operations]: ...
    def current(self) -> Operations | None: ...
    def create_table(
        self,
        table_name: str,
        *columns: sa.schema.SchemaItem,
        if_not_exists: bool | None = None,
        schema: str | None = None,
        comment: str | None = None,
        info: dict[Any, Any] | None = None,
        prefixes: Sequence[str] | None = None,
        **kw: Any,
    ) -> sa.Table: ...
    def drop_table(
        self,
        table_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None: ...
    def rename_table(
        self, old_table_name: str, new_table_name: str, *, schema: str | None = None
    ) -> None: ...
    def create_table_comment(
        self,
        table_name: str,
        comment: str | None,
        *,
        existing_comment: str | None = None,
        schema: str | None = None,
    ) -> None: ...
    def drop_table_comment(
        self,
        table_name: str,
        *,
        existing_comment: str | None = None,
        schema: str | None = None,
    ) -> None: ...
    def add_column(
        self,
        table_name: str,
        column: sa.Column[Any],
        *,
        schema: str | None = None,
        if_not_exists: bool | None = None,
        inline_references: bool | None = None,
        inline_primary_key: bool | None = None,
    ) -> None: ...
    def drop_column(
        self,
        table_name: str,
        column_name: str,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None: ...
    def alter_column(
        self,
        table_name: str,
        column_name: str,
        *,
        nullable: bool | None = None,
        comment: str | Literal[False] | None = False,
        server_default: _ServerDefault = False,
        new_column_name: str | None = None,
        type_: _TypeArg | None = None,
        existing_type: _TypeArg | None = None,
        existing_server_default: _ServerDefault = False,
        existing_nullable: bool | None = None,
        existing_comment: str | None = None,
        schema: str | None = None,
        **kw: Any,
    ) -> None: ...
    def create_index(
        self,
        index_name: str | None,
        table_name: str,
        columns: Sequence[_IndexColumn],
        *,
        schema: str | None = None,
        unique: bool = False,
        if_not_exists: bool | None = None,
        **kw: Any,
    ) -> None: ...
    def drop_index(
        self,
        index_name: str,
        table_name: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
        **kw: Any,
    ) -> None: ...
    def create_unique_constraint(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None: ...
    def create_primary_key(
        self,
        constraint_name: str | None,
        table_name: str,
        columns: Sequence[str],
        *,
        schema: str | None = None,
    ) -> None: ...
    def create_foreign_key(
        self,
        constraint_name: str | None,
        source_table: str,
        referent_table: str,
        local_cols: Sequence[str],
        remote_cols: Sequence[str],
        *,
        onupdate: str | None = None,
        ondelete: str | None = None,
        deferrable: bool | None = None,
        initially: str | None = None,
        match: str | None = None,
        source_schema: str | None = None,
        referent_schema: str | None = None,
        **dialect_kw: Any,
    ) -> None: ...
    def create_check_constraint(
        self,
        constraint_name: str | None,
        table_name: str,
        condition: str | sa.ColumnElement[Any],
        *,
        schema: str | None = None,
        **kw: Any,
    ) -> None: ...
    def drop_constraint(
        self,
        constraint_name: str,
        table_name: str,
        type_: str | None = None,
        *,
        schema: str | None = None,
        if_exists: bool | None = None,
    ) -> None: ...
    def bulk_insert(
        self,
        table: sa.Table | sa.TableClause,
        rows: list[dict[str, Any]],
        *,
        multiinsert: bool = True,
    ) -> None: ...
    def execute(
        self,
        sqltext: str | sa.TextClause | sa.Executable,
        *,
        execution_options: dict[str, Any] | None = None,
    ) -> None: ...
    def batch_alter_table(
        self,
        table_name: str,
        schema: str | None = None,
        recreate: Literal["auto", "always", "never"] = "auto",
        partial_reordering: Sequence[Sequence[str]] | None = None,
        copy_from: sa.Table | None = None,
        table_args: Sequence[Any] = (),
        table_kwargs: Mapping[str, Any] | None = None,
        reflect_args: Sequence[Any] = (),
        reflect_kwargs: Mapping[str, Any] | None = None,
        naming_convention: Mapping[Any, str] | None = None,
    ) -> AbstractContextManager[BatchOperationsProxy]: ...
    def invoke(self, operation: MigrateOperation) -> Any: ...
    def f(self, name: str) -> conv: ...
    def inline_literal(self, value: Any, type_: _TypeArg | None = None) -> InlineLiteral: ...
    def get_bind(self) -> Connection: ...
    def get_context(self) -> MigrationContext: ...
    def run_async(self, async_function: Callable[..., Any], *args: Any, **kw: Any) -> Any: ...
    def __getattr__(self, name: str) -> Any: ...

class EnvironmentProxy(EnvironmentContext):
    """``context`` inside env.py."""

    def installed(self, target: EnvironmentContext) -> AbstractContextManager[Any]: ...
    def current(self) -> EnvironmentContext | None: ...

op: OperationsProxy
context: EnvironmentProxy
