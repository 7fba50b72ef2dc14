"""``oracle_server_version``: offline scripts written for an older Oracle."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from mig_oracle.target import configure_target, parse_version
from oracle_support import assert_oracle_script, offline, script
from sqlalchemy.dialects import oracle

from mig_core.errors import CommandError, ConfigError


def _boolean(op: Any) -> None:
    op.add_column("t", sa.Column("flag", sa.Boolean, server_default=sa.false()))


@pytest.mark.parametrize(
    ("version", "expected"),
    [(None, "BOOLEAN DEFAULT 0"), ("23", "BOOLEAN DEFAULT 0"), ("19", "SMALLINT DEFAULT 0"),
     ("11.2.0.4", "SMALLINT DEFAULT 0")],
)
def test_boolean_follows_the_version(version: Any, expected: str) -> None:
    opts = {} if version is None else {"oracle_server_version": version}
    text = offline(_boolean, **opts)
    assert text == script(f"ALTER TABLE t ADD flag {expected}")
    assert_oracle_script(text)


@pytest.mark.parametrize(("version", "limit"), [("19", 128), ("12.2", 128), ("12.1", 30),
                                                 ((11, 2), 30)])
def test_identifier_limit_follows_the_version(version: Any, limit: int) -> None:
    name = "c" * (limit + 1)
    with pytest.raises(CommandError, match=f"is {limit + 1} bytes long; this Oracle database "
                                           f"allows at most {limit} "):
        offline(lambda op: op.add_column("t", sa.Column(name, sa.Integer)),
                oracle_server_version=version)
    text = offline(lambda op: op.add_column("t", sa.Column("c" * limit, sa.Integer)),
                   oracle_server_version=version)
    assert text == script(f"ALTER TABLE t ADD {'c' * limit} INTEGER")


def test_explicit_limit_wins_over_the_version() -> None:
    text = offline(lambda op: op.add_column("t", sa.Column("c" * 40, sa.Integer)),
                   oracle_server_version="11.2", oracle_max_identifier_length=128)
    assert text == script(f"ALTER TABLE t ADD {'c' * 40} INTEGER")


@pytest.mark.parametrize(
    "fn",
    [
        lambda op: op.create_table("t", sa.Column("id", sa.Integer, sa.Identity(),
                                                  primary_key=True)),
        lambda op: op.add_column("t", sa.Column("id", sa.Integer, sa.Identity())),
        lambda op: op.alter_column("t", "id", server_default=None,
                                   existing_server_default=sa.Identity()),
    ],
)
def test_no_identity_columns_before_12(fn: Any) -> None:
    with pytest.raises(CommandError, match="Oracle before 12c has no identity columns"):
        offline(fn, oracle_server_version="11.2")
    offline(fn, oracle_server_version="12.1")  # fine from 12c on


def test_a_sequence_instead_on_11() -> None:
    text = offline(
        lambda op: op.create_table("t", sa.Column("id", sa.Integer, sa.Sequence("t_id_seq"),
                                                  primary_key=True)),
        oracle_server_version="11.2",
    )
    assert text == script("CREATE SEQUENCE t_id_seq",
                          "CREATE TABLE t (\n    id INTEGER NOT NULL, \n    PRIMARY KEY (id)\n)")


@pytest.mark.parametrize(("value", "version"), [("19", (19,)), (" 19.3.0 ", (19, 3, 0)),
                                                 (21, (21,)), ((12, 1), (12, 1)),
                                                 ([11, 2], (11, 2))])
def test_parse_version(value: Any, version: tuple[int, ...]) -> None:
    assert parse_version(value) == version


@pytest.mark.parametrize("value", ["", "latest", "19c", 7, True, (), 1.5, "12.-1"])
def test_bad_version_is_a_config_error(value: Any) -> None:
    with pytest.raises(ConfigError, match="oracle_server_version must be an Oracle version"):
        offline(lambda op: None, oracle_server_version=value)


def test_online_the_servers_version_wins() -> None:
    dialect = oracle.dialect()
    before = (dialect.supports_native_boolean, dialect.max_identifier_length)
    configure_target(dialect, {"oracle_server_version": "11.2"}, offline=False)
    assert (dialect.supports_native_boolean, dialect.max_identifier_length) == before
    assert getattr(dialect, "server_version_info", None) is None
