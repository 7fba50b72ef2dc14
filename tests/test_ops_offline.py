"""Every operation as exact offline SQL for PostgreSQL, SQLite, SQL Server and Oracle, as the
core writes it: DefaultImpl's standard-SQL ALTER forms through each dialect's SQLAlchemy compiler,
framed with the dialect's terminator and batch separator (``;``, ``;`` + a ``GO`` line, no
``;`` + a ``/`` line).

Dialect plugins (mig-mssql, mig-oracle, mig-postgres ...) replace some of these statements with
their own (impl methods, ``@compiles(..., "<dialect>")``); they test that output in their own
tests. Here the plugins' impls and compilations are left out, so this file pins the core alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from ops_support import (  # the core alone; see the module docstring
    core_plugin_manager,
    offline,
    without_dialect_compilations,  # noqa: F401 (autouse fixture)
)

from mig_core.errors import CommandError

DIALECTS = ("postgresql", "sqlite", "mssql", "oracle")


@pytest.fixture(scope="module")
def pm() -> Any:
    return core_plugin_manager()


def framed(dialect: str, statements: list[str]) -> str:
    """Statements as the dialect's impl writes them offline."""
    if dialect == "mssql":
        parts = [f"{s};\nGO" for s in statements]
    elif dialect == "oracle":
        parts = [f"{s}\n/" for s in statements]
    else:
        parts = [f"{s};" for s in statements]
    return "\n\n".join(parts)


def _batch(op: Any) -> None:
    with op.batch_alter_table("acct", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("x", sa.Integer))
        batch_op.alter_column("name", new_column_name="nm")
        batch_op.create_index("ix_x", ["x"])
        batch_op.create_unique_constraint("uq_x", ["x"])
        batch_op.drop_constraint("uq_x", type_="unique")
        batch_op.drop_index("ix_x")
        batch_op.drop_column("gone")
        # runs at once, before the queued operations (as in Alembic): 'gone' is still there
        batch_op.execute("UPDATE acct SET gone = NULL")


def _execute(op: Any) -> None:
    acct = sa.table("acct", sa.column("name", sa.String), sa.column("id", sa.Integer))
    op.execute("UPDATE acct SET a = 1")
    op.execute(sa.text("DELETE FROM acct WHERE id = 5"))
    op.execute(
        acct.update()
        .where(acct.c.id == op.inline_literal(3))
        .values(name=op.inline_literal("it's a \\ test"))
    )
    op.execute(acct.update().values(name=op.inline_literal(None)))


VARCHAR50 = {"oracle": "VARCHAR2(50 CHAR)"}
NULL_SUFFIX = {"mssql": " NULL"}

#: name -> (operation, {dialect or "*": [statements]})
CASES: dict[str, tuple[Callable[[Any], Any], dict[str, list[str]]]] = {
    "create_table": (
        lambda op: op.create_table(
            "acct",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("name", sa.String(50), nullable=False, server_default="n/a"),
            sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id", ondelete="CASCADE")),
            sa.Column("code", sa.Integer, index=True),
            sa.CheckConstraint("id > 0", name="ck_pos"),
            if_not_exists=True,
        ),
        {
            "*": [
                "CREATE TABLE IF NOT EXISTS acct (\n"
                "    id INTEGER NOT NULL, \n"
                "    name {VARCHAR50} DEFAULT 'n/a' NOT NULL, \n"
                "    org_id INTEGER{NULL}, \n"
                "    code INTEGER{NULL}, \n"
                "    PRIMARY KEY (id), \n"
                "    CONSTRAINT ck_pos CHECK (id > 0), \n"
                "    FOREIGN KEY(org_id) REFERENCES org (id) ON DELETE CASCADE\n"
                ")",
                "CREATE INDEX IF NOT EXISTS ix_acct_code ON acct (code)",
            ],
            "mssql": [
                "CREATE TABLE IF NOT EXISTS acct (\n"
                "    id INTEGER NOT NULL, \n"
                "    name VARCHAR(50) NOT NULL DEFAULT 'n/a', \n"
                "    org_id INTEGER NULL, \n"
                "    code INTEGER NULL, \n"
                "    PRIMARY KEY (id), \n"
                "    CONSTRAINT ck_pos CHECK (id > 0), \n"
                "    FOREIGN KEY(org_id) REFERENCES org (id) ON DELETE CASCADE\n"
                ")",
                "CREATE INDEX ix_acct_code ON acct (code)",
            ],
            "oracle": [
                "CREATE TABLE IF NOT EXISTS acct (\n"
                "    id INTEGER NOT NULL, \n"
                "    name VARCHAR2(50 CHAR) DEFAULT 'n/a' NOT NULL, \n"
                "    org_id INTEGER, \n"
                "    code INTEGER, \n"
                "    PRIMARY KEY (id), \n"
                "    CONSTRAINT ck_pos CHECK (id > 0), \n"
                "    FOREIGN KEY(org_id) REFERENCES org (id) ON DELETE CASCADE\n"
                ")",
                "CREATE INDEX ix_acct_code ON acct (code)",
            ],
        },
    ),
    "drop_table": (
        lambda op: op.drop_table("acct", schema="s", if_exists=True),
        {"*": ["DROP TABLE IF EXISTS s.acct"]},
    ),
    "rename_table": (
        lambda op: op.rename_table("acct", "account", schema="s"),
        {"*": ["ALTER TABLE s.acct RENAME TO account"]},
    ),
    "add_column": (
        lambda op: op.add_column(
            "acct", sa.Column("org_id", sa.Integer, nullable=False, server_default=sa.text("0"))
        ),
        {
            "*": ["ALTER TABLE acct ADD COLUMN org_id INTEGER DEFAULT 0 NOT NULL"],
            "mssql": ["ALTER TABLE acct ADD COLUMN org_id INTEGER NOT NULL DEFAULT 0"],
        },
    ),
    "add_column_with_fk_and_index": (
        lambda op: op.add_column(
            "acct",
            sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id"), index=True),
            schema="s",
        ),
        {
            "*": [
                "ALTER TABLE s.acct ADD COLUMN org_id INTEGER{NULL}",
                "ALTER TABLE s.acct ADD FOREIGN KEY(org_id) REFERENCES org (id)",
                "CREATE INDEX ix_s_acct_org_id ON s.acct (org_id)",
            ],
            "sqlite": [  # SQLite cannot ALTER in a foreign key across schemas: the error test
            ],
            "oracle": [
                "ALTER TABLE s.acct ADD COLUMN org_id INTEGER",
                "ALTER TABLE s.acct ADD FOREIGN KEY(org_id) REFERENCES org (id)",
                "CREATE INDEX s.ix_s_acct_org_id ON s.acct (org_id)",
            ],
        },
    ),
    "add_column_inline": (
        lambda op: op.add_column(
            "acct",
            sa.Column(
                "org_id", sa.Integer, sa.ForeignKey("org.id", ondelete="SET NULL"),
                primary_key=True,
            ),
            inline_references=True,
            inline_primary_key=True,
            if_not_exists=True,
        ),
        {
            "*": [
                "ALTER TABLE acct ADD COLUMN IF NOT EXISTS org_id INTEGER NOT NULL PRIMARY KEY "
                "REFERENCES org (id) ON DELETE SET NULL"
            ],
        },
    ),
    "drop_column": (
        lambda op: op.drop_column("acct", "code", schema="s", if_exists=True),
        {"*": ["ALTER TABLE s.acct DROP COLUMN IF EXISTS code"]},
    ),
    "alter_column_every_aspect": (
        lambda op: op.alter_column(
            "acct", "name", nullable=False, server_default="x", type_=sa.String(100),
            existing_type=sa.String(50), new_column_name="full_name",
        ),
        {
            "*": [
                "ALTER TABLE acct ALTER COLUMN name SET NOT NULL",
                "ALTER TABLE acct ALTER COLUMN name SET DEFAULT 'x'",
                "ALTER TABLE acct ALTER COLUMN name TYPE {VARCHAR100}",
                "ALTER TABLE acct RENAME COLUMN name TO full_name",
            ],
        },
    ),
    "alter_column_drop_default_and_null": (
        lambda op: op.alter_column("acct", "name", server_default=None, nullable=True),
        {
            "*": [
                "ALTER TABLE acct ALTER COLUMN name DROP NOT NULL",
                "ALTER TABLE acct ALTER COLUMN name DROP DEFAULT",
            ],
        },
    ),
    "alter_column_expression_default": (
        lambda op: op.alter_column("acct", "ts", server_default=sa.func.now()),
        {
            "*": ["ALTER TABLE acct ALTER COLUMN ts SET DEFAULT now()"],
            "sqlite": ["ALTER TABLE acct ALTER COLUMN ts SET DEFAULT CURRENT_TIMESTAMP"],
            "mssql": ["ALTER TABLE acct ALTER COLUMN ts SET DEFAULT CURRENT_TIMESTAMP"],
            "oracle": ["ALTER TABLE acct ALTER COLUMN ts SET DEFAULT CURRENT_TIMESTAMP"],
        },
    ),
    "alter_column_postgresql_using": (
        lambda op: op.alter_column(
            "t", "room", type_=sa.String(10), existing_type=sa.Integer,
            postgresql_using="room::text",
        ),
        {
            "*": ["ALTER TABLE t ALTER COLUMN room TYPE {VARCHAR10}"],
            "postgresql": ["ALTER TABLE t ALTER COLUMN room TYPE VARCHAR(10) USING room::text"],
        },
    ),
    "alter_column_identity_add": (
        lambda op: op.alter_column("t", "id", server_default=sa.Identity(start=5)),
        {"*": ["ALTER TABLE t ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH 5)"]},
    ),
    "alter_column_identity_change": (
        lambda op: op.alter_column(
            "t", "id", server_default=sa.Identity(always=True, increment=2),
            existing_server_default=sa.Identity(),
        ),
        {"*": ["ALTER TABLE t ALTER COLUMN id SET GENERATED ALWAYS SET INCREMENT BY 2"]},
    ),
    "alter_column_identity_drop": (
        lambda op: op.alter_column(
            "t", "id", server_default=None, existing_server_default=sa.Identity()
        ),
        {"*": ["ALTER TABLE t ALTER COLUMN id DROP IDENTITY"]},
    ),
    "create_index": (
        lambda op: op.create_index(
            "ix_n", "acct", ["name", sa.text("lower(code)")], unique=True, schema="s",
            if_not_exists=True,
        ),
        {
            "postgresql": ["CREATE UNIQUE INDEX IF NOT EXISTS ix_n ON s.acct (name, lower(code))"],
            "sqlite": ["CREATE UNIQUE INDEX IF NOT EXISTS s.ix_n ON acct (name, lower(code))"],
            "mssql": ["CREATE UNIQUE INDEX ix_n ON s.acct (name, lower(code))"],
            "oracle": ["CREATE UNIQUE INDEX s.ix_n ON s.acct (name, lower(code))"],
        },
    ),
    "create_index_postgresql_where": (
        lambda op: op.create_index(
            "ix_live", "acct", ["name"], postgresql_where=sa.text("deleted IS NULL")
        ),
        {
            "*": ["CREATE INDEX ix_live ON acct (name)"],
            "postgresql": ["CREATE INDEX ix_live ON acct (name) WHERE deleted IS NULL"],
        },
    ),
    "drop_index": (
        lambda op: op.drop_index("ix_n", "acct", schema="s", if_exists=True),
        {
            "*": ["DROP INDEX IF EXISTS s.ix_n"],
            "mssql": ["DROP INDEX IF EXISTS ix_n ON s.acct"],
        },
    ),
    "create_unique_constraint": (
        lambda op: op.create_unique_constraint("uq_c", "acct", ["code", "name"], schema="s"),
        {"*": ["ALTER TABLE s.acct ADD CONSTRAINT uq_c UNIQUE (code, name)"]},
    ),
    "create_primary_key": (
        lambda op: op.create_primary_key("pk_acct", "acct", ["id", "region"]),
        {"*": ["ALTER TABLE acct ADD CONSTRAINT pk_acct PRIMARY KEY (id, region)"]},
    ),
    "create_foreign_key": (
        lambda op: op.create_foreign_key(
            "fk_o", "acct", "org", ["org_id"], ["id"], ondelete="SET NULL",
            deferrable=True, initially="DEFERRED", match="FULL",
        ),
        {
            "*": [
                "ALTER TABLE acct ADD CONSTRAINT fk_o FOREIGN KEY(org_id) REFERENCES org (id) "
                "MATCH FULL ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED"
            ],
        },
    ),
    "create_foreign_key_schemas": (
        lambda op: op.create_foreign_key(
            "fk_o", "acct", "org", ["org_id", "org_region"], ["id", "region"],
            onupdate="CASCADE", source_schema="s", referent_schema="t",
        ),
        {
            "*": [
                "ALTER TABLE s.acct ADD CONSTRAINT fk_o FOREIGN KEY(org_id, org_region) "
                "REFERENCES t.org (id, region) ON UPDATE CASCADE"
            ],
            "sqlite": [],  # cross-schema FK: error test below
            # Oracle has no ON UPDATE (SQLAlchemy warns and leaves it out)
            "oracle": [
                "ALTER TABLE s.acct ADD CONSTRAINT fk_o FOREIGN KEY(org_id, org_region) "
                "REFERENCES t.org (id, region)"
            ],
        },
    ),
    "create_check_constraint": (
        lambda op: op.create_check_constraint(
            "ck_len", "acct", sa.column("name", sa.String).op("<>")("")
        ),
        {"*": ["ALTER TABLE acct ADD CONSTRAINT ck_len CHECK (name <> '')"]},
    ),
    "drop_constraint": (
        lambda op: (
            op.drop_constraint("fk_o", "acct", type_="foreignkey", if_exists=True),
            op.drop_constraint("x", "acct", schema="s"),
        ),
        {
            "*": [
                "ALTER TABLE acct DROP CONSTRAINT IF EXISTS fk_o",
                "ALTER TABLE s.acct DROP CONSTRAINT x",
            ],
        },
    ),
    "table_comments": (
        lambda op: (
            op.create_table_comment("acct", "it's a table", schema="dbo"),
            op.drop_table_comment("acct", schema="dbo"),
        ),
        {
            "postgresql": [
                "COMMENT ON TABLE dbo.acct IS 'it''s a table'",
                "COMMENT ON TABLE dbo.acct IS NULL",
            ],
            "mssql": [
                "execute sp_addextendedproperty 'MS_Description', N'it''s a table', 'schema', "
                "dbo, 'table', acct",
                "execute sp_dropextendedproperty 'MS_Description', 'schema', dbo, 'table', acct",
            ],
            "oracle": [
                "COMMENT ON TABLE dbo.acct IS 'it''s a table'",
                "COMMENT ON TABLE dbo.acct IS ''",
            ],
        },
    ),
    "column_comment": (
        lambda op: (
            op.alter_column("acct", "name", comment="it's", existing_type=sa.String(50)),
            op.alter_column("acct", "name", comment=None, existing_comment="it's"),
        ),
        {
            "*": [
                "COMMENT ON COLUMN acct.name IS 'it''s'",
                "COMMENT ON COLUMN acct.name IS NULL",
            ],
            "sqlite": [],
        },
    ),
    "bulk_insert": (
        lambda op: op.bulk_insert(
            sa.table("acct", sa.column("id", sa.Integer), sa.column("name", sa.String),
                     sa.column("note")),
            [
                {"id": 1, "name": "O'Brien \\ back", "note": None},
                {"id": 2, "name": None, "note": "it's"},
                {"id": 3, "name": op.inline_literal("lit'eral"), "note": 4.5},
            ],
        ),
        {
            "*": [
                "INSERT INTO acct (id, name, note) VALUES (1, 'O''Brien \\ back', NULL)",
                "INSERT INTO acct (id, name, note) VALUES (2, NULL, 'it''s')",
                "INSERT INTO acct (id, name, note) VALUES (3, 'lit''eral', 4.5)",
            ],
        },
    ),
    "execute": (
        _execute,
        {
            "*": [
                "UPDATE acct SET a = 1",
                "DELETE FROM acct WHERE id = 5",
                "UPDATE acct SET name='it''s a \\ test' WHERE acct.id = 3",
                "UPDATE acct SET name=NULL",
            ],
        },
    ),
    "batch_recreate_never": (
        _batch,
        {
            "*": [
                "UPDATE acct SET gone = NULL",
                "ALTER TABLE acct ADD COLUMN x INTEGER{NULL}",
                "ALTER TABLE acct RENAME COLUMN name TO nm",
                "CREATE INDEX ix_x ON acct (x)",
                "ALTER TABLE acct ADD CONSTRAINT uq_x UNIQUE (x)",
                "ALTER TABLE acct DROP CONSTRAINT uq_x",
                "DROP INDEX ix_x",
                "ALTER TABLE acct DROP COLUMN gone",
            ],
            "mssql": [
                "UPDATE acct SET gone = NULL",
                "ALTER TABLE acct ADD COLUMN x INTEGER NULL",
                "ALTER TABLE acct RENAME COLUMN name TO nm",
                "CREATE INDEX ix_x ON acct (x)",
                "ALTER TABLE acct ADD CONSTRAINT uq_x UNIQUE (x)",
                "ALTER TABLE acct DROP CONSTRAINT uq_x",
                "DROP INDEX ix_x ON acct",
                "ALTER TABLE acct DROP COLUMN gone",
            ],
        },
    ),
    "hostile_identifiers": (
        lambda op: (
            op.create_table(
                'we"ird tab',
                sa.Column("select", sa.Integer),
                sa.Column("Mixed Case", sa.Integer),
                sa.Column("ünï", sa.Integer),
            ),
            op.add_column('we"ird tab', sa.Column("order", sa.Integer)),
            op.alter_column('we"ird tab', "Mixed Case", new_column_name="from"),
            op.create_index("Ix Spaced", 'we"ird tab', ["select"]),
            op.drop_column('we"ird tab', "ünï"),
            op.rename_table('we"ird tab', "Group"),
        ),
        {
            "*": [
                'CREATE TABLE "we""ird tab" (\n'
                '    "select" INTEGER, \n'
                '    "Mixed Case" INTEGER, \n'
                '    "ünï" INTEGER\n'
                ")",
                'ALTER TABLE "we""ird tab" ADD COLUMN "order" INTEGER',
                'ALTER TABLE "we""ird tab" RENAME COLUMN "Mixed Case" TO "from"',
                'CREATE INDEX "Ix Spaced" ON "we""ird tab" ("select")',
                'ALTER TABLE "we""ird tab" DROP COLUMN "ünï"',
                'ALTER TABLE "we""ird tab" RENAME TO "Group"',
            ],
            "mssql": [
                'CREATE TABLE [we"ird tab] (\n'
                "    [select] INTEGER NULL, \n"
                "    [Mixed Case] INTEGER NULL, \n"
                "    [ünï] INTEGER NULL\n"
                ")",
                'ALTER TABLE [we"ird tab] ADD COLUMN [order] INTEGER NULL',
                'ALTER TABLE [we"ird tab] RENAME COLUMN [Mixed Case] TO [from]',
                'CREATE INDEX [Ix Spaced] ON [we"ird tab] ([select])',
                'ALTER TABLE [we"ird tab] DROP COLUMN [ünï]',
                'ALTER TABLE [we"ird tab] RENAME TO [Group]',
            ],
        },
    ),
}

_SUBST = {
    "VARCHAR50": {"oracle": "VARCHAR2(50 CHAR)", "*": "VARCHAR(50)"},
    "VARCHAR100": {"oracle": "VARCHAR2(100 CHAR)", "*": "VARCHAR(100)"},
    "VARCHAR10": {"oracle": "VARCHAR2(10 CHAR)", "*": "VARCHAR(10)"},
    "NULL": {"mssql": " NULL", "*": ""},
}


def _expected(dialect: str, spec: dict[str, list[str]]) -> list[str] | None:
    statements = spec.get(dialect, spec.get("*"))
    if statements is None:
        return None
    out = []
    for statement in statements:
        for key, values in _SUBST.items():
            statement = statement.replace("{" + key + "}", values.get(dialect, values["*"]))
        out.append(statement)
    return out


@pytest.mark.filterwarnings("ignore:Oracle Database does not contain native UPDATE CASCADE")
@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_offline_sql(pm: Any, case: str, dialect: str) -> None:
    fn, spec = CASES[case]
    expected = _expected(dialect, spec)
    if expected is None or expected == []:
        pytest.skip(f"{case} is not expressible on {dialect} (checked by an error test)")
    assert offline(pm, dialect, fn) == framed(dialect, expected)


# --- errors the dialects give offline ----------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "name"),
    [("create_foreign_key_schemas", "fk_o"), ("add_column_with_fk_and_index", "(unnamed)")],
)
def test_sqlite_cannot_alter_in_a_cross_schema_foreign_key(pm: Any, case: str, name: str) -> None:
    with pytest.raises(CommandError, match=rf"add constraint '{re.escape(name)}' on 'acct': "
                                           r"dialect 'sqlite' cannot add this ForeignKeyConstraint"):
        offline(pm, "sqlite", CASES[case][0])


@pytest.mark.parametrize("case", ["table_comments", "column_comment"])
def test_sqlite_has_no_comments(pm: Any, case: str) -> None:
    with pytest.raises(CommandError, match="dialect 'sqlite' does not support comments"):
        offline(pm, "sqlite", CASES[case][0])


def test_create_table_comments_follow_the_table_where_not_inline(pm: Any) -> None:
    sql = offline(
        pm,
        "postgresql",
        lambda op: op.create_table(
            "t", sa.Column("a", sa.Integer, comment="col's"), comment="tab", schema="s"
        ),
    )
    assert sql == framed(
        "postgresql",
        [
            "CREATE TABLE s.t (\n    a INTEGER\n)",
            "COMMENT ON TABLE s.t IS 'tab'",
            "COMMENT ON COLUMN s.t.a IS 'col''s'",
        ],
    )


def test_create_table_returns_the_table_for_bulk_insert(pm: Any) -> None:
    tables = []

    def run(op: Any) -> None:
        table = op.create_table("t", sa.Column("id", sa.Integer), sa.Column("v", sa.String(5)))
        tables.append(table)
        op.bulk_insert(table, [{"id": 1, "v": "a'b"}], multiinsert=False)

    sql = offline(pm, "sqlite", run)
    assert isinstance(tables[0], sa.Table) and list(tables[0].c.keys()) == ["id", "v"]
    assert sql.endswith("INSERT INTO t (id, v) VALUES (1, 'a''b');")


def test_postgresql_enum_type_is_created_with_its_table(pm: Any) -> None:
    from sqlalchemy.dialects import postgresql

    mood = postgresql.ENUM("sad", "happy", name="mood")
    sql = offline(pm, "postgresql", lambda op: op.create_table("p", sa.Column("m", mood)))
    assert sql == framed(
        "postgresql",
        ["CREATE TYPE mood AS ENUM ('sad', 'happy')", "CREATE TABLE p (\n    m mood\n)"],
    )


def test_mssql_table_comment_needs_a_schema_offline(pm: Any) -> None:
    with pytest.raises(CommandError, match="cannot write SetTableComment as SQL for dialect "
                                           "'mssql'"):
        offline(pm, "mssql", lambda op: op.create_table_comment("acct", "x"))


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [("postgresql", "DROP INDEX s.ix_a;"), ("sqlite", "DROP INDEX s.ix_a;"),
     ("oracle", "DROP INDEX s.ix_a\n/")],
)
def test_drop_index_without_table_name(pm: Any, dialect: str, expected: str) -> None:
    assert offline(pm, dialect, lambda op: op.drop_index("ix_a", schema="s")) == expected
    plain = offline(pm, dialect, lambda op: op.drop_index("ix_a"))
    assert plain == expected.replace("s.", "")


def test_drop_index_needs_the_table_where_the_dialect_names_it(pm: Any) -> None:
    for kw in ({}, {"schema": "s"}):
        with pytest.raises(CommandError, match=r"drop_index\('ix_a'\): dialect 'mssql' needs "
                                               r"the table name"):
            offline(pm, "mssql", lambda op, kw=kw: op.drop_index("ix_a", **kw))


def test_batch_separator_override_from_configure(pm: Any) -> None:
    sql = offline(pm, "mssql", lambda op: op.drop_table("t"), mssql_batch_separator="GO2")
    assert sql == "DROP TABLE t;\nGO2"
