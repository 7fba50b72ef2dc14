"""Autogenerate on the real MariaDB / MySQL server: indexes, unique constraints, foreign keys,
comments and rendering (types and server defaults: test_mysql_autogen_types.py)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from autogen_support import (
    autogenerate,
    build,
    changes,
    compare,
    run_rendered,
    summary,
    table,
)
from runtime_support import shared_fixtures

mysql_url = shared_fixtures().mysql_url


@pytest.fixture(scope="module")
def engine(mysql_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(mysql_url, poolclass=sa.pool.NullPool)
    yield eng
    eng.dispose()


def parent_child(*child_items: object, fk: sa.ForeignKey | None = None) -> sa.MetaData:
    md = table(sa.Column("code", sa.String(20)), name="parent")
    fk = fk if fk is not None else sa.ForeignKey("parent.id")
    return table(sa.Column("pid", sa.Integer, fk), *child_items, name="child", metadata=md)


# --- indexes MySQL makes for foreign keys ------------------------------------------------------


def test_implicit_index_of_an_unnamed_foreign_key_is_not_reported(engine: sa.Engine) -> None:
    assert changes(engine, parent_child(), parent_child()) == []


def test_implicit_index_of_a_named_foreign_key_is_not_reported(engine: sa.Engine) -> None:
    model = parent_child(fk=sa.ForeignKey("parent.id", name="fk_child_parent"))
    build(engine, model)
    from mysql_support import scalar

    # MySQL named the index after the constraint
    assert scalar(engine, "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE "
                  "TABLE_SCHEMA = DATABASE() AND INDEX_NAME = 'fk_child_parent'") == 1
    assert summary(compare(engine, model)) == []


def test_implicit_indexes_of_two_foreign_keys_on_one_column_name_pattern(
    engine: sa.Engine,
) -> None:
    def ddl(conn: sa.Connection) -> None:
        conn.execute(sa.text("CREATE TABLE parent (id INT PRIMARY KEY, code VARCHAR(20))"))
        conn.execute(sa.text(
            "CREATE TABLE child (id INT PRIMARY KEY, pid INT, other INT, "
            "FOREIGN KEY (pid) REFERENCES parent (id), "
            "FOREIGN KEY (other) REFERENCES parent (id))"
        ))

    md = table(sa.Column("code", sa.String(20)), name="parent")
    table(sa.Column("pid", sa.Integer, sa.ForeignKey("parent.id")),
          sa.Column("other", sa.Integer, sa.ForeignKey("parent.id")), name="child", metadata=md)
    assert changes(engine, ddl, md) == []


def test_declared_index_on_a_foreign_key_removed_from_the_model_is_reported(
    engine: sa.Engine,
) -> None:
    database = parent_child(sa.Index("ix_child_pid", "pid"))
    assert changes(engine, database, parent_child()) == [
        ("remove_index", "child", "ix_child_pid"),
    ]


def test_declared_index_on_a_foreign_key_is_compared(engine: sa.Engine) -> None:
    model = parent_child(sa.Index("ix_child_pid", "pid"))
    assert changes(engine, model, model) == []
    # added to a database that only has MySQL's own index
    assert changes(engine, parent_child(), model) == [("add_index", "child", "ix_child_pid")]


def test_plain_index_removed_from_the_model_is_reported(engine: sa.Engine) -> None:
    database = table(sa.Column("a", sa.Integer), sa.Index("ix_t_a", "a"))
    assert changes(engine, database, table(sa.Column("a", sa.Integer))) == [
        ("remove_index", "t", "ix_t_a"),
    ]


def test_descending_index_spelled_either_way_round_trips(engine: sa.Engine) -> None:
    """MySQL's reflection reports no sort order, so none is compared: ``sa.desc("a")`` (a
    name, not the column) was compared as the text 'a DESC', a difference on every run."""
    by_name = table(sa.Column("a", sa.Integer), sa.Index("ix_t_a", sa.desc("a")))
    assert changes(engine, by_name, by_name) == []
    by_column = table(sa.Column("a", sa.Integer))
    sa.Index("ix_t_a", by_column.tables["t"].c.a.desc())
    assert changes(engine, by_column, by_column) == []


def test_prefix_length_as_one_number_round_trips(engine: sa.Engine) -> None:
    model = table(sa.Column("a", sa.String(200)), sa.Column("b", sa.String(200)),
                  sa.Index("ix_t_ab", "a", "b", mysql_length=10))
    assert changes(engine, model, model) == []


def test_prefix_length_per_column_round_trips(engine: sa.Engine) -> None:
    model = table(sa.Column("a", sa.String(200)), sa.Column("b", sa.String(200)),
                  sa.Index("ix_t_ab", "a", "b", mysql_length={"a": 10, "b": 20}))
    assert changes(engine, model, model) == []


def test_changed_prefix_length_is_reported(engine: sa.Engine) -> None:
    database = table(sa.Column("a", sa.String(200)), sa.Index("ix_t_a", "a", mysql_length=10))
    model = table(sa.Column("a", sa.String(200)), sa.Index("ix_t_a", "a", mysql_length=20))
    assert changes(engine, database, model) == [
        ("remove_index", "t", "ix_t_a"), ("add_index", "t", "ix_t_a"),
    ]


# --- unique constraints, which MySQL keeps as unique indexes ---------------------------------


@pytest.mark.parametrize("unique", [
    pytest.param(lambda: [sa.Column("a", sa.Integer), sa.UniqueConstraint("a", name="uq_t_a")],
                 id="named-constraint"),
    pytest.param(lambda: [sa.Column("a", sa.Integer), sa.Column("b", sa.Integer),
                          sa.UniqueConstraint("a", "b")], id="unnamed-constraint"),
    pytest.param(lambda: [sa.Column("a", sa.Integer, unique=True)], id="unique-column"),
    pytest.param(lambda: [sa.Column("a", sa.Integer), sa.Index("ix_t_a", "a", unique=True)],
                 id="unique-index"),
    pytest.param(lambda: [sa.Column("a", sa.String(100)),
                          sa.Index("ix_t_a", "a", unique=True, mysql_length=8)],
                 id="unique-index-with-length"),
])
def test_unique_forms_round_trip(engine: sa.Engine, unique: object) -> None:
    model = table(*unique())  # type: ignore[operator]
    assert changes(engine, model, model) == []


def test_unique_constraint_added_is_reported_once(engine: sa.Engine) -> None:
    database = table(sa.Column("a", sa.Integer))
    model = table(sa.Column("a", sa.Integer), sa.UniqueConstraint("a", name="uq_t_a"))
    assert changes(engine, database, model) == [("add_constraint", "t", "uq_t_a")]


def test_unique_constraint_removed_is_one_index_drop(engine: sa.Engine) -> None:
    database = table(sa.Column("a", sa.Integer), sa.UniqueConstraint("a", name="uq_t_a"))
    assert changes(engine, database, table(sa.Column("a", sa.Integer))) == [
        ("remove_index", "t", "uq_t_a"),
    ]


def test_unique_constraint_removed_upgrade_and_downgrade_run(engine: sa.Engine) -> None:
    database = table(sa.Column("a", sa.Integer), sa.UniqueConstraint("a", name="uq_t_a"))
    model = table(sa.Column("a", sa.Integer))
    build(engine, database)
    imports, up, down = autogenerate(engine, model)
    run_rendered(engine, up, imports)
    assert summary(compare(engine, model)) == []
    run_rendered(engine, down, imports)
    assert summary(compare(engine, database)) == []


def test_unique_becoming_non_unique_is_reported(engine: sa.Engine) -> None:
    database = table(sa.Column("a", sa.Integer), sa.Index("ix_t_a", "a", unique=True))
    model = table(sa.Column("a", sa.Integer), sa.Index("ix_t_a", "a"))
    assert changes(engine, database, model) == [
        ("remove_index", "t", "ix_t_a"), ("add_index", "t", "ix_t_a"),
    ]


# --- dropped tables: the downgrade re-creates them as they were --------------------------------


def test_dropped_tables_downgrade_without_duplicate_indexes(engine: sa.Engine) -> None:
    database = parent_child(
        sa.Column("a", sa.Integer, unique=True),
        sa.Column("b", sa.String(50)),
        sa.UniqueConstraint("b", "pid", name="uq_child_pid_b"),
        sa.Index("ix_child_b", "b", mysql_length=5),
    )
    build(engine, database)
    imports, up, down = autogenerate(engine, sa.MetaData())
    assert "create_index(op.f('pid')" not in down  # MySQL's own FK index: made by the FK
    assert down.count("uq_child_pid_b") == 1
    run_rendered(engine, up, imports)
    assert sa.inspect(engine).get_table_names() == []
    run_rendered(engine, down, imports)
    assert summary(compare(engine, database)) == []


# --- foreign keys ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["RESTRICT", "NO ACTION"])
def test_default_fk_actions_equal_none(engine: sa.Engine, action: str) -> None:
    database = parent_child()
    model = parent_child(fk=sa.ForeignKey("parent.id", ondelete=action, onupdate=action))
    assert changes(engine, database, model) == []
    assert changes(engine, model, parent_child()) == []


def test_changed_ondelete_is_reported(engine: sa.Engine) -> None:
    database = parent_child(fk=sa.ForeignKey("parent.id", name="fk_c_p", ondelete="RESTRICT"))
    model = parent_child(fk=sa.ForeignKey("parent.id", name="fk_c_p", ondelete="CASCADE"))
    assert changes(engine, database, model) == [
        ("remove_fk", "child", "fk_c_p"), ("add_fk", "child", "fk_c_p"),
    ]


def test_cascade_fk_round_trips(engine: sa.Engine) -> None:
    model = parent_child(fk=sa.ForeignKey("parent.id", ondelete="CASCADE", onupdate="SET NULL"))
    assert changes(engine, model, model) == []


def test_fk_name_from_the_model_or_mysql_is_not_a_difference(engine: sa.Engine) -> None:
    # matched by what they link, as everywhere in mig: MySQL's child_ibfk_1 is the model's FK
    named = parent_child(fk=sa.ForeignKey("parent.id", name="fk_child_parent"))
    assert changes(engine, parent_child(), named) == []
    assert changes(engine, named, named) == []


def test_fk_removed_is_reported_by_its_mysql_name(engine: sa.Engine) -> None:
    assert changes(engine, parent_child(), table(sa.Column("code", sa.String(20)), name="parent",
                                                 metadata=table(sa.Column("pid", sa.Integer),
                                                                name="child"))) == [
        ("remove_fk", "child", "child_ibfk_1"),
    ]


# --- comments ---------------------------------------------------------------------------------


def test_comments_round_trip(engine: sa.Engine) -> None:
    model = table(sa.Column("a", sa.Integer, comment="the a's \"value\""), comment="it's t")
    assert changes(engine, model, model) == []


def test_changed_comments_are_reported(engine: sa.Engine) -> None:
    database = table(sa.Column("a", sa.Integer, comment="old"), comment="old table")
    model = table(sa.Column("a", sa.Integer, comment="new"), comment="new table")
    assert changes(engine, database, model) == [
        ("modify_comment", "t", "a"), ("add_table_comment", "t"),
    ]


def test_removed_comments_are_reported(engine: sa.Engine) -> None:
    database = table(sa.Column("a", sa.Integer, comment="old"), comment="old table")
    assert changes(engine, database, table(sa.Column("a", sa.Integer))) == [
        ("modify_comment", "t", "a"), ("remove_table_comment", "t"),
    ]


# --- rendering --------------------------------------------------------------------------------


def test_reflected_types_render_as_mysql_types(engine: sa.Engine) -> None:
    from sqlalchemy.dialects import mysql

    database = table(
        sa.Column("flag", sa.Boolean),
        sa.Column("n", mysql.INTEGER(unsigned=True)),
        sa.Column("mood", sa.Enum("sad", "ok")),
        sa.Column("at", mysql.DATETIME(fsp=6)),
        sa.Column("body", mysql.MEDIUMTEXT(collation="utf8mb4_bin")),
        sa.Column("tags", mysql.SET("x", "y")),
    )
    build(engine, database)
    imports, up, down = autogenerate(engine, sa.MetaData())
    assert imports == "from sqlalchemy.dialects import mysql"
    for text in (
        "mysql.TINYINT(display_width=1)",
        "unsigned=True)",  # mysql.INTEGER(display_width=10, unsigned=True) on MariaDB
        "mysql.ENUM('sad', 'ok')",
        "mysql.DATETIME(fsp=6)",
        "collation='utf8mb4_bin'",
        "mysql.SET('x', 'y')",
    ):
        assert text in down, text
    run_rendered(engine, up, imports)
    run_rendered(engine, down, imports)
    assert summary(compare(engine, database)) == []


def test_generic_model_types_render_as_sa_types(engine: sa.Engine) -> None:
    build(engine, sa.MetaData())
    model = table(sa.Column("a", sa.Integer), sa.Column("b", sa.Boolean),
                  sa.Column("c", sa.String(20)), sa.Column("d", sa.JSON))
    imports, up, _ = autogenerate(engine, model)
    assert "mysql." not in up and imports == ""
    for text in ("sa.Integer()", "sa.Boolean()", "sa.String(length=20)", "sa.JSON()"):
        assert text in up, text


def test_dropped_table_is_re_created_with_its_table_options(engine: sa.Engine) -> None:
    """The downgrade of a dropped table keeps its engine, charset, collation and row format
    (they used to be left out: the re-created table took the server's defaults, and its
    string columns another collation)."""
    from mysql_support import scalar

    database = table(sa.Column("name", sa.String(20)), name="opts", mysql_engine="MyISAM",
                     mysql_charset="latin1", mysql_collate="latin1_bin",
                     mysql_row_format="FIXED", comment="kept")
    build(engine, database)
    imports, up, down = autogenerate(engine, sa.MetaData())
    assert "mysql_default_charset='latin1'" in down and "mysql_engine='MyISAM'" in down
    run_rendered(engine, up, imports)
    run_rendered(engine, down, imports)
    assert scalar(engine, "SELECT CONCAT_WS(' ', ENGINE, TABLE_COLLATION, ROW_FORMAT, "
                  "TABLE_COMMENT) FROM information_schema.TABLES WHERE TABLE_SCHEMA = "
                  "DATABASE() AND TABLE_NAME = 'opts'") == "MyISAM latin1_bin Fixed kept"
    assert summary(compare(engine, database)) == []


def test_dropped_table_keeps_mariadb_column_checks_and_desc_index_columns(
    engine: sa.Engine,
) -> None:
    """SQLAlchemy's reflection reports neither MariaDB's column-level CHECKs nor DESC index
    columns: the downgrade of a dropped table re-created it without them (a JSON column's
    ``json_valid`` comes with the JSON type and is not written twice)."""
    from mysql_support import execute, show_create

    build(engine, sa.MetaData())  # (connects: the dialect knows the server after it)
    if not engine.dialect.is_mariadb:  # pragma: no cover - the server here is MariaDB
        pytest.skip("column-level CHECKs are MariaDB's")
    execute(engine,
            "CREATE TABLE ck (id INT AUTO_INCREMENT PRIMARY KEY, a INT CHECK (a > 0), "
            "b INT CHECK (b < 100), j JSON, CONSTRAINT ck_ab CHECK (a < b), "
            "KEY ix_desc (a DESC, b))")
    before = show_create(engine, "ck")
    imports, up, down = autogenerate(engine, sa.MetaData())
    assert ("sa.Column('a', mysql.INTEGER(display_width=11), "
            "sa.CheckConstraint('`a` > 0'), autoincrement=False, nullable=True)") in down
    assert "json_valid" not in down
    assert "sa.literal_column('a DESC'), 'b'" in down
    run_rendered(engine, up, imports)
    run_rendered(engine, down, imports)
    assert show_create(engine, "ck") == before


def test_dropped_table_index_reflection_cannot_read_is_noted(engine: sa.Engine) -> None:
    """MariaDB's IGNORED index is skipped by SQLAlchemy's reflection: the downgrade says so
    above the re-created table instead of losing it silently."""
    from mysql_support import execute

    from mig_core.errors import MigWarning

    build(engine, sa.MetaData())  # (connects: the dialect knows the server after it)
    if not engine.dialect.is_mariadb:  # pragma: no cover - the server here is MariaDB
        pytest.skip("IGNORED indexes are MariaDB's")
    execute(engine, "CREATE TABLE ig (id INT PRIMARY KEY, a INT, KEY ix_seen (a), "
                    "KEY ix_ign (a, id) IGNORED)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        imports, up, down = autogenerate(engine, sa.MetaData())
    # mig's warning only: SQLAlchemy's "Unknown schema content" for the same line is silenced
    assert [(w.category, str(w.message)) for w in caught] == [(
        MigWarning, "autogenerate: the downgrade re-creating dropped table ig cannot restore "
        "everything: index ix_ign is not re-created: SQLAlchemy's reflection cannot read it "
        "(MariaDB's IGNORED indexes are such); add its op.create_index by hand")]
    assert ("    # NOTE: index ix_ign is not re-created: SQLAlchemy's reflection cannot read it (MariaDB's\n"
            "    #   IGNORED indexes are such); add its op.create_index by hand\n"
            "    op.create_table('ig',") in down
    assert "ix_seen" in down
    with engine.connect() as conn, pytest.warns(sa.exc.SAWarning, match="Unknown schema "
                                                "content: '  KEY `ix_ign`"):
        sa.inspect(conn).get_indexes("ig")  # outside mig's reflection, SQLAlchemy still says it


@pytest.mark.parametrize("key", [
    "KEY ix (name(10))",
    "KEY ix (name DESC)",
    "KEY ix (name(10) DESC)",
    "UNIQUE KEY ix (name(5) DESC, a, code(3))",
    "KEY ix (a DESC, name(7))",
    "FULLTEXT KEY ix (name, code)",
    "KEY ix (a) USING HASH",
    "UNIQUE KEY ix (name(5) DESC) USING BTREE",
    "KEY ix (code DESC, name DESC)",
    "UNIQUE KEY ix (name, code) USING HASH",
    "KEY `select` (`order`(3) DESC)",
])
def test_dropped_table_prefix_length_desc_and_using_index_round_trip(
    engine: sa.Engine, key: str,
) -> None:
    """A dropped table's index with prefix lengths, DESC columns, both on one column (the
    length was lost), or an explicit USING (lost too) is re-created by the downgrade exactly
    as it was (SHOW CREATE TABLE unchanged)."""
    from mysql_support import execute, show_create

    build(engine, sa.MetaData())
    execute(engine, "CREATE TABLE px (id INT PRIMARY KEY, name VARCHAR(40), a INT, "
                    f"code VARCHAR(20), `order` TEXT, {key})")
    before = show_create(engine, "px")
    imports, up, down = autogenerate(engine, sa.MetaData())
    run_rendered(engine, up, imports)
    run_rendered(engine, down, imports)
    assert show_create(engine, "px") == before
    assert autogenerate(engine, sa.MetaData()) == (imports, up, down)


@pytest.mark.parametrize(("key", "method"), [
    ("PRIMARY KEY (id) USING HASH", "hash"),
    ("PRIMARY KEY USING BTREE (id, `order`)", "btree"),
    ("PRIMARY KEY (`order`, id) USING BTREE, KEY ix (a) USING HASH", "btree"),
])
def test_dropped_table_primary_key_using_round_trips(
    engine: sa.Engine, key: str, method: str,
) -> None:
    """A dropped table's ``PRIMARY KEY ... USING BTREE / HASH`` was re-created without it
    (reflection does not read it): it comes back as ``PrimaryKeyConstraint(mysql_using=)``
    (``mariadb_using`` on MariaDB), SHOW CREATE TABLE unchanged."""
    from mysql_support import execute, show_create

    build(engine, sa.MetaData())
    execute(engine, f"CREATE TABLE pk (id INT, a INT, `order` VARCHAR(20), {key})")
    before = show_create(engine, "pk")
    imports, up, down = autogenerate(engine, sa.MetaData())
    assert f"sa.PrimaryKeyConstraint('id', {engine.dialect.name}_using='{method}')" in down \
        or f"{engine.dialect.name}_using='{method}')" in down.split("\n    )")[0]
    run_rendered(engine, up, imports)
    run_rendered(engine, down, imports)
    assert show_create(engine, "pk") == before
    assert autogenerate(engine, sa.MetaData()) == (imports, up, down)


def test_dropped_table_primary_key_comment_is_noted(engine: sa.Engine) -> None:
    """SQLAlchemy cannot write a primary key's COMMENT either: it was lost silently."""
    from mysql_support import execute

    from mig_core.errors import MigWarning

    build(engine, sa.MetaData())
    execute(engine, "CREATE TABLE pkc (id INT, PRIMARY KEY (id) COMMENT 'the key')")
    with pytest.warns(MigWarning, match="dropped table pkc cannot restore everything: the "
                      "COMMENT of the primary key is not re-created"):
        imports, up, down = autogenerate(engine, sa.MetaData())
    assert "# NOTE: the COMMENT of the primary key is not re-created" in down


@pytest.mark.parametrize("key", [
    "PRIMARY KEY (name(4), n DESC, body(10))",
    "PRIMARY KEY (`order` DESC) USING BTREE",
    "PRIMARY KEY (body(8), n)",
])
def test_dropped_table_primary_key_prefix_and_desc_round_trip(
    engine: sa.Engine, key: str,
) -> None:
    """``PrimaryKeyConstraint`` writes no prefix length nor DESC: the key was a note (before
    that, it came back on whole, ascending columns, or failed on a TEXT one). The table is
    re-created without it and ``ALTER TABLE ... ADD PRIMARY KEY`` follows at once, from the
    server's parts, SHOW CREATE TABLE unchanged."""
    from mysql_support import execute, show_create

    build(engine, sa.MetaData())
    execute(engine, "CREATE TABLE pkp (name VARCHAR(40) NOT NULL, body TEXT NOT NULL, "
                    f"n INT NOT NULL, `order` INT NOT NULL, {key})")
    before = show_create(engine, "pkp")
    imports, up, down = autogenerate(engine, sa.MetaData())
    assert "# NOTE" not in down and "PrimaryKeyConstraint" not in down
    assert up.index("ALTER TABLE pkp DROP PRIMARY KEY") < up.index("op.drop_table('pkp')")
    assert down.index("op.create_table('pkp'") < down.index("ALTER TABLE pkp ADD PRIMARY KEY")
    run_rendered(engine, up, imports)
    run_rendered(engine, down, imports)
    assert show_create(engine, "pkp") == before
    assert autogenerate(engine, sa.MetaData()) == (imports, up, down)


def test_dropped_tables_referring_to_a_desc_primary_key_round_trip(engine: sa.Engine) -> None:
    """Two dropped tables referring to each other: the foreign key the core drops before any
    table (and adds back once both exist) refers to the DESC key, so it is dropped before
    that key and added after it."""
    from mysql_support import execute, show_create

    build(engine, sa.MetaData())
    execute(engine, "CREATE TABLE ka (id INT PRIMARY KEY, bid INT)")
    execute(engine, "CREATE TABLE kb (id INT NOT NULL, aid INT, PRIMARY KEY (id DESC), "
                    "CONSTRAINT fk_a FOREIGN KEY (aid) REFERENCES ka (id))")
    execute(engine, "ALTER TABLE ka ADD CONSTRAINT fk_b FOREIGN KEY (bid) REFERENCES kb (id)")
    before = [show_create(engine, "ka"), show_create(engine, "kb")]
    imports, up, down = autogenerate(engine, sa.MetaData())
    assert up.index("op.drop_constraint(op.f('fk_b')") < up.index("DROP PRIMARY KEY")
    run_rendered(engine, up, imports)
    run_rendered(engine, down, imports)
    assert [show_create(engine, "ka"), show_create(engine, "kb")] == before


def test_dropped_table_primary_key_prefix_with_auto_increment_is_noted(
    engine: sa.Engine,
) -> None:
    """MySQL wants an AUTO_INCREMENT column in a key at CREATE TABLE, so such a key cannot
    be added after it: a note says so (a key without prefix or DESC gets none)."""
    from mysql_support import execute

    from mig_core.errors import MigWarning

    build(engine, sa.MetaData())
    execute(engine, "CREATE TABLE pkp (id INT NOT NULL AUTO_INCREMENT, body TEXT NOT NULL, "
                    "PRIMARY KEY (id, body(10)))")
    execute(engine, "CREATE TABLE pkplain (id INT PRIMARY KEY)")
    with pytest.warns(MigWarning) as caught:
        imports, up, down = autogenerate(engine, sa.MetaData())
    assert [str(w.message).split(": ", 1)[1] for w in caught] == [
        "the downgrade re-creating dropped table pkp cannot restore everything: the primary "
        "key's prefix lengths and DESC order (id, `body`(10)) are not re-created "
        "(PrimaryKeyConstraint cannot write them, and its AUTO_INCREMENT column must be in a "
        "key at CREATE TABLE); re-create the key by hand"]
    assert "DROP PRIMARY KEY" not in up


def test_dropped_table_index_comment_is_noted(engine: sa.Engine) -> None:
    """``create_index`` cannot write an index COMMENT: the downgrade says it is not re-created
    instead of losing it silently (an index without one gets no note)."""
    from mysql_support import execute

    from mig_core.errors import MigWarning

    build(engine, sa.MetaData())
    execute(engine, "CREATE TABLE cm (id INT PRIMARY KEY, a INT, b INT, "
                    "KEY ix_c (a) COMMENT 'the a', UNIQUE KEY uq_b (b) COMMENT 'the b', "
                    "KEY ix_plain (a, b))")
    with pytest.warns(MigWarning) as caught:
        imports, up, down = autogenerate(engine, sa.MetaData())
    assert [str(w.message).split(": ", 1)[1] for w in caught] == [
        f"the downgrade re-creating dropped table cm cannot restore everything: the COMMENT "
        f"of index {name} is not re-created (create_index cannot write one); re-create the "
        "index with its COMMENT by hand" for name in ("ix_c", "uq_b")]
    assert down.index("# NOTE: the COMMENT of index ix_c is not re-created") < down.index(
        "# NOTE: the COMMENT of index uq_b is not re-created") < down.index("create_table('cm'")


@pytest.mark.parametrize(("message", "silenced"), [
    ("Unknown schema content: '  UNIQUE KEY `u i` (`name`(4)) USING HASH IGNORED,'", True),
    ("Unknown schema content: \"  KEY `ix` (`a`) COMMENT 'it''s IGNORED' IGNORED,\"", True),
    ("Unknown schema content: '  FULLTEXT KEY `ft` (`name`) IGNORED'", True),
    ("Unknown schema content: '  KEY `ix` (`a`) IGNORED SOMETHING NEW'", False),
    ("Unknown schema content: '  PERIOD FOR `p` (`a`, `b`)'", False),
])
def test_only_sqlalchemys_warning_for_an_ignored_index_is_silenced(
    message: str, silenced: bool,
) -> None:
    from mig_mysql.impl import MySQLImpl

    from mig_core.autogenerate.snapshot import _reflection_warnings

    ctx = SimpleNamespace(impl=MySQLImpl)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with _reflection_warnings(ctx):  # type: ignore[arg-type]
            warnings.warn(message, sa.exc.SAWarning, stacklevel=1)
    assert len(caught) == (0 if silenced else 1)
