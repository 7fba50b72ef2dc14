"""Identifier length limits (mig_core.ddl.identifiers): SQL Server (128 characters) and MySQL /
MariaDB (64 characters) refuse a longer name before the operation's first statement, naming the
revision, the operation and the name; PostgreSQL (63 bytes, which it shortens itself) warns with
the name it will use. Oracle's own checks (mig_oracle.names) are tested in its plugin.
"""

from __future__ import annotations

import io
import warnings

import pytest
import sqlalchemy as sa
from runtime_support import config_for, make_project

from mig_core import command
from mig_core.ddl.identifiers import IdentifierCheck, IdentifierRule
from mig_core.errors import CommandError, MigrationFailed, MigWarning

LONG = "n" * 129  # over SQL Server's 128


def offline(tmp_path, url: str, upgrade: str) -> str:
    ini = make_project(tmp_path / "p", url, [{"rev": "a1", "upgrade": upgrade}])
    buf = io.StringIO()
    command.upgrade(config_for(ini, configure={"output_buffer": buf}), "head", sql=True)
    return buf.getvalue()


def refused(tmp_path, url: str, upgrade: str) -> str:
    with pytest.raises(MigrationFailed) as info:
        offline(tmp_path, url, upgrade)
    return str(info.value)


def shown(name: str) -> str:
    return name if len(name) <= 40 else name[:37] + "..."


# each: the revision body, the operation as messages name it, the kind of name, the name
MSSQL_CASES = [
    (f"op.create_table({LONG!r}, sa.Column('id', sa.Integer))",
     f"create_table({LONG!r})", "table", LONG),
    (f"op.create_table('t', sa.Column({LONG!r}, sa.Integer))",
     "create_table('t')", "column", LONG),
    (f"op.create_table('t', sa.Column('id', sa.Integer), sa.UniqueConstraint('id', name={LONG!r}))",
     "create_table('t')", "unique constraint", LONG),
    (f"op.add_column('t', sa.Column({LONG!r}, sa.Integer))",
     f"add_column('t', {LONG!r})", "column", LONG),
    (f"op.alter_column('t', 'c', new_column_name={LONG!r}, existing_type=sa.Integer)",
     "alter_column('t', 'c')", "column", LONG),
    (f"op.rename_table('t', {LONG!r})", "rename_table('t')", "table", LONG),
    (f"op.create_index({LONG!r}, 't', ['c'])", "create_index('t')", "index", LONG),
    (f"op.create_foreign_key({LONG!r}, 't', 'u', ['c'], ['id'])",
     "create_foreign_key('t')", "foreign key", LONG),
    (f"op.drop_column('t', {LONG!r})", f"drop_column('t', {LONG!r})", "column", LONG),
]


@pytest.mark.parametrize("upgrade, where, kind, name", MSSQL_CASES)
def test_sql_server_refuses_names_over_128_characters(tmp_path, upgrade, where, kind, name):
    message = refused(tmp_path, "mssql://", upgrade)
    assert message.startswith("revision a1 (versions/a1_a1.py line ")
    assert message.endswith(
        f"upgrade failed: CommandError: {where}: the {kind} name {shown(name)!r} is "
        f"{len(name)} characters long; SQL Server allows at most 128 (while writing the SQL "
        "script)"
    )


def test_sql_server_refuses_before_the_operations_first_statement(tmp_path):
    upgrade = (
        "op.create_table('early', sa.Column('id', sa.Integer))\n"
        f"op.create_table('late', sa.Column('id', sa.Integer, index=True), "
        f"sa.Index({LONG!r}, 'id'))"
    )
    ini = make_project(tmp_path / "p", "mssql://", [{"rev": "a1", "upgrade": upgrade}])
    buf = io.StringIO()
    with pytest.raises(MigrationFailed, match="the index name"):
        command.upgrade(config_for(ini, configure={"output_buffer": buf}), "head", sql=True)
    assert "CREATE TABLE early" in buf.getvalue()
    assert "late" not in buf.getvalue()


def test_sql_server_takes_128_characters(tmp_path):
    name = "n" * 128
    sql = offline(tmp_path, "mssql://",
                  f"op.create_table({name!r}, sa.Column({name!r}, sa.Integer))\n"
                  f"op.create_index({name!r}, {name!r}, [{name!r}])")
    assert f"CREATE INDEX {name} ON {name} ({name})" in sql


def test_sql_server_conventional_names_are_checked_as_sqlalchemy_shortens_them(tmp_path):
    """A name marked with op.f() is shortened by SQLAlchemy first (to 125): no error."""
    name = "ix_" + "x" * 130
    sql = offline(tmp_path, "mssql://", f"op.create_index(op.f({name!r}), 't', ['c'])")
    short = [line for line in sql.splitlines() if line.startswith("CREATE INDEX")][0].split()[2]
    assert len(short) == 125 and short.startswith(name[:120] + "_")


def test_mysql_offline_refuses_names_over_64_characters(tmp_path):
    name = "m" * 65
    message = refused(tmp_path, "mysql://", f"op.add_column('t', sa.Column({name!r}, sa.Integer))")
    assert message.endswith(
        f"upgrade failed: CommandError: add_column('t', {name!r}): the column name "
        f"{shown(name)!r} is 65 characters long; MySQL allows at most 64 (while writing the SQL "
        "script)"
    )


def test_mysql_conventional_index_and_constraint_names_are_shortened_to_64(tmp_path):
    """SQLAlchemy shortens MySQL's conventional index and constraint names at 64 characters
    (max_index_name_length / max_constraint_name_length; 255 is only its general limit): the
    first 56, ``_`` and 4 hex digits, no error, as with Alembic."""
    table = "t" * 60
    sql = offline(tmp_path, "mysql://",
                  f"op.create_index(op.f('ix_{table}_c'), {table!r}, ['c'])\n"
                  f"op.create_unique_constraint(op.f('uq_{table}_c'), {table!r}, ['c'])\n"
                  f"op.create_foreign_key(op.f('fk_{table}_c'), {table!r}, 'u', ['c'], ['id'])")
    names = [line.split()[2] for line in sql.splitlines() if line.startswith("CREATE INDEX")]
    names += [line.split()[5] for line in sql.splitlines() if "ADD CONSTRAINT" in line]
    assert [(n[:57], len(n)) for n in names] == [
        (f"{p}_{table}"[:56] + "_", 61) for p in ("ix", "uq", "fk")]


def test_conventional_column_and_table_names_are_not_shortened(tmp_path):
    """SQLAlchemy shortens only index and constraint names: an op.f() column or table name
    reaches the server as it is, so it is checked as it is."""
    name = "c" * 65
    message = refused(tmp_path, "mysql://", f"op.add_column('t', sa.Column(op.f({name!r}), sa.Integer))")
    assert f"the column name {shown(name)!r} is 65 characters long; MySQL allows at most 64" \
        in message
    name = "t" * 130
    message = refused(tmp_path / "ms", "mssql://",
                      f"op.create_table(op.f({name!r}), sa.Column('id', sa.Integer))")
    assert f"the table name {shown(name)!r} is 130 characters long; SQL Server allows" in message


def test_mariadb_online_refuses_before_any_ddl_and_keeps_the_version(tmp_path, mysql_url):
    name = "m" * 65
    ini = make_project(tmp_path / "p", mysql_url, [
        {"rev": "a1", "upgrade": "op.create_table('lim', sa.Column('id', sa.Integer))",
         "downgrade": "op.drop_table('lim')"},
        {"rev": "b2", "down": "a1",
         "upgrade": "op.add_column('lim', sa.Column('ok', sa.Integer))\n"
                    f"op.create_table('lim2', sa.Column({name!r}, sa.Integer))",
         "downgrade": "pass"},
    ])
    with pytest.raises(MigrationFailed) as info:
        command.upgrade(config_for(ini), "head")
    assert str(info.value).startswith("revision b2 (versions/b2_b2.py line ")
    assert (f"create_table('lim2'): the column name {shown(name)!r} is 65 characters long; "
            "MariaDB allows at most 64") in str(info.value)
    engine = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM mig_version")).scalar() == "a1"
            inspector = sa.inspect(conn)
            assert not inspector.has_table("lim2")
            # exactly 64 characters is what MariaDB takes
            conn.execute(sa.text(f"ALTER TABLE lim ADD COLUMN {'m' * 64} INTEGER"))
            conn.commit()
        # b2's add_column took effect before the refusal: a run starting with another
        # revision stops until b2 is resumed or the database is stamped
        with pytest.raises(MigrationFailed, match=r"^revision b2 .* failed part-way"):
            command.downgrade(config_for(ini), "base")
        command.stamp(config_for(ini), "a1")
        command.downgrade(config_for(ini), "base")
    finally:
        engine.dispose()


def test_postgresql_warns_with_the_name_it_keeps(tmp_path, postgres_url):
    column = "é" * 40  # 80 bytes: PostgreSQL keeps 31 characters (62 bytes)
    table = "p" * 70
    ini = make_project(tmp_path / "p", postgres_url, [{
        "rev": "a1",
        "upgrade": f"op.create_table({table!r}, sa.Column({column!r}, sa.Integer))",
        "downgrade": f"op.drop_table({table!r})",
    }])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        command.upgrade(config_for(ini), "head")
    messages = [str(w.message) for w in caught if issubclass(w.category, MigWarning)]
    assert messages == [
        f"create_table({table!r}): the table name {shown(table)!r} is 70 bytes long; "
        f"PostgreSQL keeps only the first 63: {'p' * 63!r}",
        f"create_table({table!r}): the column name {shown(column)!r} is 80 bytes long; "
        f"PostgreSQL keeps only the first 63: {'é' * 31!r}",
    ]
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            assert [c["name"] for c in sa.inspect(conn).get_columns("p" * 63)] == ["é" * 31]
        command.downgrade(config_for(ini), "base")
    finally:
        engine.dispose()


def test_postgresql_does_not_warn_about_existing_names(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", MigWarning)
        sql = offline(tmp_path, "postgresql://",
                      f"op.drop_column('t', {'c' * 70!r})\nop.drop_table({'t' * 70!r})")
    assert f"DROP TABLE {'t' * 70}" in sql


# --- the fast path: a plain name that fits returns before the general checks ------------------

BYTES_RULE = IdentifierRule(server="PostgreSQL", limit=63, unit="bytes", truncates=True)
CHARACTERS_RULE = IdentifierRule(server="SQL Server", limit=128)


@pytest.mark.parametrize("rule", [BYTES_RULE, CHARACTERS_RULE], ids=["bytes", "characters"])
@pytest.mark.parametrize("name", [
    "a" * 63, "a" * 64, "a" * 128, "a" * 129,
    "é" * 31, "é" * 32, "é" * 64, "é" * 65,  # 2 bytes each: fits by length, not by bytes
    "€" * 21, "€" * 22, "😀" * 15, "😀" * 16, "a" * 60 + "é" * 2,
])
def test_fits_is_size_within_the_limit(rule, name):
    assert rule.fits(name) is (rule.size(name) <= rule.limit)


class _Op:
    def __init__(self) -> None:
        self.described = 0

    def describe(self) -> str:
        self.described += 1
        return "add_column('t')"


def test_multibyte_name_within_the_length_but_over_the_bytes_warns():
    """32 characters, 64 bytes: the fast path must not take it for a fitting name."""
    check = IdentifierCheck(BYTES_RULE, _Op())
    with pytest.warns(MigWarning, match=r"add_column\('t'\): the column name 'é+' is 64 bytes"):
        check.name("column", "é" * 32)


def test_operation_is_described_only_for_a_message():
    op = _Op()
    check = IdentifierCheck(CHARACTERS_RULE, op)
    check.table("t")
    check.name("column", "c" * 128)
    assert op.described == 0
    with pytest.raises(CommandError, match=r"^add_column\('t'\): the column name"):
        check.name("column", "c" * 129)
    assert op.described == 1


def test_conventional_names_take_the_general_path():
    """A conventional index name over the limit is shortened before it is checked (no error);
    a conventional column name is not shortened (an error)."""
    from mig_core.operations.naming import f

    check = IdentifierCheck(CHARACTERS_RULE, "create_index('t')", truncate_at=128)
    check.name("index", f("ix_" + "x" * 130))  # written as 125 characters
    with pytest.raises(CommandError, match="the column name"):
        check.name("column", f("c" * 129))  # column names are not shortened


def test_the_rule_is_asked_once_per_impl():
    """identifier_rule() is a per-run decision: asked at the first operation, not per name."""
    from ops_support import core_impl, core_plugin_manager, offline

    from mig_core import hookimpl
    from mig_core.plugins import module_plugin

    asked: list[int] = []

    class CountingImpl(core_impl("sqlite")):  # type: ignore[misc]
        dialect_name = "mysql"

        def identifier_rule(self) -> IdentifierRule:
            asked.append(1)
            return IdentifierRule(server="MySQL", limit=64)

    @hookimpl
    def register(registry) -> None:
        registry.add("mysql", CountingImpl)

    pm = core_plugin_manager(module_plugin("counting", mig_register_dialects=register))

    def fn(op) -> None:
        op.add_column("t", sa.Column("a", sa.Integer))
        op.add_column("t", sa.Column("b", sa.Integer))
        op.add_column("t", sa.Column("m" * 65, sa.Integer))

    with pytest.raises(CommandError, match="the column name 'mmm"):
        offline(pm, "mysql", fn)
    assert asked == [1]
