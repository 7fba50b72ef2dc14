"""Every operation online on SQLite and PostgreSQL, and every reversible one run up then down.

The schema is checked by inspection after each step. Operations SQLite cannot run without a
batch (ALTER COLUMN, ADD/DROP CONSTRAINT) are asserted to fail the way SQLite itself fails;
the mig-sqlite-batch plugin turns those into its "needs batch" error.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.operations import Operations, ops
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

PM = build_plugin_manager(None, env={})

#: how SQLite refuses an ALTER it lacks: its own syntax error, or mig-sqlite-batch's hint to use
#: batch_alter_table
SQLITE_CANNOT = "syntax error|batch"


@pytest.fixture(params=["sqlite", "postgresql", "psycopg"])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """A SQLite file or a clean ``public`` schema on the module's PostgreSQL database (through
    the URL's driver, or psycopg 3)."""
    if request.param == "sqlite":
        url = request.getfixturevalue("sqlite_url")
    else:
        url = request.getfixturevalue("psycopg_url" if request.param == "psycopg" else "postgres_url")
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    if request.param != "sqlite":
        with eng.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    yield eng
    eng.dispose()


def run(engine: sa.Engine, fn: Callable[[Any], Any], **opts: Any) -> Any:
    """Run ``fn(op)`` online in one transaction."""
    with engine.begin() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
        with Operations.context(ctx) as op:
            return fn(op)


def snapshot(engine: sa.Engine) -> dict[str, Any]:
    """Tables with their columns, keys, constraints, indexes and comments, as inspected."""
    out: dict[str, Any] = {}
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection")
        insp = sa.inspect(conn)
        comments = insp.dialect.supports_comments
        for name in sorted(insp.get_table_names()):
            out[name] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], c.get("default"), c.get("comment"))
                    for c in insp.get_columns(name)
                ],
                "pk": (insp.get_pk_constraint(name).get("name") if not _sqlite(engine) else None,
                       insp.get_pk_constraint(name)["constrained_columns"]),
                "fks": sorted(
                    (fk.get("name") or "", tuple(fk["constrained_columns"]), fk["referred_table"],
                     tuple(fk["referred_columns"]), tuple(sorted(fk.get("options", {}).items())))
                    for fk in insp.get_foreign_keys(name)
                ),
                "uniques": sorted(
                    (u.get("name") or "", tuple(u["column_names"]))
                    for u in insp.get_unique_constraints(name)
                ),
                "checks": sorted(
                    (c.get("name") or "", c["sqltext"]) for c in insp.get_check_constraints(name)
                ),
                "indexes": sorted(
                    (i["name"], tuple(str(c) for c in i["column_names"]), bool(i["unique"]))
                    for i in insp.get_indexes(name)
                ),
                "comment": insp.get_table_comment(name)["text"] if comments else None,
            }
    return out


def _sqlite(engine: sa.Engine) -> bool:
    return engine.dialect.name == "sqlite"


def snapshot_sql(engine: sa.Engine, table: str) -> str:
    """SQLite: the table's CREATE TABLE as stored."""
    with engine.connect() as conn:
        return str(conn.execute(
            sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
            {"t": table},
        ).scalar())


def roundtrip(engine: sa.Engine, op_obj: ops.MigrateOperation) -> dict[str, Any]:
    """Run ``op_obj`` then its reverse; the schema must come back exactly. Returns the "up" one."""
    before = snapshot(engine)
    run(engine, lambda op: op.invoke(op_obj))
    after = snapshot(engine)
    assert after != before, "the operation changed nothing"
    run(engine, lambda op: op.invoke(op_obj.reverse()))
    assert snapshot(engine) == before
    return after


def base_tables(engine: sa.Engine) -> None:
    run(
        engine,
        lambda op: (
            op.create_table(
                "org",
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("region", sa.String(10), nullable=False, server_default="eu"),
            ),
            op.create_table(
                "acct",
                sa.Column("id", sa.Integer, nullable=False),
                sa.Column("name", sa.String(50)),
                sa.Column("org_id", sa.Integer),
                sa.Column("qty", sa.Integer),
            ),
        ),
    )


# --- tables ------------------------------------------------------------------------------------


def test_create_table_and_reverse(engine: sa.Engine) -> None:
    op_obj = ops.CreateTableOp(
        "item",
        [
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("name", sa.String(40), nullable=False, server_default="x"),
            sa.Column("code", sa.String(5), unique=True),
            sa.Column("qty", sa.Integer, index=True),
            sa.CheckConstraint("qty >= 0", name="ck_item_qty"),
        ],
        comment="items",
    )
    after = roundtrip(engine, op_obj)
    item = after["item"]
    assert [c[0] for c in item["columns"]] == ["id", "name", "code", "qty"]
    assert item["pk"][1] == ["id"]
    assert [c[2] for c in item["columns"]] == [False, False, True, True]
    assert len(item["uniques"]) == 1 and item["uniques"][0][1] == ("code",)
    assert ("ix_item_qty", ("qty",), False) in item["indexes"]
    assert item["checks"][0][0] == "ck_item_qty"
    if not _sqlite(engine):
        assert item["comment"] == "items"


def test_drop_table_from_table_is_reversible(engine: sa.Engine) -> None:
    base_tables(engine)
    table = sa.Table(
        "acct", sa.MetaData(),
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(50)),
        sa.Column("org_id", sa.Integer),
        sa.Column("qty", sa.Integer),
    )
    before = snapshot(engine)
    drop = ops.DropTableOp.from_table(table)
    run(engine, lambda op: op.invoke(drop))
    assert "acct" not in snapshot(engine)
    run(engine, lambda op: op.invoke(drop.reverse()))
    assert snapshot(engine) == before


def test_drop_table_if_exists(engine: sa.Engine) -> None:
    base_tables(engine)
    run(engine, lambda op: op.drop_table("acct"))
    run(engine, lambda op: op.drop_table("acct", if_exists=True))
    assert sorted(snapshot(engine)) == ["org"]


def test_rename_table_and_reverse(engine: sa.Engine) -> None:
    base_tables(engine)
    after = roundtrip(engine, ops.RenameTableOp("acct", "account"))
    assert sorted(after) == ["account", "org"]


def test_create_table_returns_table_usable_by_bulk_insert(engine: sa.Engine) -> None:
    def migrate(op: Any) -> None:
        table = op.create_table("t", sa.Column("id", sa.Integer), sa.Column("v", sa.String(20)))
        op.bulk_insert(table, [{"id": 1, "v": "a"}, {"id": 2, "v": None}])
        op.bulk_insert(table, [{"id": 3, "v": "c"}], multiinsert=False)

    run(engine, migrate)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, v FROM t ORDER BY id")).all()
    assert rows == [(1, "a"), (2, None), (3, "c")]


def test_table_comment_ops_and_reverse(engine: sa.Engine) -> None:
    base_tables(engine)
    if _sqlite(engine):
        with pytest.raises(Exception, match="does not support comments"):
            run(engine, lambda op: op.create_table_comment("acct", "x"))
        return
    after = roundtrip(engine, ops.CreateTableCommentOp("acct", "accounts"))
    assert after["acct"]["comment"] == "accounts"
    run(engine, lambda op: op.create_table_comment("acct", "accounts"))
    after = roundtrip(engine, ops.DropTableCommentOp("acct", existing_comment="accounts"))
    assert after["acct"]["comment"] is None


# --- columns -------------------------------------------------------------------------------


def test_add_column_and_reverse(engine: sa.Engine) -> None:
    base_tables(engine)
    after = roundtrip(
        engine,
        ops.AddColumnOp("acct", sa.Column("email", sa.String(100), server_default="none")),
    )
    email = after["acct"]["columns"][-1]
    assert email[0] == "email" and email[2] is True and "none" in email[3]


def test_add_column_with_inline_references(engine: sa.Engine) -> None:
    base_tables(engine)
    after = roundtrip(
        engine,
        ops.AddColumnOp(
            "acct",
            sa.Column("parent_org", sa.Integer, sa.ForeignKey("org.id", ondelete="CASCADE")),
            inline_references=True,
        ),
    )
    fks = after["acct"]["fks"]
    assert len(fks) == 1 and fks[0][1:4] == (("parent_org",), "org", ("id",))
    if _sqlite(engine):  # SQLAlchemy does not reflect inline FK options on SQLite; ask SQLite
        run(engine, lambda op: op.invoke(ops.AddColumnOp(
            "acct", sa.Column("p2", sa.Integer, sa.ForeignKey("org.id", ondelete="CASCADE")),
            inline_references=True)))
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA foreign_key_list(acct)").all()
        assert [(r[3], r[2], r[4], r[6]) for r in rows] == [("p2", "org", "id", "CASCADE")]
    else:
        assert ("ondelete", "CASCADE") in fks[0][4]


def test_add_column_with_foreign_key_by_alter(engine: sa.Engine) -> None:
    base_tables(engine)
    column = sa.Column("parent_org", sa.Integer, sa.ForeignKey("org.id", name="fk_parent"))
    run(engine, lambda op: op.add_column("acct", column))
    if _sqlite(engine):  # no ADD CONSTRAINT: mig-sqlite-batch writes the FK inline, named
        assert "CONSTRAINT fk_parent REFERENCES org (id)" in snapshot_sql(engine, "acct")
        return
    assert snapshot(engine)["acct"]["fks"][0][:4] == ("fk_parent", ("parent_org",), "org", ("id",))


def test_add_column_if_not_exists(engine: sa.Engine) -> None:
    base_tables(engine)
    run(engine, lambda op: op.add_column("acct", sa.Column("qty", sa.Integer), if_not_exists=True))
    assert [c[0] for c in snapshot(engine)["acct"]["columns"]].count("qty") == 1


def test_drop_column_from_column_is_reversible(engine: sa.Engine) -> None:
    base_tables(engine)
    before = snapshot(engine)
    drop = ops.DropColumnOp.from_column_and_tablename(None, "acct", sa.Column("qty", sa.Integer))
    run(engine, lambda op: op.invoke(drop))
    assert "qty" not in [c[0] for c in snapshot(engine)["acct"]["columns"]]
    run(engine, lambda op: op.invoke(drop.reverse()))
    assert snapshot(engine) == before


def test_drop_column_if_exists(engine: sa.Engine) -> None:
    base_tables(engine)
    # SQLite has no IF [NOT] EXISTS for columns: mig-sqlite-batch looks the column up online
    run(engine, lambda op: op.drop_column("acct", "nope", if_exists=True))
    run(engine, lambda op: op.drop_column("acct", "qty"))
    assert [c[0] for c in snapshot(engine)["acct"]["columns"]] == ["id", "name", "org_id"]


def test_alter_column_rename_and_reverse(engine: sa.Engine) -> None:
    base_tables(engine)
    after = roundtrip(
        engine, ops.AlterColumnOp("acct", "name", modify_name="full_name")
    )
    assert [c[0] for c in after["acct"]["columns"]] == ["id", "full_name", "org_id", "qty"]


@pytest.mark.parametrize(
    "change",
    [
        {"modify_nullable": False, "existing_nullable": True},
        {"modify_type": sa.String(200), "existing_type": sa.String(50)},
        {"modify_server_default": "anon", "existing_server_default": None},
        {"modify_comment": "the name", "existing_comment": None},
    ],
    ids=["nullable", "type", "server_default", "comment"],
)
def test_alter_column_aspects_and_reverse(engine: sa.Engine, change: dict[str, Any]) -> None:
    base_tables(engine)
    op_obj = ops.AlterColumnOp("acct", "name", **change)
    if _sqlite(engine):
        expected = "does not support comments" if "modify_comment" in change else SQLITE_CANNOT
        with pytest.raises(Exception, match=expected):
            run(engine, lambda op: op.invoke(op_obj))
        return
    after = roundtrip(engine, op_obj)
    name = after["acct"]["columns"][1]
    if "modify_nullable" in change:
        assert name[2] is False
    if "modify_type" in change:
        assert name[1] == "VARCHAR(200)"
    if "modify_server_default" in change:
        assert name[3] == "'anon'::character varying"
    if "modify_comment" in change:
        assert name[4] == "the name"


def test_alter_column_type_with_postgresql_using(engine: sa.Engine) -> None:
    if _sqlite(engine):
        pytest.skip("PostgreSQL option")
    base_tables(engine)
    run(engine, lambda op: op.execute("INSERT INTO acct (id, name) VALUES (1, '42')"))
    run(
        engine,
        lambda op: op.alter_column(
            "acct", "name", type_=sa.Integer, existing_type=sa.String(50),
            postgresql_using="name::integer",
        ),
    )
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name + 1 FROM acct")).scalar() == 43


def test_alter_column_identity_on_postgresql(engine: sa.Engine) -> None:
    if _sqlite(engine):
        pytest.skip("identity columns are PostgreSQL/Oracle/SQL Server")
    base_tables(engine)
    run(engine, lambda op: op.alter_column("acct", "id", server_default=sa.Identity(start=10)))
    run(engine, lambda op: op.execute("INSERT INTO acct (name) VALUES ('a')"))
    run(engine, lambda op: op.alter_column("acct", "id", server_default=sa.Identity(
        start=10, increment=5), existing_server_default=sa.Identity(start=10)))
    run(engine, lambda op: op.execute("INSERT INTO acct (name) VALUES ('b')"))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT id FROM acct ORDER BY id")).scalars().all() == [
            10, 15,
        ]
    run(engine, lambda op: op.alter_column(
        "acct", "id", server_default=None, existing_server_default=sa.Identity()))
    with pytest.raises(sa.exc.IntegrityError):
        run(engine, lambda op: op.execute("INSERT INTO acct (name) VALUES ('c')"))


# --- indexes and constraints -------------------------------------------------------------------


def test_create_index_and_reverse(engine: sa.Engine) -> None:
    base_tables(engine)
    after = roundtrip(engine, ops.CreateIndexOp("ix_acct_name", "acct", ["name", "qty"],
                                                unique=True))
    assert ("ix_acct_name", ("name", "qty"), True) in after["acct"]["indexes"]


def test_expression_index_and_drop_index_from_index(engine: sa.Engine) -> None:
    base_tables(engine)
    run(engine, lambda op: op.create_index("ix_lower", "acct", [sa.text("lower(name)")]))
    assert index_names(engine, "acct") == ["ix_lower"]
    index = sa.Index("ix_qty", sa.Table("acct", sa.MetaData(), sa.Column("qty", sa.Integer)).c.qty)
    before = snapshot(engine)
    drop = ops.DropIndexOp.from_index(index)
    run(engine, lambda op: op.invoke(drop.reverse()))
    assert ("ix_qty", ("qty",), False) in snapshot(engine)["acct"]["indexes"]
    run(engine, lambda op: op.invoke(drop))
    assert snapshot(engine) == before
    run(engine, lambda op: op.drop_index("ix_lower", "acct", if_exists=True))
    run(engine, lambda op: op.drop_index("ix_lower", "acct", if_exists=True))
    assert index_names(engine, "acct") == []


def index_names(engine: sa.Engine, table: str) -> list[str]:
    """Index names straight from the catalog (SQLAlchemy skips expression indexes on SQLite)."""
    if _sqlite(engine):
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
    else:
        sql = "SELECT indexname FROM pg_indexes WHERE tablename = :t"
    with engine.connect() as conn:
        return sorted(conn.execute(sa.text(sql), {"t": table}).scalars())


CONSTRAINT_OPS = {
    "unique": lambda: ops.CreateUniqueConstraintOp("uq_acct_name", "acct", ["name", "org_id"]),
    "primary": lambda: ops.CreatePrimaryKeyOp("pk_acct", "acct", ["id"]),
    "foreignkey": lambda: ops.CreateForeignKeyOp(
        "fk_acct_org", "acct", "org", ["org_id"], ["id"], ondelete="SET NULL",
        onupdate="CASCADE",
    ),
    "check": lambda: ops.CreateCheckConstraintOp("ck_acct_qty", "acct", "qty > 0"),
}


@pytest.mark.parametrize("kind", sorted(CONSTRAINT_OPS))
def test_constraint_ops_and_reverse(engine: sa.Engine, kind: str) -> None:
    base_tables(engine)
    op_obj = CONSTRAINT_OPS[kind]()
    if _sqlite(engine):
        # SQLite: no ALTER TABLE ADD CONSTRAINT (foreign keys are not even expressible)
        with pytest.raises(Exception, match=SQLITE_CANNOT + "|cannot add this ForeignKeyConstraint"):
            run(engine, lambda op: op.invoke(op_obj))
        return
    after = roundtrip(engine, op_obj)["acct"]
    if kind == "unique":
        assert after["uniques"] == [("uq_acct_name", ("name", "org_id"))]
    elif kind == "primary":
        assert after["pk"] == ("pk_acct", ["id"])
    elif kind == "foreignkey":
        assert after["fks"][0][:4] == ("fk_acct_org", ("org_id",), "org", ("id",))
        assert dict(after["fks"][0][4]) == {"ondelete": "SET NULL", "onupdate": "CASCADE"}
    else:
        assert after["checks"] == [("ck_acct_qty", "qty > 0")]


def test_drop_constraint_by_name_and_if_exists(engine: sa.Engine) -> None:
    base_tables(engine)
    if _sqlite(engine):  # no ALTER TABLE ... DROP CONSTRAINT in SQLite
        with pytest.raises(Exception, match=SQLITE_CANNOT):
            run(engine, lambda op: op.drop_constraint("uq_n", "acct", type_="unique"))
        return
    run(engine, lambda op: op.create_unique_constraint("uq_n", "acct", ["name"]))
    run(engine, lambda op: op.drop_constraint("uq_n", "acct", type_="unique"))
    run(engine, lambda op: op.drop_constraint("uq_n", "acct", if_exists=True))
    assert snapshot(engine)["acct"]["uniques"] == []


def test_drop_constraint_from_constraint_is_reversible(engine: sa.Engine) -> None:
    if _sqlite(engine):
        pytest.skip("SQLite cannot drop constraints without a batch")
    base_tables(engine)
    run(engine, lambda op: op.create_check_constraint("ck_q", "acct", "qty < 100"))
    table = sa.Table("acct", sa.MetaData(), sa.Column("qty", sa.Integer))
    check = sa.CheckConstraint("qty < 100", name="ck_q")
    table.append_constraint(check)
    before = snapshot(engine)
    drop = ops.DropConstraintOp.from_constraint(check)
    run(engine, lambda op: op.invoke(drop))
    assert snapshot(engine)["acct"]["checks"] == []
    run(engine, lambda op: op.invoke(drop.reverse()))
    assert snapshot(engine) == before


# --- data and SQL --------------------------------------------------------------------------


def test_execute_forms_and_inline_literal(engine: sa.Engine) -> None:
    base_tables(engine)
    acct = sa.table("acct", sa.column("id", sa.Integer), sa.column("name", sa.String))

    def migrate(op: Any) -> None:
        op.execute("INSERT INTO acct (id, name) VALUES (1, 'a')")
        op.execute(sa.text("INSERT INTO acct (id, name) VALUES (:i, :n)").bindparams(i=2, n="b"))
        op.execute(acct.insert().values(id=3, name=op.inline_literal("it's \\ x")))
        op.execute(
            acct.update().where(acct.c.id == op.inline_literal(1)).values(name=sa.null()),
            execution_options={"no_parameters": False},
        )

    run(engine, migrate)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, name FROM acct ORDER BY id")).all()
    assert rows == [(1, None), (2, "b"), (3, "it's \\ x")]


def test_bulk_insert_with_inline_literal_values(engine: sa.Engine) -> None:
    base_tables(engine)
    acct = sa.table("acct", sa.column("id", sa.Integer), sa.column("name", sa.String))
    run(engine, lambda op: op.bulk_insert(
        acct, [{"id": 1, "name": op.inline_literal("x'y")}, {"id": 2, "name": "plain"}]
    ))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT name FROM acct ORDER BY id")).scalars().all() == [
            "x'y", "plain",
        ]


def test_offline_bulk_insert_sql_round_trips_on_the_real_database(engine: sa.Engine) -> None:
    """The literal INSERTs written offline, run on the server, store exactly the values."""
    import io

    base_tables(engine)
    values = ["O'Brien", "back\\slash", "both '\\' and \\'", None, "ünï'code", "%(x)s :y"]
    acct = sa.table("acct", sa.column("id", sa.Integer), sa.column("name", sa.String))
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=engine.dialect.name, opts={"as_sql": True, "output_buffer": buf},
        plugin_manager=PM,
    )
    with Operations.context(ctx) as op:
        op.bulk_insert(acct, [{"id": i, "name": v} for i, v in enumerate(values)])
        op.execute(acct.update().where(acct.c.id == op.inline_literal(0)).values(
            name=op.inline_literal("it's")))
    statements = [s.strip().rstrip(";") for s in buf.getvalue().split(";\n\n") if s.strip()]
    assert len(statements) == len(values) + 1
    raw = engine.raw_connection()  # as a script runner: no parameters, so no % interpolation
    try:
        cursor = raw.cursor()
        for statement in statements:
            cursor.execute(statement)
        raw.commit()
    finally:
        raw.close()
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT name FROM acct ORDER BY id")).scalars().all()
    assert stored == ["it's", *values[1:]]


# --- hostile identifiers ---------------------------------------------------------------------


def test_hostile_identifiers_are_quoted_and_run(engine: sa.Engine) -> None:
    table = 'we"ird tab'

    def migrate(op: Any) -> None:
        t = op.create_table(
            table,
            sa.Column("select", sa.Integer, primary_key=True),
            sa.Column("Mixed Case", sa.String(20)),
            sa.Column("ünï", sa.Integer),
        )
        op.bulk_insert(t, [{"select": 1, "Mixed Case": "it's", "ünï": 2}])
        op.add_column(table, sa.Column("order", sa.String(10), server_default="o'k"))
        op.alter_column(table, "Mixed Case", new_column_name="from")
        op.create_index("Ix Spaced", table, ["select", "from"])
        op.drop_column(table, "ünï")
        op.rename_table(table, "Group")

    run(engine, migrate)
    snap = snapshot(engine)
    assert sorted(snap) == ["Group"]
    assert [c[0] for c in snap["Group"]["columns"]] == ["select", "from", "order"]
    assert snap["Group"]["indexes"] == [("Ix Spaced", ("select", "from"), False)]
    with engine.connect() as conn:
        row = conn.execute(sa.text('SELECT "select", "from", "order" FROM "Group"')).one()
    assert tuple(row) == (1, "it's", "o'k")


def test_batch_recreate_never_runs_plain_alters(engine: sa.Engine) -> None:
    base_tables(engine)

    def migrate(op: Any) -> None:
        with op.batch_alter_table("acct", recreate="never") as batch_op:
            batch_op.add_column(sa.Column("email", sa.String(50)))
            batch_op.alter_column("name", new_column_name="full_name")
            batch_op.create_index("ix_email", ["email"])
            batch_op.drop_column("qty")

    run(engine, migrate)
    acct = snapshot(engine)["acct"]
    assert [c[0] for c in acct["columns"]] == ["id", "full_name", "org_id", "email"]
    assert acct["indexes"] == [("ix_email", ("email",), False)]
