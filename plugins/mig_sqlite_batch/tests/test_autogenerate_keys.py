"""Autogenerate on SQLite sees the key columns SQLite keeps from NULL as NOT NULL.

``PRAGMA table_info`` says ``notnull = 0`` for ``id INTEGER PRIMARY KEY`` written without NOT
NULL (tables made by hand or by other tools); SQLite never stores NULL there (the rowid), nor in
a WITHOUT ROWID table's key. Other primary keys do take NULL in SQLite, so their difference is
real and still reported.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from mig_sqlite_batch.sqltext import KeyFacts, key_facts

from mig_core.autogenerate.api import compare_metadata
from mig_core.runtime.migration import MigrationContext

TABLES = {
    # name: (CREATE TABLE, does SQLite store NULL in the key?)
    "alias": ("CREATE TABLE alias (id INTEGER PRIMARY KEY, name TEXT)", False),
    "alias_tc": ('CREATE TABLE alias_tc ("Id" integer, name TEXT, '
                 'CONSTRAINT pk PRIMARY KEY ("Id" DESC))', False),
    "no_rowid": ("CREATE TABLE no_rowid (code TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID", False),
    "int_key": ("CREATE TABLE int_key (id INT PRIMARY KEY, name TEXT)", True),
    "desc_key": ("CREATE TABLE desc_key (id INTEGER PRIMARY KEY DESC, name TEXT)", True),
    "text_key": ("CREATE TABLE text_key (code TEXT PRIMARY KEY, n INTEGER)", True),
}


@pytest.fixture
def engine(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    with engine.begin() as conn:
        for sql, _ in TABLES.values():
            conn.exec_driver_sql(sql)
    yield engine
    engine.dispose()


def model() -> sa.MetaData:
    md = sa.MetaData()
    for name in TABLES:
        key = "Id" if name == "alias_tc" else "id"
        if name in ("no_rowid", "text_key"):
            sa.Table(name, md, sa.Column("code", sa.Text, primary_key=True),
                     sa.Column("n", sa.Integer))
        else:
            sa.Table(name, md, sa.Column(key, sa.Integer, primary_key=True),
                     sa.Column("name", sa.Text))
    return md


def test_sqlite_itself_agrees_with_the_table(engine):
    """The ground truth the comparison follows: which keys SQLite lets hold NULL."""
    with engine.begin() as conn:
        for name, (_, takes_null) in TABLES.items():
            key = {"alias_tc": '"Id"', "no_rowid": "code", "text_key": "code"}.get(name, "id")
            try:
                conn.exec_driver_sql(f"INSERT INTO {name} ({key}) VALUES (NULL)")
            except sa.exc.IntegrityError:
                stored_null = False  # WITHOUT ROWID: NOT NULL enforced
            else:
                stored_null = conn.exec_driver_sql(
                    f"SELECT count(*) FROM {name} WHERE {key} IS NULL").scalar() == 1
            assert stored_null is takes_null, name


def test_only_keys_that_take_null_are_reported(engine):
    with engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(connection=conn), model())
    changed = sorted(d[0][2] for d in diffs if d[0][0] == "modify_nullable")
    assert changed == sorted(n for n, (_, takes_null) in TABLES.items() if takes_null)
    assert all(d[0][0] == "modify_nullable" for d in diffs)


@pytest.mark.parametrize("sql, facts", [
    ("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)", KeyFacts(False, "id")),
    ("CREATE TABLE t (id integer not null primary key autoincrement)", KeyFacts(False, "id")),
    ("CREATE TABLE t (id INTEGER, b TEXT, PRIMARY KEY (id))", KeyFacts(False, "id")),
    ("CREATE TABLE t (id INT PRIMARY KEY)", KeyFacts(False, None)),
    ("CREATE TABLE t (id INTEGER PRIMARY KEY DESC)", KeyFacts(False, None)),
    ("CREATE TABLE t (a INTEGER, b INTEGER, PRIMARY KEY (a, b))", KeyFacts(False, None)),
    ("CREATE TABLE t (a INTEGER PRIMARY KEY, b) WITHOUT ROWID", KeyFacts(True, None)),
    ("CREATE TABLE t (a TEXT PRIMARY KEY, b) STRICT, WITHOUT ROWID", KeyFacts(True, None)),
    ("CREATE TABLE t (code TEXT PRIMARY KEY)", KeyFacts(False, None)),
])
def test_key_facts(sql, facts):
    assert key_facts(sql) == facts
