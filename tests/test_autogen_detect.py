"""Every change autogenerate detects, on real SQLite and PostgreSQL databases."""

from __future__ import annotations

import warnings

import pytest
import sqlalchemy as sa

from tests.autogen_helpers import diffs, flat, kinds, migrate, setup


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request):
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
    yield eng
    eng.dispose()


def base_tables(md: sa.MetaData, *, extra_cols=(), account_kw=None, item_fk_kw=None) -> None:
    sa.Table(
        "account", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("email", sa.String(100)),
        *extra_cols,
        **(account_kw or {}),
    )
    sa.Table(
        "item", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer,
                  sa.ForeignKey("account.id", name="fk_item_account", **(item_fk_kw or {}))),
        sa.Column("code", sa.String(20)),
    )


def models(**kw):
    before, after = sa.MetaData(), sa.MetaData()
    base_tables(before)
    base_tables(after, **kw)
    return before, after


def test_identical_model_has_no_differences(engine):
    before, after = models()
    setup(engine, before)
    assert diffs(engine, after) == []


def test_table_added_and_removed(engine):
    before, after = models()
    sa.Table("gone", before, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("fresh", after, sa.Column("id", sa.Integer, primary_key=True))
    setup(engine, before)
    result = flat(diffs(engine, after))
    assert [(d[0], d[1].name) for d in result] == [("add_table", "fresh"), ("remove_table", "gone")]


def test_columns_added_and_removed(engine):
    before, after = models(extra_cols=[sa.Column("age", sa.Integer)])
    before.tables["item"].append_column(sa.Column("legacy", sa.Text))
    setup(engine, before)
    result = flat(diffs(engine, after))
    assert [(d[0], d[2], d[3].name) for d in result] == [
        ("add_column", "account", "age"),
        ("remove_column", "item", "legacy"),
    ]


def test_type_change_and_type_synonyms(engine):
    before, after = models()
    after.tables["account"].c.name.type = sa.String(80)
    setup(engine, before)
    result = flat(diffs(engine, after))
    assert [(d[0], d[3]) for d in result] == [("modify_type", "name")]
    assert result[0][5].length == 50 and result[0][6].length == 80
    assert diffs(engine, after, compare_type=False) == []


def test_nullability(engine):
    before, after = models()
    after.tables["account"].c.email.nullable = False
    setup(engine, before)
    result = flat(diffs(engine, after))
    assert [(d[0], d[3], d[5], d[6]) for d in result] == [("modify_nullable", "email", True, False)]


def test_server_default_only_when_asked(engine):
    before, after = models()
    before.tables["item"].c.code.server_default = sa.DefaultClause("a")
    after.tables["item"].c.code.server_default = sa.DefaultClause("b")
    setup(engine, before)
    assert diffs(engine, after) == []
    result = flat(diffs(engine, after, compare_server_default=True))
    assert [(d[0], d[3]) for d in result] == [("modify_default", "code")]
    same = sa.MetaData()
    base_tables(same)
    same.tables["item"].c.code.server_default = sa.DefaultClause("a")
    assert diffs(engine, same, compare_server_default=True) == []


def test_index_added_removed_changed(engine):
    before, after = models()
    sa.Index("ix_account_name", before.tables["account"].c.name)
    sa.Index("ix_account_email", before.tables["account"].c.email)
    sa.Index("ix_account_email", after.tables["account"].c.email, after.tables["account"].c.name)
    sa.Index("ix_item_code", after.tables["item"].c.code, unique=True)
    setup(engine, before)
    result = sorted((d[0], d[1].name) for d in flat(diffs(engine, after)))
    assert result == [
        ("add_index", "ix_account_email"),
        ("add_index", "ix_item_code"),
        ("remove_index", "ix_account_email"),
        ("remove_index", "ix_account_name"),
    ]


def test_unique_constraints(engine):
    before, after = models()
    before.tables["account"].append_constraint(sa.UniqueConstraint("name", name="uq_name"))
    after.tables["item"].append_constraint(sa.UniqueConstraint("code", name="uq_code"))
    setup(engine, before)
    result = sorted((d[0], d[1].name) for d in flat(diffs(engine, after)))
    assert result == [("add_constraint", "uq_code"), ("remove_constraint", "uq_name")]
    # unchanged named and unnamed uniques are equal
    same = sa.MetaData()
    base_tables(same)
    same.tables["account"].append_constraint(sa.UniqueConstraint("name", name="uq_name"))
    assert diffs(engine, same) == []


def test_foreign_key_added_removed_and_options(engine):
    before, after = models(item_fk_kw={"ondelete": "CASCADE"})
    setup(engine, before)
    result = flat(diffs(engine, after))
    assert [d[0] for d in result] == ["remove_fk", "add_fk"]
    assert result[1][1].ondelete == "CASCADE"
    # a foreign key only in the model, and one only in the database
    plain, extra = models()
    extra.tables["item"].append_column(sa.Column("parent_id", sa.Integer))
    plain.tables["item"].append_column(sa.Column("parent_id", sa.Integer))
    extra.tables["item"].append_constraint(
        sa.ForeignKeyConstraint(["parent_id"], ["item.id"], name="fk_item_parent")
    )
    setup(engine, plain)
    added = flat(diffs(engine, extra))
    assert [(d[0], d[1].name) for d in added] == [("add_fk", "fk_item_parent")]
    setup(engine, extra)
    removed = flat(diffs(engine, plain))
    assert [d[0] for d in removed] == ["remove_fk"]
    assert [e.parent.name for e in removed[0][1].elements] == ["parent_id"]


def test_several_metadata_objects(engine):
    first, second = sa.MetaData(), sa.MetaData()
    sa.Table("a", first, sa.Column("id", sa.Integer, primary_key=True))
    sa.Table("b", second, sa.Column("id", sa.Integer, primary_key=True))
    setup(engine, first)
    result = flat(diffs(engine, [first, second]))
    assert [(d[0], d[1].name) for d in result] == [("add_table", "b")]


def test_version_and_history_tables_are_never_reported(engine):
    md = sa.MetaData()
    sa.Table("mig_version", md, sa.Column("version_num", sa.String(32), primary_key=True))
    sa.Table("mig_history", md, sa.Column("id", sa.Integer, primary_key=True))
    setup(engine, md)
    assert diffs(engine, sa.MetaData()) == []


def test_computed_column_change_warns(engine):
    before, after = sa.MetaData(), sa.MetaData()
    for md, expr in ((before, "a + 1"), (after, "a + 2")):
        sa.Table("calc", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("a", sa.Integer),
                 sa.Column("b", sa.Integer, sa.Computed(expr, persisted=True)))
    setup(engine, before)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert diffs(engine, before) == []
    with pytest.warns(UserWarning, match="computed"):
        assert diffs(engine, after) == []


# --- PostgreSQL only -------------------------------------------------------------------------


@pytest.fixture
def pg(postgres_url):
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    yield eng
    eng.dispose()


def test_pg_comments(pg):
    before, after = models(account_kw={"comment": "people"})
    after.tables["item"].c.code.comment = "the code"
    setup(pg, before)
    result = flat(diffs(pg, after))
    assert sorted(d[0] for d in result) == ["add_table_comment", "modify_comment"]
    setup(pg, after)
    back = flat(diffs(pg, before))
    assert sorted(d[0] for d in back) == ["modify_comment", "remove_table_comment"]


def test_pg_expression_index_and_dialect_options(pg):
    before, after = models()
    t_before = before.tables["account"]
    sa.Index("ix_lower_name", sa.func.lower(t_before.c.name))
    sa.Index("ix_partial", t_before.c.email, postgresql_where=t_before.c.email.isnot(None))
    setup(pg, before)
    assert diffs(pg, before) == []
    t_after = after.tables["account"]
    sa.Index("ix_lower_name", sa.func.upper(t_after.c.name))
    sa.Index("ix_partial", t_after.c.email, postgresql_where=t_after.c.name.isnot(None))
    result = sorted((d[0], d[1].name) for d in flat(diffs(pg, after)))
    assert result == [("add_index", "ix_lower_name"), ("add_index", "ix_partial"),
                      ("remove_index", "ix_lower_name"), ("remove_index", "ix_partial")]


def test_pg_identity_change(pg):
    before, after = sa.MetaData(), sa.MetaData()
    sa.Table("ident", before, sa.Column("id", sa.Integer, sa.Identity(start=1), primary_key=True))
    sa.Table("ident", after, sa.Column("id", sa.Integer, sa.Identity(start=10), primary_key=True))
    setup(pg, before)
    assert diffs(pg, before) == []
    result = flat(diffs(pg, after))
    assert [d[0] for d in result] == ["modify_default"]
    assert result[0][6].start == 10


def test_pg_serial_is_not_a_default(pg):
    md = sa.MetaData()
    sa.Table("s", md, sa.Column("id", sa.Integer, primary_key=True))
    setup(pg, md)
    assert diffs(pg, md, compare_server_default=True) == []


def test_pg_deferrable_foreign_key(pg):
    before, after = models(item_fk_kw={"deferrable": True, "initially": "DEFERRED"})
    setup(pg, before)
    assert kinds(diffs(pg, after)) == ["remove_fk", "add_fk"]
    setup(pg, after)
    assert diffs(pg, after) == []


def test_pg_include_schemas(pg):
    md = sa.MetaData()
    base_tables(md)
    sa.Table("elsewhere", md, sa.Column("id", sa.Integer, primary_key=True), schema="other")
    setup(pg, md)
    with pg.begin() as conn:
        conn.execute(sa.text("CREATE TABLE other.stray (id integer)"))
    assert diffs(pg, md) == []  # default schema only
    result = flat(diffs(pg, md, include_schemas=True))
    assert [(d[0], d[1].schema, d[1].name) for d in result] == [("remove_table", "other", "stray")]
    model = sa.MetaData()
    base_tables(model)
    sa.Table("elsewhere", model, sa.Column("id", sa.Integer, primary_key=True), schema="other")
    sa.Table("stray", model, sa.Column("id", sa.Integer), schema="other")
    sa.Table("new", model, sa.Column("id", sa.Integer), schema="other")
    result = flat(diffs(pg, model, include_schemas=True))
    assert [(d[0], d[1].schema, d[1].name) for d in result] == [("add_table", "other", "new")]


def test_comparison_leaves_nothing_for_the_garbage_collector(engine):
    """The snapshot, its records and the comparison's context are freed by reference counting
    when the comparison ends (the collector is paused meanwhile and would otherwise have to
    scan them all afterwards)."""
    import gc

    from mig_core.autogenerate.context import CompareContext
    from mig_core.autogenerate.snapshot import ReflectedColumn, ReflectedTable

    before, after = models(extra_cols=[sa.Column("age", sa.Integer)])
    sa.Table("gone", before, sa.Column("id", sa.Integer, primary_key=True))
    setup(engine, before)
    gc.collect()
    gc.disable()
    try:
        assert kinds(diffs(engine, after)) == ["add_column", "remove_table"]
        kept = [o for o in gc.get_objects()
                if isinstance(o, (ReflectedTable, ReflectedColumn, CompareContext))]
    finally:
        gc.enable()
    assert kept == []


def test_unique_constraint_on_a_quoted_mixed_case_column_is_unchanged(engine):
    md = sa.MetaData()
    sa.Table("q", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("MixedCase", sa.String(10), quote=True),
             sa.UniqueConstraint("MixedCase", name="uq_q_mixed"))
    setup(engine, md)
    assert diffs(engine, md) == []


def _primary_key_requests(monkeypatch) -> list[list[str]]:
    """The table names of every get_multi_pk_constraint call from now on, one list per call."""
    asked: list[list[str]] = []
    original = sa.engine.reflection.Inspector.get_multi_pk_constraint

    def spy(self, *args, **kw):
        asked.append(sorted(kw.get("filter_names") or []))
        return original(self, *args, **kw)

    monkeypatch.setattr(sa.engine.reflection.Inspector, "get_multi_pk_constraint", spy)
    return asked


def test_primary_keys_and_checks_are_reflected_only_for_dropped_tables(engine, monkeypatch):
    """A kept table's comparison needs neither its primary key nor its CHECK constraints (none
    is compared); a dropped table's downgrade re-creates both, from one bulk reflection."""
    from tests.autogen_helpers import migrate, run_code

    asked = _primary_key_requests(monkeypatch)
    before, after = models()
    sa.Table("gone", before, sa.Column("a", sa.Integer), sa.Column("b", sa.Integer),
             sa.PrimaryKeyConstraint("a", "b", name="pk_gone"),
             sa.CheckConstraint("a < b", name="ck_gone_order"))
    setup(engine, before)
    assert diffs(engine, before) == []
    assert asked == []
    up, down = migrate(engine, after)
    assert asked == [["gone"]]
    assert "op.drop_table('gone')" in up
    assert "sa.PrimaryKeyConstraint('a', 'b', name=op.f('pk_gone'))" in down
    assert "ck_gone_order" in down and "a < b" in down
    run_code(engine, down)
    assert diffs(engine, before) == []


def test_a_comparator_asking_for_a_primary_key_gets_all_of_them_in_one_reflection(
        engine, monkeypatch):
    from mig_core.autogenerate.context import CompareContext
    from mig_core.runtime.migration import MigrationContext

    asked = _primary_key_requests(monkeypatch)
    before, _ = models()
    setup(engine, before)
    with engine.connect() as conn:
        ctx = CompareContext(MigrationContext.configure(connection=conn), before)
        tables = ctx.snapshot(None).tables
        assert tables["item"].primary_key["constrained_columns"] == ["id"]
        assert tables["account"].primary_key["constrained_columns"] == ["id"]
        assert tables["account"].check_constraints == []
        ctx.release()
    assert [len(names) for names in asked] == [2]  # both tables, one call


class Encrypted(sa.types.TypeDecorator):
    impl = sa.String
    cache_ok = True


def test_types_alike_but_for_impl_or_variant_are_not_mixed_up(engine):
    """A TypeDecorator compiles as its impl, a with_variant() type as the run's variant: two
    columns whose types differ only there are each compared as what they create (the second
    was compared with the first's DDL and reported as a type change)."""
    dialect = engine.dialect.name
    md = sa.MetaData()
    sa.Table(
        "t", md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("a", sa.String(10)),
        sa.Column("b", sa.String(10).with_variant(sa.Text(), dialect)),
        sa.Column("c", Encrypted(100)),
        sa.Column("d", Encrypted(200)),
        sa.Column("j", sa.JSON()),
        sa.Column("k", sa.JSON().with_variant(sa.Text(), dialect)),
    )
    setup(engine, md)
    assert diffs(engine, md) == []


def test_foreign_key_to_a_column_whose_key_is_not_its_name(engine):
    """ForeignKey("kp.id") names the target by its key (Column("ID", key="id")): the new
    table's FK is written with the column's name; written 'kp.id', PostgreSQL refused it
    (no column id) and SQLite stored it, then it was reported changed on every run."""
    md = sa.MetaData()
    sa.Table("kp", md, sa.Column("ID", sa.Integer, primary_key=True, key="id"))
    sa.Table("kt", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("parent_ref", sa.Integer, sa.ForeignKey("kp.id", name="fk_kt_kp"),
                       key="parent"))
    setup(engine, None)
    up, _down = migrate(engine, md)
    assert "sa.ForeignKeyConstraint(['parent_ref'], ['kp.ID'], name='fk_kt_kp')" in up
    assert diffs(engine, md) == []


def test_unnamed_uniques_and_foreign_keys_are_added_in_one_order(engine):
    """A table's constraints are a set (ordered by memory address): unnamed foreign keys and
    unique constraints were added in a different order from run to run. They are ordered by
    their columns (and target) now."""
    def model(with_keys: bool) -> sa.MetaData:
        md = sa.MetaData()
        for name in "abcd":
            sa.Table(name, md, sa.Column("id", sa.Integer, primary_key=True))
        columns = [sa.Column(f"{n}_id", sa.Integer,
                             *([sa.ForeignKey(f"{n}.id")] if with_keys else [])) for n in "dcba"]
        uniques = [sa.UniqueConstraint(f"{n}_id") for n in "dcba"] if with_keys else []
        sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True), *columns, *uniques)
        return md

    setup(engine, model(with_keys=False))
    added = [d for d in flat(diffs(engine, model(with_keys=True)))
             if d[0] in ("add_fk", "add_constraint")]
    fks = [[e.parent.name for e in d[1].elements] for d in added if d[0] == "add_fk"]
    uniques = [[c.name for c in d[1].columns] for d in added if d[0] == "add_constraint"]
    assert fks == [["a_id"], ["b_id"], ["c_id"], ["d_id"]]
    assert uniques == [["a_id"], ["b_id"], ["c_id"], ["d_id"]]


def test_a_foreign_key_to_a_table_not_in_the_model_is_a_clear_error(engine):
    """SQLAlchemy cannot resolve such a key (Alembic stops with its NoReferencedTableError):
    mig says which key and what to do, as a CommandError (exit 1, no traceback)."""
    from mig_core.errors import CommandError

    setup(engine, None)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE external (id INTEGER PRIMARY KEY)"))
    model = sa.MetaData()
    sa.Table("child", model, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("ext_id", sa.Integer, sa.ForeignKey("external.id")))
    with pytest.raises(CommandError, match=(
        r"^autogenerate: Foreign key associated with column 'child\.ext_id' could not find "
        r"table 'external' .*not in target_metadata: add that Table to the same MetaData")):
        diffs(engine, model)


def test_foreign_key_options_spelled_the_same_or_differently(engine):
    """An option the database reports as the model spells it is the same option (compared
    without normalising); spelled otherwise it is normalised first; a changed one differs."""
    def model(ondelete: str | None) -> sa.MetaData:
        md = sa.MetaData()
        sa.Table("p", md, sa.Column("id", sa.Integer, primary_key=True))
        sa.Table("c", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("p_id", sa.Integer,
                           sa.ForeignKey("p.id", name="fk_c_p", ondelete=ondelete)))
        return md

    setup(engine, model("CASCADE"))
    assert diffs(engine, model("CASCADE")) == []
    assert diffs(engine, model("cascade")) == []
    assert [d[0] for d in flat(diffs(engine, model("SET NULL")))] == ["remove_fk", "add_fk"]
    assert [d[0] for d in flat(diffs(engine, model(None)))] == ["remove_fk", "add_fk"]


def test_foreign_keys_are_ordered_by_name_then_columns_then_target():
    """_fk_order reads a key's columns and targets only to break a tie, with the order the
    full (name, columns, targets) key gives."""
    from mig_core.autogenerate.compare_constraints import _fk_order
    from mig_core.operations.schemaobj import fk_target

    md = sa.MetaData()
    for name in "abc":
        sa.Table(name, md, sa.Column("id", sa.Integer, primary_key=True))
    t = sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("x", sa.Integer), sa.Column("y", sa.Integer))
    specs = [  # (name, column, target): ties on the name, on name and column, and none
        (None, "y", "a.id"), (None, "x", "c.id"), (None, "x", "a.id"), ("fk_b", "x", "b.id"),
        ("fk_a", "y", "c.id"), (None, "y", "b.id"),
    ]
    for name, column, target in specs:
        t.append_constraint(sa.ForeignKeyConstraint([column], [target], name=name))

    def full(c: sa.ForeignKeyConstraint) -> tuple:
        return (str(c.name), tuple(c.column_keys),
                tuple(repr(fk_target(e)) for e in c.elements))

    def described(fks: list) -> list:
        return [(c.name, c.column_keys[0], c.elements[0].target_fullname) for c in fks]

    for subset in ([fk for fk in t.foreign_key_constraints if fk.name],
                   [fk for fk in t.foreign_key_constraints if fk.name is None],
                   list(t.foreign_key_constraints)):
        for order in (subset, subset[::-1]):
            assert described(_fk_order(order)) == described(sorted(order, key=full))
    assert described(_fk_order(list(t.foreign_key_constraints))) == [
        (None, "x", "a.id"), (None, "x", "c.id"), (None, "y", "a.id"), (None, "y", "b.id"),
        ("fk_a", "y", "c.id"), ("fk_b", "x", "b.id"),
    ]
