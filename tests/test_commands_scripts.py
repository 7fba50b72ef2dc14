"""The graph commands through the CLI: init, list_templates, revision, merge, heads, branches,
history, show, edit, graph — output, --json, exit codes and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from mig_core import command
from mig_core.config import Config


@pytest.fixture
def project(tmp_path, monkeypatch, run):
    monkeypatch.chdir(tmp_path)
    code, _, err = run("init", "migrations")
    assert code == 0, err
    return tmp_path


@pytest.fixture
def branched(project, run):
    """aaa1 -> bbb2 (head);  aaa1 -> ccc3 (side, head)."""
    for argv in (
        ("revision", "-m", "one", "--rev-id", "aaa1"),
        ("revision", "-m", "two", "--rev-id", "bbb2"),
        ("revision", "-m", "side", "--rev-id", "ccc3", "--head", "aaa1", "--splice",
         "--branch-label", "side"),
    ):
        code, _, err = run(*argv)
        assert code == 0, err
    return project


def versions(project):
    return project / "migrations" / "versions"


# --- init / list_templates ----------------------------------------------------------------


@pytest.mark.parametrize("template", ["generic", "async", "multidb", "pyproject"])
def test_init_every_template(tmp_path, monkeypatch, run, template):
    monkeypatch.chdir(tmp_path)
    code, out, err = run("init", "-t", template, "--package", "db")
    assert code == 0, err
    env = tmp_path / "db"
    for name in ("env.py", "script.py.mako", "README", "__init__.py", "versions/__init__.py"):
        assert (env / name).is_file(), name
    compile((env / "env.py").read_text(), str(env / "env.py"), "exec")
    assert (tmp_path / "mig.ini").is_file()
    cfg = Config(str(tmp_path / "mig.ini"),
                 toml_file=str(tmp_path / "pyproject.toml") if template == "pyproject" else None)
    assert cfg.get_main_option("script_location") == str(env)
    assert cfg.get_main_option("sqlalchemy.url") or cfg.get_main_option("databases")
    if template == "pyproject":
        text = (tmp_path / "pyproject.toml").read_text()
        assert text.startswith("[tool.mig]") and "script_location =" not in (tmp_path / "mig.ini").read_text()
    # a revision renders from the template and reads back
    code, _, err = run("revision", "-m", "first", "--rev-id", "f1")
    assert code == 0, err
    (path,) = [p for p in (env / "versions").iterdir() if p.name.startswith("f1")]
    source = path.read_text()
    compile(source, str(path), "exec")
    if template == "multidb":
        assert "def upgrade_engine1() -> None:" in source and "def downgrade_engine2()" in source
    assert "revision: str = 'f1'" in source and "Revises: \n" in source


def test_init_pyproject_appends_to_an_existing_file(tmp_path, monkeypatch, run):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'app'")
    assert run("init", "-t", "pyproject", "db")[0] == 0
    text = (tmp_path / "pyproject.toml").read_text()
    assert text.startswith("[project]\nname = 'app'\n\n[tool.mig]\n")
    (tmp_path / "mig.ini").unlink()
    code, out, _ = run("init", "-t", "pyproject", "db2")
    assert code == 0 and "already has [tool.mig], skipping" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (("init", "-t", "nope", "x"), "init: no template 'nope'; available: async, generic, multidb, pyproject (see mig "
         "list_templates)"),
        (("init", "busy"), "init: directory busy already exists and is not empty"),
    ],
)
def test_init_errors(tmp_path, monkeypatch, run, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "file").write_text("")
    code, _, err = run(*argv)
    assert code == 2 and err == f"mig: error: {message}\n"  # usage errors
    assert not (tmp_path / "x").exists()


def test_init_keeps_an_existing_ini(project, run):
    code, out, _ = run("init", "second")
    assert code == 0 and "mig.ini already exists, skipping" in out


def test_init_writes_the_config_file_named_by_c(tmp_path, monkeypatch, run):
    """`mig -c custom.ini init db` writes custom.ini (it is new), as Alembic's init does."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run("-c", "custom.ini", "init", "db")
    assert code == 0, err
    assert "custom.ini ... done" in out and not (tmp_path / "mig.ini").exists()
    assert "script_location = %(here)s/db" in (tmp_path / "custom.ini").read_text()
    code, out, err = run("-c", "custom.ini", "heads")
    assert code == 0, err
    monkeypatch.setenv("MIG_CONFIG", "env.ini")
    code, out, err = run("init", "db2")
    assert code == 0 and (tmp_path / "env.ini").exists(), err
    code, _, err = run("-c", "gone.ini", "heads")  # only init may name a missing file
    assert code == 2 and "'gone.ini' (from -c) not found" in err


def test_list_templates(run):
    code, out, _ = run("list_templates")
    assert code == 0
    assert "generic - Generic single-database configuration" in out
    for name in ("async - ", "multidb - ", "pyproject - "):
        assert name in out


# --- reading the graph --------------------------------------------------------------------


def test_heads_history_branches_show(branched, run):
    assert run("heads") == (0, "bbb2 (head)\nccc3 (side) (head)\n", "")
    assert run("history") == (
        0,
        "aaa1 -> bbb2 (head), two\naaa1 -> ccc3 (side) (head), side\n"
        "<base> -> aaa1 (branchpoint), one\n",
        "",
    )
    assert run("branches")[1] == (
        "aaa1 (branchpoint)\n     -> bbb2 (head)\n     -> ccc3 (side) (head)\n\n"
    )
    code, out, _ = run("show", "bbb")
    assert code == 0
    assert out.startswith("Rev: bbb2 (head)\nParent: aaa1\nPath: ")
    assert "bbb2_two.py\n\n    two\n" in out and "Revision ID: bbb2" in out
    assert run("history", "-r", "aaa1:bbb2")[1] == "aaa1 -> bbb2 (head), two\n<base> -> aaa1 (branchpoint), one\n"
    assert run("history", "-r", "ccc3:")[1] == "aaa1 -> ccc3 (side) (head), side\n"
    assert "Rev: aaa1 (branchpoint)\nParent: <base>\nBranches into: bbb2, ccc3\n" in run("history", "-v")[1]


def test_json_outputs(branched, run):
    heads = json.loads(run("heads", "--json")[1])
    assert [h["revision"] for h in heads] == ["bbb2", "ccc3"]
    assert heads[1]["branch_labels"] == ["side"] and heads[1]["down_revisions"] == ["aaa1"]
    history = json.loads(run("history", "--json")[1])
    assert [h["revision"] for h in history] == ["bbb2", "ccc3", "aaa1"]
    assert history[2]["is_branch_point"] and history[2]["children"] == ["bbb2", "ccc3"]
    assert history[2]["doc"] == "one" and history[2]["path"].endswith("aaa1_one.py")
    branches = json.loads(run("branches", "--json")[1])
    assert [b["revision"] for b in branches] == ["aaa1"]
    shown = json.loads(run("show", "ccc3", "--json")[1])
    assert shown["revision"] == "ccc3" and shown["is_head"]
    assert [s["revision"] for s in json.loads(run("show", "heads", "--json")[1])] == ["bbb2", "ccc3"]


def test_heads_resolve_dependencies(branched, run):
    assert run("revision", "-m", "dep", "--rev-id", "ddd4", "--head", "base",
               "--depends-on", "bbb")[0] == 0
    # heads in the order the files are read, as Alembic lists them
    assert run("heads")[1] == "bbb2 (effective head)\nccc3 (side) (head)\nddd4 (head)\n"
    assert run("heads", "--resolve-dependencies")[1] == "ccc3 (side) (head)\nddd4 (head)\n"
    assert "Also depends on: bbb2" in run("show", "ddd4")[1]
    source = next(versions(branched).glob("ddd4_*.py")).read_text()
    assert "depends_on: Union[str, Sequence[str], None] = ('bbb2',)" in source


def test_merge(branched, run):
    code, out, err = run("merge", "heads", "-m", "join", "--rev-id", "mmm5")
    assert code == 0, err and out.startswith("Generating ")
    assert run("heads")[1] == "mmm5 (side) (head)\n"  # Alembic: no (mergepoint) here
    source = next(versions(branched).glob("mmm5_join.py")).read_text()
    assert "down_revision: Union[str, Sequence[str], None] = ('bbb2', 'ccc3')" in source
    assert "Revises: bbb2, ccc3" in source
    code, _, err = run("merge", "mmm5")
    assert code == 2 and err == "mig: error: merge needs at least two revisions; 'mmm5' names mmm5\n"


def test_merge_of_a_revision_that_is_not_a_head(branched, run):
    """merge has no --splice: its error says what merge joins, not to pass --splice."""
    code, _, err = run("merge", "aaa1", "bbb2")
    assert code == 2
    assert err == ("mig: error: merge: aaa1 is not a head; merge joins heads "
                   "(mig heads lists them: bbb2, ccc3)\n")


def test_graph_formats(branched, run):
    code, out, _ = run("graph")
    assert code == 0 and out.startswith("digraph revisions {")
    assert '"aaa1" -> "bbb2";' in out and '"aaa1" -> "ccc3";' in out
    assert '"aaa1" [label="aaa1\\none", shape=invhouse, tooltip="branchpoint"];' in out
    assert '"ccc3" [label="ccc3 (side)\\nside", penwidth=2, tooltip="head"];' in out
    out = run("graph", "--format", "mermaid")[1]
    assert out.startswith("flowchart TD\n")
    assert '  r0["aaa1<br/>one<br/>(branchpoint)"]:::branchpoint\n' in out
    assert "  r0 --> r1\n  r0 --> r2\n" in out


def test_revision_returns_the_script(project):
    cfg = Config(str(project / "mig.ini"))
    cfg.quiet = True
    script = command.revision(cfg, "hello", rev_id="abc1")
    assert script.revision == "abc1" and script.doc == "hello"
    again = command.revision(cfg, "next")
    assert again.down_revisions == ("abc1",) and len(again.revision) == 12


def test_file_is_reported_before_its_post_write_hooks_run(project, run):
    """As Alembic: "Generating <path> ... done", then "Running post write hook ..."."""
    hook = project / "touch.py"
    hook.write_text("import sys\nopen(sys.argv[1], 'a').write('# hooked\\n')\n")
    ini = project / "mig.ini"
    ini.write_text(ini.read_text().replace("[post_write_hooks]\n", textwrap.dedent(f"""\
        [post_write_hooks]
        hooks = touch
        touch.type = exec
        touch.executable = {sys.executable}
        touch.options = {hook} REVISION_SCRIPT_FILENAME
        """)))
    code, out, err = run("revision", "-m", "hooked", "--rev-id", "hhh1")
    assert code == 0, err
    path = next(versions(project).glob("hhh1_*.py"))
    assert out.splitlines() == [f"Generating {path} ... done", "Running post write hook 'touch' ..."]
    assert path.read_text().endswith("# hooked\n")


def test_edit(branched, run, monkeypatch):
    log = branched / "edited.txt"
    editor = branched / "editor.py"
    editor.write_text(f"import sys\nopen({str(log)!r}, 'a').write(sys.argv[-1] + '\\n')\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    assert run("edit", "bbb2")[0] == 0
    assert run("edit", "heads")[0] == 0
    lines = log.read_text().splitlines()
    assert [os.path.basename(p) for p in lines] == ["bbb2_two.py", "bbb2_two.py", "ccc3_side.py"]
    monkeypatch.setenv("EDITOR", f"{sys.executable} -c 'raise SystemExit(3)'")
    code, _, err = run("edit", "aaa1")
    assert code == 1 and "exited with 3" in err
    monkeypatch.setenv("EDITOR", str(branched / "no-such-editor"))  # a configuration mistake
    code, _, err = run("edit", "aaa1")
    assert (code, err) == (2, f"mig: error: cannot start editor {str(branched / 'no-such-editor')!r} "
                              "(from $EDITOR / $VISUAL): No such file or directory\n")


def test_database_position(branched, run):
    """history -i, show current and edit current ask the database (through the runtime)."""
    code, _, err = run("show", "current")
    assert (code, err) == (2, "mig: error: 'current' names no revision: the database is at base "
                              "(no revision is applied)\n")
    assert run("upgrade", "aaa1")[0] == 0
    out = run("history", "-i")[1]
    assert "<base> -> aaa1 (current) (branchpoint), one\n" in out
    assert "(current)" not in out.replace("aaa1 (current)", "")
    assert run("show", "current")[1].startswith("Rev: aaa1 (branchpoint)\n")
    assert run("history", "-r", "current:")[1].splitlines()[-1] == "<base> -> aaa1 (branchpoint), one"
    assert json.loads(run("history", "-i", "--json")[1])[2]["is_current"] is True


# --- errors -------------------------------------------------------------------------------


def write_rev(project, name, body):
    (versions(project) / name).write_text(textwrap.dedent(body))


@pytest.mark.parametrize(
    "files, code, message",
    [
        ({"r1.py": "revision = 'r1'\ndown_revision = 'r2'\n",
          "r2.py": "revision = 'r2'\ndown_revision = 'r1'\n"},
         4, "cycle in the revision graph: r1 -> r2 -> r1 (each revises the next; files: {v}/r1.py, "
            "{v}/r2.py)"),
        ({"r1.py": "revision = 'r1'\ndown_revision = 'r1'\n"},
         4, "{v}/r1.py:2: revision r1 names itself as its down_revision (self-loop)"),
        ({"r1.py": "revision = 'r1'\ndown_revision = 'gone'\n"},
         4, "{v}/r1.py:2: down_revision of r1 names 'gone', but no revision file defines it"),
        ({"r1.py": "revision = 'r1'\ndown_revision = None\ndepends_on = 'gone'\n"},
         4, "{v}/r1.py:3: depends_on of r1 names 'gone', which is neither a revision id nor a "
            "branch label"),
        ({"a.py": "revision = 'r1'\ndown_revision = None\n",
          "b.py": "revision = 'r1'\ndown_revision = None\n"},
         4, "revision id 'r1' is defined twice: {v}/a.py:1 and {v}/b.py:1"),
        ({"a.py": "revision = 'r1'\ndown_revision = None\nbranch_labels = 'x'\n",
          "b.py": "revision = 'r2'\ndown_revision = 'r1'\nbranch_labels = 'x'\n"},
         4, "branch label 'x' is used twice: revision r1 ({v}/a.py) and revision r2 ({v}/b.py)"),
        ({"a.py": "revision = 'r+1'\ndown_revision = None\n"},
         4, "{v}/a.py:1: revision id 'r+1' contains '+'; the characters @ - + : are not allowed in "
            "revision ids"),
        ({"a.py": "revision = 'r1'\ndown_revision = (\n  'x',\n"},
         4, "{v}/a.py:2: revision file cannot be parsed: '(' was never closed"),
        ({"a.py": "down_revision = None\n"},
         4, "{v}/a.py: no module-level 'revision = \"...\"' marker; is this a revision file?"),
    ],
)
def test_broken_graphs_fail_with_one_line(project, run, files, code, message):
    for name, body in files.items():
        write_rev(project, name, body)
    for argv in (("heads",), ("history",), ("upgrade", "heads")):
        got, out, err = run(*argv)
        assert got == code, err
        assert err == "mig: error: " + message.format(v=versions(project)) + "\n"


@pytest.mark.parametrize(
    "argv, code, message",
    [
        (("show", "head"), 2, "'head' is ambiguous: there are 2 heads (bbb2, ccc3); use 'heads' "
         "for all of them, '<label>@head' for one branch, or 'mig merge heads' to join them"),
        (("show", "zzz"), 2, "no revision or branch label 'zzz'"),
        (("show", "base"), 2, "'base' names no revision (it is the base, before the first one)"),
        (("history", "-r", "bbb2"), 2, "revision range 'bbb2' must be [start]:[end], [start]: or :[end]"),
        (("history", "-r", "ccc3:bbb2"), 2, "requested range ccc3:bbb2 does not refer to "
         "ancestor/descendant revisions along the same branch (ccc3 is not an ancestor of bbb2)"),
        (("show", "aaa1+2"), 2, "relative revision 'aaa1+2' is ambiguous: from aaa1 (a branch "
         "point) it could go to bbb2, ccc3; name the branch: '<label>@+N' or '<rev>@+N'"),
        (("show", "bbb2+1"), 2, "relative revision 'bbb2+1' cannot take 1 step(s): there is no "
         "revision above bbb2 after 0 step(s)"),
        (("revision", "-m", "x"), 2, "there are 2 heads (bbb2, ccc3); pass --head with the "
         "revision (or <label>@head) to build on, or join them with 'mig merge heads'"),
        (("revision", "--head", "aaa1"), 2, "revision aaa1 is not a head revision; pass --splice "
         "to start a new branch from it"),
        (("revision", "--head", "side@head", "--rev-id", "a-b"), 2, "revision id 'a-b' contains '-'; "
         "the characters @ - + : are not allowed in revision ids"),
        (("revision", "--head", "side@head", "--branch-label", "side"), 2,
         "branch label 'side' is already used by revision ccc3 ({v}/ccc3_side.py)"),
        (("revision", "--autogenerate", "--sql"), 2,
         "Using --sql with --autogenerate does not make any sense"),
        (("revision", "--sql", "--head", "side@head"), 2, "revision --sql runs env.py in offline "
         "mode, which needs revision_environment = true in the config"),
        # usage mistakes that exited 1 before: every one is a usage error (2), none writes a file
        (("revision", "--head", "side@head", "--rev-id", "bbb2"), 2,
         "revision id 'bbb2' already exists ({v}/bbb2_two.py)"),
        (("revision", "--head", "side@head", "--branch-label", "aaa1"), 2,
         "branch label 'aaa1' is a revision id"),
        (("revision", "--head", "side@head", "--branch-label", "a@b"), 2,
         "branch label 'a@b' is not allowed (a reserved word, or contains @ or :)"),
        (("revision", "--head", "side@head", "--branch-label", "heads"), 2,
         "branch label 'heads' is not allowed (a reserved word, or contains @ or :)"),
        (("revision", "--head", "side@head", "--depends-on", "base"), 2,
         "--depends-on 'base' names no revision"),
        (("revision", "--head", "side@head", "--rev-id", "a/b"), 2,
         "revision id 'a/b' contains a path separator; it names the file"),
        (("revision", "--head", "side@head", "--version-path", "elsewhere"), 2,
         "--version-path elsewhere is not one of the version_locations ({v})"),
        (("merge", "heads", "--rev-id", "aaa1"), 2,
         "revision id 'aaa1' already exists ({v}/aaa1_one.py)"),
        (("edit", "base"), 2, "'base' names no revision (it is the base, before the first one)"),
    ],
)
def test_argument_errors(branched, run, argv, code, message):
    before = sorted(p.name for p in versions(branched).iterdir())
    got, out, err = run(*argv)
    assert (got, err) == (code, f"mig: error: {message.format(v=versions(branched))}\n")
    assert sorted(p.name for p in versions(branched).iterdir()) == before


def test_ambiguous_prefix_lists_candidates(project, run):
    assert run("revision", "--rev-id", "abc1")[0] == 0
    assert run("revision", "--rev-id", "abc2")[0] == 0
    code, _, err = run("show", "ab")
    assert code == 2
    assert err.startswith("mig: error: ambiguous revision 'ab': it is the start of 2 revision ids: abc1 (")
    assert "abc2 (" in err and err.count("\n") == 1


def test_missing_script_location(tmp_path, monkeypatch, run):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mig.ini").write_text("[mig]\n")
    code, _, err = run("heads")
    assert code == 2
    assert err == f"mig: error: {tmp_path / 'mig.ini'}: no 'script_location' key found in section [mig]\n"


# --- autogenerate and revision_environment ------------------------------------------------


def test_autogenerate_is_delegated(project, run, monkeypatch):
    import types

    api = types.ModuleType("mig_core.autogenerate.api")
    monkeypatch.setitem(sys.modules, "mig_core.autogenerate.api", api)
    code, _, err = run("revision", "--autogenerate", "-m", "x")
    assert (code, err) == (1, "mig: error: autogenerate is not available yet\n")
    calls = []
    api.revision_directives = lambda config, script, **kw: calls.append((script.dir, kw))
    assert run("revision", "--autogenerate", "-m", "auto", "--head", "base")[0] == 0
    (directory, kw) = calls[0]
    assert directory == str(project / "migrations")
    assert kw["message"] == "auto" and kw["head"] == "base" and kw["rev_id"] is None


def test_revision_environment_passes_template_args(project, run):
    (project / "migrations" / "env.py").write_text(textwrap.dedent("""
        import sqlalchemy as sa
        from mig_core import context

        if context.is_offline_mode():
            context.configure(url="sqlite://", template_args={"who": "offline"})
        else:
            engine = sa.create_engine("sqlite://")
            with engine.connect() as connection:
                context.configure(connection=connection, template_args={"who": "online"})
                with context.begin_transaction():
                    context.run_migrations()
        """))
    mako = project / "migrations" / "script.py.mako"
    mako.write_text(mako.read_text() + "# made by ${who}\n")
    ini = project / "mig.ini"
    ini.write_text(ini.read_text().replace("[mig]\n", "[mig]\nrevision_environment = true\n", 1))
    assert run("revision", "--rev-id", "e1")[0] == 0
    assert next(versions(project).glob("e1_*.py")).read_text().endswith("# made by online\n")
    assert run("revision", "--rev-id", "e2", "--sql")[0] == 0
    assert next(versions(project).glob("e2_*.py")).read_text().endswith("# made by offline\n")


def test_graph_commands_do_not_import_sqlalchemy_or_mako(branched):
    code = (
        "import sys\n"
        "from mig_core.cli import main\n"
        "for argv in (['heads'], ['history', '-v'], ['branches'], ['show', 'heads'], ['graph']):\n"
        "    assert main(argv) == 0\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'mako'))\n"
        "print('IMPORTED', bad)\n"
        "print('REVISIONS', sorted(m for m in sys.modules if m.startswith('_mig_revision')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=branched, capture_output=True,
                         text=True, check=True).stdout
    assert "IMPORTED []" in out and "REVISIONS []" in out


def test_revision_uses_an_edited_template_at_once(project, run, caches_written):
    """The compiled script.py.mako is cached in migrations/__pycache__, keyed by its bytes: an
    edit is used by the very next revision even with the same size and modification time."""
    template = project / "migrations" / "script.py.mako"
    text = template.read_text()
    assert run("revision", "-m", "one", "--rev-id", "aaa1")[0] == 0
    cache = project / "migrations" / "__pycache__"
    assert [p.name for p in cache.glob("mig-template.*.marshal")]
    stat = template.stat()
    edited = text.replace("identifiers, used by mig.", "identifiers, made by mig!")
    assert len(edited) == len(text)
    template.write_text(edited)
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert run("revision", "-m", "two", "--rev-id", "bbb2")[0] == 0
    assert "# revision identifiers, made by mig!" in (versions(project) / "bbb2_two.py").read_text()
    assert "# revision identifiers, used by mig." in (versions(project) / "aaa1_one.py").read_text()
