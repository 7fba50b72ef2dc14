"""What MLflow's migration history does, found by running it with mig beside Alembic
(bench/compat/real_projects.py, bench/compat/README.md). Each test encodes one such pattern."""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.errors import CommandError, MigWarning
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext


@contextmanager
def operations(url: str, **opts: Any) -> Iterator[tuple[Operations, sa.Connection]]:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            yield Operations(MigrationContext.configure(conn, opts=opts)), conn
    finally:
        engine.dispose()


def _sqlite_table_sql(conn: sa.Connection, table: str) -> str:
    return str(conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).scalar())


def test_sqlite_batch_sees_a_unique_that_repeats_the_primary_key(sqlite_url: str) -> None:
    """``UNIQUE (name)`` beside ``PRIMARY KEY (name)``: SQLite makes no index for it, so mig's
    batch did not see it; MLflow drops it through the batch's naming convention before moving
    the primary key ('no constraint of that name'). Kept when the batch does not drop it."""
    convention = {"uq": "uq_%(table_name)s_%(column_0_name)s"}
    with operations(sqlite_url) as (op, conn):
        conn.exec_driver_sql(
            "CREATE TABLE registered_models (name VARCHAR(256) NOT NULL, d VARCHAR(10), "
            "CONSTRAINT registered_model_pk PRIMARY KEY (name), UNIQUE (name))"
        )
        conn.exec_driver_sql(
            "CREATE TABLE kept (name VARCHAR(10) NOT NULL, other INT, "
            "PRIMARY KEY (name), UNIQUE (name))"
        )
        with op.batch_alter_table(
            "registered_models", recreate="auto", naming_convention=convention
        ) as batch_op:
            batch_op.drop_constraint("uq_registered_models_name", type_="unique")
            batch_op.add_column(sa.Column("workspace", sa.String(63), nullable=False,
                                          server_default=sa.text("'default'")))
            batch_op.drop_constraint("registered_model_pk", type_="primary")
            batch_op.create_primary_key("registered_model_pk", ["workspace", "name"])
        with op.batch_alter_table("kept", recreate="always") as batch_op:
            batch_op.drop_column("other")
        inspector = sa.inspect(conn)
        assert inspector.get_unique_constraints("registered_models") == []
        assert inspector.get_pk_constraint("registered_models")["constrained_columns"] == [
            "workspace", "name"
        ]
        assert "UNIQUE" not in _sqlite_table_sql(conn, "registered_models")
        assert [u["column_names"] for u in inspector.get_unique_constraints("kept")] == [["name"]]


PARENT_AND_CHILDREN = (
    "CREATE TABLE registered_models (name VARCHAR(256) NOT NULL, "
    "CONSTRAINT registered_model_pk PRIMARY KEY (name))",
    "CREATE TABLE model_versions (name VARCHAR(256), version INTEGER NOT NULL, "
    "CONSTRAINT model_version_pk PRIMARY KEY (name, version), "
    "CONSTRAINT fk_mv FOREIGN KEY (name) REFERENCES registered_models (name))",
    "INSERT INTO registered_models VALUES ('m')",
    "INSERT INTO model_versions VALUES ('m', 1)",
)


def _move_parent_key(op: Operations) -> None:
    with op.batch_alter_table("registered_models", recreate="auto") as batch_op:
        batch_op.add_column(sa.Column("workspace", sa.String(63), nullable=False,
                                      server_default=sa.text("'default'")))
        batch_op.drop_constraint("registered_model_pk", type_="primary")
        batch_op.create_primary_key("registered_model_pk", ["workspace", "name"])


def _move_child_key(op: Operations) -> None:
    with op.batch_alter_table("model_versions", recreate="auto") as batch_op:
        batch_op.add_column(sa.Column("workspace", sa.String(63), nullable=False,
                                      server_default=sa.text("'default'")))
        batch_op.drop_constraint("fk_mv", type_="foreignkey")
        batch_op.create_foreign_key(
            "fk_mv", "registered_models", ["workspace", "name"], ["workspace", "name"]
        )


@pytest.mark.parametrize("foreign_keys", [False, True])
def test_sqlite_batch_moves_a_referenced_key_before_the_children_follow(
    sqlite_url: str, foreign_keys: bool
) -> None:
    """MLflow moves ``registered_models``' primary key to (workspace, name) in one batch and
    the children's foreign keys in the next ones: mig refused the first batch (the children
    pointed at a column no longer unique). The check now waits for the commit."""
    engine = sa.create_engine(sqlite_url)
    if foreign_keys:
        sa.event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA foreign_keys=ON"))
    with engine.begin() as conn:
        for sql in PARENT_AND_CHILDREN:
            conn.exec_driver_sql(sql)
    with engine.begin() as conn:
        op = Operations(MigrationContext.configure(conn))
        _move_parent_key(op)
        _move_child_key(op)
    with engine.connect() as conn:
        fks = sa.inspect(conn).get_foreign_keys("model_versions")
        assert [(fk["constrained_columns"], fk["referred_columns"]) for fk in fks] == [
            (["workspace", "name"], ["workspace", "name"])
        ]
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    engine.dispose()


def test_sqlite_batch_key_left_loose_at_commit_is_refused(sqlite_url: str) -> None:
    """When nothing moves the children's foreign key, the commit is refused and rolled back,
    naming the batch, the child and its key."""
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        for sql in PARENT_AND_CHILDREN:
            conn.exec_driver_sql(sql)
    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('registered_models'): table 'model_versions' has a foreign key "
        "(model_versions(name)) to registered_models(name), which after the batch is neither "
        "the primary key nor unique, and no later step of the transaction moved it (foreign "
        "key mismatch"
    )):
        with engine.begin() as conn:
            _move_parent_key(Operations(MigrationContext.configure(conn)))
    with engine.connect() as conn:
        assert sa.inspect(conn).get_pk_constraint("registered_models")["constrained_columns"] == [
            "name"
        ]
    engine.dispose()


def test_sqlite_batch_column_dropped_and_added_again_keeps_its_indexes_and_constraints(
    sqlite_url: str,
) -> None:
    """MLflow drops the generated column ``spans.duration_ns`` and adds it again in one batch
    (to move it): Alembic keeps the index on (experiment_id, duration_ns), mig dropped it
    with the column. What goes with a column comes back when the batch adds a column of that
    name again; what uses a column dropped for good still goes (the CHECK with a warning)."""
    with operations(sqlite_url) as (op, conn):
        conn.exec_driver_sql("CREATE TABLE p (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql(
            "CREATE TABLE spans (id INTEGER PRIMARY KEY, x INT, y INT CONSTRAINT fk_y "
            "REFERENCES p (id), z INT, content TEXT, CONSTRAINT uq_xy UNIQUE (x, y), "
            "CONSTRAINT ck_y CHECK (y > 0), CONSTRAINT ck_z CHECK (z > 0))"
        )
        conn.exec_driver_sql("CREATE INDEX ix_xy ON spans (x, y)")
        conn.exec_driver_sql("CREATE INDEX ix_yz ON spans (y, z)")
        with pytest.warns(MigWarning, match="check constraint 'ck_z' uses column 'z'"):
            with op.batch_alter_table("spans") as batch_op:
                batch_op.drop_column("y")
                batch_op.drop_column("z")
                batch_op.add_column(
                    sa.Column("y", sa.BigInteger(), sa.Computed("x + 1", persisted=True)),
                    insert_before="content",
                )
        inspector = sa.inspect(conn)
        assert sorted(ix["name"] for ix in inspector.get_indexes("spans")) == ["ix_xy"]
        assert [u["name"] for u in inspector.get_unique_constraints("spans")] == ["uq_xy"]
        assert [c["name"] for c in inspector.get_check_constraints("spans")] == ["ck_y"]
        assert [fk["constrained_columns"] for fk in inspector.get_foreign_keys("spans")] == [["y"]]
        assert [c["name"] for c in inspector.get_columns("spans")] == ["id", "x", "y", "content"]


def _change_run_status(op: Operations) -> None:
    """MLflow's cfd24bdc0731 and 39d1c3be5f05: a non-native Enum gets a value, a Boolean gets
    its CHECK."""
    with op.batch_alter_table("runs") as batch_op:
        batch_op.alter_column(
            "status",
            type_=sa.Enum("A", "B", "C", create_constraint=True, native_enum=False),
            existing_type=sa.Enum("A", "B", create_constraint=True, native_enum=False,
                                  name="status"),
        )
        batch_op.alter_column("is_nan", type_=sa.Boolean(create_constraint=True),
                              nullable=False)


def _offline_sql(dialect: str, fn: Callable[[Operations], None]) -> str:
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buf, "literal_binds": True}
    )
    fn(Operations(ctx))
    return "\n".join(line for line in buf.getvalue().splitlines() if line.strip())


def test_alter_column_type_drops_and_adds_the_checks_of_schema_types() -> None:
    """mig changed the column's type only: the old Enum's CHECK stayed (without the new value)
    and no CHECK came with the new Enum or Boolean. Alembic drops the named CHECK of
    ``existing_type`` (not on MySQL) and adds the new type's where the type is not native."""
    assert _offline_sql("postgresql", _change_run_status).splitlines() == [
        "ALTER TABLE runs DROP CONSTRAINT status;",
        "ALTER TABLE runs ALTER COLUMN status TYPE VARCHAR(1);",
        "ALTER TABLE runs ADD CHECK (status IN ('A', 'B', 'C'));",
        "ALTER TABLE runs ALTER COLUMN is_nan TYPE BOOLEAN;",
        "ALTER TABLE runs ALTER COLUMN is_nan SET NOT NULL;",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MigWarning)  # MODIFY written without existing_*
        mysql = _offline_sql("mysql", _change_run_status)
    assert mysql.splitlines() == [
        "ALTER TABLE runs MODIFY status VARCHAR(1) NULL;",
        "ALTER TABLE runs ADD CHECK (status IN ('A', 'B', 'C'));",
        "ALTER TABLE runs MODIFY is_nan BOOL NOT NULL;",
        "ALTER TABLE runs ADD CHECK (is_nan IN (0, 1));",
    ]


def test_alter_column_type_unnamed_old_check_is_left_with_a_warning() -> None:
    def change(op: Operations) -> None:
        op.alter_column("t", "c", type_=sa.Enum("x", "y", create_constraint=True,
                                                native_enum=False),
                        existing_type=sa.Enum("x", create_constraint=True, native_enum=False))

    with pytest.warns(MigWarning, match="the CHECK constraint of existing_type .* has no name"):
        sql = _offline_sql("postgresql", change)
    assert sql.splitlines() == [
        "ALTER TABLE t ALTER COLUMN c TYPE VARCHAR(1);",
        "ALTER TABLE t ADD CHECK (c IN ('x', 'y'));",
    ]


def test_alter_column_enum_check_online_postgres(postgres_url: str) -> None:
    with operations(postgres_url) as (op, conn):
        conn.exec_driver_sql(
            "CREATE TABLE runs (id INT PRIMARY KEY, status VARCHAR(1) "
            "CONSTRAINT status CHECK (status IN ('A', 'B')), is_nan BOOLEAN)"
        )
        _change_run_status(op)
        conn.exec_driver_sql("INSERT INTO runs VALUES (1, 'C', false)")
        checks = sa.inspect(conn).get_check_constraints("runs")
        assert [c["name"] for c in checks] == ["runs_status_check"]
        conn.exec_driver_sql("DROP TABLE runs")


def test_alter_column_boolean_check_online_mariadb(mysql_url: str) -> None:
    with operations(mysql_url) as (op, conn):
        conn.exec_driver_sql("CREATE TABLE runs (id INT PRIMARY KEY, status VARCHAR(1), "
                             "is_nan BOOL)")
        try:
            _change_run_status(op)
            checks = sa.inspect(conn).get_check_constraints("runs")
            assert sorted(c["sqltext"] for c in checks) == [
                "`is_nan` in (0,1)", "`status` in ('A','B','C')"
            ]
        finally:
            conn.exec_driver_sql("DROP TABLE runs")
