"""The revision graph: structure, labels, and every graph error (one line, naming the culprits)."""

from __future__ import annotations

import pytest

from mig_core.errors import RevisionArgumentError, RevisionGraphError
from mig_core.script.revision_map import Revision, RevisionMap


def rev(rid, down=None, labels=None, deps=None, path=None):
    return Revision(rid, down, labels, deps, path=path or f"versions/{rid}.py", line=7,
                    down_line=8, depends_line=10)


def build(*specs):
    return RevisionMap(rev(*s) if isinstance(s, tuple) else s for s in specs)


# aa01 - bb02 - cc03 - ee06 - ff07 - gg08      xx09 (other) - yy10 (depends on cc03)
#          \- dd04 (feat) - dd05 -/
GRAPH = [
    ("aa01",), ("bb02", "aa01"), ("cc03", "bb02"), ("dd04", "bb02", "feat"), ("dd05", "dd04"),
    ("ee06", "cc03"), ("ff07", ("ee06", "dd05")), ("gg08", "ff07"), ("xx09", None, "other"),
    ("yy10", "xx09", None, "cc03"),
]


@pytest.fixture
def graph():
    return build(*GRAPH)


def test_structure(graph):
    assert set(graph.heads) == {"gg08", "yy10"}
    assert set(graph.bases) == {"aa01", "xx09"}
    assert graph["bb02"].is_branch_point and graph["bb02"].nextrev == {"cc03", "dd04"}
    assert graph["ff07"].is_merge_point and graph["ff07"].down_revision == ("ee06", "dd05")
    assert graph["gg08"].is_head and not graph["ff07"].is_head
    assert graph["aa01"].is_base and graph["aa01"].down_revision is None
    assert graph["bb02"].down_revision == "aa01"
    # depends_on orders but does not make cc03 a non-head-like node nor yy10 a merge point
    assert graph["yy10"]._resolved_dependencies == ("cc03",)
    assert graph["cc03"].dependents == {"yy10"} and graph["cc03"].nextrev == {"ee06"}
    assert not graph["yy10"].is_merge_point


def test_topological_order_respects_parents_and_dependencies(graph):
    index = {r.revision: i for i, r in enumerate(graph.order)}
    for r in graph.order:
        for p in (*r.down_revisions, *r._resolved_dependencies):
            assert index[p] < index[r.revision]
    assert [r.order for r in graph.order] == list(range(len(GRAPH)))


def test_real_heads_count_dependencies():
    g = build(("a1",), ("b1", None, None, "a1"))
    assert set(g.heads) == {"a1", "b1"}
    assert g.real_heads() == ("b1",)


@pytest.mark.parametrize(
    "revision, labels",
    [
        ("aa01", set()), ("bb02", set()), ("cc03", set()), ("ee06", set()),
        ("dd04", {"feat"}), ("dd05", {"feat"}), ("ff07", {"feat"}), ("gg08", {"feat"}),
        ("xx09", {"other"}), ("yy10", {"other"}),
    ],
)
def test_branch_labels_cover_descendants(graph, revision, labels):
    assert graph[revision].branch_labels == labels


def test_branch_label_covers_ancestors_back_to_branch_point():
    # a - b - c - d(lbl)   with b a branch point (b - x)
    g = build(("a1",), ("b1", "a1"), ("c1", "b1"), ("d1", "c1", "lbl"), ("x1", "b1"))
    assert g["d1"].declared_branch_labels == {"lbl"}
    assert g["c1"].branch_labels == {"lbl"}  # ancestor up to the branch point
    assert g["b1"].branch_labels == set()  # the branch point itself is shared
    assert g["a1"].branch_labels == set()
    assert g["x1"].branch_labels == set()


def test_branch_label_walk_stops_at_merge_point():
    g = build(("a1",), ("b1",), ("m1", ("a1", "b1")), ("c1", "m1"), ("d1", "c1", "lbl"))
    assert g["c1"].branch_labels == {"lbl"}
    assert g["m1"].branch_labels == set()


def test_branch_label_reaches_no_ancestor_when_its_line_branches_below():
    # Alembic 1.20 walks up from the label's last descendant, stopping at the first branch
    # or merge point: a label whose descendants branch or merge never reaches its ancestors
    g = build(("a1",), ("b1", "a1", "lbl"), ("c1", "b1"), ("d1", "b1"))
    assert g["c1"].branch_labels == g["d1"].branch_labels == {"lbl"}
    assert g["a1"].branch_labels == set()
    g = build(("a1",), ("b1", "a1", "lbl"), ("c1", "b1"), ("d1", "c1"), ("e1", "c1"))
    assert g["a1"].branch_labels == set()
    g = build(("a1",), ("b1", "a1", "lbl"), ("x1",), ("m1", ("b1", "x1")), ("n1", "m1"))
    assert g["n1"].branch_labels == {"lbl"}
    assert g["a1"].branch_labels == g["x1"].branch_labels == set()


def test_branch_label_on_a_single_line_reaches_its_ancestors():
    g = build(("a1",), ("b1", "a1", "lbl"), ("c1", "b1"), ("d1", "c1"))
    assert g["a1"].branch_labels == {"lbl"}


def test_depends_on_by_label_and_prefix():
    g = build(("aa11", None, "lib"), ("bb22",), ("cc33", "bb22", None, ("lib", "bb2")))
    # "lib" is aa11's label; the prefix "bb2" names cc33's own parent, so it adds nothing
    assert g["cc33"]._resolved_dependencies == ("aa11",)
    assert g["cc33"].depends_on == ("lib", "bb2")


def test_ancestors_and_descendants(graph):
    assert graph.ancestors(["yy10"]) == {"yy10", "xx09", "cc03", "bb02", "aa01"}
    assert graph.ancestors(["yy10"], include_dependencies=False) == {"yy10", "xx09"}
    assert graph.descendants(["cc03"], inclusive=False) == {"ee06", "ff07", "gg08", "yy10"}
    assert graph.filter_heads(["aa01", "cc03", "dd04", "yy10"]) == ("cc03", "dd04", "yy10")


def test_lookup(graph):
    assert graph.lookup("ee").revision == "ee06"
    assert graph.lookup("feat").revision == "dd04"
    assert graph.lookup("gg08").revision == "gg08"


def test_lookup_ambiguous_lists_candidates(graph):
    with pytest.raises(RevisionArgumentError) as err:
        graph.lookup("dd")
    msg = str(err.value)
    assert "ambiguous revision 'dd'" in msg and "dd04 (versions/dd04.py)" in msg
    assert "dd05 (versions/dd05.py)" in msg and "\n" not in msg


def test_lookup_missing(graph):
    with pytest.raises(RevisionArgumentError, match="no revision or branch label 'zz'"):
        graph.lookup("zz")


GRAPH_ERRORS = [
    pytest.param(
        [("r1",), ("r2", "r3"), ("r3", "r2")],
        "cycle in the revision graph: r2 -> r3 -> r2 (each revises the next; files: "
        "versions/r2.py, versions/r3.py)",
        id="cycle",
    ),
    pytest.param(
        [("r1", None, None, "r2"), ("r2", "r1")],
        "cycle in the revision graph: r1 (depends_on) -> r2 -> r1 (each revises the next; "
        "files: versions/r1.py, versions/r2.py)",
        id="depends-on-cycle",
    ),
    pytest.param(
        [("r1",), ("r2", "r1"), ("r3", "r4"), ("r4", "r5"), ("r5", "r3")],
        "cycle in the revision graph: r3 -> r4 -> r5 -> r3",
        id="cycle-of-three",
    ),
    pytest.param(
        [("r1", "r1")],
        "versions/r1.py:8: revision r1 names itself as its down_revision (self-loop)",
        id="self-loop",
    ),
    pytest.param(
        [("r1", None, None, "r1")],
        "versions/r1.py:10: revision r1 depends on itself (self-loop)",
        id="depends-self-loop",
    ),
    pytest.param(
        [("r1",), ("r2", "nope")],
        "versions/r2.py:8: down_revision of r2 names 'nope', but no revision file defines it",
        id="missing-parent",
    ),
    pytest.param(
        [("r1",), ("r2", "r1", None, "nope")],
        "versions/r2.py:10: depends_on of r2 names 'nope', which is neither a revision id nor a "
        "branch label",
        id="missing-dependency",
    ),
    pytest.param(
        [("ab1",), ("ab2",), ("r2", "ab1", None, "ab")],
        "versions/r2.py:10: depends_on of r2 names 'ab', which matches several revisions: ab1, ab2",
        id="ambiguous-dependency",
    ),
    pytest.param(
        [rev("r1", path="versions/one.py"), rev("r1", path="versions/two.py")],
        "revision id 'r1' is defined twice: versions/one.py:7 and versions/two.py:7",
        id="duplicate-id",
    ),
    pytest.param(
        [("r6", None, "lbl"), ("r7", "r6", "lbl")],
        "branch label 'lbl' is used twice: revision r6 (versions/r6.py) and revision r7 "
        "(versions/r7.py)",
        id="duplicate-label",
    ),
    pytest.param(
        [("r1",), ("r2", "r1", "r1")],
        "versions/r2.py: branch label 'r1' of revision r2 is also a revision id (versions/r1.py)",
        id="label-is-id",
    ),
    pytest.param(
        [("r1", None, "a@b")],
        "versions/r1.py:7: branch label 'a@b' of revision r1 is not allowed",
        id="label-bad-char",
    ),
    pytest.param([("a-b",)], "versions/a-b.py:7: revision id 'a-b' contains '-'", id="id-dash"),
    pytest.param([("a@b",)], "revision id 'a@b' contains '@'", id="id-at"),
    pytest.param([("a+b",)], "revision id 'a+b' contains '+'", id="id-plus"),
    pytest.param([("a:b",)], "revision id 'a:b' contains ':'", id="id-colon"),
    pytest.param([("heads",)], "'heads' cannot be a revision id (reserved or blank)", id="reserved"),
]


@pytest.mark.parametrize("specs, message", GRAPH_ERRORS)
def test_graph_errors(specs, message):
    with pytest.raises(RevisionGraphError) as err:
        build(*specs)
    assert message in str(err.value)
    assert "\n" not in str(err.value)
    assert err.value.exit_code == 4
