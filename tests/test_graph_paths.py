"""Revision arguments, upgrade/downgrade paths, ranges and stamp targets (table-driven)."""

from __future__ import annotations

import pytest

from mig_core.errors import CommandError, RevisionArgumentError
from mig_core.script import paths
from mig_core.script.revision_map import Revision, RevisionMap

# aa01 - bb02 - cc03 - ee06 - ff07 - gg08      xx09 (other) - yy10 (depends on cc03)
#          \- dd04 (feat) - dd05 -/
SPECS = [
    ("aa01", None), ("bb02", "aa01"), ("cc03", "bb02"), ("dd04", "bb02", "feat"),
    ("dd05", "dd04"), ("ee06", "cc03"), ("ff07", ("ee06", "dd05")), ("gg08", "ff07"),
    ("xx09", None, "other"), ("yy10", "xx09", None, "cc03"),
]
ALL = {s[0] for s in SPECS}


@pytest.fixture(scope="module")
def g():
    return RevisionMap(Revision(*s, path=f"versions/{s[0]}.py") for s in SPECS)


def ids(revs):
    return [r.revision for r in revs]


RESOLVE = [
    ("heads", (), {"gg08", "yy10"}),
    ("base", (), set()),
    ("feat@head", (), {"gg08"}),
    ("feat@heads", (), {"gg08"}),
    ("other@head", (), {"yy10"}),
    ("feat", (), {"dd04"}),
    ("ee", (), {"ee06"}),
    ("ee06", (), {"ee06"}),
    ("feat@dd05", (), {"dd05"}),
    ("cc03@head", (), {"gg08"}),
    ("xx09@head", (), {"yy10"}),
    ("aa01+1", (), {"bb02"}),
    ("cc03+2", (), {"ff07"}),
    ("gg08-1", (), {"ff07"}),
    ("feat@gg08-2", (), {"dd05"}),
    ("cc03-3", (), set()),  # walks past the base
    ("feat@+1", ("bb02",), {"dd04"}),
    ("feat@+2", ("bb02",), {"dd05"}),
    ("feat@+3", ("bb02",), {"ff07"}),
    ("cc03@+1", (), {"aa01"}),  # relative to current (base) within cc03's line
    ("cc03+1", (), {"ee06"}),  # relative to cc03 itself
    ("other@+1", (), {"xx09"}),
    ("other@-1", ("gg08", "yy10"), {"xx09"}),
    ("+1", ("cc03",), {"ee06"}),
    ("-2", ("cc03",), {"aa01"}),
    ("current", ("cc03", "yy10"), {"cc03", "yy10"}),
    ("head-1", ("cc03",), None),  # error: several heads
]


@pytest.mark.parametrize("arg, current, expected", RESOLVE)
def test_resolve(g, arg, current, expected):
    if expected is None:
        with pytest.raises(RevisionArgumentError):
            paths.resolve(g, arg, current)
        return
    assert set(ids(paths.resolve(g, arg, current))) == expected


RESOLVE_ERRORS = [
    ("head", (), "'head' is ambiguous: there are 2 heads (gg08, yy10); use 'heads' for all of "
     "them, '<label>@head' for one branch, or 'mig merge heads' to join them"),
    ("dd", (), "ambiguous revision 'dd': it is the start of 2 revision ids"),
    ("zz", (), "no revision or branch label 'zz'"),
    ("aa01+2", (), "relative revision 'aa01+2' is ambiguous: from bb02 (a branch point) it could "
     "go to cc03, dd04"),
    ("gg08-3", (), "relative revision 'gg08-3' is ambiguous: below ff07 (a merge point) it could "
     "go to dd05, ee06"),
    ("gg08-2", (), "relative revision 'gg08-2' ends at a merge point's parents (dd05, ee06)"),
    ("gg08+1", (), "relative revision 'gg08+1' cannot take 1 step(s): there is no revision above "
     "gg08 after 0 step(s)"),
    ("+1", (), "relative revision '+1' is ambiguous: from base it could go to aa01, xx09"),
    ("-1", ("gg08", "yy10"), "relative revision '-1' is ambiguous: the current heads are gg08, "
     "yy10; name the branch"),
    ("aa01-2", (), "relative revision 'aa01-2' cannot take 2 step(s): base reached after 1 step(s)"),
    ("feat@cc03", (), "'feat@cc03': revision cc03 is not on branch 'feat'"),
    ("a:b", (), "revision range 'a:b' is not allowed here"),
    ("x@", (), "bad revision argument 'x@'"),
    ("", (), "empty revision argument"),
]


@pytest.mark.parametrize("arg, current, message", RESOLVE_ERRORS)
def test_resolve_errors(g, arg, current, message):
    with pytest.raises(RevisionArgumentError) as err:
        paths.resolve(g, arg, current)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert err.value.exit_code == 2


UPGRADES = [
    ("heads", (), ["aa01", "bb02", "cc03", "dd04", "dd05", "ee06", "ff07", "gg08", "xx09", "yy10"]),
    ("yy10", (), ["aa01", "bb02", "cc03", "xx09", "yy10"]),
    ("ee06", ("dd05",), ["cc03", "ee06"]),
    ("gg08", ("ee06", "dd05"), ["ff07", "gg08"]),
    ("+2", ("cc03",), ["dd04", "dd05", "ee06", "ff07"]),  # +2 reaches ff07, which needs dd05
    ("feat@head", ("bb02",), ["cc03", "dd04", "dd05", "ee06", "ff07", "gg08"]),
    ("other@+1", ("gg08",), ["xx09"]),
    ("gg08", ("gg08",), []),
    ("base", (), []),
    ("current", ("cc03",), []),
    ("cc03+1", ("cc03",), ["ee06"]),
]


@pytest.mark.parametrize("dest, current, expected", UPGRADES)
def test_upgrade(g, dest, current, expected):
    result = paths.upgrade_revisions(g, dest, current)
    assert sorted(ids(result)) == sorted(expected)
    assert_topological(result)


def assert_topological(revs, newest_first=False):
    seq = list(reversed(revs)) if newest_first else list(revs)
    pos = {r.revision: i for i, r in enumerate(seq)}
    for r in seq:
        for p in (*r.down_revisions, *r._resolved_dependencies):
            if p in pos:
                assert pos[p] < pos[r.revision], f"{p} must come before {r.revision}"


UPGRADE_ERRORS = [
    ("bb02", ("cc03",), RevisionArgumentError,
     "Destination bb02 is not a valid upgrade target from current head(s) cc03: bb02 is already "
     "applied and below them (use mig downgrade bb02)"),
    ("-1", ("cc03",), RevisionArgumentError,
     "Destination -1 is not a valid upgrade target from current head(s) cc03: it goes down"),
    ("base", ("aa01",), RevisionArgumentError, "Destination base is not a valid upgrade target"),
    ("head", (), RevisionArgumentError, "'head' is ambiguous: there are 2 heads"),
    ("+5", ("ff07",), RevisionArgumentError, "relative revision '+5' cannot take 5 step(s)"),
    ("heads", ("zz99",), CommandError, "the database is at revision 'zz99', which no revision "
     "file defines"),
    ("1:2", (), RevisionArgumentError, "revision range '1:2' is not allowed here"),
]


@pytest.mark.parametrize("dest, current, exc, message", UPGRADE_ERRORS)
def test_upgrade_errors(g, dest, current, exc, message):
    with pytest.raises(exc) as err:
        paths.upgrade_revisions(g, dest, current)
    assert message in str(err.value) and "\n" not in str(err.value)


FULL = ("gg08", "yy10")
DOWNGRADES = [
    ("base", FULL, ALL),
    ("cc03", FULL, {"ee06", "ff07", "gg08"}),  # yy10 depends on cc03, which stays
    ("bb02", ("gg08",), {"cc03", "dd04", "dd05", "ee06", "ff07", "gg08"}),
    ("aa01", FULL, ALL - {"aa01", "xx09"}),  # yy10 depends on cc03, which goes
    ("other@base", FULL, {"xx09", "yy10"}),
    ("feat@base", FULL, {"dd04", "dd05", "ff07", "gg08"}),
    ("-1", ("gg08",), {"gg08"}),
    ("-2", ("gg08",), {"gg08", "ff07"}),
    ("feat@-3", ("gg08",), {"gg08", "ff07", "dd05"}),
    ("cc03@-3", FULL, {"gg08", "ff07", "ee06"}),
    ("other@-1", FULL, {"yy10"}),
    ("aa01-1", ("cc03",), {"aa01", "bb02", "cc03"}),
    ("cc03", ("cc03", "yy10"), set()),
    ("heads", FULL, set()),
    ("gg08-1", ("gg08",), {"gg08"}),
]


@pytest.mark.parametrize("dest, current, expected", DOWNGRADES)
def test_downgrade(g, dest, current, expected):
    result = paths.downgrade_revisions(g, dest, current)
    assert set(ids(result)) == expected
    assert_topological(result, newest_first=True)


DOWNGRADE_ERRORS = [
    ("dd04", ("ee06",), "Destination dd04 is not a valid downgrade target from current head(s) "
     "ee06: dd04 is not applied"),
    ("+1", ("ee06",), "Destination +1 is not a valid downgrade target from current head(s) ee06: "
     "it goes up"),
    ("-3", ("gg08",), "relative revision '-3' is ambiguous: below ff07 (a merge point)"),
    ("-1", FULL, "relative revision '-1' is ambiguous: the current heads are gg08, yy10"),
    ("-4", ("cc03",), "relative revision '-4' cannot take 4 step(s): base reached after 3 step(s)"),
    ("-1", (), "Destination -1 is not a valid downgrade target: nothing is applied"),
]


@pytest.mark.parametrize("dest, current, message", DOWNGRADE_ERRORS)
def test_downgrade_errors(g, dest, current, message):
    with pytest.raises(RevisionArgumentError) as err:
        paths.downgrade_revisions(g, dest, current)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_iterate_revisions(g):
    # the ancestors of gg08 that descend from cc03 (not the feat branch beside it)
    assert ids(paths.iterate_revisions(g, "gg08", "cc03")) == ["gg08", "ff07", "ee06"]
    assert ids(paths.iterate_revisions(g, "gg08", "cc03", inclusive=True)) == [
        "gg08", "ff07", "ee06", "cc03"]
    # orders observed from Alembic 1.20.1's iterate_revisions on this graph
    assert ids(paths.iterate_revisions(g, "gg08", "bb02")) == [
        "gg08", "ff07", "ee06", "cc03", "dd05", "dd04"]
    # depends_on does not put yy10 on cc03's line (Alembic: [])
    assert ids(paths.iterate_revisions(g, "yy10", "cc03")) == []
    everything = paths.iterate_revisions(g, "heads", "base", inclusive=True)
    assert set(ids(everything)) == ALL
    assert_topological(everything, newest_first=True)
    with pytest.raises(RevisionArgumentError, match="requested range dd04:cc03 does not refer to"):
        paths.iterate_revisions(g, "cc03", "dd04")


@pytest.mark.parametrize(
    "revisions, expected",
    [
        (["heads"], ("gg08", "yy10")),
        (["cc03", "ee06"], ("ee06",)),
        (["base"], ()),
        (["cc03", "yy10"], ("cc03", "yy10")),  # a dependency is kept as its own head
        (["dd05", "ee06"], ("dd05", "ee06")),
        (["feat@head", "aa01"], ("gg08",)),
    ],
)
def test_resolve_heads_for_stamp(g, revisions, expected):
    assert set(paths.resolve_heads_for_stamp(g, revisions)) == set(expected)


@pytest.mark.parametrize(
    "text, expected",
    [("a:b", ("a", "b")), (":b", (None, "b")), ("a:", ("a", None)), (":", (None, None))],
)
def test_split_range(text, expected):
    assert paths.split_range(text) == expected


def test_split_range_needs_colon():
    with pytest.raises(RevisionArgumentError, match=r"must be \[start\]:\[end\]"):
        paths.split_range("abc")


def test_exact_label_wins_over_relative_reading():
    g = RevisionMap([Revision("aa1", None, "rel-2"), Revision("bb2", "aa1"), Revision("cc3", "bb2")])
    assert ids(paths.resolve(g, "rel-2")) == ["aa1"]
    assert ids(paths.resolve(g, "cc3-2")) == ["aa1"]
