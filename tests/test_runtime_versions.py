"""Heads transitions of the version table, without a database.

Graph used below (parents in brackets; ``d2`` depends_on ``b1``):

    a [] -> b1 [a] -> b2 [b1]
         -> c1 [a] -> c2 [c1]
    m [b2, c2]                      (merge point)
    d1 [] -> d2 [d1] (depends_on b1)
"""

from __future__ import annotations

import pytest

from mig_core.runtime.versions import (
    heads_after_downgrade,
    heads_after_upgrade,
    normalize_heads,
    row_changes,
)

PARENTS = {
    "a": (),
    "b1": ("a",),
    "b2": ("b1",),
    "c1": ("a",),
    "c2": ("c1",),
    "m": ("b2", "c2"),
    "d1": (),
    "d2": ("d1", "b1"),
}


def parents_of(rev: str) -> tuple[str, ...]:
    return PARENTS[rev]


def up(heads, rev):
    return heads_after_upgrade(heads, rev, PARENTS[rev])


def down(heads, rev):
    return heads_after_downgrade(heads, rev, parents_of)


def test_linear_upgrade_replaces_parent():
    assert up((), "a") == ("a",)
    assert up(("a",), "b1") == ("b1",)


def test_branch_point_upgrade_adds_a_head():
    # b1 is applied and a head; applying c1 (parent a, not a head) adds a row
    assert up(("b1",), "c1") == ("b1", "c1")


def test_merge_point_upgrade_collapses_heads():
    assert up(("b2", "c2"), "m") == ("m",)


def test_dependency_head_is_replaced_and_other_branch_kept():
    # d2 depends on b1: with b1 a head, both parents collapse into d2
    assert up(("b1", "d1"), "d2") == ("d2",)
    # b1 not a head (b2 descends from it): b2 stays
    assert up(("b2", "d1"), "d2") == ("b2", "d2")


def test_downgrade_merge_point_restores_both_parents():
    assert sorted(down(("m",), "m")) == ["b2", "c2"]


def test_downgrade_to_branch_point_keeps_shared_parent_once():
    # reverting c1 while b1 still descends from a: a does not become a head
    assert down(("b1", "c1"), "c1") == ("b1",)
    assert down(("b1",), "b1") == ("a",)
    assert down(("a",), "a") == ()


def test_downgrade_dependency_restores_dependency_only_when_needed():
    assert sorted(down(("d2",), "d2")) == ["b1", "d1"]
    # b2 still descends from b1: b1 is not a head again
    assert sorted(down(("b2", "d2"), "d2")) == ["b2", "d1"]


def test_normalize_drops_ancestors():
    assert normalize_heads(("a", "b2", "c1"), parents_of) == ("b2", "c1")
    assert normalize_heads(("m", "b1"), parents_of) == ("m",)


@pytest.mark.parametrize(
    "before, after, expected",
    [
        (("a",), ("b1",), ([("a", "b1")], [], [])),
        ((), ("a",), ([], ["a"], [])),
        (("a",), (), ([], [], ["a"])),
        (("b2", "c2"), ("m",), ([("c2", "m")], [], ["b2"])),
        (("m",), ("b2", "c2"), ([("m", "b2")], ["c2"], [])),
        (("x",), ("x", "y"), ([], ["y"], [])),
    ],
)
def test_row_changes_are_minimal(before, after, expected):
    assert row_changes(before, after) == expected


def test_round_trip_across_everything_returns_to_base():
    order = ["a", "b1", "b2", "c1", "c2", "m", "d1", "d2"]
    heads: tuple[str, ...] = ()
    seen = []
    for rev in order:
        heads = up(heads, rev)
        seen.append(set(heads))
    assert set(heads) == {"m", "d2"}
    for rev in reversed(order):
        assert rev in heads
        heads = down(heads, rev)
    assert heads == ()
