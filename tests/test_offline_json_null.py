"""None in JSON columns offline: the script stores what the same revision stores online.

SQLAlchemy sends ``None`` for a JSON column as JSON ``null`` (unless the type says
``none_as_null=True``), ``sa.JSON.NULL`` always as JSON ``null`` and ``sa.null()`` always as SQL
NULL. Offline it would write every one of them as SQL NULL. Each script here is run by the
database's own client and compared with an online upgrade; SQL Server and Oracle, which have no
server here, are checked as exact text.
"""

from __future__ import annotations

import io
import subprocess

import pytest
import sqlalchemy as sa
from runtime_support import client, config_for, make_project

from mig_core import command


def revision(json_type: str) -> dict[str, str]:
    """``val``: the generic JSON type, one with none_as_null=True, the dialect's own JSON type
    (and a TypeDecorator of it), filled by op.bulk_insert and one op.execute(insert())."""
    return {
        "rev": "a",
        "upgrade": (
            "class Doc(sa.TypeDecorator):\n"
            "    impl = sa.JSON\n"
            "    cache_ok = True\n\n"
            "t = op.create_table('val', sa.Column('id', sa.Integer, primary_key=True, "
            "autoincrement=False), sa.Column('j', sa.JSON), "
            "sa.Column('jn', sa.JSON(none_as_null=True)), "
            f"sa.Column('d', {json_type}), sa.Column('td', Doc))\n"
            "op.bulk_insert(t, [\n"
            "    {'id': 1, 'j': None, 'jn': None, 'd': None, 'td': None},\n"
            "    {'id': 2, 'j': sa.JSON.NULL, 'jn': sa.JSON.NULL, 'd': sa.JSON.NULL,"
            " 'td': sa.JSON.NULL},\n"
            "    {'id': 3, 'j': sa.null(), 'jn': sa.null(), 'd': sa.null(), 'td': sa.null()},\n"
            "    {'id': 4, 'j': {'a': None}, 'jn': [None], 'd': {'a': None}, 'td': None},\n"
            "])\n"
            "op.execute(t.insert().values(id=5, j=None, jn=None, d=None, td=None))"
        ),
        "downgrade": "op.drop_table('val')",
    }


#: (j, jn, d, td) per row: None is SQL NULL, a string the stored JSON text
EXPECTED = [
    (1, "null", None, "null", "null"),
    (2, "null", "null", "null", "null"),
    (3, None, None, None, None),
    (4, '{"a": null}', "[null]", '{"a": null}', "null"),
    (5, "null", None, "null", "null"),
]


def offline_script(tmp_path, url: str, json_type: str) -> str:
    ini = make_project(tmp_path / "offline", url, [revision(json_type)])
    buf = io.StringIO()
    command.upgrade(config_for(ini, configure={"output_buffer": buf}), "head", sql=True)
    return buf.getvalue()


def stored(url: str, as_text: str) -> list[tuple]:
    """Each row's id and its JSON columns as text (None for SQL NULL)."""
    columns = ", ".join(as_text.format(c) for c in ("j", "jn", "d", "td"))
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            rows = [tuple(row) for row in conn.execute(
                sa.text(f"SELECT id, {columns} FROM val ORDER BY id")
            )]
    finally:
        engine.dispose()
    return rows


def drop_all(url: str) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS val"))
            conn.execute(sa.text("DROP TABLE IF EXISTS mig_version"))
    finally:
        engine.dispose()


def online_rows(tmp_path, url: str, json_type: str, as_text: str) -> list[tuple]:
    drop_all(url)
    ini = make_project(tmp_path / "online", url, [revision(json_type)])
    command.upgrade(config_for(ini), "head")
    rows = stored(url, as_text)
    drop_all(url)
    return rows



def test_postgresql_offline_json_nulls_match_online(tmp_path, postgres_url):
    json_type = "sa.dialects.postgresql.JSONB"
    as_text = "{0}::text"
    online = online_rows(tmp_path, postgres_url, json_type, as_text)
    assert online == EXPECTED
    sql = offline_script(tmp_path, postgres_url, json_type)
    url = sa.engine.make_url(postgres_url)
    subprocess.run(
        [client("psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", url.host or "127.0.0.1",
         "-p", str(url.port or 5432), "-U", url.username or "postgres", "-d", url.database],
        input=sql, text=True, check=True, capture_output=True,
    )
    assert stored(postgres_url, as_text) == online
    drop_all(postgres_url)


def test_mariadb_offline_json_nulls_match_online(tmp_path, mysql_url):
    json_type = "sa.dialects.mysql.JSON"
    as_text = "CAST({0} AS CHAR)"
    online = online_rows(tmp_path, mysql_url, json_type, as_text)
    assert online == EXPECTED
    url = sa.engine.make_url(mysql_url)
    sql = offline_script(tmp_path, url.set(drivername="mariadb+pymysql").render_as_string(False),
                         json_type)
    subprocess.run(
        [client("mariadb"), "--default-character-set=utf8mb4", "-h", url.host or "127.0.0.1",
         "-P", str(url.port or 3306), "-u", url.username or "root", url.database],
        input=sql, text=True, check=True, capture_output=True,
    )
    assert stored(mysql_url, as_text) == online
    drop_all(mysql_url)


INSERTS = [
    "INSERT INTO val (id, j, jn, d, td) VALUES (1, 'null', NULL, 'null', 'null')",
    "INSERT INTO val (id, j, jn, d, td) VALUES (2, 'null', 'null', 'null', 'null')",
    "INSERT INTO val (id, j, jn, d, td) VALUES (3, NULL, NULL, NULL, NULL)",
    "INSERT INTO val (id, j, jn, d, td) VALUES (4, '{\"a\": null}', '[null]', '{\"a\": null}', "
    "'null')",
    "INSERT INTO val (id, j, jn, d, td) VALUES (5, 'null', NULL, 'null', 'null')",
]


@pytest.mark.parametrize("dialect, json_type, end", [
    ("mssql", "sa.dialects.mssql.JSON", ";\nGO\n"),
    ("oracle", "sa.dialects.oracle.JSON", "\n/\n"),
])
def test_offline_json_nulls_without_a_server_here(tmp_path, dialect, json_type, end):
    sql = offline_script(tmp_path, f"{dialect}://", json_type)
    start = sql.index(INSERTS[0])
    assert sql[start:start + len("".join(INSERTS)) + 5 * (len(end) + 1)] == "".join(
        insert + end + "\n" for insert in INSERTS
    )
