"""Offline scripts run as a DBA runs them: ``mig upgrade base:head --sql`` and ``mig downgrade
head:base --sql`` fed to the database's own client (psql, mysql, sqlite3) with the command
docs/runtime.md gives, into an empty database; the schema must be what an online upgrade makes,
and the version table must name head (then nothing after the downgrade).

A missing client skips its test with the reason, except with ``CI=true``, where it fails.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from runtime_support import client, config_for, make_project

from mig_core import command

#: a string default that a naive split at ``;`` or at a comment marker would cut
TRICKY = "it's; a\nnew line -- not a comment; /* nor this */ // $$"

#: MariaDB: a trigger and a procedure whose bodies hold ``;`` (the ``mysql`` client ends a
#: statement at each one unless the script sets another DELIMITER), one body with ``//`` and
#: ``$$`` in a string, one ending with its own ``;``
MYSQL_ROUTINES = '''
op.execute("""
    CREATE TRIGGER w_touch BEFORE INSERT ON w
    FOR EACH ROW
    BEGIN
        IF NEW.note IS NULL THEN
            SET NEW.note = 'it''s; touched // $$';
        END IF;
    END
""")
op.execute("""CREATE PROCEDURE w_add(IN n VARCHAR(20))
BEGIN
    INSERT INTO w (name) VALUES (n); -- a comment; with a semicolon
    INSERT INTO w (name) VALUES (CONCAT(n, ';2'));
END;""")
op.execute("CREATE INDEX ix_w_name ON w (name(10))")
'''

POSTGRES_ROUTINES = '''
op.execute("""
    CREATE FUNCTION w_touch() RETURNS trigger AS $$
    BEGIN
        NEW.note := coalesce(NEW.note, 'it''s; touched');
        RETURN NEW;
    END;
    $$ LANGUAGE plpgsql
""")
op.execute("CREATE TRIGGER w_touch BEFORE INSERT ON w FOR EACH ROW EXECUTE FUNCTION w_touch()")
with op.get_context().autocommit_block():
    op.create_index("ix_w_name", "w", ["name"], postgresql_concurrently=True)
'''

#: the batch first: offline it cannot know the table's triggers, which its DROP TABLE removes
#: (docs/batch.md, "Offline"), while online it recreates them
SQLITE_ROUTINES = '''
copy = sa.Table("w", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("name", sa.String(200), nullable=False, server_default=TRICKY),
                sa.Column("note", sa.String(100)))
with op.batch_alter_table("w", copy_from=copy) as batch_op:
    batch_op.alter_column("note", type_=sa.String(200))
op.execute("""
    CREATE TRIGGER w_touch AFTER INSERT ON w FOR EACH ROW WHEN NEW.note IS NULL
    BEGIN
        UPDATE w SET note = 'it''s; touched' WHERE id = NEW.id;
    END
""")
op.create_index("ix_w_name", "w", ["name"])
'''

ROUTINES = {"postgresql": POSTGRES_ROUTINES, "mysql": MYSQL_ROUTINES, "sqlite": SQLITE_ROUTINES}
DROPS = {
    "postgresql": "op.execute('DROP TRIGGER w_touch ON w')\nop.execute('DROP FUNCTION w_touch()')",
    "mysql": "op.execute('DROP PROCEDURE w_add')\nop.execute('DROP TRIGGER w_touch')",
    "sqlite": "op.execute('DROP TRIGGER w_touch')",
}


def revisions(dialect: str) -> list[dict[str, Any]]:
    """A table with awkward defaults, the dialect's routines, data, and a branch and merge."""
    head = f"TRICKY = {TRICKY!r}\n"
    return [
        {"rev": "a", "upgrade": head + (
            "op.create_table('w', sa.Column('id', sa.Integer, primary_key=True),\n"
            "    sa.Column('name', sa.String(200), nullable=False, server_default=TRICKY),\n"
            "    sa.Column('note', sa.String(100)))"),
         "downgrade": "op.drop_table('w')"},
        {"rev": "b", "down": "a", "upgrade": head + ROUTINES[dialect],
         "downgrade": "op.drop_index('ix_w_name', 'w')\n" + DROPS[dialect]},
        {"rev": "c1", "down": "b", "upgrade": (
            "import datetime\n"
            "t = sa.table('w', sa.column('id'), sa.column('name'), sa.column('note'))\n"
            "op.bulk_insert(t, [{'id': 1, 'name': \"O'Brien; -- x\\n/* y */\", 'note': None},\n"
            "                   {'id': 2, 'name': 'b', 'note': \"q'; \\u2603 \\U0001F600\"}])"),
         "downgrade": "op.execute('DELETE FROM w')"},
        {"rev": "c2", "down": "b", "upgrade": "op.create_table('v', sa.Column('id', sa.Integer, "
                                              "primary_key=True))",
         "downgrade": "op.drop_table('v')"},
        {"rev": "d", "down": ("c1", "c2")},
    ]


def script(tmp_path: Path, url: str, dialect: str, *args: str, down: bool = False) -> str:
    ini = make_project(tmp_path / "project", url, revisions(dialect))
    buf = io.StringIO()
    run = command.downgrade if down else command.upgrade
    run(config_for(ini, configure={"output_buffer": buf}), *args, sql=True)
    return buf.getvalue()


def online(tmp_path: Path, url: str, dialect: str, target: str, down: bool = False) -> None:
    ini = make_project(tmp_path / "project", url, revisions(dialect))
    (command.downgrade if down else command.upgrade)(config_for(ini), target)


def snapshot(url: str) -> dict[str, Any]:
    """Tables, columns (with defaults), indexes, triggers' and routines' bodies, the rows of
    ``w``, and the version table, with mig's own history table left out."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        inspector = sa.inspect(engine)
        tables = sorted(t for t in inspector.get_table_names() if t != "mig_history")
        shot: dict[str, Any] = {t: (
            [(c["name"], str(c["type"]), c["nullable"], c["default"])
             for c in inspector.get_columns(t)],
            sorted(str(sorted(i.items())) for i in inspector.get_indexes(t))) for t in tables}
        with engine.connect() as conn:
            shot["routines"] = sorted(map(tuple, conn.execute(sa.text(ROUTINE_QUERY[
                engine.dialect.name]))))
            shot["version"] = sorted(conn.execute(sa.text("SELECT version_num FROM mig_version"))
                                     .scalars())
            if "w" in tables:
                shot["rows"] = [tuple(r) for r in conn.execute(
                    sa.text("SELECT id, name, note FROM w ORDER BY id"))]
    finally:
        engine.dispose()
    return shot


ROUTINE_QUERY = {
    "postgresql": "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal"
                  " UNION ALL SELECT proname, prosrc FROM pg_proc WHERE proname = 'w_touch'",
    "mysql": "SELECT trigger_name, action_statement FROM information_schema.triggers"
             " WHERE trigger_schema = DATABASE() UNION ALL SELECT routine_name,"
             " routine_definition FROM information_schema.routines"
             " WHERE routine_schema = DATABASE()",
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'",
}


def empty_database(url: str) -> None:
    """Drop what a test left: tables, then MariaDB's procedures / PostgreSQL's functions."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            meta = sa.MetaData()
            meta.reflect(conn)
            meta.drop_all(conn)
            if engine.dialect.name == "mysql":
                conn.execute(sa.text("DROP PROCEDURE IF EXISTS w_add"))
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("DROP FUNCTION IF EXISTS w_touch()"))
    finally:
        engine.dispose()


def round_trip(tmp_path: Path, url: str, dialect: str, run_client: Any,
               script_url: str | None = None) -> None:
    """Offline up and down through the client, compared with online up and down."""
    empty_database(url)
    up = script(tmp_path, script_url or url, dialect, "base:head")
    down = script(tmp_path, script_url or url, dialect, "head:base", down=True)
    run_client(up)
    scripted = snapshot(url)
    assert scripted["version"] == ["d"]
    assert scripted["rows"][0][1] == "O'Brien; -- x\n/* y */"
    run_client(down)
    scripted_down = snapshot(url)
    empty_database(url)
    online(tmp_path, url, dialect, "head")
    assert scripted == snapshot(url)
    online(tmp_path, url, dialect, "base", down=True)
    assert scripted_down == snapshot(url)
    assert scripted_down["version"] == [] and "w" not in scripted_down


def feed(argv: list[str]) -> Any:
    def run(sql: str) -> None:
        done = subprocess.run(argv, input=sql.encode(), capture_output=True)
        assert done.returncode == 0, done.stderr.decode() + "\n" + sql

    return run


def test_postgresql_scripts_run_by_psql(tmp_path: Path, postgres_url: str) -> None:
    """``psql -v ON_ERROR_STOP=1 -X -f``: a ``$$`` body, an autocommit block with CREATE INDEX
    CONCURRENTLY, defaults and values with quotes, semicolons, comment markers, newlines."""
    url = sa.engine.make_url(postgres_url)
    psql = [client("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.host or "127.0.0.1",
            "-p", str(url.port or 5432), "-U", url.username or "postgres", "-d", url.database,
            "-f", "-"]
    round_trip(tmp_path, postgres_url, "postgresql", feed(psql))


def test_mariadb_scripts_run_by_the_mysql_client(tmp_path: Path, mysql_url: str) -> None:
    """``mysql --default-character-set=utf8mb4 --comments db < script.sql``: a trigger and a
    procedure whose bodies hold ``;`` are written between DELIMITER lines, which the client
    needs; the options keep a 4-byte character and a comment in a body as online."""
    url = sa.engine.make_url(mysql_url)
    mysql = [client("mysql"), "--default-character-set=utf8mb4", "--comments",
             "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306),
             "-u", url.username or "root", url.database or ""]
    mariadb = url.set(drivername="mariadb+pymysql").render_as_string(hide_password=False)
    round_trip(tmp_path, mysql_url + "?charset=utf8mb4", "mysql", feed(mysql), mariadb)


def test_sqlite_scripts_run_by_sqlite3(tmp_path: Path) -> None:
    """``sqlite3 -bail app.db < script.sql``: a trigger body, a batch with ``copy_from``."""
    db = tmp_path / "app.db"
    round_trip(tmp_path, f"sqlite:///{db}", "sqlite", feed([client("sqlite3"), "-bail", str(db)]))
