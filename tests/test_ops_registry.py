"""``op.<name>`` through the operation registry: core and plugin operations, batch forms and the
batch hook, argument errors, naming conventions, ``run_async``, ``autocommit_block``."""

from __future__ import annotations

import io
import warnings
from typing import Any

import pytest
import sqlalchemy as sa
from ops_support import (  # the core alone, without dialect plugins
    core_plugin_manager,
    offline,
    without_dialect_compilations,  # noqa: F401 (autouse fixture)
)

from mig_core import hookimpl
from mig_core.errors import CommandError, MigWarning, PluginError
from mig_core.operations import Operations, directive, ops
from mig_core.operations.batch import TableBatch
from mig_core.plugins import build_plugin_manager, module_plugin
from mig_core.runtime.migration import MigrationContext


def make_pm(*plugins: Any) -> Any:
    return core_plugin_manager(*plugins)


# --- a third-party operation registered through the hook ---------------------------------------


class TouchOp(ops.MigrateOperation):
    """A plugin's op object carried out by its own run_on_impl()."""

    op_name = "touch"

    def __init__(self, table_name: str) -> None:
        self.table_name = table_name

    def run_on_impl(self, impl: Any) -> None:
        impl.execute(f"UPDATE {impl.quote_identifier(self.table_name)} SET touched = 1")

    def reverse(self) -> TouchOp:
        return self


@directive
def touch(operations: Any, table_name: str) -> None:
    operations.invoke(TouchOp(table_name))


@touch.batch
def _batch_touch(operations: Any) -> None:
    operations.invoke(TouchOp(operations.table_name))


@hookimpl
def _register(registry: Any) -> None:
    registry.add("touch", touch, batch=True)


TOUCH_PLUGIN = module_plugin("touch_plugin", mig_register_operations=_register)


def test_plugin_operation_on_op_and_batch_op() -> None:
    pm = make_pm(TOUCH_PLUGIN)

    def migrate(op: Any) -> None:
        op.touch("Order")
        with op.batch_alter_table("acct", recreate="never") as batch_op:
            batch_op.touch()

    assert offline(pm, "postgresql", migrate) == (
        'UPDATE "Order" SET touched = 1;\n\nUPDATE acct SET touched = 1;'
    )
    assert "touch" in pm.operations.operations_of("test_plugin_0")


def test_plugin_operation_as_module_attribute_string(tmp_path: Any, monkeypatch: Any) -> None:
    (tmp_path / "lazy_op_target.py").write_text(
        "def shout(operations, text):\n    operations.execute(f\"SELECT '{text}'\")\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    @hookimpl
    def register(registry: Any) -> None:
        registry.add("shout", "lazy_op_target:shout")

    pm = make_pm(module_plugin("lazy", mig_register_operations=register))
    assert offline(pm, "sqlite", lambda op: op.shout("hi")) == "SELECT 'hi';"


def test_unknown_operation_and_missing_batch_form() -> None:
    pm = make_pm()
    with pytest.raises(AttributeError, match=r"op\.create_sandwich: no such operation"):
        offline(pm, "sqlite", lambda op: op.create_sandwich("v", "SELECT 1"))

    def batch_bulk(op: Any) -> None:
        with op.batch_alter_table("t") as batch_op:
            batch_op.bulk_insert(sa.table("t"), [])

    with pytest.raises(AttributeError, match=r"batch_op\.bulk_insert: operation 'bulk_insert' "
                                             r"has no batch form"):
        offline(pm, "sqlite", batch_bulk)


def test_broken_plugin_target_names_the_plugin() -> None:
    @hookimpl
    def register(registry: Any) -> None:
        registry.add("broken", "no_such_module_for_mig:fn")

    pm = make_pm(module_plugin("broken", mig_register_operations=register))
    with pytest.raises(PluginError, match=r"operation 'broken' of plugin 'test_plugin_0' cannot "
                                          r"be loaded: ModuleNotFoundError"):
        offline(pm, "sqlite", lambda op: op.broken())


def test_duplicate_operation_names_both_plugins() -> None:
    @hookimpl
    def register(registry: Any) -> None:
        registry.add("execute", touch)

    pm = make_pm(module_plugin("dup", mig_register_operations=register))
    with pytest.raises(PluginError, match=r"operation 'execute' is registered by two plugins: "
                                          r"'mig_core.builtin.operations' and 'test_plugin_0'"):
        pm.operations  # noqa: B018


def test_dialect_plugin_can_take_over_an_operation() -> None:
    @hookimpl
    def mig_ddl_execute(impl: Any, op: Any) -> Any:
        if isinstance(op, ops.RenameTableOp):
            impl.execute(f"EXEC sp_rename '{op.table_name}', '{op.new_table_name}'")
            return True
        return None

    pm = make_pm(module_plugin("rename", mig_ddl_execute=mig_ddl_execute))
    sql = offline(pm, "sqlite", lambda op: (op.rename_table("a", "b"), op.drop_table("b")))
    assert sql == "EXEC sp_rename 'a', 'b';\n\nDROP TABLE b;"


def test_dir_lists_registered_operations() -> None:
    ctx = MigrationContext.configure(dialect_name="sqlite", opts={"output_buffer": io.StringIO()},
                                     plugin_manager=make_pm(TOUCH_PLUGIN))
    names = dir(Operations(ctx))
    assert {"add_column", "touch", "batch_alter_table", "inline_literal"} <= set(names)


def test_op_proxy_outside_a_migration() -> None:
    from mig_core import op

    with pytest.raises(NameError, match=r"mig_core.op.add_column: 'op' is only available"):
        op.add_column("t", sa.Column("c", sa.Integer))


def test_op_proxy_outside_a_migration_has_its_methods_as_alembics_module() -> None:
    """Alembic's ``op`` module has every operation outside a run, raising NameError only when
    called: ``hasattr(op, "add_column")``, ``from alembic.op import add_column`` and
    documentation tools work. mig raised NameError on the attribute access itself."""
    from mig_core import op

    message = ("mig_core.op.{}: 'op' is only available inside a migration script's upgrade() "
               "or downgrade()")
    for name in ("add_column", "execute", "batch_alter_table", "f", "inline_literal",
                 "get_bind", "get_context", "implementation_for"):
        assert hasattr(op, name), name
        assert callable(getattr(op, name))
        with pytest.raises(NameError) as err:
            getattr(op, name)("x")
        assert str(err.value) == message.format(name)
    from mig_core.op import create_table  # type: ignore[import-not-found]

    with pytest.raises(NameError, match=r"^mig_core\.op\.create_table: 'op' is only"):
        create_table("t")
    # anything else is missing, as from a module: a plugin's operations are known in a run
    for name in ("no_such_operation", "create_sequence", "__spec__"):
        assert not hasattr(op, name), name
    with pytest.raises(AttributeError, match=r"^mig_core\.op\.no_such_operation: 'op' is only "
                       r"available inside a migration script's upgrade\(\) or downgrade\(\)$"):
        op.no_such_operation  # noqa: B018


# --- batch --------------------------------------------------------------------------------------


def test_batch_recreate_goes_through_the_hook() -> None:
    seen: list[TableBatch] = []

    @hookimpl
    def mig_batch_recreate(impl: Any, batch: TableBatch) -> bool:
        seen.append(batch)
        impl.execute(f"-- recreate {batch.table_name} with {len(batch.ops)} ops")
        return True

    pm = make_pm(module_plugin("recreator", mig_batch_recreate=mig_batch_recreate))
    copy = sa.Table("acct", sa.MetaData(), sa.Column("id", sa.Integer))

    def migrate(op: Any) -> None:
        with op.batch_alter_table("acct", recreate="always", copy_from=copy,
                                  table_kwargs={"sqlite_autoincrement": True},
                                  naming_convention={"uq": "uq_%(column_0_name)s"}) as batch_op:
            batch_op.add_column(sa.Column("x", sa.Integer), insert_after="id")
            batch_op.alter_column("id", type_=sa.BigInteger)

    assert offline(pm, "sqlite", migrate) == "-- recreate acct with 2 ops;"
    batch = seen[0]
    assert (batch.table_name, batch.recreate, batch.copy_from) == ("acct", "always", copy)
    assert batch.table_kwargs == {"sqlite_autoincrement": True}
    assert batch.naming_convention == {"uq": "uq_%(column_0_name)s"}
    assert [type(o).__name__ for o in batch.ops] == ["AddColumnOp", "AlterColumnOp"]
    assert batch.ops[0].kw == {"insert_after": "id"}


def test_batch_recreate_without_a_plugin_is_a_clear_error() -> None:
    def migrate(op: Any) -> None:
        with op.batch_alter_table("acct", recreate="always") as batch_op:
            batch_op.drop_column("x")

    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [],
                              cli_plugins=["mig_postgres.plugin"])
    with pytest.raises(CommandError, match=r"batch_alter_table\('acct'\) needs the table "
                                           r"recreated .* pip install mig-sqlite-batch"):
        offline(pm, "postgresql", migrate)


def test_batch_auto_asks_the_impl() -> None:
    from mig_core.ddl.impl import DefaultImpl

    class Picky(DefaultImpl):
        dialect_name = "sqlite"

        def requires_recreate_in_batch(self, batch: Any) -> bool:
            return any(isinstance(o, ops.AlterColumnOp) for o in batch.ops)

    @hookimpl
    def mig_register_dialects(registry: Any) -> None:
        registry.add("sqlite", Picky)

    @hookimpl
    def mig_batch_recreate(impl: Any, batch: TableBatch) -> bool:
        impl.execute("-- recreated")
        return True

    pm = build_plugin_manager(None, env={}, autoload=False, entry_points=lambda: [])
    pm.register_plugin(module_plugin("picky", mig_register_dialects=mig_register_dialects,
                                     mig_batch_recreate=mig_batch_recreate), "picky")

    def migrate(op: Any) -> None:
        with op.batch_alter_table("t") as batch_op:
            batch_op.add_column(sa.Column("x", sa.Integer))
        with op.batch_alter_table("t") as batch_op:
            batch_op.alter_column("x", nullable=False)

    assert offline(pm, "sqlite", migrate) == "ALTER TABLE t ADD COLUMN x INTEGER;\n\n-- recreated;"


def test_batch_argument_errors() -> None:
    pm = make_pm()

    def bad_recreate(op: Any) -> None:
        with op.batch_alter_table("t", recreate="sometimes"):
            pass

    with pytest.raises(ops.OperationArgumentError, match=r"batch_alter_table\('t'\): recreate "
                                                         r"must be one of"):
        offline(pm, "sqlite", bad_recreate)

    def position(op: Any) -> None:
        with op.batch_alter_table("t", recreate="never") as batch_op:
            batch_op.add_column(sa.Column("x", sa.Integer), insert_before="a")

    with pytest.raises(ops.OperationArgumentError, match=r"batch_op.add_column\('x'\): "
                                                         r"insert_before / insert_after need"):
        offline(pm, "sqlite", position)

    def reorder(op: Any) -> None:
        with op.batch_alter_table("t", partial_reordering=[("a", "b")]):
            pass

    with pytest.raises(ops.OperationArgumentError, match="partial_reordering needs recreate"):
        offline(pm, "sqlite", reorder)


def test_batch_block_error_applies_nothing() -> None:
    pm = make_pm()
    buf = io.StringIO()
    ctx = MigrationContext.configure(dialect_name="sqlite",
                                     opts={"as_sql": True, "output_buffer": buf},
                                     plugin_manager=pm)
    op = Operations(ctx)
    with pytest.raises(RuntimeError):
        with op.batch_alter_table("t", recreate="never") as batch_op:
            batch_op.drop_column("a")
            raise RuntimeError("user code failed")
    assert buf.getvalue() == ""


# --- argument errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda op: op.bulk_insert(sa.table("t"), ({"a": 1},)),
         r"bulk_insert\('t'\): rows must be a list of dictionaries, got tuple"),
        (lambda op: op.bulk_insert(sa.table("t"), [{"a": 1}, ("x",)]),
         r"bulk_insert\('t'\): rows must be a list of dictionaries; row 1 is tuple"),
        (lambda op: op.bulk_insert("t", []), r"bulk_insert: table must be a Table"),
        (lambda op: op.alter_column("t", "c", postgresql_using="c::int"),
         r"alter_column\('t', 'c'\): postgresql_using must be used with the type_ parameter"),
        (lambda op: op.alter_column("t", "c", nulable=False),
         r"alter_column\('t', 'c'\): unexpected keyword argument 'nulable'"),
        (lambda op: op.drop_column("t", "c", server_defualt=1),
         r"drop_column\('t', 'c'\): unexpected keyword argument 'server_defualt'"),
        (lambda op: op.add_column(sa.Column("c", sa.Integer)),
         r"add_column\(\) missing 1 required positional argument: 'column'"),
        (lambda op: op.add_column("t", "c"),
         r"add_column\('t'\): column must be a sqlalchemy Column, got str"),
        (lambda op: op.create_index("ix", "t", "a"),
         r"create_index\('ix'\): columns must be a list of column names or SQL expressions"),
        (lambda op: op.create_unique_constraint("uq", "t", "a"),
         r"create_unique_constraint\('uq'\): columns must be a list of column names, got str"),
        (lambda op: op.create_foreign_key("fk", "a", "b", ["x", "y"], ["id"]),
         r"create_foreign_key\('fk'\): local_cols and remote_cols must have the same length"),
        (lambda op: op.drop_constraint("n", "t", type_="pk"),
         r"drop_constraint\('n', 't'\): type_ must be one of"),
        (lambda op: op.execute(42), r"execute: sqltext must be a SQL string"),
        (lambda op: op.rename_table("a", None), r"rename_table: new_table_name must be a string"),
    ],
)
def test_wrong_arguments_name_operation_and_argument(call: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        offline(make_pm(), "postgresql", call)


def test_drop_constraint_type_required_by_the_dialect() -> None:
    from mig_core.ddl.impl import DefaultImpl

    class MySQLish(DefaultImpl):
        dialect_name = "mysql"
        drop_constraint_requires_type = True

    @hookimpl
    def mig_register_dialects(registry: Any) -> None:
        registry.add("mysql", MySQLish)

    pm = make_pm(module_plugin("mysqlish", mig_register_dialects=mig_register_dialects))
    with pytest.raises(CommandError, match=r"drop_constraint\('fk_a'\) on 't': dialect 'mysql' "
                                           r"needs type_"):
        offline(pm, "mysql", lambda op: op.drop_constraint("fk_a", "t"))
    assert offline(pm, "mysql", lambda op: op.drop_constraint("fk_a", "t", type_="foreignkey")) \
        == "ALTER TABLE t DROP FOREIGN KEY fk_a;"


def test_autoincrement_warns_where_it_has_no_effect() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sql = offline(make_pm(), "postgresql",
                      lambda op: op.alter_column("t", "id", autoincrement=True, nullable=False))
    assert sql == "ALTER TABLE t ALTER COLUMN id SET NOT NULL;"
    assert [w.category for w in caught] == [MigWarning]
    assert "autoincrement and existing_autoincrement have no effect" in str(caught[0].message)


def test_computed_default_change_is_refused() -> None:
    with pytest.raises(CommandError, match=r"alter_column\('t', 'c'\): adding, changing or "
                                           r"removing a computed column default"):
        offline(make_pm(), "postgresql",
                lambda op: op.alter_column("t", "c", server_default=sa.Computed("a + 1")))


def test_computed_default_change_is_refused_before_any_statement() -> None:
    """No half-applied alter_column: the nullability change must not be written first."""
    import io

    from mig_core.operations import Operations
    from mig_core.runtime.migration import MigrationContext

    buf = io.StringIO()
    ctx = MigrationContext.configure(dialect_name="postgresql", plugin_manager=make_pm(),
                                     opts={"as_sql": True, "output_buffer": buf})
    with pytest.raises(CommandError, match="computed column default"):
        Operations(ctx).alter_column("t", "c", nullable=False,
                                     server_default=sa.Computed("a + 1"))
    assert buf.getvalue() == ""


# --- naming conventions ---------------------------------------------------------------------------

CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def test_none_names_get_conventional_names() -> None:
    meta = sa.MetaData(naming_convention=CONVENTION)

    def migrate(op: Any) -> None:
        op.create_index(None, "acct", ["email"])
        op.create_unique_constraint(None, "acct", ["email"])
        op.create_primary_key(None, "acct", ["id"])
        op.create_foreign_key(None, "acct", "org", ["org_id"], ["id"])
        op.create_check_constraint("positive", "acct", "qty > 0")
        op.create_check_constraint(op.f("exact_name"), "acct", "qty < 9")
        op.drop_constraint("positive", "acct", type_="check")
        op.drop_constraint(op.f("exact_name"), "acct", type_="check")
        op.invoke(ops.CreateUniqueConstraintOp(None, "acct", ["email"]).reverse())
        op.add_column("acct", sa.Column("flag", sa.Boolean(create_constraint=True,
                                                           name="flag")))
        op.add_column("acct", sa.Column("code", sa.String(3), unique=True))
        op.add_column("acct", sa.Column("kind", sa.Enum("a", "b", name="kind",
                                                        create_constraint=True)))

    assert offline(make_pm(), "sqlite", migrate, target_metadata=meta).splitlines()[::2] == [
        "CREATE INDEX ix_acct_email ON acct (email);",
        "ALTER TABLE acct ADD CONSTRAINT uq_acct_email UNIQUE (email);",
        "ALTER TABLE acct ADD CONSTRAINT pk_acct PRIMARY KEY (id);",
        "ALTER TABLE acct ADD CONSTRAINT fk_acct_org_id_org FOREIGN KEY(org_id) "
        "REFERENCES org (id);",
        "ALTER TABLE acct ADD CONSTRAINT ck_acct_positive CHECK (qty > 0);",
        "ALTER TABLE acct ADD CONSTRAINT exact_name CHECK (qty < 9);",
        "ALTER TABLE acct DROP CONSTRAINT ck_acct_positive;",
        "ALTER TABLE acct DROP CONSTRAINT exact_name;",
        "ALTER TABLE acct DROP CONSTRAINT uq_acct_email;",
        "ALTER TABLE acct ADD COLUMN flag BOOLEAN;",
        "ALTER TABLE acct ADD CONSTRAINT ck_acct_flag CHECK (flag IN (0, 1));",
        "ALTER TABLE acct ADD COLUMN code VARCHAR(3);",
        "ALTER TABLE acct ADD CONSTRAINT uq_acct_code UNIQUE (code);",
        "ALTER TABLE acct ADD COLUMN kind VARCHAR(1);",
        "ALTER TABLE acct ADD CONSTRAINT ck_acct_kind CHECK (kind IN ('a', 'b'));",
    ]


def test_create_table_uses_the_convention() -> None:
    meta = sa.MetaData(naming_convention=CONVENTION)
    sql = offline(
        make_pm(), "postgresql",
        lambda op: op.create_table(
            "t", sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("code", sa.String(3), unique=True),
        ),
        target_metadata=[meta],
    )
    assert sql == (
        "CREATE TABLE t (\n    id INTEGER NOT NULL, \n    code VARCHAR(3), \n"
        "    CONSTRAINT pk_t PRIMARY KEY (id), \n    CONSTRAINT uq_t_code UNIQUE (code)\n);"
    )


def test_convention_needing_a_name_is_a_clear_error() -> None:
    meta = sa.MetaData(naming_convention=CONVENTION)
    with pytest.raises(CommandError, match=r"create_check_constraint\('acct'\): Naming "
                                           r"convention including %\(constraint_name\)s token "
                                           r"requires that constraint is explicitly named"):
        offline(make_pm(), "sqlite",
                lambda op: op.create_check_constraint(None, "acct", "qty > 0"),
                target_metadata=meta)


def test_unnamed_index_without_target_metadata_gets_sqlalchemy_default_name() -> None:
    assert offline(make_pm(), "sqlite", lambda op: op.create_index(None, "t", ["a"])) == (
        "CREATE INDEX ix_t_a ON t (a);"
    )


# --- async and autocommit -------------------------------------------------------------------------


def test_run_async_shares_the_migration_connection(tmp_path: Any) -> None:
    import asyncio

    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
    pm = make_pm()

    async def count_rows(conn: Any, table: str) -> int:
        result = await conn.execute(sa.text(f"SELECT count(*) FROM {table}"))
        return int(result.scalar())

    def migrate(sync_conn: Any) -> int:
        ctx = MigrationContext.configure(connection=sync_conn, plugin_manager=pm)
        with Operations.context(ctx) as op:
            op.create_table("t", sa.Column("id", sa.Integer))
            op.bulk_insert(sa.table("t", sa.column("id")), [{"id": 1}, {"id": 2}])
            return int(op.run_async(count_rows, "t"))

    async def main() -> int:
        async with engine.begin() as conn:
            return int(await conn.run_sync(migrate))

    try:
        assert asyncio.run(main()) == 2
    finally:
        asyncio.run(engine.dispose())


def test_run_async_refuses_offline_and_sync_engines(sqlite_url: str) -> None:
    async def noop(conn: Any) -> None:
        return None

    with pytest.raises(CommandError, match="cannot run in offline"):
        offline(make_pm(), "sqlite", lambda op: op.run_async(noop))
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=make_pm())
        with pytest.raises(CommandError, match="needs an async driver"):
            Operations(ctx).run_async(noop)
    engine.dispose()


def test_get_bind_and_get_context(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=make_pm())
        op = Operations(ctx)
        assert op.get_bind() is conn and op.get_context() is ctx
    engine.dispose()


@pytest.mark.postgres
def test_create_index_concurrently_in_autocommit_block(postgres_url: str) -> None:
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=make_pm())
        with ctx.begin_transaction(), Operations.context(ctx) as op:
            op.create_table("big", sa.Column("a", sa.Integer))
            with op.get_context().autocommit_block():
                op.create_index("ix_big_a", "big", ["a"], postgresql_concurrently=True,
                                if_not_exists=True)
            op.add_column("big", sa.Column("b", sa.Integer))
    with engine.connect() as conn:
        names = [i["name"] for i in sa.inspect(conn).get_indexes("big")]
        columns = [c["name"] for c in sa.inspect(conn).get_columns("big")]
    assert names == ["ix_big_a"] and columns == ["a", "b"]
    engine.dispose()


def test_autocommit_block_offline_sql() -> None:
    def migrate(op: Any) -> None:
        with op.get_context().autocommit_block():
            op.create_index("ix_t_room", "t", ["room"], postgresql_concurrently=True,
                            if_not_exists=True)

    buf = io.StringIO()
    ctx = MigrationContext.configure(dialect_name="postgresql",
                                     opts={"as_sql": True, "output_buffer": buf},
                                     plugin_manager=make_pm())
    with ctx.begin_transaction(), Operations.context(ctx) as op:
        migrate(op)
    assert buf.getvalue().split() == [
        "BEGIN;", "COMMIT;", "CREATE", "INDEX", "CONCURRENTLY", "IF", "NOT", "EXISTS",
        "ix_t_room", "ON", "t", "(room);", "BEGIN;", "COMMIT;",
    ]
