"""Several schemas on the real server: tenants chosen by ``schema_translate_map`` (runtime,
run lock, batch, bulk_insert), tenants sharing one history table, and autogenerate / batch
across schemas (cross-schema foreign keys both ways, same-named tables, enums, sequences,
indexes and comments outside the default schema, ``include_name`` choosing schemas)."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from mig_postgres.lock import PostgresRunLock
from pg_support import PM, autogenerate, compare, reset_database, rows, run, run_rendered
from runtime_support import config_for, make_project, shared_fixtures
from sqlalchemy.dialects import postgresql as pg

from mig_core import command
from mig_core.autogenerate.api import compare_metadata, produce_migrations
from mig_core.autogenerate.context import RenderContext
from mig_core.autogenerate.render import render_ops_body
from mig_core.errors import CommandError, MigWarning
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext

postgres_url = shared_fixtures().postgres_url

TENANTS = ("tenant1", "tenant2")

#: env.py of the schema_translate_map multi-tenant recipe: the tenant comes from the config
TRANSLATE_ENV_PY = '''
import sqlalchemy as sa

from mig_core import context

config = context.config
engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
with engine.connect() as connection:
    tenant = config.attributes["tenant"]
    connection = connection.execution_options(schema_translate_map={None: tenant})
    context.configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
'''

REVISIONS = [
    {
        "rev": "a",
        "upgrade": """
            op.create_enum("mood", ["sad", "ok"])
            op.create_table(
                "acct",
                sa.Column("id", sa.Integer, primary_key=True),
                sa.Column("name", sa.String(10)),
                sa.Column("legacy", sa.Integer),
                sa.Column("m", sa.dialects.postgresql.ENUM(name="mood", create_type=False)),
            )
            op.create_table_comment("acct", "accounts")
        """,
    },
    {
        "rev": "b",
        "down": "a",
        "upgrade": """
            op.add_column("acct", sa.Column("extra", sa.Integer, server_default="1"))
            op.alter_column("acct", "name", type_=sa.String(50), existing_type=sa.String(10),
                            comment="the name")
            op.alter_column("acct", "legacy", new_column_name="old")
            op.add_enum_value("mood", "happy")
            op.create_index("ix_acct_name", "acct", ["name"])
            acct = sa.table("acct", sa.column("id"), sa.column("name"))
            op.bulk_insert(acct, [{"id": 1, "name": "first"}])
        """,
    },
]


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    eng = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    reset_database(eng, TENANTS)
    yield eng
    eng.dispose()


def _decoy(engine: sa.Engine) -> None:
    """``public`` objects of the tenants' names: a statement that misses the map lands there."""
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TYPE public.mood AS ENUM ('x'); "
            "CREATE TABLE public.acct (id int PRIMARY KEY, name varchar(10), legacy int)"
        ))


def _tenant_config(ini: Path, tenant: str) -> Any:
    config = config_for(ini, tenant=tenant)
    config.stdout = io.StringIO()
    return config


def _columns(engine: sa.Engine, schema: str, table: str) -> list[tuple[Any, ...]]:
    return rows(
        engine,
        "SELECT column_name, data_type, col_description(:t ::regclass, ordinal_position) "
        "FROM information_schema.columns WHERE table_schema = :s AND table_name = :n "
        "ORDER BY ordinal_position",
        t=f"{schema}.{table}", s=schema, n=table,
    )


# --- runtime: tenants chosen by schema_translate_map ----------------------------------------


def test_schema_translate_map_tenants_each_migrate_their_own_schema(tmp_path, postgres_url,
                                                                    engine):
    """Every statement of a revision (ALTERs, comments, enum DDL, ``bulk_insert`` of an
    ``sa.table()``), the version table and the history table follow the map: the tenants'
    schemas are migrated step by step (the version table is found again) and ``public``'s
    objects of the same names are not touched."""
    _decoy(engine)
    ini = make_project(tmp_path, postgres_url, REVISIONS, env_py=TRANSLATE_ENV_PY)
    for tenant in TENANTS:
        command.upgrade(_tenant_config(ini, tenant), "a")
        command.upgrade(_tenant_config(ini, tenant), "head")
        current = _tenant_config(ini, tenant)
        command.current(current)
        assert current.stdout.getvalue().split()[0] == "b"
        assert _columns(engine, tenant, "acct") == [
            ("id", "integer", None),
            ("name", "character varying", "the name"),
            ("old", "integer", None),
            ("m", "USER-DEFINED", None),
            ("extra", "integer", None),
        ]
        assert rows(engine, f"SELECT id, name, extra FROM {tenant}.acct") == [(1, "first", 1)]
        assert rows(engine, f"SELECT obj_description('{tenant}.acct'::regclass)") == [("accounts",)]
        assert rows(engine, f"SELECT enum_range(NULL::{tenant}.mood)::text") == [("{sad,ok,happy}",)]
        assert rows(engine, f"SELECT version_num FROM {tenant}.mig_version") == [("b",)]
        assert rows(engine, f"SELECT revisions FROM {tenant}.mig_history ORDER BY id") == [
            ("a",), ("b",)
        ]
    assert _columns(engine, "public", "acct") == [
        ("id", "integer", None), ("name", "character varying", None), ("legacy", "integer", None)
    ]
    assert rows(engine, "SELECT count(*) FROM public.acct") == [(0,)]
    assert rows(engine, "SELECT enum_range(NULL::public.mood)::text") == [("{x}",)]
    assert rows(engine, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == [("acct",)]


def test_schema_translate_map_tenants_do_not_block_each_other(tmp_path, postgres_url, engine):
    """The run lock's key names the schema the map puts the version table in: a run of
    tenant1 holding its lock does not stop one of tenant2."""
    ini = make_project(tmp_path, postgres_url, REVISIONS[:1], env_py=TRANSLATE_ENV_PY)

    class Impl:  # the two attributes of a DDL implementation the lock reads
        def __init__(self, connection: sa.Connection) -> None:
            self.connection = connection
            self.context_opts: dict[str, Any] = {}

    with engine.connect() as holder:
        holder = holder.execution_options(schema_translate_map={None: "tenant1"})
        with PostgresRunLock(Impl(holder), timeout=None):
            command.upgrade(_tenant_config(ini, "tenant2"), "head", lock_timeout=3)
    assert rows(engine, "SELECT version_num FROM tenant2.mig_version") == [("a",)]


def _with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path={schema}"


def _log(ini: Path, url: str) -> list[tuple[str, str]]:
    """(version_table, revisions) of the rows ``mig log`` shows for the project at ``url``."""
    import json

    config = config_for(ini)
    config.set_main_option("sqlalchemy.url", url)
    config.stdout = io.StringIO()
    command.log(config, as_json=True)
    return [(r["version_table"], r["revisions"]) for r in json.loads(config.stdout.getvalue())]


def test_tenants_sharing_a_history_schema_are_told_apart(tmp_path, postgres_url, engine):
    """Tenants chosen by ``search_path`` with one ``history_table_schema``: each row names the
    tenant's version table (it used to be the bare ``mig_version`` for all of them, so each
    tenant's ``mig log`` showed every tenant's rows)."""
    reset_database(engine, ("shared",))
    ini = make_project(tmp_path, postgres_url, REVISIONS[:1],
                       ini_extra="history_table_schema = shared\n")
    for tenant in TENANTS:
        config = config_for(ini)
        config.set_main_option("sqlalchemy.url", _with_search_path(postgres_url, tenant))
        command.upgrade(config, "head")
    for tenant in TENANTS:
        assert _log(ini, _with_search_path(postgres_url, tenant)) == [
            (f"{tenant}.mig_version", "a")
        ]


def test_tenants_creating_the_shared_history_table_together(tmp_path, postgres_url, engine):
    """Two tenants' first runs (their run locks differ) both create the shared history table:
    the second waits for the first's commit and goes on instead of failing on the duplicate."""
    import threading
    import time

    reset_database(engine, ("shared",))
    slow = {"rev": "a", "upgrade": "op.execute('SELECT pg_sleep(1.5)')"}
    ini = make_project(tmp_path, postgres_url, [slow], ini_extra="history_table_schema = shared\n")
    errors: list[BaseException] = []

    def upgrade(tenant: str) -> None:
        config = config_for(ini)
        config.set_main_option("sqlalchemy.url", _with_search_path(postgres_url, tenant))
        try:
            command.upgrade(config, "head")
        except BaseException as exc:  # reported below, from the test's thread
            errors.append(exc)

    first = threading.Thread(target=upgrade, args=("tenant1",))
    first.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not rows(
        engine, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() "
                "AND query LIKE 'SELECT pg_sleep(1.5)%'"
    ):
        time.sleep(0.05)  # until tenant1's revision runs: its history table is created, uncommitted
    upgrade("tenant2")
    first.join()
    assert errors == []
    assert rows(engine, "SELECT version_table FROM shared.mig_history ORDER BY id") == [
        ("tenant1.mig_version",), ("tenant2.mig_version",)
    ]


def _migrate_in(engine: sa.Engine, tenant: str, fn: Any) -> None:
    """Run ``fn(op)`` in one migration on a connection mapping the default schema to
    ``tenant``."""
    with engine.connect() as conn:
        conn = conn.execution_options(schema_translate_map={None: tenant})
        ctx = MigrationContext.configure(connection=conn, plugin_manager=PM)
        with Operations.context(ctx) as op, ctx.begin_transaction():
            fn(op)


def test_batch_recreate_under_schema_translate_map(engine):
    """The recreate reads the tenant's table (not ``public``'s of the same name), keeps its
    index and re-adds the foreign key pointing at it."""
    with engine.begin() as conn:
        for schema in ("public", "tenant1"):
            conn.execute(sa.text(
                f"CREATE TABLE {schema}.acct (id serial PRIMARY KEY, name varchar(10), "
                f"legacy int); CREATE INDEX ix_acct_name ON {schema}.acct (name); "
                f"CREATE TABLE {schema}.ref (id int, acct_id int REFERENCES {schema}.acct (id)); "
                f"INSERT INTO {schema}.acct (name) VALUES ('{schema}')"
            ))

    def drop_legacy(op: Any) -> None:
        with op.batch_alter_table("acct", recreate="always") as batch:
            batch.drop_column("legacy")

    _migrate_in(engine, "tenant1", drop_legacy)
    assert [c[0] for c in _columns(engine, "tenant1", "acct")] == ["id", "name"]
    assert [c[0] for c in _columns(engine, "public", "acct")] == ["id", "name", "legacy"]
    assert rows(engine, "SELECT name FROM tenant1.acct") == [("tenant1",)]
    assert rows(engine, "SELECT indexname FROM pg_indexes WHERE schemaname = 'tenant1' "
                        "AND tablename = 'acct' ORDER BY 1") == [("acct_pkey",), ("ix_acct_name",)]
    assert rows(engine, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = 'tenant1.ref'::regclass") == [
        ("FOREIGN KEY (acct_id) REFERENCES tenant1.acct(id)",)
    ]


def test_rename_table_under_schema_translate_map(engine):
    """``RENAME TO`` takes the bare new name (PostgreSQL refuses a qualified one) while the
    renamed table is the tenant's."""
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE public.a (id int); CREATE TABLE tenant1.a (id int)"))
    _migrate_in(engine, "tenant1", lambda op: op.rename_table("a", "b"))
    assert rows(engine, "SELECT schemaname, tablename FROM pg_tables "
                        "WHERE schemaname IN ('public', 'tenant1') ORDER BY 1") == [
        ("public", "a"), ("tenant1", "b")
    ]


def _tenant_tables(engine: sa.Engine) -> None:
    """``acct`` and ``ref`` (referring to it) in tenant1, and a ``public.acct`` of other
    columns that a comparison missing the map would read."""
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TABLE public.acct (id int PRIMARY KEY, legacy int); "
            "CREATE TABLE tenant1.acct (id int PRIMARY KEY, name varchar(10)); "
            "CREATE TABLE tenant1.ref (id int PRIMARY KEY, "
            "acct_id int CONSTRAINT fk_ref_acct REFERENCES tenant1.acct (id))"
        ))


def _tenant_model(schema: str | None = None, extra: bool = True) -> sa.MetaData:
    """``acct`` (with a new column ``extra``) and ``ref`` in ``schema``, as in the database."""
    md = sa.MetaData(schema=schema)
    sa.Table("acct", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String(10)),
             *([sa.Column("extra", sa.Integer)] if extra else []))
    sa.Table("ref", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("acct_id", sa.Integer,
                       sa.ForeignKey(f"{schema}.acct.id" if schema else "acct.id",
                                     name="fk_ref_acct")))
    return md


def _compare_mapped(engine: sa.Engine, model: sa.MetaData, mapping: dict[Any, Any],
                    **opts: Any) -> list[Any]:
    with engine.connect() as conn:
        conn = conn.execution_options(schema_translate_map=mapping)
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
        with warnings.catch_warnings():
            warnings.simplefilter("error", MigWarning)
            return compare_metadata(ctx, model)


def _described(diffs: list[Any]) -> list[tuple[Any, ...]]:
    """(kind, schema, table, column) of each difference."""
    return [(d[0], d[1], d[2], d[3].name) if d[0] == "add_column" else d for d in diffs]


@pytest.mark.parametrize("include_schemas", [False, True])
def test_autogenerate_compares_the_schema_the_map_sends_the_model_to(engine, include_schemas):
    """The tenant's tables are compared (not ``public``'s of the same names), under the
    model's schema name: one added column, the foreign key within the tenant unchanged; with
    ``include_schemas`` the tenant is not listed again as a schema of its own and
    ``include_name`` sees the model's schema names."""
    _tenant_tables(engine)
    seen: list[Any] = []

    def include_name(name: Any, type_: str, parents: dict[str, Any]) -> bool:
        if type_ != "schema":
            return True
        seen.append(name)
        return name in (None, "tenant1", "tenant2")  # not what other tests left behind

    diffs = _compare_mapped(engine, _tenant_model(), {None: "tenant1"},
                            include_schemas=include_schemas, include_name=include_name)
    assert _described(diffs) == [("add_column", None, "acct", "extra")]
    # public is where the map moved the model away from; tenant2 is only another schema
    assert seen[0] is None and "tenant1" not in seen and "public" not in seen
    assert ("tenant2" in seen) == include_schemas


def test_autogenerate_maps_a_named_schema_and_its_foreign_keys_back(engine):
    """``"app" -> "tenant1"``: the model's ``app`` tables are compared with tenant1's, and a
    real schema ``app`` (which the map makes unreachable) is not read; the revision names
    ``app``, as the model does."""
    _tenant_tables(engine)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE SCHEMA app; CREATE TABLE app.acct (id int, other int); "
            "CREATE TYPE app.mood AS ENUM ('x'); CREATE SEQUENCE app.other_counter; "
            "CREATE TYPE tenant1.mood AS ENUM ('sad', 'ok'); CREATE SEQUENCE tenant1.counter; "
            "CREATE TABLE tenant1.feel (id int PRIMARY KEY, m tenant1.mood)"
        ))
    model = _tenant_model("app")
    sa.Table("feel", model, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("m", pg.ENUM("sad", "ok", name="mood", schema="app")))
    sa.Sequence("counter", metadata=model, schema="app")
    try:
        opts = {"include_schemas": True,
                "include_name": lambda n, t, p: t != "schema" or n == "app"}
        # tenant1's enum and sequence (read from the catalog) are the model's app.mood and
        # app.counter; app's own, which the map hides, are not dropped
        diffs = _compare_mapped(engine, model, {"app": "tenant1"}, **opts)
        assert _described(diffs) == [("add_column", "app", "acct", "extra")]
        with engine.connect() as conn:
            conn = conn.execution_options(schema_translate_map={"app": "tenant1"})
            ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
            script = produce_migrations(ctx, model)
            body = render_ops_body(RenderContext(migration_context=ctx), script.upgrade_ops)
        assert "schema='app'" in body and "tenant1" not in body
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA app CASCADE"))


def test_autogenerate_warns_when_the_map_sends_two_schemas_to_one(engine):
    """What it cannot sort out: two compared schemas in one database schema."""
    md = _tenant_model()
    sa.Table("other", md, sa.Column("id", sa.Integer, primary_key=True), schema="tenant2")
    with engine.connect() as conn:
        conn = conn.execution_options(schema_translate_map={None: "tenant1",
                                                            "tenant2": "tenant1"})
        opts = {"include_schemas": True,
                "include_name": lambda n, t, p: t != "schema" or n in (None, "tenant2")}
        ctx = MigrationContext.configure(connection=conn, opts=opts, plugin_manager=PM)
        with pytest.warns(MigWarning, match=r"sends schemas None, 'tenant2' to one schema "
                                            r"\('tenant1'\)"):
            compare_metadata(ctx, md)


#: env.py of the tenant recipe with a model: the tenant and the MetaData come from the config
TRANSLATE_MODEL_ENV_PY = TRANSLATE_ENV_PY.replace(
    "context.configure(connection=connection)",
    "context.configure(connection=connection, "
    "target_metadata=config.attributes['target_metadata'])",
)

#: the model of REVISIONS at head
HEAD_MODEL = sa.MetaData()
sa.Table("acct", HEAD_MODEL, sa.Column("id", sa.Integer, primary_key=True),
         sa.Column("name", sa.String(50), comment="the name"), sa.Column("old", sa.Integer),
         sa.Column("m", pg.ENUM("sad", "ok", "happy", name="mood")),
         sa.Column("extra", sa.Integer, server_default="1"),
         sa.Index("ix_acct_name", "name"), comment="accounts")


def test_tenant_at_head_checks_clean_and_round_trips(tmp_path, postgres_url, engine):
    """A tenant migrated through the map is at its model: ``mig check`` finds nothing (the
    untranslated comparison saw every table as new, and public's enum as another one);
    autogenerate's revision for a changed model, run through the map, leaves nothing
    to compare."""
    _decoy(engine)
    ini = make_project(tmp_path, postgres_url, REVISIONS, env_py=TRANSLATE_MODEL_ENV_PY)
    template = Path(command.__file__).parent / "templates" / "generic" / "script.py.mako"
    (tmp_path / "migrations" / "script.py.mako").write_text(template.read_text())

    def config(model: sa.MetaData) -> Any:
        cfg = _tenant_config(ini, "tenant1")
        cfg.attributes["target_metadata"] = model
        return cfg

    command.upgrade(config(HEAD_MODEL), "head")
    command.check(config(HEAD_MODEL))
    changed = sa.MetaData()
    for table in HEAD_MODEL.tables.values():
        table.to_metadata(changed)
    changed.tables["acct"].append_column(sa.Column("added", sa.String(5)))
    sa.Table("more", changed, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("acct_id", sa.Integer, sa.ForeignKey("acct.id")))
    command.revision(config(changed), "c", autogenerate=True, rev_id="c")
    command.upgrade(config(changed), "head")
    command.check(config(changed))
    assert [c[0] for c in _columns(engine, "tenant1", "acct")][-1] == "added"
    assert rows(engine, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = 'tenant1.more'::regclass AND contype = 'f'") == [
        ("FOREIGN KEY (acct_id) REFERENCES tenant1.acct(id)",)
    ]
    assert rows(engine, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == [
        ("acct",)
    ]


# --- a version or history table schema that does not exist ----------------------------------


@pytest.mark.parametrize("setting", ["version_table_schema", "history_table_schema"])
def test_missing_schema_of_mig_tables_names_the_setting(tmp_path, postgres_url, engine, setting):
    """The table's CREATE failed as "env.py failed: ... schema does not exist"; now a
    configuration error (exit 2) names the setting and the schema, and nothing is created."""
    import subprocess
    import sys

    ini = make_project(tmp_path, postgres_url, REVISIONS[:1],
                       ini_extra=f"{setting} = mig_absent_schema\n")
    done = subprocess.run([sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade", "head"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == (
        f"mig: error: {setting} = mig_absent_schema: schema 'mig_absent_schema' does not "
        f"exist on the server; create it first or correct {setting}"
    )
    assert rows(engine, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'") == []


def test_missing_schema_under_the_map_names_where_the_map_sends_it(tmp_path, postgres_url,
                                                                     engine):
    """With ``schema_translate_map`` the schema checked is the one the map sends it to."""
    from mig_core.errors import ConfigError

    env = TRANSLATE_ENV_PY.replace("{None: tenant}", "{None: tenant, 'hist': 'mig_absent'}")
    ini = make_project(tmp_path, postgres_url, REVISIONS[:1], env_py=env,
                       ini_extra="history_table_schema = hist\n")
    with pytest.raises(ConfigError, match=r"^history_table_schema = hist: schema 'mig_absent' "
                                          r"\(where schema_translate_map sends 'hist'\) does "
                                          r"not exist"):
        command.upgrade(_tenant_config(ini, "tenant1"), "head")


# --- autogenerate across schemas ------------------------------------------------------------


def _include(name: str | None, type_: str, parent: dict[str, Any]) -> bool:
    """The schemas the project owns: the default one, app and audit (not skipme)."""
    return type_ != "schema" or name in (None, "app", "audit")


def _multi_schema_model(public: str | None, version: int = 1) -> sa.MetaData:
    """``item`` in public and in app (one referring to the other), an enum and a sequence in
    app, an enum in audit, foreign keys public -> audit -> app -> public, indexes and comments
    outside the default schema. ``public``: None (implicit) or "public" (written out)."""
    md = sa.MetaData()
    ref = f"{public}.item.id" if public else "item.id"
    sa.Table("item", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", sa.String(20), comment="public name"), schema=public,
             comment="public item")
    kind = pg.ENUM(*("a", "b", "c")[: version + 1], name="kind", schema="app")
    seq = sa.Sequence("app_seq", schema="app", start=10)
    sa.Table("item", md,
             sa.Column("id", sa.Integer, seq, primary_key=True, server_default=seq.next_value()),
             sa.Column("pub_id", sa.Integer, sa.ForeignKey(ref)),
             sa.Column("k", kind),
             sa.Column("note", sa.String(30), comment=f"app note {version}"),
             sa.Index("ix_item_note" if version == 1 else "ix_item_note_v2", "note"),
             sa.UniqueConstraint("pub_id", name="uq_item_pub"),
             schema="app", comment="app item")
    sa.Table("log", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("item_id", sa.Integer, sa.ForeignKey("app.item.id", ondelete="CASCADE")),
             sa.Column("lvl", pg.ENUM("x", "y", name="lvl", schema="audit")),
             sa.Index("ix_item_note", "item_id"),  # the name app.item's index has
             schema="audit")
    sa.Table("ref", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("log_id", sa.Integer, sa.ForeignKey("audit.log.id")),
             sa.Column("item_id", sa.Integer, sa.ForeignKey(ref)), schema=public)
    return md


@pytest.mark.parametrize("public", [None, "public"])
def test_multi_schema_model_round_trips(engine, public):
    """Autogenerate -> upgrade -> autogenerate finds nothing, whether the model writes the
    default schema or not; a change in app (enum value, comment, renamed index) is one revision
    that upgrades and downgrades cleanly; skipme, left out by include_name, is never touched."""
    reset_database(engine, ("app", "audit", "skipme"))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE skipme.item (id int PRIMARY KEY); "
                             "CREATE TYPE skipme.kind AS ENUM ('z'); CREATE SEQUENCE skipme.s"))
    opts = {"include_schemas": True, "include_name": _include, "compare_server_default": True}
    imports, up, down = autogenerate(engine, _multi_schema_model(public), **opts)
    assert "sa.ForeignKeyConstraint(['pub_id'], ['" + (f"{public}." if public else "") + \
        "item.id'])" in up
    assert "op.create_enum('kind', ['a', 'b'], schema='app')" in up
    assert "op.create_sequence('app_seq', schema='app', start=10)" in up
    assert "skipme" not in up + down
    run_rendered(engine, up, imports)
    for written in (None, "public"):  # either spelling of the default schema compares equal
        assert compare(engine, _multi_schema_model(written), **opts) == []

    imports, up2, down2 = autogenerate(engine, _multi_schema_model(public, 2), **opts)
    assert up2.count("schema='app'") == 4 and "audit" not in up2, up2
    run_rendered(engine, up2, imports)
    assert compare(engine, _multi_schema_model(public, 2), **opts) == []
    run_rendered(engine, down2, imports)
    assert compare(engine, _multi_schema_model(public), **opts) == []
    run_rendered(engine, down, imports)
    assert rows(engine, "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
                        "ON n.oid = c.relnamespace WHERE n.nspname IN "
                        "('public', 'app', 'audit', 'skipme') ORDER BY 1, 2") == [
        ("skipme", "item"), ("skipme", "item_pkey"), ("skipme", "s")
    ]


# --- batch across schemas -------------------------------------------------------------------


def test_batch_recreate_in_another_schema_keeps_cross_schema_keys(engine):
    """Recreating other.acct keeps its keys out (to public.parent and other.parent), re-adds
    those into it (from audit and public), its index and comments; app.acct, of the same name,
    is not touched; a view in audit using it is refused by name."""
    reset_database(engine, ("other", "audit", "app"))
    with engine.begin() as conn:
        conn.execute(sa.text("""
            CREATE TABLE public.parent (id serial PRIMARY KEY);
            CREATE TABLE other.parent (id serial PRIMARY KEY);
            CREATE TABLE other.acct (id serial PRIMARY KEY,
                parent_id int REFERENCES public.parent (id),
                oparent_id int REFERENCES other.parent (id),
                name varchar(20) CONSTRAINT acct_name_uq UNIQUE, legacy int, note text);
            COMMENT ON TABLE other.acct IS 'accounts';
            COMMENT ON COLUMN other.acct.name IS 'nm';
            CREATE INDEX ix_acct_note ON other.acct (note);
            CREATE TABLE audit.log (id serial PRIMARY KEY,
                acct_id int REFERENCES other.acct (id) ON DELETE CASCADE);
            CREATE TABLE public.ref (id serial PRIMARY KEY, acct_id int REFERENCES other.acct (id));
            CREATE TABLE app.acct (id serial PRIMARY KEY, legacy int);
            CREATE TABLE app.ref (id serial PRIMARY KEY, acct_id int REFERENCES app.acct (id));
            INSERT INTO public.parent DEFAULT VALUES; INSERT INTO other.parent DEFAULT VALUES;
            INSERT INTO other.acct (parent_id, oparent_id, name, legacy) VALUES (1, 1, 'a', 5);
            INSERT INTO audit.log (acct_id) VALUES (1); INSERT INTO public.ref (acct_id) VALUES (1);
        """))

    def change(op: Any, ctx: Any) -> None:
        with op.batch_alter_table("acct", schema="other", recreate="always") as batch:
            batch.drop_column("legacy")
            batch.alter_column("note", new_column_name="remark")

    run(engine, change)
    assert rows(engine, "SELECT conrelid::regclass::text, pg_get_constraintdef(oid) "
                        "FROM pg_constraint WHERE contype = 'f' ORDER BY 1, 2") == [
        ("app.ref", "FOREIGN KEY (acct_id) REFERENCES app.acct(id)"),
        ("audit.log", "FOREIGN KEY (acct_id) REFERENCES other.acct(id) ON DELETE CASCADE"),
        ("other.acct", "FOREIGN KEY (oparent_id) REFERENCES other.parent(id)"),
        ("other.acct", "FOREIGN KEY (parent_id) REFERENCES parent(id)"),
        ("ref", "FOREIGN KEY (acct_id) REFERENCES other.acct(id)"),
    ]
    assert rows(engine, "SELECT id, parent_id, oparent_id, name, remark FROM other.acct") == [
        (1, 1, 1, "a", None)
    ]
    assert rows(engine, "SELECT indexdef FROM pg_indexes WHERE schemaname = 'other' "
                        "AND tablename = 'acct' ORDER BY 1")[0] == (
        "CREATE INDEX ix_acct_note ON other.acct USING btree (remark)",
    )
    assert rows(engine, "SELECT obj_description('other.acct'::regclass), "
                        "col_description('other.acct'::regclass, 4)") == [("accounts", "nm")]
    assert [c[0] for c in _columns(engine, "app", "acct")] == ["id", "legacy"]

    with engine.begin() as conn:
        conn.execute(sa.text("CREATE VIEW audit.v_acct AS SELECT id, name FROM other.acct"))

    def add_column(op: Any, ctx: Any) -> None:
        with op.batch_alter_table("acct", schema="other", recreate="always") as batch:
            batch.add_column(sa.Column("extra", sa.Integer))

    with pytest.raises(CommandError, match=r"view\(s\) audit\.v_acct depend on the table"):
        run(engine, add_column)
