"""Offline values SQLAlchemy cannot write, or writes in a form the server reads differently:
``sa.Interval`` where it is emulated as a DATETIME (MySQL, SQLite, SQL Server: online it is
sent as 1970-01-01 plus the interval), and a datetime with a time zone on MySQL / MariaDB
(online the driver sends its wall time; SQLAlchemy would write a ``+00:00`` offset MariaDB
refuses). Each script is run by the database's own client and compared with an online upgrade.
"""

from __future__ import annotations

import datetime
import io
import subprocess

import sqlalchemy as sa
from runtime_support import client, config_for, make_project

from mig_core import command

REVISION = {
    "rev": "a",
    "upgrade": (
        "import datetime\n"
        "t = op.create_table('v', sa.Column('id', sa.Integer, primary_key=True, "
        "autoincrement=False), sa.Column('iv', sa.Interval), "
        "sa.Column('dt', sa.DateTime(timezone=True)))\n"
        "op.bulk_insert(t, [\n"
        "    {'id': 1, 'iv': datetime.timedelta(days=1, seconds=5, microseconds=7),\n"
        "     'dt': datetime.datetime(2024, 1, 2, 3, 4, 5, 600, tzinfo=datetime.timezone("
        "datetime.timedelta(hours=5)))},\n"
        "    {'id': 2, 'iv': datetime.timedelta(0), 'dt': None},\n"
        "])"
    ),
    "downgrade": "op.drop_table('v')",
}


def script(tmp_path, url: str) -> str:
    ini = make_project(tmp_path / "offline", url, [REVISION])
    buf = io.StringIO()
    command.upgrade(config_for(ini, configure={"output_buffer": buf}), "head", sql=True)
    return buf.getvalue()


def stored(url: str) -> list[tuple]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    table = sa.Table("v", sa.MetaData(), sa.Column("id", sa.Integer),
                     sa.Column("iv", sa.Interval), sa.Column("dt", sa.DateTime))
    try:
        with engine.begin() as conn:
            rows = [tuple(row) for row in conn.execute(sa.select(table).order_by(table.c.id))]
            conn.execute(sa.text("DROP TABLE v"))
            conn.execute(sa.text("DROP TABLE mig_version"))
    finally:
        engine.dispose()
    return rows


def online(tmp_path, url: str) -> list[tuple]:
    ini = make_project(tmp_path / "online", url, [REVISION])
    command.upgrade(config_for(ini), "head")
    return stored(url)



def test_sqlite_interval_script_stores_what_online_stores(tmp_path):
    db = tmp_path / "online.db"
    expected = online(tmp_path, f"sqlite:///{db}")
    assert expected[0][1] == datetime.timedelta(days=1, seconds=5, microseconds=7)
    offline_db = tmp_path / "script.db"
    sql = script(tmp_path, f"sqlite:///{offline_db}")
    assert "(1, '1970-01-02 00:00:05.000007', " in sql
    subprocess.run([client("sqlite3"), "-bail", str(offline_db)], input=sql, text=True,
                   check=True, capture_output=True)
    assert stored(f"sqlite:///{offline_db}") == expected


def test_mariadb_interval_and_zoned_datetime_script_stores_what_online_stores(
    tmp_path, mysql_url
):
    expected = online(tmp_path, mysql_url)
    assert expected == [
        (1, datetime.timedelta(days=1, seconds=5, microseconds=0),  # DATETIME: no fraction
         datetime.datetime(2024, 1, 2, 3, 4, 5)),
        (2, datetime.timedelta(0), None),
    ]
    url = sa.engine.make_url(mysql_url)
    sql = script(tmp_path, url.set(drivername="mariadb+pymysql").render_as_string(False))
    assert ("VALUES (1, '1970-01-02 00:00:05.000007', '2024-01-02 03:04:05.000600')"
            in sql)
    subprocess.run(
        [client("mariadb"), "-h", url.host or "127.0.0.1", "-P", str(url.port or 3306),
         "-u", url.username or "root", url.database],
        input=sql, text=True, check=True, capture_output=True,
    )
    assert stored(mysql_url) == expected


def test_sql_server_interval_is_written_as_its_datetime(tmp_path):
    sql = script(tmp_path, "mssql://")
    assert ("INSERT INTO v (id, iv, dt) VALUES (1, '1970-01-02T00:00:05.000', "
            "'2024-01-02T03:04:05.000600+05:00');\nGO") in sql
    assert "INSERT INTO v (id, iv, dt) VALUES (2, '1970-01-01T00:00:00', NULL);\nGO" in sql
