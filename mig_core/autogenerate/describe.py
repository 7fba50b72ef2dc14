"""Readable text and JSON records for diff entries (``mig check``)."""

from __future__ import annotations

from typing import Any


def _qualified(schema: str | None, name: str) -> str:
    return f"{schema}.{name}" if schema else name


def _table_of(obj: Any) -> str:
    table = getattr(obj, "table", None)
    if table is None:
        return "?"
    return _qualified(getattr(table, "schema", None), table.name)


def _type_text(type_: Any) -> str:
    if type_ is None:
        return "None"
    try:
        return str(type_.compile())
    except Exception:
        return repr(type_)


def _default_text(value: Any) -> str:
    if value is None or value is False:
        return "None"
    arg = getattr(value, "arg", value)
    text = getattr(arg, "text", None)
    if isinstance(text, str):
        return text
    return repr(arg)


def diff_record(diff: tuple[Any, ...]) -> dict[str, Any]:
    """A JSON-ready dict: ``kind``, ``schema``, ``table``, ``name`` and ``old`` / ``new``."""
    kind = diff[0]
    record: dict[str, Any] = {"kind": kind}
    if kind in ("add_table", "remove_table"):
        table = diff[1]
        record.update(schema=table.schema, table=table.name)
    elif kind in ("add_table_comment", "remove_table_comment"):
        table = diff[1]
        record.update(schema=table.schema, table=table.name, new=table.comment)
        if kind == "add_table_comment":
            record["old"] = diff[2]
    elif kind in ("add_column", "remove_column"):
        record.update(schema=diff[1], table=diff[2], name=diff[3].name,
                      type=_type_text(diff[3].type))
    elif kind.startswith("modify_"):
        old, new = diff[5], diff[6]
        if kind == "modify_type":
            old, new = _type_text(old), _type_text(new)
        elif kind == "modify_default":
            old, new = _default_text(old), _default_text(new)
        record.update(schema=diff[1], table=diff[2], name=diff[3], old=old, new=new)
    elif kind in ("add_index", "remove_index", "add_constraint", "remove_constraint",
                  "add_fk", "remove_fk"):
        obj = diff[1]
        table = getattr(obj, "table", None)
        record.update(
            schema=getattr(table, "schema", None), table=getattr(table, "name", None),
            name=None if obj.name is None else str(obj.name),
            columns=[getattr(c, "name", str(c)) for c in _columns_of(obj)],
        )
        if kind in ("add_fk", "remove_fk"):
            from mig_core.operations.schemaobj import fk_target

            schema, referred, _ = fk_target(obj.elements[0])
            record["referred_table"] = ".".join(str(n) for n in (schema, referred) if n)
    else:
        record.update(_other_record(diff))
    return record


def _other_record(diff: tuple[Any, ...]) -> dict[str, Any]:
    """A plugin's diff: ``(kind, schema, name, *details)`` or ``(kind, object, *details)``.

    ``schema`` / ``name`` are filled when the tuple has that shape (``detail`` then holds the
    rest, readable); a tuple of another shape keeps every part in ``detail``.
    """
    parts = diff[1:]
    if len(parts) >= 2 and (parts[0] is None or isinstance(parts[0], str)) \
            and isinstance(parts[1], str):
        return {"schema": parts[0], "name": parts[1],
                "detail": [_detail_text(p) for p in parts[2:]]}
    if parts and isinstance(getattr(parts[0], "name", None), str):
        obj = parts[0]
        return {"schema": getattr(obj, "schema", None), "name": obj.name,
                "detail": [_detail_text(p) for p in parts[1:]]}
    return {"detail": [_detail_text(p) for p in parts]}


def _detail_text(value: Any) -> str:
    """A detail of a plugin's diff as short readable text (SQL as SQL, lists as lists)."""
    if value is None:
        return "None"
    if isinstance(value, str):
        text = value
    elif isinstance(value, (tuple, list, set, frozenset)):
        return "[" + ", ".join(repr(v) if isinstance(v, str) else _detail_text(v)
                               for v in value) + "]"
    elif isinstance(value, (bool, int, float)):
        return repr(value)
    else:
        text = _sql_text(value)
    return " ".join(text.split())


def _cut(text: str) -> str:
    """A detail shortened for the one-line description (``--json`` keeps it whole)."""
    return text if len(text) <= _DETAIL_WIDTH else text[: _DETAIL_WIDTH - 3] + "..."


def _sql_text(value: Any) -> str:
    sql = getattr(value, "text", None)
    if isinstance(sql, str):
        return sql
    try:
        from mig_core.autogenerate.render import render_sql_text_for

        return render_sql_text_for(None, value)
    except Exception:
        return repr(value)


#: a plugin diff's detail (a view's SQL, say) is cut to this width in the one-line description
_DETAIL_WIDTH = 60
#: kinds whose two details are an old and a new value
_CHANGE_PREFIXES = ("modify_", "alter_", "rename_", "change_")


def _columns_of(obj: Any) -> list[Any]:
    expressions = getattr(obj, "expressions", None)
    if expressions is not None:
        return list(expressions)
    return list(getattr(obj, "columns", []))


def describe_diff(diff: tuple[Any, ...]) -> str:
    """One line such as ``add_column account.email VARCHAR(200)``."""
    record = diff_record(diff)
    kind = record["kind"]
    where = _qualified(record.get("schema"), record.get("table") or "?")
    if kind in ("add_table", "remove_table"):
        return f"{kind} {where}"
    if kind in ("add_column", "remove_column"):
        return f"{kind} {where}.{record['name']} {record['type']}"
    if kind.startswith("modify_"):
        return f"{kind} {where}.{record['name']}: {record['old']!s} -> {record['new']!s}"
    if "columns" in record:
        cols = ", ".join(str(c) for c in record["columns"])
        target = f" -> {record['referred_table']}" if "referred_table" in record else ""
        return f"{kind} {record['name'] or '(unnamed)'} on {where} ({cols}){target}"
    if kind == "add_table_comment":
        old = record.get("old")
        change = f"{old!r} -> " if old is not None else ""
        return f"{kind} {where}: {change}{record.get('new')!r}"
    if kind == "remove_table_comment":
        return f"{kind} {where}"
    details = [_cut(d) for d in record.get("detail", [])]
    if "name" in record:
        line = f"{kind} {_qualified(record.get('schema'), record['name'])}"
    else:
        line, details = f"{kind}", [d for d in details if d != "None"]
    if len(details) == 2 and kind.startswith(_CHANGE_PREFIXES):
        return f"{line}: {details[0]} -> {details[1]}"
    return f"{line}: {' '.join(details)}" if details else line
