"""Property tests on random revision graphs (hypothesis): paths respect parents and depends_on,
downgrades never strand a revision, and upgrade-then-downgrade returns to the start."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from mig_core.errors import RevisionArgumentError
from mig_core.script import paths
from mig_core.script.revision_map import Revision, RevisionMap


@st.composite
def dags(draw):
    """A random DAG: each revision picks 0-2 parents and 0-1 dependency among earlier ones."""
    n = draw(st.integers(min_value=1, max_value=18))
    revs = []
    for i in range(n):
        earlier = [f"r{j:03d}" for j in range(i)]
        parents = draw(st.lists(st.sampled_from(earlier), max_size=2, unique=True)) if earlier else []
        others = [e for e in earlier if e not in parents]
        deps = draw(st.lists(st.sampled_from(others), max_size=1)) if others else []
        revs.append(Revision(f"r{i:03d}", tuple(parents), None, tuple(deps)))
    # shuffle the input order: the map must not depend on it
    order = draw(st.permutations(range(n)))
    return RevisionMap(revs[i] for i in order)


def closed(rmap, applied):
    """Every parent and dependency of an applied revision is applied."""
    return all(p in applied for r in applied for p in (*rmap[r].down_revisions, *rmap[r]._resolved_dependencies))


def respects_edges(rmap, before, sequence):
    """Applying ``sequence`` in order on top of ``before`` never runs a revision early."""
    done = set(before)
    for rev in sequence:
        for p in (*rev.down_revisions, *rev._resolved_dependencies):
            if p not in done:
                return False
        done.add(rev.revision)
    return True


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(dags())
def test_order_is_topological(rmap):
    assert len(rmap.order) == len(rmap)
    assert respects_edges(rmap, (), rmap.order)


@SETTINGS
@given(dags(), st.data())
def test_upgrade_path_respects_parents_and_dependencies(rmap, data):
    ids = sorted(rmap.by_id)
    heads = data.draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
    applied = rmap.ancestors(heads)
    target = data.draw(st.sampled_from(ids))
    try:
        path = paths.upgrade_revisions(rmap, target, heads)
    except RevisionArgumentError as exc:
        # only refused when the target is applied and something above it is too
        assert target in applied and any(c in applied for c in rmap[target].nextrev), str(exc)
        return
    result = {r.revision for r in path}
    assert respects_edges(rmap, applied, path)
    assert not result & applied
    assert result | applied >= rmap.ancestors([target])  # the target and all it needs
    assert result <= rmap.ancestors([target])  # and nothing more
    assert closed(rmap, result | applied)


@SETTINGS
@given(dags(), st.data())
def test_downgrade_never_strands_a_revision(rmap, data):
    ids = sorted(rmap.by_id)
    heads = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
    applied = rmap.ancestors(heads)
    target = data.draw(st.sampled_from([*sorted(applied), "base"]))
    path = paths.downgrade_revisions(rmap, target, heads)
    removed = {r.revision for r in path}
    remaining = applied - removed
    assert removed <= applied
    assert closed(rmap, remaining)
    # unapplying in the given order never removes a revision something still applied needs
    left = set(applied)
    for rev in path:
        left.discard(rev.revision)
        assert not any(rev.revision in (*rmap[o].down_revisions, *rmap[o]._resolved_dependencies) for o in left)
    if target == "base":
        assert remaining == set()
    else:
        assert target in remaining
        assert not (rmap.descendants([target], include_dependencies=False, inclusive=False) & remaining)


@SETTINGS
@given(dags(), st.data())
def test_upgrade_then_downgrade_returns_to_start(rmap, data):
    ids = sorted(rmap.by_id)
    start = data.draw(st.sampled_from(["base", *ids]))
    start_heads = () if start == "base" else (start,)
    before = rmap.ancestors(start_heads)
    target = data.draw(st.sampled_from(ids))
    try:
        up = paths.upgrade_revisions(rmap, target, start_heads)
    except RevisionArgumentError:
        return
    after = before | {r.revision for r in up}
    down = paths.downgrade_revisions(rmap, start, tuple(after))
    back = after - {r.revision for r in down}
    # the start is restored; what stays beyond it is only what the target pulled in from
    # branches that do not grow out of the start (other bases' lines, dependencies)
    assert back >= before
    grown = rmap.descendants(
        rmap.descendants(start_heads, include_dependencies=False, inclusive=False)
        if start_heads else rmap.by_id
    )
    assert not (back - before) & grown
    if start == "base" or {r.revision for r in up} <= grown:
        assert back == before


@SETTINGS
@given(dags(), st.data())
def test_relative_steps_take_exactly_n_steps_on_a_line(rmap, data):
    ids = sorted(rmap.by_id)
    anchor = data.draw(st.sampled_from(ids))
    n = data.draw(st.integers(min_value=1, max_value=4))
    try:
        (end,) = paths.resolve(rmap, f"{anchor}+{n}") or (None,)
    except RevisionArgumentError:
        return
    assume(end is not None)
    # walking back down the same number of steps returns to the anchor when the way is unique
    node, steps = end, 0
    while node.revision != anchor:
        assert len(node.down_revisions) >= 1
        node = rmap[[p for p in node.down_revisions
                     if anchor in rmap.ancestors([p], include_dependencies=False)][0]]
        steps += 1
    assert steps == n


def test_shuffled_input_gives_the_same_order():
    specs = [("a1", None), ("b1", "a1"), ("c1", "a1"), ("d1", ("b1", "c1"))]
    one = RevisionMap(Revision(*s) for s in specs)
    two = RevisionMap(Revision(*s) for s in reversed(specs))
    assert [r.revision for r in one.order] == [r.revision for r in two.order]


@pytest.mark.parametrize("n", [1, 3])
def test_long_line_relative(n):
    rmap = RevisionMap(Revision(f"r{i:04d}", f"r{i - 1:04d}" if i else None) for i in range(50))
    assert paths.resolve(rmap, f"-{n}", ("r0049",))[0].revision == f"r{49 - n:04d}"
    assert [r.revision for r in paths.upgrade_revisions(rmap, f"+{n}", ("r0010",))] == [
        f"r{10 + k:04d}" for k in range(1, n + 1)
    ]
