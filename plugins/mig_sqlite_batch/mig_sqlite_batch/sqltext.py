"""A small SQL tokenizer, enough to read and adjust the SQL SQLite keeps in ``sqlite_schema``.

The recreate needs three things from SQL text that SQLAlchemy's reflection does not give:
the CHECK constraints of a ``CREATE TABLE`` (named or not, table- or column-level), which
columns a CHECK or an index expression mentions (so a dropped column takes them along), and
the same text with a column renamed. Tokens inside string literals and comments are never
touched; an identifier directly followed by ``(`` is a function name, not a column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

_TOKEN = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>'(?:[^']|'')*'?)
    | (?P<qident>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)
    | (?P<number>\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)
    | (?P<ident>[^\W\d][\w$]*)
    | (?P<op>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str  # ws, comment, string, qident, number, ident, op
    text: str
    start: int

    @property
    def is_identifier(self) -> bool:
        return self.kind in ("ident", "qident")

    @property
    def value(self) -> str:
        """The identifier's name without quotes (the text itself for other tokens)."""
        if self.kind != "qident":
            return self.text
        body = self.text[1:-1]
        if self.text[0] == '"':
            return body.replace('""', '"')
        if self.text[0] == "`":
            return body.replace("``", "`")
        return body

    def upper(self) -> str:
        return self.text.upper() if self.kind == "ident" else ""


def tokenize(sql: str) -> list[Token]:
    """Every token of ``sql``, whitespace and comments included (they rebuild the text)."""
    return [Token(m.lastgroup or "op", m.group(), m.start()) for m in _TOKEN.finditer(sql)]


def _significant(tokens: list[Token]) -> list[int]:
    return [i for i, t in enumerate(tokens) if t.kind not in ("ws", "comment")]


def _column_positions(tokens: list[Token]) -> list[int]:
    """Indexes of identifier tokens that name columns: not a function, not after a dot."""
    sig = _significant(tokens)
    out = []
    for pos, i in enumerate(sig):
        tok = tokens[i]
        if not tok.is_identifier:
            continue
        nxt = tokens[sig[pos + 1]] if pos + 1 < len(sig) else None
        prev = tokens[sig[pos - 1]] if pos > 0 else None
        if tok.kind == "ident" and nxt is not None and nxt.text == "(":
            continue  # a function call
        if nxt is not None and nxt.text == ".":
            continue  # a qualifier (table, alias, new / old), not a column
        if prev is not None and prev.text == ".":
            continue  # qualified: alias.column / new.column belong to another name space
        out.append(i)
    return out


def mentioned(sql: str, names: Iterable[str]) -> set[str]:
    """Which of ``names`` (compared case-insensitively, as SQLite does) ``sql`` mentions as
    column references. ``new.x`` / ``old.x`` count as mentions of ``x``."""
    wanted = {n.lower(): n for n in names}
    found: set[str] = set()
    tokens = tokenize(sql)
    sig = _significant(tokens)
    for pos, i in enumerate(sig):
        tok = tokens[i]
        if not tok.is_identifier:
            continue
        nxt = tokens[sig[pos + 1]] if pos + 1 < len(sig) else None
        if tok.kind == "ident" and nxt is not None and nxt.text == "(":
            continue
        if nxt is not None and nxt.text == ".":
            continue  # a qualifier (table, alias, new / old)
        hit = wanted.get(tok.value.lower())
        if hit is not None:
            found.add(hit)
    return found


def normalized(sql: str) -> str:
    """``sql`` reduced for comparison: no comments, single spaces between tokens, identifiers
    unquoted and lower-cased, keywords upper-cased (``kind IN ('a','b')`` equals
    ``"KIND" in ('a', 'b')``). String literals are kept exactly."""
    out = []
    for tok in tokenize(sql):
        if tok.kind in ("ws", "comment"):
            continue
        if tok.is_identifier:
            out.append(tok.value.lower())
        else:
            out.append(tok.text)
    return " ".join(out)


def rename_columns(sql: str, renames: dict[str, str], quote: Callable[[str], str]) -> str:
    """``sql`` with the column references in ``renames`` (old -> new, case-insensitive)
    replaced by ``quote(new)``; strings, comments and function names are left alone."""
    if not renames:
        return sql
    lowered = {old.lower(): new for old, new in renames.items()}
    tokens = tokenize(sql)
    positions = set(_column_positions(tokens))
    parts = []
    for i, tok in enumerate(tokens):
        new = lowered.get(tok.value.lower()) if i in positions else None
        parts.append(quote(new) if new is not None else tok.text)
    return "".join(parts)


def _balanced_end(tokens: list[Token], open_index: int) -> int:
    """Index of the ``)`` closing the ``(`` at ``open_index``."""
    depth = 0
    for i in range(open_index, len(tokens)):
        if tokens[i].text == "(":
            depth += 1
        elif tokens[i].text == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced parentheses")


def _text(tokens: list[Token], start: int, end: int) -> str:
    return "".join(t.text for t in tokens[start:end]).strip()


#: words that begin a column or table constraint (they end a pending ``CONSTRAINT name``)
_CONSTRAINT_WORDS = {
    "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE", "REFERENCES",
    "GENERATED", "AS", "FOREIGN", "CONSTRAINT",
}


@dataclass(frozen=True)
class CheckClause:
    """A CHECK constraint as written in a CREATE TABLE: its name (None when unnamed), the SQL
    inside its parentheses, and the column it was written on (None for table-level)."""

    name: str | None
    sqltext: str
    column: str | None


def table_body(sql: str) -> tuple[list[Token], list[tuple[int, int]]]:
    """The tokens of a CREATE TABLE and the (start, end) token ranges of its top-level
    definitions (columns and table constraints), in order."""
    tokens = tokenize(sql)
    open_index = next(i for i, t in enumerate(tokens) if t.text == "(")
    close_index = _balanced_end(tokens, open_index)
    parts: list[tuple[int, int]] = []
    depth = 0
    start = open_index + 1
    for i in range(open_index + 1, close_index):
        text = tokens[i].text
        if text == "(":
            depth += 1
        elif text == ")":
            depth -= 1
        elif text == "," and depth == 0:
            parts.append((start, i))
            start = i + 1
    parts.append((start, close_index))
    return tokens, parts


def check_clauses(create_table_sql: str) -> list[CheckClause]:
    """Every CHECK constraint in a ``CREATE TABLE`` statement, in the order written."""
    tokens, parts = table_body(create_table_sql)
    out: list[CheckClause] = []
    for start, end in parts:
        sig = [i for i in _significant(tokens[start:end])]
        sig = [start + i for i in sig]
        if not sig:
            continue
        first = tokens[sig[0]]
        is_column = first.upper() not in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")
        column = first.value if is_column else None
        pending: str | None = None
        k = 1 if is_column else 0
        while k < len(sig):
            tok = tokens[sig[k]]
            word = tok.upper()
            if tok.text == "(":
                k = sig.index(_balanced_end(tokens, sig[k])) + 1
                continue
            if word == "CONSTRAINT" and k + 1 < len(sig):
                pending = tokens[sig[k + 1]].value
                k += 2
                continue
            if word == "CHECK" and k + 1 < len(sig) and tokens[sig[k + 1]].text == "(":
                close = _balanced_end(tokens, sig[k + 1])
                out.append(CheckClause(pending, _text(tokens, sig[k + 1] + 1, close), column))
                pending = None
                k = sig.index(close) + 1
                continue
            if word in _CONSTRAINT_WORDS:
                pending = None
            k += 1
    return out


@dataclass(frozen=True)
class NamedConstraint:
    """A named PRIMARY KEY, UNIQUE or FOREIGN KEY constraint as written in a CREATE TABLE."""

    kind: str  # primary, unique, foreignkey
    name: str
    columns: tuple[str, ...]


def _paren_columns(tokens: list[Token], open_index: int) -> tuple[str, ...]:
    close = _balanced_end(tokens, open_index)
    cols: list[str] = []
    expecting = True
    for tok in tokens[open_index + 1:close]:
        if tok.text == ",":
            expecting = True
        elif expecting and tok.is_identifier:
            cols.append(tok.value)
            expecting = False
    return tuple(cols)


def _definitions(create_table_sql: str) -> Iterator[tuple[list[Token], list[int], bool]]:
    """Each column or table constraint of a CREATE TABLE: the tokens, the indexes of its
    significant ones (never empty), and whether it is a column definition."""
    tokens, parts = table_body(create_table_sql)
    for start, end in parts:
        sig = [start + i for i in _significant(tokens[start:end])]
        if sig:
            head = tokens[sig[0]].upper()
            yield tokens, sig, head not in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")


def named_constraints(create_table_sql: str) -> list[NamedConstraint]:
    """The named key constraints of a CREATE TABLE, column-level ones included (SQLAlchemy's
    reflection does not see the name of ``col INT CONSTRAINT fk REFERENCES p (id)``)."""
    kinds = {"PRIMARY": "primary", "UNIQUE": "unique", "REFERENCES": "foreignkey",
             "FOREIGN": "foreignkey"}
    out: list[NamedConstraint] = []
    for tokens, sig, is_column in _definitions(create_table_sql):
        first = tokens[sig[0]]
        for k in range(len(sig) - 2):
            if tokens[sig[k]].upper() != "CONSTRAINT":
                continue
            name = tokens[sig[k + 1]].value
            kind = kinds.get(tokens[sig[k + 2]].upper())
            if kind is None:
                continue
            if is_column:
                out.append(NamedConstraint(kind, name, (first.value,)))
                continue
            paren = next((sig[j] for j in range(k + 2, len(sig)) if tokens[sig[j]].text == "("),
                         None)
            if paren is not None:
                out.append(NamedConstraint(kind, name, _paren_columns(tokens, paren)))
    return out


def unique_clauses(create_table_sql: str) -> list[tuple[str, ...]]:
    """The columns of every UNIQUE constraint written in a CREATE TABLE (column- and
    table-level, named or not), in order. SQLite makes no index for a UNIQUE that repeats the
    primary key or an earlier UNIQUE, so ``PRAGMA index_list`` does not show those."""
    out: list[tuple[str, ...]] = []
    for tokens, sig, is_column in _definitions(create_table_sql):
        first = tokens[sig[0]]
        k = 1 if is_column else 0
        while k < len(sig):
            tok = tokens[sig[k]]
            if tok.text == "(":
                k = sig.index(_balanced_end(tokens, sig[k])) + 1
                continue
            if tok.upper() == "UNIQUE":
                if is_column:
                    out.append((first.value,))
                elif k + 1 < len(sig) and tokens[sig[k + 1]].text == "(":
                    out.append(_paren_columns(tokens, sig[k + 1]))
                    k = sig.index(_balanced_end(tokens, sig[k + 1])) + 1
                    continue
            k += 1
    return out


@dataclass(frozen=True)
class ClauseOptions:
    """What SQLAlchemy's reflection leaves out of a constraint written in a CREATE TABLE:
    ``ON CONFLICT`` of a PRIMARY KEY, UNIQUE or NOT NULL, and ``[NOT] DEFERRABLE
    [INITIALLY ...]`` of a foreign key (column- or table-level)."""

    kind: str  # primary, unique, notnull, foreignkey
    columns: tuple[str, ...]
    on_conflict: str | None = None
    referred_table: str | None = None
    deferrable: bool | None = None
    initially: str | None = None


def clause_options(create_table_sql: str) -> list[ClauseOptions]:
    """The ON CONFLICT and DEFERRABLE clauses of a CREATE TABLE, with the constraint they
    belong to (its kind and local columns)."""
    tokens, parts = table_body(create_table_sql)
    out: list[ClauseOptions] = []
    for start, end in parts:
        sig = [start + i for i in _significant(tokens[start:end])]
        if not sig:
            continue

        def word(j: int, sig: list[int] = sig) -> str:
            return tokens[sig[j]].upper() if j < len(sig) else ""

        def is_open(j: int, sig: list[int] = sig) -> bool:
            return j < len(sig) and tokens[sig[j]].text == "("

        def after_paren(j: int, sig: list[int] = sig) -> int:
            return sig.index(_balanced_end(tokens, sig[j])) + 1

        def conflict(j: int) -> tuple[str | None, int]:
            if word(j) == "ON" and word(j + 1) == "CONFLICT" and word(j + 2):
                return word(j + 2), j + 3
            return None, j

        first = tokens[sig[0]]
        is_column = first.upper() not in ("CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN")
        own: tuple[str, ...] = (first.value,) if is_column else ()
        fk_columns = own
        k = 1 if is_column else 0
        while k < len(sig):
            w = word(k)
            if is_open(k):
                k = after_paren(k)
            elif w == "CONSTRAINT":
                k += 2  # (its name may be any word)
            elif w in ("PRIMARY", "UNIQUE"):
                k += 2 if w == "PRIMARY" and word(k + 1) == "KEY" else 1
                cols = own
                if is_open(k):
                    cols = _paren_columns(tokens, sig[k])
                    k = after_paren(k)
                if word(k) in ("ASC", "DESC"):
                    k += 1
                action, k = conflict(k)
                if action is not None:
                    out.append(ClauseOptions("primary" if w == "PRIMARY" else "unique", cols,
                                             action))
            elif w == "NOT" and word(k + 1) == "NULL":
                action, k = conflict(k + 2)
                if action is not None and is_column:
                    out.append(ClauseOptions("notnull", own, action))
            elif w == "FOREIGN" and word(k + 1) == "KEY" and is_open(k + 2):
                fk_columns = _paren_columns(tokens, sig[k + 2])
                k = after_paren(k + 2)
            elif w == "REFERENCES" and k + 1 < len(sig):
                referred = tokens[sig[k + 1]].value
                k += 2
                if k + 1 < len(sig) and tokens[sig[k]].text == ".":
                    referred = tokens[sig[k + 1]].value
                    k += 2
                if is_open(k):
                    k = after_paren(k)
                while True:
                    if word(k) == "ON" and word(k + 1) in ("DELETE", "UPDATE"):
                        k += 4 if word(k + 2) in ("SET", "NO") else 3
                    elif word(k) == "MATCH":
                        k += 2
                    else:
                        break
                deferrable: bool | None = None
                initially = None
                if word(k) == "NOT" and word(k + 1) == "DEFERRABLE":
                    deferrable, k = False, k + 2
                elif word(k) == "DEFERRABLE":
                    deferrable, k = True, k + 1
                if deferrable is not None and word(k) == "INITIALLY" and word(k + 1):
                    initially, k = word(k + 1), k + 2
                if deferrable is not None:
                    out.append(ClauseOptions("foreignkey", fk_columns, None, referred,
                                             deferrable, initially))
                fk_columns = own
            else:
                k += 1
    return out


def column_collations(create_table_sql: str) -> dict[str, str]:
    """``COLLATE`` of each column definition, by lower-cased column name (SQLAlchemy's
    reflection does not return it)."""
    tokens, parts = table_body(create_table_sql)
    out: dict[str, str] = {}
    for start, end in parts:
        sig = [start + i for i in _significant(tokens[start:end])]
        if not sig or tokens[sig[0]].upper() in (
            "CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"
        ):
            continue
        k = 1
        while k < len(sig):
            tok = tokens[sig[k]]
            if tok.text == "(":
                k = sig.index(_balanced_end(tokens, sig[k])) + 1
                continue
            if tok.upper() == "COLLATE" and k + 1 < len(sig):
                out[tokens[sig[0]].value.lower()] = tokens[sig[k + 1]].value
                break
            k += 1
    return out


@dataclass(frozen=True)
class ColumnDefinition:
    """A column as written in a CREATE TABLE: its declared type text ("" when it has none)
    and, for a generated column, the expression inside ``AS (...)`` and whether it is
    STORED (SQLite's default is VIRTUAL)."""

    name: str
    declared_type: str
    generated: str | None = None
    stored: bool = False


def column_definitions(create_table_sql: str) -> dict[str, ColumnDefinition]:
    """Each column definition of a CREATE TABLE, by lower-cased column name (SQLAlchemy's
    reflection rewrites types it does not know and misreads generated columns written on
    one line)."""
    tokens, parts = table_body(create_table_sql)
    out: dict[str, ColumnDefinition] = {}
    for start, end in parts:
        sig = [start + i for i in _significant(tokens[start:end])]
        if not sig or tokens[sig[0]].upper() in (
            "CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"
        ):
            continue
        name = tokens[sig[0]].value
        k = 1
        type_end = sig[0] + 1
        while k < len(sig) and tokens[sig[k]].upper() not in _CONSTRAINT_WORDS:
            if tokens[sig[k]].text == "(":
                close = _balanced_end(tokens, sig[k])
                k = sig.index(close)
            type_end = sig[k] + 1
            k += 1
        declared = _text(tokens, sig[0] + 1, type_end) if k > 1 else ""
        generated, stored = None, False
        while k < len(sig):
            tok = tokens[sig[k]]
            if tok.text == "(":
                k = sig.index(_balanced_end(tokens, sig[k])) + 1
                continue
            if tok.upper() == "AS" and k + 1 < len(sig) and tokens[sig[k + 1]].text == "(":
                close = _balanced_end(tokens, sig[k + 1])
                generated = _text(tokens, sig[k + 1] + 1, close)
                after = sig.index(close) + 1
                stored = after < len(sig) and tokens[sig[after]].upper() == "STORED"
                break
            k += 1
        out[name.lower()] = ColumnDefinition(name, declared, generated, stored)
    return out


def has_autoincrement(create_table_sql: str) -> bool:
    """Whether a CREATE TABLE declares ``AUTOINCREMENT`` (SQLAlchemy does not reflect it)."""
    return any(t.upper() == "AUTOINCREMENT" for t in tokenize(create_table_sql))


def index_body(create_index_sql: str) -> str:
    """The part of a CREATE INDEX after ``ON <table>``: its columns, expressions and WHERE."""
    tokens = tokenize(create_index_sql)
    sig = _significant(tokens)
    for pos, i in enumerate(sig):
        if tokens[i].upper() == "ON":
            # ON [schema.]table ( ... ) [WHERE ...]
            nxt = pos + 1
            while nxt < len(sig) and tokens[sig[nxt]].text != "(":
                nxt += 1
            if nxt < len(sig):
                return "".join(t.text for t in tokens[sig[nxt]:])
    return create_index_sql


@dataclass(frozen=True)
class IndexParts:
    """A CREATE INDEX taken apart: each element of its column list as written (a column, an
    expression, with COLLATE / ASC / DESC), the bare column name of each element that is only
    a column (None for the others), and its WHERE clause (None without one)."""

    elements: list[str]
    columns: list[str | None]
    where: str | None


def index_parts(create_index_sql: str) -> IndexParts:
    """The elements and WHERE clause of a CREATE INDEX (see :class:`IndexParts`)."""
    tokens = tokenize(index_body(create_index_sql))
    sig = _significant(tokens)
    if not sig or tokens[sig[0]].text != "(":
        return IndexParts([], [], None)
    close = _balanced_end(tokens, sig[0])
    elements: list[str] = []
    columns: list[str | None] = []
    start = sig[0] + 1
    depth = 0
    for i in range(sig[0] + 1, close + 1):
        text = tokens[i].text
        if text == "(":
            depth += 1
        elif text == ")" and depth:
            depth -= 1
        elif (text == "," and depth == 0) or i == close:
            part = [t for t in tokens[start:i] if t.kind not in ("ws", "comment")]
            elements.append(_text(tokens, start, i))
            bare = len(part) == 1 or (
                len(part) == 2 and part[1].upper() in ("ASC", "DESC")
            )
            columns.append(part[0].value if part and bare and part[0].is_identifier else None)
            start = i + 1
    rest = [i for i in sig if i > close]
    where = None
    if rest and tokens[rest[0]].upper() == "WHERE" and len(rest) > 1:
        where = _text(tokens, rest[1], len(tokens)).rstrip(";").strip()
    return IndexParts(elements, columns, where)


def trigger_body(create_trigger_sql: str) -> str:
    """A CREATE TRIGGER without its ``CREATE TRIGGER name`` head (the name is not a column)."""
    tokens = tokenize(create_trigger_sql)
    sig = _significant(tokens)
    skip = 0
    for i in sig:
        if tokens[i].upper() in ("BEFORE", "AFTER", "INSTEAD", "DELETE", "INSERT", "UPDATE"):
            skip = i
            break
    return "".join(t.text for t in tokens[skip:])


@dataclass
class Writes:
    """What the statements of a trigger body write into one table, by column name."""

    columns: set[str]  # as written, from SET targets and INSERT column lists
    positional: bool  # an INSERT INTO the table without a column list (every column, in order)


_SET_END = frozenset({"FROM", "WHERE", "RETURNING"})


def _assignment_targets(tokens: list[Token], sig: list[int], pos: int) -> tuple[set[str], int]:
    """The columns ``SET a = ..., (b, c) = ...`` assigns, from the token after ``SET``; and
    the position where the assignments end."""
    found: set[str] = set()
    expect_target = True
    depth = cases = 0
    while pos < len(sig):
        tok = tokens[sig[pos]]
        word = tok.upper()
        if depth == 0 and cases == 0:
            if tok.text == ";" or word in _SET_END or word == "END":
                break
            if tok.text == ",":
                expect_target = True
                pos += 1
                continue
        if expect_target and depth == 0:
            expect_target = False
            if tok.text == "(":
                end = _balanced_end(tokens, sig[pos])
                found.update(t.value for t in tokens[sig[pos] + 1:end] if t.is_identifier)
                pos = next(p for p, i in enumerate(sig) if i == end) + 1
                continue
            if tok.is_identifier:
                found.add(tok.value)
                pos += 1
                continue
        if tok.text == "(":
            depth += 1
        elif tok.text == ")":
            depth -= 1
        elif word == "CASE":
            cases += 1
        elif word == "END" and cases:
            cases -= 1
        pos += 1
    return found, pos


def written_columns(sql: str, table: str) -> Writes:
    """The columns of ``table`` that ``sql`` (a trigger body) writes by name: ``UPDATE table
    SET col = ...``, ``INSERT INTO table (col, ...)`` and an upsert's ``DO UPDATE SET col =``.
    SQLite's schema check on ALTER TABLE looks at none of these, so a trigger on another table
    that writes a dropped column would only fail when it fires."""
    tokens = tokenize(sql)
    sig = _significant(tokens)
    wanted = table.lower()
    out = Writes(set(), False)
    pos = 0
    inserting = False  # the current statement inserts into ``table`` (its upsert SET counts)
    updating = False  # between ``UPDATE table`` and its SET
    while pos < len(sig):
        tok = tokens[sig[pos]]
        word = tok.upper()
        if tok.text == ";":
            inserting = updating = False
        elif word == "UPDATE" and pos + 1 < len(sig):
            nxt = pos + 1
            if tokens[sig[nxt]].upper() == "OR":
                nxt += 2
            target = tokens[sig[nxt]] if nxt < len(sig) else None
            updating = target is not None and target.is_identifier and (
                target.value.lower() == wanted
            )
        elif word == "INTO" and pos + 1 < len(sig):
            target = tokens[sig[pos + 1]]
            if target.is_identifier and target.value.lower() == wanted:
                inserting = True
                nxt = pos + 2
                if nxt < len(sig) and tokens[sig[nxt]].upper() == "AS":
                    nxt += 2
                after = tokens[sig[nxt]] if nxt < len(sig) else None
                if after is not None and after.text == "(":
                    end = _balanced_end(tokens, sig[nxt])
                    out.columns.update(
                        t.value for t in tokens[sig[nxt] + 1:end] if t.is_identifier
                    )
                elif after is not None and after.upper() in ("VALUES", "SELECT", "WITH"):
                    out.positional = True
        elif word == "SET" and (updating or inserting):
            found, pos = _assignment_targets(tokens, sig, pos + 1)
            out.columns.update(found)
            updating = False
            continue
        pos += 1
    return out


def qualify_created_name(create_sql: str, schema: str | None, quote_schema: Callable[[str], str]) -> str:
    """A stored ``CREATE INDEX`` / ``CREATE TRIGGER`` with ``schema.`` before the object's name
    (SQLite stores the statement without the schema the object was created in)."""
    if not schema:
        return create_sql
    tokens = tokenize(create_sql)
    sig = _significant(tokens)
    skip = {"CREATE", "UNIQUE", "INDEX", "TRIGGER", "TEMP", "TEMPORARY", "IF", "NOT", "EXISTS"}
    for pos, i in enumerate(sig):
        if tokens[i].is_identifier and tokens[i].upper() not in skip:
            nxt = tokens[sig[pos + 1]] if pos + 1 < len(sig) else None
            if nxt is not None and nxt.text == ".":
                return create_sql  # already qualified
            start = tokens[i].start
            return create_sql[:start] + quote_schema(schema) + "." + create_sql[start:]
    return create_sql


#: what ends a column's declared type: the first word of a column constraint
_CONSTRAINT_WORDS = {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT",
                     "COLLATE", "REFERENCES", "GENERATED", "AS"}


@dataclass(frozen=True)
class KeyFacts:
    """What a CREATE TABLE says about its primary key that reflection does not."""

    without_rowid: bool
    #: the column that is an alias of the rowid (never NULL), if any
    rowid_alias: str | None


def key_facts(create_table_sql: str) -> KeyFacts:
    """SQLite's rules: a ``WITHOUT ROWID`` table's key columns are NOT NULL; in a rowid table
    a single-column primary key declared exactly ``INTEGER`` is the rowid (never NULL), except
    ``INTEGER PRIMARY KEY DESC`` written on the column."""
    tokens, parts = table_body(create_table_sql)
    tail = [t.upper() for t in tokens[parts[-1][1] + 1:] if t.kind not in ("ws", "comment")]
    without_rowid = any(a == "WITHOUT" and b == "ROWID" for a, b in zip(tail, tail[1:]))
    if without_rowid:
        return KeyFacts(True, None)
    declared: dict[str, list[str]] = {}
    keys: list[str] = []
    alias_refused = False
    for toks, sig, is_column in _definitions(create_table_sql):
        words = [toks[i].upper() for i in sig]
        if is_column:
            name = toks[sig[0]].value
            type_words = []
            for word in words[1:]:
                if word in _CONSTRAINT_WORDS:
                    break
                type_words.append(word)
            declared[name.lower()] = type_words
            for k, word in enumerate(words[:-1]):
                if word == "PRIMARY" and words[k + 1] == "KEY":
                    keys.append(name)
                    alias_refused = k + 2 < len(words) and words[k + 2] == "DESC"
        elif "PRIMARY" in words[:3]:  # PRIMARY KEY (...) or CONSTRAINT name PRIMARY KEY (...)
            paren = next((sig[j] for j in range(len(sig)) if toks[sig[j]].text == "("), None)
            if paren is not None:
                keys.extend(_paren_columns(toks, paren))
    if len(keys) != 1 or alias_refused:
        return KeyFacts(False, None)
    alias = keys[0] if declared.get(keys[0].lower()) == ["INTEGER"] else None
    return KeyFacts(False, alias)
