"""Operations and the version / history tables with names that need quoting: MixedCase,
reserved words, spaces, a double quote, a backtick, a dot, non-ASCII, a leading digit.

Online on SQLite (alters in a batch), PostgreSQL and MariaDB, the schema inspected after;
offline for the five dialects, every statement read by sqlglot and every name found in it as
given; ``version_table`` / ``history_table`` (and, on PostgreSQL, their schema) named that way
through ``upgrade``, ``current``, ``log``, ``stamp`` and ``downgrade``.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import config_for, make_project

from mig_core import command
from mig_core.operations import Operations
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

PM = build_plugin_manager(None, env={})

TABLE = 'Order "Items".x'
PARENT = "user"
NAMES = ["select", "group", "Mixed Case", 'q"uote', "back`tick", "a.b", "prénom", "名前", "1st"]


@pytest.fixture(params=["sqlite", "postgresql", "mysql"])
def engine(request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    name = {"sqlite": "sqlite_url", "postgresql": "postgres_url"}.get(request.param, "mysql_url")
    eng = sa.create_engine(request.getfixturevalue(name), poolclass=sa.pool.NullPool)
    with eng.begin() as conn:
        if request.param == "postgresql":
            conn.execute(sa.text('DROP SCHEMA IF EXISTS "Tenant One" CASCADE'))
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        elif request.param == "mysql":
            meta = sa.MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)
    yield eng
    eng.dispose()


def run(engine: sa.Engine, fn: Any) -> None:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, plugin_manager=PM)
        with Operations.context(ctx) as op, ctx.begin_transaction():
            fn(op)


class _Batched:
    """``op`` for the operations SQLite runs only in a batch: each in its own batch."""

    def __init__(self, op: Any) -> None:
        self.op = op

    def __getattr__(self, name: str) -> Any:
        direct = getattr(self.op, name)
        if name not in ("alter_column", "create_unique_constraint", "create_check_constraint",
                        "create_foreign_key", "drop_constraint"):
            return direct

        def in_batch(*args: Any, **kw: Any) -> Any:
            table_at = 0 if name == "alter_column" else 1
            table = args[table_at]
            rest = args[:table_at] + args[table_at + 1:]
            with self.op.batch_alter_table(table) as batch_op:
                return getattr(batch_op, name)(*rest, **kw)

        return in_batch


def _operations(op: Any, dialect: str) -> None:
    q = op.get_bind().dialect.identifier_preparer.quote
    parent = op.create_table(PARENT, sa.Column("Id", sa.Integer, primary_key=True),
                             sa.Column("Name", sa.String(20), unique=True))
    op.bulk_insert(parent, [{"Id": 1, "Name": "v1'"}])
    table = op.create_table(
        TABLE,
        sa.Column("id", sa.Integer, primary_key=True),
        *[sa.Column(n, sa.String(20)) for n in NAMES],
        sa.Column("user id", sa.Integer, sa.ForeignKey("user.Id", name='fk The "user"')),
        sa.CheckConstraint(f"{q('1st')} <> 'x'", name="ck 1st"),
        comment="it's a \"table\"",
    )
    op.bulk_insert(table, [{"id": 1, **{n: f"v{i}'" for i, n in enumerate(NAMES)}}])
    if dialect == "sqlite":
        op = _Batched(op)
    op.add_column(TABLE, sa.Column("order", sa.Integer, server_default="3", comment="o'k"))
    op.alter_column(TABLE, "prénom", type_=sa.String(40), existing_type=sa.String(20))
    op.alter_column(TABLE, "a.b", server_default="x'y", existing_type=sa.String(20))
    op.alter_column(TABLE, 'q"uote', new_column_name='q"uote 2', existing_type=sa.String(20))
    op.create_index('ix "Mixed".a', TABLE, ["Mixed Case", "group"])
    op.create_unique_constraint('uq "sel".x', TABLE, ["select"])
    op.create_check_constraint("ck Group`s", TABLE, sa.column("group") != "z")
    op.create_foreign_key('fk "2"', TABLE, PARENT, ["group"], ["Name"])
    if dialect != "sqlite":
        op.create_table_comment(TABLE, "new 'comment'")
    op.drop_constraint("ck Group`s", TABLE, type_="check")
    if dialect != "sqlite":  # (SQLite: DROP COLUMN refuses a column a CHECK names)
        op.drop_column(TABLE, "1st")


def test_operations_online(engine: sa.Engine) -> None:
    dialect = engine.dialect.name
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*SQL-parsed foreign key constraint")
        run(engine, lambda op: _operations(op, dialect))
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", ".*SQL-parsed foreign key constraint")
        insp = sa.inspect(conn)
        columns = [c["name"] for c in insp.get_columns(TABLE)]
        fks = sorted((fk["constrained_columns"], fk["referred_table"], fk["referred_columns"])
                     for fk in insp.get_foreign_keys(TABLE))
        indexes = {i["name"]: i["column_names"] for i in insp.get_indexes(TABLE)}
        quote = conn.dialect.identifier_preparer.quote
        row = conn.execute(sa.text(
            f"SELECT {quote('select')}, {quote('名前')}, {quote('order')} FROM {quote(TABLE)}"
        )).one()
    expected = ["id", "select", "group", "Mixed Case", 'q"uote 2', "back`tick", "a.b",
                "prénom", "名前", "1st", "user id", "order"]
    if dialect != "sqlite":
        expected.remove("1st")
    if dialect == "mysql":  # reflection misreads it (test_mysql_awkward_names.py)
        expected[expected.index("back`tick")] = "back``tick"
    assert columns == expected
    assert fks == [(["group"], "user", ["Name"]), (["user id"], "user", ["Id"])]
    assert indexes['ix "Mixed".a'] == ["Mixed Case", "group"]
    assert tuple(row) == ("v0'", "v7'", 3)
    if dialect == "sqlite":  # (its reflection misreads these names: the SQL as stored)
        with engine.connect() as conn:
            sql = conn.execute(sa.text("SELECT sql FROM sqlite_master WHERE name = :n"),
                               {"n": TABLE}).scalar()
        for clause in ('CONSTRAINT "fk ""2""" FOREIGN KEY("group") REFERENCES user ("Name")',
                       'CONSTRAINT "uq ""sel"".x" UNIQUE ("select")',
                       'CONSTRAINT "fk The ""user""" FOREIGN KEY("user id") REFERENCES user'):
            assert clause in str(sql)


# --- offline, the five dialects ------------------------------------------------------------

READ = {"sqlite": "sqlite", "postgresql": "postgres", "mysql": "mysql", "mssql": "tsql",
        "oracle": "oracle"}


def _offline_operations(op: Any, dialect: str) -> None:
    names = [n for n in NAMES if not (dialect == "oracle" and '"' in n)]
    table = TABLE if dialect != "oracle" else "Order Items.x"
    t = op.create_table(
        table, sa.Column("id", sa.Integer, primary_key=True),
        *[sa.Column(n, sa.String(20)) for n in names],
        sa.Column("user id", sa.Integer,
                  sa.ForeignKey(sa.Table("group", sa.MetaData(), sa.Column("Id")).c.Id,
                                name="fk g")),
        comment="c'est",
    )
    op.bulk_insert(t, [{"id": 1, "select": "it's"}])
    op.add_column(table, sa.Column("order", sa.Integer, server_default="3"))
    op.create_index("ix a.b", table, ["Mixed Case", "back`tick"])
    if dialect != "sqlite":  # (SQLite: in a batch, which needs copy_from offline)
        op.create_foreign_key("fk 2", table, "Par.ent", ["order"], ["a.b"])
        op.drop_constraint("fk 2", table, type_="foreignkey")
    op.drop_index("ix a.b", table_name=table)
    op.rename_table(table, "select.From")
    op.drop_table("select.From")


@pytest.mark.parametrize("dialect", sorted(READ))
def test_offline_statements_parse_and_keep_every_name(dialect: str) -> None:
    import sqlglot
    from sqlglot import exp

    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buf, "literal_binds": True},
        plugin_manager=PM)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (offline ALTERs that cannot read the column)
        with Operations.context(ctx) as op:
            _offline_operations(op, dialect)
    separator = {"mssql": "\nGO\n", "oracle": "\n/\n"}.get(dialect, ";\n")
    identifiers: set[str] = set()
    for statement in buf.getvalue().split(separator):
        statement = statement.strip().rstrip(";").strip()
        if not statement or statement.upper() in ("BEGIN", "COMMIT", "BEGIN TRANSACTION", "GO"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = sqlglot.parse_one(statement, read=READ[dialect])
        identifiers |= {i.name for i in parsed.find_all(exp.Identifier)}
    names = [n for n in NAMES if not (dialect == "oracle" and '"' in n)]
    expected = [*names, "user id", "select.From", "ix a.b", "a.b", "fk g"]
    if dialect != "sqlite":
        expected.append("Par.ent")
    for name in expected:
        assert name in identifiers or dialect in ("mssql", "oracle"), (name, dialect)
    # SQL Server and Oracle: a few statements are read only as commands; the names are there
    text = buf.getvalue()
    if dialect == "mssql":
        assert "[back`tick]" in text and "[select.From]" in text and "[名前]" in text
    if dialect == "oracle":
        assert '"back`tick"' in text and '"select.From"' in text and '"名前"' in text


# --- the version and history tables --------------------------------------------------------


def test_version_and_history_tables_with_awkward_names(
    tmp_path: Path, engine: sa.Engine
) -> None:
    dialect = engine.dialect.name
    url = engine.url.render_as_string(hide_password=False)
    extra = 'version_table = Mig "Version".v\nhistory_table = Hist`ory "x"\n'
    schema = None
    if dialect == "postgresql":
        schema = "Tenant One"
        with engine.begin() as conn:
            conn.execute(sa.text('CREATE SCHEMA "Tenant One"'))
        extra += f"version_table_schema = {schema}\nhistory_table_schema = {schema}\n"
    ini = make_project(tmp_path, url, [
        {"rev": "a1", "upgrade": "op.create_table('order', sa.Column('id', sa.Integer, "
         "primary_key=True))", "downgrade": "op.drop_table('order')"},
        {"rev": "b2", "down": "a1", "upgrade": "op.add_column('order', sa.Column('user', "
         "sa.Integer))", "downgrade": "op.drop_column('order', 'user')"},
    ], ini_extra=extra)

    def current() -> str:
        out = io.StringIO()
        from contextlib import redirect_stdout

        with redirect_stdout(out):
            command.current(config_for(ini))
        return out.getvalue().strip()

    command.upgrade(config_for(ini), "a1")
    command.upgrade(config_for(ini), "head")
    assert current() == "b2 (head)"
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names(schema=schema))
        history = conn.execute(sa.text(
            "SELECT revisions FROM "
            + (f'"{schema}".' if schema else "")
            + conn.dialect.identifier_preparer.quote('Hist`ory "x"') + " ORDER BY id")).all()
    assert {'Mig "Version".v', 'Hist`ory "x"'} <= tables
    assert [r[0] for r in history] == ["a1", "b2"]
    log = io.StringIO()
    from contextlib import redirect_stdout

    with redirect_stdout(log):
        command.log(config_for(ini))
    assert "base -> a1" in log.getvalue() and "a1 -> b2" in log.getvalue()
    command.downgrade(config_for(ini), "a1")
    assert current() == "a1"
    command.stamp(config_for(ini), "head")
    assert current() == "b2 (head)"
    command.stamp(config_for(ini), "a1")
    command.downgrade(config_for(ini), "base")
    assert current() == ""


def _version_key(url: str, name: str, tmp_path: Path) -> str:
    """The version table's primary key name after ``upgrade head`` (offline: in the script)."""
    ini = make_project(tmp_path, url, [{"rev": "a1"}], ini_extra=f"version_table = {name}\n")
    if "://" in url and url.split("://")[1] == "":  # offline
        buf = io.StringIO()
        command.upgrade(config_for(ini, configure={"output_buffer": buf}), "head", sql=True)
        text = buf.getvalue()
        start = text.index("CONSTRAINT ") + len("CONSTRAINT ")
        return text[start:text.index(" PRIMARY KEY", start)].strip('"[]')
    command.upgrade(config_for(ini), "head")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            key = conn.execute(sa.text(
                "SELECT conname FROM pg_constraint WHERE conrelid = CAST(:t AS regclass)"),
                {"t": f'"{name}"'}).scalar_one()
        else:
            key = sa.inspect(conn).get_pk_constraint(name)["name"]
    engine.dispose()
    return str(key)


@pytest.mark.parametrize(
    ("dialect", "name", "limit", "unit"),
    [("postgresql", "é" * 31 + "x", 63, "bytes"), ("mysql", "v" * 64, 64, "characters"),
     ("mssql", "v" * 128, 128, "characters"), ("oracle", "é" * 64, 128, "bytes")],
)
def test_a_version_table_named_at_the_limit_gets_a_key_name_that_fits(
    request: pytest.FixtureRequest, tmp_path: Path, dialect: str, name: str, limit: int,
    unit: str,
) -> None:
    """``<version_table>_pkc`` is past the limit for a version table named at it: SQL Server,
    Oracle and MariaDB refused it (the first run failed), PostgreSQL cut it back to the
    table's own name ("relation already exists")."""
    if dialect in ("postgresql", "mysql"):
        url = request.getfixturevalue("postgres_url" if dialect == "postgresql" else "mysql_url")
    else:
        url = f"{dialect}://"
    key = _version_key(url, name, tmp_path)
    if dialect == "mysql":  # (the server names every primary key PRIMARY; it refused the name)
        assert key == "None"
        return
    size = len(key.encode("utf-8")) if unit == "bytes" else len(key)
    assert size <= limit and key.endswith("_pkc") and key.startswith(name[:20])
    assert key != name

