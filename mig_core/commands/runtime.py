"""The commands that run env.py: upgrade, downgrade, stamp, current, ensure_version, log, repair.

Each builds an :class:`~mig_core.runtime.environment.EnvironmentContext` with a plan function
``fn(heads, ctx) -> steps`` and runs env.py; the plan is made after the run lock is held and
the heads have been read again, so a second concurrent ``upgrade head`` finds nothing to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from mig_core.errors import CommandError, RevisionArgumentError, UsageError

if TYPE_CHECKING:
    from mig_core.config import Config
    from mig_core.runtime.migration import MigrationContext
    from mig_core.runtime.repair import DatabaseRepair, Repair
    from mig_core.runtime.verify import Finding


def _script(config: Config) -> Any:
    from mig_core.script import ScriptDirectory

    return ScriptDirectory.from_config(config)


def _run(
    config: Config,
    script: Any,
    fn: Callable[[tuple[str, ...], MigrationContext], Any],
    **env_opts: Any,
) -> None:
    from mig_core.runtime.environment import EnvironmentContext, run_env

    timeout = env_opts.get("lock_timeout")
    if timeout is not None and not timeout >= 0:  # also NaN
        raise UsageError(f"--lock-timeout must be 0 or more seconds, not {timeout:g}")
    env = EnvironmentContext(config, script, fn, **env_opts)
    run_env(env)


def _split_range(revision: str, sql: bool, command: str) -> tuple[str | None, str]:
    """``start:end`` (offline only) -> (start, end)."""
    if ":" not in revision:
        return None, revision
    if not sql:
        raise RevisionArgumentError(
            f"{command}: a range ({revision!r}) is only allowed with --sql"
        )
    start, _, end = revision.partition(":")
    if not start or not end:
        raise RevisionArgumentError(f"{command}: bad range {revision!r}; use start:end")
    return start, end


def _resolve_start(script: Any, start: str | None) -> str | None:
    """The starting revision of an offline range as full id(s) (``base`` is None; ``heads``:
    every head, so ``downgrade --sql heads:base`` works with several heads; ``label@base``
    adds none)."""
    if start is None or start == "base":
        return None
    ids: list[str] = []
    for part in start.replace(",", " ").split():
        if part == "heads" or part.endswith("@heads"):
            found = script.as_revision_number(part) or ()
            ids.extend([found] if isinstance(found, str) else found)
        elif (rev := script.get_revision(part)) is not None:
            ids.append(str(rev.revision))
    return " ".join(dict.fromkeys(ids)) or None


# --- writing commands --------------------------------------------------------------------------


def _refuse_alembic_left_behind(ctx: MigrationContext) -> None:
    """Stop a writing command, even one with nothing to do, on a database that Alembic's
    ``alembic_version`` tracks while the config names no version table (see VersionStore)."""
    if not ctx.as_sql and not ctx.version_store.exists():
        ctx.version_store.refuse_alembic_table_left_behind()


def _refuse_resume_offline(resume: bool, sql: bool, command: str,
                           skip_interrupted: bool = False) -> None:
    if skip_interrupted and not resume:
        raise UsageError(
            f"{command}: --skip-interrupted goes with --resume: it skips the statement that "
            "was running when the run --resume continues stopped"
        )
    if resume and sql:
        raise UsageError(
            f"{command}: --resume runs the rest of a half-applied revision on the database; "
            "it does not apply to an SQL script (--sql)"
        )


def upgrade(
    config: Config,
    revision: str,
    sql: bool = False,
    tag: str | None = None,
    lock_timeout: float | None = None,
    resume: bool = False,
    skip_interrupted: bool = False,
) -> None:
    """Upgrade the database to ``revision`` (``sql=True``: write the SQL script)."""
    from mig_core.runtime.steps import plan_revisions
    from mig_core.script.paths import refuse_overlapping_heads

    _refuse_resume_offline(resume, sql, "upgrade", skip_interrupted)
    script = _script(config)
    start, destination = _split_range(revision, sql, "upgrade")

    def plan(heads: tuple[str, ...], ctx: MigrationContext) -> list[Any]:
        _refuse_alembic_left_behind(ctx)
        refuse_overlapping_heads(script.revision_map, heads)
        return plan_revisions(script.upgrade_revisions(destination, heads), is_upgrade=True)

    _run(
        config,
        script,
        plan,
        as_sql=sql,
        starting_rev=_resolve_start(script, start),
        destination_rev=destination,
        tag=tag,
        lock_timeout=lock_timeout,
        resume=resume,
        skip_interrupted=skip_interrupted,
    )


def downgrade(
    config: Config,
    revision: str,
    sql: bool = False,
    tag: str | None = None,
    lock_timeout: float | None = None,
    resume: bool = False,
    skip_interrupted: bool = False,
) -> None:
    """Revert the database to ``revision`` (``sql=True`` needs a ``start:end`` range)."""
    from mig_core.runtime.steps import plan_revisions
    from mig_core.script.paths import refuse_overlapping_heads

    _refuse_resume_offline(resume, sql, "downgrade", skip_interrupted)
    script = _script(config)
    start, destination = _split_range(revision, sql, "downgrade")
    if sql and start is None:
        raise UsageError(
            "downgrade --sql needs a start:end range (e.g. head:base or ae10:-1): without a "
            "database there is no current revision to start from"
        )

    def plan(heads: tuple[str, ...], ctx: MigrationContext) -> list[Any]:
        _refuse_alembic_left_behind(ctx)
        refuse_overlapping_heads(script.revision_map, heads)
        return plan_revisions(script.downgrade_revisions(destination, heads), is_upgrade=False)

    _run(
        config,
        script,
        plan,
        as_sql=sql,
        starting_rev=_resolve_start(script, start),
        destination_rev=destination,
        tag=tag,
        lock_timeout=lock_timeout,
        resume=resume,
        skip_interrupted=skip_interrupted,
    )


def stamp(
    config: Config,
    revisions: str | Sequence[str],
    sql: bool = False,
    tag: str | None = None,
    purge: bool = False,
    lock_timeout: float | None = None,
) -> None:
    """Set the version table to ``revisions`` without running migrations."""
    from mig_core.runtime.steps import plan_stamp

    script = _script(config)
    wanted = [revisions] if isinstance(revisions, str) else list(revisions)
    starts: dict[str | None, str] = {}  # resolved start -> the start as written
    targets: list[str] = []
    for rev in wanted:
        if ":" in rev:
            written, end = _split_range(rev, sql, "stamp")
            starts.setdefault(_resolve_start(script, written), str(written))
            targets.append(end)
        else:
            targets.append(rev)
    if len(starts) > 1:
        raise RevisionArgumentError(
            "stamp --sql: the ranges start at different revisions ("
            + ", ".join(starts.values())
            + "); a script has one starting point, so every start:end range must share "
            "its start (e.g. a1:b1 a1:c1)"
        )
    starting_rev = next(iter(starts)) if starts else None

    def plan(heads: tuple[str, ...], ctx: MigrationContext) -> list[Any]:
        _refuse_alembic_left_behind(ctx)
        return plan_stamp(script, targets, heads, purge=purge)

    _run(
        config,
        script,
        plan,
        as_sql=sql,
        starting_rev=starting_rev,
        destination_rev=" ".join(targets),
        tag=tag,
        lock_timeout=lock_timeout,
    )


def ensure_version(config: Config, sql: bool = False, lock_timeout: float | None = None) -> None:
    """Create the version table (and the history table) if they are missing, under the run
    lock; a history table an older mig made gets its ``version_table`` column."""
    script = _script(config)

    def plan(heads: tuple[str, ...], ctx: MigrationContext) -> list[Any]:
        from mig_core.runtime.history import HistoryWriter

        _refuse_alembic_left_behind(ctx)
        with ctx.begin_transaction(_per_migration=True):
            HistoryWriter(ctx).ensure()  # first, as upgrade does (see the runner)
            ctx.version_store.ensure()
        return []

    _run(config, script, plan, as_sql=sql, lock_timeout=lock_timeout)


def repair(
    config: Config,
    revisions: str | Sequence[str] | None = None,
    dry_run: bool = False,
    sql: bool = False,
    tag: str | None = None,
    lock_timeout: float | None = None,
    as_json: bool = False,
) -> list[dict[str, Any]]:
    """Append ``repair`` history rows accepting the files of the ``changed`` applied revisions
    as they are now and recording the ``missing`` ones as removed on purpose (``revisions``:
    only those), under the run lock; ``dry_run``: say what would be recorded, write nothing.
    Returns one record per revision repaired (see :func:`_repair_json`); ``as_json`` prints
    them instead of the text."""
    from mig_core.runtime import repair as repairs
    from mig_core.runtime.verify import verify

    if sql:
        raise UsageError(
            "repair --sql: repair compares the files with the checksums recorded in the "
            "database's history table, and offline scripts never write that table; run it "
            "against the database (--dry-run shows what it would record)"
        )
    script = _script(config)
    names = [revisions] if isinstance(revisions, str) else list(revisions or ())
    wanted: set[str] | None = None
    if dry_run:
        found = _read_each(config, script, lambda ctx: repairs.repair(
            ctx, ctx.get_current_heads(), None, dry_run=True), tag=tag)
        if names:
            wanted = repairs.resolve(script, names, _applied(found))
            for _, result in found:
                result.repairs = [r for r in result.repairs if r.revision in wanted]
                result.skipped = repairs.select(result.findings, wanted)[1]
        return _report_repairs(config, script, found, dry_run=True, as_json=as_json)
    if names:  # checked before anything is written, in every database
        checked = _read_each(config, script, lambda ctx: verify(ctx, command="repair"), tag=tag)
        wanted = repairs.resolve(
            script, names, (f.revision for _, findings in checked for f in findings))
    done: list[tuple[str, DatabaseRepair]] = []

    def plan(heads: tuple[str, ...], ctx: MigrationContext) -> list[Any]:
        done.append((ctx.database_name(), repairs.repair(ctx, heads, wanted)))
        return []

    _run(config, script, plan, tag=tag, lock_timeout=lock_timeout)
    if not done:
        raise CommandError(
            "env.py did not call context.run_migrations(), so the database was not repaired"
        )
    return _report_repairs(config, script, done, dry_run=False, as_json=as_json)


def _applied(found: list[tuple[str, DatabaseRepair]]) -> list[str]:
    return [f.revision for _, result in found for f in result.findings]


def _report_repairs(
    config: Config, script: Any, found: list[tuple[str, DatabaseRepair]], dry_run: bool,
    as_json: bool,
) -> list[dict[str, Any]]:
    """Print what ``repair`` did (as text, or ``as_json``) and return its records."""
    records = [_repair_json(database, item) for database, result in found
               for item in result.repairs]
    if as_json:
        config.print_stdout(json.dumps(records, indent=2))
    else:
        _print_repairs(config, script, found, dry_run)
    return records


def _repair_json(database: str, item: Repair) -> dict[str, Any]:
    """A revision ``repair`` recorded (or would record) for ``--json`` and ``command.repair``
    (keys in this order; documented in docs/cli.md)."""
    return {
        "database": database,
        "revision": item.revision,
        "action": "removed" if item.checksum is None else "accepted",
        "path": item.path,
        "checksum": item.checksum,
        "recorded_checksum": item.previous_checksum,
        "history_id": item.history_id,
    }


def _print_repairs(
    config: Config, script: Any, found: list[tuple[str, DatabaseRepair]], dry_run: bool
) -> None:
    """One line per revision repaired (or skipped when named), then a summary, per database."""
    several = len(found) > 1
    indent = "  " if several else ""
    for database, result in found:
        if several:
            config.print_stdout(f"{database}:")
        repaired = {item.revision: item for item in result.repairs}
        skipped = {finding.revision for finding in result.skipped}
        for finding in result.findings:  # in verify's order
            if finding.revision in repaired:
                line = _repair_line(repaired[finding.revision], script.dir, dry_run)
            elif finding.revision in skipped:
                why = f": {finding.reason}" if finding.reason and finding.status != "ok" else ""
                line = (f"{'skipped':<10}  {finding.revision}  {finding.status}, nothing to "
                        f"repair{why}")
            else:
                continue
            config.print_stdout(indent + line)
        config.print_stdout(indent + _repair_summary(result, dry_run))


def _repair_line(item: Repair, base: str, dry_run: bool) -> str:
    row = "" if item.history_id is None else f" (history row {item.history_id})"
    if item.checksum is None:
        verb = "would record" if dry_run else "recorded"
        return (f"{'removed':<10}  {item.revision}  no revision file defines it: {verb} as "
                f"removed on purpose{row}")
    verb = "would accept" if dry_run else "accepted"
    was = (item.previous_checksum or "none")[:12]
    return (f"{'repaired':<10}  {item.revision}  {_relative(item.path, base)}: {verb} checksum "
            f"{item.checksum[:12]} (recorded: {was}){row}")


def _repair_summary(result: DatabaseRepair, dry_run: bool) -> str:
    from mig_core.runtime.verify import CHANGED, MISSING

    n = len(result.repairs)
    counts = ", ".join(
        f"{sum(1 for r in result.repairs if r.status == status)} {status}"
        for status in (CHANGED, MISSING)
    )
    applied = len(result.findings)
    if not n:
        return f"nothing to repair ({applied} applied revision{'s' if applied != 1 else ''})"
    plural = "s" if n != 1 else ""
    if dry_run:
        return f"{n} revision{plural} to repair ({counts}); dry run, nothing written"
    return f"{n} revision{plural} repaired ({counts})"


# --- reading commands --------------------------------------------------------------------------


def _read_each(
    config: Config, script: Any, reader: Callable[[MigrationContext], Any],
    tag: str | None = None,
) -> list[tuple[str, Any]]:
    """Run env.py read-only (no lock, nothing written); ``(database, reader(ctx))`` per database
    (``tag``: ``context.get_tag_argument()`` for env.py).

    A multi-database env.py (the ``multidb`` template) calls ``run_migrations()`` once per
    database; each call is read. The database is named by its URL, password hidden.
    """
    found: list[tuple[str, Any]] = []

    def plan(heads: tuple[str, ...], ctx: MigrationContext) -> list[Any]:
        found.append((ctx.database_name(), reader(ctx)))
        return []

    _run(config, script, plan, run_lock=False, **({"tag": tag} if tag is not None else {}))
    if not found:
        raise CommandError(
            "env.py did not call context.run_migrations(), so the database was not read"
        )
    return found


def database_heads(config: Config) -> tuple[str, ...]:
    """The heads in the database's version table (runs env.py read-only)."""
    script = _script(config)
    per_database = _read_each(config, script, lambda ctx: tuple(ctx.get_current_heads()))
    heads: list[str] = []
    for _, found in per_database:
        heads.extend(h for h in found if h not in heads)
    return tuple(heads)


def _describe_head(script: Any, rev: str, graph_heads: set[str]) -> dict[str, Any]:
    try:
        sc = script.get_revision(rev)
    except Exception:
        return {"revision": rev, "is_head": False, "known": False, "path": None, "doc": None,
                "branch_labels": [], "down_revisions": [], "is_branch_point": False,
                "is_merge_point": False}
    return {
        "revision": rev,
        "is_head": rev in graph_heads,
        "known": True,
        "path": getattr(sc, "path", None),
        "doc": getattr(sc, "doc", None),
        "branch_labels": sorted(getattr(sc, "branch_labels", None) or ()),
        "down_revisions": list(getattr(sc, "down_revisions", None) or ()),
        "is_branch_point": bool(getattr(sc, "is_branch_point", False)),
        "is_merge_point": bool(getattr(sc, "is_merge_point", False)),
    }


def current(
    config: Config, verbose: bool = False, check_heads: bool = False, as_json: bool = False
) -> None:
    """Print the database's current revision(s): ``<rev> (head)`` lines, ``-v``, ``--json``.

    ``-v`` first names the database (``Current revision(s) for <url>:``, password hidden).
    With several databases (multidb), each is shown under its URL; ``--check-heads`` needs all.
    """
    script = _script(config)
    per_database = _read_each(config, script, lambda ctx: tuple(ctx.get_current_heads()))
    graph_heads = set(script.get_heads())
    several = len(per_database) > 1
    reports: list[dict[str, Any]] = []
    behind = []
    for database, heads in per_database:
        entries = [_describe_head(script, h, graph_heads) for h in heads]
        at_heads = set(heads) == graph_heads
        if not at_heads:
            behind.append((database, heads))
        reports.append({"database": database, "heads": list(heads), "at_head": at_heads,
                        "revisions": entries})
    if as_json:
        if several:
            body: Any = {"at_head": not behind, "databases": reports}
        else:
            body = {k: v for k, v in reports[0].items() if k != "database"}
        config.print_stdout(json.dumps(body, indent=2))
    else:
        for report in reports:
            if verbose:
                config.print_stdout(f"Current revision(s) for {report['database']}:")
            elif several:
                config.print_stdout(f"{report['database']}:")
            indent = "  " if several else ""
            if several and not report["revisions"]:
                config.print_stdout(f"{indent}(base)")
            for rev in _all_current(script.revision_map, report["heads"]):
                entry = _describe_head(script, rev, graph_heads)
                _print_current_entry(config, script, entry, verbose, indent)
    if check_heads and behind:
        from mig_core.errors import DatabaseNotAtHead

        database, heads = behind[0]
        where = f" {database}" if several else ""
        raise DatabaseNotAtHead(  # Alembic's words first: scripts may look for them
            f"Database{where} is not on all head revisions: it is at "
            f"{', '.join(heads) or 'base'}, the graph's heads are "
            f"{', '.join(sorted(graph_heads)) or 'none'}"
        )


def _print_current_entry(config: Config, script: Any, entry: dict[str, Any], verbose: bool,
                         indent: str) -> None:
    """One current revision: its line, or with ``verbose`` (a known one) its full entry, as
    ``show`` prints it and Alembic's ``current -v`` does."""
    if verbose and entry["known"]:
        from mig_core.script.display import log_entry

        text = log_entry(script.get_revision(entry["revision"]))
        config.print_stdout("\n".join(indent + line if line else line
                                      for line in text.split("\n")))
        return
    if entry["known"]:  # as Alembic's cmd_format: (head) or (effective head), tree marks
        from mig_core.script.display import format_line

        label = format_line(script.get_revision(entry["revision"]))
    else:
        label = f"{entry['revision']} (unknown: no revision file has this id)"
    config.print_stdout(indent + label)


def _all_current(rmap: Any, heads: Sequence[str]) -> list[str]:
    """What ``current`` shows, as Alembic's ``get_all_current``: the database's heads, then the
    heads of what they need through ``depends_on`` (applied as a dependency, never stored)."""
    applied = rmap.ancestors([h for h in heads if h in rmap], include_dependencies=True)
    implied = [r.revision for r in rmap.order
               if r.revision in applied and r.revision not in heads and not r.nextrev & applied]
    return [*heads, *implied]


def log(
    config: Config,
    as_json: bool = False,
    limit: int | None = None,
    all_projects: bool = False,
    verify: bool = False,
) -> None:
    """Print the applied-history table, oldest first (``--json``: a list of objects).

    Only this project's rows (its ``version_table``, and rows written before that column
    existed) unless ``all_projects``, which shows every project's rows and their version table.
    Every database env.py visits is read (the ``multidb`` template visits several): the text
    shows each one's rows under its URL, and each JSON object names its ``database``, so the
    JSON is one flat list of the same shape whether there is one database or several.
    ``verify``: compare the applied revisions' files with their recorded checksums instead
    (see :func:`verify_log`).
    """
    from mig_core.runtime.history import history_table_name

    if limit is not None and limit < 1:
        raise UsageError(f"log: -n/--limit must be 1 or more, not {limit}")
    script = _script(config)
    if verify:
        verify_log(config, script, as_json, limit, all_projects)
        return

    def reader(ctx: MigrationContext) -> list[dict[str, Any]] | str:
        if history_table_name(ctx.opts) is None:
            return "the history table is turned off (history_table = false)"
        return _history_rows(ctx, limit, all_projects)

    per_database = _read_each(config, script, reader)
    if as_json:
        objects = [
            {"database": database, **_json_row(row)}
            for database, rows in per_database
            if not isinstance(rows, str)
            for row in rows
        ]
        config.print_stdout(json.dumps(objects, indent=2))
        return
    several = len(per_database) > 1
    indent = "  " if several else ""
    for database, rows in per_database:
        if several:
            config.print_stdout(f"{database}:")
        if isinstance(rows, str):
            config.print_stdout(indent + rows)
        else:
            for line in _log_lines(rows, all_projects):
                config.print_stdout((indent + line).rstrip())


def verify_log(
    config: Config, script: Any, as_json: bool, limit: int | None, all_projects: bool
) -> None:
    """``mig log --verify``: one line per applied revision whose file changed since it ran, is
    gone, or has no recorded checksum, then a summary (``--json``: every applied revision).
    Raises :class:`~mig_core.errors.AppliedRevisionsChanged` (exit 1) when a file changed or
    is missing."""
    from mig_core.errors import AppliedRevisionsChanged
    from mig_core.runtime.verify import FAILING, verify

    if all_projects or limit:
        option = "--all" if all_projects else "-n/--limit"
        raise UsageError(
            f"log --verify checks every applied revision of this project against its own "
            f"history rows; {option} does not apply to it"
        )
    per_database = _read_each(config, script, verify)
    if as_json:
        objects = [{"database": database, **_finding_json(finding)}
                   for database, findings in per_database for finding in findings]
        config.print_stdout(json.dumps(objects, indent=2))
    else:
        several = len(per_database) > 1
        indent = "  " if several else ""
        for database, findings in per_database:
            if several:
                config.print_stdout(f"{database}:")
            for finding in findings:
                line = _finding_line(finding, script.dir)
                if line:
                    config.print_stdout(indent + line)
            config.print_stdout(indent + _verify_summary(findings))
    failing = [finding for _, findings in per_database for finding in findings
               if finding.status in FAILING]
    if failing:
        names = ", ".join(f"{finding.revision} ({finding.status})" for finding in failing)
        raise AppliedRevisionsChanged(
            f"log --verify: {len(failing)} applied revision{'s' if len(failing) != 1 else ''} "
            f"no longer match{'es' if len(failing) == 1 else ''} the file that ran: {names}",
            findings=list(failing),
        )


def _relative(path: str | None, base: str) -> str | None:
    """``path`` relative to the scripts folder when it is inside it."""
    import os

    if path is None:
        return None
    rel = os.path.relpath(path, base)
    return path if rel.startswith("..") else rel


def _finding_line(finding: Finding, base: str) -> str | None:
    """A finding as text; None for a revision that verified."""
    from mig_core.runtime.verify import CHANGED, MISSING, OK, REMOVED

    if finding.status == OK:
        return None
    path = _relative(finding.path, base)
    applied = (
        f"applied {_when(finding.applied_at)} UTC"
        f"{' by ' + finding.applied_by if finding.applied_by else ''} "
        f"(history row {finding.history_id})"
        if finding.history_id is not None else None
    )
    repaired = (
        f"{_when(finding.repaired_at)} UTC"
        f"{' by ' + finding.repaired_by if finding.repaired_by else ''} "
        f"(history row {finding.repair_id})"
    )
    if finding.status == CHANGED and finding.repair_id is not None:
        detail = f"{path}: edited since mig repair accepted it {repaired}"
    elif finding.status == CHANGED:
        detail = f"{path}: edited since it was {applied}"
    elif finding.status == REMOVED:
        detail = f"{finding.reason} {repaired}"
    elif finding.status == MISSING:
        detail = f"{finding.reason}; it was {applied}" if applied else str(finding.reason)
    else:
        detail = f"{path}: no checksum to compare: {finding.reason}"
    return f"{finding.status:<10}  {finding.revision}  {detail}"


def _verify_summary(findings: list[Finding]) -> str:
    from mig_core.runtime.verify import REMOVED, STATUSES

    if not findings:
        return "0 applied revisions: nothing to verify"
    counts = ", ".join(
        f"{sum(1 for f in findings if f.status == status)} {status}" for status in STATUSES
        if status != REMOVED or any(f.status == REMOVED for f in findings)
    )
    plural = "s" if len(findings) != 1 else ""
    return f"{len(findings)} applied revision{plural}: {counts}"


def _finding_json(finding: Finding) -> dict[str, Any]:
    """A finding for ``--json`` (keys in this order; documented in docs/cli.md)."""
    at = _utc(finding.applied_at)
    repaired_at = _utc(finding.repaired_at)
    return {
        "revision": finding.revision,
        "status": finding.status,
        "path": finding.path,
        "applied_at": at.isoformat(timespec="microseconds") if at is not None else None,
        "applied_by": finding.applied_by,
        "history_id": finding.history_id,
        "recorded_checksum": finding.recorded_checksum,
        "current_checksum": finding.current_checksum,
        "reason": finding.reason,
        "repair_id": finding.repair_id,
        "repaired_at": (repaired_at.isoformat(timespec="microseconds")
                        if repaired_at is not None else None),
        "repaired_by": finding.repaired_by,
    }


def _history_rows(
    ctx: MigrationContext, limit: int | None, all_projects: bool
) -> list[dict[str, Any]] | str:
    """The history rows to show, oldest first (read only: a table an older mig made, without
    ``version_table``, is read as it is, every row's ``version_table`` None)."""
    import sqlalchemy as sa

    from mig_core.runtime.history import ADDED_COLUMNS, SCOPE_COLUMN, HistoryWriter

    history = HistoryWriter(ctx)
    table = history.table
    conn = ctx.live_connection
    assert conn is not None
    if not history.has_table():
        return f"no history yet (table {table.name} does not exist)"
    columns = history.readable_columns()
    query = sa.select(*columns).order_by(table.c.id.desc())
    scoped = any(column.name == SCOPE_COLUMN for column in columns)
    if scoped and not all_projects:
        query = query.where(history.own_rows())
    if limit:
        query = query.limit(limit)
    rows = [dict(r._mapping) for r in conn.execute(query)]
    rows.reverse()
    for row in rows:  # the same keys whichever mig made the table
        for name in ADDED_COLUMNS:
            row.setdefault(name, None)
    return rows


def _log_lines(rows: list[dict[str, Any]], all_projects: bool = False) -> list[str]:
    """The history rows as an aligned text table, header first (``all_projects``: with a
    ``version table`` column, ``?`` for rows written before it existed)."""
    header: tuple[str, ...] = (
        "id", "started (UTC)", "direction", "revisions", "heads", "ms", "by", "result"
    )
    if all_projects:
        header = ("id", "version table", *header[1:])
    lines: list[tuple[str, ...]] = [header]
    for row in rows:
        owner = (row["version_table"] or "?",) if all_projects else ()
        lines.append((
            str(row["id"]),
            *owner,
            _when(row["started_at"]),
            row["direction"],
            row["revisions"],
            f"{row['from_heads'] or 'base'} -> {row['to_heads'] or 'base'}",
            f"{row['duration_ms']:.0f}",
            "@".join(p for p in (row["username"], row["hostname"]) if p),
            _result(row),
        ))
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]) - 1)]
    right = (0, len(header) - 3)  # id and ms
    out = []
    for line in lines:
        cells = [cell.rjust(w) if i in right else cell.ljust(w)
                 for i, (cell, w) in enumerate(zip(line, widths))]
        out.append("  ".join(cells + [line[-1]]))
    return out


def _result(row: dict[str, Any]) -> str:
    """``ok``, ``FAILED: <error>``, with what a resumable row recorded, or what a ``repair``
    row accepted."""
    text = "ok" if row["success"] else f"FAILED: {row['error']}"
    if row["direction"] == "repair":
        checksum = row["checksum"]
        return text + (f" (accepted checksum {checksum[:12]})" if checksum
                       else " (recorded as removed on purpose)")
    if row.get("resumed_from") is not None:
        skipped = row.get("skipped_statement")
        also = f", skipping statement {skipped} as done" if skipped is not None else ""
        text += f" (resumed from row {row['resumed_from']}{also})"
    if not row["success"] and row.get("statements"):
        count = row["statements"]
        text += f" ({count} statement{'' if count == 1 else 's'} took effect)"
    return text


def _utc(value: Any) -> Any:
    """A stored time as an aware UTC datetime.

    mig stores UTC; SQLite and MySQL/MariaDB give it back naive, PostgreSQL aware in the
    session's time zone. Anything that is not a datetime is returned as it is.
    """
    import datetime as dt

    if not isinstance(value, dt.datetime):
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc)


def _when(value: Any) -> str:
    """A stored time as ``YYYY-MM-DD HH:MM:SS`` UTC text."""
    value = _utc(value)
    if not hasattr(value, "strftime"):
        return str(value)
    return str(value.strftime("%Y-%m-%d %H:%M:%S"))


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    """A history row for JSON: times as ISO 8601 UTC with microseconds and ``+00:00``."""
    import datetime as dt

    out = {}
    for key, value in row.items():
        if isinstance(value, dt.datetime):
            value = _utc(value).isoformat(timespec="microseconds")
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[key] = value
    out["success"] = bool(row["success"])
    return out
