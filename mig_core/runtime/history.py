"""The applied-history table (``mig_history``): one append-only row per step mig ran.

Columns: id, revisions, direction (upgrade / downgrade / stamp / repair), from_heads, to_heads,
started_at, finished_at, duration_ms, success, error, checksum, mig_version, username, hostname,
version_table (the project's version table, schema-qualified, so projects sharing the table can
tell their rows apart), statements, statements_sha256, resumed_from and skipped_statement (how
many of a revision's statements took effect and the digest of their texts, the row a resumed
revision continued, and which statement ``--skip-interrupted`` took as done: see
``runtime.progress``); a table made by an older mig gets the columns it lacks on the first
writing run.
Success rows are written in the step's own transaction (they vanish with a rollback, as the
step does); the row of a failure is written after the rollback, in a short transaction of its
own. Turned off with ``history_table = false``; offline (``--sql``) scripts never touch it, nor
do runs on a dialect no plugin serves (Alembic's ``__dialect__`` recipe) unless
``history_table`` is set.

On backends whose DDL commits by itself (MySQL/MariaDB, Oracle) each revision first commits a
*started* row (``success`` false, ``error`` :data:`INTERRUPTED`), which the step's own row then
replaces; on the others a revision does so with the commit of its first ``autocommit_block()``.
A process killed between the DDL and the version-row update leaves that row last in
the table, and the next writing run stops on it (see ``runner``) instead of running the DDL again,
unless it resumes the revision (``--resume``): the started row's ``statements`` is kept current,
committed after each statement that took effect.
"""

from __future__ import annotations

import datetime as dt
import getpass
import logging
import os
import socket
from typing import TYPE_CHECKING, Any

from mig_core.runtime.versions import effective_schema

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mig_core.runtime.migration import MigrationContext

log = logging.getLogger("mig.runtime")

DEFAULT_HISTORY_TABLE = "mig_history"
_OFF = {"false", "off", "no", "0", "none", ""}
#: the error of a started row: what ``mig log`` shows when its run died before finishing it
#: the direction of ``mig repair``'s rows (see :mod:`mig_core.runtime.repair`)
REPAIR_DIRECTION = "repair"
INTERRUPTED = "interrupted: started and never finished (the run died or lost its connection)"
#: how the error of a failure's row starts when the connection was lost while one of the
#: revision's statements ran: the server may have completed that statement (``--resume
#: --skip-interrupted`` may skip it, as after an interrupted run)
LOST_CONNECTION = "connection lost: "


def history_table_name(opts: dict[str, Any]) -> str | None:
    """The table name from the options, or None when the history is turned off."""
    value = opts.get("history_table", DEFAULT_HISTORY_TABLE)
    if value is None or value is False or str(value).strip().lower() in _OFF:
        return None
    return str(value).strip()


#: the column naming the version table (the project) a row belongs to; NULL in rows written
#: before it existed
SCOPE_COLUMN = "version_table"
#: how many of the revision's statements took effect (runs where DDL commits by itself)
STATEMENTS_COLUMN = "statements"
#: sha256 of those statements' texts (started and failed rows)
DIGEST_COLUMN = "statements_sha256"
#: the id of the failed or interrupted row a resumed revision continued
RESUMED_COLUMN = "resumed_from"
#: the position (from 1) of the statement a resumed revision took as done without sending it:
#: the one running when the run it continued stopped (``--skip-interrupted``)
SKIPPED_COLUMN = "skipped_statement"
#: the columns added after the table's first version, in the order ALTER TABLE adds them to a
#: table an older mig made (all nullable: older rows keep NULL, older mig versions leave them
#: out of their rows)
ADDED_COLUMNS = (SCOPE_COLUMN, STATEMENTS_COLUMN, DIGEST_COLUMN, RESUMED_COLUMN,
                 SKIPPED_COLUMN)


def version_table_label(opts: dict[str, Any]) -> str:
    """The run's version table as the history records it: ``mig_version``, ``tenant1.mig_version``."""
    name = opts.get("version_table") or "mig_version"
    schema = opts.get("version_table_schema")
    return f"{schema}.{name}" if schema else str(name)


def make_history_table(name: str, schema: str | None, timestamp_type: Any = None) -> Any:
    """The history table; ``timestamp_type`` is the times' type (the impl's
    :meth:`~mig_core.ddl.impl.DefaultImpl.history_timestamp_type`), ``DateTime(timezone=True)``
    when not given."""
    import sqlalchemy as sa

    if timestamp_type is None:
        timestamp_type = sa.DateTime(timezone=True)

    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
        sa.Column("revisions", sa.String(1000), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("from_heads", sa.String(1000), nullable=False),
        sa.Column("to_heads", sa.String(1000), nullable=False),
        sa.Column("started_at", timestamp_type, nullable=False),
        sa.Column("finished_at", timestamp_type, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("success", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("checksum", sa.String(128)),
        sa.Column("mig_version", sa.String(32), nullable=False),
        sa.Column("username", sa.String(128)),
        sa.Column("hostname", sa.String(255)),
        # the added columns last: where ALTER TABLE puts them in old tables
        sa.Column(SCOPE_COLUMN, sa.String(255)),
        sa.Column(STATEMENTS_COLUMN, sa.Integer),
        sa.Column(DIGEST_COLUMN, sa.String(64)),
        sa.Column(RESUMED_COLUMN, sa.Integer),
        sa.Column(SKIPPED_COLUMN, sa.Integer),
        schema=schema,
    )


_PROGRESS_COLUMNS = (STATEMENTS_COLUMN, DIGEST_COLUMN, RESUMED_COLUMN, SKIPPED_COLUMN)


def progress_values(progress: Any, digest: bool) -> dict[str, Any]:
    """The ``statements``, ``statements_sha256``, ``resumed_from`` and ``skipped_statement`` of
    a row, from the step's :class:`~mig_core.runtime.progress.StatementLog` (None: not recorded
    in this run); ``digest``: a failed or started row (a successful step's row counts all its
    statements)."""
    if progress is None:
        return dict.fromkeys(_PROGRESS_COLUMNS)
    carried = progress.carried
    if carried is not None and digest and not progress.committed:
        # what an earlier run left still holds
        return {
            STATEMENTS_COLUMN: carried[STATEMENTS_COLUMN],
            DIGEST_COLUMN: carried[DIGEST_COLUMN],
            RESUMED_COLUMN: None,
            SKIPPED_COLUMN: None,
        }
    if progress.history is None:
        return dict.fromkeys(_PROGRESS_COLUMNS)
    return {
        STATEMENTS_COLUMN: progress.committed if digest else len(progress.statements),
        DIGEST_COLUMN: progress.digest() if digest else None,
        RESUMED_COLUMN: progress.resumed_from,
        SKIPPED_COLUMN: progress.skipped_statement,
    }


def _who() -> tuple[str | None, str | None]:
    try:
        user: str | None = getpass.getuser()
    except Exception:  # no login name in some containers
        user = os.environ.get("USER")
    try:
        host: str | None = socket.gethostname()
    except OSError:
        host = None
    return user, host


def _alembic_style_impl(ctx: MigrationContext) -> bool:
    """Whether the run's DDL implementation is a ``__dialect__`` class rather than a plugin's."""
    return "__dialect__" in type(ctx.impl).__dict__


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _ms(elapsed: dt.timedelta) -> float:
    return round(elapsed.total_seconds() * 1000.0, 3)


class HistoryWriter:
    """Buffers the rows of a run and inserts them in one statement per flush."""

    def __init__(self, ctx: MigrationContext) -> None:
        from mig_core import __version__

        self.ctx = ctx
        name = history_table_name(ctx.opts)
        if name is not None and "history_table" not in ctx.opts and _alembic_style_impl(ctx):
            # a dialect no plugin serves (Alembic's ``__dialect__`` recipe): its DDL for the
            # table's generated key is unknown (DuckDB has no IDENTITY), so keep none unless asked
            log.info("no %s on dialect %r, which no mig plugin serves; set history_table to "
                     "keep one", name, ctx.dialect.name)
            name = None
        self.enabled = name is not None and not ctx.as_sql
        self.table = make_history_table(
            name or DEFAULT_HISTORY_TABLE,
            ctx.opts.get("history_table_schema", ctx.opts.get("version_table_schema")),
            ctx.impl.history_timestamp_type(),
        )
        self._rows: list[dict[str, Any]] = []
        #: the id of the running step's started row (replaced by the step's own row)
        self._started_id: Any = None
        # built once: a statement built per revision costs more than running it
        self._insert = self.table.insert()
        self._update: Any = None
        self._progress: Any = None
        self._user, self._host = _who() if self.enabled else (None, None)
        self._version = __version__
        self._scope: str | None = None
        #: whether ensure() made the table ready for this run's rows
        self._ready = False

    @property
    def scope(self) -> str:
        """This project's version table, written in each row's ``version_table``: qualified
        by the schema it is in when the history table is in a schema of its own (shared by the
        tenants whose ``search_path`` or ``schema_translate_map`` picks their version table)."""
        if self._scope is None:
            opts = self.ctx.opts
            self._scope = version_table_label(opts)
            if opts.get("history_table_schema") and not opts.get("version_table_schema"):
                schema = self.ctx.impl.current_schema()
                if schema:
                    self._scope = f"{schema}.{self._scope}"
        return self._scope

    def own_rows(self) -> Any:
        """The condition on ``version_table`` keeping this project's rows: its label, the bare
        one an older mig wrote when the label is qualified, and rows older than the column."""
        import sqlalchemy as sa

        column = self.table.c[SCOPE_COLUMN]
        labels = sorted({self.scope, version_table_label(self.ctx.opts)})
        return sa.or_(column.in_(labels), column.is_(None))

    def has_table(self) -> bool:
        import sqlalchemy as sa

        conn = self.ctx.live_connection
        assert conn is not None
        schema = effective_schema(conn, self.table.schema)
        return bool(sa.inspect(conn).has_table(self.table.name, schema=schema))

    def existing_columns(self) -> set[str]:
        """The names (lower case) of the existing table's columns."""
        import sqlalchemy as sa

        conn = self.ctx.live_connection
        assert conn is not None
        schema = effective_schema(conn, self.table.schema)
        columns = sa.inspect(conn).get_columns(self.table.name, schema=schema)
        return {column["name"].lower() for column in columns}

    def has_scope_column(self) -> bool:
        """Whether the existing table has ``version_table`` (one an older mig made has not)."""
        return SCOPE_COLUMN in self.existing_columns()

    def missing_columns(self) -> list[str]:
        """The :data:`ADDED_COLUMNS` the existing table lacks (made by an older mig)."""
        existing = self.existing_columns()
        return [name for name in ADDED_COLUMNS if name not in existing]

    def readable_columns(self) -> list[Any]:
        """The table's columns a SELECT may name: on a table an older mig made, not the
        columns added since."""
        existing = self.existing_columns()
        return [column for column in self.table.c if column.name in existing]

    def ensure(self, *, again: bool = False) -> None:
        """Create the table when it is missing, or add the columns an older mig's table lacks
        (online only; once per run unless ``again``: after a rollback that undid it).

        Called before the run writes the version table or runs any revision, so on backends
        whose DDL commits by itself the ALTER commits nothing of the run's.
        """
        if not self.enabled or (self._ready and not again):
            return
        conn = self.ctx.live_connection
        assert conn is not None
        if not self.has_table():
            self._create()
        else:
            missing = self.missing_columns()
            if missing:
                self._add_columns(missing)
        self.scope  # noqa: B018 - resolved now, before any revision's statements are queued
        self._ready = True

    def _create(self) -> None:
        """Create the table. A run of another project sharing it (another tenant, whose run
        lock is not this one's) may be creating it at the same moment: then PostgreSQL makes
        this one wait for that run's commit and refuses the duplicate; the table is there."""
        conn = self.ctx.live_connection
        assert conn is not None
        from mig_core.runtime.versions import require_schema

        setting = ("history_table_schema" if "history_table_schema" in self.ctx.opts
                   else "version_table_schema")
        require_schema(conn, self.table.schema, setting)
        # a failed statement aborts a PostgreSQL transaction: try it in a savepoint there
        if not (self.ctx.impl.transactional_ddl and conn.in_transaction()):
            self.table.create(conn)
            return
        try:
            with conn.begin_nested():
                self.table.create(conn)
        except Exception:
            if not self.has_table():
                raise

    def _add_columns(self, missing: list[str]) -> None:
        """``ALTER TABLE <history> ADD COLUMN ...`` for each of ``missing`` (nullable: the old
        rows keep NULL). Another project's run sharing the table may add one first; a failure
        for any other reason (no ALTER privilege) stops the run before anything was written."""
        from mig_core.ddl.base import AddColumn
        from mig_core.errors import MigrationFailed

        conn = self.ctx.live_connection
        assert conn is not None
        # a failed statement aborts a PostgreSQL transaction: try it in a savepoint there
        savepoint = self.ctx.impl.transactional_ddl and conn.in_transaction()
        for index, name in enumerate(missing):
            add = AddColumn(self.table.name, self.table.c[name], schema=self.table.schema)
            try:
                if savepoint:
                    with conn.begin_nested():
                        conn.execute(add)
                else:
                    conn.execute(add)
            except Exception as exc:
                if name not in self.missing_columns():  # added meanwhile by another run
                    continue
                from mig_core.runtime.runner import describe_error

                left = missing[index:]
                sql = "; ".join(
                    self.ctx.impl.compile(AddColumn(
                        self.table.name, self.table.c[other], schema=self.table.schema
                    )).strip()
                    for other in left
                )
                them = "it" if len(left) == 1 else "them"
                raise MigrationFailed(
                    f"could not add column {name} to the history table {self.table.fullname} "
                    f"(made by an older mig): {describe_error(exc)}; nothing was run. Add "
                    f"{them} as the table's owner ({sql}) or turn the history off "
                    "(history_table = false), and run the command again"
                ) from exc

    def row(
        self,
        step: Any,
        before: tuple[str, ...],
        after: tuple[str, ...],
        started: dt.datetime | None,
        error: str | None = None,
        progress: Any = None,
    ) -> dict[str, Any]:
        """A row for ``step``; ``progress``: its :class:`~mig_core.runtime.progress.StatementLog`
        on a run that records which statements took effect (``statements`` is written then;
        the digest of those statements on a failure's row)."""
        finished = now()
        started = started or finished
        return {
            "revisions": " ".join(step.named if step.is_stamp else step.revisions) or "base",
            "direction": step.direction,
            # sorted: the version table returns its rows in no set order (by key on MariaDB)
            "from_heads": " ".join(sorted(before)),
            "to_heads": " ".join(sorted(after)),
            "started_at": started,
            "finished_at": finished,
            "duration_ms": _ms(finished - started),
            "success": error is None,
            "error": error,
            "checksum": step.checksum,
            "mig_version": self._version,
            "username": self._user,
            "hostname": self._host,
            SCOPE_COLUMN: self.scope,
            **progress_values(None if step.is_stamp else progress, digest=error is not None),
        }

    def record(self, direction: str, revisions: str, heads: Sequence[str],
               checksum: str | None) -> int:
        """Insert one successful row that runs no revision (``mig repair``'s) in the current
        transaction, the version table at ``heads`` before and after; returns its id."""
        conn = self.ctx.live_connection
        assert conn is not None
        at = now()
        text = " ".join(sorted(heads))
        row = {
            "revisions": revisions, "direction": direction, "from_heads": text,
            "to_heads": text, "started_at": at, "finished_at": at, "duration_ms": 0.0,
            "success": True, "error": None, "checksum": checksum,
            "mig_version": self._version, "username": self._user, "hostname": self._host,
            SCOPE_COLUMN: self.scope,
        }
        key = conn.execute(self._insert, row).inserted_primary_key
        assert key is not None  # an Identity id, returned on every backend mig supports
        return int(key[0])

    def add(self, row: dict[str, Any], step: Any = None) -> None:
        """Buffer the row of ``step`` (its finished_at may move later, see :meth:`flush`)."""
        if self.enabled:
            if self._started_id is not None:  # the step's row replaces its started row
                row = {**row, "_started_id": self._started_id}
                self._started_id = None
            if step is not None:
                row["_step"] = step
            self._rows.append(row)

    def flush(self) -> None:
        """Insert the buffered rows in the connection's current transaction.

        With DDL sent in batches (``runtime.pipeline``) a step's statements may run after its
        Python code returned, with later steps' statements: its row then finishes when the
        batch holding its last statement had run."""
        if not self._rows:
            return
        pipeline = self.ctx._pipeline
        if pipeline is not None:
            pipeline.flush()  # every buffered step's statements have run after this
        rows, self._rows = self._rows, []
        for row in rows:
            step = row.pop("_step", None)
            done = pipeline.step_done.get(step) if pipeline is not None else None
            if done is not None and done > row["finished_at"]:
                row["finished_at"] = done
                row["duration_ms"] = _ms(done - row["started_at"])
        conn = self.ctx.live_connection
        assert conn is not None
        inserts = [row for row in rows if "_started_id" not in row]
        for row in rows:
            if "_started_id" in row:
                self._replace(conn, row)
        if inserts:
            conn.execute(self._insert, inserts)

    def _replace(self, conn: Any, row: dict[str, Any]) -> None:
        if self._update is None:
            import sqlalchemy as sa

            self._update = self.table.update().where(
                self.table.c.id == sa.bindparam("started_row_id")
            )
        values = dict(row)
        values["started_row_id"] = values.pop("_started_id")
        conn.execute(self._update, values)

    def mark_started(self, step: Any, heads: tuple[str, ...], started: dt.datetime | None,
                     *, commit: bool = True, progress: Any = None) -> None:
        """Write a row saying ``step`` started, before its DDL runs (see the module's doc), and
        commit it; ``commit=False`` when the previous step's commit, just after, carries it.

        Called outside mig's transactions or at the end of the previous step's, on backends
        without transactional DDL.
        """
        if not self.enabled:
            return
        conn = self.ctx.live_connection
        assert conn is not None
        row = self.row(step, heads, heads, started, error=INTERRUPTED, progress=progress)
        row.update(finished_at=row["started_at"], duration_ms=0.0)
        result = conn.execute(self._insert, row)
        key = result.inserted_primary_key
        assert key is not None  # an Identity id, returned on every backend mig supports
        self._started_id = key[0]
        if commit:
            conn.commit()

    def record_started(self, step: Any, heads: tuple[str, ...], started: dt.datetime | None,
                       progress: Any) -> None:
        """The running step's started row in the current transaction, as an
        ``autocommit_block()`` is about to commit it: inserted the first time, its count
        updated at the next block (``progress``: the step's statement log, or None)."""
        if self._started_id is None:
            self.mark_started(step, heads, started, commit=False, progress=progress)
        elif progress is not None and progress.history is not None:
            values = progress_values(progress, digest=True)  # what an earlier run left, too
            self.record_progress(values[STATEMENTS_COLUMN], values[DIGEST_COLUMN],
                                 values[SKIPPED_COLUMN])

    def record_progress(self, statements: int, digest: str, skipped: int | None = None) -> None:
        """Write into the running step's started row how many of its statements took effect,
        and the one ``--skip-interrupted`` took as done (not committed here: see
        :class:`~mig_core.runtime.progress.StatementLog`)."""
        if self._started_id is None:
            return
        if self._progress is None:
            import sqlalchemy as sa

            self._progress = self.table.update().where(
                self.table.c.id == sa.bindparam("started_row_id")
            ).values({
                STATEMENTS_COLUMN: sa.bindparam("done"), DIGEST_COLUMN: sa.bindparam("digest"),
                SKIPPED_COLUMN: sa.bindparam("skipped"),
            })
        conn = self.ctx.live_connection
        assert conn is not None
        conn.execute(self._progress, {"started_row_id": self._started_id, "done": statements,
                                      "digest": digest, "skipped": skipped})

    def interrupted(self) -> dict[str, Any] | None:
        """This project's last row, when it is a started row no step replaced (its run died
        mid-step)."""
        row = self.last_row()
        if row is None or row["success"] or row["error"] != INTERRUPTED:
            return None
        return row

    def last_row(self) -> dict[str, Any] | None:
        """This project's last row of a run (None: no table or no row). ``mig repair``'s rows
        run nothing and are skipped: a failed or interrupted revision before them is still the
        last run's (``--resume`` resumes it, the interrupted-run check stops at it). Rows of
        another ``version_table`` are another project's (one sharing the table, with its own
        version table and so its own run lock) and skipped; a row written before that column
        existed is this project's when it names one of its revisions. Every key of the table's
        columns is there, None when the table lacks that column."""
        if not self.enabled:
            return None
        import sqlalchemy as sa

        conn = self.ctx.live_connection
        assert conn is not None
        if not self.has_table():
            return None
        columns = self.readable_columns()
        scoped = any(column.name == SCOPE_COLUMN for column in columns)
        query = (
            sa.select(*columns)
            .where(self.table.c.direction != REPAIR_DIRECTION)
            .order_by(self.table.c.id.desc())
            .limit(100)
        )
        if scoped:
            query = query.where(self.own_rows())
        while True:
            rows = conn.execute(query).all()
            for row in rows:
                owner = row._mapping.get(SCOPE_COLUMN)
                if owner is not None or self._ours(row.revisions):
                    found = dict.fromkeys(ADDED_COLUMNS)
                    found.update(row._mapping)
                    return found
            if len(rows) < 100:
                return None
            query = query.where(self.table.c.id < rows[-1].id)

    def read_row(self, row_id: Any) -> dict[str, Any] | None:
        """The row ``row_id`` (None: gone), every key of :data:`ADDED_COLUMNS` there."""
        import sqlalchemy as sa

        conn = self.ctx.live_connection
        assert conn is not None
        query = sa.select(*self.readable_columns()).where(self.table.c.id == row_id)
        found = conn.execute(query).first()
        if found is None:
            return None
        row = dict.fromkeys(ADDED_COLUMNS)
        row.update(found._mapping)
        return row

    def _ours(self, revisions: str) -> bool:
        """Whether a row's ``revisions`` name one of this project's revisions (or base): the
        guess for rows written before ``version_table`` existed."""
        known = getattr(self.ctx.script, "revision_map", self.ctx.script)
        if known is None:
            return True
        return any(rev == "base" or rev in known for rev in revisions.split())

    def write_alone(self, row: dict[str, Any], unlock: str | None = None) -> None:
        """Insert one row in a short transaction of its own (after a rollback); ``unlock``
        first releases the table locks the failed revision held (``UNLOCK TABLES``), under
        which the history table cannot be written."""
        if not self.enabled:
            return
        conn = self.ctx.live_connection
        assert conn is not None
        try:
            if conn.in_transaction():
                conn.rollback()
            with conn.begin():
                if unlock:  # after the rollback: it commits nothing of the failed revision
                    conn.exec_driver_sql(unlock)
                self.ensure(again=True)  # a failure rolled the CREATE / ALTER back too
                if self._started_id is not None:  # the failure replaces the started row
                    self._replace(conn, {**row, "_started_id": self._started_id})
                    self._started_id = None
                else:
                    conn.execute(self._insert, [row])
        except Exception as exc:  # never hide the migration's own error behind this one
            log.warning(
                "could not record the failure in %s: %s: %s",
                self.table.name,
                type(exc).__name__,
                str(exc).splitlines()[0] if str(exc) else "",
            )
