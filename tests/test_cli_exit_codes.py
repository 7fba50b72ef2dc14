"""Exit codes of the CLI's error paths, as docs/cli.md's table gives them: 2 for a usage or
configuration mistake (or a revision argument that cannot be resolved), 3 for a plugin error,
1 for a command that failed. Each case exited 1 (or 0) before; each message names the file,
option, key or plugin at fault, on one line."""

from __future__ import annotations

import pytest

from mig_core import command
from mig_core.config import Config
from mig_core.errors import MultipleHeads, RevisionArgumentError, UsageError
from mig_core.script import ScriptDirectory


@pytest.fixture
def project(tmp_path, monkeypatch, run):
    """A fresh ``mig init`` project on a SQLite file, with revision r1."""
    monkeypatch.chdir(tmp_path)
    assert run("init", "migrations")[0] == 0
    set_key(tmp_path, "sqlalchemy.url", f"sqlite:///{tmp_path / 'app.db'}")
    assert run("revision", "-m", "one", "--rev-id", "r1")[0] == 0
    return tmp_path


def set_key(project, key, value):
    """Set (or, with None, remove) a key of mig.ini's [mig] section."""
    ini = project / "mig.ini"
    lines = [line for line in ini.read_text().splitlines() if not line.startswith(f"{key} =")]
    at = lines.index("[mig]") + 1
    if value is not None:
        lines.insert(at, f"{key} = {value}")
    ini.write_text("\n".join(lines) + "\n")


def one_line_error(err):
    assert err.startswith("mig: error: ") and err.count("\n") == 1, err
    return err[len("mig: error: "):-1]


def versions(project):
    return sorted(p.name for p in (project / "migrations" / "versions").iterdir())


def test_missing_env_py_is_a_configuration_error(project, run):
    (project / "migrations" / "env.py").unlink()
    for argv in (("current",), ("upgrade", "head"), ("upgrade", "head", "--sql")):
        code, _, err = run(*argv)
        assert code == 2
        assert one_line_error(err) == f"no env.py at {project / 'migrations' / 'env.py'} (script_location)"


@pytest.mark.parametrize(
    "url, online, offline",
    [
        (None, "mig.ini [mig]: no 'sqlalchemy.url' key (SQLAlchemy's engine_from_config: "
               "KeyError 'url')",
         "mig.ini [mig]: no 'sqlalchemy.url' key: --sql needs the URL (or dialect_name= in "
         "env.py's context.configure()) to know which SQL to write"),
        ("nope://u:secret@h/x", "mig.ini [mig]: 'sqlalchemy.url' 'nope://u:***@h/x': unknown "
         "SQLAlchemy dialect 'nope' (NoSuchModuleError: Can't load plugin: sqlalchemy.dialects:nope)",
         "unknown SQLAlchemy dialect 'nope': NoSuchModuleError: Can't load plugin: "
         "sqlalchemy.dialects:nope"),
        (":::", "mig.ini [mig]: 'sqlalchemy.url' is not a SQLAlchemy URL: Could not parse "
                "SQLAlchemy URL from given URL string",
         "url ':::' is not a SQLAlchemy URL (sqlalchemy.url?): Could not parse SQLAlchemy URL "
         "from given URL string"),
    ],
)
def test_a_bad_or_missing_sqlalchemy_url_is_a_configuration_error(project, run, url, online,
                                                                  offline):
    set_key(project, "sqlalchemy.url", url)
    code, _, err = run("current")
    env_py = project / "migrations" / "env.py"
    assert code == 2
    message = one_line_error(err)
    assert message.startswith(f"env.py failed ({env_py} line ")
    assert message.endswith(": " + online.replace("mig.ini", str(project / "mig.ini")))
    code, _, err = run("upgrade", "head", "--sql")
    assert (code, one_line_error(err)) == (2, offline.replace("mig.ini", str(project / "mig.ini")))


def test_an_unreachable_database_is_still_a_failed_command(project, run):
    """Not the config's fault as far as mig can tell: exit 1."""
    set_key(project, "sqlalchemy.url", f"sqlite:///{project / 'no' / 'such' / 'dir.db'}")
    code, _, err = run("current")
    assert code == 1 and "OperationalError" in one_line_error(err)


def test_bad_required_plugins_requirement_is_a_configuration_error(project, run):
    set_key(project, "required_plugins", "??bad")
    code, _, err = run("heads")
    assert code == 2
    assert one_line_error(err) == (
        f"{project / 'mig.ini'}: key 'required_plugins': bad requirement '??bad': Expected "
        "package name at the start of dependency specifier"
    )


@pytest.mark.parametrize("spec", ["no:", "no: "])
def test_blocking_no_plugin_is_a_usage_error(project, run, spec):
    code, _, err = run("-p", spec, "heads")
    assert (code, one_line_error(err)) == (
        2, f"plugin choice {spec.strip()!r} blocks no plugin: write no:NAME")


@pytest.mark.parametrize("limit", ["0", "-1"])
def test_log_limit_below_one_is_a_usage_error(project, run, limit):
    code, _, err = run("log", "-n", limit)
    assert (code, one_line_error(err)) == (2, f"log: -n/--limit must be 1 or more, not {limit}")


def test_missing_ini_section_is_named(project, run):
    code, _, err = run("-n", "nosuch", "heads")
    assert code == 2
    message = one_line_error(err)
    assert message.startswith(f"{project / 'mig.ini'}: no section [nosuch] (-n/--name chooses "
                              "the section; the file has: mig, ")


def test_unknown_output_encoding_writes_no_file(project, run):
    set_key(project, "output_encoding", "nope-enc")
    before = versions(project)
    code, _, err = run("revision", "-m", "two")
    assert (code, one_line_error(err)) == (
        2, "config key 'output_encoding': unknown encoding 'nope-enc'")
    assert versions(project) == before  # an empty file used to be left behind


def test_output_encoding_that_cannot_encode_writes_no_file(project, run):
    set_key(project, "output_encoding", "ascii")
    before = versions(project)
    code, _, err = run("revision", "-m", "café", "--rev-id", "r2")
    assert code == 2
    assert one_line_error(err) == (
        f"{project / 'migrations' / 'versions' / 'r2_café.py'}: config key 'output_encoding' "
        "'ascii' cannot encode 'é'; nothing was written")
    assert versions(project) == before


def test_post_write_hook_executable_not_found_is_a_configuration_error(project, run):
    ini = project / "mig.ini"
    ini.write_text(ini.read_text().replace(
        "[post_write_hooks]\n",
        "[post_write_hooks]\nhooks = fmt\nfmt.type = exec\nfmt.executable = no-such-formatter\n", 1))
    code, _, err = run("revision", "-m", "two")
    assert (code, one_line_error(err)) == (
        2, "post_write_hook 'fmt': executable 'no-such-formatter' not found on PATH")


@pytest.mark.parametrize("argv", [("revision", "--autogenerate", "-m", "x"), ("check",)])
def test_autogenerate_without_target_metadata_is_a_configuration_error(project, run, argv):
    assert run("upgrade", "head")[0] == 0
    code, _, err = run(*argv)
    assert code == 2
    assert one_line_error(err).endswith(
        "autogenerate needs the model: pass target_metadata=<MetaData> to context.configure() "
        "in env.py")


def test_python_api_errors_carry_their_exit_code(project):
    config = Config(str(project / "mig.ini"))
    command.revision(config, "side", rev_id="s1", head="base")
    script = ScriptDirectory.from_config(config)
    with pytest.raises(MultipleHeads) as heads:
        script.get_current_head()
    with pytest.raises(RevisionArgumentError) as bases:
        script.get_base()
    with pytest.raises(UsageError) as fmt:
        command.graph(config, fmt="svg")
    assert [e.value.exit_code for e in (heads, bases, fmt)] == [2, 2, 2]
    assert str(bases.value) == "there are 2 bases (r1, s1); name one"
    assert str(fmt.value) == "graph: unknown format 'svg'; use dot or mermaid"
