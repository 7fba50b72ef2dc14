"""Batches on tables whose names need quoting: a double quote, a dot, spaces, reserved words,
non-ASCII and names at the server's length limit, in tables, columns, constraints and the
tables a foreign key refers to. SQLite's move and copy, ``recreate="always"`` on PostgreSQL
and MariaDB; the schema after the batch is compared with the one before."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from batch_support import run, shared

postgres_url = shared.postgres_url
mysql_url = shared.mysql_url
sqlite_url = shared.sqlite_url

PARENT = 'Par"ent.T'
TABLE = 'Order "Items".x'
VIEW = 'v.iew "'


def quote(engine: sa.Engine, name: str) -> str:
    return engine.dialect.identifier_preparer.quote_identifier(name)


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """A SQLite file, a clean ``public`` schema of the module's PostgreSQL database, or the
    module's MariaDB database emptied."""
    url = request.getfixturevalue(
        {"postgresql": "postgres_url"}.get(request.param, f"{request.param}_url"))
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with eng.begin() as conn:
        if request.param == "postgresql":
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        elif request.param == "mysql":
            for view in sa.inspect(conn).get_view_names():
                conn.execute(sa.text(f"DROP VIEW {quote(eng, view)}"))
            meta = sa.MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)
    yield eng
    eng.dispose()


def _parent_column(name: str, table: str = PARENT) -> sa.Column[Any]:
    """A column of ``table`` given as a Column: a string target would split at the dots."""
    return sa.Table(table, sa.MetaData(), sa.Column(name, sa.Integer)).c[name]


def _create(engine: sa.Engine) -> None:
    q = lambda name: quote(engine, name)  # noqa: E731

    def migrate(op: Any) -> None:
        op.create_table(
            PARENT,
            sa.Column("Id", sa.Integer, primary_key=True),
            sa.Column("a.b", sa.Integer),
            sa.UniqueConstraint("a.b", name='uq "p".ab'),
        )
        op.create_table(
            TABLE,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("select", sa.String(20)),
            sa.Column("Mixed Case", sa.Integer),
            sa.Column('q"uote', sa.String(10)),
            sa.Column("prénom", sa.String(10)),
            sa.Column("名前", sa.String(10)),
            sa.Column("1st", sa.Integer),
            sa.Column("parent id", sa.Integer),
            sa.Column("p ab", sa.Integer),
            sa.Column("up", sa.Integer),
            sa.ForeignKeyConstraint(["parent id"], [_parent_column("Id")], name='fk "p".x'),
            sa.ForeignKeyConstraint(["p ab"], [_parent_column("a.b")], name="fk ab"),
            sa.ForeignKeyConstraint(["up"], [_parent_column("id", TABLE)], name='fk "self"'),
            sa.UniqueConstraint("select", "名前", name='uq "s".n'),
            sa.CheckConstraint(f"{q('1st')} > 0", name='ck "1st"'),
        )
        op.create_index('ix "a".b', TABLE, ["Mixed Case", 'q"uote'])
        op.execute(f"INSERT INTO {q(PARENT)} ({q('Id')}, {q('a.b')}) VALUES (1, 5)")
        op.execute(
            f"INSERT INTO {q(TABLE)} (id, {q('select')}, {q('1st')}, {q('parent id')}, "
            f"{q('p ab')}, {q('up')}) VALUES (1, 'x', 2, 1, 5, NULL), (2, 'y', 3, 1, 5, 1)"
        )

    run(engine, migrate)


def _schema(engine: sa.Engine) -> dict[str, Any]:
    """The table's constraints and indexes as the database reports them (names included)."""
    with engine.connect() as conn:
        insp = sa.inspect(conn)
        if engine.dialect.name == "postgresql":
            return {
                "constraints": conn.execute(sa.text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = CAST(:t AS regclass) ORDER BY 1"
                ), {"t": quote(engine, TABLE)}).all(),
                "indexes": sorted((i["name"], tuple(i["column_names"]))
                                  for i in insp.get_indexes(TABLE)),
            }
        fks = sorted(
            (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"],
             tuple(fk["referred_columns"]))
            for fk in insp.get_foreign_keys(TABLE)
        )
        return {
            "fks": fks,
            "indexes": sorted((i["name"], tuple(i["column_names"]))
                              for i in insp.get_indexes(TABLE)
                              if engine.dialect.name != "mysql" or i["name"] not in
                              {fk[0] for fk in fks}),
        }


def _sqlite_constraint_clauses(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = :n"),
                           {"n": TABLE}).scalar_one()
    return sorted(line.strip().rstrip(",") for line in sql.splitlines()
                  if line.strip().startswith("CONSTRAINT"))


@pytest.mark.filterwarnings("ignore:.*SQL-parsed foreign key constraint")
def test_batch_keeps_awkward_names_foreign_keys_and_rows(engine: sa.Engine) -> None:
    """Constraint names holding a double quote stay as written (SQLite's reflection keeps
    their doubled quotes, so each recreate doubled them again), and foreign keys to a table
    or column with a dot in its name still point at it (the dotted target string split at
    the wrong dot: ``schema "Par"ent"`` does not exist)."""
    _create(engine)
    q = lambda name: quote(engine, name)  # noqa: E731
    if engine.dialect.name != "postgresql":  # (PostgreSQL refuses a recreate under a view)
        run(engine, lambda op: op.execute(
            f"CREATE VIEW {q(VIEW)} AS SELECT {q('select')}, {q('Mixed Case')} FROM {q(TABLE)}"))
    if engine.dialect.name == "sqlite":
        run(engine, lambda op: op.execute(
            f"CREATE TRIGGER {q('tr.g')} AFTER INSERT ON {q(TABLE)} BEGIN UPDATE {q(TABLE)} "
            f"SET {q('Mixed Case')} = 7 WHERE id = new.id; END"))
    before = _schema(engine)
    clauses = _sqlite_constraint_clauses(engine) if engine.dialect.name == "sqlite" else None
    kw = {} if engine.dialect.name == "sqlite" else {"recreate": "always"}

    def migrate(op: Any) -> None:
        with op.batch_alter_table(TABLE, **kw) as batch_op:
            batch_op.add_column(sa.Column("group", sa.Integer))
            batch_op.alter_column("prénom", new_column_name="prénom 2",
                                  existing_type=sa.String(10))

    run(engine, migrate)
    run(engine, lambda op: _second(op, kw))  # a second recreate
    after = _schema(engine)
    assert after == before
    if clauses is not None:
        assert _sqlite_constraint_clauses(engine) == clauses
        assert 'CONSTRAINT "fk ""p"".x" FOREIGN KEY("parent id") REFERENCES "Par""ent.T" ("Id")' \
            in clauses
    with engine.begin() as conn:
        rows = conn.execute(sa.text(
            f"SELECT id, {q('select')}, {q('parent id')}, {q('p ab')}, {q('up')} "
            f"FROM {q(TABLE)} ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [(1, "x", 1, 5, None), (2, "y", 1, 5, 1)]
        if engine.dialect.name != "postgresql":
            assert conn.execute(sa.text(f"SELECT COUNT(*) FROM {q(VIEW)}")).scalar() == 2
        if engine.dialect.name == "sqlite":
            conn.execute(sa.text(f"INSERT INTO {q(TABLE)} (id, {q('1st')}) VALUES (3, 1)"))
            assert conn.execute(sa.text(
                f"SELECT {q('Mixed Case')} FROM {q(TABLE)} WHERE id = 3")).scalar() == 7
            assert conn.execute(sa.text("PRAGMA foreign_key_check")).all() == []
        # the keys still hold: a missing parent is refused
        if engine.dialect.name != "sqlite":
            with pytest.raises(sa.exc.IntegrityError):
                with conn.begin_nested():
                    conn.execute(sa.text(
                        f"INSERT INTO {q(TABLE)} (id, {q('p ab')}) VALUES (9, 99)"))


def _second(op: Any, kw: dict[str, Any]) -> None:
    with op.batch_alter_table(TABLE, **kw) as batch_op:
        batch_op.drop_column("group")


@pytest.mark.filterwarnings("ignore:.*SQL-parsed foreign key constraint")
def test_sqlite_constraint_names_with_double_quotes_survive_repeated_batches(
    sqlite_url: str,
) -> None:
    """SQLAlchemy's SQLite reflection reads the name ``fk "a"`` as ``fk ""a""`` (the quotes
    doubled as in the SQL) and runs a primary key's name on into the constraints after it;
    the SQL's names are kept (they were doubled again at every recreate, and
    ``drop_constraint('fk "a"')`` found no such name)."""
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text('CREATE TABLE p (id INTEGER PRIMARY KEY)'))
        conn.execute(sa.text(
            'CREATE TABLE t (id INTEGER, a INTEGER, b INTEGER, '
            'CONSTRAINT "pk ""t""" PRIMARY KEY (id), '
            'CONSTRAINT "fk ""a""" FOREIGN KEY (a) REFERENCES p (id), '
            'CONSTRAINT "uq ""b""" UNIQUE (b), CONSTRAINT "ck ""b""" CHECK (b > 0))'))
    expected = ['"pk ""t"""', '"fk ""a"""', '"uq ""b"""', '"ck ""b"""']

    def clauses() -> list[str]:
        """The constraint names as the table's SQL writes them."""
        with engine.connect() as conn:
            sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = 't'")).scalar()
        return sorted(re.findall(r'CONSTRAINT ("(?:[^"]|"")*")', str(sql)))

    for column in ("c", "d"):
        run(engine, lambda op, column=column: _add_in_batch(op, column))
        assert clauses() == sorted(expected)

    def drop(op: Any) -> None:
        with op.batch_alter_table("t") as batch_op:
            batch_op.drop_constraint('fk "a"', type_="foreignkey")
            batch_op.drop_constraint('uq "b"', type_="unique")

    run(engine, drop)
    assert clauses() == sorted([expected[0], expected[3]])
    engine.dispose()


def _add_in_batch(op: Any, column: str) -> None:
    with op.batch_alter_table("t", recreate="always") as batch_op:
        batch_op.add_column(sa.Column(column, sa.Integer))


@pytest.mark.mysql
def test_mysql_recreate_of_tables_named_at_the_limit_keeps_server_named_foreign_keys(
    mysql_url: str,
) -> None:
    """MariaDB names a key ``<table>_ibfk_<n>`` itself, over the 64 characters it accepts in
    ``ADD CONSTRAINT`` when the table's name is at the limit; and ``information_schema`` cuts
    such names to 64. The recreate re-adds those keys unnamed (the server names them again)
    and reads a child's whole key names; it failed, and its undo failed too, leaving the
    table without its foreign keys."""
    engine = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    table, parent = "é" * 64, "p" * 64
    with engine.begin() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
    run(engine, lambda op: (
        op.create_table(parent, sa.Column("id", sa.Integer, primary_key=True)),
        op.create_table(
            table, sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("pid", sa.Integer, sa.ForeignKey(f"{parent}.id")),
            sa.Column("me", sa.Integer, sa.ForeignKey(f"{table}.id")),
        ),
        op.execute(f"INSERT INTO {parent} VALUES (1)"),
        op.execute(f"INSERT INTO `{table}` VALUES (1, 1, 1)"),
    ))

    def keys() -> list[tuple[Any, ...]]:
        with engine.connect() as conn:
            return sorted((tuple(fk["constrained_columns"]), fk["referred_table"])
                          for fk in sa.inspect(conn).get_foreign_keys(table))

    before = keys()
    assert len(before) == 2
    for name in (table, parent):
        run(engine, lambda op, name=name: _add_always(op, name))
        assert keys() == before
    with engine.connect() as conn:
        assert conn.execute(sa.text(f"SELECT id, pid, me FROM `{table}`")).all() == [(1, 1, 1)]
        with pytest.raises(sa.exc.IntegrityError):
            conn.execute(sa.text(f"INSERT INTO `{table}` (id, pid) VALUES (2, 5)"))
    engine.dispose()


def _add_always(op: Any, name: str) -> None:
    with op.batch_alter_table(name, recreate="always") as batch_op:
        batch_op.add_column(sa.Column("x", sa.Integer))


def test_postgres_recreate_keeps_the_identity_sequence_name_of_a_dotted_table(
    postgres_url: str,
) -> None:
    """The identity sequence of ``"Order.T"`` is ``"Order.T_id_seq"``; the recreate gives it
    its old name back, which it compared by the text after the last dot (``T_id_seq"`` for
    both), so it kept the copy's ``_mig_tmp_Order.T_id_seq``."""
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
        conn.execute(sa.text('CREATE TABLE "Order.T" (id INTEGER GENERATED BY DEFAULT AS '
                             'IDENTITY PRIMARY KEY, x INT)'))
        conn.execute(sa.text('INSERT INTO "Order.T" (x) VALUES (1), (2)'))

    def migrate(op: Any) -> None:
        with op.batch_alter_table("Order.T", recreate="always") as batch_op:
            batch_op.add_column(sa.Column("y", sa.Integer))

    run(engine, migrate)
    with engine.begin() as conn:
        assert conn.execute(sa.text(
            "SELECT pg_get_serial_sequence('\"Order.T\"', 'id')")).scalar() == (
            'public."Order.T_id_seq"')
        conn.execute(sa.text('INSERT INTO "Order.T" (x) VALUES (3)'))
        assert conn.execute(sa.text('SELECT id FROM "Order.T" ORDER BY id')).scalars().all() \
            == [1, 2, 3]
    engine.dispose()
