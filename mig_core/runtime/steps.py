"""Migration steps (run one revision's upgrade()/downgrade(), or stamp) and MigrationInfo.

A step knows how it moves the set of heads; the runner turns that into version-table rows.
:class:`MigrationInfo` is what ``on_version_apply`` callbacks receive (Alembic's attributes).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mig_core.errors import CommandError, RevisionArgumentError
from mig_core.runtime.versions import (
    ParentsOf,
    _is_ancestor_of_any,
    heads_after_downgrade,
    heads_after_upgrade,
)
from mig_core.script import paths


def _tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def make_parents_of(script_directory: Any) -> ParentsOf:
    """``rev -> down revisions + dependencies`` (resolved ids), cached for the run."""
    cache: dict[str, tuple[str, ...]] = {}
    revision_map = getattr(script_directory, "revision_map", None)

    def lookup(rev: str) -> Any:
        if revision_map is not None:
            try:
                return revision_map[rev]
            except (KeyError, TypeError):
                pass
        return script_directory.get_revision(rev)

    def parents_of(rev: str) -> tuple[str, ...]:
        found = cache.get(rev)
        if found is None:
            script = lookup(rev)
            deps = _tuple(getattr(script, "_resolved_dependencies", None))
            found = tuple(dict.fromkeys(_tuple(script.down_revisions) + deps))
            cache[rev] = found
        return found

    return parents_of


class MigrationInfo:
    """Passed to ``on_version_apply`` callbacks after each step (inside its transaction)."""

    def __init__(
        self,
        revision_map: Any,
        is_upgrade: bool,
        is_stamp: bool,
        up_revision_ids: Sequence[str],
        down_revision_ids: Sequence[str],
    ) -> None:
        self.revision_map = revision_map
        self.is_upgrade = is_upgrade
        self.is_stamp = is_stamp
        self.up_revision_ids = tuple(up_revision_ids)
        self.down_revision_ids = tuple(down_revision_ids)

    @property
    def is_migration(self) -> bool:
        """True for a revision's upgrade()/downgrade(), False for a stamp."""
        return not self.is_stamp

    @property
    def up_revision_id(self) -> str | None:
        return self.up_revision_ids[0] if self.up_revision_ids else None

    @property
    def source_revision_ids(self) -> tuple[str, ...]:
        return self.down_revision_ids if self.is_upgrade else self.up_revision_ids

    @property
    def destination_revision_ids(self) -> tuple[str, ...]:
        return self.up_revision_ids if self.is_upgrade else self.down_revision_ids

    def _scripts(self, ids: Sequence[str]) -> tuple[Any, ...]:
        if self.revision_map is None:
            return ()
        return tuple(self.revision_map.get_revision(r) for r in ids)

    @property
    def up_revision(self) -> Any:
        ups = self._scripts(self.up_revision_ids[:1])
        return ups[0] if ups else None

    @property
    def up_revisions(self) -> tuple[Any, ...]:
        return self._scripts(self.up_revision_ids)

    @property
    def down_revisions(self) -> tuple[Any, ...]:
        return self._scripts(self.down_revision_ids)

    @property
    def source_revisions(self) -> tuple[Any, ...]:
        """The scripts of :attr:`source_revision_ids` (the heads before the step)."""
        return self._scripts(self.source_revision_ids)

    @property
    def destination_revisions(self) -> tuple[Any, ...]:
        """The scripts of :attr:`destination_revision_ids` (the heads after the step)."""
        return self._scripts(self.destination_revision_ids)

    def __repr__(self) -> str:
        kind = "stamp" if self.is_stamp else ("upgrade" if self.is_upgrade else "downgrade")
        return (
            f"MigrationInfo({kind} {', '.join(self.down_revision_ids) or 'base'} -> "
            f"{', '.join(self.up_revision_ids) or 'base'})"
        )


class RevisionStep:
    """Run one revision's ``upgrade()`` or ``downgrade()``."""

    is_stamp = False

    def __init__(self, script: Any, is_upgrade: bool) -> None:
        self.script = script
        self.is_upgrade = is_upgrade
        self.revision: str = script.revision

    @property
    def direction(self) -> str:
        return "upgrade" if self.is_upgrade else "downgrade"

    @property
    def revisions(self) -> tuple[str, ...]:
        return (self.revision,)

    @property
    def checksum(self) -> str | None:
        """sha256 of the revision file: of the source its module was loaded from when the
        loader knows it (no second read of the file), else read from the file now."""
        from mig_core.script.code_cache import loaded_digest

        known = loaded_digest(getattr(self.script, "path", None))
        return known if known is not None else getattr(self.script, "checksum", None)

    def description(self) -> str:
        downs = ", ".join(_tuple(self.script.down_revisions)) or "base"
        if self.is_upgrade:
            return f"Running upgrade {downs} -> {self.revision}"
        return f"Running downgrade {self.revision} -> {downs}"

    def log_line(self) -> str:
        """The description and, as Alembic logs it, the revision's message."""
        doc = getattr(self.script, "doc", None)
        return f"{self.description()}, {doc}" if doc else self.description()

    def heads_after(self, heads: tuple[str, ...], parents_of: ParentsOf) -> tuple[str, ...]:
        if self.is_upgrade:
            return heads_after_upgrade(heads, self.revision, parents_of(self.revision))
        if self.revision not in heads:
            raise CommandError(
                f"cannot downgrade revision {self.revision!r}: it is not a current head "
                f"(heads: {', '.join(heads) or 'base'})"
            )
        return heads_after_downgrade(heads, self.revision, parents_of)

    def info(self, revision_map: Any, before: tuple[str, ...], after: tuple[str, ...]) -> Any:
        downs = tuple(h for h in (before if self.is_upgrade else after) if h != self.revision)
        parents = _normalized_down_revisions(self.script, revision_map)
        return MigrationInfo(
            revision_map, self.is_upgrade, False, (self.revision,), parents or downs
        )

    def infos(
        self, revision_map: Any, before: tuple[str, ...], after: tuple[str, ...],
        parents_of: ParentsOf,
    ) -> list[tuple[MigrationInfo, tuple[str, ...]]]:
        """What ``on_version_apply`` callbacks get for this step: ``(info, heads after)``."""
        return [(self.info(revision_map, before, after), after)]

    def function(self) -> Callable[..., Any]:
        """The revision's upgrade or downgrade function (imports the file once)."""
        module = self.script.module
        name = "upgrade" if self.is_upgrade else "downgrade"
        fn = getattr(module, name, None)
        if not callable(fn):
            from mig_core.errors import RevisionGraphError

            raise RevisionGraphError(f"{self.script.path}: no {name}() function")
        return fn  # type: ignore[no-any-return]


class StampStep:
    """Move the version table from one set of heads to another without running anything."""

    is_stamp = True
    script = None
    checksum = None

    def __init__(
        self,
        to_heads: Sequence[str],
        is_upgrade: bool = True,
        purge: bool = False,
        named: Sequence[str] | None = None,
    ):
        self.to_heads = tuple(to_heads)
        self.is_upgrade = is_upgrade
        self.purge = purge
        #: the revisions the command stamped (the history's ``revisions``); the other heads
        #: in ``to_heads`` were in the table already and stay
        self.named = self.to_heads if named is None else tuple(named)

    direction = "stamp"

    @property
    def revisions(self) -> tuple[str, ...]:
        return self.to_heads

    @property
    def revision(self) -> str:
        return " ".join(self.to_heads) or "base"

    def description(self) -> str:
        return f"Stamping {self.revision}"

    log_line = description

    def heads_after(self, heads: tuple[str, ...], parents_of: ParentsOf) -> tuple[str, ...]:
        return self.to_heads

    def info(self, revision_map: Any, before: tuple[str, ...], after: tuple[str, ...]) -> Any:
        return MigrationInfo(revision_map, self.is_upgrade, True, after, before)

    def infos(
        self, revision_map: Any, before: tuple[str, ...], after: tuple[str, ...],
        parents_of: ParentsOf,
    ) -> list[tuple[MigrationInfo, tuple[str, ...]]]:
        """One ``(info, heads after)`` per head the stamp moves, as Alembic reports stamps.

        A new head replacing the current heads on its line of descent is one step from them
        (an upgrade when it descends from one of them, else a downgrade with the old head as
        the "up" revision); a new head with none is inserted from base; a head removed
        without a replacement (``stamp base``) is a downgrade to base.
        """
        out: list[tuple[MigrationInfo, tuple[str, ...]]] = []
        removed = [h for h in before if h not in after]
        paired: set[str] = set()
        current = list(before)
        for target in after:
            if target in before:
                continue
            related = tuple(h for h in removed if _is_related(h, target, parents_of))
            paired.update(related)
            current = [h for h in current if h not in related] + [target]
            upward = not related or any(
                _is_ancestor_of_any(h, [target], parents_of) for h in related
            )
            if upward:
                info = MigrationInfo(revision_map, True, True, (target,), related)
            else:
                info = MigrationInfo(revision_map, False, True, related, (target,))
            out.append((info, tuple(current)))
        for head in removed:
            if head in paired:
                continue
            current = [h for h in current if h != head]
            out.append((MigrationInfo(revision_map, False, True, (head,), ()), tuple(current)))
        return out


class StampOverlapError(RevisionArgumentError):
    """A ``stamp`` whose revisions would leave a revision and one of its ancestors both in the
    version table (``stamp a1 b1`` with b1 above a1). Alembic writes such a table, or drops one
    of the two depending on what the table held; mig refuses and names them."""

    def __init__(self, message: str, lower: str, upper: str) -> None:
        super().__init__(message)
        self.lower = lower
        self.upper = upper


def plan_stamp(
    script_directory: Any, revisions: Sequence[str], heads: tuple[str, ...], purge: bool = False
) -> list[StampStep]:
    """One step setting the version table as Alembic's ``stamp`` of ``revisions`` does.

    Each argument concerns the current heads on its line (ancestors or descendants, through
    ``depends_on`` too; ``<branch>@base``: the branch's; plain ``base``: every head; ``heads``
    means the heads nothing depends on). Each stamped revision that is not already a current
    head replaces the concerned heads (all of them, as Alembic, but never a stamped one) when
    one of them is on its line, or else is added; when the arguments name no revision
    (``base``, ``<branch>@base``), the concerned heads are removed. With ``purge`` the table
    holds exactly the stamped revisions. Revisions that would leave one of them below another
    one in the table are refused (:class:`StampOverlapError`).
    """
    rmap = script_directory.revision_map
    wanted = [r for r in revisions if r]
    dests: list[str] = []
    anchors: set[str] = set()
    every_head = False
    for text in wanted:
        arg = paths.parse(rmap, text)
        if arg.kind == "symbol" and arg.symbol == "heads" and not arg.branch:
            found = list(rmap.real_heads())  # Alembic's: a head something depends on is not one
        else:
            found = [r.revision for r in paths.resolve(rmap, text, heads)]
        dests.extend(found)
        anchors.update(found)
        if arg.branch:
            owner = rmap.labels.get(arg.branch) or rmap.lookup(arg.branch)
            anchors.add(owner.revision)
        elif arg.kind == "symbol" and arg.symbol == "base":
            every_head = True
    dests = list(dict.fromkeys(dests))
    _check_overlap(rmap, dests, dests, "stamp")
    if purge:
        return [StampStep(tuple(dests), purge=True, named=dests)]
    near = rmap.ancestors(anchors) | rmap.descendants(anchors)
    concerned = [h for h in heads if every_head or h in near]
    rows = list(heads)
    if not dests:
        rows = [h for h in rows if h not in concerned]
    stamped = set(dests)
    for dest in dests:
        if dest in concerned:
            continue
        related = rmap.descendants([dest]) | rmap.ancestors([dest])
        if any(h in related for h in concerned):
            # as Alembic: every concerned head goes, except one that is itself stamped (Alembic
            # drops it too: `stamp heads` from a5, r8 wrote c6 alone)
            rows = [h for h in rows if h not in concerned or h in stamped]
        rows.append(dest)
    after = tuple(dict.fromkeys(rows))
    # a row no revision file defines is on no line, so nothing would replace it: refuse to
    # write it again beside the stamped revisions (``--purge``, or ``base``, removes it)
    paths.refuse_unknown_heads(rmap, after)
    _check_overlap(rmap, after, dests, "stamp")
    is_upgrade = bool(dests) and any(t not in heads for t in dests)
    return [StampStep(after, is_upgrade=is_upgrade, named=dests)]


def _check_overlap(rmap: Any, rows: Sequence[str], stamped: Sequence[str], what: str) -> None:
    """Refuse ``rows`` where a revision is below another one (through ``down_revision``, or a
    ``depends_on`` of one of them that descends from it) and one of the two is ``stamped``.
    A revision another one only depends on stays a row, as ``upgrade`` leaves it."""
    rows = [r for r in rows if r in rmap]  # a row no file defines any more has no place
    if len(rows) < 2:
        return
    applied = rmap.ancestors(rows)
    stamped_set = set(stamped)
    for low in rows:
        kids = [c for c in rmap[low].nextrev if c in applied]
        if not kids:
            continue
        for high in rows:
            if high == low or not (low in stamped_set or high in stamped_set):
                continue
            if rmap.ancestors([high]).intersection(kids):
                direct = low in rmap.ancestors([high], include_dependencies=False)
                how = "" if direct else " (through depends_on)"
                raise StampOverlapError(
                    f"{what}: {low} is an ancestor of {high}{how}; the version table cannot hold "
                    f"both (stamp {high} alone, or {low} alone)",
                    lower=low, upper=high,
                )


def _is_related(a: str, b: str, parents_of: ParentsOf) -> bool:
    """Whether ``a`` and ``b`` are on one line of descent (one is an ancestor of the other)."""
    return _is_ancestor_of_any(a, [b], parents_of) or _is_ancestor_of_any(b, [a], parents_of)


def _normalized_down_revisions(script: Any, revision_map: Any) -> tuple[str, ...]:
    """``down_revisions`` plus the resolved ``depends_on`` ids (what Alembic reports as a
    step's ``down_revision_ids``)."""
    found = getattr(script, "_normalized_down_revisions", None)
    return _tuple(script.down_revisions) if found is None else tuple(found)


def plan_revisions(scripts: Sequence[Any], is_upgrade: bool) -> list[RevisionStep]:
    """Steps for revisions in run order (oldest first to upgrade, newest first to downgrade)."""
    return [RevisionStep(s, is_upgrade) for s in scripts]
