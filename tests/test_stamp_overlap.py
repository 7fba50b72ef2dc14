"""``stamp`` with several revisions, overlapping the version table or each other.

The expected rows were observed from Alembic 1.20.1 (`alembic stamp ...` on SQLite, same
revision files, the starting rows written with `alembic stamp --purge ...`); the tests do not
import Alembic. Where Alembic writes a revision together with one of its ancestors (or drops a
stamped revision for its ancestor), mig refuses with StampOverlapError instead; where Alembic
crashes (KeyError, AssertionError) the test checks mig's own answer.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from runtime_support import config_for, make_project

from mig_core import command
from mig_core.errors import CommandError
from mig_core.runtime.steps import StampOverlapError

# a1 - b1 - c1            x1 (other) - x2 (depends on c1)
#        \- d1 (br)
SMALL = [
    {"rev": "a1"}, {"rev": "b1", "down": "a1"}, {"rev": "c1", "down": "b1"},
    {"rev": "d1", "down": "b1", "branch_labels": "br"},
    {"rev": "x1", "branch_labels": "other"}, {"rev": "x2", "down": "x1", "depends_on": "c1"},
]
# SMALL plus b2 (on a1) and m1 merging b2 and c1
MERGE = [*SMALL, {"rev": "b2", "down": "a1"}, {"rev": "m1", "down": ("b2", "c1")}]


def rows(engine):
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("mig_version"):
            return None
        return sorted(r[0] for r in conn.execute(sa.text("SELECT version_num FROM mig_version")))


def setup(tmp_path, sqlite_url, graph, state):
    ini = make_project(tmp_path, sqlite_url, graph)
    engine = sa.create_engine(sqlite_url)
    if state:
        command.stamp(config_for(ini), state, purge=True)
        assert rows(engine) == sorted(state)
    return ini, engine


# (graph, rows before, stamp arguments, rows after): all as Alembic 1.20.1 wrote them
AGREE = [
    (SMALL, [], ["c1", "d1"], ["c1", "d1"]),
    (SMALL, [], ["c1", "x1"], ["c1", "x1"]),
    (SMALL, [], ["x2", "c1"], ["c1", "x2"]),  # x2 only depends on c1: both stay rows
    (SMALL, ["c1"], ["d1"], ["c1", "d1"]),
    (SMALL, ["c1"], ["a1"], ["a1"]),
    (SMALL, ["c1", "x2"], ["x1"], ["c1", "x1"]),
    (SMALL, ["c1"], ["--purge", "d1", "c1"], ["c1", "d1"]),
    (SMALL, ["c1", "d1"], ["br@base"], ["c1"]),
    (SMALL, ["c1", "x2"], ["other@base"], ["c1"]),
    (SMALL, ["c1", "d1"], ["base"], []),
    (SMALL, ["c1"], ["heads"], ["d1", "x2"]),  # heads: those nothing depends on either
    (SMALL, ["x2"], ["b1"], ["b1"]),
    (SMALL, ["c1", "d1"], ["a1"], ["a1"]),
    (SMALL, ["c1", "d1"], ["b1", "x1"], ["b1", "x1"]),
    (SMALL, ["c1"], ["base", "d1"], ["c1", "d1"]),  # base beside a revision removes nothing
    (SMALL, ["c1", "x1"], ["x2"], ["x2"]),
    (SMALL, ["c1"], ["br@head"], ["c1", "d1"]),
    (SMALL, ["d1"], ["c1@head"], ["c1", "d1"]),
    (SMALL, ["c1", "d1"], ["--purge", "base"], []),
    (SMALL, [], ["c1", "base"], ["c1"]),
    (MERGE, ["b1"], ["br@base"], []),  # b1 is on br's line (below d1)
    (MERGE, ["c1", "d1"], ["c1@base"], ["d1"]),
    (MERGE, ["a1"], ["c1", "d1"], ["c1", "d1"]),
    (MERGE, ["a1"], ["heads"], ["d1", "m1", "x2"]),
    (MERGE, ["c1", "x2"], ["c1@base"], []),
    (MERGE, ["c1", "b2"], ["m1"], ["m1"]),
    (MERGE, ["a1"], ["m1", "d1"], ["d1", "m1"]),
    (MERGE, ["d1", "b2"], ["c1"], ["b2", "c1", "d1"]),
    (MERGE, ["x2"], ["x1"], ["x1"]),
    (MERGE, ["c1", "x2"], ["b1"], ["b1"]),
    (MERGE, ["c1"], ["x2"], ["x2"]),  # c1 is below x2 through depends_on: replaced
    (MERGE, [], ["x2"], ["x2"]),
    (MERGE, ["m1"], ["d1"], ["d1", "m1"]),
    (MERGE, ["m1", "d1"], ["b1"], ["b1"]),
    (MERGE, ["c1", "d1"], ["br@base", "x1"], ["c1", "d1", "x1"]),
    (MERGE, ["m1"], ["b2@base"], []),
    (MERGE, ["m1", "d1"], ["base", "x1"], ["d1", "m1", "x1"]),
    (MERGE, ["d1"], ["x2", "m1"], ["d1", "m1", "x2"]),
    # a stamped revision with a concerned head on its line replaces every concerned head
    (MERGE, ["d1", "x1"], ["br@base", "x2"], ["x2"]),
    (MERGE, ["d1", "x1"], ["c1@base", "x2"], ["d1", "x2"]),
    (MERGE, ["c1", "x1"], ["d1", "x2"], ["d1", "x2"]),
    (MERGE, [], ["heads"], ["d1", "m1", "x2"]),
    (MERGE, ["b2"], ["heads"], ["d1", "m1", "x2"]),
]

# r8 - c6 and a5 (two roots); v7 <- (p8, g2) by depends_on, g2 - m7, g2 - g6
ROOTS = [{"rev": "r8"}, {"rev": "c6", "down": "r8"}, {"rev": "a5"}]
DEPS = [
    {"rev": "v7"}, {"rev": "p8", "depends_on": "v7"}, {"rev": "g2", "depends_on": "v7"},
    {"rev": "m7", "down": "g2"}, {"rev": "g6", "down": "g2", "branch_labels": "L0"},
]


@pytest.mark.parametrize(("graph", "before", "after"), [
    (ROOTS, ["a5", "r8"], ["a5", "c6"]),  # Alembic 1.20.1 wrote c6 alone
    (DEPS, ["g2", "p8"], ["g6", "m7", "p8"]),  # Alembic 1.20.1 wrote g6, m7
])
def test_stamp_heads_keeps_a_head_already_there(tmp_path, sqlite_url, graph, before, after):
    # Alembic's stamp heads replaced every head on the heads' lines by the first head it
    # moved, the heads already in the table too; mig keeps them (the table is at heads)
    ini, engine = setup(tmp_path, sqlite_url, graph, before)
    command.stamp(config_for(ini), ["heads"])
    assert rows(engine) == after


@pytest.mark.parametrize(("graph", "before", "args", "after"), AGREE)
def test_stamp_rows_as_alembic(tmp_path, sqlite_url, graph, before, args, after):
    ini, engine = setup(tmp_path, sqlite_url, graph, before)
    purge = args[0] == "--purge"
    command.stamp(config_for(ini), args[1:] if purge else args, purge=purge)
    assert rows(engine) == after


# (graph, rows before, stamp arguments, what Alembic 1.20.1 wrote, the pair mig names)
OVERLAP = [
    (SMALL, [], ["a1", "b1"], ["a1", "b1"], ("a1", "b1")),
    (SMALL, [], ["b1", "a1"], ["a1", "b1"], ("a1", "b1")),
    (SMALL, [], ["c1", "d1", "b1"], ["b1", "c1", "d1"], ("b1", "c1")),
    (SMALL, [], ["d1", "a1"], ["a1", "d1"], ("a1", "d1")),
    (SMALL, [], ["x2", "b1"], ["b1", "x2"], ("b1", "x2")),  # x2 depends on c1, above b1
    (SMALL, ["c1"], ["--purge", "a1", "b1"], ["a1", "b1"], ("a1", "b1")),
    (SMALL, ["c1"], ["b1", "d1"], ["b1", "d1"], ("b1", "d1")),
    (SMALL, ["d1"], ["c1", "a1"], ["a1", "c1"], ("a1", "c1")),
    (SMALL, ["c1"], ["c1", "b1"], ["b1"], ("b1", "c1")),  # Alembic drops the c1 asked for
    (SMALL, ["c1", "d1"], ["a1", "c1"], ["a1"], ("a1", "c1")),  # and here too
    (SMALL, ["a1"], ["b1", "c1", "d1"], ["b1", "c1", "d1"], ("b1", "c1")),
]


@pytest.mark.parametrize(("graph", "before", "args", "alembic", "pair"), OVERLAP)
def test_overlapping_stamp_is_refused(tmp_path, sqlite_url, graph, before, args, alembic, pair):
    ini, engine = setup(tmp_path, sqlite_url, graph, before)
    purge = args[0] == "--purge"
    with pytest.raises(StampOverlapError) as err:
        command.stamp(config_for(ini), args[1:] if purge else args, purge=purge)
    assert isinstance(err.value, CommandError)
    low, high = pair
    assert (err.value.lower, err.value.upper) == (low, high)
    message = str(err.value)
    assert f"{low} is an ancestor of {high}" in message and "\n" not in message
    assert rows(engine) == (sorted(before) if before else None)  # nothing written


def test_overlap_through_depends_on_says_so(tmp_path, sqlite_url):
    ini, _ = setup(tmp_path, sqlite_url, SMALL, [])
    with pytest.raises(StampOverlapError, match=r"b1 is an ancestor of x2 \(through depends_on\)"):
        command.stamp(config_for(ini), ["x2", "b1"])


def test_cli_overlap_exit_code_and_one_line(tmp_path, sqlite_url, capsys):
    from mig_core.cli import main

    ini, _ = setup(tmp_path, sqlite_url, SMALL, [])
    code = main(["-c", str(ini), "stamp", "a1", "b1"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("mig: error: stamp: a1 is an ancestor of b1;") and "\n" not in err


def test_same_revision_twice_is_one_row(tmp_path, sqlite_url):
    # Alembic 1.20.1: `stamp a1 a1` inserts a1, then fails with a bare AssertionError
    ini, engine = setup(tmp_path, sqlite_url, SMALL, [])
    command.stamp(config_for(ini), ["a1", "a1"])
    assert rows(engine) == ["a1"]


def test_unknown_row_is_not_kept_beside_a_stamp(tmp_path, sqlite_url):
    # Alembic 1.20.1 stops on the unknown row ("Can't locate revision"); mig wrote both rows,
    # and every later command stopped on the unknown one
    ini, engine = setup(tmp_path, sqlite_url, SMALL, ["a1"])

    def lose_the_file():
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE mig_version SET version_num = 'gone9'"))

    lose_the_file()
    with pytest.raises(CommandError, match=r"at revision 'gone9', which no revision file "
                                           r"defines .*`mig stamp --purge <revision>`"):
        command.stamp(config_for(ini), "c1")
    assert rows(engine) == ["gone9"]
    command.stamp(config_for(ini), "c1", purge=True)
    assert rows(engine) == ["c1"]
    lose_the_file()
    command.stamp(config_for(ini), "base")  # removes every row, known or not
    assert rows(engine) == []


def test_rows_of_which_one_descends_from_another_are_refused(tmp_path, sqlite_url):
    # a1 and c1 in the table (c1 descends from a1): upgrade ran c1's descendants beside a
    # stale a1 row, which stayed; now every command that moves from such rows stops
    ini, engine = setup(tmp_path, sqlite_url, SMALL, ["c1"])
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO mig_version (version_num) VALUES ('a1')"))
    message = (r"the version table holds both 'a1' and 'c1', which descends from it; .*"
               r"`mig stamp --purge <revision>`")
    for run in (lambda: command.upgrade(config_for(ini), "heads"),
                lambda: command.downgrade(config_for(ini), "base"),
                lambda: command.downgrade(config_for(ini), "-1")):
        with pytest.raises(CommandError, match=message):
            run()
        assert rows(engine) == ["a1", "c1"]
    command.stamp(config_for(ini), "c1", purge=True)
    command.upgrade(config_for(ini), "heads")
    assert rows(engine) == ["d1", "x2"]


def test_merge_point_back_to_both_parents(tmp_path, sqlite_url):
    # Alembic 1.20.1: `stamp b2 c1` from m1 updates m1 to b2, then fails with KeyError 'm1'
    ini, engine = setup(tmp_path, sqlite_url, MERGE, ["m1"])
    command.stamp(config_for(ini), ["b2", "c1"])
    assert rows(engine) == ["b2", "c1"]


def sql_of(ini, revisions, capsys):
    capsys.readouterr()
    command.stamp(config_for(ini), revisions, sql=True)
    lines = [ln for ln in capsys.readouterr().out.splitlines() if not ln.startswith("--")]
    statements = (" ".join(s.split()) for s in "\n".join(lines).split(";"))
    return [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]


@pytest.mark.parametrize(("revisions", "statements"), [
    # the same statements as `alembic stamp --sql` 1.20.1 (which adds RETURNING to its INSERTs
    # and a table qualifier to its WHERE)
    (["c1", "d1"], ["INSERT INTO mig_version (version_num) VALUES ('c1')",
                    "INSERT INTO mig_version (version_num) VALUES ('d1')"]),
    (["c1:a1"], ["UPDATE mig_version SET version_num='a1' WHERE version_num = 'c1'"]),
    (["b1:c1", "b1:d1"], ["UPDATE mig_version SET version_num='c1' WHERE version_num = 'b1'",
                          "INSERT INTO mig_version (version_num) VALUES ('d1')"]),
    (["c1:base"], ["DELETE FROM mig_version WHERE version_num = 'c1'"]),
    (["a1:heads"], ["UPDATE mig_version SET version_num='d1' WHERE version_num = 'a1'",
                    "INSERT INTO mig_version (version_num) VALUES ('m1')",
                    "INSERT INTO mig_version (version_num) VALUES ('x2')"]),
    (["c1:x2"], ["UPDATE mig_version SET version_num='x2' WHERE version_num = 'c1'"]),
    (["x2", "c1"], ["INSERT INTO mig_version (version_num) VALUES ('x2')",
                    "INSERT INTO mig_version (version_num) VALUES ('c1')"]),
    (["c1:br@base"], []),
])
def test_stamp_sql_statements(tmp_path, sqlite_url, capsys, revisions, statements):
    ini, _ = setup(tmp_path, sqlite_url, MERGE, [])
    assert sql_of(ini, revisions, capsys) == statements


def test_stamp_sql_overlap_is_refused(tmp_path, sqlite_url, capsys):
    # `alembic stamp --sql a1 b1` writes two INSERTs
    ini, _ = setup(tmp_path, sqlite_url, SMALL, [])
    with pytest.raises(StampOverlapError, match="a1 is an ancestor of b1"):
        sql_of(ini, ["a1", "b1"], capsys)
