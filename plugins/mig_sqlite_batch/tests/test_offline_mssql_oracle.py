"""Offline (--sql) ``recreate="always"`` with ``copy_from`` on SQL Server and Oracle: the script
is complete and runnable there (exact SQL, each batch read by sqlglot).

It used to rename with ``ALTER TABLE t RENAME TO`` (not T-SQL: ``sp_rename``), to copy into
an IDENTITY column without ``SET IDENTITY_INSERT`` (SQL Server refuses explicit values), to
create the new table with the old table's constraint names while it still held them (both
databases name constraints per schema), and on Oracle to copy into a ``GENERATED ALWAYS``
identity (refused) and leave an identity that starts again at 1.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import offline

sqlglot = pytest.importorskip("sqlglot")

from sqlglot import exp  # noqa: E402


def acct_table() -> sa.Table:
    return sa.Table(
        "acct", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("qty", sa.String(10)),
        sa.Column("parent_id", sa.Integer,
                  sa.ForeignKey("acct.id", name="fk_acct_parent")),
        sa.Column("legacy", sa.Integer),
        sa.CheckConstraint("qty <> ''", name="ck_qty"),
        sa.UniqueConstraint("name", name="uq_acct_name"),
        sa.Index("ix_acct_name", "name"),
    )


def migrate(op: Any) -> None:
    with op.batch_alter_table("acct", copy_from=acct_table(), recreate="always") as b:
        b.alter_column("name", new_column_name="full_name")
        b.drop_column("legacy")


def batches(script: str, separator: str) -> list[str]:
    parts = re.split(rf"^{re.escape(separator)}$", script, flags=re.M)
    return [p.strip() for p in parts if p.strip()]


def parse_all(script: str, separator: str, dialect: str, opaque: str) -> list[str]:
    """Each batch parsed; only those matching ``opaque`` may be an opaque ``Command``."""
    found = batches(script, separator)
    for text in found:
        trees = sqlglot.parse(text, read=dialect, error_level=sqlglot.ErrorLevel.RAISE)
        if not re.match(opaque, text):
            assert not any(isinstance(n, exp.Command) for t in trees for n in t.walk()), text
    return [b.rstrip(";") for b in found]


def test_mssql_script() -> None:
    script = offline("mssql", migrate)
    assert parse_all(script, "GO", "tsql", r"SET IDENTITY_INSERT ") == [
        "ALTER TABLE acct DROP CONSTRAINT fk_acct_parent",
        "ALTER TABLE acct DROP CONSTRAINT ck_qty",
        "ALTER TABLE acct DROP CONSTRAINT uq_acct_name",
        "CREATE TABLE _mig_tmp_acct (\n"
        "    id INTEGER NOT NULL IDENTITY, \n"
        "    full_name VARCHAR(50) NOT NULL, \n"
        "    qty VARCHAR(10) NULL, \n"
        "    parent_id INTEGER NULL, \n"
        "    PRIMARY KEY (id), \n"
        "    CONSTRAINT uq_acct_name UNIQUE (full_name), \n"
        "    CONSTRAINT fk_acct_parent FOREIGN KEY(parent_id) REFERENCES _mig_tmp_acct (id), \n"
        "    CONSTRAINT ck_qty CHECK (qty <> '')\n"
        ")",
        "SET IDENTITY_INSERT _mig_tmp_acct ON",
        "INSERT INTO _mig_tmp_acct (id, full_name, qty, parent_id) "
        "SELECT id, name, qty, parent_id FROM acct",
        "SET IDENTITY_INSERT _mig_tmp_acct OFF",
        "DROP TABLE acct",
        "EXEC sp_rename N'_mig_tmp_acct', N'acct'",
        "CREATE INDEX ix_acct_name ON acct (full_name)",
    ]


def test_oracle_script() -> None:
    script = offline("oracle", migrate)
    assert parse_all(script, "/", "oracle", r"$^") == [
        "ALTER TABLE acct DROP CONSTRAINT fk_acct_parent",
        "ALTER TABLE acct DROP CONSTRAINT ck_qty",
        "ALTER TABLE acct DROP CONSTRAINT uq_acct_name",
        'CREATE TABLE "_mig_tmp_acct" (\n'
        "    id INTEGER NOT NULL, \n"
        "    full_name VARCHAR2(50 CHAR) NOT NULL, \n"
        "    qty VARCHAR2(10 CHAR), \n"
        "    parent_id INTEGER, \n"
        "    PRIMARY KEY (id), \n"
        "    CONSTRAINT uq_acct_name UNIQUE (full_name), \n"
        '    CONSTRAINT fk_acct_parent FOREIGN KEY(parent_id) REFERENCES "_mig_tmp_acct" (id), \n'
        "    CONSTRAINT ck_qty CHECK (qty <> '')\n"
        ")",
        'INSERT INTO "_mig_tmp_acct" (id, full_name, qty, parent_id) '
        "SELECT id, name, qty, parent_id FROM acct",
        "DROP TABLE acct",
        'ALTER TABLE "_mig_tmp_acct" RENAME TO acct',
        "CREATE INDEX ix_acct_name ON acct (full_name)",
    ]
    assert ";" not in script


def test_oracle_identity_columns_are_copied_and_continue() -> None:
    def change(op: Any) -> None:
        copy = sa.Table("t", sa.MetaData(),
                        sa.Column("id", sa.Integer, sa.Identity(always=True), primary_key=True),
                        sa.Column("n", sa.Integer, sa.Identity(oracle_on_null=True)),
                        sa.Column("x", sa.String(5)))
        with op.batch_alter_table("t", copy_from=copy, recreate="always") as b:
            b.alter_column("x", type_=sa.String(10))

    found = parse_all(offline("oracle", change), "/", "oracle", r"ALTER TABLE \S+ MODIFY ")
    assert found[0].startswith(
        'CREATE TABLE "_mig_tmp_t" (\n    id INTEGER GENERATED BY DEFAULT AS IDENTITY, \n'
        "    n INTEGER GENERATED BY DEFAULT ON NULL AS IDENTITY, \n")
    assert found[1:4] == [
        'INSERT INTO "_mig_tmp_t" (id, n, x) SELECT id, n, CAST(x AS VARCHAR2(10 CHAR)) AS x '
        "FROM t",
        'ALTER TABLE "_mig_tmp_t" MODIFY id GENERATED ALWAYS AS IDENTITY (START WITH LIMIT VALUE)',
        'ALTER TABLE "_mig_tmp_t" MODIFY n GENERATED BY DEFAULT ON NULL AS IDENTITY '
        "(START WITH LIMIT VALUE)",
    ]
