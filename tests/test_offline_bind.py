"""``op.get_bind()`` / ``context.get_bind()`` in offline (``--sql``) mode: a stand-in connection
whose executions are written into the script, in order, and whose reads fail clearly."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from runtime_support import config_for, make_project
from sqlalchemy.dialects import postgresql

from mig_core import command
from mig_core.cli import main
from mig_core.errors import CommandError
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext
from mig_core.runtime.offline_bind import OfflineReadError


def offline(dialect: str) -> tuple[Operations, io.StringIO]:
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buf}
    )
    return Operations(ctx), buf


def data_steps(op: Operations) -> None:
    """Bind executions between two op.* statements, as a hand-written revision does."""
    op.add_column("widget", sa.Column("x", sa.Integer))
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE widget SET name = :n WHERE id = :i"), {"n": "o'k", "i": 3})
    bind.execute(sa.text("UPDATE widget SET x = :x WHERE id = :i"), [{"x": 1, "i": 1},
                                                                     {"x": 2, "i": 2}])
    widget = sa.table("widget", sa.column("id", sa.Integer), sa.column("name", sa.String))
    bind.execute(
        sa.update(widget).where(widget.c.id == sa.bindparam("b_id")).values(name=sa.bindparam("b_n")),
        {"b_id": 4, "b_n": "z"},
    )
    bind.execute(sa.insert(widget), {"id": 9, "name": "q"})
    bind.exec_driver_sql("DELETE FROM widget WHERE x IS NULL")
    op.drop_column("widget", "x")


DATA_STATEMENTS = [
    "UPDATE widget SET name = 'o''k' WHERE id = 3",
    "UPDATE widget SET x = 1 WHERE id = 1",
    "UPDATE widget SET x = 2 WHERE id = 2",
    "UPDATE widget SET name='z' WHERE widget.id = 4",
    "INSERT INTO widget (id, name) VALUES (9, 'q')",
    "DELETE FROM widget WHERE x IS NULL",
]


def test_executions_are_written_in_order_postgresql():
    op, buf = offline("postgresql")
    data_steps(op)
    expected = ["ALTER TABLE widget ADD COLUMN x INTEGER", *DATA_STATEMENTS,
                "ALTER TABLE widget DROP COLUMN x"]
    assert buf.getvalue() == "".join(f"{s};\n\n" for s in expected)


def test_executions_get_the_batch_separator_on_oracle():
    op, buf = offline("oracle")
    data_steps(op)
    expected = ["ALTER TABLE widget ADD x INTEGER", *DATA_STATEMENTS,
                "ALTER TABLE widget DROP COLUMN x"]
    assert buf.getvalue() == "".join(f"{s}\n/\n\n" for s in expected)


def test_executions_get_terminator_and_go_on_mssql():
    op, buf = offline("mssql")
    op.add_column("widget", sa.Column("x", sa.Integer))
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE widget SET x = :x"), {"x": 7})
    bind.exec_driver_sql("DELETE FROM widget")
    op.execute("DROP TABLE old")
    assert buf.getvalue() == (
        "ALTER TABLE widget ADD x INTEGER NULL;\nGO\n\n"
        "UPDATE widget SET x = 7;\nGO\n\n"
        "DELETE FROM widget;\nGO\n\n"
        "DROP TABLE old;\nGO\n\n"
    )


@pytest.mark.parametrize("dialect", ["postgresql", "mssql", "oracle", "sqlite"])
def test_dialect_of_the_bind_is_the_runs(dialect):
    op, _ = offline(dialect)
    bind = op.get_bind()
    assert bind.dialect.name == dialect
    assert bind is op.get_bind() is op.get_context().bind


def test_enum_create_and_drop_through_the_bind_postgresql():
    op, buf = offline("postgresql")
    sa.Enum("red", "green", name="color").create(op.get_bind())
    op.add_column("widget", sa.Column("c", postgresql.ENUM(name="color", create_type=False)))
    postgresql.ENUM("s", "m", name="size").create(op.get_bind())  # checkfirst defaults to True
    postgresql.ENUM(name="size").drop(op.get_bind())
    sa.Enum(name="color").drop(op.get_bind(), checkfirst=False)
    assert buf.getvalue() == (
        "CREATE TYPE color AS ENUM ('red', 'green');\n\n"
        "ALTER TABLE widget ADD COLUMN c color;\n\n"
        "CREATE TYPE size AS ENUM ('s', 'm');\n\n"
        "DROP TYPE size;\n\n"
        "DROP TYPE color;\n\n"
    )


def test_schema_items_create_through_the_bind_on_oracle():
    op, buf = offline("oracle")
    sa.Sequence("widget_seq").create(op.get_bind())
    widget = sa.Table("widget", sa.MetaData(), sa.Column("id", sa.Integer))
    sa.Index("ix_widget_id", widget.c.id).create(op.get_bind())
    assert buf.getvalue() == (
        "CREATE SEQUENCE widget_seq\n/\n\n"
        "CREATE INDEX ix_widget_id ON widget (id)\n/\n\n"
    )


@pytest.mark.parametrize(
    ("read", "what"),
    [
        (lambda b, s: b.execute(s).fetchall(), "reading a result (.fetchall())"),
        (lambda b, s: b.execute(s).scalar(), "reading a result (.scalar())"),
        (lambda b, s: list(b.execute(s)), "reading a result (iterating over it)"),
        (lambda b, s: b.execute(s).rowcount, "reading a result (.rowcount)"),
        (lambda b, s: b.scalar(s), "op.get_bind().scalar()"),
        (lambda b, s: b.scalars(s).all(), "op.get_bind().scalars()"),
    ],
)
def test_reads_raise_a_clear_error_naming_the_statement(read, what):
    op, _ = offline("postgresql")
    widget = sa.table("widget", sa.column("id"))
    with pytest.raises(OfflineReadError) as info:
        read(op.get_bind(), sa.select(widget.c.id).where(widget.c.id > 5))
    message = str(info.value)
    assert message.startswith(f"{what} cannot work in offline (--sql) mode "
                              "(SELECT widget.id FROM widget WHERE widget.id > 5)")
    assert "context.is_offline_mode()" in message
    assert isinstance(info.value, CommandError)


def test_reflection_and_the_driver_connection_raise_clear_errors():
    op, _ = offline("postgresql")
    bind = op.get_bind()
    with pytest.raises(OfflineReadError, match=r"sa\.inspect\(op\.get_bind\(\)\) \(reflection\)"):
        sa.inspect(bind)
    with pytest.raises(AttributeError, match=r"offline \(--sql\) mode has no 'connection'"):
        bind.connection  # noqa: B018
    with pytest.raises(CommandError, match=r"exec_driver_sql\(\) with parameters"):
        bind.exec_driver_sql("DELETE FROM widget WHERE id = %(id)s", {"id": 1})
    with pytest.raises(sa.exc.ObjectNotExecutableError):  # as online: a string needs text()
        bind.execute("DELETE FROM widget")
    with pytest.raises(CommandError, match=r"parameter\(s\) nope name no bound parameter"):
        bind.execute(sa.delete(sa.table("widget")), {"nope": 1})


def test_online_get_bind_is_the_connection_offline_a_stand_in(sqlite_url):
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        ctx = MigrationContext.configure(connection=connection)
        assert Operations(ctx).get_bind() is connection
    engine.dispose()
    op, _ = offline("sqlite")
    assert isinstance(op.get_bind(), sa.engine.mock.MockConnection)


REVISIONS = [
    {
        "rev": "r1",
        "upgrade": """
            from sqlalchemy.dialects import postgresql
            from mig_core import context
            bind = op.get_bind()
            assert bind is context.get_bind() and bind is context.get_context().bind
            if bind.dialect.name == "postgresql":
                postgresql.ENUM("red", "green", name="color").create(bind)
            op.add_column("widget", sa.Column("color", postgresql.ENUM(name="color", create_type=False)))
            bind.execute(sa.text("UPDATE widget SET color = :c WHERE id = :i"), {"c": "red", "i": 1})
            bind.exec_driver_sql("ANALYZE widget")
        """,
        "downgrade": """
            op.drop_column("widget", "color")
            sa.Enum(name="color").drop(op.get_bind())
        """,
    },
    {"rev": "r2", "down": "r1", "upgrade": "op.execute('CREATE TABLE t2 (x INT)')",
     "downgrade": "op.execute('DROP TABLE t2')"},
]

CLI_UPGRADE = """\
BEGIN;

CREATE TABLE mig_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT mig_version_pkc PRIMARY KEY (version_num));

-- Running upgrade base -> r1

CREATE TYPE color AS ENUM ('red', 'green');

ALTER TABLE widget ADD COLUMN color color;

UPDATE widget SET color = 'red' WHERE id = 1;

ANALYZE widget;

INSERT INTO mig_version (version_num) VALUES ('r1');

-- Running upgrade r1 -> r2

CREATE TABLE t2 (x INT);

UPDATE mig_version SET version_num='r2' WHERE version_num = 'r1';

COMMIT;

"""

CLI_DOWNGRADE = """\
BEGIN;

-- Running downgrade r1 -> base

ALTER TABLE widget DROP COLUMN color;

DROP TYPE color;

DELETE FROM mig_version WHERE version_num = 'r1';

COMMIT;

"""


def test_cli_upgrade_and_downgrade_sql_scripts(tmp_path, capsys):
    ini = make_project(tmp_path, "postgresql://", REVISIONS)
    assert main(["-c", str(ini), "upgrade", "--sql", "head"]) == 0
    out = capsys.readouterr()
    assert out.out == CLI_UPGRADE, out.err
    assert main(["-c", str(ini), "downgrade", "--sql", "r1:base"]) == 0
    out = capsys.readouterr()
    assert out.out == CLI_DOWNGRADE, out.err


def test_mssql_script_through_the_command_api(tmp_path):
    revisions = [{"rev": "r1", "upgrade": """
        op.add_column("widget", sa.Column("x", sa.Integer))
        op.get_bind().execute(sa.text("UPDATE widget SET x = :x"), {"x": 0})
    """}]
    ini = make_project(tmp_path, "mssql://", revisions)
    buf = io.StringIO()
    command.upgrade(config_for(ini, configure={"output_buffer": buf}), "r1", sql=True)
    assert buf.getvalue().split("-- Running upgrade base -> r1\n\n", 1)[1] == (
        "ALTER TABLE widget ADD x INTEGER NULL;\nGO\n\n"
        "UPDATE widget SET x = 0;\nGO\n\n"
        "INSERT INTO mig_version (version_num) VALUES ('r1');\nGO\n\n"
        "COMMIT;\nGO\n\n"
    )


def test_cli_read_in_a_revision_fails_with_the_revision_and_the_reason(tmp_path, capsys):
    revisions = [{"rev": "r1", "upgrade": """
        count = op.get_bind().execute(sa.text("SELECT count(*) FROM widget")).scalar()
    """}]
    ini = make_project(tmp_path, "postgresql://", revisions)
    assert main(["-c", str(ini), "upgrade", "--sql", "head"]) == 1
    err = capsys.readouterr().err
    assert "revision r1 (" in err
    assert ("reading a result (.scalar()) cannot work in offline (--sql) mode "
            "(SELECT count(*) FROM widget)") in err
    assert "context.is_offline_mode()" in err
