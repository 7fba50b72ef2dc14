"""ScriptDirectory: configuration, generating revision files, lazy import, checksums."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from mig_core.config import Config
from mig_core.errors import CommandError, ConfigError, RevisionArgumentError, RevisionGraphError
from mig_core.script import Script, ScriptDirectory

TEMPLATE = '''"""${message or ""}

Create Date: ${create_date}
"""
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}
${imports}

def upgrade():
    ${upgrades}


def downgrade():
    ${downgrades}
'''


def make_env(tmp_path, extra="", template=TEMPLATE):
    env = tmp_path / "migrations"
    (env / "versions").mkdir(parents=True)
    (env / "script.py.mako").write_text(template)
    (env / "env.py").write_text("")
    ini = tmp_path / "mig.ini"
    ini.write_text(f"[mig]\nscript_location = %(here)s/migrations\n{extra}")
    cfg = Config(str(ini))
    cfg.quiet = True
    return cfg


def test_from_config(tmp_path):
    cfg = make_env(tmp_path)
    script = ScriptDirectory.from_config(cfg)
    assert script.dir == str(tmp_path / "migrations")
    assert script.versions == str(tmp_path / "migrations" / "versions")
    assert script.env_py_location == str(tmp_path / "migrations" / "env.py")
    assert script.get_heads() == [] and script.get_current_head() is None


def test_script_location_forms(tmp_path, monkeypatch):
    cfg = make_env(tmp_path)
    cfg.set_main_option("script_location", "migrations")  # relative to the working directory
    monkeypatch.chdir(tmp_path)
    assert ScriptDirectory.from_config(cfg).dir == str(tmp_path / "migrations")
    monkeypatch.chdir("/")  # not found there: relative to the config file's folder
    assert ScriptDirectory.from_config(cfg).dir == str(tmp_path / "migrations")
    cfg.set_main_option("script_location", "mig_core:templates/generic")
    assert ScriptDirectory.from_config(cfg).dir.endswith(os.path.join("mig_core", "templates", "generic"))


@pytest.mark.parametrize(
    "ini, message",
    [
        ("[mig]\n", "no 'script_location' key found in section [mig]"),
        ("[mig]\nscript_location = %(here)s/nowhere\n", "script_location '{here}/nowhere': folder"),
        ("[mig]\nscript_location = no_such_pkg_xyz:migrations\n",
         "package 'no_such_pkg_xyz' not found"),
    ],
)
def test_from_config_errors(tmp_path, ini, message):
    path = tmp_path / "mig.ini"
    path.write_text(ini)
    with pytest.raises(ConfigError) as err:
        ScriptDirectory.from_config(Config(str(path)))
    assert message.format(here=tmp_path) in str(err.value)
    assert str(path) in str(err.value) and err.value.exit_code == 2


def test_generate_and_read_back(tmp_path):
    script = ScriptDirectory.from_config(make_env(tmp_path))
    a = script.generate_revision("a1", "create account")
    assert isinstance(a, Script) and a.is_head and a.is_base
    assert os.path.basename(a.path) == "a1_create_account.py"
    b = script.generate_revision("b2", "add column", upgrades="op.add_column('t', c)",
                                 imports="from x import c")
    text = open(b.path).read()
    assert "down_revision = 'a1'" in text and "    op.add_column('t', c)" in text
    assert "from x import c" in text and "    pass" in text  # downgrades default
    assert script.get_heads() == ["b2"] and script.get_current_head() == "b2"
    assert [s.revision for s in script.walk_revisions()] == ["b2", "a1"]
    assert b.doc == "add column" and b.create_date
    assert script.get_revision("b").revision == "b2"
    assert script.get_revision("base") is None


def test_generate_branches_labels_dependencies(tmp_path):
    script = ScriptDirectory.from_config(make_env(tmp_path))
    script.generate_revision("a1", "one")
    script.generate_revision("lib1", "library", head="base", branch_labels="lib")
    c = script.generate_revision("c3", "uses lib", head="a1", depends_on=["lib", "lib"])
    assert c.depends_on == ("lib",) and c._resolved_dependencies == ("lib1",) and c.dependencies == "lib"
    d = script.generate_revision("d4", "partial dep", head="c3", depends_on="a")
    assert d.depends_on == ("a1",)  # a prefix is written out in full
    assert set(script.get_heads()) == {"d4", "lib1"}
    assert script.get_revision("lib@head").revision == "lib1"
    with pytest.raises(CommandError, match=r"there are 2 heads \(.*\); pass --head"):
        script.generate_revision("e5", "x")
    with pytest.raises(CommandError, match="revision a1 is not a head revision; pass --splice"):
        script.generate_revision("e5", "x", head="a1")
    spliced = script.generate_revision("e5", "x", head="a1", splice=True)
    assert script.revision_map["a1"].is_branch_point and spliced.down_revisions == ("a1",)
    merged = script.generate_revision("m6", "merge", head=["d4", "e5", "lib1"])
    assert merged.is_merge_point and set(merged.down_revisions) == {"d4", "e5", "lib1"}


@pytest.mark.parametrize(
    "kwargs, exc, message",
    [
        ({"rev_id": "a1"}, CommandError, "revision id 'a1' already exists"),
        ({"rev_id": "x-y"}, RevisionArgumentError, "revision id 'x-y' contains '-'"),
        ({"rev_id": "x:y"}, RevisionArgumentError, "contains ':'"),
        ({"branch_labels": "used"}, CommandError, "branch label 'used' is already used by revision a1"),
        ({"branch_labels": "a1"}, CommandError, "branch label 'a1' is a revision id"),
        ({"head": "zz"}, RevisionArgumentError, "no revision or branch label 'zz'"),
        ({"depends_on": "zz"}, RevisionArgumentError, "no revision or branch label 'zz'"),
        ({"version_path": "/elsewhere"}, CommandError, "--version-path /elsewhere is not one of"),
    ],
)
def test_generate_errors(tmp_path, kwargs, exc, message):
    script = ScriptDirectory.from_config(make_env(tmp_path))
    script.generate_revision("a1", "one", branch_labels="used")
    args = {"rev_id": "n2", **kwargs}
    with pytest.raises(exc) as err:
        script.generate_revision(args.pop("rev_id"), "msg", **args)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_template_without_branch_labels_is_reported(tmp_path):
    template = TEMPLATE.replace("branch_labels = ${repr(branch_labels)}\n", "")
    script = ScriptDirectory.from_config(make_env(tmp_path, template=template))
    with pytest.raises(CommandError, match=r"does not render branch_labels; add 'branch_labels ="):
        script.generate_revision("a1", "one", branch_labels="lbl")


def test_template_args_reach_the_template(tmp_path):
    template = TEMPLATE + "# ${owner} ${ticket}\n"
    script = ScriptDirectory.from_config(make_env(tmp_path, template=template))
    rev = script.generate_revision("a1", "one", owner="ops", ticket=42)
    assert open(rev.path).read().endswith("# ops 42\n")


def test_several_version_locations(tmp_path):
    cfg = make_env(tmp_path, "version_locations = %(here)s/migrations/versions %(here)s/other\n")
    script = ScriptDirectory.from_config(cfg)
    with pytest.raises(CommandError, match="there are several version_locations; pass --version-path"):
        script.generate_revision("a1", "one")
    a = script.generate_revision("a1", "one", version_path=str(tmp_path / "other"))
    assert os.path.dirname(a.path) == str(tmp_path / "other")
    b = script.generate_revision("b2", "two")  # a child goes next to its parent
    assert os.path.dirname(b.path) == str(tmp_path / "other")
    base2 = script.generate_revision("c3", "x", head="base", version_path=script.versions)
    assert os.path.dirname(base2.path) == script.versions
    assert set(script.get_bases()) == {"a1", "c3"}


def test_file_template_with_folders_needs_recursive(tmp_path):
    cfg = make_env(tmp_path, "file_template = %%(year)d/%%(rev)s_%%(slug)s\ntimezone = UTC\n")
    with pytest.raises(CommandError, match="set recursive_version_locations = true"):
        ScriptDirectory.from_config(cfg).generate_revision("a1", "one")
    cfg.set_main_option("recursive_version_locations", "true")
    script = ScriptDirectory.from_config(cfg)
    a = script.generate_revision("a1", "one")
    b = script.generate_revision("b2", "two")
    year = a.path.split(os.sep)[-2]
    assert year.isdigit() and os.path.dirname(b.path) == os.path.dirname(a.path)
    assert a.create_date.endswith("+00:00")
    assert [s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()] == ["b2", "a1"]


def test_truncate_slug_length_and_encoding(tmp_path):
    cfg = make_env(tmp_path, "truncate_slug_length = 10\noutput_encoding = ascii\n")
    rev = ScriptDirectory.from_config(cfg).generate_revision("a1", "one two three four")
    assert os.path.basename(rev.path) == "a1_one_two_.py"


def test_module_is_imported_only_on_access(tmp_path):
    script = ScriptDirectory.from_config(make_env(tmp_path))
    marker = tmp_path / "imported"
    rev = script.generate_revision("a1", "one", imports=f"open({str(marker)!r}, 'w').close()")
    assert script.get_heads() == ["a1"] and not marker.exists()
    fresh = ScriptDirectory.from_config(make_env(tmp_path / "again"))
    assert fresh.get_heads() == []
    assert rev.module.revision == "a1" and marker.exists()
    assert rev.module is rev.module  # imported once


def test_module_import_error_names_file_and_line(tmp_path):
    script = ScriptDirectory.from_config(make_env(tmp_path))
    rev = script.generate_revision("a1", "one", upgrades="pass\nraise RuntimeError('boom')")
    with pytest.raises(RevisionGraphError) as err:
        _ = rev.module
    assert f"{rev.path}:13: importing the revision file failed: RuntimeError: boom" == str(err.value)


def test_checksum(tmp_path):
    script = ScriptDirectory.from_config(make_env(tmp_path))
    rev = script.generate_revision("a1", "one")
    assert rev.checksum == hashlib.sha256(open(rev.path, "rb").read()).hexdigest()


def test_prepend_sys_path(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", list(sys.path))
    cfg = make_env(tmp_path, "prepend_sys_path = %(here)s/src lib\n")
    ScriptDirectory.from_config(cfg)
    assert sys.path[:2] == [str(tmp_path / "src"), str(tmp_path / "lib")]


def test_pyproject_configuration(tmp_path):
    env = tmp_path / "db"
    (env / "versions").mkdir(parents=True)
    (env / "one").mkdir()
    toml = tmp_path / "pyproject.toml"
    toml.write_text(
        "[tool.mig]\nscript_location = '%(here)s/db'\n"
        "version_locations = ['%(here)s/db/versions', '%(here)s/db/one']\n"
        "recursive_version_locations = true\ntruncate_slug_length = 5\n"
    )
    script = ScriptDirectory.from_config(Config(toml_file=str(toml)))
    assert script.version_locations == [str(env / "versions"), str(env / "one")]
    assert script.recursive_version_locations and script.truncate_slug_length == 5


def test_unconfigured_version_locations_read_as_empty(tmp_path):
    """As Alembic reports them: [] when the key is not set; versions/ is still used."""
    cfg = make_env(tmp_path)
    script = ScriptDirectory.from_config(cfg)
    assert script.version_locations == []
    created = script.generate_revision("a1", "one")
    assert Path(created.path).parent == tmp_path / "migrations" / "versions"
    assert ScriptDirectory.from_config(cfg).get_heads() == ["a1"]


def test_duplicate_revision_in_two_files(tmp_path):
    script = ScriptDirectory.from_config(make_env(tmp_path))
    a = script.generate_revision("a1", "one")
    copy = os.path.join(script.versions, "copy_of_a1.py")
    with open(copy, "w") as f:
        f.write(open(a.path).read())
    script.reload()
    with pytest.raises(RevisionGraphError) as err:
        script.get_heads()
    assert f"revision id 'a1' is defined twice: {a.path}:" in str(err.value)
    assert f"and {copy}:" in str(err.value)
