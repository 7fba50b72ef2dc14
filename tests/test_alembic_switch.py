"""What an Alembic project meets when it switches: Alembic's import paths, its ini's logging,
``ALEMBIC_CONFIG``, and a database whose version table is still ``alembic_version``."""

from __future__ import annotations

import importlib
import os
import sqlite3
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from mig_core import command
from mig_core.config import Config, find_config
from mig_core.errors import CommandError, ConfigError, MigWarning

ALEMBIC_STYLE_INI = """\
[alembic]
script_location = %(here)s/migrations
sqlalchemy.url = sqlite:///%(here)s/app.db

[loggers]
keys = root,sqlalchemy,alembic

[handlers]
keys = console

[formatters]
keys = generic

[logger_root]
level = WARNING
handlers = console
qualname =

[logger_sqlalchemy]
level = WARNING
handlers =
qualname = sqlalchemy.engine

[logger_alembic]
level = INFO
handlers =
qualname = alembic

[handler_console]
class = StreamHandler
args = (sys.stderr,)
level = NOTSET
formatter = generic

[formatter_generic]
format = %(levelname)-5.5s [%(name)s] %(message)s
"""


def _env_without_bytecode_flag() -> dict[str, str]:
    return {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}


def _alembic_project(tmp_path: Path) -> Path:
    """An Alembic-layout project: alembic.ini, migrations/ with the generic env.py, one revision."""
    scratch = Config(str(tmp_path / "scratch.ini"))
    command.init(scratch, str(tmp_path / "migrations"))
    (tmp_path / "scratch.ini").unlink()
    ini = tmp_path / "alembic.ini"
    ini.write_text(ALEMBIC_STYLE_INI)
    command.revision(Config(str(ini)), "one", rev_id="one")
    return ini


# --- import paths ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("mig_core.migration", "MigrationContext"),
        ("mig_core.environment", "EnvironmentContext"),
        ("mig_core.util", "CommandError"),
        ("mig_core.util.exc", "CommandError"),
        ("mig_core.script.revision", "ResolutionError"),
        ("mig_core.script.revision", "MultipleHeads"),
        ("mig_core.script.revision", "RevisionError"),
        ("mig_core.config", "main"),
        ("mig_core.config", "CommandLine"),
        ("mig_core.autogenerate.api", "AutogenContext"),
    ],
)
def test_alembic_import_paths_resolve(module: str, name: str) -> None:
    assert getattr(importlib.import_module(module), name) is not None


def test_cookbook_is_at_head_check(tmp_path: Path) -> None:
    """The cookbook's "is the database at head" test, with ``alembic`` renamed."""
    import sqlalchemy as sa

    from mig_core import migration, script

    ini = _alembic_project(tmp_path)
    cfg = Config(str(ini))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'app.db'}")
    directory = script.ScriptDirectory.from_config(cfg)

    def at_head() -> bool:
        with engine.connect() as conn:
            ctx = migration.MigrationContext.configure(conn)
            return set(ctx.get_current_heads()) == set(directory.get_heads())

    assert not at_head()
    command.upgrade(cfg, "head")
    assert at_head()
    engine.dispose()


def test_resolution_errors_have_alembic_classes(tmp_path: Path) -> None:
    from mig_core.script.revision import MultipleHeads, ResolutionError, RevisionError

    ini = _alembic_project(tmp_path)
    cfg = Config(str(ini))
    with pytest.raises(ResolutionError) as missing:
        command.upgrade(cfg, "nosuch")
    assert missing.value.argument == "nosuch" and isinstance(missing.value, RevisionError)
    command.revision(cfg, "two", rev_id="two", head="one")
    command.revision(cfg, "three", rev_id="three", head="one", splice=True)
    with pytest.raises(MultipleHeads) as several:
        command.upgrade(cfg, "head")
    assert set(several.value.heads) == {"two", "three"}
    assert isinstance(several.value, CommandError)


def test_config_main_runs_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mig_core.config import CommandLine, main

    ini = _alembic_project(tmp_path)
    assert main(argv=["-c", str(ini), "heads"]) is None
    assert "one (head)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as failed:
        main(argv=["-c", str(ini), "upgrade", "nosuch"])
    assert failed.value.code == 2
    CommandLine(prog="mig").main(argv=["-c", str(ini), "heads"])
    assert "one (head)" in capsys.readouterr().out


# --- an unchanged alembic.ini's logging ------------------------------------------------------


def test_alembic_ini_logging_shows_progress(tmp_path: Path) -> None:
    """The ini configures the ``alembic`` logger only; fileConfig in env.py would disable
    mig's loggers, and the progress lines would vanish."""
    ini = _alembic_project(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade", "head"],
        capture_output=True, text=True, env=_env_without_bytecode_flag(),
    )
    assert result.returncode == 0, result.stderr
    assert "INFO  [mig.runtime] Running upgrade base -> one" in result.stderr


def test_alembic_env_py_logging_shows_progress_on_every_run(tmp_path: Path) -> None:
    """Alembic's env.py calls ``fileConfig(...)`` without ``disable_existing_loggers=False``,
    which disables mig's existing loggers again on every run in the process."""
    ini = _alembic_project(tmp_path)
    command.revision(Config(str(ini)), "two", rev_id="two")
    env_py = tmp_path / "migrations" / "env.py"
    text = env_py.read_text()
    assert "disable_existing_loggers=False" in text
    env_py.write_text(text.replace(", disable_existing_loggers=False", ""))
    script = (
        "from mig_core import command\n"
        "from mig_core.config import Config\n"
        f"command.upgrade(Config({str(ini)!r}), 'one')\n"
        f"command.upgrade(Config({str(ini)!r}), 'two')\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            env=_env_without_bytecode_flag())
    assert result.returncode == 0, result.stderr
    assert "INFO  [mig.runtime] Running upgrade base -> one" in result.stderr
    # as Alembic logs it: the revision's message after the step
    assert "INFO  [mig.runtime] Running upgrade one -> two, two\n" in result.stderr


def test_a_configured_mig_logger_is_left_alone(tmp_path: Path) -> None:
    ini = _alembic_project(tmp_path)
    text = ini.read_text().replace("keys = root,sqlalchemy,alembic", "keys = root,sqlalchemy,alembic,mig")
    text += "\n[logger_mig]\nlevel = WARNING\nhandlers =\nqualname = mig\n"
    ini.write_text(text)
    result = subprocess.run(
        [sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade", "head"],
        capture_output=True, text=True, env=_env_without_bytecode_flag(),
    )
    assert result.returncode == 0, result.stderr
    assert "Running upgrade" not in result.stderr


# --- which config file --------------------------------------------------------------------------


def test_alembic_config_variable_is_honoured(tmp_path: Path) -> None:
    ini = tmp_path / "deploy.ini"
    ini.write_text("[alembic]\nscript_location = x\n")
    other = tmp_path / "other.ini"
    other.write_text("[mig]\nscript_location = y\n")
    assert find_config(env={"ALEMBIC_CONFIG": str(ini)}, cwd=str(tmp_path))[0] == str(ini)
    both = {"ALEMBIC_CONFIG": str(ini), "MIG_CONFIG": str(other)}
    assert find_config(env=both, cwd=str(tmp_path))[0] == str(other)
    with pytest.raises(ConfigError, match="from ALEMBIC_CONFIG"):
        find_config(env={"ALEMBIC_CONFIG": str(tmp_path / "gone.ini")}, cwd=str(tmp_path))


def test_no_config_file_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("MIG_CONFIG", "ALEMBIC_CONFIG")}
    result = subprocess.run([sys.executable, "-m", "mig_core", "heads"], capture_output=True,
                            text=True, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "no config file: no mig.ini or alembic.ini in" in result.stderr


# --- a database Alembic migrated ---------------------------------------------------------------


def _alembic_database(tmp_path: Path, ini: Path) -> Config:
    db = sqlite3.connect(tmp_path / "app.db")
    db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    db.execute("INSERT INTO alembic_version VALUES ('one')")
    db.commit()
    db.close()
    cfg = Config(str(ini))
    command.revision(cfg, "two", rev_id="two")
    return cfg


def _tables(tmp_path: Path) -> set[str]:
    db = sqlite3.connect(tmp_path / "app.db")
    try:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        db.close()


def test_upgrade_refuses_to_restart_an_alembic_database_from_base(tmp_path: Path) -> None:
    cfg = _alembic_database(tmp_path, _alembic_project(tmp_path))
    with pytest.raises(CommandError, match="set version_table = alembic_version"):
        command.upgrade(cfg, "head")
    assert "mig_version" not in _tables(tmp_path)  # nothing written
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        command.current(cfg)
    assert any(issubclass(w.category, MigWarning) and "alembic_version" in str(w.message)
               for w in caught)


def test_adopting_or_deliberately_starting_over(tmp_path: Path) -> None:
    ini = _alembic_project(tmp_path)
    cfg = _alembic_database(tmp_path, ini)
    cfg.set_main_option("version_table", "alembic_version")
    command.upgrade(cfg, "head")  # carries on from 'one'
    db = sqlite3.connect(tmp_path / "app.db")
    assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("two",)]
    db.close()
    explicit = Config(str(ini))
    explicit.set_main_option("version_table", "mig_version")
    command.upgrade(explicit, "head")  # the user asked for a separate history
    assert "mig_version" in _tables(tmp_path)


def test_set_main_option_on_a_fresh_config_of_an_alembic_ini(tmp_path: Path) -> None:
    """The section becomes [alembic] when the file is read; a set before any read landed in a
    new, unread [mig] section."""
    ini = tmp_path / "alembic.ini"
    ini.write_text("[alembic]\nscript_location = x\n")
    cfg = Config(str(ini))
    cfg.set_main_option("version_table", "mig_version")
    assert cfg.get_main_option("version_table") == "mig_version"
    assert cfg.config_ini_section == "alembic"
    fresh = Config(str(ini))
    fresh.remove_main_option("script_location")
    assert fresh.get_main_option("script_location") is None
