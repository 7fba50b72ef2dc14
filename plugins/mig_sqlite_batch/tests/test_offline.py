"""Offline (--sql) recreates: they need copy_from; the SQL is exact, and it runs."""

from __future__ import annotations

import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import offline, runtime_support, statements

from mig_core import command
from mig_core.errors import CommandError, MigError


def acct_table() -> sa.Table:
    return sa.Table(
        "acct", sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False, server_default="anon"),
        sa.Column("qty", sa.String(10)),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("acct.id", ondelete="CASCADE")),
        sa.Column("note", sa.Text),
        sa.CheckConstraint("length(name) > 0", name="ck_name"),
        sa.UniqueConstraint("name", "qty", name="uq_name_qty"),
        sa.Index("ix_acct_name", "name"),
    )


def migrate(op: Any, **kw: Any) -> None:
    with op.batch_alter_table("acct", copy_from=acct_table(), **kw) as b:
        b.alter_column("qty", type_=sa.Integer)
        b.alter_column("name", new_column_name="full_name")
        b.drop_column("note")
        b.add_column(sa.Column("flag", sa.Boolean, server_default=sa.false()))
        b.create_index("ix_acct_qty", ["qty"])


def test_recreate_offline_needs_copy_from() -> None:
    def no_copy(op: Any) -> None:
        with op.batch_alter_table("acct") as b:
            b.alter_column("qty", type_=sa.Integer)

    with pytest.raises(CommandError, match=re.escape(
        "batch_alter_table('acct'): this batch recreates the table, which in offline (--sql) "
        "mode needs copy_from=Table(...) describing it (there is no database to reflect it "
        "from on dialect 'sqlite')"
    )):
        offline("sqlite", no_copy)


def test_sqlite_offline_sql_is_exact() -> None:
    assert statements(offline("sqlite", migrate)) == [
        "ALTER TABLE acct RENAME COLUMN name TO full_name",
        "CREATE TABLE _mig_tmp_acct (\n"
        "    id INTEGER NOT NULL, \n"
        "    full_name VARCHAR(50) DEFAULT 'anon' NOT NULL, \n"
        "    qty INTEGER, \n"
        "    parent_id INTEGER, \n"
        "    flag BOOLEAN DEFAULT 0, \n"
        "    PRIMARY KEY (id), \n"
        "    CONSTRAINT uq_name_qty UNIQUE (full_name, qty), \n"
        "    FOREIGN KEY(parent_id) REFERENCES acct (id) ON DELETE CASCADE, \n"
        "    CONSTRAINT ck_name CHECK (length(full_name) > 0)\n"
        ")",
        "INSERT INTO _mig_tmp_acct (id, full_name, qty, parent_id) SELECT id, full_name, "
        "CAST(qty AS INTEGER) AS qty, parent_id FROM acct",
        "DROP TABLE acct",
        "PRAGMA legacy_alter_table = ON",
        "ALTER TABLE _mig_tmp_acct RENAME TO acct",
        "PRAGMA legacy_alter_table = OFF",
        "CREATE INDEX ix_acct_name ON acct (full_name)",
        "CREATE INDEX ix_acct_qty ON acct (qty)",
    ]


def test_sqlite_offline_script_runs_and_keeps_rows(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "off.db", isolation_level=None)
    db.execute("CREATE TABLE acct (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL "
               "DEFAULT 'anon', qty VARCHAR(10), parent_id INTEGER REFERENCES acct (id) "
               "ON DELETE CASCADE, note TEXT, CONSTRAINT ck_name CHECK (length(name) > 0), "
               "CONSTRAINT uq_name_qty UNIQUE (name, qty))")
    db.execute("CREATE INDEX ix_acct_name ON acct (name)")
    db.execute("INSERT INTO acct VALUES (1, 'a', '10', NULL, 'x'), (2, 'b', '20', 1, 'y')")
    db.executescript("BEGIN;\n" + offline("sqlite", migrate) + "\nCOMMIT;")
    assert db.execute("SELECT * FROM acct ORDER BY id").fetchall() == [
        (1, "a", 10, None, 0), (2, "b", 20, 1, 0)
    ]
    assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    db.close()


def test_postgresql_recreate_always_offline_sql_is_exact() -> None:
    assert statements(offline("postgresql", lambda op: migrate(op, recreate="always"))) == [
        "ALTER TABLE acct DROP CONSTRAINT acct_parent_id_fkey",
        "ALTER TABLE acct DROP CONSTRAINT acct_pkey",
        "ALTER TABLE acct DROP CONSTRAINT uq_name_qty",
        "CREATE TABLE _mig_tmp_acct (\n"
        "    id SERIAL NOT NULL, \n"
        "    full_name VARCHAR(50) DEFAULT 'anon' NOT NULL, \n"
        "    qty INTEGER, \n"
        "    parent_id INTEGER, \n"
        "    flag BOOLEAN DEFAULT false, \n"
        "    CONSTRAINT acct_pkey PRIMARY KEY (id), \n"
        "    CONSTRAINT uq_name_qty UNIQUE (full_name, qty), \n"
        "    FOREIGN KEY(parent_id) REFERENCES _mig_tmp_acct (id) ON DELETE CASCADE, \n"
        "    CONSTRAINT ck_name CHECK (length(full_name) > 0)\n"
        ")",
        "INSERT INTO _mig_tmp_acct (id, full_name, qty, parent_id) SELECT id, name, "
        "CAST(qty AS INTEGER) AS qty, parent_id FROM acct",
        "DROP TABLE acct",
        "ALTER TABLE _mig_tmp_acct RENAME TO acct",
        "CREATE INDEX ix_acct_name ON acct (full_name)",
        "CREATE INDEX ix_acct_qty ON acct (qty)",
        "SELECT setval(pg_get_serial_sequence('acct', 'id'), COALESCE((SELECT max(id) FROM "
        "acct), 0) + 1, false)",
    ]


def test_mig_upgrade_sql_with_copy_from(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    body = (
        "acct = sa.Table('acct', sa.MetaData(), sa.Column('id', sa.Integer, primary_key=True),\n"
        "                sa.Column('qty', sa.String(10)))\n"
        "with op.batch_alter_table('acct', copy_from=acct) as b:\n"
        "    b.alter_column('qty', type_=sa.Integer)\n"
    )
    ini = runtime_support.make_project(tmp_path, url, [{"rev": "a", "upgrade": body}])

    out = io.StringIO()
    command.upgrade(runtime_support.config_for(ini, configure={"output_buffer": out}), "head",
                    sql=True)
    text = out.getvalue()
    assert "CREATE TABLE _mig_tmp_acct (\n    id INTEGER NOT NULL, \n    qty INTEGER, \n" in text
    assert "INSERT INTO _mig_tmp_acct (id, qty) SELECT id, CAST(qty AS INTEGER) AS qty FROM " \
           "acct;" in text
    assert text.index("BEGIN;") < text.index("CREATE TABLE _mig_tmp_acct") < text.index(
        "ALTER TABLE _mig_tmp_acct RENAME TO acct;") < text.index("COMMIT;")
    no_copy = body.replace(", copy_from=acct", "")
    ini2 = runtime_support.make_project(tmp_path / "p2", url, [{"rev": "a", "upgrade": no_copy}])
    with pytest.raises(MigError, match=r"needs copy_from=Table\(\.\.\.\) describing it"):
        command.upgrade(runtime_support.config_for(ini2, configure={"output_buffer": out}),
                        "head", sql=True)
