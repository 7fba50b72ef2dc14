"""The connection ``op.get_bind()`` and ``MigrationContext.connection`` give in offline
(``--sql``) mode.

There is no database when mig writes a SQL script, but revisions written for Alembic use the
bind anyway: ``sa.Enum(...).create(op.get_bind())``, ``op.get_bind().execute(sa.text(...))``,
``op.get_bind().dialect.name``. :class:`OfflineConnection` answers those: whatever it executes
goes through the run's DDL implementation (``impl.execute``), so it is written into the script
in program order, with the dialect's terminator, batch separator and literal values. Reading
(rows, ``scalar()``, ``sa.inspect()``) cannot work without a database and raises
:class:`OfflineReadError` naming the statement, instead of returning None.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspection, literal
from sqlalchemy.engine.mock import MockConnection
from sqlalchemy.sql.elements import BindParameter, TextClause
from sqlalchemy.sql.visitors import cloned_traverse, iterate
from sqlalchemy.types import NullType

from mig_core.errors import CommandError

if TYPE_CHECKING:
    from mig_core.runtime.migration import MigrationContext

_ADVICE = (
    "there is no database to read from while writing a SQL script; in the revision, test "
    "context.is_offline_mode() (from mig_core import context) and skip the read or use a "
    "value known in advance"
)


class OfflineReadError(CommandError):
    """A revision tried to read from the database in offline (``--sql``) mode."""


def describe_statement(statement: Any, dialect: Any = None) -> str:
    """A short one-line text of ``statement`` for error messages."""
    if isinstance(statement, str):
        text = statement
    else:
        try:  # with values where they have a literal form, as the script would show it
            text = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        except Exception:
            try:
                text = str(statement.compile(dialect=dialect))
            except Exception:
                text = type(statement).__name__
    text = " ".join(text.split())
    return text if len(text) <= 120 else text[:117] + "..."


def _read_error(what: str, statement: Any, dialect: Any = None) -> OfflineReadError:
    if statement is None:
        return OfflineReadError(f"{what} cannot work in offline (--sql) mode: {_ADVICE}")
    return OfflineReadError(
        f"{what} cannot work in offline (--sql) mode ({describe_statement(statement, dialect)}):"
        f" {_ADVICE}"
    )


class OfflineResult:
    """What :meth:`OfflineConnection.execute` returns: the statement has been written to the
    script; asking for rows or counts raises :class:`OfflineReadError`."""

    def __init__(self, statement: Any, dialect: Any) -> None:
        self._statement = statement
        self._dialect = dialect

    def _refuse(self, what: str) -> NoReturn:
        raise _read_error(f"reading a result ({what})", self._statement, self._dialect)

    def __bool__(self) -> bool:
        """False, as Alembic's offline ``execute()`` returns None: revisions written for it
        guard their reads with ``if result:`` (Airflow), which then skips the read here too."""
        return False

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> OfflineResult:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __iter__(self) -> Any:
        self._refuse("iterating over it")

    def __next__(self) -> Any:
        self._refuse("next()")

    # every way of reading rows or counts off a SQLAlchemy Result / CursorResult
    def fetchall(self) -> Any:
        self._refuse(".fetchall()")

    def fetchone(self) -> Any:
        self._refuse(".fetchone()")

    def fetchmany(self, size: int | None = None) -> Any:
        self._refuse(".fetchmany()")

    def all(self) -> Any:
        self._refuse(".all()")

    def first(self) -> Any:
        self._refuse(".first()")

    def one(self) -> Any:
        self._refuse(".one()")

    def one_or_none(self) -> Any:
        self._refuse(".one_or_none()")

    def scalar(self) -> Any:
        self._refuse(".scalar()")

    def scalar_one(self) -> Any:
        self._refuse(".scalar_one()")

    def scalar_one_or_none(self) -> Any:
        self._refuse(".scalar_one_or_none()")

    def scalars(self, index: Any = 0) -> Any:
        self._refuse(".scalars()")

    def mappings(self) -> Any:
        self._refuse(".mappings()")

    def columns(self, *cols: Any) -> Any:
        self._refuse(".columns()")

    def tuples(self) -> Any:
        self._refuse(".tuples()")

    def t(self) -> Any:
        self._refuse(".t")

    def unique(self, strategy: Any = None) -> Any:
        self._refuse(".unique()")

    def partitions(self, size: int | None = None) -> Any:
        self._refuse(".partitions()")

    def freeze(self) -> Any:
        self._refuse(".freeze()")

    def keys(self) -> Any:
        self._refuse(".keys()")

    @property
    def rowcount(self) -> Any:
        self._refuse(".rowcount")

    @property
    def inserted_primary_key(self) -> Any:
        self._refuse(".inserted_primary_key")

    @property
    def lastrowid(self) -> Any:
        self._refuse(".lastrowid")

    @property
    def returned_defaults(self) -> Any:
        self._refuse(".returned_defaults")


class OfflineConnection(MockConnection):
    """``op.get_bind()`` / ``MigrationContext.connection`` offline: executions are written
    into the SQL script.

    A SQLAlchemy mock connection, so schema items create and drop through it
    (``Enum.create(bind)``, ``Index.create(bind)``, ``metadata.create_all(bind)``); their
    ``checkfirst`` cannot look at a database and is not applied (the statement is written
    as is, as Alembic does).
    """

    def __init__(self, ctx: MigrationContext) -> None:
        super().__init__(ctx.dialect, self._write)
        self._ctx = ctx

    def _write(self, statement: Any, *args: Any, **kw: Any) -> None:
        self._ctx.impl.execute(statement)

    def execute(  # type: ignore[override]
        self,
        statement: Any,
        parameters: Any = None,
        execution_options: Any = None,
    ) -> OfflineResult:
        """Write ``statement`` (bound ``parameters`` rendered as literals; a list of
        parameter sets writes it once per set) into the script."""
        if isinstance(statement, str):  # as Connection.execute does: strings need text()
            raise sa_exc.ObjectNotExecutableError(statement)
        for one in _with_parameters(statement, parameters, self.dialect, self._ctx.impl):
            self._ctx.impl.execute(one)
        return OfflineResult(statement, self.dialect)

    def exec_driver_sql(
        self,
        statement: str,
        parameters: Any = None,
        execution_options: Any = None,
    ) -> OfflineResult:
        """Write the driver-level SQL string into the script as it is."""
        if parameters:
            raise CommandError(
                "exec_driver_sql() with parameters cannot be written in offline (--sql) mode "
                f"({describe_statement(statement)}): driver placeholders have no literal form; "
                "use op.get_bind().execute(sa.text(...), {...}) or op.execute() instead"
            )
        from mig_core.ddl.statements import VerbatimSQL

        self._ctx.impl.execute(VerbatimSQL(statement))  # the driver's SQL: no text() reading
        return OfflineResult(statement, self.dialect)

    def scalar(self, statement: Any, parameters: Any = None, **kw: Any) -> NoReturn:
        raise _read_error("op.get_bind().scalar()", statement, self.dialect)

    def scalars(self, statement: Any, parameters: Any = None, **kw: Any) -> NoReturn:
        raise _read_error("op.get_bind().scalars()", statement, self.dialect)

    def in_transaction(self) -> bool:
        """Whether the script is inside the run's BEGIN ... COMMIT."""
        return bool(self._ctx._offline_transaction_open)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AttributeError(
            f"op.get_bind() in offline (--sql) mode has no {name!r}: it only writes SQL into "
            "the script (execute(), exec_driver_sql(), dialect, schema items' create()/drop()); "
            "test context.is_offline_mode() in the revision for anything else"
        )

    def __repr__(self) -> str:
        return f"<OfflineConnection dialect={self.dialect.name!r} (writes to the SQL script)>"


@inspection._inspects(OfflineConnection)
def _no_inspector(conn: OfflineConnection) -> NoReturn:
    """``sa.inspect(op.get_bind())`` offline: reflection needs a database."""
    raise _read_error("sa.inspect(op.get_bind()) (reflection)", None)


def _with_parameters(statement: Any, parameters: Any, dialect: Any, impl: Any) -> list[Any]:
    """``statement`` with ``parameters`` bound into it, once per parameter set."""
    if parameters is None:
        return [statement]
    if isinstance(parameters, Mapping):
        sets: list[Mapping[str, Any]] = [parameters]
    elif isinstance(parameters, Sequence) and not isinstance(parameters, (str, bytes)) and all(
        isinstance(p, Mapping) for p in parameters
    ):
        sets = list(parameters)
        if not sets:
            return [statement]
    else:
        raise CommandError(
            f"execute() parameters must be a dict or a list of dicts, got "
            f"{type(parameters).__name__} ({describe_statement(statement, dialect)})"
        )
    return [_bind(statement, dict(values), dialect, impl) for values in sets]


def _bind(statement: Any, values: dict[str, Any], dialect: Any, impl: Any) -> Any:
    """``statement`` with ``values`` for its named bound parameters; keys that name no
    parameter become the VALUES / SET of an INSERT / UPDATE, as online."""
    if not values:
        return statement
    if isinstance(statement, TextClause):
        return statement.bindparams(**values)
    names = {node.key for node in iterate(statement) if isinstance(node, BindParameter)}
    named = {k: v for k, v in values.items() if k in names}
    rest = {k: v for k, v in values.items() if k not in names}
    if named:

        def give_value(bind: BindParameter[Any]) -> None:
            if bind.key in named:
                bind.value = named[bind.key]
                bind.callable = None
                bind.required = False
                if isinstance(bind.type, NullType):
                    bind.type = literal(bind.value).type

        statement = cloned_traverse(statement, {}, {"bindparam": give_value})
    if rest:
        if getattr(statement, "is_insert", False) or getattr(statement, "is_update", False):
            statement = statement.values(**impl._literal_row(statement.table, rest))
        else:
            raise CommandError(
                f"execute() parameter(s) {', '.join(sorted(rest))} name no bound parameter of "
                f"{describe_statement(statement, dialect)}"
            )
    return statement
