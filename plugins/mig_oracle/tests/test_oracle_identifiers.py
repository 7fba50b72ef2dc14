"""Identifier length limits (128 bytes, 30 on old Oracle, configurable) and convention truncation."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from mig_oracle.names import truncated_name
from oracle_support import assert_oracle_script, offline, plugin_manager, script

from mig_core.errors import CommandError, ConfigError
from mig_core.operations import Operations
from mig_core.runtime.migration import MigrationContext

LONG = "t" * 129
FITS = "t" * 128


def run(fn: Callable[[Any], Any], dialect_opts: dict[str, Any] | None = None,
        **opts: Any) -> tuple[str, Exception | None]:
    """Run ``fn(op)`` offline; the SQL written, and the error raised (or None)."""
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name="oracle", dialect_opts=dialect_opts,
        opts={"as_sql": True, "output_buffer": buf, **opts}, plugin_manager=plugin_manager(),
    )
    error = None
    with Operations.context(ctx) as op:
        try:
            fn(op)
        except CommandError as exc:
            error = exc
    return buf.getvalue(), error


def test_128_bytes_fit_and_129_do_not() -> None:
    text, error = run(lambda op: op.drop_table(FITS))
    assert error is None and text == script(f"DROP TABLE {FITS}")
    text, error = run(lambda op: op.drop_table(LONG))
    assert text == ""
    assert str(error) == (
        f"drop_table({LONG!r}): the table name '{'t' * 37}...' is 129 bytes long; this Oracle "
        "database allows at most 128 (set oracle_max_identifier_length in context.configure() "
        "if the limit is wrong)"
    )


@pytest.mark.parametrize(
    ("fn", "kind"),
    [
        (lambda op: op.create_table("t", sa.Column(LONG, sa.Integer)), "column"),
        (lambda op: op.create_table("t", sa.Column("id", sa.Integer, sa.Sequence(LONG))),
         "sequence"),
        (lambda op: op.create_table("t", sa.Column("id", sa.Integer), schema=LONG), "schema"),
        (lambda op: op.create_table(
            "t", sa.Column("id", sa.Integer), sa.UniqueConstraint("id", name=LONG)),
         "unique constraint"),
        (lambda op: op.create_table("t", sa.Column("id", sa.Integer), sa.Index(LONG, "id")),
         "index"),
        (lambda op: op.add_column("t", sa.Column(LONG, sa.Integer)), "column"),
        (lambda op: op.add_column(
            "t", sa.Column("o", sa.Integer, sa.ForeignKey("o.id", name=LONG))), "foreign key"),
        (lambda op: op.drop_column("t", LONG), "column"),
        (lambda op: op.alter_column("t", "c", nullable=False, new_column_name=LONG), "column"),
        (lambda op: op.rename_table("t", LONG), "table"),
        (lambda op: op.create_index(LONG, "t", ["c"]), "index"),
        (lambda op: op.drop_index(LONG, "t"), "index"),
        (lambda op: op.create_foreign_key(LONG, "t", "o", ["o_id"], ["id"]), "foreign key"),
        (lambda op: op.create_check_constraint(LONG, "t", "c > 0"), "check constraint"),
        (lambda op: op.drop_constraint(LONG, "t"), "constraint"),
        (lambda op: op.create_table_comment(LONG, "x"), "table"),
        (lambda op: op.alter_column("t", LONG, comment="x"), "column"),
    ],
)
def test_every_operation_refuses_a_long_name_before_writing(
    fn: Callable[[Any], Any], kind: str
) -> None:
    text, error = run(fn)
    assert text == ""
    assert error is not None
    assert f"the {kind} name '{'t' * 37}...' is 129 bytes long" in str(error)


def test_length_is_counted_in_bytes() -> None:
    name = "ü" * 65  # 65 characters, 130 bytes in UTF-8
    _, error = run(lambda op: op.add_column("t", sa.Column(name, sa.Integer)))
    assert error is not None and "is 130 bytes long" in str(error)


@pytest.mark.parametrize(
    ("dialect_opts", "opts"),
    [(None, {"oracle_max_identifier_length": 30}),
     (None, {"oracle_max_identifier_length": "30"}),
     ({"max_identifier_length": 30}, {})],
)
def test_old_oracle_limit_of_30(dialect_opts: Any, opts: dict[str, Any]) -> None:
    text, error = run(lambda op: op.add_column("t", sa.Column("c" * 30, sa.Integer)),
                      dialect_opts=dialect_opts, **opts)
    assert error is None and text == script(f"ALTER TABLE t ADD {'c' * 30} INTEGER")
    _, error = run(lambda op: op.add_column("t", sa.Column("c" * 31, sa.Integer)),
                   dialect_opts=dialect_opts, **opts)
    assert error is not None
    assert "is 31 bytes long; this Oracle database allows at most 30" in str(error)


@pytest.mark.parametrize("value", [0, -5, "thirty", 2.5j])
def test_bad_limit_is_a_config_error(value: Any) -> None:
    with pytest.raises(ConfigError, match="oracle_max_identifier_length must be a positive"):
        run(lambda op: None, oracle_max_identifier_length=value)


CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "pk": "pk_%(table_name)s",
}
IX_BOTH = "ix_customer_account_history_organisation_identifier_region_code"
UQ_BOTH = "uq_customer_account_history_organisation_identifier_region_code"
FK = "fk_customer_account_history_organisation_identifier_organisation"


def _conventional(op: Any) -> None:
    op.create_table(
        "customer_account_history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organisation_identifier", sa.Integer, sa.ForeignKey("organisation.id")),
        sa.Column("region_code", sa.Integer, index=True),
    )
    op.create_index(None, "customer_account_history", ["organisation_identifier", "region_code"])
    op.create_unique_constraint(
        None, "customer_account_history", ["organisation_identifier", "region_code"]
    )
    op.drop_index(op.f(IX_BOTH), "customer_account_history")
    op.drop_constraint(op.f(UQ_BOTH), "customer_account_history", type_="unique")


def test_conventional_names_are_truncated_deterministically_at_30() -> None:
    text = offline(_conventional, target_metadata=sa.MetaData(naming_convention=CONVENTION),
                   oracle_max_identifier_length=30)
    ix, uq = truncated_name(IX_BOTH, 30), truncated_name(UQ_BOTH, 30)
    assert re.fullmatch(r"ix_customer_account_hi_[0-9a-f]{4}", ix)
    assert text == script(
        "CREATE TABLE customer_account_history (\n"
        "    id INTEGER NOT NULL, \n"
        "    organisation_identifier INTEGER, \n"
        "    region_code INTEGER, \n"
        "    CONSTRAINT pk_customer_account_history PRIMARY KEY (id), \n"
        f"    CONSTRAINT {truncated_name(FK, 30)} FOREIGN KEY(organisation_identifier) "
        "REFERENCES organisation (id)\n"
        ")",
        f"CREATE INDEX {truncated_name('ix_customer_account_history_region_code', 30)} "
        "ON customer_account_history (region_code)",
        f"CREATE INDEX {ix} ON customer_account_history (organisation_identifier, region_code)",
        f"ALTER TABLE customer_account_history ADD CONSTRAINT {uq} "
        "UNIQUE (organisation_identifier, region_code)",
        f"DROP INDEX {ix}",  # the same shortened name the CREATE wrote
        f"ALTER TABLE customer_account_history DROP CONSTRAINT {uq}",
    )
    assert_oracle_script(text)
    # the same history again gives the same names
    assert offline(_conventional, target_metadata=sa.MetaData(naming_convention=CONVENTION),
                   oracle_max_identifier_length=30) == text


def test_conventional_names_fit_128_unchanged() -> None:
    text = offline(_conventional, target_metadata=sa.MetaData(naming_convention=CONVENTION))
    assert f"CREATE INDEX {IX_BOTH} ON" in text and f"DROP INDEX {IX_BOTH}\n" in text


def test_truncated_name_is_stable_and_fits() -> None:
    assert truncated_name("short", 30) == "short"
    name = truncated_name("x" * 200, 30)
    assert len(name) == 27 and name == truncated_name("x" * 200, 30)  # limit - 8 + 5
    assert name[:22] == "x" * 22 and name[22] == "_"
    assert truncated_name("x" * 200, 30) != truncated_name("x" * 199 + "y", 30)


def test_multibyte_conventional_name_still_too_long_is_refused() -> None:
    _, error = run(lambda op: op.create_index(op.f("ü" * 40), "t", ["c"]),
                   oracle_max_identifier_length=30)
    assert error is not None and "index name" in str(error) and "allows at most 30" in str(error)
