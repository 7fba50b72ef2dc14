"""Autogenerate writes names taken from the database as final: ``op.f('name')``.

With a naming convention that uses ``%(constraint_name)s``, a name written as a plain string
goes through the convention again when the revision runs (``ix_t_ix_t_name``), so the upgrade
drops an index that does not exist and the downgrade re-creates constraints under new names.
Names read from the database (and names the model's convention made, SQLAlchemy's ``conv``)
are written as ``op.f('...')`` (``batch_op.f`` in batch blocks); a plain name the user gave is
written as given. Checked by running the rendered upgrade and downgrade on SQLite and
PostgreSQL, and through the CLI.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.autogenerate.api import produce_migrations, render_python_code
from mig_core.runtime.migration import MigrationContext
from tests.autogen_helpers import setup

CONVENTION = {
    "ix": "ix_%(table_name)s_%(constraint_name)s",
    "uq": "uq_%(table_name)s_%(constraint_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(constraint_name)s",
    "pk": "pk_%(table_name)s",
}

MODEL = f'''
import sqlalchemy as sa

CONVENTION = {CONVENTION!r}


def model(version):
    md = sa.MetaData(naming_convention=CONVENTION)
    sa.Table(
        "parent", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(10)),
        sa.Column("n", sa.Integer),
        *([sa.Index("bycode", "code"), sa.UniqueConstraint("code", name="ucode")]
          if version == 1 else [sa.Index("bycode", "code", "n")]),
    )
    sa.Table(
        "child", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("pid", sa.Integer),
        sa.ForeignKeyConstraint(["pid"], ["parent.id"], name="topid",
                                ondelete="CASCADE" if version == 1 else None),
    )
    if version == 1:
        sa.Table(
            "gone", md,
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("a", sa.Integer),
            sa.Column("pid", sa.Integer),
            sa.CheckConstraint("a > 0", name="apos"),
            sa.UniqueConstraint("a", name="ua"),
            sa.ForeignKeyConstraint(["pid"], ["parent.id"], name="gp"),
            sa.Index("ga", "pid"),
        )
    return md
'''


def model(version: int) -> sa.MetaData:
    namespace: dict[str, Any] = {}
    exec(MODEL, namespace)  # noqa: S102 - the same model the CLI test's env.py imports
    return namespace["model"](version)  # type: ignore[no-any-return]


#: every name a database holds that the revisions must drop or re-create as it is
V1_NAMES = {
    "parent": {"index": {"ix_parent_bycode"}, "unique": {"uq_parent_ucode"}},
    "child": {"fk": {"fk_child_topid"}},
    "gone": {"index": {"ix_gone_ga"}, "unique": {"uq_gone_ua"}, "fk": {"fk_gone_gp"},
             "check": {"ck_gone_apos"}},
}


def names(engine: sa.Engine) -> dict[str, dict[str, set[str]]]:
    """The index and constraint names of each table, by kind (primary keys apart)."""
    insp = sa.inspect(engine)
    out: dict[str, dict[str, set[str]]] = {}
    for table in insp.get_table_names():
        if table.startswith("mig_"):
            continue
        kinds = {
            "index": {i["name"] for i in insp.get_indexes(table)
                      if not i.get("duplicates_constraint")},
            "unique": {u["name"] for u in insp.get_unique_constraints(table)},
            "fk": {f["name"] for f in insp.get_foreign_keys(table)},
            "check": {c["name"] for c in insp.get_check_constraints(table)},
        }
        out[table] = {k: {str(n) for n in v if n} for k, v in kinds.items() if v}
    return out


def pk_names(engine: sa.Engine) -> dict[str, Any]:
    insp = sa.inspect(engine)
    return {t: insp.get_pk_constraint(t).get("name") for t in insp.get_table_names()}


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest) -> Any:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    yield eng
    setup(eng, None)
    eng.dispose()


def autogenerate(engine: sa.Engine, target: sa.MetaData, batch: bool) -> tuple[str, str]:
    with engine.connect() as conn:
        ctx = MigrationContext.configure(
            connection=conn, opts={"target_metadata": target, "render_as_batch": batch}
        )
        script = produce_migrations(ctx, target)
        up = render_python_code(script.upgrade_ops, render_as_batch=batch, migration_context=ctx)
        down = render_python_code(script.downgrade_ops, render_as_batch=batch,
                                  migration_context=ctx)
    return up, down


def run(engine: sa.Engine, body: str, target: sa.MetaData) -> None:
    """Run a rendered body as a revision would: ``op`` on a context whose target_metadata
    carries the naming convention (so a plain name would go through it)."""
    from mig_core import op
    from mig_core.operations.base import Operations

    source = "import sqlalchemy as sa\ndef fn():\n    " + body + "\n"
    namespace: dict[str, Any] = {"op": op}
    exec(compile(source, "<rendered>", "exec"), namespace)  # noqa: S102 - the code under test
    with engine.begin() as conn:
        ctx = MigrationContext.configure(connection=conn, opts={"target_metadata": target})
        with op.installed(Operations(ctx)):
            namespace["fn"]()


def _names_written(text: str) -> set[str]:
    return set(re.findall(r"\b(?:batch_)?op\.f\('(\w+)'\)", text))


@pytest.fixture(params=[("sqlite", True), ("postgresql", False), ("postgresql", True)],
                ids=["sqlite-batch", "postgresql", "postgresql-batch"])
def case(request: pytest.FixtureRequest) -> Any:
    """(engine, render_as_batch); SQLite changes constraints only in batch mode (its plain
    rendering: test_sqlite_plain_rendering_marks_database_names)."""
    kind, batch = request.param
    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "postgres_url")
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    yield eng, batch
    setup(eng, None)
    eng.dispose()


def test_database_names_are_final_and_round_trip(case: tuple[sa.Engine, bool]) -> None:
    engine, batch = case
    v1, v2 = model(1), model(2)
    setup(engine, v1)
    assert names(engine) == V1_NAMES
    pks = pk_names(engine)
    up, down = autogenerate(engine, v2, batch)
    prefix = "batch_op." if batch else "op."
    # every name the database has, dropped in the upgrade (a dropped table's index goes with
    # its drop_table: no drop_index is written for it), re-created by the downgrade
    dropped = {"ix_parent_bycode", "uq_parent_ucode", "fk_child_topid"}
    assert dropped <= _names_written(up), up
    assert "ix_gone_ga" not in up
    recreated = {n for kinds in V1_NAMES.values() for group in kinds.values() for n in group}
    assert recreated <= _names_written(down), down
    for name in ("ix_parent_bycode", "uq_parent_ucode", "fk_child_topid"):
        assert f"{prefix}f({name!r})" in up
        assert f"{prefix}f({name!r})" in down
    # inside the re-created table: always op.f (create_table is not in a batch block)
    assert "sa.CheckConstraint('a > 0', name=op.f('ck_gone_apos'))" in down
    assert "name=op.f('uq_gone_ua')" in down and "name=op.f('fk_gone_gp')" in down
    if pks["gone"]:
        assert f"name=op.f({pks['gone']!r})" in down
    # no name is written plain, so none can be converted twice
    assert not re.search(r"((?<!\.f)\(|name=)'(ix|uq|fk|ck|pk)_", up + down), up + down
    if batch:
        inner = [line for line in (up + down).splitlines() if line.startswith(" " * 8)]
        assert not any(" op.f(" in line for line in inner if "batch_op." in line)

    run(engine, up, v2)
    after = names(engine)
    assert "gone" not in after
    assert after["parent"] == {"index": {"ix_parent_bycode"}}
    assert after["child"] == {"fk": {"fk_child_topid"}}
    run(engine, down, v1)
    assert names(engine) == V1_NAMES
    assert pk_names(engine) == pks


def test_sqlite_plain_rendering_marks_database_names(sqlite_url: str) -> None:
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    try:
        setup(engine, model(1))
        up, down = autogenerate(engine, model(2), batch=False)
    finally:
        engine.dispose()
    assert "op.drop_index(op.f('ix_parent_bycode'), table_name='parent')" in up
    assert "op.drop_constraint(op.f('uq_parent_ucode'), 'parent', type_='unique')" in up
    assert "op.drop_constraint(op.f('fk_child_topid'), 'child', type_='foreignkey')" in up
    assert "ix_gone_ga" not in up  # the dropped table's index goes with its drop_table
    assert "op.create_unique_constraint(op.f('uq_parent_ucode'), 'parent', ['code'])" in down
    assert "op.create_index(op.f('ix_gone_ga'), 'gone', ['pid'], unique=False)" in down
    assert "sa.CheckConstraint('a > 0', name=op.f('ck_gone_apos'))" in down


def test_model_names_from_the_convention_are_final_plain_names_stay_plain(
    sqlite_url: str,
) -> None:
    """A model name the convention made is a ``conv`` (written op.f); without a convention a
    name the user gave is written as given where the model creates it."""
    engine = sa.create_engine(sqlite_url, poolclass=sa.pool.NullPool)
    try:
        setup(engine, None)
        with_convention = model(2)
        up, _ = autogenerate(engine, with_convention, batch=False)
        assert "op.create_index(op.f('ix_parent_bycode'), 'parent', ['code', 'n']" in up
        assert "sa.ForeignKeyConstraint(['pid'], ['parent.id'], name=op.f('fk_child_topid'))" in up
        assert "sa.PrimaryKeyConstraint('id', name=op.f('pk_parent'))" in up
        up, _ = autogenerate(engine, with_convention, batch=True)
        assert "batch_op.create_index(batch_op.f('ix_parent_bycode'), ['code', 'n']" in up

        setup(engine, sa.MetaData())
        plain_before = sa.MetaData()
        sa.Table("t", plain_before, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("a", sa.Integer))
        setup(engine, plain_before)
        plain_after = sa.MetaData()
        sa.Table("t", plain_after, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("a", sa.Integer), sa.Index("myidx", "a"))
        up, down = autogenerate(engine, plain_after, batch=False)
        assert "op.create_index('myidx', 't', ['a'], unique=False)" in up
        assert "op.drop_index('myidx', table_name='t')" in down
    finally:
        engine.dispose()


# --- through the CLI -------------------------------------------------------------------------


def mig(cwd: Path, *args: str, version: int) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "MODEL_VERSION": str(version)}
    result = subprocess.run([sys.executable, "-m", "mig_core", *args], cwd=cwd, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise AssertionError(f"mig {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def test_cli_revision_upgrade_downgrade_keeps_database_names(
    tmp_path: Path, engine: sa.Engine
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    batch = engine.dialect.name == "sqlite"
    mig(tmp_path, "init", "migrations", version=1)
    (tmp_path / "app_model.py").write_text(MODEL)
    env = tmp_path / "migrations" / "env.py"
    text = env.read_text().replace(
        "target_metadata = None",
        "import os\nfrom app_model import model\n"
        "target_metadata = model(int(os.environ['MODEL_VERSION']))",
    )
    if batch:
        text = text.replace(
            "context.configure(connection=connection, target_metadata=target_metadata)",
            "context.configure(connection=connection, target_metadata=target_metadata, "
            "render_as_batch=True)",
        )
        assert "render_as_batch=True" in text
    env.write_text(text)
    ini = tmp_path / "mig.ini"
    ini.write_text("\n".join(
        f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line
        for line in ini.read_text().splitlines()
    ) + "\n")
    setup(engine, None)

    mig(tmp_path, "revision", "--autogenerate", "-m", "v1", version=1)
    mig(tmp_path, "upgrade", "head", version=1)
    assert names(engine) == V1_NAMES
    pks = pk_names(engine)
    mig(tmp_path, "revision", "--autogenerate", "-m", "v2", version=2)
    [second] = (tmp_path / "migrations" / "versions").glob("*_v2.py")
    source = second.read_text()
    prefix = "batch_op." if batch else "op."
    assert f"drop_index({prefix}f('ix_parent_bycode')" in source
    assert "sa.CheckConstraint('a > 0', name=op.f('ck_gone_apos'))" in source
    mig(tmp_path, "upgrade", "head", version=2)
    assert names(engine)["parent"] == {"index": {"ix_parent_bycode"}}
    mig(tmp_path, "downgrade", "-1", version=1)
    assert names(engine) == V1_NAMES
    assert pk_names(engine) == pks
