"""``mig history`` prints what Alembic 1.20's ``alembic history`` prints for the same files:
the order (each branch as one block: read down from a head, in file order, until a revision
that is still needed above; merges and ``depends_on`` included), the ``a, b (dep) -> rev``
line, ``(effective head)``, where ``(current)`` goes, and the ``-v`` entries. Every expected
text below was observed with Alembic 1.20.1 on the same revision files."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from mig_core.cli import main
from mig_core.script import display
from mig_core.script.revision_map import Revision, RevisionMap

# (revision, down_revision, extra: labels / deps / file name)
Graph = list[tuple[str, Any, dict[str, Any]]]


def write(root: Path, graph: Graph) -> Path:
    """A project whose version files hold ``graph`` (file names ``<id>_x.py`` unless given)."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text("")
    (root / "migrations" / "script.py.mako").write_text("")
    (root / "mig.ini").write_text(
        "[mig]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite://\n"
    )
    for rev, down, extra in graph:
        name = extra.get("file", f"{rev}_x")
        (versions / f"{name}.py").write_text(
            f'"""m{rev}\n\nRevision ID: {rev}\n"""\n'
            f"revision = {rev!r}\ndown_revision = {down!r}\n"
            f"branch_labels = {extra.get('labels')!r}\ndepends_on = {extra.get('deps')!r}\n"
        )
    return root


@pytest.fixture
def history(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    def run(graph: Graph, *args: str) -> str:
        root = write(tmp_path / f"p{len(list(tmp_path.iterdir()))}", graph)
        code = main(["-c", str(root / "mig.ini"), "history", *args])
        out, err = capsys.readouterr()
        assert code == 0 and err == "", err
        return out

    return run


def g(*revs: tuple[Any, ...]) -> Graph:
    return [(r[0], r[1], r[2] if len(r) > 2 else {}) for r in revs]


REPRO = g(("a1", None), ("a2", "a1"), ("n1", None, {"labels": "net"}), ("n2", "n1"),
          ("a3", "a2", {"deps": "n1"}))


def test_depends_on_shown_and_each_base_as_a_block(history: Any) -> None:
    assert history(REPRO) == (
        "a2 (n1) -> a3 (head), ma3\n"
        "a1 -> a2, ma2\n"
        "<base> -> a1, ma1\n"
        "n1 -> n2 (net) (head), mn2\n"
        "<base> -> n1 (net), mn1\n"
    )


def test_two_roots_in_file_order_not_id_order(history: Any) -> None:
    graph = g(("b1", None, {"file": "zzz_b1"}), ("a1", None, {"file": "aaa_a1"}),
              ("b2", "b1", {"file": "zzy_b2"}), ("a2", "a1", {"file": "aab_a2"}))
    assert history(graph) == (
        "a1 -> a2 (head), ma2\n<base> -> a1, ma1\nb1 -> b2 (head), mb2\n<base> -> b1, mb1\n"
    )
    graph = g(("b1", None, {"file": "aaa_b1"}), ("a1", None, {"file": "zzz_a1"}),
              ("b2", "b1", {"file": "aab_b2"}), ("a2", "a1", {"file": "zzy_a2"}))
    assert history(graph) == (
        "b1 -> b2 (head), mb2\n<base> -> b1, mb1\na1 -> a2 (head), ma2\n<base> -> a1, ma1\n"
    )


def test_branch_point(history: Any) -> None:
    graph = g(("r1", None), ("r2", "r1"), ("x3", "r2"), ("y3", "r2"), ("x4", "x3"), ("y4", "y3"),
              ("y5", "y4"))
    assert history(graph) == (
        "x3 -> x4 (head), mx4\n"
        "r2 -> x3, mx3\n"
        "y4 -> y5 (head), my5\n"
        "y3 -> y4, my4\n"
        "r2 -> y3, my3\n"
        "r1 -> r2 (branchpoint), mr2\n"
        "<base> -> r1, mr1\n"
    )


def test_merge_point_parents_in_their_order(history: Any) -> None:
    graph = g(("r1", None), ("r2", "r1"), ("x3", "r2"), ("y3", "r2"), ("y4", "y3"),
              ("m5", ("y4", "x3")), ("m6", "m5"))
    assert history(graph) == (
        "m5 -> m6 (head), mm6\n"
        "y4, x3 -> m5 (mergepoint), mm5\n"
        "y3 -> y4, my4\n"
        "r2 -> y3, my3\n"
        "r2 -> x3, mx3\n"
        "r1 -> r2 (branchpoint), mr2\n"
        "<base> -> r1, mr1\n"
    )


DIAMOND = g(("r1", None), ("p", "r1"), ("q", "r1"), ("m1", ("p", "q")), ("s", "r1"),
            ("z1", None), ("z2", "z1"), ("m2", ("m1", "z2")))


def test_merges_and_a_second_root(history: Any) -> None:
    assert history(DIAMOND) == (
        "m1, z2 -> m2 (head) (mergepoint), mm2\n"
        "p, q -> m1 (mergepoint), mm1\n"
        "r1 -> p, mp\n"
        "r1 -> s (head), ms\n"
        "r1 -> q, mq\n"
        "z1 -> z2, mz2\n"
        "<base> -> z1, mz1\n"
        "<base> -> r1 (branchpoint), mr1\n"
    )


def test_three_bases_merged(history: Any) -> None:
    graph = g(("a1", None), ("b1", None), ("c1", None), ("a2", "a1"), ("m", ("a2", "b1", "c1")),
              ("b9", "b1"))
    assert history(graph) == (
        "b1 -> b9 (head), mb9\n"
        "a2, b1, c1 -> m (head) (mergepoint), mm\n"
        "a1 -> a2, ma2\n"
        "<base> -> a1, ma1\n"
        "<base> -> b1 (branchpoint), mb1\n"
        "<base> -> c1, mc1\n"
    )


DEPS = g(("a1", None), ("b1", None), ("c1", None), ("a2", "a1", {"deps": ["b1", "c1"]}),
         ("a3", ("a2", "c1"), {"deps": "b1"}))


def test_several_dependencies_and_an_effective_head(history: Any) -> None:
    assert history(DEPS) == (
        "a2, c1 (b1) -> a3 (head) (mergepoint), ma3\n"
        "a1 (b1, c1) -> a2, ma2\n"
        "<base> -> a1, ma1\n"
        "<base> -> c1, mc1\n"
        "<base> -> b1 (effective head), mb1\n"
    )


def test_a_revision_depended_on_comes_after_its_dependents(history: Any) -> None:
    graph = g(("a1", None), ("z1", None, {"deps": "a1"}), ("z2", "z1"))
    assert history(graph) == (
        "z1 -> z2 (head), mz2\n<base> (a1) -> z1, mz1\n<base> -> a1 (effective head), ma1\n"
    )
    graph = g(("a1", None), ("a2", "a1"), ("a3", "a2"), ("b1", None),
              ("b2", "b1", {"deps": "a2"}), ("b3", "b2"))
    assert history(graph) == (
        "a2 -> a3 (head), ma3\n"
        "b2 -> b3 (head), mb3\n"
        "b1 (a2) -> b2, mb2\n"
        "<base> -> b1, mb1\n"
        "a1 -> a2, ma2\n"
        "<base> -> a1, ma1\n"
    )


def test_depends_on_a_branch_label_is_shown_as_written(history: Any) -> None:
    graph = g(("a1", None), ("n1", None, {"labels": "net"}), ("n2", "n1"),
              ("a2", "a1", {"deps": "net"}))
    assert history(graph).splitlines()[0] == "a1 (net) -> a2 (head), ma2"


def test_range_keeps_the_order(history: Any) -> None:
    assert history(DIAMOND, "-r", "r1:m2") == (
        "m1, z2 -> m2 (head) (mergepoint), mm2\n"
        "p, q -> m1 (mergepoint), mm1\n"
        "r1 -> p, mp\n"
        "r1 -> q, mq\n"
        "<base> -> r1 (branchpoint), mr1\n"
    )
    assert history(DIAMOND, "-r", "z1:") == (
        "m1, z2 -> m2 (head) (mergepoint), mm2\nz1 -> z2, mz2\n<base> -> z1, mz1\n"
    )


def test_verbose_entries(history: Any) -> None:
    out = history(g(("a1", None), ("a2", "a1"), ("n1", None, {"labels": "net"}),
                    ("a3", "a2", {"deps": "n1"})), "-v")
    root = out.split("Path: ")[1].split("/migrations/")[0]
    assert out == (
        "Rev: a3 (head)\n"
        "Parent: a2\n"
        "Also depends on: n1\n"
        f"Path: {root}/migrations/versions/a3_x.py\n"
        "\n"
        "    ma3\n"
        "    \n"
        "    Revision ID: a3\n"
        "\n"
        "Rev: a2\n"
        "Parent: a1\n"
        f"Path: {root}/migrations/versions/a2_x.py\n"
        "\n"
        "    ma2\n"
        "    \n"
        "    Revision ID: a2\n"
        "\n"
        "Rev: a1\n"
        "Parent: <base>\n"
        f"Path: {root}/migrations/versions/a1_x.py\n"
        "\n"
        "    ma1\n"
        "    \n"
        "    Revision ID: a1\n"
        "\n"
        "Rev: n1 (head)\n"  # "(effective head)" only on the one-line form
        "Parent: <base>\n"
        "Branch names: net\n"
        f"Path: {root}/migrations/versions/n1_x.py\n"
        "\n"
        "    mn1\n"
        "    \n"
        "    Revision ID: n1\n"
        "\n"
    )


def test_current_marks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``(current)`` goes: after ``(head)`` on a line, last in a ``-v`` entry."""
    rmap = RevisionMap([Revision("r1"), Revision("p", "r1"), Revision("q", "r1"),
                        Revision("m", ("p", "q"))])
    assert display.history_line(rmap["m"], {"m"}) == "p, q -> m (head) (current) (mergepoint)"
    assert display.history_line(rmap["r1"], {"r1"}) == "<base> -> r1 (current) (branchpoint)"
    assert display.log_entry(rmap["m"], {"m"}).splitlines()[0] == (
        "Rev: m (head) (mergepoint) (current)"
    )
    assert display.log_entry(rmap["r1"], {"r1"}).splitlines()[0] == (
        "Rev: r1 (branchpoint) (current)"
    )


def test_order_is_linear_on_long_histories() -> None:
    """5,000 revisions with a branch point and a merge every 40 (the benchmark's shape) and a
    second root with its own chain: the order takes well under a second. (The second chain
    comes right after the first side branch, as in Alembic.)"""
    revs: list[Revision] = []
    prev = None
    for i in range(5000):
        rid = f"r{i:05d}"
        if i % 40 == 39 and prev is not None:
            revs.append(Revision(f"s{i:05d}", prev))
            revs.append(Revision(rid, (prev, f"s{i:05d}")))
        else:
            revs.append(Revision(rid, prev))
        prev = rid
    revs.extend(Revision(f"z{i:05d}", f"z{i - 1:05d}" if i else None) for i in range(2000))
    rmap = RevisionMap(revs)
    start = time.perf_counter()
    order = display.history_order(rmap)
    assert time.perf_counter() - start < 1.0
    assert len(order) == len(rmap) and len({r.revision for r in order}) == len(rmap)
    position = {r.revision: i for i, r in enumerate(order)}
    assert all(position[p] > position[r.revision] for r in rmap.order for p in r.down_revisions)
    names = [r.revision for r in order]
    assert names[0] == "r04999" and names[-1] == "r00000"
    assert names[names.index("s04999") + 1:names.index("s04999") + 2001] == [
        f"z{i:05d}" for i in reversed(range(2000))
    ]
