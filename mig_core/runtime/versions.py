"""The version table (one row per current head) and how a step moves its set of heads.

The heads transitions are pure functions over revision ids and a ``parents_of`` callable
(down revisions plus dependencies), so they are unit-tested without a database.
:class:`VersionStore` turns "heads before" / "heads after" into the minimal UPDATE / INSERT /
DELETE statements, online with statements built once, offline as plain literal SQL.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from mig_core.errors import CommandError, MigWarning

if TYPE_CHECKING:
    from mig_core.runtime.migration import MigrationContext

#: a revision id must fit this column (Alembic's size, so its tables are adopted as they are)
VERSION_NUM_LENGTH = 32

ParentsOf = Callable[[str], Sequence[str]]


# --- pure heads transitions ------------------------------------------------------------------


def _is_ancestor_of_any(candidate: str, others: Iterable[str], parents_of: ParentsOf) -> bool:
    """True when ``candidate`` is a proper ancestor of one of ``others`` (walks parents)."""
    seen: set[str] = set()
    stack = [p for other in others for p in parents_of(other)]
    while stack:
        rev = stack.pop()
        if rev == candidate:
            return True
        if rev in seen:
            continue
        seen.add(rev)
        stack.extend(parents_of(rev))
    return False


def heads_after_upgrade(
    heads: Iterable[str], revision: str, parents: Sequence[str]
) -> tuple[str, ...]:
    """Heads once ``revision`` (whose parents are all applied) is applied.

    Only a direct parent can stop being a head: any other ancestor already has an applied
    descendant. A parent that is not a head (another head descends from it) is left alone,
    so heads named by ``depends_on`` on other branches are kept.
    """
    dropped = set(parents)
    out = [h for h in heads if h not in dropped and h != revision]
    out.append(revision)
    return tuple(out)


def heads_after_downgrade(
    heads: Iterable[str], revision: str, parents_of: ParentsOf
) -> tuple[str, ...]:
    """Heads once ``revision`` (a current head) is reverted.

    Its parents become heads again unless another remaining head (or another of its parents)
    still descends from them; an empty result means the database is at base.
    """
    remaining = [h for h in heads if h != revision]
    candidates = [p for p in parents_of(revision) if p not in remaining]
    out = list(remaining)
    for parent in candidates:
        others = [r for r in remaining + candidates if r != parent]
        if not others or not _is_ancestor_of_any(parent, others, parents_of):
            out.append(parent)
    return tuple(dict.fromkeys(out))


def normalize_heads(heads: Iterable[str], parents_of: ParentsOf) -> tuple[str, ...]:
    """Drop every revision that is an ancestor of another one in ``heads`` (keeps order)."""
    unique = list(dict.fromkeys(heads))
    if len(unique) < 2:
        return tuple(unique)
    return tuple(
        h for h in unique if not _is_ancestor_of_any(h, [o for o in unique if o != h], parents_of)
    )


def row_changes(
    before: Sequence[str], after: Sequence[str]
) -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """The statements that turn the rows ``before`` into ``after``: (updates, inserts, deletes).

    A removed head paired with an added one is an UPDATE (Alembic's normal step); removed heads
    left over are DELETEs (crossing a merge point upward), added ones INSERTs (a new branch).
    """
    after_set = set(after)
    before_set = set(before)
    removed = [h for h in before if h not in after_set]
    added = [h for h in after if h not in before_set]
    pairs = min(len(removed), len(added))
    # delete first, so the last removed head is the one updated (parents order, like Alembic)
    updates = list(zip(removed[len(removed) - pairs :], added[:pairs]))
    deletes = removed[: len(removed) - pairs]
    inserts = added[pairs:]
    return updates, inserts, deletes


# --- the table -------------------------------------------------------------------------------


def effective_schema(connection: Any, schema: str | None) -> str | None:
    """The schema a table declared in ``schema`` is really in on ``connection``: its
    ``schema_translate_map`` applied (statements get it from SQLAlchemy, the inspector does not)."""
    mapping = connection.get_execution_options().get("schema_translate_map")
    if mapping and schema in mapping:
        return mapping[schema]  # type: ignore[no-any-return]
    return schema


def require_schema(connection: Any, schema: str | None, setting: str) -> None:
    """Refuse, naming ``setting``, to create one of mig's tables in a schema the database
    does not have (``schema`` as configured; the connection's ``schema_translate_map`` is
    applied). On MySQL / MariaDB a schema is a database."""
    if schema is None:
        return
    import sqlalchemy as sa

    real = effective_schema(connection, schema)
    if real is None or sa.inspect(connection).has_schema(real):
        return
    from mig_core.errors import ConfigError

    kind = "database" if connection.dialect.name in ("mysql", "mariadb") else "schema"
    moved = f" (where schema_translate_map sends {schema!r})" if real != schema else ""
    raise ConfigError(
        f"{setting} = {schema}: {kind} {real!r}{moved} does not exist on the server; "
        f"create it first or correct {setting}"
    )


def version_key_name(name: str, fits: Callable[[str], bool] | None = None) -> str:
    """``<name>_pkc``, the version table's primary key name (Alembic's); where ``fits`` says
    the server would not take it whole (a version table named at the limit), the name's head,
    4 hex digits of its MD5 and ``_pkc``: cut by the server instead, it could be the table's
    own name (PostgreSQL: "relation already exists"), or be refused (SQL Server, Oracle)."""
    key = f"{name}_pkc"
    if fits is None or fits(key):
        return key
    import hashlib

    suffix = "_" + hashlib.md5(name.encode("utf-8"), usedforsecurity=False).hexdigest()[-4:] + "_pkc"
    head = name
    while head and not fits(head + suffix):
        head = head[:-1]
    return head + suffix


def make_version_table(
    name: str, schema: str | None, primary_key: bool = True,
    fits: Callable[[str], bool] | None = None,
) -> Any:
    """The version table definition: ``version_num VARCHAR(32) NOT NULL`` + ``<name>_pkc``
    (shortened where ``fits`` says the server would not take it: :func:`version_key_name`)."""
    import sqlalchemy as sa

    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("version_num", sa.String(VERSION_NUM_LENGTH), nullable=False),
        schema=schema,
    )
    if primary_key:
        table.append_constraint(
            sa.PrimaryKeyConstraint("version_num", name=version_key_name(name, fits))
        )
    return table


def one_line(sql: str) -> str:
    """``CREATE TABLE t (\n    a ..., \n    b ...\n)`` as ``CREATE TABLE t (a ..., b ...)``."""
    out = ""
    for part in (line.strip() for line in sql.splitlines()):
        if not part:
            continue
        if out and not out.endswith("(") and not part.startswith(")"):
            out += " "
        out += part
    return out


def _sql_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class VersionStore:
    """Reads and writes the version table of one :class:`MigrationContext`."""

    def __init__(self, ctx: MigrationContext) -> None:
        self.ctx = ctx
        self.name: str = ctx.opts.get("version_table") or "mig_version"
        self.schema: str | None = ctx.opts.get("version_table_schema")
        self.table = make_version_table(
            self.name, self.schema, ctx.opts.get("version_table_pk", True),
            fits=ctx.impl.name_fits,
        )
        self._exists: bool | None = None
        self._statements: dict[str, Any] | None = None

    @property
    def quoted_name(self) -> str:
        name = self.__dict__.get("_quoted_name")
        if name is None:
            name = str(self.ctx.dialect.identifier_preparer.format_table(self.table))
            self.__dict__["_quoted_name"] = name
        return name

    # online ----------------------------------------------------------------------------------
    def exists(self, refresh: bool = False) -> bool:
        """Whether the table exists (online; cached until a refresh)."""
        if self._exists is None or refresh:
            import sqlalchemy as sa

            conn = self.ctx.live_connection
            assert conn is not None
            schema = effective_schema(conn, self.schema)
            self._exists = sa.inspect(conn).has_table(self.name, schema=schema)
        return self._exists

    def ensure(self) -> None:
        """Create the table when it is missing (offline: always write the CREATE TABLE)."""
        if self.ctx.as_sql:
            from sqlalchemy.schema import CreateTable

            sql = self.ctx.impl.compile(CreateTable(self.table))
            self.ctx.impl.emit_statement_text(one_line(sql))
            return
        if not self.exists(refresh=True):
            conn = self.ctx.live_connection
            assert conn is not None
            require_schema(conn, self.schema, "version_table_schema")
            self.table.create(conn)
            self._exists = True

    def read_heads(self, warn: bool = True) -> tuple[str, ...]:
        """The heads stored in the table (online), or () when it does not exist (with a warning
        when an Alembic version table sits beside it, see :meth:`alembic_table_left_behind`)."""
        if self.ctx.as_sql:
            raise CommandError("cannot read the version table in offline (--sql) mode")
        if not self.exists(refresh=True):
            if warn and self.alembic_table_left_behind():
                warnings.warn(self._alembic_message("mig reads it as at base"), MigWarning,
                              stacklevel=2)
            return ()
        import sqlalchemy as sa

        conn = self.ctx.live_connection
        assert conn is not None
        rows = conn.execute(sa.select(self.table.c.version_num)).scalars().all()
        return tuple(rows)

    def refuse_ids_too_long(self, revisions: Iterable[str], creates: bool) -> None:
        """Stop before anything runs when a revision id cannot fit ``version_num``: on a
        non-transactional backend the revision's DDL would commit and its version row fail
        (MariaDB) or be cut (a database in a non-strict mode); SQLite, which keeps any length,
        is left alone. ``creates``: the run creates the
        table (mig's 32 characters); otherwise an existing table's column is read, as projects
        widen it for long ids (offline, mid-way, the column is unknown: no check)."""
        long = [rev for rev in dict.fromkeys(revisions) if len(rev) > VERSION_NUM_LENGTH]
        if not long or self.ctx.dialect.name == "sqlite":  # SQLite stores any length
            return
        limit: int | None = VERSION_NUM_LENGTH
        if not creates:
            limit = None if self.ctx.as_sql else self._column_length()
        too_long = [rev for rev in long if limit is not None and len(rev) > limit]
        if too_long:
            rev = too_long[0]
            script = self.ctx.script
            try:
                path = script.get_revision(rev).path if script is not None else None
            except Exception:  # a stamp of an id no file defines: the id says enough
                path = None
            where = f" ({path})" if path else ""
            raise CommandError(
                f"revision id {rev!r}{where} is {len(rev)} characters, more than the {limit} "
                f"the version table {self.name}.version_num holds; nothing was run. Use a "
                f"shorter id, or widen the column (VARCHAR({len(rev)}) or more)"
            )

    def _column_length(self) -> int | None:
        """The length of the existing table's ``version_num`` (None: unbounded or unknown)."""
        import sqlalchemy as sa

        conn = self.ctx.live_connection
        assert conn is not None
        schema = effective_schema(conn, self.schema)
        for column in sa.inspect(conn).get_columns(self.name, schema=schema):
            if column["name"].lower() == "version_num":
                return getattr(column["type"], "length", None)
        return None

    def alembic_table_left_behind(self) -> bool:
        """True when ``version_table`` was left at its default, ``mig_version`` does not exist,
        and Alembic's ``alembic_version`` does: a project switched from Alembic without
        ``version_table = alembic_version``, whose database is not really at base."""
        if self.ctx.opts.get("version_table") or self.ctx.as_sql:
            return False
        import sqlalchemy as sa

        conn = self.ctx.live_connection
        assert conn is not None
        schema = effective_schema(conn, self.schema)
        return bool(sa.inspect(conn).has_table("alembic_version", schema=schema))

    def refuse_alembic_table_left_behind(self) -> None:
        """Refuse to write a new ``mig_version`` beside an Alembic version table."""
        if self.alembic_table_left_behind():
            raise CommandError(self._alembic_message(
                "refusing to start it again from base; to start a separate history anyway, set "
                "version_table = mig_version explicitly"
            ))

    def _alembic_message(self, consequence: str) -> str:
        where = f" in schema {self.schema!r}" if self.schema else ""
        return (
            f"this database has Alembic's version table alembic_version{where} but no "
            f"{self.name}: set version_table = alembic_version in the config (or "
            f"context.configure(version_table='alembic_version')) to carry on from Alembic's "
            f"revision; {consequence}"
        )

    def _prepared(self) -> dict[str, Any]:
        if self._statements is None:
            import sqlalchemy as sa

            col = self.table.c.version_num
            self._statements = {
                "update": self.table.update()
                .where(col == sa.bindparam("old_rev"))
                .values(version_num=sa.bindparam("new_rev")),
                "insert": self.table.insert().values(version_num=sa.bindparam("new_rev")),
                "delete": self.table.delete().where(col == sa.bindparam("old_rev")),
            }
        return self._statements

    # both ------------------------------------------------------------------------------------
    def write(self, before: Sequence[str], after: Sequence[str]) -> None:
        """Turn the rows ``before`` into ``after`` with the fewest statements."""
        if len(before) == 1 and len(after) == 1 and before[0] != after[0]:
            updates: list[tuple[str, str]] = [(before[0], after[0])]  # the usual step
            inserts: list[str] = []
            deletes: list[str] = []
        else:
            updates, inserts, deletes = row_changes(before, after)
        if self.ctx.as_sql:
            table = self.quoted_name
            emit = self.ctx.impl.emit_statement_text
            for old in deletes:
                emit(f"DELETE FROM {table} WHERE version_num = {_sql_literal(old)}")
            for old, new in updates:
                emit(
                    f"UPDATE {table} SET version_num={_sql_literal(new)} "
                    f"WHERE version_num = {_sql_literal(old)}"
                )
            for new in inserts:
                emit(f"INSERT INTO {table} (version_num) VALUES ({_sql_literal(new)})")
            return
        conn = self.ctx.live_connection
        assert conn is not None
        stmts = self._prepared()
        for old in deletes:
            self._expect_one(conn.execute(stmts["delete"], {"old_rev": old}), "delete", old)
        for old, new in updates:
            result = conn.execute(stmts["update"], {"old_rev": old, "new_rev": new})
            self._expect_one(result, "update", old)
        if inserts:
            conn.execute(stmts["insert"], [{"new_rev": new} for new in inserts])

    def _expect_one(self, result: Any, verb: str, rev: str) -> None:
        count = result.rowcount
        if count is not None and count >= 0 and count != 1:
            raise CommandError(
                f"version table {self.name!r}: expected to {verb} one row for revision {rev!r} "
                f"but matched {count}; another process changed it (run under the run lock)"
            )

    def clear(self) -> None:
        """Delete every row (``stamp --purge``)."""
        if self.ctx.as_sql:
            self.ctx.impl.emit_statement_text(f"DELETE FROM {self.quoted_name}")
            return
        if self.exists():
            conn = self.ctx.live_connection
            assert conn is not None
            conn.execute(self.table.delete())
