"""How often, and with what, include_name / include_object are called (issue 6).

A filter is often written to log or count what it sees; Alembic offers each object once, so mig
must too, plugins included: mig-postgres compares enum types and sequences after the tables and
reuses the core's verdict on each table instead of asking the filters again.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.autogenerate.snapshot import ReflectedTable
from tests.autogen_helpers import diffs, flat, setup

Call = tuple[Any, ...]


class Recorder:
    """``include_name`` / ``include_object`` that record every call and keep everything, except
    the tables named in ``refuse`` (refused by ``include_object``)."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.names: list[Call] = []
        self.objects: list[Call] = []
        self.refuse = refuse

    def include_name(self, name: Any, type_: str, parent_names: dict[str, Any]) -> bool:
        self.names.append((type_, name, dict(parent_names)))
        return True

    def include_object(
        self, obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        self.objects.append((type_, name, reflected, compare_to, obj))
        return not (type_ == "table" and name in self.refuse)

    def opts(self) -> dict[str, Any]:
        return {"include_name": self.include_name, "include_object": self.include_object}

    def table_names(self) -> Counter[str]:
        return Counter(str(name) for type_, name, _ in self.names if type_ == "table")

    def table_objects(self) -> dict[str, list[Call]]:
        out: dict[str, list[Call]] = {}
        for type_, name, reflected, compare_to, obj in self.objects:
            if type_ == "table":
                out.setdefault(str(name), []).append((reflected, compare_to, obj))
        return out


def _enum() -> sa.Enum:
    return sa.Enum("x", "y", name="mood")


@pytest.mark.postgres
def test_each_table_is_offered_once_to_each_filter_on_postgresql(postgres_engine: Any) -> None:
    # tables both sides have (one using an enum type), one only the model has (an enum column
    # and a sequence: mig-postgres compares both), one only the database has
    db, model = sa.MetaData(), sa.MetaData()
    for md in (db, model):
        sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True))
        sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("mood", _enum()))
    sa.Table("old_t", db, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("new_t", model, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("mood", _enum()), sa.Column("n", sa.Integer, sa.Sequence("new_t_n_seq")))
    setup(postgres_engine, db)
    rec = Recorder()
    kinds = [d[0] for d in flat(diffs(postgres_engine, model, **rec.opts()))]
    assert sorted(kinds) == ["add_sequence", "add_table", "remove_table"]
    assert rec.table_names() == {"p": 1, "t": 1, "new_t": 1, "old_t": 1}
    offered = rec.table_objects()
    assert sorted(offered) == ["new_t", "old_t", "p", "t"]
    assert all(len(calls) == 1 for calls in offered.values()), offered
    for name in ("p", "t"):  # the model's table, the reflected one as compare_to
        ((reflected, compare_to, obj),) = offered[name]
        assert not reflected and obj is model.tables[name]
        assert isinstance(compare_to, ReflectedTable) and compare_to.name == name
    ((reflected, compare_to, obj),) = offered["new_t"]
    assert (reflected, compare_to, obj) == (False, None, model.tables["new_t"])
    ((reflected, compare_to, obj),) = offered["old_t"]
    assert reflected and compare_to is None and isinstance(obj, sa.Table)


@pytest.mark.postgres
def test_a_refused_table_keeps_its_enum_type_and_sequence(postgres_engine: Any) -> None:
    # the database's "legacy" table uses an enum type and a sequence the model does not have;
    # include_object refuses the table, so it stays, and so must the type and the sequence
    # (dropping them would fail: the table still uses them)
    setup(postgres_engine, None)
    with postgres_engine.begin() as conn:
        conn.execute(sa.text("CREATE TYPE old_mood AS ENUM ('a', 'b')"))
        conn.execute(sa.text("CREATE SEQUENCE old_seq"))
        conn.execute(sa.text(
            "CREATE TABLE legacy (id integer PRIMARY KEY, mood old_mood, "
            "n integer DEFAULT nextval('old_seq'))"
        ))
    model = sa.MetaData()
    sa.Table("p", model, sa.Column("id", sa.Integer, primary_key=True))
    rec = Recorder(refuse=("legacy",))
    assert [d[0] for d in flat(diffs(postgres_engine, model, **rec.opts()))] == ["add_table"]
    assert rec.table_names() == {"p": 1, "legacy": 1}
    # without the refusal both go with the table
    kinds = sorted(d[0] for d in flat(diffs(postgres_engine, model, **Recorder().opts())))
    assert kinds == ["add_table", "remove_enum", "remove_sequence", "remove_table"]


def test_a_table_refused_by_include_name_is_offered_once(sqlite_url: str) -> None:
    # the database's table and the model's of the same name are one name: asked once
    engine = sa.create_engine(sqlite_url)
    md = sa.MetaData()
    sa.Table("hidden", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("shown", md, sa.Column("id", sa.Integer, primary_key=True))
    setup(engine, md)
    seen: list[Any] = []

    def include_name(name: Any, type_: str, parent_names: dict[str, Any]) -> bool:
        seen.append((type_, name))
        return name != "hidden"

    assert diffs(engine, md, include_name=include_name) == []
    assert Counter(n for t, n in seen if t == "table") == {"hidden": 1, "shown": 1}
    engine.dispose()


def test_a_plugin_asking_before_the_core_shares_its_verdicts(sqlite_url: str) -> None:
    # ctx.model_tables(schemas) from a plain mig_compare_schema hook runs before the core's
    # comparison: the filters are asked then, as the core would ask them, and not again
    from mig_core.autogenerate.compare_tables import schemas_to_compare
    from mig_core.autogenerate.context import CompareContext
    from mig_core.operations.ops import UpgradeOps
    from mig_core.runtime.migration import MigrationContext

    engine = sa.create_engine(sqlite_url)
    db, model = sa.MetaData(), sa.MetaData()
    sa.Table("kept", db, sa.Column("id", sa.Integer, primary_key=True))
    for md in (db, model):
        sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("new_t", model, sa.Column("id", sa.Integer, primary_key=True))
    setup(engine, db)
    rec = Recorder(refuse=("kept",))
    with engine.connect() as conn:
        ctx = CompareContext(MigrationContext.configure(connection=conn, opts=rec.opts()), model)
        schemas = schemas_to_compare(ctx)
        assert sorted(ctx.model_tables(schemas)) == [(None, "new_t"), (None, "t")]
        upgrade_ops = UpgradeOps([])
        ctx.hooks.mig_compare_schema(ctx=ctx, schemas=schemas, upgrade_ops=upgrade_ops)
        assert sorted(ctx.model_tables(schemas)) == [(None, "new_t"), (None, "t")]
    engine.dispose()
    assert [type(op).__name__ for op in upgrade_ops.ops] == ["CreateTableOp"]
    assert rec.table_names() == {"kept": 1, "t": 1, "new_t": 1}
    offered = rec.table_objects()
    assert {name: len(calls) for name, calls in offered.items()} == {"kept": 1, "t": 1, "new_t": 1}
    ((reflected, compare_to, _),) = offered["t"]
    assert not reflected and isinstance(compare_to, ReflectedTable)
    assert offered["new_t"][0][:2] == (False, None)


# --- unnamed objects -----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> Any:
    if request.param == "sqlite":
        eng = sa.create_engine(request.getfixturevalue("sqlite_url"))
        yield eng
        eng.dispose()
    else:
        yield request.getfixturevalue("postgres_engine")


def test_unnamed_objects_reach_the_filters_as_none(engine: Any) -> None:
    # SQLAlchemy's placeholder name (_NONE_NAME: what it gives the CHECK constraint a type
    # makes, and what code building constraints the same way passes) is never a name: the
    # model's unnamed objects are not offered to include_name (Alembic offers only the
    # database's names), and include_object sees None; the database's unnamed ones (SQLite)
    # are offered as None, as Alembic offers them
    from sqlalchemy.sql.base import _NONE_NAME

    def table(md: sa.MetaData, *extra: Any) -> None:
        sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True))
        sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("a", sa.Integer), sa.Column("b", sa.Integer),
                 sa.Column("pid", sa.Integer, sa.ForeignKey("p.id")),
                 sa.Column("flag", sa.Boolean(create_constraint=True)),
                 sa.CheckConstraint("a > 0"), sa.CheckConstraint("a < 9", name="ck_t_a"),
                 sa.UniqueConstraint("b"), *extra)

    db, model = sa.MetaData(), sa.MetaData()
    table(db)
    table(model, sa.UniqueConstraint("a", name=_NONE_NAME))
    setup(engine, db)
    rec = Recorder()
    found = diffs(engine, model, **rec.opts(),
                  autogenerate_plugins=["alembic.autogenerate.*",
                                        "alembic.ext.checkconstraint_byname"])
    assert [d[0] for d in flat(found)] == ["add_constraint"]
    names = Counter((type_, name) for type_, name, _ in rec.names
                    if type_ not in ("schema", "table", "column"))
    # a named CHECK constraint both sides have: one name, asked about once
    expected = {("check_constraint", "ck_t_a"): 1}
    if engine.dialect.name == "sqlite":
        expected.update({("foreign_key_constraint", None): 1, ("unique_constraint", None): 1})
    else:  # the database names them; its unique constraint is an index too, as in Alembic
        expected.update({("foreign_key_constraint", "t_pid_fkey"): 1, ("index", "t_b_key"): 1,
                         ("unique_constraint", "t_b_key"): 1,
                         ("check_constraint", "t_a_check"): 1})
    assert names == expected
    table_parents = [p for _, _, p in rec.names if "table_name" in p]
    assert table_parents
    assert all(p["schema_qualified_table_name"] == p["table_name"] for p in table_parents)
    assert [(t, n, r, c) for t, n, r, c, _ in rec.objects if t == "unique_constraint"] == [
        ("unique_constraint", None, False, None)
    ]


# --- every call, against Alembic's -----------------------------------------------------------


def _scenario(md: sa.MetaData, *, model: bool, pg: bool) -> None:
    """Tables both sides have (with changes), one only the model has, one only the database
    has; unnamed foreign keys and unique constraints; on PostgreSQL an enum type and a
    sequence (compared by mig-postgres)."""
    sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True))
    cols: list[Any] = [sa.Column("id", sa.Integer, primary_key=True), sa.Column("a", sa.Integer),
                       sa.Column("pid", sa.Integer, sa.ForeignKey("p.id")),
                       sa.UniqueConstraint("a"), sa.Index("ix_t_a", "a")]
    if pg:
        cols.append(sa.Column("status", sa.Enum("x", "y", name="status_e")))
    if model:
        cols += [sa.Column("b", sa.String(20), index=True), sa.CheckConstraint("a > 0"),
                 sa.UniqueConstraint("id", "a"), sa.Column("qid", sa.Integer),
                 sa.ForeignKeyConstraint(["qid"], ["p.id"])]
    else:
        cols += [sa.Column("legacy", sa.Integer), sa.UniqueConstraint("pid")]
    sa.Table("t", md, *cols)
    if model:
        extra: list[Any] = []
        if pg:
            extra = [sa.Column("status", sa.Enum("x", "y", name="status_e")),
                     sa.Column("n", sa.Integer, sa.Sequence("seq_n"))]
        sa.Table("new_t", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("pid", sa.Integer, sa.ForeignKey("p.id")), sa.UniqueConstraint("pid"),
                 sa.Index("ix_new_t_pid", "pid"), *extra)
    else:
        sa.Table("old_t", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("pid", sa.Integer, sa.ForeignKey("p.id")), sa.UniqueConstraint("pid"),
                 sa.Index("ix_old_t_pid", "pid"))


_PARENT_KEYS = {"schema_name": "schema", "table_name": "table",
                "schema_qualified_table_name": "qualified"}
#: mig's light reflection records stand where Alembic passes reflected SQLAlchemy objects
#: (docs/from-alembic.md)
_COMPARE_TO = {"ReflectedTable": "Table", "ReflectedColumn": "Column"}


def _calls(rec: Recorder) -> Counter[Call]:
    def name_of(name: Any) -> Any:
        return None if name is None else str(name)

    out: Counter[Call] = Counter()
    for type_, name, parents in rec.names:
        text = " ".join(f"{_PARENT_KEYS[k]}={v}" for k, v in sorted(parents.items()))
        out[("name", type_, name_of(name), text)] += 1
    for type_, name, reflected, compare_to, _ in rec.objects:
        kind = None if compare_to is None else type(compare_to).__name__
        out[("object", type_, name_of(name), reflected, _COMPARE_TO.get(kind, kind))] += 1
    return out


def test_every_call_is_alembics_plus_the_documented_ones(engine: Any) -> None:
    pg = engine.dialect.name == "postgresql"
    db, model = sa.MetaData(), sa.MetaData()
    _scenario(db, model=False, pg=pg)
    _scenario(model, model=True, pg=pg)
    setup(engine, db)
    rec = Recorder()
    diffs(engine, model, **rec.opts())
    if pg:
        expected = Counter(ALEMBIC_POSTGRESQL) + Counter(MIG_ONLY_POSTGRESQL)
    else:
        expected = Counter(ALEMBIC_SQLITE) + Counter(MIG_ONLY_SQLITE)
    got = _calls(rec)
    assert got == expected, (sorted((got - expected).elements(), key=repr),
                             sorted((expected - got).elements(), key=repr))


# Alembic 1.20.1"s calls for _scenario (run by hand in bench/.venv-alembic with the same model,
# database and recording filters); MIG_ONLY_* are the calls mig adds on purpose, each
# documented in docs/from-alembic.md: include_name is asked about the names only the model has
# too (the columns b and qid, the indexes, the new table), mig-postgres offers enum types and sequences,
# and mig drops an unnamed unique constraint only the database has (SQLite's, matched by
# columns; Alembic cannot tell it from the model's and leaves it)
ALEMBIC_SQLITE: list[Call] = [
    ("name", "column", "a", "schema=None qualified=t table=t"),
    ("name", "column", "id", "schema=None qualified=p table=p"),
    ("name", "column", "id", "schema=None qualified=t table=t"),
    ("name", "column", "legacy", "schema=None qualified=t table=t"),
    ("name", "column", "pid", "schema=None qualified=t table=t"),
    ("name", "foreign_key_constraint", None, "schema=None qualified=t table=t"),
    ("name", "index", "ix_old_t_pid", "schema=None qualified=old_t table=old_t"),
    ("name", "index", "ix_t_a", "schema=None qualified=t table=t"),
    ("name", "schema", None, ""),
    ("name", "table", "old_t", "schema=None qualified=old_t"),
    ("name", "table", "p", "schema=None qualified=p"),
    ("name", "table", "t", "schema=None qualified=t"),
    ("name", "unique_constraint", None, "schema=None qualified=old_t table=old_t"),
    ("name", "unique_constraint", None, "schema=None qualified=t table=t"),
    ("name", "unique_constraint", None, "schema=None qualified=t table=t"),
    ("object", "column", "a", False, "Column"),
    ("object", "column", "b", False, None),
    ("object", "column", "id", False, "Column"),
    ("object", "column", "id", False, "Column"),
    ("object", "column", "legacy", True, None),
    ("object", "column", "pid", False, "Column"),
    ("object", "column", "qid", False, None),
    ("object", "foreign_key_constraint", None, False, None),
    ("object", "index", "ix_new_t_pid", False, None),
    ("object", "index", "ix_old_t_pid", True, None),
    ("object", "index", "ix_t_b", False, None),
    ("object", "table", "new_t", False, None),
    ("object", "table", "old_t", True, None),
    ("object", "table", "p", False, "Table"),
    ("object", "table", "t", False, "Table"),
    ("object", "unique_constraint", None, False, None),
]
MIG_ONLY_SQLITE: list[Call] = [
    ("name", "column", "b", "schema=None qualified=t table=t"),
    ("name", "column", "qid", "schema=None qualified=t table=t"),
    ("name", "index", "ix_new_t_pid", "schema=None qualified=new_t table=new_t"),
    ("name", "index", "ix_t_b", "schema=None qualified=t table=t"),
    ("name", "table", "new_t", "schema=None qualified=new_t"),
    ("object", "unique_constraint", None, True, None),
]
ALEMBIC_POSTGRESQL: list[Call] = [
    ("name", "column", "a", "schema=None qualified=t table=t"),
    ("name", "column", "id", "schema=None qualified=p table=p"),
    ("name", "column", "id", "schema=None qualified=t table=t"),
    ("name", "column", "legacy", "schema=None qualified=t table=t"),
    ("name", "column", "pid", "schema=None qualified=t table=t"),
    ("name", "column", "status", "schema=None qualified=t table=t"),
    ("name", "foreign_key_constraint", "t_pid_fkey", "schema=None qualified=t table=t"),
    ("name", "index", "ix_old_t_pid", "schema=None qualified=old_t table=old_t"),
    ("name", "index", "ix_t_a", "schema=None qualified=t table=t"),
    ("name", "index", "old_t_pid_key", "schema=None qualified=old_t table=old_t"),
    ("name", "index", "t_a_key", "schema=None qualified=t table=t"),
    ("name", "index", "t_pid_key", "schema=None qualified=t table=t"),
    ("name", "schema", None, ""),
    ("name", "table", "old_t", "schema=None qualified=old_t"),
    ("name", "table", "p", "schema=None qualified=p"),
    ("name", "table", "t", "schema=None qualified=t"),
    ("name", "unique_constraint", "old_t_pid_key", "schema=None qualified=old_t table=old_t"),
    ("name", "unique_constraint", "t_a_key", "schema=None qualified=t table=t"),
    ("name", "unique_constraint", "t_pid_key", "schema=None qualified=t table=t"),
    ("object", "column", "a", False, "Column"),
    ("object", "column", "b", False, None),
    ("object", "column", "id", False, "Column"),
    ("object", "column", "id", False, "Column"),
    ("object", "column", "legacy", True, None),
    ("object", "column", "pid", False, "Column"),
    ("object", "column", "qid", False, None),
    ("object", "column", "status", False, "Column"),
    ("object", "foreign_key_constraint", None, False, None),
    ("object", "index", "ix_new_t_pid", False, None),
    ("object", "index", "ix_old_t_pid", True, None),
    ("object", "index", "ix_t_b", False, None),
    ("object", "table", "new_t", False, None),
    ("object", "table", "old_t", True, None),
    ("object", "table", "p", False, "Table"),
    ("object", "table", "t", False, "Table"),
    ("object", "unique_constraint", "t_pid_key", True, None),
    ("object", "unique_constraint", None, False, None),
]
MIG_ONLY_POSTGRESQL: list[Call] = [
    ("name", "column", "b", "schema=None qualified=t table=t"),
    ("name", "column", "qid", "schema=None qualified=t table=t"),
    ("name", "enum", "status_e", "schema=None"),
    ("name", "index", "ix_new_t_pid", "schema=None qualified=new_t table=new_t"),
    ("name", "index", "ix_t_b", "schema=None qualified=t table=t"),
    ("name", "sequence", "seq_n", "schema=None"),
    ("name", "table", "new_t", "schema=None qualified=new_t"),
    ("object", "enum", "status_e", False, "EnumType"),
]
