"""Helpers shared by the autogenerate tests: set a database up, compare, run rendered code."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mig_core.autogenerate.api import compare_metadata, produce_migrations, render_python_code
from mig_core.runtime.migration import MigrationContext


def reset(engine: sa.Engine) -> None:
    """Drop every table (and, on PostgreSQL, extra schemas and enum types) in the database."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            for schema in ("other",):
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        else:
            md = sa.MetaData()
            md.reflect(conn)
            md.drop_all(conn)


def setup(engine: sa.Engine, metadata: sa.MetaData | None) -> None:
    """A database holding exactly ``metadata`` (empty when None)."""
    reset(engine)
    if metadata is not None:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                schemas = {t.schema for t in metadata.tables.values() if t.schema}
                for schema in schemas:
                    conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            metadata.create_all(conn)


def diffs(engine: sa.Engine, model: Any, **opts: Any) -> list[Any]:
    """compare_metadata of ``model`` against the database, with configure() options."""
    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts)
        return compare_metadata(ctx, model)


def flat(diff_list: list[Any]) -> list[Any]:
    out: list[Any] = []
    for d in diff_list:
        out.extend(d if isinstance(d, list) else [d])
    return out


def kinds(diff_list: list[Any]) -> list[str]:
    return [d[0] for d in flat(diff_list)]


def migrate(engine: sa.Engine, model: Any, **opts: Any) -> tuple[str, str]:
    """Autogenerate against the database, run the rendered upgrade; returns (upgrade, downgrade)."""
    from mig_core.autogenerate.context import RenderContext
    from mig_core.autogenerate.render import render_ops_body

    with engine.connect() as conn:
        ctx = MigrationContext.configure(connection=conn, opts=opts)
        script = produce_migrations(ctx, model)
        render = RenderContext(migration_context=ctx)
        up = render_ops_body(render, script.upgrade_ops)
        down = render_ops_body(render, script.downgrade_ops)
        imports = "\n".join(sorted(render.imports))
        assert up == render_python_code(script.upgrade_ops, migration_context=ctx,
                                        render_as_batch=opts.get("render_as_batch", False))
    run_code(engine, up, imports)
    return imports + "\n" + up, imports + "\n" + down


def run_code(engine: sa.Engine, body: str, imports: str = "") -> None:
    """Execute a rendered upgrade()/downgrade() body with ``op`` bound to the database."""
    from mig_core import op
    from mig_core.operations.base import Operations

    if "\n" in body and body.split("\n", 1)[0].startswith(("from ", "import ")):
        imports, body = body.split("# ###", 1)
        body = "# ###" + body
    source = "import sqlalchemy as sa\n" + imports + "\ndef fn():\n    " + body + "\n"
    namespace: dict[str, Any] = {"op": op}
    exec(compile(source, "<rendered>", "exec"), namespace)  # noqa: S102 - the code under test
    with engine.begin() as conn:
        ctx = MigrationContext.configure(connection=conn)
        with op.installed(Operations(ctx)):
            namespace["fn"]()
