"""A table built from another table's columns and constraints gives no SQLAlchemy warning.

Alembic's cookbook recipe "Apply Custom Sorting to Table Columns within CREATE TABLE" rewrites
each ``CreateTableOp`` with copies of the model table's columns and constraints; the copy of the
primary key still holds the model table's columns. Building the op's Table from them warned
(``Table 'thing' specifies columns 'id' as primary_key=True, not matching locally specified
columns 'id'``), and the copies attached themselves to the model table. The generated revision
and the DDL are unchanged.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import SAWarning

from mig_core import command
from mig_core.config import Config
from mig_core.operations.ops import CreateTableOp
from mig_core.operations.schemaobj import SchemaObjects


def model_table() -> sa.Table:
    md = sa.MetaData()
    return sa.Table(
        "thing", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("aaa", sa.Integer),
        sa.Column("name", sa.String(20)),
        sa.Column("zzz", sa.Integer),
        sa.UniqueConstraint("name", name="uq_name"),
        sa.CheckConstraint("zzz > 0", name="ck_zzz"),
    )


def recipe_items(table: sa.Table) -> list[Any]:
    """The cookbook's rewrite: copies of the op's columns and constraints, "id" first and
    "aaa" last."""
    special = {"id": -100, "aaa": 100}
    items = list(table.c) + sorted(table.constraints, key=lambda c: c._creation_order)
    keyed = [
        (special.get(item.key, i) if isinstance(item, sa.Column) else 2000, item._copy())
        for i, item in enumerate(items)
    ]
    return [item for _, item in sorted(keyed, key=lambda entry: entry[0])]


@pytest.fixture
def no_sa_warnings() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SAWarning)
        yield


def ddl(table: sa.Table) -> str:
    return str(sa.schema.CreateTable(table).compile(dialect=sa.create_engine("sqlite://").dialect))


@pytest.mark.usefixtures("no_sa_warnings")
def test_recipe_copies_build_the_table_without_warning() -> None:
    model = model_table()
    table = CreateTableOp("thing", recipe_items(model)).to_table()
    assert list(table.c.keys()) == ["id", "name", "zzz", "aaa"]
    assert [c.table for c in table.primary_key.columns] == [table]
    assert list(table.primary_key.columns.keys()) == ["id"]
    assert ddl(table) == (
        "\nCREATE TABLE thing (\n\tid INTEGER NOT NULL, \n\tname VARCHAR(20), \n\tzzz INTEGER, "
        "\n\taaa INTEGER, \n\tPRIMARY KEY (id), \n\tCONSTRAINT ck_zzz CHECK (zzz > 0), "
        "\n\tCONSTRAINT uq_name UNIQUE (name)\n)\n\n"
    )


@pytest.mark.usefixtures("no_sa_warnings")
def test_model_columns_and_constraints_leave_the_model_alone() -> None:
    model = model_table()
    primary_key, constraints = model.primary_key, set(model.constraints)
    items = list(model.c) + sorted(model.constraints, key=lambda c: c._creation_order)
    table = SchemaObjects().table("thing", *items)
    assert model.primary_key is primary_key and set(model.constraints) == constraints
    assert all(c.table is table for c in table.primary_key.columns)
    uniques = [c for c in table.constraints if isinstance(c, sa.UniqueConstraint)]
    assert [[col.table for col in u.columns] for u in uniques] == [[table]]
    assert ddl(table) == ddl(model)


@pytest.mark.usefixtures("no_sa_warnings")
def test_composite_primary_key_copy_in_another_order() -> None:
    md = sa.MetaData()
    model = sa.Table(
        "pair", md, sa.Column("a", sa.Integer), sa.Column("b", sa.Integer),
        sa.PrimaryKeyConstraint("b", "a", name="pk_pair"),
    )
    table = SchemaObjects().table("pair", model.c.b._copy(), model.c.a._copy(),
                                  model.primary_key._copy())
    assert list(table.primary_key.columns.keys()) == ["b", "a"]
    assert "CONSTRAINT pk_pair PRIMARY KEY (b, a)" in ddl(table)


ENV_RECIPE = '''
from mig_core.autogenerate import rewriter
from mig_core.operations import ops
import sqlalchemy as sa

writer = rewriter.Rewriter()


@writer.rewrites(ops.CreateTableOp)
def order_columns(context, revision, op):
    special_names = {"id": -100, "aaa": 100}
    cols_by_key = [
        (special_names.get(col.key, index) if isinstance(col, sa.Column) else 2000, col._copy())
        for index, col in enumerate(op.columns)
    ]
    columns = [col for idx, col in sorted(cols_by_key, key=lambda entry: entry[0])]
    return ops.CreateTableOp(op.table_name, columns, schema=op.schema, **op.kw)
'''

MODEL = '''
import sqlalchemy as sa
metadata = sa.MetaData()
t = sa.Table("thing", metadata, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("aaa", sa.Integer), sa.Column("name", sa.String(20)),
             sa.Column("zzz", sa.Integer))
'''


def test_cookbook_rewriter_revision_gives_no_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cookbook_model", raising=False)
    (tmp_path / "cookbook_model.py").write_text(MODEL)
    cfg = Config(str(tmp_path / "mig.ini"))
    cfg.quiet = True
    command.init(cfg, str(tmp_path / "migrations"))
    ini = tmp_path / "mig.ini"
    ini.write_text("\n".join(
        f"sqlalchemy.url = sqlite:///{tmp_path / 'app.db'}" if line.startswith("sqlalchemy.url")
        else line
        for line in ini.read_text().splitlines()
    ) + "\n")
    env = tmp_path / "migrations" / "env.py"
    text = env.read_text().replace(
        "target_metadata = None",
        "from cookbook_model import metadata as target_metadata\n" + ENV_RECIPE,
    )
    assert "target_metadata=target_metadata)" in text
    env.write_text(text.replace(
        "target_metadata=target_metadata)",
        "target_metadata=target_metadata, process_revision_directives=writer)",
    ))
    cfg = Config(str(ini))
    cfg.quiet = True
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        script = command.revision(cfg, "init", autogenerate=True, rev_id="i1")
    assert [str(w.message) for w in caught if issubclass(w.category, SAWarning)] == []
    source = Path(script.path).read_text()
    assert (
        "    op.create_table('thing',\n"
        "        sa.Column('id', sa.Integer(), nullable=False),\n"
        "        sa.Column('name', sa.String(length=20), nullable=True),\n"
        "        sa.Column('zzz', sa.Integer(), nullable=True),\n"
        "        sa.Column('aaa', sa.Integer(), nullable=True),\n"
        "        sa.PrimaryKeyConstraint('id')\n"
        "    )\n"
    ) in source, source
