"""Values in offline scripts (``bulk_insert``): each script is run by the database's own client
(psql, mariadb, sqlite3) and must store what an online upgrade stores.

SQLAlchemy writes a ``bytes`` value as its bytes in quotes, which a NUL byte (or any byte that is
not UTF-8) breaks; each dialect has a hexadecimal form instead. SQL Server and Oracle, which have
no server here, are checked as exact text.
"""

from __future__ import annotations

import datetime
import decimal
import io
import json
import subprocess

import pytest
import sqlalchemy as sa
from runtime_support import client, config_for, make_project

from mig_core import command

ROWS = [
    {"id": 1, "b": b"\x00\x01'\\\xff", "u": "Zoë ☃ 'q' 100% :x", "d": datetime.date(2024, 2, 29),
     "ts": datetime.datetime(2024, 12, 31, 23, 59, 58), "n": decimal.Decimal("12.50"),
     "j": {"k": "it's\n é ☃ \\ \"q\"", "n": [1.5, None, True]}},
    {"id": 2, "b": b"", "u": None, "d": None, "ts": None, "n": None, "j": []},
]
REVISION = {
    "rev": "a",
    "upgrade": (
        "import datetime\nfrom decimal import Decimal\n"
        "t = op.create_table('val', sa.Column('id', sa.Integer, primary_key=True, "
        "autoincrement=False), sa.Column('b', sa.LargeBinary), sa.Column('u', sa.String(40)), "
        "sa.Column('d', sa.Date), sa.Column('ts', sa.DateTime), sa.Column('n', sa.Numeric(10, 2)), "
        "sa.Column('j', sa.JSON))\n"
        f"op.bulk_insert(t, {ROWS!r})"
    ),
    "downgrade": "op.drop_table('val')",
}


def script(tmp_path, url: str) -> str:
    ini = make_project(tmp_path / "offline", url, [REVISION])
    buf = io.StringIO()
    command.upgrade(config_for(ini, configure={"output_buffer": buf}), "head", sql=True)
    return buf.getvalue()


def stored(url: str) -> list[tuple]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT id, b, u, d, ts, n, j FROM val ORDER BY id")).all()
            version = conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar()
    finally:
        engine.dispose()
    assert version == "a"
    return [(*(bytes(v) if isinstance(v, memoryview) else v for v in row[:-1]),
             json.loads(row[-1]) if isinstance(row[-1], str) else row[-1]) for row in rows]


def expected() -> list[tuple]:
    return [tuple(row.values()) for row in ROWS]



def test_postgresql_script_run_by_psql(tmp_path, postgres_url):
    url = sa.engine.make_url(postgres_url)
    sql = script(tmp_path, postgres_url)
    assert "'\\x0001275CFF'::bytea" in sql
    subprocess.run(
        [client("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", url.host or "127.0.0.1",
         "-p", str(url.port or 5432), "-U", url.username or "postgres", "-d", url.database],
        input=sql, text=True, check=True, capture_output=True,
    )
    assert stored(postgres_url) == expected()


def test_mariadb_script_run_by_the_mariadb_client(tmp_path, mysql_url):
    url = sa.engine.make_url(mysql_url)
    sql = script(tmp_path, url.set(drivername="mariadb+pymysql").render_as_string(False))
    assert "X'0001275CFF'" in sql
    subprocess.run(
        [client("mariadb"), "--default-character-set=utf8mb4", "-h", url.host or "127.0.0.1",
         "-P", str(url.port or 3306), "-u", url.username or "root", url.database],
        input=sql, text=True, check=True, capture_output=True,
    )
    assert stored(mysql_url + "?charset=utf8mb4") == expected()


def test_sqlite_script_run_by_sqlite3(tmp_path):
    db = tmp_path / "script.db"
    sql = script(tmp_path, f"sqlite:///{db}")
    assert "X'0001275CFF'" in sql
    subprocess.run([client("sqlite3"), "-bail", str(db)], input=sql, text=True, check=True,
                   capture_output=True)
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT b FROM val ORDER BY id").scalars().all() == [
                b"\x00\x01'\\\xff", b""
            ]
    finally:
        engine.dispose()


JSON_TEXT = json.dumps(ROWS[0]["j"]).replace("'", "''")


@pytest.mark.parametrize("dialect, text", [
    ("mssql", "(1, 0x0001275CFF, N'Zoë ☃ ''q'' 100% :x', '20240229', '2024-12-31T23:59:58', "
              f"12.50, '{JSON_TEXT}')"),
    ("oracle", "(1, HEXTORAW('0001275CFF'), 'Zoë ☃ ''q'' 100% :x', TO_DATE('2024-02-29', "
               "'YYYY-MM-DD'), TO_DATE('2024-12-31 23:59:58', 'YYYY-MM-DD HH24:MI:SS'), 12.50, "
               f"'{JSON_TEXT}')"),
])
def test_scripts_without_a_server_here(tmp_path, dialect, text):
    sql = script(tmp_path, f"{dialect}://")
    assert f"INSERT INTO val (id, b, u, d, ts, n, j) VALUES {text}" in sql
