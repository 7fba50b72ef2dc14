"""``mig revision --autogenerate`` and ``mig check`` through the real CLI, on SQLite and
PostgreSQL projects made with ``mig init``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from runtime_support import init_project

QUICKSTART = Path(__file__).resolve().parents[1] / "examples" / "quickstart"


def mig(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "mig_core", *args], cwd=cwd,
                            capture_output=True, text=True)
    if check and result.returncode != 0:
        raise AssertionError(f"mig {' '.join(args)} exited {result.returncode}:\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def project(tmp_path: Path, url: str, model: str = "model.py", batch: bool = False) -> Path:
    """A ``mig init`` project (run once, then copied) whose env.py imports the quickstart model
    as target_metadata."""
    init_project(tmp_path)
    shutil.copy(QUICKSTART / model, tmp_path / "app_model.py")
    env = tmp_path / "migrations" / "env.py"
    text = env.read_text()
    text = text.replace("target_metadata = None",
                        "from app_model import metadata as target_metadata")
    if batch:
        text = text.replace(
            "context.configure(connection=connection, target_metadata=target_metadata)",
            "context.configure(connection=connection, target_metadata=target_metadata, "
            "render_as_batch=True)",
        )
    env.write_text(text)
    ini = tmp_path / "mig.ini"
    lines = [f"sqlalchemy.url = {url}" if line.startswith("sqlalchemy.url") else line
             for line in ini.read_text().splitlines()]
    ini.write_text("\n".join(lines) + "\n")
    return tmp_path


def use_model(root: Path, model: str) -> None:
    shutil.copy(QUICKSTART / model, root / "app_model.py")


def revision_files(root: Path) -> list[Path]:
    return sorted((root / "migrations" / "versions").glob("*.py"), key=os.path.getmtime)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request):
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    url = request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def test_autogenerate_upgrade_check_change_downgrade(tmp_path, url):
    root = project(tmp_path, url)
    assert mig(root, "check", check=False).returncode == 1  # empty database, model has tables
    out = mig(root, "revision", "--autogenerate", "-m", "create shop").stdout
    assert "Generating" in out
    [first] = revision_files(root)
    source = first.read_text()
    compile(source, str(first), "exec")  # the file compiles
    assert "op.create_table('customer'" in source and "op.drop_table('customer')" in source
    assert source.index("op.create_table('customer'") < source.index("op.create_table('order'")
    assert source.index("op.drop_table('order')") < source.index("op.drop_table('customer')")
    mig(root, "upgrade", "head")
    result = mig(root, "check")
    assert result.stdout.strip() == "No new upgrade operations detected."

    use_model(root, "model_v2.py")
    result = mig(root, "check", check=False)
    assert result.returncode == 1
    assert "add_column customer.phone VARCHAR(30)" in result.stdout
    assert "add_table review" in result.stdout
    records = json.loads(mig(root, "check", "--json", check=False).stdout)
    assert {"kind": "add_column", "schema": None, "table": "customer", "name": "phone",
            "type": "VARCHAR(30)"} in records

    logged = mig(root, "revision", "--autogenerate", "-m", "v2").stderr
    # each difference logged as Alembic logs them ("Detected ..."), in mig check's words
    assert "INFO  [mig.autogenerate] Detected add_column customer.phone VARCHAR(30)\n" in logged
    assert "INFO  [mig.autogenerate] Detected add_table review\n" in logged
    second = revision_files(root)[-1]
    assert "op.add_column('customer', sa.Column('phone'" in second.read_text()
    mig(root, "upgrade", "head")
    assert mig(root, "check").returncode == 0

    # not at head: refused with a clear message
    mig(root, "downgrade", "-1")
    result = mig(root, "revision", "--autogenerate", "-m", "again", check=False)
    assert result.returncode == 1
    assert "Target database is not up to date" in result.stderr
    assert "Target database is not up to date" in mig(root, "check", check=False).stderr
    use_model(root, "model.py")
    mig(root, "upgrade", "head")
    mig(root, "downgrade", "-1")
    assert mig(root, "current").stdout.split()[0] in first.name


def test_empty_revision_and_post_write_hook(tmp_path, sqlite_url):
    root = project(tmp_path, sqlite_url)
    mig(root, "revision", "--autogenerate", "-m", "one")
    mig(root, "upgrade", "head")
    marker = tmp_path / "hooked.txt"
    ini = root / "mig.ini"
    ini.write_text(ini.read_text().replace(
        "[post_write_hooks]\n",
        "[post_write_hooks]\nhooks = mark\nmark.type = exec\n"
        f"mark.executable = {sys.executable}\n"
        f"mark.options = -c \"import sys; open({str(marker)!r}, 'w').write(sys.argv[1])\" "
        "REVISION_SCRIPT_FILENAME\n",
    ))
    mig(root, "revision", "--autogenerate", "-m", "nothing")
    latest = revision_files(root)[-1]
    body = latest.read_text()
    assert "def upgrade() -> None:\n    \"\"\"Upgrade schema.\"\"\"\n    # ### commands auto" in body
    assert "    pass\n" in body
    assert marker.read_text() == str(latest)


def test_env_without_target_metadata_is_a_clear_error(tmp_path, sqlite_url):
    init_project(tmp_path)
    ini = tmp_path / "mig.ini"
    ini.write_text(ini.read_text().replace("sqlite:///%(here)s/app.db", sqlite_url))
    result = mig(tmp_path, "revision", "--autogenerate", "-m", "x", check=False)
    assert result.returncode == 2  # a configuration error
    assert "target_metadata" in result.stderr and "Traceback" not in result.stderr


def test_post_write_hook_formats_the_autogenerated_file(tmp_path, sqlite_url):
    root = project(tmp_path, sqlite_url)
    ini = root / "mig.ini"
    ini.write_text(ini.read_text().replace(
        "[post_write_hooks]\n",
        "[post_write_hooks]\nhooks = ruff\nruff.type = module\nruff.module = ruff\n"
        "ruff.options = format --line-length 88 REVISION_SCRIPT_FILENAME\n",
    ))
    mig(root, "revision", "--autogenerate", "-m", "formatted")
    [path] = revision_files(root)
    text = path.read_text()
    assert 'op.create_table(\n        "customer",' in text  # ruff's style, not the renderer's
    check = subprocess.run([sys.executable, "-m", "ruff", "format", "--check", "--line-length",
                            "88", str(path)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    mig(root, "upgrade", "head")
    assert mig(root, "check").returncode == 0


def test_multidb_renders_one_function_pair_per_database(tmp_path):
    mig(tmp_path, "init", "-t", "multidb", "migrations")
    (tmp_path / "models.py").write_text(
        "import sqlalchemy as sa\n"
        "one, two = sa.MetaData(), sa.MetaData()\n"
        "sa.Table('users', one, sa.Column('id', sa.Integer, primary_key=True))\n"
        "sa.Table('events', two, sa.Column('id', sa.Integer, primary_key=True))\n"
    )
    env = tmp_path / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "target_metadata = {}",
        "import models\ntarget_metadata = {'engine1': models.one, 'engine2': models.two}",
    ))
    mig(tmp_path, "revision", "--autogenerate", "-m", "multi")
    [path] = revision_files(tmp_path)
    text = path.read_text()
    one = text[text.index("def upgrade_engine1"):text.index("def downgrade_engine1")]
    two = text[text.index("def upgrade_engine2"):text.index("def downgrade_engine2")]
    assert "op.create_table('users'" in one and "events" not in one
    assert "op.create_table('events'" in two and "users" not in two
    mig(tmp_path, "upgrade", "head")
    assert mig(tmp_path, "check").returncode == 0


def test_env_process_revision_directives_can_drop_the_file(tmp_path, sqlite_url):
    root = project(tmp_path, sqlite_url)
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "context.configure(connection=connection, target_metadata=target_metadata)",
        "context.configure(connection=connection, target_metadata=target_metadata,\n"
        "                      process_revision_directives=skip_empty)",
    ).replace(
        "def run_with(connection) -> None:",
        "def skip_empty(context, revision, directives):\n"
        "    if directives[0].upgrade_ops.is_empty():\n"
        "        directives[:] = []\n\n\n"
        "def run_with(connection) -> None:",
    ))
    mig(root, "revision", "--autogenerate", "-m", "first")
    mig(root, "upgrade", "head")
    result = mig(root, "revision", "--autogenerate", "-m", "nothing to do")
    assert "Generating" not in result.stdout
    assert len(revision_files(root)) == 1


def test_check_sees_what_process_revision_directives_leaves(tmp_path, sqlite_url):
    """As Alembic's check: a hook that filters operations out filters them out of the check,
    and the cookbook's "skip empty revisions" hook does not break it."""
    root = project(tmp_path, sqlite_url)
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "context.configure(connection=connection, target_metadata=target_metadata)",
        "context.configure(connection=connection, target_metadata=target_metadata,\n"
        "                      process_revision_directives=keep_no_tables)",
    ).replace(
        "def run_with(connection) -> None:",
        "def keep_no_tables(context, revision, directives):\n"
        "    script = directives[0]\n"
        "    script.upgrade_ops.ops[:] = [\n"
        "        o for o in script.upgrade_ops.ops\n"
        "        if type(o).__name__ not in ('CreateTableOp', 'CreateIndexOp', 'ModifyTableOps')]\n"
        "    if script.upgrade_ops.is_empty():\n"
        "        directives[:] = []\n\n\n"
        "def run_with(connection) -> None:",
    ))
    result = mig(root, "check")  # the model's tables are all new, and all filtered out
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No new upgrade operations detected." in result.stdout
    env.write_text(env.read_text().replace("('CreateTableOp', 'CreateIndexOp', 'ModifyTableOps')", "()"))
    result = mig(root, "check", check=False)
    assert result.returncode == 1 and "add_table" in result.stdout


def autogenerate(root: Path, message: str) -> str:
    mig(root, "revision", "--autogenerate", "-m", message)
    text = revision_files(root)[-1].read_text()
    compile(text, "revision", "exec")
    return text


def test_revision_imports_exactly_what_it_uses(tmp_path, sqlite_url):
    root = project(tmp_path, sqlite_url)
    first = autogenerate(root, "tables")
    assert "import sqlalchemy as sa\n" in first and "sa.Column(" in first
    assert "from mig_core import op\n\n# revision identifiers" in first
    mig(root, "upgrade", "head")
    model = root / "app_model.py"
    model.write_text(model.read_text() + "\nsa.Index('ix_product_title', product.c.title)\n")
    only_index = autogenerate(root, "index")
    assert "op.create_index('ix_product_title', 'product', ['title']" in only_index
    assert "sa." not in only_index and "import sqlalchemy" not in only_index
    mig(root, "upgrade", "head")
    assert mig(root, "check").returncode == 0


def test_render_imports_hook_of_a_plugin_reaches_the_file(tmp_path, sqlite_url):
    root = project(tmp_path, sqlite_url)
    (root / "imports_plugin.py").write_text(
        "from mig_core import hookimpl\n\n\n"
        "@hookimpl\n"
        "def mig_render_imports(ctx):\n"
        "    return ['import uuid', 'from decimal import Decimal']\n"
    )
    mig(root, "-p", "imports_plugin", "revision", "--autogenerate", "-m", "tables")
    text = revision_files(root)[-1].read_text()
    assert ("from mig_core import op\nfrom decimal import Decimal\nimport uuid\n\n"
            "# revision identifiers") in text
    mig(root, "upgrade", "head")  # the file runs with its extra imports


def test_rewriter_in_env_configure_rewrites_the_generated_file(tmp_path, sqlite_url):
    root = project(tmp_path, sqlite_url)
    mig(root, "revision", "--autogenerate", "-m", "tables")
    mig(root, "upgrade", "head")
    env = root / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "context.configure(connection=connection, target_metadata=target_metadata)",
        "context.configure(connection=connection, target_metadata=target_metadata,\n"
        "                      process_revision_directives=writer)",
    ).replace(
        "def run_with(connection) -> None:",
        "from mig_core.autogenerate.rewriter import Rewriter\n"
        "from mig_core.operations import ops\n\n"
        "writer = Rewriter()\n\n\n"
        "@writer.rewrites(ops.AddColumnOp)\n"
        "def index_new_columns(context, revision, op):\n"
        "    name = f'ix_{op.table_name}_{op.column.name}_new'\n"
        "    return [op, ops.CreateIndexOp(name, op.table_name, [op.column.name])]\n\n\n"
        "def run_with(connection) -> None:",
    ))
    use_model(root, "model_v2.py")
    text = autogenerate(root, "v2")
    assert "op.create_index('ix_customer_phone_new', 'customer', ['phone']" in text
    mig(root, "upgrade", "head")
    engine = sa.create_engine(sqlite_url)
    indexes = {ix["name"] for ix in sa.inspect(engine).get_indexes("customer")}
    engine.dispose()
    assert "ix_customer_phone_new" in indexes


def test_render_as_batch_set_in_env_py(tmp_path, sqlite_url):
    root = project(tmp_path, sqlite_url, batch=True)
    mig(root, "revision", "--autogenerate", "-m", "tables")
    mig(root, "upgrade", "head")
    use_model(root, "model_v2.py")
    text = autogenerate(root, "v2")
    assert "with op.batch_alter_table('customer', schema=None) as batch_op:" in text
    assert "batch_op.add_column(sa.Column('phone'" in text
    assert " op.add_column(" not in text
    mig(root, "upgrade", "head")
    assert mig(root, "check").returncode == 0
    mig(root, "downgrade", "-1")
    engine = sa.create_engine(sqlite_url)
    columns = {c["name"] for c in sa.inspect(engine).get_columns("customer")}
    engine.dispose()
    assert "phone" not in columns
