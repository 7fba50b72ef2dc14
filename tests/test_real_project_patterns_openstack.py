"""What OpenStack Neutron's ``neutron-db-manage`` (neutron/db/migration/cli.py) asks of the
Alembic API, found by running it with mig beside Alembic (bench/compat/real_projects.py,
bench/compat/README.md). Each test is one such pattern, written out here; nothing of Neutron is
used. Its history: a branchless base, then an ``expand`` and a ``contract`` branch (branch
labels) whose contract revisions ``depends_on`` expand ones."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

from mig_core.script import paths
from mig_core.script.revision_map import Revision, RevisionMap

# kilo - e1 (expand) - e2
#     \- c1 (contract, depends on e1) - c2
NEUTRON_LIKE = [
    Revision("kilo", None, path="versions/kilo.py"),
    Revision("e1", "kilo", "expand", path="versions/expand/e1.py"),
    Revision("e2", "e1", path="versions/expand/e2.py"),
    Revision("c1", "kilo", "contract", "e1", path="versions/contract/c1.py"),
    Revision("c2", "c1", path="versions/contract/c2.py"),
]


def ids(revs: object) -> list[str]:
    return [r.revision for r in revs]  # type: ignore[attr-defined]


def test_iterate_revisions_with_implicit_base_from_another_branch() -> None:
    # run_sanity_checks() before `upgrade --contract`: what contract@head still needs when the
    # database is at the expand head, a revision that is not below contract@head
    rmap = RevisionMap(NEUTRON_LIKE)
    found = rmap.iterate_revisions("contract@head", ("e2",), implicit_base=True)
    assert ids(found) == ["c2", "c1"]
    # before `upgrade --expand` on an empty database: everything below expand@head
    assert ids(rmap.iterate_revisions("expand@head", (), implicit_base=True)) == ["e2", "e1", "kilo"]
    # the dependency comes too when it is not applied yet
    assert ids(rmap.iterate_revisions("contract@head", ("kilo",), implicit_base=True)) == [
        "c2", "c1", "e1"]
    assert ids(rmap.iterate_revisions("c2", ("c1",), implicit_base=True, inclusive=True)) == [
        "c2", "c1"]
    # without implicit_base such a range is still an error, as in Alembic
    with pytest.raises(paths.RangeNotAncestorError, match="e2 is not an ancestor of c2"):
        list(rmap.iterate_revisions("contract@head", ("e2",)))


def test_util_messages_as_command_line_wrappers_use_them(capsys: pytest.CaptureFixture[str]) -> None:
    # cli.py: log_error = alembic.util.err, log_warning = ...warn, log_info = ...msg (at import)
    from mig_core import util

    util.msg("Running upgrade for neutron ...")
    util.msg("quiet", quiet=True)
    util.msg("no newline", newline=False)
    assert capsys.readouterr().out == "Running upgrade for neutron ...\nno newline"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        util.warn("Release aware branch labels are deprecated")
    assert [(w.category, str(w.message), w.filename) for w in caught] == [
        (UserWarning, "Release aware branch labels are deprecated", __file__)]
    with pytest.raises(SystemExit) as exited:
        util.err("Sub-project foo not installed.")
    assert exited.value.code == -1
    assert capsys.readouterr().out == "FAILED: Sub-project foo not installed.\n"
    assert util.status("Generating x", lambda a: a * 2, 21) == 42
    assert capsys.readouterr().out == "Generating x ...  done\n"
    assert util.format_as_comma(["a", "b"]) == "a, b"
    assert util.format_as_comma(None) == ""


def test_util_dispatcher_and_rev_id() -> None:
    # neutron/db/migration/autogen.py sorts autogenerate's directives into expand and contract
    # with alembic.util.Dispatcher, and names new revisions with alembic.util.rev_id
    from mig_core.operations import ops
    from mig_core.util import Dispatcher, rev_id

    dispatcher = Dispatcher()

    @dispatcher.dispatch_for(ops.CreateTableOp)
    @dispatcher.dispatch_for(ops.AddColumnOp)
    def expands(directive: object, phase: str) -> object:
        return directive if phase == "expand" else None

    @dispatcher.dispatch_for(ops.DropColumnOp)
    def contracts(directive: object, phase: str) -> object:
        return directive if phase == "contract" else None

    @dispatcher.dispatch_for(ops.DropColumnOp, qualifier="mysql")
    def contracts_on_mysql(directive: object, phase: str) -> str:
        return "mysql"

    add = ops.AddColumnOp("t", __import__("sqlalchemy").Column("x", __import__("sqlalchemy").Integer))
    drop = ops.DropColumnOp("t", "x")
    assert dispatcher.dispatch(add)(add, "expand") is add
    assert dispatcher.dispatch(add)(add, "contract") is None
    assert dispatcher.dispatch(drop)(drop, "contract") is drop
    assert dispatcher.dispatch(drop, qualifier="mysql")(drop, "x") == "mysql"
    assert dispatcher.dispatch(drop, qualifier="postgresql") is contracts  # falls back to default
    assert dispatcher.dispatch(ops.AddColumnOp) is expands  # a class is looked up along its MRO
    with pytest.raises(ValueError, match="no dispatch function"):
        dispatcher.dispatch(ops.DropTableOp("t"))
    with pytest.raises(ValueError, match="already registered"):
        dispatcher.dispatch_for(ops.DropColumnOp)(contracts)
    # a branch is a copy: what it adds does not reach the original
    branch = dispatcher.branch()
    branch.dispatch_for(ops.DropTableOp)(contracts)
    assert branch.dispatch(ops.DropTableOp("t")) is contracts
    with pytest.raises(ValueError):
        dispatcher.dispatch(ops.DropTableOp("t"))

    calls: list[str] = []
    listeners = Dispatcher(uselist=True)
    listeners.dispatch_for("tick")(lambda: calls.append("one"))
    listeners.dispatch_for("tick")(lambda: calls.append("two"))
    listeners.dispatch("tick")()
    assert calls == ["one", "two"]

    assert re.fullmatch(r"[0-9a-f]{12}", rev_id())


# Neutron's release boundaries: an expand revision depends_on the contract head of the release
# before, so `upgrade expand@head` from an empty database runs contract revisions too. Files
# sort b1 < b2 < ... < kilo, which interleaves the two branches.
#   kilo - b1 (expand) - b3 - b5 (depends on b4)
#       \- b2 (contract) - b4 - b6 (depends on b5)
BOUNDARY = [
    Revision("b1", "kilo", "expand", path="versions/b1_x.py"),
    Revision("b2", "kilo", "contract", path="versions/b2_x.py"),
    Revision("b3", "b1", path="versions/b3_x.py"),
    Revision("b4", "b2", path="versions/b4_x.py"),
    Revision("b5", "b3", None, "b4", path="versions/b5_x.py"),
    Revision("b6", "b4", None, "b5", path="versions/b6_x.py"),
    Revision("kilo", None, path="versions/kilo_x.py"),
]


@pytest.mark.parametrize(
    "destination, current, expected",
    [
        # every expected list was observed from Alembic 1.20.1 (ScriptDirectory._upgrade_revs)
        # on these files: a branch's run of revisions as one block, not file order
        ("expand@head", (), ["kilo", "b2", "b4", "b1", "b3", "b5"]),
        ("heads", (), ["kilo", "b2", "b4", "b1", "b3", "b5", "b6"]),
        ("heads", ("b1",), ["b2", "b4", "b3", "b5", "b6"]),
        ("contract@head", ("b5",), ["b6"]),
    ],
)
def test_upgrade_runs_revisions_in_alembics_order(
    destination: str, current: tuple[str, ...], expected: list[str]
) -> None:
    rmap = RevisionMap(BOUNDARY)
    assert ids(paths.upgrade_revisions(rmap, destination, current)) == expected


@pytest.mark.parametrize(
    "destination, current, expected",
    [
        # observed from Alembic 1.20.1 (ScriptDirectory._downgrade_revs) on the same files
        ("base", ("b6",), ["b6", "b5", "b3", "b1", "b4", "b2", "kilo"]),
        ("kilo", ("b6",), ["b6", "b5", "b3", "b1", "b4", "b2"]),
        ("b3", ("b6",), ["b6", "b5"]),
    ],
)
def test_downgrade_runs_revisions_in_alembics_order(
    destination: str, current: tuple[str, ...], expected: list[str]
) -> None:
    rmap = RevisionMap(BOUNDARY)
    assert ids(paths.downgrade_revisions(rmap, destination, current)) == expected


def test_graph_answers_for_revisions_without_a_docstring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Neutron's revision files carry a licence comment and "# Revision ID: ..." comments, no
    # docstring; its CLI prints history, heads --verbose and show through to the user. The
    # expected texts were observed with Alembic 1.20.1 on the same files.
    from mig_core.cli import main

    versions = tmp_path / "migrations" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "migrations" / "env.py").write_text("")
    (tmp_path / "alembic.ini").write_text(f"[alembic]\nscript_location = {tmp_path}/migrations\n")
    (versions / "a_a.py").write_text(
        "# Copyright\n\n# add_pvlan\n#\n# Revision ID: a\n\nrevision = 'a'\ndown_revision = None\n"
    )
    (versions / "b_b.py").write_text(
        '"""add things\n\nmore text\n"""\nrevision = "b"\ndown_revision = "a"\n'
    )

    def out(*args: str) -> str:
        assert main(["-c", str(tmp_path / "alembic.ini"), *args]) == 0
        return capsys.readouterr().out

    assert out("history") == "a -> b (head), add things\n<base> -> a, \n"
    path_a = versions / "a_a.py"
    path_b = versions / "b_b.py"
    assert out("show", "a") == f"Rev: a\nParent: <base>\nPath: {path_a}\n\n\n\n"
    assert out("heads", "-v") == (
        f"Rev: b (head)\nParent: a\nPath: {path_b}\n\n    add things\n    \n    more text\n\n"
    )


def test_sqlite_add_not_null_column_without_default_to_an_empty_table(sqlite_url: str) -> None:
    # Neutron's c3a73f615e4: op.add_column('address_scopes', Column('ip_version', Integer,
    # nullable=False)) on a table an earlier revision created. SQLite (3.37+) takes it while
    # the table has no rows; mig refused it whatever the rows.
    import sqlalchemy as sa

    from mig_core.errors import CommandError
    from mig_core.operations import Operations
    from mig_core.runtime.migration import MigrationContext

    engine = sa.create_engine(sqlite_url)
    try:
        with engine.begin() as conn:
            op = Operations(MigrationContext.configure(conn))
            op.create_table("address_scopes", sa.Column("id", sa.String(36), primary_key=True))
            op.add_column("address_scopes", sa.Column("ip_version", sa.Integer(), nullable=False))
            columns = {c["name"]: c for c in sa.inspect(conn).get_columns("address_scopes")}
            assert columns["ip_version"]["nullable"] is False
            conn.exec_driver_sql("INSERT INTO address_scopes VALUES ('a', 4)")
            with pytest.raises(CommandError, match="without a default to a table that has rows"):
                op.add_column("address_scopes", sa.Column("shared", sa.Boolean(), nullable=False))
    finally:
        engine.dispose()


def test_version_path_separator_splits_version_locations(tmp_path: Path) -> None:
    # Keystone's alembic.ini: `version_path_separator = os` (Alembic's name before
    # path_separator, still read for version_locations); its code joins the release folders
    # with os.pathsep. mig read the whole value as one folder and found no revision.
    import os

    from mig_core.config import Config
    from mig_core.errors import ConfigError

    ini = tmp_path / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = m\nversion_path_separator = os\n")
    config = Config(str(ini))
    config.set_main_option("version_locations", os.pathsep.join(["/v", "/v/yoga/expand"]))
    assert config.get_main_list("version_locations") == ["/v", "/v/yoga/expand"]
    config.set_main_option("path_separator", "space")  # the newer key wins
    config.set_main_option("version_locations", "/a /b")
    assert config.get_main_list("version_locations") == ["/a", "/b"]
    config.remove_main_option("path_separator")
    config.set_main_option("version_path_separator", "bogus")
    with pytest.raises(ConfigError, match="'version_path_separator' must be one of"):
        config.get_main_list("version_locations")


def test_heads_in_the_order_the_version_locations_are_read(tmp_path: Path) -> None:
    # Keystone's get_head_revisions(): EnvironmentContext(config, script).get_head_revisions()
    # lists the contract head (bobcat/contract) before the expand head (2026.1/expand), as the
    # folders are listed in version_locations; mig listed them in its topological order
    from mig_core.config import Config
    from mig_core.runtime.environment import EnvironmentContext
    from mig_core.script import ScriptDirectory

    root = tmp_path / "migrations"
    folders = {
        "versions": [("27e6", None, None)],
        "versions/bobcat/contract": [("c88c", "27e6", "contract")],
        "versions/2026.1/expand": [("742c", "27e6", "expand")],
    }
    for folder, revs in folders.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for rev, down, label in revs:
            (root / folder / f"{rev}_x.py").write_text(
                f"revision = {rev!r}\ndown_revision = {down!r}\n"
                f"branch_labels = {(label,) if label else None!r}\n"
            )
    (root / "env.py").write_text("")
    config = Config()
    config.set_main_option("script_location", str(root))
    config.set_main_option("path_separator", "space")
    config.set_main_option("version_locations", " ".join(str(root / f) for f in folders))
    script = ScriptDirectory.from_config(config)
    assert script.get_heads() == ["c88c", "742c"]
    assert EnvironmentContext(config, script).get_head_revisions() == ("c88c", "742c")
    assert script.get_heads(consider_depends_on=True) == ["c88c", "742c"]
