"""Every error mig raises on purpose is a CommandError, as code written for Alembic expects."""

from __future__ import annotations

from pathlib import Path

import pytest

from mig_core import command, errors
from mig_core.config import Config


@pytest.mark.parametrize(
    ("cls", "code"),
    [(errors.UsageError, 2), (errors.ConfigError, 2), (errors.RevisionArgumentError, 2),
     (errors.PluginError, 3), (errors.PluginLoadError, 3), (errors.NoDialectImplError, 3),
     (errors.RevisionGraphError, 4), (errors.LockTimeoutError, 5), (errors.MigrationFailed, 1)],
)
def test_each_error_class_is_a_command_error_with_its_exit_code(cls: type, code: int) -> None:
    assert issubclass(cls, errors.CommandError)
    assert cls.exit_code == code
    assert errors.MigError is errors.CommandError


def _project(tmp_path: Path) -> Config:
    config = Config(str(tmp_path / "mig.ini"))
    command.init(config, str(tmp_path / "migrations"))
    config = Config(str(tmp_path / "mig.ini"))
    config.set_main_option("sqlalchemy.url", f"sqlite:///{tmp_path / 'app.db'}")
    command.revision(config, "one", rev_id="one")
    return config


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: command.upgrade(c, "nosuch"), "nosuch"),
        (lambda c: command.downgrade(c, "head:base"), "only allowed with --sql"),
        (lambda c: command.upgrade(c, "+9"), r"'\+9'"),
        (lambda c: command.heads(Config()), "script_location"),
    ],
)
def test_command_calls_raise_command_error(tmp_path: Path, call: object, message: str) -> None:
    config = _project(tmp_path)
    with pytest.raises(errors.CommandError, match=message):
        call(config)  # type: ignore[operator]
