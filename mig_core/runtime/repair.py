"""``mig repair``: accept the files of applied revisions as they are now, for ``mig log --verify``.

The history table is append-only, so nothing recorded is rewritten: for each ``changed``
revision a ``repair`` row records the file's current checksum, and for each ``missing`` one a
``repair`` row without a checksum records that its file was removed on purpose. Verification
then compares with the newest of the last upgrade and a later repair row (see :mod:`.verify`).
Runs under the run lock, like ``stamp``; the rows are written in one transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mig_core.errors import ConfigError, ResolutionError, RevisionArgumentError
from mig_core.runtime.verify import CHANGED, MISSING, REPAIR, Finding, verify

if TYPE_CHECKING:
    from mig_core.runtime.migration import MigrationContext

#: the statuses ``mig repair`` acts on
REPAIRABLE = (CHANGED, MISSING)


@dataclass
class Repair:
    """One revision ``mig repair`` recorded (or, on a dry run, would record)."""

    revision: str
    #: what ``log --verify`` said of it: ``changed`` or ``missing``
    status: str
    path: str | None
    #: the checksum compared with until now (None when none was recorded)
    previous_checksum: str | None
    #: the checksum the repair row records; None: the revision was removed on purpose
    checksum: str | None
    #: the id of the repair row written; None on a dry run
    history_id: int | None = None


@dataclass
class DatabaseRepair:
    """What ``mig repair`` found and did in one database."""

    findings: list[Finding]
    repairs: list[Repair]
    #: revisions named on the command line that this database has applied but that need no
    #: repair (``ok``, ``unverified`` or ``removed``)
    skipped: list[Finding]


def resolve(script: Any, names: Sequence[str], applied: Iterable[str]) -> set[str]:
    """The applied revision ids ``names`` designate: ids, prefixes, labels, ``head(s)``
    (through the revision graph), or the id (or a unique prefix) of an applied revision no
    file defines any more. A name designating nothing applied is an error (exit 2)."""
    applied = set(applied)
    wanted: set[str] = set()
    for name in names:
        if name in applied:
            wanted.add(name)
            continue
        try:
            found = [rev.revision for rev in script.get_revisions(name)]
        except ResolutionError:
            found = [rev for rev in applied if rev.startswith(name)] if name else []
            if len(found) > 1:
                raise RevisionArgumentError(
                    f"repair: {name!r} is a prefix of several applied revisions: "
                    f"{', '.join(sorted(found))}"
                ) from None
            if not found:
                raise RevisionArgumentError(
                    f"repair: {name!r} names no revision file nor any revision the database "
                    "has applied"
                ) from None
        if not found:
            raise RevisionArgumentError(f"repair: {name!r} names no revision to repair")
        for rev in found:
            if rev not in applied:
                raise RevisionArgumentError(
                    f"repair: {rev} is not applied to the database (neither the version table "
                    "nor the revisions below its heads name it), so it has no recorded checksum "
                    "to repair"
                )
        wanted.update(found)
    return wanted


def select(
    findings: list[Finding], wanted: set[str] | None
) -> tuple[list[Finding], list[Finding]]:
    """(the findings to repair, the named ones needing none) among ``findings``; ``wanted``
    None: every ``changed`` and ``missing`` revision (and none named)."""
    if wanted is None:
        return [f for f in findings if f.status in REPAIRABLE], []
    chosen = [f for f in findings if f.revision in wanted]
    return ([f for f in chosen if f.status in REPAIRABLE],
            [f for f in chosen if f.status not in REPAIRABLE])


def repair(
    ctx: MigrationContext, heads: Sequence[str], wanted: set[str] | None, dry_run: bool = False
) -> DatabaseRepair:
    """Verify the database of ``ctx`` and append a repair row per revision to repair (none on
    a ``dry_run``). Online only; called under the run lock unless ``dry_run``."""
    from mig_core.runtime.history import HistoryWriter
    from mig_core.runtime.runner import interrupted_run_error

    findings = verify(ctx, command="repair")
    history = HistoryWriter(ctx)
    if not history.enabled:  # a dialect no plugin serves, with no history_table set
        raise ConfigError(
            f"repair: mig keeps no history table on dialect {ctx.dialect.name!r}; set "
            "history_table to keep one"
        )
    interrupted = history.interrupted() if findings else None
    if interrupted is not None:  # resume or stamp the interrupted revision first
        raise interrupted_run_error(ctx, interrupted, tuple(heads))
    targets, skipped = select(findings, wanted)
    repairs = [
        Repair(f.revision, f.status, f.path, f.recorded_checksum,
               f.current_checksum if f.status == CHANGED else None)
        for f in targets
    ]
    if dry_run or not repairs:
        return DatabaseRepair(findings, repairs, skipped)
    with ctx.begin_transaction(_per_migration=True):
        history.ensure()  # an older mig's table gets its version_table column first
        for item in repairs:
            item.history_id = history.record(REPAIR, item.revision, heads, item.checksum)
    return DatabaseRepair(findings, repairs, skipped)
