"""docs/autogenerate.md says what mig does: the log lines it shows, the messages it quotes, its
``Rewriter`` and API blocks and the rendering it spells out are mig's. Both sides are read
here: the blocks and quotes from the page (as tests/docs_support.py reads them), so editing the
page or mig breaks the test."""

from __future__ import annotations

import io
import logging
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mig_core.autogenerate.api import compare_metadata, produce_migrations, render_python_code
from mig_core.errors import CommandError
from mig_core.operations import ops
from mig_core.runtime.migration import MigrationContext
from tests.docs_support import ROOT, documented, fenced_blocks
from tests.runtime_support import init_project

AUTOGEN_MD = ROOT / "docs" / "autogenerate.md"
GENERIC_INI = ROOT / "mig_core" / "templates" / "generic" / "mig.ini.mako"


def page() -> str:
    return AUTOGEN_MD.read_text(encoding="utf-8")


def block(language: str, containing: str) -> str:
    """The one fenced block of the page in ``language`` that contains ``containing``."""
    (body,) = [b for lang, b in fenced_blocks(page()) if lang == language and containing in b]
    return body


def customer_db() -> sa.Engine:
    """An in-memory SQLite database with the ``customer`` table the page's examples start from."""
    engine = sa.create_engine("sqlite://", poolclass=sa.pool.StaticPool)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customer (id INTEGER PRIMARY KEY)")
    return engine


def test_logged_lines(caplog: pytest.LogCaptureFixture) -> None:
    """The INFO lines shown, formatted as the generic template's mig.ini formats them: a new
    table ``review`` and a new column ``customer.phone VARCHAR(30)``."""
    from mig_core.autogenerate.api import produce_upgrade_ops
    from mig_core.autogenerate.revision import log_detected

    (fmt,) = re.findall(r"^format = (.*)$", GENERIC_INI.read_text(), re.M)
    md = sa.MetaData()
    sa.Table("customer", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("phone", sa.String(30)))
    sa.Table("review", md, sa.Column("id", sa.Integer, primary_key=True))
    with customer_db().connect() as conn, caplog.at_level(logging.INFO, "mig.autogenerate"):
        log_detected(produce_upgrade_ops(MigrationContext.configure(conn), md))
    logged = [logging.Formatter(fmt).format(r) for r in caplog.records]
    assert logged == block("", "[mig.autogenerate]").splitlines()


def test_unresolvable_foreign_key_message(tmp_path: Path) -> None:
    """``mig check`` with a model foreign key to a table the model lacks: exit 1, the quote."""
    regex, exit_code = documented(AUTOGEN_MD, "mig: error: autogenerate: Foreign key associated "
                                  "with column 'child.ext_id' could not find table 'external' "
                                  "... add that Table to the same MetaData")
    init_project(tmp_path)
    env = tmp_path / "migrations" / "env.py"
    env.write_text(env.read_text().replace("target_metadata = None", (
        "target_metadata = sa.MetaData()\n"
        "sa.Table('child', target_metadata, sa.Column('id', sa.Integer, primary_key=True),\n"
        "         sa.Column('ext_id', sa.ForeignKey('external.id')))")))
    done = subprocess.run([sys.executable, "-m", "mig_core", "check"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == exit_code == 1
    assert re.search(regex, done.stderr), done.stderr


def not_null_phone() -> sa.MetaData:
    md = sa.MetaData()
    sa.Table("customer", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("phone", sa.String(30), nullable=False))
    return md


def test_rewriter_example() -> None:
    """The block's ``add_then_fill``: a NOT NULL column is added nullable, then altered."""
    code = "\n".join(line for line in block("python", "Rewriter()").splitlines()
                     if not line.startswith("context.configure("))
    namespace: dict[str, Any] = {}
    exec(compile(code, "autogenerate.md", "exec"), namespace)
    with customer_db().connect() as conn:
        script = produce_migrations(MigrationContext.configure(conn), not_null_phone())
    directives = [script]
    namespace["writer"](None, (), directives)
    assert render_python_code(directives[0].upgrade_ops).splitlines()[1:3] == [
        "    op.add_column('customer', sa.Column('phone', sa.String(length=30), nullable=True))",
        "    op.alter_column('customer', 'phone', nullable=False, existing_nullable=True)",
    ]


def test_rewriter_message_for_a_forgotten_return() -> None:
    """The CommandError quoted for env.py's ``trim`` that edits the UpgradeOps in place."""
    regex, exit_code = documented(AUTOGEN_MD, "rewrite function env_py.trim returned nothing for "
                                  "the UpgradeOps of token 'engine1_upgrades'; it must return "
                                  "one UpgradeOps (return op, or ops.UpgradeOps([], "
                                  "upgrade_token=op.upgrade_token) to empty it)")
    namespace: dict[str, Any] = {"__name__": "env_py"}
    exec("from mig_core.autogenerate.rewriter import Rewriter\n"
         "from mig_core.operations import ops\n"
         "writer = Rewriter()\n"
         "@writer.rewrites(ops.UpgradeOps)\n"
         "def trim(context, revision, op):\n"
         "    op.ops[:] = []\n", namespace)
    script = ops.MigrationScript("r1", ops.UpgradeOps([], upgrade_token="engine1_upgrades"),
                                 ops.DowngradeOps([], downgrade_token="engine1_downgrades"))
    with pytest.raises(CommandError) as info:
        namespace["writer"](None, (), [script])
    assert re.fullmatch(regex, str(info.value)) and exit_code == 1


def test_api_example() -> None:
    """The API block runs as shown, and ``produce_migrations``'s diffs are ``compare_metadata``'s
    less a removed table's ``remove_index`` (as the page says)."""
    engine = customer_db()
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE gone (id INTEGER PRIMARY KEY, x INTEGER)")
        conn.exec_driver_sql("CREATE INDEX ix_gone_x ON gone (x)")
    metadata = not_null_phone()
    out = io.StringIO()
    namespace = {"engine": engine, "metadata": metadata}
    with redirect_stdout(out):
        exec(compile(block("python", "compare_metadata(ctx, metadata)"), "api", "exec"),
             namespace)
    assert "op.add_column('customer'" in out.getvalue()
    assert "op.drop_table('gone')" in out.getvalue()
    diffs, script = namespace["diffs"], namespace["script"]
    assert [d[0] for d in diffs] == ["add_column", "remove_index", "remove_table"]
    assert [d[0] for d in script.upgrade_ops.as_diffs()] == ["add_column", "remove_table"]
    with engine.connect() as conn:
        assert len(compare_metadata(MigrationContext.configure(conn), metadata)) == 3


def test_user_module_prefix_of_a_type_decorator() -> None:
    """``Encrypted(200)`` over ``String``, rendered with ``user_module_prefix="myapp.types."``."""
    shown = re.search(r"`Encrypted\(200\)` over `String` as `([^`]+)`", page())
    assert shown is not None

    class Encrypted(sa.types.TypeDecorator[str]):
        impl = sa.String
        cache_ok = True

    add = ops.UpgradeOps([ops.AddColumnOp("t", sa.Column("secret", Encrypted(200)))])
    code = render_python_code(add, user_module_prefix="myapp.types.")
    assert f"sa.Column('secret', {shown.group(1)}, nullable=True)" in code
