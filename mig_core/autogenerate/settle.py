"""Tables whose columns are settled from the dialect plugin's raw catalog rows.

On a large model most tables are unchanged, and reflecting their columns (SQLAlchemy turning
each row into a type object and a dict) then comparing them costs about as much again as the
query. A dialect plugin that can list columns as raw rows (``impl.raw_column_rows``) lets the
core settle a table before reflection: same column names in the same order as the model, each
column's nullability and comment equal, no computed or identity column, and each type one whose
reflected form the impl knows (``impl.plain_reflected_type``) and the core's type comparison
finds equal to the model's. Such a table is not sent to ``get_multi_columns``: its comparison
finds no column change, as the full one would. Any other table (or any doubt) goes the usual way.

Only when the core alone compares columns and types: no ``mig_compare_column`` or
``mig_compare_type`` of a plugin (nor ``comparators.dispatch_for("column")``), no
``compare_type`` callable, no ``compare_server_default``, no ``schema_translate_map``.

The filters see what they would without settling (compare_columns calls them at the same
point, with the same arguments, for a settled table too): ``include_name`` is given each column
name (a column it leaves out changes nothing, as a settled table has no column change), and
``include_object`` each model column with a reflected column as ``compare_to``, which the impl
builds from the row exactly as reflection would (``impl.plain_column_record``; without it,
nothing is settled while ``include_object`` is configured).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from mig_core.autogenerate.context import CompareContext


class Settled(NamedTuple):
    """A settled table's column types (name -> type text of the raw rows) and, while
    ``include_object`` is configured, its columns' reflection dicts built from those rows."""

    types: dict[str, str]
    records: list[dict[str, Any]] | None


def settling_possible(ctx: CompareContext) -> bool:
    """Whether the comparison of columns is the core's alone (see the module docstring)."""
    from mig_core.autogenerate.compare_columns import _quick_check
    from mig_core.builtin import compare as builtin

    cached = ctx.cache.get("settle.possible")
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    impl = type(ctx.impl)
    possible = (
        impl.raw_column_rows is not _default("raw_column_rows")
        and (not ctx.has_object_filters
             or impl.plain_column_record is not _default("plain_column_record"))
        and (ctx.translation is None or not ctx.translation.active)
        and ctx.hook("mig_compare_type") is builtin.mig_compare_type
        and _quick_check(ctx, ctx.hook("mig_compare_column")) is not None
    )
    ctx.cache["settle.possible"] = possible
    return possible


def _default(method: str) -> Any:
    from mig_core.ddl.impl import DefaultImpl

    return getattr(DefaultImpl, method)


def settled_tables(
    ctx: CompareContext, schema: str | None, db_schema: str | None, names: list[str]
) -> dict[str, Settled]:
    """The tables among ``names`` (of model schema ``schema``, reflected as ``db_schema``)
    whose columns are certainly unchanged."""
    model = ctx.meta_tables()
    wanted = [name for name in names if (schema, name) in model]
    if not wanted or not settling_possible(ctx):
        return {}
    rows = ctx.impl.raw_column_rows(ctx, db_schema, wanted)
    if not rows:
        return {}
    families = ctx.families
    nullability = families.constraints
    comments = bool(ctx.dialect.supports_comments) and families.comments
    defaults = families.defaults
    same_type = _type_judge(ctx, bool(ctx.compare_type_option))
    records = ctx.impl.plain_column_record if ctx.has_object_filters else None
    settled: dict[str, Settled] = {}
    for name in wanted:
        columns = rows.get(name)
        meta_columns = list(model[(schema, name)].columns)
        if not columns or len(columns) != len(meta_columns):
            continue
        for (column, type_text, nullable, comment, plain, _), col in zip(columns, meta_columns):
            if column != col.name or not plain:
                break
            if nullability and nullable is not bool(col.nullable):
                break
            if comments and (comment or None) != (col.comment or None):
                break
            if defaults and (col.computed is not None or col.identity is not None):
                break
            if not same_type(type_text, col.type):
                break
        else:
            built = None if records is None else [records(ctx, db_schema, r) for r in columns]
            if built is None or all(record is not None for record in built):
                types = {column[0]: column[1] for column in columns}
                settled[name] = Settled(types, built)  # type: ignore[arg-type]
    return settled


def _type_judge(ctx: CompareContext, compare_types: bool) -> Any:
    """``same(type_text, model_type)``: True when the impl knows the type the comparison
    would hold for the reflected column (``impl.plain_reflected_type``) and, with types
    compared, the core's type comparison finds it equal to the model's."""
    from mig_core.autogenerate.compare_columns import _type_key, default_types_differ

    verdicts: dict[Any, bool] = ctx.cache.setdefault("settle.type_verdicts", {})
    impl = ctx.impl

    def same(type_text: str, meta_type: Any) -> bool:
        key = (type_text, _type_key(meta_type))
        try:
            verdict = verdicts.get(key)
        except TypeError:  # an unhashable type attribute: not settled
            return False
        if verdict is None:
            conn_type = impl.plain_reflected_type(ctx, type_text, meta_type)
            verdict = verdicts[key] = conn_type is not None and (
                not compare_types or not default_types_differ(ctx, conn_type, meta_type)
            )
        return verdict

    return same
