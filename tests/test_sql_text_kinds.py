"""SQL text mig builds or reads itself is never read as bind parameters (mig_core.ddl.statements):
a value holding `` :name``, ``%``, ``%%``, ``\\:`` and ``'`` reaches the database exactly, on
SQLite, PostgreSQL and MariaDB, through server defaults, comments, batch recreates (CHECK,
trigger and view SQL read back from the database) and names; a user's ``op.execute("...")``
string keeps Alembic's ``text()`` reading (``\\:`` is a colon)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from pg_drivers import each_postgres_driver

from mig_core.ddl.statements import CompiledSQL, VerbatimSQL, text_escaped
from mig_core.operations import Operations
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

PM = build_plugin_manager(None, env={})

#: what a bind-parameter reading of SQL text would change: a parameter, a percent sign alone
#: and doubled, text()'s escape of a colon, a quote
VALUE = "at :now 5% %% \\: it's"


def sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def run(engine: sa.Engine, fn: Callable[[Any, Any], Any], **opts: Any) -> Any:
    """``fn(op, ctx)`` online in mig's own transaction (as a migration runs)."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
        with Operations.context(ctx) as op, ctx.begin_transaction():
            result = fn(op, ctx)
        if conn.in_transaction():  # transactional_ddl=False: what autobegan
            conn.commit()
        return result


def offline(dialect: str, fn: Callable[[Any], Any]) -> str:
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buf}, plugin_manager=PM
    )
    with Operations.context(ctx) as op:
        fn(op)
    return buf.getvalue()


def defaults_after_insert(engine: sa.Engine, table: str, column: str, insert: str) -> list[Any]:
    with engine.begin() as conn:
        conn.exec_driver_sql(insert)
        return [r[0] for r in conn.exec_driver_sql(f"SELECT {column} FROM {table}")]


def raw(conn: Any, sql: str) -> Any:
    """``sql`` to the driver as it is (psycopg2 would read its ``%``)."""
    return conn.exec_driver_sql(sql, execution_options={"no_parameters": True})


# --- text_escaped ------------------------------------------------------------------------------
@pytest.mark.parametrize("sql", [
    VALUE, "x::text", "a:b", ":a:", "\\:a", "\\\\:a", "':x' || :y", "\\:", "::", ":",
    "e'\\\\:'", "$:a", "\\:a:b", ":1 :_ :\u00e4", ":ab:", "x=:a\n:b", "::a", "no colon",
])
def test_text_escaped_compiles_back_to_the_same_text(sql):
    from sqlalchemy.dialects import postgresql, sqlite

    clause = sa.text(text_escaped(sql))
    assert str(clause.compile(dialect=sqlite.dialect())) == sql
    # a driver reading % gets it doubled, as SQLAlchemy writes any text for it
    pg = str(clause.compile(dialect=postgresql.dialect()))
    assert pg == sql.replace("%", "%%")


def test_the_two_kinds_are_strings_written_as_they_are_offline():
    from mig_core.ddl.impl import DefaultImpl

    buf = io.StringIO()
    impl = DefaultImpl(sa.create_engine("sqlite://").dialect, None, True, buf, {})
    impl.execute(CompiledSQL("SELECT ':a 5%'"))
    impl.execute_sql_text("SELECT ':b 5%%'", compiled=False)
    assert buf.getvalue() == "SELECT ':a 5%';\n\nSELECT ':b 5%%';\n\n"
    assert isinstance(VerbatimSQL("x"), str) and not VerbatimSQL.compiled


# --- SQLite -----------------------------------------------------------------------------------
@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    yield engine
    engine.dispose()


def test_sqlite_add_column_server_default_reaches_the_table_exactly(sqlite_engine):
    def upgrade(op: Any, ctx: Any) -> None:
        op.add_column("t", sa.Column("plain", sa.String(40), server_default=VALUE))
        # a column with a CHECK: written with its constraint inline, the other text path
        op.add_column("t", sa.Column(
            "checked", sa.String(40), sa.CheckConstraint("checked <> 'x'"),
            server_default=VALUE,
        ))
        op.create_table("u", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("v", sa.String(40), server_default=VALUE))

    run(sqlite_engine, upgrade)
    assert defaults_after_insert(sqlite_engine, "t", "plain || '|' || checked",
                                 "INSERT INTO t (id) VALUES (1)") == [f"{VALUE}|{VALUE}"]
    assert defaults_after_insert(sqlite_engine, "u", "v", "INSERT INTO u (id) VALUES (1)") == [
        VALUE
    ]


def test_sqlite_add_column_with_execute_listeners_keeps_them_and_the_text(sqlite_engine):
    seen: list[str] = []

    @sa.event.listens_for(sqlite_engine, "before_execute")
    def before(conn: Any, clause: Any, *args: Any) -> None:
        seen.append(str(clause))
        if "ADD COLUMN" in str(clause):  # the element itself, as SQLAlchemy's DDL gives it
            assert type(clause).__name__ == "AddColumn"

    @sa.event.listens_for(sqlite_engine, "after_execute")
    def after(conn: Any, clause: Any, *args: Any) -> None:
        seen.append("after")

    run(sqlite_engine, lambda op, ctx: op.add_column(
        "t", sa.Column("x", sa.String(40), server_default=VALUE)))
    added = [s for s in seen if "ADD COLUMN" in s]
    assert len(added) == 1 and sql_literal(VALUE) in added[0]
    assert "after" in seen
    assert defaults_after_insert(sqlite_engine, "t", "x", "INSERT INTO t (id) VALUES (1)") == [
        VALUE
    ]


def test_sqlite_plain_add_column_is_driver_sql_when_nothing_listens(sqlite_engine):
    """No ``before_execute`` / ``after_execute`` listener: the text compiled directly goes to
    the driver (no SQLAlchemy statement compiled at execution: ``context.compiled`` is None)."""
    found: list[tuple[str, Any]] = []

    @sa.event.listens_for(sqlite_engine, "before_cursor_execute")
    def cursor(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "ADD COLUMN" in statement:
            found.append((statement, args[1].compiled))

    run(sqlite_engine, lambda op, ctx: op.add_column(
        "t", sa.Column("x", sa.String(40), server_default=VALUE)))
    assert found == [(f"ALTER TABLE t ADD COLUMN x VARCHAR(40) DEFAULT {sql_literal(VALUE)}",
                      None)]


def test_sqlite_plain_add_column_follows_schema_translate_map(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'main.db'}", poolclass=sa.pool.NullPool)
    other = str(tmp_path / "other.db")

    @sa.event.listens_for(engine, "connect")
    def attach(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.execute(f"ATTACH DATABASE '{other}' AS other")

    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        conn.exec_driver_sql("CREATE TABLE other.t (id INTEGER PRIMARY KEY)")
    with engine.connect() as conn:
        conn = conn.execution_options(schema_translate_map={None: "other"})
        ctx = MigrationContext.configure(connection=conn, plugin_manager=PM)
        with Operations.context(ctx) as op, ctx.begin_transaction():
            op.add_column("t", sa.Column("x", sa.String(40), server_default=VALUE))
    with engine.connect() as conn:
        assert [r[1] for r in conn.exec_driver_sql("PRAGMA other.table_info(t)")] == ["id", "x"]
        assert [r[1] for r in conn.exec_driver_sql("PRAGMA main.table_info(t)")] == ["id"]
    engine.dispose()


def test_sqlite_batch_alter_column_server_default(sqlite_engine):
    def upgrade(op: Any, ctx: Any) -> None:
        op.add_column("t", sa.Column("x", sa.String(40)))
        with op.batch_alter_table("t") as batch:
            batch.alter_column("x", server_default=VALUE, existing_type=sa.String(40))

    run(sqlite_engine, upgrade)
    assert defaults_after_insert(sqlite_engine, "t", "x", "INSERT INTO t (id) VALUES (1)") == [
        VALUE
    ]


def test_sqlite_recreate_keeps_check_trigger_view_and_rows_exactly(sqlite_engine):
    lit = sql_literal(VALUE)
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE t")
        conn.exec_driver_sql(
            f"CREATE TABLE t (id INTEGER PRIMARY KEY, x VARCHAR(40) DEFAULT {lit} "
            f"CONSTRAINT ck CHECK (x <> {sql_literal(VALUE + 'x')}), "
            "g TEXT GENERATED ALWAYS AS (x || ' :g') VIRTUAL, y INTEGER)"
        )
        conn.exec_driver_sql(f"CREATE INDEX ix ON t (x) WHERE x <> {lit}")
        conn.exec_driver_sql("CREATE TABLE log (m TEXT)")
        conn.exec_driver_sql(
            f"CREATE TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO log VALUES ({lit} || NEW.x); "
            "END"
        )
        conn.exec_driver_sql(f"CREATE VIEW v AS SELECT id, x, {lit} AS lit FROM t")
        conn.exec_driver_sql("INSERT INTO t (id, x) VALUES (1, 'row :a 5% \\:')")
        conn.exec_driver_sql("INSERT INTO t (id) VALUES (2)")
        before = dict(conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE name IN ('tr', 'v', 'ix')").all())
        rows = conn.exec_driver_sql("SELECT id, x, g FROM t ORDER BY id").all()

    def upgrade(op: Any, ctx: Any) -> None:
        with op.batch_alter_table("t", recreate="always") as batch:
            batch.alter_column("y", type_=sa.BigInteger())

    run(sqlite_engine, upgrade)
    with sqlite_engine.begin() as conn:
        after = dict(conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE name IN ('tr', 'v', 'ix')").all())
        assert after == before
        assert conn.exec_driver_sql("SELECT id, x, g FROM t ORDER BY id").all() == rows
        table_sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 't'").scalar()
        assert f"DEFAULT {lit}" in table_sql
        assert f"CHECK (x <> {sql_literal(VALUE + 'x')})" in table_sql
        conn.exec_driver_sql("INSERT INTO t (id) VALUES (3)")  # the default, the trigger
        assert conn.exec_driver_sql("SELECT x FROM t WHERE id = 3").scalar() == VALUE
        assert conn.exec_driver_sql("SELECT m FROM log ORDER BY rowid DESC").first()[0] == (
            VALUE + VALUE
        )
        with pytest.raises(sa.exc.IntegrityError):  # the CHECK, with its exact text
            conn.exec_driver_sql(f"INSERT INTO t (id, x) VALUES (4, {sql_literal(VALUE + 'x')})")


def test_sqlite_recreate_of_names_with_colons_and_percent(sqlite_engine):
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE "w :x%" (id INTEGER PRIMARY KEY, "c :d%" TEXT)')
        conn.exec_driver_sql("""INSERT INTO "w :x%" VALUES (1, 'v')""")

    def upgrade(op: Any, ctx: Any) -> None:
        with op.batch_alter_table("w :x%", recreate="always") as batch:
            batch.alter_column("c :d%", new_column_name="e :f%")

    run(sqlite_engine, upgrade)
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql('SELECT id, "e :f%" FROM "w :x%"').all() == [(1, "v")]


def test_sqlite_op_execute_string_keeps_alembic_escaping(sqlite_engine):
    run(sqlite_engine, lambda op, ctx: op.execute(
        "CREATE TABLE e AS SELECT '\\:x' AS a, '5%' AS b"))
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT a, b FROM e").one() == (":x", "5%")
    with pytest.raises(sa.exc.StatementError, match="bind parameter 'x'"):
        run(sqlite_engine, lambda op, ctx: op.execute("SELECT ':x'"))


# --- PostgreSQL -------------------------------------------------------------------------------
@pytest.fixture
def pg_engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    yield engine
    engine.dispose()


def _pg_defaults_and_comments(op: Any) -> None:
    op.add_column("t", sa.Column("a", sa.String(40), server_default=VALUE, comment=VALUE))
    op.add_column("t", sa.Column("b", sa.String(40)))
    op.alter_column("t", "b", server_default=VALUE, existing_type=sa.String(40))
    op.create_table("u", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("v", sa.String(40), server_default=VALUE), comment=VALUE)
    op.create_table_comment("t", VALUE)


def _check_pg(engine: sa.Engine) -> None:
    assert defaults_after_insert(engine, "t", "a || '|' || b", "INSERT INTO t (id) VALUES (1)") == [
        f"{VALUE}|{VALUE}"
    ]
    assert defaults_after_insert(engine, "u", "v", "INSERT INTO u (id) VALUES (1)") == [VALUE]
    with engine.connect() as conn:
        comments = conn.exec_driver_sql(
            "SELECT obj_description('t'::regclass, 'pg_class'), "
            "obj_description('u'::regclass, 'pg_class'), col_description('t'::regclass, 2)"
        ).one()
    assert tuple(comments) == (VALUE, VALUE, VALUE)


@each_postgres_driver
@pytest.mark.parametrize("how", ["transactional", "transactional_ddl=False", "autocommit_block"])
def test_postgres_server_defaults_and_comments(pg_engine, how):
    if how == "autocommit_block":
        def upgrade(op: Any, ctx: Any) -> None:
            with ctx.autocommit_block():
                _pg_defaults_and_comments(op)
        run(pg_engine, upgrade)
    elif how == "transactional_ddl=False":
        run(pg_engine, lambda op, ctx: _pg_defaults_and_comments(op), transactional_ddl=False)
    else:
        run(pg_engine, lambda op, ctx: _pg_defaults_and_comments(op))
    _check_pg(pg_engine)


@pytest.mark.parametrize("listening", [False, True])
def test_postgres_recreate_keeps_trigger_check_and_default_exactly(pg_engine, listening):
    """Nothing listening: mig's text goes through exec_driver_sql; a before_execute listener
    (a user's, or the DDL pipeline's): as a DDL element holding the same text."""
    seen: list[str] = []
    if listening:
        sa.event.listen(pg_engine, "before_execute",
                        lambda conn, clause, *args: seen.append(str(clause)))
    lit = sql_literal(VALUE)
    with pg_engine.begin() as conn:
        raw(conn,
            f"CREATE TABLE r (id INTEGER PRIMARY KEY, x VARCHAR(40) DEFAULT {lit} "
            f"CONSTRAINT ck CHECK (x <> {sql_literal(VALUE + 'x')}), y INTEGER)"
        )
        raw(conn, "CREATE TABLE log (m TEXT)")
        raw(conn,
            "CREATE FUNCTION logit() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN INSERT INTO log VALUES (TG_ARGV[0] || NEW.x); RETURN NEW; END $$"
        )
        raw(conn,
            f"CREATE TRIGGER tr AFTER INSERT ON r FOR EACH ROW WHEN (NEW.x <> {lit}) "
            f"EXECUTE FUNCTION logit({lit})"
        )
        raw(conn, "INSERT INTO r (id, x) VALUES (1, 'row :a 5%')")
        trigger = raw(conn,
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'tr'").scalar()

    def upgrade(op: Any, ctx: Any) -> None:
        with op.batch_alter_table("r", recreate="always") as batch:
            batch.alter_column("y", type_=sa.BigInteger())

    run(pg_engine, upgrade)
    if listening:
        assert any(s.startswith("CREATE TRIGGER tr") for s in seen)
    with pg_engine.begin() as conn:
        assert raw(conn,
            "SELECT pg_get_triggerdef(oid) FROM pg_trigger WHERE tgname = 'tr'"
        ).scalar() == trigger
        raw(conn, "INSERT INTO r (id, x) VALUES (2, 'b')")
        raw(conn, "INSERT INTO r (id) VALUES (3)")
        assert raw(conn, "SELECT x FROM r ORDER BY id").scalars().all() == [
            "row :a 5%", "b", VALUE
        ]
        assert raw(conn, "SELECT m FROM log").scalars().all() == [
            VALUE + "row :a 5%", VALUE + "b"
        ]
        with pytest.raises(sa.exc.IntegrityError):
            raw(conn,
                f"INSERT INTO r (id, x) VALUES (4, {sql_literal(VALUE + 'x')})"
            )


@each_postgres_driver
def test_postgres_op_execute_string_keeps_alembic_escaping(pg_engine):
    run(pg_engine, lambda op, ctx: op.execute("CREATE TABLE e AS SELECT '\\:x'::text AS a, "
                                              "'5%'::text AS b"))
    with pg_engine.connect() as conn:
        assert tuple(conn.exec_driver_sql("SELECT a, b FROM e").one()) == (":x", "5%")


# --- MariaDB ----------------------------------------------------------------------------------
@pytest.fixture
def mysql_engine(mysql_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        for name in sa.inspect(conn).get_table_names():
            conn.exec_driver_sql(f"DROP TABLE `{name}`")
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    yield engine
    engine.dispose()


#: MariaDB reads a backslash in a string literal as an escape: the value without it
MYSQL_VALUE = VALUE.replace("\\", "")


def test_mariadb_server_defaults_and_comments(mysql_engine):
    def upgrade(op: Any, ctx: Any) -> None:
        op.add_column("t", sa.Column("a", sa.String(40), server_default=MYSQL_VALUE,
                                     comment=MYSQL_VALUE))
        op.add_column("t", sa.Column("b", sa.String(40)))
        op.alter_column("t", "b", server_default=MYSQL_VALUE, existing_type=sa.String(40))
        op.create_table("u", sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("v", sa.String(40), server_default=MYSQL_VALUE),
                        comment=MYSQL_VALUE)
        op.create_table_comment("t", MYSQL_VALUE)

    run(mysql_engine, upgrade)
    assert defaults_after_insert(
        mysql_engine, "t", "CONCAT(a, '|', b)", "INSERT INTO t (id) VALUES (1)"
    ) == [f"{MYSQL_VALUE}|{MYSQL_VALUE}"]
    assert defaults_after_insert(mysql_engine, "u", "v", "INSERT INTO u (id) VALUES (1)") == [
        MYSQL_VALUE
    ]
    with mysql_engine.connect() as conn:
        comments = conn.exec_driver_sql(
            "SELECT TABLE_NAME, TABLE_COMMENT FROM information_schema.TABLES "
            "WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1"
        ).all()
        column = conn.exec_driver_sql(
            "SELECT COLUMN_COMMENT FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
            "DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'a'"
        ).scalar()
    assert [tuple(r) for r in comments] == [("t", MYSQL_VALUE), ("u", MYSQL_VALUE)]
    assert column == MYSQL_VALUE


def test_offline_scripts_hold_the_text_as_written():
    """Offline, nothing is a parameter either way: the same text as before."""
    sql = offline("sqlite", lambda op: op.add_column(
        "t", sa.Column("x", sa.String(40), server_default=VALUE)))
    assert f"DEFAULT {sql_literal(VALUE)}" in sql


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql", "mysql", "mssql", "oracle"])
def test_offline_op_execute_string_writes_escaped_colons_as_online(dialect, tmp_path):
    """``\\:`` in an ``op.execute`` string is a colon in the script, as online (and as
    Alembic's text() writes it); an unescaped ``:name`` stays as written."""
    statement = "UPDATE t SET a = '10\\:30', b = ':keep', c = '5%'"
    sql = offline(dialect, lambda op: op.execute(statement))
    assert "a = '10:30', b = ':keep', c = '5%'" in sql
    assert "\\:" not in sql
    # the script's statement gives the row an online run gives
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (a TEXT, b TEXT, c TEXT)")
        conn.exec_driver_sql("INSERT INTO t VALUES (NULL, NULL, NULL)")
        script_row = offline("sqlite", lambda op: op.execute(statement)).strip().rstrip(";")
        conn.exec_driver_sql(script_row)
        assert conn.exec_driver_sql("SELECT a, b, c FROM t").one() == ("10:30", ":keep", "5%")
    engine.dispose()


# --- index expressions and partial-index conditions in a batch --------------------------------
def _pg_indexdefs(conn: Any, table: str) -> dict[str, str]:
    return dict(raw(conn,
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        f"JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = '{table}'::regclass"
    ).all())


@pytest.mark.parametrize("rename", [False, True])
def test_postgres_recreate_keeps_reflected_index_expressions_exactly(pg_engine, rename):
    """SQLAlchemy reflects an expression index and a partial index's condition as text():
    recreated, their ``' :c'`` was a bind parameter written as NULL."""
    with pg_engine.begin() as conn:
        raw(conn, "CREATE TABLE ix (id INTEGER PRIMARY KEY, x TEXT, y TEXT)")
        raw(conn, "CREATE INDEX ix_expr ON ix ((x || ' :c 5%'))")
        raw(conn, "CREATE INDEX ix_part ON ix (y) WHERE y <> ' :d 5%'")
        before = _pg_indexdefs(conn, "ix")

    def upgrade(op: Any, ctx: Any) -> None:
        with op.batch_alter_table("ix", recreate="always") as batch:
            if rename:
                batch.alter_column("id", new_column_name="ident")
            else:
                batch.alter_column("id", type_=sa.BigInteger())

    run(pg_engine, upgrade)
    with pg_engine.begin() as conn:
        after = _pg_indexdefs(conn, "ix")
    assert after["ix_expr"] == before["ix_expr"]
    assert after["ix_part"] == before["ix_part"]
    assert "' :c 5%'" in after["ix_expr"] and "' :d 5%'" in after["ix_part"]


def _expression_index_in_batch(op: Any, ctx: Any) -> None:
    t = sa.table("ix", sa.column("x"))
    with op.batch_alter_table("ix", recreate="always") as batch:
        batch.create_index("ix_fn", [sa.func.coalesce(t.c.x, "a :b 5%")])
        batch.alter_column("x", new_column_name="x2")


def test_sqlite_batch_expression_index_with_a_colon_and_percent(sqlite_engine):
    """A SQLAlchemy expression index in a batch is carried as SQL text: its literal's colon
    was read as a parameter (NULL)."""
    with sqlite_engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE ix (id INTEGER PRIMARY KEY, x TEXT)")
    run(sqlite_engine, _expression_index_in_batch)
    with sqlite_engine.connect() as conn:
        sql = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_fn'").scalar()
    assert "coalesce(x2, 'a :b 5%')" in sql


@each_postgres_driver
def test_postgres_batch_expression_index_with_a_colon_and_percent(pg_engine):
    """... and on PostgreSQL its ``%`` was doubled once more (``'a :b 5%%'``)."""
    with pg_engine.begin() as conn:
        raw(conn, "CREATE TABLE ix (id INTEGER PRIMARY KEY, x TEXT)")
    run(pg_engine, _expression_index_in_batch)
    with pg_engine.begin() as conn:
        assert "COALESCE(x2, 'a :b 5%'::text)" in _pg_indexdefs(conn, "ix")["ix_fn"]


def test_mariadb_recreate_keeps_prefix_and_desc_indexes_of_names_with_colon_and_percent(
    mysql_engine,
):
    """A recreate writes a prefix-length or DESC index column as text: a column named
    ``c :d`` became ``c NULL`` (the index failed and the batch was undone); ``a%b`` stays."""
    with mysql_engine.begin() as conn:
        raw(conn,
            "CREATE TABLE tp (id INT PRIMARY KEY, `a%b` VARCHAR(50), `c :d` VARCHAR(50), y INT, "
            "KEY ix1 (`a%b`(10)), KEY ix2 (`c :d`(5) DESC))")
        before = raw(conn, "SHOW CREATE TABLE tp").one()[1]

    def upgrade(op: Any, ctx: Any) -> None:
        with op.batch_alter_table("tp", recreate="always") as batch:
            batch.alter_column("y", type_=sa.BigInteger())

    run(mysql_engine, upgrade)
    with mysql_engine.begin() as conn:
        after = raw(conn, "SHOW CREATE TABLE tp").one()[1]
    assert "KEY `ix1` (`a%b`(10))" in after and "KEY `ix2` (`c :d`(5) DESC)" in after
    assert after.replace("`y` bigint(20)", "`y` int(11)") == before


@each_postgres_driver
def test_postgres_recreate_of_a_table_whose_name_holds_a_percent(pg_engine):
    """The recreate's catalog look-ups pass the quoted name as a bound value, which SQLAlchemy's
    preparer had written with ``%%`` for psycopg2: ``relation "a%%b" does not exist``."""
    with pg_engine.begin() as conn:
        raw(conn, 'CREATE TABLE "a%b" (id SERIAL PRIMARY KEY, x TEXT, y INTEGER)')
        raw(conn, 'CREATE INDEX "ix%" ON "a%b" (x)')
        raw(conn, 'GRANT SELECT ON "a%b" TO PUBLIC')
        raw(conn, "INSERT INTO \"a%b\" (x, y) VALUES ('one', 1)")

    def upgrade(op: Any, ctx: Any) -> None:
        with op.batch_alter_table("a%b", recreate="always") as batch:
            batch.alter_column("y", type_=sa.BigInteger())

    run(pg_engine, upgrade)
    with pg_engine.begin() as conn:
        raw(conn, "INSERT INTO \"a%b\" (x, y) VALUES ('two', 2)")  # the serial still serves
        assert raw(conn, 'SELECT id, x, y FROM "a%b" ORDER BY id').all() == [
            (1, "one", 1), (2, "two", 2)]
        assert "USING btree (x)" in raw(conn,
            "SELECT pg_get_indexdef('\"ix%\"'::regclass)").scalar()
        assert raw(conn,
            "SELECT has_table_privilege('public', '\"a%b\"', 'SELECT')").scalar() is True
        assert raw(conn,
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'a%b' AND column_name = 'y'").scalar() == "bigint"
