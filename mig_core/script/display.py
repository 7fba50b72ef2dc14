"""How revisions are shown: one-line entries, full log entries, JSON records, dot and mermaid."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from mig_core.script.revision_map import Revision, RevisionMap


def markers(rev: Revision, current: Collection[str] = ()) -> str:
    """`` (head) (branchpoint) (mergepoint) (current)`` as applicable."""
    out = ""
    if current and rev.revision in current:
        out += " (current)"
    if rev.is_head:
        out += " (head)"
    if rev.is_branch_point:
        out += " (branchpoint)"
    if rev.is_merge_point:
        out += " (mergepoint)"
    return out


def _parents(rev: Revision) -> str:
    if not rev.down_revisions:
        return "<base>"
    if len(rev.down_revisions) == 1:
        return rev.down_revisions[0]
    return "(" + ", ".join(rev.down_revisions) + ")"


def _labels(rev: Revision) -> str:
    return f" ({', '.join(sorted(rev._branch_labels))})" if rev._branch_labels else ""


def line(rev: Revision, current: Collection[str] = (), parents: bool = True) -> str:
    """``parent -> rev (labels) (head), message``."""
    doc = getattr(rev, "doc", "") or ""
    text = f"{_parents(rev)} -> " if parents else ""
    text += f"{rev.revision}{_labels(rev)}{markers(rev, current)}"
    return f"{text}, {doc}" if doc else text


def history_line(rev: Revision, current: Collection[str] = ()) -> str:
    """One ``history`` line as Alembic prints it: ``a, b (dep) -> rev (labels) (head)
    (current) (branchpoint) (mergepoint), message``. A merge point's parents are listed
    bare, ``depends_on`` (as written) follows in parentheses, and a head that another
    revision depends on is an ``(effective head)``."""
    return format_line(rev, current, include_branches=True, include_doc=True,
                       include_parents=True)


def format_line(
    rev: Revision,
    current: Collection[str] = (),
    include_branches: bool = False,
    include_doc: bool = False,
    include_parents: bool = False,
    tree_indicators: bool = True,
    include_dependencies: bool = True,
) -> str:
    """The one-line forms of a revision (``history``, ``Script.cmd_format``, ``str(script)``):
    ``[parents [(deps)] -> ]rev [(labels)] (head) [(current)] [(branchpoint) (mergepoint)]
    [, message]``."""
    text = ""
    if include_parents:
        text = ", ".join(rev.down_revisions) if rev.down_revisions else "<base>"
        if include_dependencies and rev.depends_on:
            text += f" ({', '.join(rev.depends_on)})"
        text += " -> "
    text += rev.revision
    if include_branches:
        text += _labels(rev)
    if rev.is_head:
        text += " (effective head)" if include_dependencies and rev.dependents else " (head)"
    if current and rev.revision in current:
        text += " (current)"
    if tree_indicators:
        if rev.is_branch_point:
            text += " (branchpoint)"
        if rev.is_merge_point:
            text += " (mergepoint)"
    doc = getattr(rev, "doc", None)  # a revision file's message; None: no file (a bare Revision)
    if include_doc and doc is not None:  # as Alembic: ", " also when the message is empty
        text += f", {doc}"
    return text


def history_order(rmap: RevisionMap, revs: Iterable[Revision] | None = None) -> list[Revision]:
    """``revs`` (default: every revision) newest first, in the order Alembic's ``history`` and
    ``walk_revisions()`` list them: each branch as one block, read down from its head until it
    reaches a revision that a revision not yet listed still needs, then on with another branch.

    The walk keeps an ordered list of tips, at first the revisions nothing in ``revs`` is above
    (children and dependents), in file order, and a position in it. The tip at the position is
    listed unless another tip descends from it (through any revision of the graph, in ``revs``
    or not); then the position moves to the first such tip. A listed tip's place goes to its
    first parent not yet placed; its other new parents and dependencies go to the end of the
    list; when it has none its place is dropped and the position moves back by one. A
    dependency that a ``down_revision`` ancestor already depends on is not placed from here
    (Alembic's normalised dependencies): it comes with that ancestor's block. Linear, plus a
    walk over the unlisted revisions above a tip each time one waits.
    """
    nodes = rmap.order if revs is None else list(revs)
    by_id = rmap.by_id
    inside = {r.revision for r in nodes}
    whole = revs is None or len(inside) == len(by_id)
    # how many revisions inside still have to be listed before each one (children, dependents);
    # "leaky": a revision with a child or dependent outside ``revs``, which can lead to a tip
    waiting: dict[str, int] = {}
    leaky: set[str] = set()
    for rev in nodes:
        above = (*rev.nextrev, *rev.dependents) if rev.dependents else rev.nextrev
        if whole:
            waiting[rev.revision] = len(above)
        else:
            count = sum(1 for a in above if a in inside)
            waiting[rev.revision] = count
            if count != len(above):
                leaky.add(rev.revision)
    file_order = {rev_id: i for i, rev_id in enumerate(by_id)}
    tips = sorted((r for r, n in waiting.items() if not n), key=file_order.__getitem__)
    placed = set(tips)
    listed: set[str] = set()
    out: list[Revision] = []
    idx = 0
    while True:
        if not tips:
            if len(listed) == len(inside):
                return out
            # revisions no placed tip reaches (a range cut below a dependency's declarer)
            tips = sorted(
                (r for r, n in waiting.items() if not n and r not in listed),
                key=file_order.__getitem__,
            )
            placed.update(tips)
            idx = 0
        rev = by_id[tips[idx]]
        if waiting[rev.revision] or rev.revision in leaky:
            above_idx = _first_tip_above(rmap, rev, tips, listed)
            if above_idx is not None:
                idx = above_idx
                continue
        out.append(rev)
        listed.add(rev.revision)
        for parent in (*rev.down_revisions, *rev._resolved_dependencies):
            if parent in inside:
                waiting[parent] -= 1
        fresh = [
            p for p in (*rev.down_revisions, *_normalized_dependencies(rmap, rev))
            if p in inside and p not in placed
        ]
        if fresh:
            placed.update(fresh)
            tips[idx] = fresh[0]
            tips.extend(fresh[1:])
        else:
            del tips[idx]
            idx = max(idx - 1, 0)


def _normalized_dependencies(rmap: RevisionMap, rev: Revision) -> tuple[str, ...]:
    """``rev``'s resolved dependencies without those a ``down_revision`` ancestor of it also
    depends on. Such an ancestor comes after the dependency in the topological order, so the
    walk down stops at the oldest dependency still unmatched."""
    deps = rev._resolved_dependencies
    if not deps:
        return deps
    by_id = rmap.by_id
    left = set(deps)
    floor = min(by_id[d].order for d in left)
    seen: set[str] = set()
    todo = list(rev.down_revisions)
    while todo and left:
        node = by_id[todo.pop()]
        if node.revision in seen or node.order <= floor:
            continue
        seen.add(node.revision)
        if node._resolved_dependencies:
            left.difference_update(node._resolved_dependencies)
        todo.extend(node.down_revisions)
    return tuple(d for d in deps if d in left)


def _first_tip_above(rmap: RevisionMap, rev: Revision, tips: list[str],
                     listed: set[str]) -> int | None:
    """The place in ``tips`` of the first tip that descends from ``rev``, through any revision
    of the graph not listed yet; None when no tip does."""
    by_id = rmap.by_id
    above: set[str] = set()
    todo = [rev.revision]
    while todo:
        node = by_id[todo.pop()]
        for child in (*node.nextrev, *node.dependents):
            if child not in listed and child not in above:
                above.add(child)
                todo.append(child)
    for i, tip in enumerate(tips):
        if tip in above:
            return i
    return None


def short(rev: Revision) -> str:
    """``rev (labels) (head)`` — what ``heads`` prints, as Alembic: ``(effective head)`` for a
    head another revision depends on, no ``(branchpoint)`` / ``(mergepoint)``."""
    return format_line(rev, include_branches=True, tree_indicators=False)


def log_entry(rev: Revision, current: Collection[str] = ()) -> str:
    """A multi-line description: id, parents, dependencies, children, labels, path, docstring."""
    marks = markers(rev)  # Alembic puts (current) last here, and first nowhere
    if current and rev.revision in current:
        marks += " (current)"
    lines = [f"Rev: {rev.revision}{marks}"]
    if rev.is_merge_point:
        lines.append(f"Merges: {', '.join(rev.down_revisions)}")
    else:
        lines.append(f"Parent: {_parents(rev)}")
    if rev.depends_on:  # as written (a label stays a label), as Alembic's log_entry
        lines.append(f"Also depends on: {', '.join(rev.depends_on)}")
    if rev.is_branch_point:
        lines.append(f"Branches into: {', '.join(sorted(rev.nextrev))}")
    if rev._branch_labels:
        lines.append(f"Branch names: {', '.join(sorted(rev._branch_labels))}")
    lines.append(f"Path: {rev.path}")
    doc = getattr(rev, "longdoc", None) if rev.path else None
    doc = doc if doc is not None else (getattr(rev, "doc", None) or "")
    lines.append("")
    lines.extend(f"    {ln}" for ln in doc.splitlines())  # as Alembic: "    " when blank
    if not doc:  # as Alembic: the docstring's place stays, empty
        lines.append("")
    return "\n".join(lines) + "\n"


def branch_point(rmap: RevisionMap, rev: Revision, verbose: bool = False) -> str:
    """A ``branches`` entry as Alembic prints it: the branch point (in full with ``verbose``),
    then each child (sorted; Alembic's order is a set's) as ``<indent> -> id (labels) (head)``
    (``, message`` with ``verbose``), then a blank line."""
    head = log_entry(rev) if verbose else format_line(rev, include_branches=True)
    pad = " " * len(rev.revision)
    children = "\n".join(
        f"{pad} -> {format_line(rmap[c], include_branches=True, include_doc=verbose)}"
        for c in sorted(rev.nextrev)
    )
    return f"{head}\n{children}\n"


def record(rev: Revision, current: Collection[str] = ()) -> dict[str, Any]:
    """A JSON-able dict of one revision."""
    return {
        "revision": rev.revision,
        "down_revisions": list(rev.down_revisions),
        "dependencies": list(rev._resolved_dependencies),
        "branch_labels": sorted(rev._branch_labels),
        "children": sorted(rev.nextrev),
        "path": rev.path,
        "doc": getattr(rev, "doc", ""),
        "create_date": getattr(rev, "create_date", None),
        "is_head": rev.is_head,
        "is_base": rev.is_base,
        "is_branch_point": rev.is_branch_point,
        "is_merge_point": rev.is_merge_point,
        "is_current": rev.revision in current,
    }


def to_json(data: Any) -> str:
    import json

    return json.dumps(data, indent=2)


def _dot_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def dot(rmap: RevisionMap) -> str:
    """Graphviz: one box per revision, oldest at the top; heads bold, branch points and merge
    points shaped differently, ``depends_on`` edges dashed."""
    out = ["digraph revisions {", "  rankdir=TB;", '  node [shape=box, fontname="monospace"];']
    for rev in rmap.order:
        parts = [rev.revision + _labels(rev)]
        doc = getattr(rev, "doc", "")
        if doc:
            parts.append(doc if len(doc) <= 40 else doc[:37] + "...")
        label = "\\n".join(_dot_quote(p)[1:-1] for p in parts)  # dot's line break is \\n
        attrs = [f'label="{label}"']
        kinds = []
        if rev.is_head:
            attrs.append("penwidth=2")
            kinds.append("head")
        if rev.is_branch_point:
            attrs.append("shape=invhouse")
            kinds.append("branchpoint")
        if rev.is_merge_point:
            attrs.append("shape=house")
            kinds.append("mergepoint")
        if kinds:
            attrs.append(f"tooltip={_dot_quote(' '.join(kinds))}")
        out.append(f"  {_dot_quote(rev.revision)} [{', '.join(attrs)}];")
    for rev in rmap.order:
        for parent in rev.down_revisions:
            out.append(f"  {_dot_quote(parent)} -> {_dot_quote(rev.revision)};")
        for dep in rev._resolved_dependencies:
            out.append(
                f'  {_dot_quote(dep)} -> {_dot_quote(rev.revision)} [style=dashed, label="depends_on"];'
            )
    out.append("}")
    return "\n".join(out)


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def mermaid(rmap: RevisionMap) -> str:
    """Mermaid flowchart: oldest at the top; heads, branch points and merge points get a class;
    ``depends_on`` edges dotted."""
    ids = {rev.revision: f"r{i}" for i, rev in enumerate(rmap.order)}
    out = ["flowchart TD"]
    for rev in rmap.order:
        label = rev.revision + _labels(rev)
        doc = getattr(rev, "doc", "")
        if doc:
            label += "<br/>" + (doc if len(doc) <= 40 else doc[:37] + "...")
        tags = [t for t, on in (("head", rev.is_head), ("branchpoint", rev.is_branch_point),
                                ("mergepoint", rev.is_merge_point)) if on]
        if tags:
            label += "<br/>(" + ", ".join(tags) + ")"
        node = f'  {ids[rev.revision]}["{_mermaid_text(label)}"]'
        if tags:
            node += f":::{tags[0]}"
        out.append(node)
    for rev in rmap.order:
        for parent in rev.down_revisions:
            out.append(f"  {ids[parent]} --> {ids[rev.revision]}")
        for dep in rev._resolved_dependencies:
            out.append(f"  {ids[dep]} -. depends_on .-> {ids[rev.revision]}")
    out.append("  classDef head stroke-width:3px")
    out.append("  classDef branchpoint fill:#fff3cd")
    out.append("  classDef mergepoint fill:#d1e7dd")
    return "\n".join(out)
