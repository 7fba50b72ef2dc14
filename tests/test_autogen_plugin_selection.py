"""``context.configure(autogenerate_plugins=[...])``: Alembic 1.18's name patterns, and each
built-in plugin name switching its part of mig's comparison off when excluded."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from autogen_helpers import diffs, kinds, setup

from mig_core.errors import CommandError
from mig_core.runtime.plugins import BUILTIN_NAMES, CHECKCONSTRAINT_BYNAME, enabled_plugins

ALL = [*BUILTIN_NAMES, CHECKCONSTRAINT_BYNAME]


# --- the patterns --------------------------------------------------------------------------


def test_default_enables_the_builtins_and_not_the_ext_plugins() -> None:
    assert enabled_plugins(None) == frozenset(BUILTIN_NAMES)
    assert enabled_plugins(["alembic.autogenerate.*"]) == frozenset(BUILTIN_NAMES)


def test_star_spans_dots_so_alembic_star_includes_ext() -> None:
    assert enabled_plugins(["alembic.*"]) == frozenset(ALL)
    assert enabled_plugins(["*"]) == frozenset(ALL)
    assert enabled_plugins(["alembic.*.checkconstraint_byname"]) == {CHECKCONSTRAINT_BYNAME}


def test_exclusions_win_whatever_their_position() -> None:
    assert enabled_plugins(["~alembic.autogenerate.comments", "alembic.autogenerate.*"]) == (
        frozenset(BUILTIN_NAMES) - {"alembic.autogenerate.comments"}
    )
    assert enabled_plugins(["alembic.autogenerate.types", "~alembic.*"]) == frozenset()
    # an exclusion matching nothing is no error
    assert enabled_plugins(["alembic.autogenerate.*", "~nothing.here"]) == frozenset(
        BUILTIN_NAMES)


def test_legacy_and_mig_names_of_checkconstraint_byname() -> None:
    for name in ("alembic.autogenerate.checkconstraint_byname",
                 "mig_core.ext.checkconstraint_byname", CHECKCONSTRAINT_BYNAME):
        assert enabled_plugins(["alembic.autogenerate.*", name]) == frozenset(ALL)
    # wildcards are not translated: alembic.autogenerate.* never means the ext plugin
    assert CHECKCONSTRAINT_BYNAME not in enabled_plugins(["alembic.autogenerate.*"])


@pytest.mark.parametrize("expression", [
    "alembic.auto*", "alembic..types", "alembic.autogenerate.", "alembic-x.types", "", "~",
    "alembic.autogenerate.types ok",
])
def test_invalid_expressions(expression: str) -> None:
    with pytest.raises(ValueError, match=r"^Invalid plugin expression"):
        enabled_plugins([expression])


def test_an_include_matching_nothing_is_an_error() -> None:
    with pytest.raises(CommandError, match=r"^Did not locate plugins: mycompany\.x, nope\.\*$"):
        enabled_plugins(["alembic.autogenerate.*", "mycompany.x", "nope.*"])


# --- excluding built-in families ---------------------------------------------------------


def _before() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "t", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("n", sa.Integer, nullable=True),
        sa.Column("s", sa.String(10), server_default="a"),
        sa.Column("c", sa.Integer, comment="old"),
        sa.Column("gone", sa.Integer),
    )
    sa.Table("other", md, sa.Column("id", sa.Integer, primary_key=True))
    return md


def _after() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table(
        "t", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("n", sa.BigInteger, nullable=False, index=True),
        sa.Column("s", sa.String(10), server_default="b"),
        sa.Column("c", sa.Integer, comment="new"),
        sa.Column("o", sa.Integer, sa.ForeignKey("other.id")),
        comment="a table",
    )
    sa.Table("other", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("fresh", md, sa.Column("id", sa.Integer, primary_key=True))
    return md


ALL_KINDS = {
    "add_table", "add_column", "remove_column", "modify_type", "modify_nullable", "add_index",
    "add_fk", "modify_default", "modify_comment", "add_table_comment",
}
OFF = {
    "alembic.autogenerate.types": {"modify_type"},
    "alembic.autogenerate.constraints": {"modify_nullable", "add_index", "add_fk"},
    "alembic.autogenerate.defaults": {"modify_default"},
    "alembic.autogenerate.comments": {"modify_comment", "add_table_comment"},
    "alembic.autogenerate.tables": ALL_KINDS,
    "alembic.autogenerate.schemas": ALL_KINDS,
}


@pytest.fixture(scope="module")
def pg_engine(postgres_url: str):
    engine = sa.create_engine(postgres_url)
    yield engine
    engine.dispose()


def test_every_family_by_default(pg_engine: sa.Engine) -> None:
    setup(pg_engine, _before())
    found = set(kinds(diffs(pg_engine, _after(), compare_server_default=True)))
    assert found == ALL_KINDS
    explicit = set(kinds(diffs(pg_engine, _after(), compare_server_default=True,
                               autogenerate_plugins=["alembic.autogenerate.*"])))
    assert explicit == ALL_KINDS


@pytest.mark.parametrize("name", sorted(OFF))
def test_excluding_a_builtin_turns_its_family_off(pg_engine: sa.Engine, name: str) -> None:
    setup(pg_engine, _before())
    found = set(kinds(diffs(pg_engine, _after(), compare_server_default=True,
                            autogenerate_plugins=["alembic.autogenerate.*", f"~{name}"])))
    assert found == ALL_KINDS - OFF[name]


def test_only_tables_gives_tables_and_columns(pg_engine: sa.Engine) -> None:
    setup(pg_engine, _before())
    found = set(kinds(diffs(
        pg_engine, _after(), compare_server_default=True,
        autogenerate_plugins=["alembic.autogenerate.schemas", "alembic.autogenerate.tables"],
    )))
    assert found == {"add_table", "add_column", "remove_column"}


def test_excluding_types_and_comments_on_sqlite(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    setup(engine, _before())
    found = set(kinds(diffs(engine, _after(), autogenerate_plugins=[
        "alembic.autogenerate.*", "~alembic.autogenerate.types",
        "~alembic.autogenerate.constraints",
    ])))
    engine.dispose()
    # SQLite stores no comments; a column type, nullability and index are off
    assert found == {"add_table", "add_column", "remove_column"}


def test_a_bad_pattern_fails_the_comparison(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(ValueError, match="Invalid plugin expression"):
        diffs(engine, _after(), autogenerate_plugins=["alembic.auto-generate"])
    with pytest.raises(CommandError, match="Did not locate plugins: alembic.ext.nothing"):
        diffs(engine, _after(), autogenerate_plugins=["alembic.ext.nothing"])
    engine.dispose()


# --- through env.py and the CLI ----------------------------------------------------------


def _mig(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mig_core", *args], cwd=cwd,
                          capture_output=True, text=True)


def test_configure_option_reaches_the_comparison(tmp_path: Path) -> None:
    assert _mig(tmp_path, "init", "migrations").returncode == 0
    url = f"sqlite:///{tmp_path / 'app.db'}"
    ini = tmp_path / "mig.ini"
    ini.write_text("\n".join(
        f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line
        for line in ini.read_text().splitlines()) + "\n")
    (tmp_path / "app_model.py").write_text(
        "import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
        "sa.Table('t', metadata, sa.Column('id', sa.Integer, primary_key=True),"
        " sa.Column('x', sa.BigInteger))\n"
    )
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER NOT NULL PRIMARY KEY, x VARCHAR(5))")
    engine.dispose()
    env = tmp_path / "migrations" / "env.py"
    text = env.read_text().replace(
        "target_metadata = None", "from app_model import metadata as target_metadata")
    plain = "context.configure(connection=connection, target_metadata=target_metadata)"
    assert plain in text

    def configure(patterns: str) -> None:
        env.write_text(text.replace(plain, plain[:-1] + f", autogenerate_plugins={patterns})"))

    configure('["alembic.autogenerate.*"]')
    result = _mig(tmp_path, "check")
    assert result.returncode == 1 and "modify_type" in result.stdout + result.stderr
    configure('["alembic.autogenerate.*", "~alembic.autogenerate.types"]')
    result = _mig(tmp_path, "check")
    assert result.returncode == 0, result.stdout + result.stderr
    configure('["mycompany.plugin"]')
    result = _mig(tmp_path, "check")
    assert result.returncode == 3  # a plugin error
    assert result.stderr == "mig: error: Did not locate plugins: mycompany.plugin\n"
    configure('["alembic.auto*"]')
    result = _mig(tmp_path, "check")
    assert result.returncode == 3
    assert result.stderr.startswith("mig: error: Invalid plugin expression 'alembic.auto*'")
