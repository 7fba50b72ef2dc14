"""The read-only commands print what Alembic 1.20's print for the same revision files. Every
expected text below was observed with Alembic 1.20.1 (``alembic branches``, ...) on the same
files; where Alembic's order comes from a set (the children of a branch point), mig sorts."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from runtime_support import config_for, make_project

from mig_core import command
from mig_core.cli import main

Graph = list[tuple[str, Any, dict[str, Any]]]

# a1 - b1 (lbl) -< c1, d1          x1 -< y1, z1 (z1 depends on c1)
TWO_BRANCH_POINTS: Graph = [
    ("a1", None, {}), ("b1", "a1", {"labels": "lbl"}), ("c1", "b1", {}), ("d1", "b1", {}),
    ("x1", None, {}), ("y1", "x1", {}), ("z1", "x1", {"deps": "c1"}),
]


def write(root: Path, graph: Graph) -> Path:
    """A project whose version files hold ``graph``, each file ``<id>_x.py``."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    (root / "migrations" / "env.py").write_text("")
    (root / "mig.ini").write_text(
        "[mig]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite://\n"
    )
    for rev, down, extra in graph:
        (versions / f"{rev}_x.py").write_text(
            f'"""m{rev}\n\nRevision ID: {rev}\n"""\n'
            f"revision = {rev!r}\ndown_revision = {down!r}\n"
            f"branch_labels = {extra.get('labels')!r}\ndepends_on = {extra.get('deps')!r}\n"
        )
    return root


@pytest.fixture
def run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    def run(graph: Graph, *args: str) -> tuple[int, str, str]:
        root = write(tmp_path / f"p{len(list(tmp_path.iterdir()))}", graph)
        code = main(["-c", str(root / "mig.ini"), *args])
        out, err = capsys.readouterr()
        return code, out.replace(str(root), "<root>"), err

    return run


def test_branches(run: Any) -> None:
    assert run(TWO_BRANCH_POINTS, "branches") == (0, (
        "x1 (branchpoint)\n"
        "   -> y1 (head)\n"
        "   -> z1 (head)\n"
        "\n"
        "b1 (lbl) (branchpoint)\n"
        "   -> c1 (lbl) (effective head)\n"
        "   -> d1 (lbl) (head)\n"
        "\n"
    ), "")


def test_branches_verbose(run: Any) -> None:
    assert run(TWO_BRANCH_POINTS, "branches", "-v") == (0, (
        "Rev: x1 (branchpoint)\n"
        "Parent: <base>\n"
        "Branches into: y1, z1\n"
        "Path: <root>/migrations/versions/x1_x.py\n"
        "\n"
        "    mx1\n"
        "    \n"
        "    Revision ID: x1\n"
        "\n"
        "   -> y1 (head), my1\n"
        "   -> z1 (head), mz1\n"
        "\n"
        "Rev: b1 (branchpoint)\n"
        "Parent: a1\n"
        "Branches into: c1, d1\n"
        "Branch names: lbl\n"
        "Path: <root>/migrations/versions/b1_x.py\n"
        "\n"
        "    mb1\n"
        "    \n"
        "    Revision ID: b1\n"
        "\n"
        "   -> c1 (lbl) (effective head), mc1\n"
        "   -> d1 (lbl) (head), md1\n"
        "\n"
    ), "")


# The same graph with a database: a1 - b1 (lbl) -< c1, d1    x1 -< y1, z1 (-> c1) >- m1
CURRENT_GRAPH = [
    {"rev": "a1"}, {"rev": "b1", "down": "a1", "branch_labels": "lbl"},
    {"rev": "c1", "down": "b1"}, {"rev": "d1", "down": "b1"},
    {"rev": "x1"}, {"rev": "y1", "down": "x1"}, {"rev": "z1", "down": "x1", "depends_on": "c1"},
    {"rev": "m1", "down": ("y1", "z1")},
]


@pytest.mark.parametrize("stamped, printed", [
    ("b1", "b1 (branchpoint)\n"),  # no branch labels: Alembic's current prints none
    ("d1", "d1 (head)\n"),
    ("c1", "c1 (effective head)\n"),  # a head another revision depends on
    ("x1", "x1 (branchpoint)\n"),
    # m1 needs c1 (through z1's depends_on): Alembic lists the heads of everything applied
    ("m1", "m1 (head) (mergepoint)\nc1 (effective head)\n"),  # Alembic: a set's order
])
def test_current(tmp_path: Path, sqlite_url: str, stamped: str, printed: str) -> None:
    ini = make_project(tmp_path, sqlite_url, CURRENT_GRAPH)
    command.stamp(config_for(ini), stamped)
    buf = io.StringIO()
    config = config_for(ini)
    config.stdout = buf
    command.current(config)
    assert buf.getvalue() == printed


# a1 - b1 (lbl) -< c1, d1    x1 -< y1, z1 (-> c1) >- m1: c1 is a head z1 depends on
HEADS_GRAPH: Graph = [
    *TWO_BRANCH_POINTS, ("m1", ("y1", "z1"), {}),
]


def test_heads(run: Any) -> None:
    # Alembic's heads: no (branchpoint) / (mergepoint), (effective head) for c1
    assert run(HEADS_GRAPH, "heads") == (
        0, "c1 (lbl) (effective head)\nd1 (lbl) (head)\nm1 (head)\n", ""
    )
    assert run(HEADS_GRAPH, "heads", "--resolve-dependencies") == (
        0, "d1 (lbl) (head)\nm1 (head)\n", ""
    )


def test_show_heads_leaves_out_a_head_another_revision_depends_on(run: Any) -> None:
    code, out, _ = run(HEADS_GRAPH, "show", "heads")
    assert code == 0
    assert [line for line in out.splitlines() if line.startswith("Rev: ")] == [
        "Rev: d1 (head)", "Rev: m1 (head) (mergepoint)",
    ]


def test_show_lists_dependencies_as_written(run: Any) -> None:
    graph: Graph = [*TWO_BRANCH_POINTS[:4], ("e1", None, {"deps": ("lbl", "c1")})]
    code, out, _ = run(graph, "show", "e1")
    assert out.splitlines()[:3] == ["Rev: e1 (head)", "Parent: <base>",
                                    "Also depends on: lbl, c1"]
