"""``mig log --verify``: the files of the applied revisions compared with the checksums the
history table recorded when they ran.

A revision is *applied* when the version table names it or one of its descendants (parents and
``depends_on`` targets, per the revision graph). Its recorded checksum is the one of its last
successful ``upgrade`` row in this project's history, or of a later ``repair`` row (``mig
repair`` accepted the file as it is then); a successful ``downgrade`` row after it means that
run's DDL was undone, so the revision, applied again without running (a stamp), has nothing to
compare with. A ``repair`` row without a checksum says the revision's file was removed on
purpose: while no file defines it, it is ``removed`` rather than ``missing``. Stamps are not
looked at: they change no schema. The history is read in one query; no revision module is
imported (digests come from the code cache, or the bytes).

A file whose only difference from what ran is its line endings (LF <-> CRLF, as git's
``core.autocrlf`` converts them) verifies: the recorded digest is of the bytes that ran, and the
file is compared as it is, then with LF and with CRLF line endings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mig_core.errors import CommandError, ConfigError, RevisionGraphError

if TYPE_CHECKING:
    from mig_core.runtime.migration import MigrationContext

OK = "ok"
CHANGED = "changed"
MISSING = "missing"
UNVERIFIED = "unverified"
#: missing, and ``mig repair`` recorded that its file was removed on purpose
REMOVED = "removed"
#: the statuses that make ``mig log --verify`` exit 1
FAILING = (CHANGED, MISSING)
STATUSES = (OK, CHANGED, MISSING, UNVERIFIED, REMOVED)
#: the history direction of ``mig repair``'s rows
REPAIR = "repair"

#: the history columns a verification reads
_COLUMNS = ("id", "revisions", "direction", "checksum", "finished_at", "username", "hostname",
            "from_heads", "to_heads")


@dataclass
class Finding:
    """What ``--verify`` says of one applied revision."""

    revision: str
    status: str
    #: the revision file, None when no file defines the revision
    path: str | None = None
    recorded_checksum: str | None = None
    current_checksum: str | None = None
    #: the last successful upgrade row: its id, finish time and user@host
    history_id: int | None = None
    applied_at: Any = None
    applied_by: str | None = None
    #: why a revision is unverified, missing or removed, or that only its line endings differ
    reason: str | None = None
    #: the ``mig repair`` row whose checksum (or removal) counts: its id, time and user@host
    repair_id: int | None = None
    repaired_at: Any = None
    repaired_by: str | None = None


@dataclass
class History:
    """The history as far as verification needs it, per revision."""

    #: the last successful upgrade row of each revision
    upgrades: dict[str, dict[str, Any]]
    #: revisions with a successful downgrade row after their last upgrade row -> that row
    downgrades: dict[str, dict[str, Any]]
    #: revisions with a repair row recording a checksum after their last upgrade -> the last
    repaired: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: revisions with a repair row recording their removal after their last upgrade -> the last
    removed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, rev: str, row: dict[str, Any]) -> None:
        """Take in the next row (in id order) naming ``rev``: an upgrade or a downgrade ends
        what earlier repair rows said (the file that runs, or nothing, is what counts then)."""
        direction = row["direction"]
        if direction == REPAIR:
            (self.repaired if row["checksum"] else self.removed)[rev] = row
            return
        self.repaired.pop(rev, None)
        self.removed.pop(rev, None)
        if direction == "upgrade":
            self.upgrades[rev] = row
            self.downgrades.pop(rev, None)
        elif rev in self.upgrades:
            self.downgrades[rev] = row

    def applied(self) -> list[str]:
        """Revisions whose last successful row is an upgrade, in the order they ran."""
        rows = sorted(
            (row["id"], rev) for rev, row in self.upgrades.items() if rev not in self.downgrades
        )
        return [rev for _, rev in rows]


def read_history(ctx: MigrationContext) -> History | None:
    """This project's successful upgrade, downgrade and repair rows, in one query; None when the
    table does not exist. Scoped as ``mig log`` is: the rows of the run's version table and
    those written before the history recorded it."""
    import sqlalchemy as sa

    from mig_core.runtime.history import HistoryWriter

    writer = HistoryWriter(ctx)
    if not writer.has_table():
        return None
    table = writer.table
    directions = ("upgrade", "downgrade", REPAIR)
    query = (
        sa.select(*(table.c[name] for name in _COLUMNS))
        .where(table.c.success == sa.true(), table.c.direction.in_(directions))
        .order_by(table.c.id)
    )
    if writer.has_scope_column():
        query = query.where(writer.own_rows())
    conn = ctx.connection
    assert conn is not None
    history = History({}, {})
    for found in conn.execute(query):
        row = dict(found._mapping)
        for rev in row["revisions"].split():
            history.add(rev, row)
    return history


def verify(ctx: MigrationContext, command: str = "log --verify") -> list[Finding]:
    """One finding per revision applied in the database of ``ctx``: those the graph knows in
    graph order (oldest first), then those no file defines. ``command`` begins the errors."""
    from mig_core.runtime.history import history_table_name

    if history_table_name(ctx.opts) is None:
        raise ConfigError(
            f"{command}: the history table is turned off (history_table = false), so no "
            "checksum was recorded to verify against; set history_table to keep one"
        )
    heads = ctx.get_current_heads()
    if not heads:
        return []
    history = read_history(ctx)
    if history is None:
        from mig_core.runtime.history import HistoryWriter

        table = HistoryWriter(ctx).table
        name, table_name = table.fullname, table.name
        raise CommandError(
            f"{command}: the history table {name} does not exist, so no checksum was "
            f"recorded to verify against (history_table = {table_name}; mig writes it from the next "
            "upgrade, downgrade or stamp, or from ensure_version)"
        )
    revision_map = ctx.script.revision_map  # type: ignore[union-attr]
    known = [head for head in heads if head in revision_map]
    unknown = [head for head in heads if head not in revision_map]
    applied = revision_map.ancestors(known)
    below: dict[str, dict[str, Any]] = {}
    if unknown:
        # the graph cannot say what lies below a head no file defines: the history can
        by_history = history.applied()
        applied |= revision_map.ancestors(rev for rev in by_history if rev in revision_map)
        unknown += [rev for rev in by_history if rev not in revision_map and rev not in unknown]
        below = _below(unknown, history)
        applied |= revision_map.ancestors(rev for rev in below if rev in revision_map)
        unknown += [rev for rev in below if rev not in revision_map and rev not in unknown]
    findings = [_check_file(script, history) for script in revision_map.sorted(applied)]
    missing = [_missing(rev, history, below.get(rev)) for rev in unknown]
    # in the order they ran; those the history does not know last
    missing.sort(key=lambda f: (f.history_id is None, f.history_id or 0))
    return findings + missing


def _below(unknown: list[str], history: History) -> dict[str, dict[str, Any]]:
    """The revisions the upgrades of the revisions no file defines replaced as heads (their
    parents that were heads then: ``from_heads`` less ``to_heads`` of each one's last upgrade
    row), and theirs in turn for those no file defines either -> that upgrade row. A parent
    that was only stamped, or applied by Alembic, has no upgrade row of its own, so without
    this nothing would say it is applied."""
    found: dict[str, dict[str, Any]] = {}
    queue = list(unknown)
    while queue:
        row = history.upgrades.get(queue.pop())
        if row is None:
            continue
        for rev in sorted(set(row["from_heads"].split()) - set(row["to_heads"].split())):
            if rev not in found and rev not in unknown:
                found[rev] = row
                queue.append(rev)
    return found


def _who(row: dict[str, Any]) -> str | None:
    return "@".join(p for p in (row["username"], row["hostname"]) if p) or None


def _applied_row(finding: Finding, row: dict[str, Any]) -> None:
    finding.history_id = row["id"]
    finding.applied_at = row["finished_at"]
    finding.applied_by = _who(row)
    finding.recorded_checksum = row["checksum"]


def _repair_row(finding: Finding, row: dict[str, Any]) -> None:
    finding.repair_id = row["id"]
    finding.repaired_at = row["finished_at"]
    finding.repaired_by = _who(row)


def _check_file(script: Any, history: History) -> Finding:
    rev = script.revision
    finding = Finding(rev, UNVERIFIED, path=script.path)
    row = history.upgrades.get(rev)
    if row is None:
        finding.reason = ("no upgrade of it in the history (stamped, applied before the history "
                          "was kept, or by Alembic)")
        return finding
    _applied_row(finding, row)
    if rev in history.downgrades:
        undone = history.downgrades[rev]["id"]
        finding.reason = (f"downgraded (history row {undone}) after that upgrade, and applied "
                          "again without running (stamped)")
        return finding
    repaired = history.repaired.get(rev)
    if repaired is not None:  # mig repair accepted the file as it was then
        _repair_row(finding, repaired)
        finding.recorded_checksum = repaired["checksum"]
    if not finding.recorded_checksum:
        finding.reason = f"history row {row['id']} has no checksum"
        return finding
    finding.current_checksum = _digest(script.path)
    if finding.current_checksum == finding.recorded_checksum:
        finding.status = OK
    elif _same_but_line_endings(script.path, finding.recorded_checksum):
        finding.status = OK
        finding.reason = ("only its line endings differ from the file mig repair accepted"
                          if repaired is not None else
                          "only its line endings differ from the file that ran")
    else:
        finding.status = CHANGED
    return finding


def _missing(rev: str, history: History, child: dict[str, Any] | None = None) -> Finding:
    """A revision no file defines; ``child``: the upgrade row that replaced it as a head (when
    the version table does not name it)."""
    reason = "no revision file defines it"
    finding = Finding(rev, MISSING, reason=reason)
    row = history.upgrades.get(rev)
    if row is not None:
        _applied_row(finding, row)
    elif child is not None:
        finding.reason = (f"{reason}; the upgrade of {child['revisions']} (history row "
                          f"{child['id']}) ran on top of it (no upgrade of it in the history)")
    else:
        finding.reason = f"{reason}; the version table names it (no upgrade of it in the history)"
    removed = history.removed.get(rev)
    if removed is not None:
        _repair_row(finding, removed)
        finding.status = REMOVED
        finding.reason = "no revision file defines it; mig repair recorded it as removed on purpose"
    return finding


def _digest(path: str) -> str:
    """The file's sha256 as the runtime records it (see :func:`code_cache.file_digest`)."""
    from mig_core.script.code_cache import file_digest

    try:
        return file_digest(path)
    except OSError as exc:
        raise RevisionGraphError(f"{path}: cannot read revision file: {exc.strerror}") from None


def _same_but_line_endings(path: str, recorded: str) -> bool:
    """Whether the source at ``path``, with LF or with CRLF line endings, has the digest
    ``recorded`` (a compiled ``.pyc`` is compared as it is only)."""
    if path.endswith((".pyc", ".pyo")):
        return False
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return False
    lf = data.replace(b"\r\n", b"\n")
    return recorded in (
        hashlib.sha256(lf).hexdigest(),
        hashlib.sha256(lf.replace(b"\n", b"\r\n")).hexdigest(),
    )

