"""Alembic's programmatic runtime API as tools (pytest-alembic, custom fixtures, report scripts)
call it: ``EnvironmentContext(fn=...)`` + ``script.run_env()``, ``MigrationInfo`` lookups,
``on_version_apply`` for stamps, MigrationContext's version-table attributes, ``Script``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from runtime_support import config_for, create_table, make_project


def _chain(tmp_path: Path) -> Any:
    """A SQLite project r1 -> r2 -> r3, each creating a table."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ini = make_project(tmp_path, url, [
        {"rev": "r1", **create_table("t1")},
        {"rev": "r2", "down": "r1", **create_table("t2")},
        {"rev": "r3", "down": "r2", **create_table("t3")},
    ])
    return config_for(ini), url


def _rows(url: str, table: str = "mig_version") -> list[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(table):
                return []
            return sorted(r[0] for r in conn.exec_driver_sql(f"SELECT version_num FROM {table}"))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


# --- 1. EnvironmentContext(cfg, script, fn=...) + script.run_env() --------------------------------


def _run_like_pytest_alembic(config: Any, script: Any, fn: Any, destination: str, **kw: Any) -> None:
    from mig_core.runtime.environment import EnvironmentContext

    with EnvironmentContext(
        config, script, fn=fn, destination_rev=destination, starting_rev=None, as_sql=False,
        tag=None, dont_mutate=False, **kw,
    ):
        script.run_env()


def test_environment_context_fn_and_run_env_upgrade_then_downgrade(tmp_path):
    from mig_core.script.base import Script, ScriptDirectory

    config, url = _chain(tmp_path)
    script = ScriptDirectory.from_config(config)
    assert isinstance(script.get_revision("r1"), Script)

    _run_like_pytest_alembic(
        config, script, lambda rev, ctx: script._upgrade_revs("r2", rev), "r2"
    )
    assert _rows(url) == ["r2"]
    assert {"t1", "t2"} <= _tables(url) and "t3" not in _tables(url)

    _run_like_pytest_alembic(
        config, script, lambda rev, ctx: script._upgrade_revs("head", rev), "head"
    )
    assert _rows(url) == ["r3"]
    assert "t3" in _tables(url)

    _run_like_pytest_alembic(
        config, script, lambda rev, ctx: script._downgrade_revs("r1", rev), "r1"
    )
    assert _rows(url) == ["r1"]
    assert "t2" not in _tables(url)

    _run_like_pytest_alembic(
        config, script, lambda rev, ctx: script._downgrade_revs("base", rev), "base"
    )
    assert _rows(url) == []
    assert "t1" not in _tables(url)


def test_stamp_revs_and_as_revision_number(tmp_path):
    from mig_core.script.base import ScriptDirectory

    config, url = _chain(tmp_path)
    script = ScriptDirectory.from_config(config)
    _run_like_pytest_alembic(
        config, script, lambda rev, ctx: script._stamp_revs("r2", rev), "r2"
    )
    assert _rows(url) == ["r2"]
    assert "t1" not in _tables(url)  # a stamp runs nothing

    assert script.as_revision_number("head") == "r3"
    assert script.as_revision_number("heads") == ("r3",)
    assert script.as_revision_number("base") is None
    assert script.as_revision_number(None) is None
    assert script.as_revision_number("r2") == "r2"


def test_run_env_outside_an_environment_context_reports_env_py(tmp_path):
    from mig_core.errors import CommandError
    from mig_core.script import ScriptDirectory

    config, _ = _chain(tmp_path)
    with pytest.raises(CommandError, match="env.py failed"):
        ScriptDirectory.from_config(config).run_env()


# --- 2. MigrationInfo lookups and RevisionMap's Alembic methods -----------------------------------


def test_on_version_apply_step_gives_scripts(tmp_path):
    from mig_core import command
    from mig_core.runtime.migration import MigrationInfo
    from mig_core.script import Script

    config, _ = _chain(tmp_path)
    seen: list[tuple[str, ...]] = []

    def record(ctx: Any, step: MigrationInfo, heads: set[str], run_args: dict[str, Any]) -> None:
        assert isinstance(step.up_revision, Script)
        assert all(isinstance(s, Script) for s in (*step.up_revisions, *step.down_revisions))
        seen.append((
            "up" if step.is_upgrade else "down",
            step.up_revision.revision,
            *(s.revision for s in step.up_revisions),
            "|",
            *(s.revision for s in step.down_revisions),
        ))

    config.attributes["configure"] = {"on_version_apply": record}
    command.upgrade(config, "head")
    command.downgrade(config, "r1")
    assert seen == [
        ("up", "r1", "r1", "|"),
        ("up", "r2", "r2", "|", "r1"),
        ("up", "r3", "r3", "|", "r2"),
        ("down", "r3", "r3", "|", "r2"),
        ("down", "r2", "r2", "|", "r1"),
    ]


def test_revision_map_lookups(tmp_path):
    from mig_core.errors import MultipleHeads
    from mig_core.script import ScriptDirectory
    from mig_core.script.revision import RevisionMap

    config, _ = _chain(tmp_path)
    rmap = ScriptDirectory.from_config(config).revision_map
    assert isinstance(rmap, RevisionMap)
    r2 = rmap.get_revision("r2")
    assert r2 is not None and r2.revision == "r2"
    assert rmap.get_revision("base") is None and rmap.get_revision(None) is None
    assert [r.revision for r in rmap.get_revisions("heads")] == ["r3"]
    assert [r.revision for r in rmap.get_revisions(("r1", "r2"))] == ["r1", "r2"]
    assert rmap.get_revisions(None) == ()
    assert rmap.get_current_head() == "r3"
    assert [r.revision for r in rmap.iterate_revisions("heads", "base")] == ["r3", "r2", "r1"]
    assert [r.revision for r in rmap.iterate_revisions("r3", "r1")] == ["r3", "r2"]
    assert [r.revision for r in rmap.iterate_revisions("r3", "r1", inclusive=True)] == [
        "r3", "r2", "r1"
    ]

    from mig_core.script.revision import Revision

    two = RevisionMap([Revision("a"), Revision("b", "a"), Revision("c", "a")])
    with pytest.raises(MultipleHeads):
        two.get_current_head()


# --- 6. alembic.script.revision's error classes --------------------------------------------------


def test_revision_error_classes(tmp_path):
    from mig_core.errors import RevisionGraphError
    from mig_core.script import revision as rv

    config, _ = _chain(tmp_path)
    from mig_core.script import ScriptDirectory

    rmap = ScriptDirectory.from_config(config).revision_map
    with pytest.raises(rv.RangeNotAncestorError) as excinfo:
        list(rmap.iterate_revisions("r1", "r3"))
    assert isinstance(excinfo.value, rv.RevisionError)

    with pytest.raises(rv.CycleDetected) as cycle:
        rv.RevisionMap([rv.Revision("a", "b"), rv.Revision("b", "a")])
    assert not isinstance(cycle.value, rv.DependencyCycleDetected)
    assert isinstance(cycle.value, RevisionGraphError)  # still exit code 4
    with pytest.raises(rv.DependencyCycleDetected):
        rv.RevisionMap([
            rv.Revision("a"), rv.Revision("b", "a", depends_on="c"), rv.Revision("c", "a",
                                                                              depends_on="b"),
        ])
    with pytest.raises(rv.CycleDetected):
        rv.RevisionMap([rv.Revision("a", "a")])
    with pytest.raises(rv.DependencyCycleDetected):
        rv.RevisionMap([rv.Revision("a", depends_on="a")])


# --- 3. on_version_apply for stamps, and dependencies in a step's down ids ----------------------


def _branchy(tmp_path: Path) -> Any:
    """r1 -> r2 -> r3, and r1 -> r2b (two heads: r3, r2b)."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ini = make_project(tmp_path, url, [
        {"rev": "r1"}, {"rev": "r2", "down": "r1"}, {"rev": "r3", "down": "r2"},
        {"rev": "r2b", "down": "r1"},
    ])
    return ini, url


def _recorder(seen: list[Any]) -> Any:
    def record(ctx: Any, step: Any, heads: set[str], run_args: dict[str, Any]) -> None:
        seen.append((step.is_upgrade, step.is_stamp, step.up_revision_ids, step.down_revision_ids,
                     step.source_revision_ids, step.destination_revision_ids, sorted(heads)))
    return record


def test_on_version_apply_for_stamps_one_step_per_head(tmp_path):
    from mig_core import command

    ini, url = _branchy(tmp_path)
    seen: list[Any] = []
    config = config_for(ini, configure={"on_version_apply": _recorder(seen)})

    def stamp(*revs: str) -> list[Any]:
        seen.clear()
        command.stamp(config, list(revs))
        return list(seen)

    assert stamp("r3") == [(True, True, ("r3",), (), (), ("r3",), ["r3"])]
    assert stamp("r1") == [  # downward: "up" is the revision moved away from
        (False, True, ("r3",), ("r1",), ("r3",), ("r1",), ["r1"]),
    ]
    assert stamp("r3", "r2b") == [
        (True, True, ("r3",), ("r1",), ("r1",), ("r3",), ["r3"]),
        (True, True, ("r2b",), ("r1",), ("r1",), ("r2b",), ["r2b", "r3"]),
    ]
    assert _rows(url) == ["r2b", "r3"]
    assert stamp("r2") == [(False, True, ("r3",), ("r2",), ("r3",), ("r2",), ["r2", "r2b"])]
    assert stamp("base") == [
        (False, True, ("r2",), (), ("r2",), (), ["r2b"]),
        (False, True, ("r2b",), (), ("r2b",), (), []),
    ]
    assert _rows(url) == []
    assert stamp("r2") == [(True, True, ("r2",), (), (), ("r2",), ["r2"])]
    assert stamp("r2") == []  # nothing moved


def test_stamp_onto_a_merge_point_is_one_step_from_both_parents(tmp_path):
    from mig_core import command

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ini = make_project(tmp_path, url, [
        {"rev": "a"}, {"rev": "b", "down": "a"}, {"rev": "c", "down": "a"},
        {"rev": "m", "down": ("b", "c")},
    ])
    seen: list[Any] = []
    config = config_for(ini, configure={"on_version_apply": _recorder(seen)})
    command.stamp(config, ["b", "c"])
    seen.clear()
    command.stamp(config, "m")
    assert seen == [(True, True, ("m",), ("b", "c"), ("b", "c"), ("m",), ["m"])]
    seen.clear()
    command.stamp(config, ["b", "c"])  # back down: one step per parent, each from m
    assert seen == [
        (False, True, ("m",), ("b",), ("m",), ("b",), ["b"]),
        (False, True, ("m",), ("c",), ("m",), ("c",), ["b", "c"]),
    ]


def test_upgrade_step_down_ids_include_dependencies(tmp_path):
    from mig_core import command

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ini = make_project(tmp_path, url, [
        {"rev": "r1"}, {"rev": "r2", "down": "r1"}, {"rev": "r2b", "down": "r1"},
        {"rev": "r3", "down": "r2", "depends_on": "r2b"},
        {"rev": "r4", "down": "r3", "depends_on": "r1"},  # listed though already below r3
    ])
    seen: list[Any] = []
    command.upgrade(config_for(ini, configure={"on_version_apply": _recorder(seen)}), "r4")
    by_up = {s[2]: s for s in seen}
    assert by_up[("r3",)][3] == ("r2", "r2b")
    assert by_up[("r4",)][3] == ("r3", "r1")


# --- 4. MigrationContext's version-table attributes ----------------------------------------------


def test_migration_context_version_table_attributes(tmp_path):
    from mig_core.runtime.migration import MigrationContext

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}", poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"version_table": "my_version"})
        assert ctx.version_table == "my_version"
        assert ctx.version_table_schema is None
        assert isinstance(ctx._version, sa.Table) and ctx._version.name == "my_version"
        assert [c.name for c in ctx._version.columns] == ["version_num"]
        assert not sa.inspect(conn).has_table("my_version")
        ctx._ensure_version_table()
        assert sa.inspect(conn).has_table("my_version")
        ctx._ensure_version_table()  # again: nothing to do
        conn.execute(ctx._version.insert().values(version_num="abc"))
        assert ctx.get_current_heads() == ("abc",)
        ctx._ensure_version_table(purge=True)
        assert ctx.get_current_heads() == ()

        default = MigrationContext.configure(conn)
        assert default.version_table == "mig_version"


# --- 5. Script objects as report tooling reads them ----------------------------------------------


def test_script_str_cmd_format_and_attributes(tmp_path):
    from mig_core.script import ScriptDirectory

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ini = make_project(tmp_path, url, [
        {"rev": "r1", "message": "rev r1"},
        {"rev": "r2", "down": "r1", "branch_labels": ("lab",), "message": "rev r2"},
        {"rev": "r2b", "down": "r1", "message": "rev r2b"},
        {"rev": "r3", "down": "r2", "depends_on": "r1", "message": "rev r3"},
        {"rev": "m4", "down": ("r3", "r2b"), "message": "rev m4"},
    ])
    sd = ScriptDirectory.from_config(config_for(ini))
    r1, r2, r3, m4 = (sd.get_revision(r) for r in ("r1", "r2", "r3", "m4"))
    assert r1 is not None and r2 is not None and r3 is not None and m4 is not None

    assert str(r1) == "<base> -> r1 (branchpoint), rev r1"
    assert str(r3) == "r2 -> r3, rev r3"
    assert str(m4) == "r3, r2b -> m4 (head) (mergepoint), rev m4"

    assert m4.cmd_format(False) == "m4 (head) (mergepoint)"
    assert m4.cmd_format(False, include_branches=True) == "m4 (lab) (head) (mergepoint)"
    assert m4.cmd_format(False, include_doc=True) == "m4 (head) (mergepoint), rev m4"
    assert m4.cmd_format(False, include_parents=True) == "r3, r2b -> m4 (head) (mergepoint)"
    assert m4.cmd_format(False, tree_indicators=False) == "m4 (head)"
    assert r3.cmd_format(False, include_parents=True) == "r2 (r1) -> r3"
    assert r1.cmd_format(
        False, include_branches=True, include_doc=True, include_parents=True,
        tree_indicators=False,
    ) == "<base> -> r1, rev r1"
    assert r3.cmd_format(True) == r3.log_entry
    assert r3.cmd_format(True).startswith("Rev: r3\nParent: r2\nAlso depends on: r1\n")

    assert r3.dependencies == "r1" and r2.dependencies is None
    assert r3._resolved_dependencies == ("r1",)
    assert r3._all_down_revisions == ("r2", "r1")
    assert r3._versioned_down_revisions == ("r2",)
    assert r3._normalized_down_revisions == ("r2", "r1")
    assert m4._all_down_revisions == ("r3", "r2b")

    assert type(r2.branch_labels) is set and r2.branch_labels == {"lab"}
    r3.branch_labels.add("x")  # a plain set, as in Alembic
    assert "x" in r3.branch_labels
    assert sd.get_revision("lab@head") is m4  # the graph is unchanged
