"""Revision arguments and the paths between revisions.

Grammar (``docs/revisions.md`` has the user's version)::

    head | heads | base | current
    <id> | <unique id prefix> | <label>
    <branch>@head | <branch>@heads | <branch>@base | <branch>@<id>
    +N | -N | <rev>+N | <rev>-N | <branch>@+N | <branch>@-N | <branch>@<rev>+N
    start:end          (only where a command allows a range)

``<branch>`` is a branch label (the revisions carrying it) or a revision id (the revisions on its
line: its ancestors and descendants). ``+N`` / ``-N`` are relative to the current heads;
``<rev>+N`` to a revision. A walk must take exactly N steps and must not have to choose
between branches.

What is applied is the closure of the current heads over ``down_revision`` and ``depends_on``.
Nothing here imports a revision file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from mig_core.errors import CommandError, MultipleHeads, RevisionArgumentError
from mig_core.script.revision_map import Revision, RevisionMap

_RELATIVE_RE = re.compile(r"(.*?)([+-])(\d+)")
SYMBOLS = ("head", "heads", "base", "current")


class RevisionArgument:
    """One parsed revision argument.

    ``kind`` is ``symbol`` (head/heads/base/current), ``rev`` (an id, prefix or label) or
    ``relative`` (``steps`` signed, from ``anchor`` or, without one, from the current heads).
    ``branch`` is the part before ``@``.
    """

    __slots__ = ("text", "kind", "branch", "symbol", "rev", "anchor", "steps")

    def __init__(
        self, text: str, kind: str, branch: str | None = None, symbol: str | None = None,
        rev: str | None = None, anchor: str | None = None, steps: int = 0,
    ) -> None:
        self.text = text
        self.kind = kind
        self.branch = branch
        self.symbol = symbol
        self.rev = rev
        self.anchor = anchor
        self.steps = steps

    def __repr__(self) -> str:
        return f"RevisionArgument({self.text!r}, {self.kind!r})"


def split_range(text: str) -> tuple[str | None, str | None]:
    """``start:end`` -> (start, end); either side may be empty (None)."""
    if text.count(":") != 1:
        raise RevisionArgumentError(
            f"revision range {text!r} must be [start]:[end], [start]: or :[end]"
        )
    start, end = (part.strip() or None for part in text.split(":"))
    return start, end


def parse(rmap: RevisionMap, text: str) -> RevisionArgument:
    """Parse ``text``; an exact id or label always wins over the relative reading."""
    text = text.strip() if isinstance(text, str) else text
    if not isinstance(text, str) or not text:
        raise RevisionArgumentError(f"empty revision argument {text!r}")
    if ":" in text:
        raise RevisionArgumentError(
            f"revision range {text!r} is not allowed here (ranges are for --sql, stamp --sql "
            "and history -r)"
        )
    if text in SYMBOLS:
        return RevisionArgument(text, "symbol", symbol=text)
    if text in rmap.by_id or text in rmap.labels:
        return RevisionArgument(text, "rev", rev=text)
    branch, at, rest = text.partition("@")
    if at:
        if not branch or not rest or "@" in rest:
            raise RevisionArgumentError(
                f"bad revision argument {text!r}: expected <branch>@head, <branch>@heads, "
                "<branch>@base, <branch>@+N, <branch>@-N or <branch>@<rev>"
            )
    else:
        branch, rest = "", text
    m = _RELATIVE_RE.fullmatch(rest)
    if rest in ("head", "heads", "base") and branch:
        return RevisionArgument(text, "symbol", branch=branch, symbol=rest)
    if m:
        steps = int(m.group(3)) * (1 if m.group(2) == "+" else -1)
        return RevisionArgument(
            text, "relative", branch=branch or None, anchor=m.group(1) or None, steps=steps
        )
    return RevisionArgument(text, "rev", branch=branch or None, rev=rest)


# --- helpers ---------------------------------------------------------------------------------


def _ids(revs: Iterable[Revision]) -> str:
    return ", ".join(r.revision for r in revs) or "base"


def multiple_heads_error(text: str, heads: Sequence[str]) -> MultipleHeads:
    return MultipleHeads(
        f"{text!r} is ambiguous: there are {len(heads)} heads ({', '.join(heads)}); use 'heads' "
        "for all of them, '<label>@head' for one branch, or 'mig merge heads' to join them",
        heads=tuple(heads), argument=text,
    )


def applied_revisions(rmap: RevisionMap, current_heads: Iterable[str]) -> set[str]:
    """Everything applied when the database is at ``current_heads``."""
    heads = list(current_heads)
    refuse_unknown_heads(rmap, heads)
    return rmap.ancestors(heads)


def refuse_unknown_heads(rmap: RevisionMap, heads: Iterable[str]) -> None:
    """Stop on a database revision no file defines; ``stamp --purge`` is the way out."""
    for rev in heads:
        if rev not in rmap.by_id:
            raise CommandError(
                f"the database is at revision {rev!r}, which no revision file defines (a deleted "
                "file, or the wrong script_location?); if the database really is at a revision "
                "you have, record it with `mig stamp --purge <revision>`"
            )


def refuse_overlapping_heads(rmap: RevisionMap, heads: Sequence[str]) -> None:
    """Stop on version rows of which one descends from another (down_revision edges; a row
    that another only depends on is a head of its own branch): no run writes such rows, and
    moving from them would run or undo the older one's descendants twice. (The path
    functions accept such sets, as "everything below them is applied"; the runtime checks
    the version table with this before planning.)"""
    if len(heads) < 2:
        return
    refuse_unknown_heads(rmap, heads)
    kept = set(rmap.filter_heads(heads))
    for older in heads:
        if older in kept:
            continue
        newer = next(h for h in heads if h != older
                     and older in rmap.ancestors([h], include_dependencies=False))
        raise CommandError(
            f"the version table holds both {older!r} and {newer!r}, which descends from it; it "
            "holds one row per branch head, so it was edited by hand or by another tool; record "
            "where the database is with `mig stamp --purge <revision>`"
        )


def branch_scope(rmap: RevisionMap, branch: str) -> set[str]:
    """Revisions of a branch: those carrying a label, or the line through a revision."""
    if branch in rmap.labels and branch not in rmap.by_id:
        return {r.revision for r in rmap.order if branch in r._branch_labels}
    rev = rmap.lookup(branch)
    return rmap.ancestors([rev.revision], include_dependencies=False) | rmap.descendants(
        [rev.revision], include_dependencies=False
    )


def _scope(rmap: RevisionMap, arg: RevisionArgument) -> set[str] | None:
    return branch_scope(rmap, arg.branch) if arg.branch else None


def _position(
    rmap: RevisionMap, arg: RevisionArgument, applied: set[str], scope: set[str] | None
) -> Revision | None:
    """The single current revision a relative walk starts from (None: nothing applied)."""
    inside = applied if scope is None else applied & scope
    tops = [r for r in rmap.sorted(inside) if not any(c in inside for c in r.nextrev)]
    if len(tops) > 1:
        where = f" of branch {arg.branch!r}" if arg.branch else ""
        raise RevisionArgumentError(
            f"relative revision {arg.text!r} is ambiguous: the current heads{where} are "
            f"{_ids(tops)}; name the branch: '<label>@{arg.steps:+d}' or '<rev>@{arg.steps:+d}'"
        )
    return tops[0] if tops else None


def _walk(
    rmap: RevisionMap, arg: RevisionArgument, start: Revision | None, scope: set[str] | None
) -> tuple[tuple[Revision, ...], list[Revision]]:
    """Take exactly ``|steps|`` steps; returns (where it ends, the revisions stepped onto/off).

    Upwards it ends on one revision; downwards it ends on the parents of the last revision
    stepped off (several at a merge point, none past a base).
    """
    by_id = rmap.by_id
    steps = abs(arg.steps)
    walked: list[Revision] = []
    cur = start
    if arg.steps >= 0:
        for i in range(steps):
            if cur is None:
                cands = [by_id[r] for r in rmap.bases] if scope is None else [
                    r for r in rmap.sorted(scope)
                    if not any(p in scope for p in r.down_revisions)
                ]
            else:
                cands = [by_id[c] for c in sorted(cur.nextrev) if scope is None or c in scope]
            if not cands:
                here = "base" if cur is None else cur.revision
                raise RevisionArgumentError(
                    f"relative revision {arg.text!r} cannot take {steps} step(s): there is no "
                    f"revision above {here} after {i} step(s)"
                )
            if len(cands) > 1:
                here = "base" if cur is None else f"{cur.revision} (a branch point)"
                raise RevisionArgumentError(
                    f"relative revision {arg.text!r} is ambiguous: from {here} it could go to "
                    f"{_ids(cands)}; name the branch: '<label>@+N' or '<rev>@+N'"
                )
            cur = cands[0]
            walked.append(cur)
        return ((cur,) if cur is not None else ()), walked
    ends: tuple[Revision, ...] = (start,) if start is not None else ()
    for i in range(steps):
        if len(ends) != 1:
            if not ends:
                raise RevisionArgumentError(
                    f"relative revision {arg.text!r} cannot take {steps} step(s): base reached "
                    f"after {i} step(s)"
                )
            raise RevisionArgumentError(
                f"relative revision {arg.text!r} is ambiguous: below {walked[-1].revision} (a "
                f"merge point) it could go to {_ids(ends)}; name the branch: '<label>@-N'"
            )
        cur = ends[0]
        walked.append(cur)
        ends = tuple(
            by_id[p] for p in sorted(cur.down_revisions) if scope is None or p in scope
        )
    return ends, walked


def _anchor(rmap: RevisionMap, arg: RevisionArgument, scope: set[str] | None) -> Revision | None:
    """The revision an anchored relative argument (``rev+N``) starts from."""
    name = arg.anchor or ""
    if name == "base":
        return None
    if name in ("head", "heads"):
        heads = [rmap.by_id[h] for h in rmap.heads if scope is None or h in scope]
        if len(heads) != 1:
            raise multiple_heads_error(arg.text, [h.revision for h in heads])
        return heads[0]
    rev = rmap.lookup(name)
    if scope is not None and rev.revision not in scope:
        raise RevisionArgumentError(f"{arg.text!r}: revision {rev.revision} is not on branch {arg.branch!r}")
    return rev


def _absolute(
    rmap: RevisionMap, arg: RevisionArgument, current: Sequence[str]
) -> tuple[Revision, ...]:
    """The revisions a non-relative (or anchored relative) argument names."""
    scope = _scope(rmap, arg)
    if arg.kind == "symbol":
        if arg.symbol == "base":
            return ()
        if arg.symbol == "current":
            return tuple(rmap.sorted(current))
        heads = [rmap.by_id[h] for h in rmap.heads if scope is None or h in scope]
        if arg.symbol == "head" and len(heads) > 1:
            raise multiple_heads_error(arg.text, [h.revision for h in heads])
        return tuple(heads)
    if arg.kind == "rev":
        rev = rmap.lookup(arg.rev or "")
        if scope is not None and rev.revision not in scope:
            raise RevisionArgumentError(
                f"{arg.text!r}: revision {rev.revision} is not on branch {arg.branch!r}"
            )
        return (rev,)
    start = _anchor(rmap, arg, scope)
    ends, _ = _walk(rmap, arg, start, scope)
    if len(ends) > 1:
        raise RevisionArgumentError(
            f"relative revision {arg.text!r} ends at a merge point's parents ({_ids(ends)}); "
            "name one of them"
        )
    return ends


# --- public ----------------------------------------------------------------------------------


def resolve(
    rmap: RevisionMap, text: str | Sequence[str] | None, current_heads: Sequence[str] = ()
) -> tuple[Revision, ...]:
    """The revisions an argument (or several) names; relative forms count from ``current_heads``."""
    if text is None:
        return ()
    if not isinstance(text, str):
        out: dict[str, Revision] = {}
        for item in text:
            for rev in resolve(rmap, item, current_heads):
                out[rev.revision] = rev
        return tuple(out.values())
    arg = parse(rmap, text)
    if arg.kind == "relative" and arg.anchor is None:
        scope = _scope(rmap, arg)
        applied = applied_revisions(rmap, current_heads)
        ends, walked = _walk(rmap, arg, _position(rmap, arg, applied, scope), scope)
        if len(ends) > 1:
            raise RevisionArgumentError(
                f"relative revision {arg.text!r} ends at a merge point's parents ({_ids(ends)})"
            )
        return ends
    return _absolute(rmap, arg, current_heads)


def upgrade_revisions(
    rmap: RevisionMap, destination: str, current_heads: Sequence[str]
) -> list[Revision]:
    """Revisions to apply to reach ``destination``, oldest first (parents and dependencies
    before children); only the destination's ancestors, never a sibling branch. Among the
    orders the graph allows, Alembic's: :func:`~mig_core.script.display.history_order`
    reversed (read down from the targets, a branch at a time)."""
    arg = parse(rmap, destination)
    applied = applied_revisions(rmap, current_heads)
    heads_text = ", ".join(current_heads) or "base"
    if arg.kind == "relative" and arg.anchor is None:
        if arg.steps < 0:
            raise RevisionArgumentError(
                f"Destination {destination} is not a valid upgrade target from current head(s) "
                f"{heads_text}: it goes down (use mig downgrade {destination})"
            )
        scope = _scope(rmap, arg)
        targets, _ = _walk(rmap, arg, _position(rmap, arg, applied, scope), scope)
    else:
        targets = _absolute(rmap, arg, current_heads)
        if arg.kind == "symbol" and arg.symbol == "base" and not arg.branch and applied:
            raise RevisionArgumentError(
                f"Destination base is not a valid upgrade target from current head(s) "
                f"{heads_text} (use mig downgrade base)"
            )
    for target in targets:
        if target.revision in applied and any(c in applied for c in target.nextrev):
            raise RevisionArgumentError(
                f"Destination {destination} is not a valid upgrade target from current head(s) "
                f"{heads_text}: {target.revision} is already applied and below them (use mig "
                f"downgrade {target.revision})"
            )
    needed = rmap.ancestors(t.revision for t in targets) - applied
    # Alembic's order: its walk down from the targets (history's order), reversed, so that a
    # branch's run of revisions comes as one block where the graph allows it (a history
    # tested on Alembic runs its revisions in the order it was tested in)
    from mig_core.script.display import history_order

    return history_order(rmap, rmap.sorted(needed))[::-1]


def downgrade_revisions(
    rmap: RevisionMap, destination: str, current_heads: Sequence[str]
) -> list[Revision]:
    """Revisions to unapply to reach ``destination``, newest first; revisions that descend from
    or depend on an unapplied one are unapplied too."""
    arg = parse(rmap, destination)
    applied = applied_revisions(rmap, current_heads)
    heads_text = ", ".join(current_heads) or "base"
    scope = _scope(rmap, arg)
    if arg.kind == "relative" and arg.anchor is None:
        if arg.steps > 0:
            raise RevisionArgumentError(
                f"Destination {destination} is not a valid downgrade target from current "
                f"head(s) {heads_text}: it goes up (use mig upgrade {destination})"
            )
        start = _position(rmap, arg, applied, scope)
        if start is None:
            where = f" on branch {arg.branch!r}" if arg.branch else ""
            raise RevisionArgumentError(
                f"Destination {destination} is not a valid downgrade target: nothing is "
                f"applied{where}"
            )
        _, walked = _walk(rmap, arg, start, scope)
        remove = rmap.descendants(r.revision for r in walked) & applied
    elif arg.kind == "symbol" and arg.symbol == "base":
        inside = applied if scope is None else applied & scope
        remove = rmap.descendants(inside) & applied
    else:
        targets = _absolute(rmap, arg, current_heads)
        if not targets and arg.kind == "relative":  # rev-N walked past a base
            _, walked = _walk(rmap, arg, _anchor(rmap, arg, scope), scope)
            remove = rmap.descendants([walked[-1].revision]) & applied
        else:
            for target in targets:
                if target.revision not in applied:
                    raise RevisionArgumentError(
                        f"Destination {destination} is not a valid downgrade target from current "
                        f"head(s) {heads_text}: {target.revision} is not applied"
                    )
            # what sits above a target must go, then whatever descends from or depends on that
            above = rmap.descendants(
                (t.revision for t in targets), include_dependencies=False, inclusive=False
            ) & applied
            remove = rmap.descendants(above) & applied
    from mig_core.script.display import history_order

    return history_order(rmap, rmap.sorted(remove, newest_first=True))  # Alembic's order too


def iterate_revisions(
    rmap: RevisionMap, upper: str | Sequence[str] | None, lower: str | Sequence[str] | None,
    inclusive: bool = False, implicit_base: bool = False,
) -> list[Revision]:
    """Revisions between ``lower`` and ``upper``, newest first: the ancestors of ``upper`` that
    descend from ``lower`` (``lower`` itself only when ``inclusive``; ``base``: all ancestors).

    With ``implicit_base`` (Alembic's keyword; OpenStack Neutron's ``run_sanity_checks`` asks
    ``iterate_revisions("contract@head", <current heads>, implicit_base=True)``), ``lower`` is
    what is applied rather than a point on ``upper``'s line: the answer is the ancestors of
    ``upper``, ``depends_on`` included, less ``lower`` and its ancestors, and a ``lower`` on
    another branch is no error.

    As in Alembic, "descend from ``lower``" follows ``down_revision`` only: ``depends_on``
    orders revisions but does not put another branch on ``lower``'s line, so ``x1:heads``
    leaves out a branch that merely depends on ``x1``. The order is ``history``'s
    (:func:`mig_core.script.display.history_order`)."""
    uppers = resolve(rmap, upper)
    lowers = resolve(rmap, lower)
    above = rmap.ancestors(u.revision for u in uppers)
    if implicit_base:
        above -= rmap.ancestors(low.revision for low in lowers)
        if inclusive:
            above.update(low.revision for low in lowers)
        from mig_core.script.display import history_order

        return history_order(rmap, [rmap.by_id[r] for r in above])
    for low in lowers:
        if low.revision not in above:
            raise RangeNotAncestorError(
                f"requested range {_text(lower)}:{_text(upper)} does not refer to "
                f"ancestor/descendant revisions along the same branch ({low.revision} is not "
                f"an ancestor of {_ids(uppers)})",
                lower=lower, upper=upper,
            )
    if lowers:
        above &= rmap.descendants(
            (low.revision for low in lowers), include_dependencies=False, inclusive=inclusive
        )
    from mig_core.script.display import history_order

    by_id = rmap.by_id
    return history_order(rmap, [by_id[r] for r in above])


class RangeNotAncestorError(RevisionArgumentError):
    """``lower:upper`` where ``lower`` is not an ancestor of ``upper`` (Alembic's name)."""

    def __init__(self, message: str, lower: object = None, upper: object = None) -> None:
        super().__init__(message)
        self.lower = lower
        self.upper = upper


def _text(arg: str | Sequence[str] | None) -> str:
    if arg is None:
        return "base"
    return arg if isinstance(arg, str) else ",".join(arg)


def resolve_heads_for_stamp(rmap: RevisionMap, revisions: Sequence[str]) -> tuple[str, ...]:
    """The revisions ``revisions`` name, as a heads set (``base`` contributes nothing; a
    revision below another one in the list is left out). ``stamp`` itself refuses such a list
    (:class:`StampOverlapError`) and also weighs the current heads (``runtime.steps.plan_stamp``)."""
    if isinstance(revisions, str):
        revisions = [revisions]
    ids: list[str] = []
    for text in revisions:
        ids.extend(r.revision for r in resolve(rmap, text))
    return rmap.filter_heads(ids)
