"""A whole multi-revision history as an Oracle SQL script: ``mig init``, four revisions using many
operations, ``mig upgrade --sql base:head`` and ``mig downgrade --sql head:base`` with
``sqlalchemy.url = oracle://``; the exact script, and every statement read as Oracle SQL."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from oracle_support import assert_oracle_script, statements

from mig_core.cli import main

GOLDEN = Path(__file__).parent / "golden"
#: what every script starts with (mig_oracle.impl.SCRIPT_SETTINGS)
SETTINGS = "SET DEFINE OFF\nSET SQLBLANKLINES ON\n\n"

REVISIONS: list[tuple[str, str, str, str]] = [
    (
        "o1", "organisations and accounts",
        """
        op.create_table(
            "org",
            sa.Column("id", sa.Integer, sa.Identity(start=1), primary_key=True),
            sa.Column("name", sa.String(100), nullable=False, comment="legal name"),
            comment="organisations",
        )
        op.create_table(
            "acct",
            sa.Column("id", sa.Integer, sa.Sequence("acct_id_seq"), primary_key=True),
            sa.Column("org_id", sa.Integer, sa.ForeignKey("org.id", ondelete="CASCADE"),
                      nullable=False),
            sa.Column("name", sa.String(50), server_default="n/a"),
            sa.Column("balance", sa.Numeric(12, 2), server_default=sa.text("0")),
            sa.Column("created", sa.DateTime, server_default=sa.func.now()),
        )
        op.create_index("ix_acct_name", "acct", ["name"])
        """,
        """
        op.drop_index("ix_acct_name", table_name="acct")
        op.invoke(DropTableOp("acct", _reverse=CreateTableOp.from_table(sa.Table(
            "acct", sa.MetaData(), sa.Column("id", sa.Integer, sa.Sequence("acct_id_seq"))))))
        op.drop_table("org")
        """,
    ),
    (
        "o2", "account email",
        """
        op.add_column("acct", sa.Column("email", sa.String(255), comment="where to write"))
        op.alter_column("acct", "name", type_=sa.String(100), nullable=False,
                        existing_type=sa.String(50))
        op.create_index("ix_acct_email", "acct", ["email"], unique=True)
        op.create_table_comment("acct", "customer accounts")
        """,
        """
        op.drop_table_comment("acct", existing_comment="customer accounts")
        op.drop_index("ix_acct_email", table_name="acct")
        op.alter_column("acct", "name", type_=sa.String(50), nullable=True,
                        existing_type=sa.String(100))
        op.drop_column("acct", "email")
        """,
    ),
    (
        "o3", "renames and data",
        """
        op.alter_column("acct", "email", new_column_name="email_address")
        op.rename_table("org", "organisation")
        op.create_check_constraint("ck_acct_balance", "acct", "balance >= 0")
        organisation = sa.table("organisation", sa.column("id", sa.Integer),
                                sa.column("name", sa.String))
        op.bulk_insert(organisation, [{"id": 1, "name": "O'Neil & Co"}, {"id": 2, "name": "Acme"}])
        op.execute("UPDATE acct SET balance = 0 WHERE balance IS NULL")
        """,
        """
        op.execute("DELETE FROM organisation WHERE id IN (1, 2)")
        op.drop_constraint("ck_acct_balance", "acct", type_="check")
        op.rename_table("organisation", "org")
        op.alter_column("acct", "email_address", new_column_name="email")
        """,
    ),
    (
        "o4", "identity and defaults",
        """
        op.alter_column("organisation", "id", server_default=sa.Identity(start=1, increment=10),
                        existing_server_default=sa.Identity(start=1))
        op.alter_column("acct", "name", server_default=None, existing_server_default="n/a")
        with op.batch_alter_table("acct") as batch_op:
            batch_op.add_column(sa.Column("closed", sa.Boolean, server_default=sa.false()))
            batch_op.drop_column("created", if_exists=True)
        """,
        """
        with op.batch_alter_table("acct") as batch_op:
            batch_op.add_column(sa.Column("created", sa.DateTime, server_default=sa.func.now()))
            batch_op.drop_column("closed")
        op.alter_column("acct", "name", server_default="n/a")
        op.alter_column("organisation", "id", server_default=sa.Identity(start=1),
                        existing_server_default=sa.Identity(start=1, increment=10))
        """,
    ),
]

UPGRADE = (GOLDEN / "history_upgrade.sql").read_text()

DOWNGRADE = (GOLDEN / "history_downgrade.sql").read_text()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> Path:
    """``mig init``, the URL set to ``oracle://``, and the four revisions written."""
    monkeypatch.chdir(tmp_path)
    assert main(["init", "migrations"]) == 0
    ini = tmp_path / "mig.ini"
    lines = [
        "sqlalchemy.url = oracle://" if line.startswith("sqlalchemy.url") else line
        for line in ini.read_text().splitlines()
    ]
    ini.write_text("\n".join(lines) + "\n")
    for rev, message, upgrade, downgrade in REVISIONS:
        assert main(["revision", "-m", message, "--rev-id", rev]) == 0
        path = next((tmp_path / "migrations" / "versions").glob(f"{rev}_*.py"))
        source = path.read_text()
        source = source.replace(
            '    """Upgrade schema."""\n    pass',
            '    """Upgrade schema."""\n' + textwrap.indent(textwrap.dedent(upgrade).strip(), "    "),
        ).replace(
            '    """Downgrade schema."""\n    pass',
            '    """Downgrade schema."""\n'
            + textwrap.indent(textwrap.dedent(downgrade).strip(), "    "),
        )
        source = source.replace(
            "from mig_core import op\n",
            "from mig_core import op\nfrom mig_core.operations.ops import CreateTableOp, DropTableOp\n",
        )
        path.write_text(source)
    capsys.readouterr()
    return tmp_path


def test_upgrade_script(project: Path, capsys: Any) -> None:
    assert main(["upgrade", "--sql", "base:head"]) == 0
    out = capsys.readouterr().out
    assert out == UPGRADE
    assert "BEGIN;" not in out and "COMMIT" not in out
    assert len(assert_oracle_script(out)) == len(statements(UPGRADE)) == 26


def test_downgrade_script(project: Path, capsys: Any) -> None:
    assert main(["downgrade", "--sql", "head:base"]) == 0
    out = capsys.readouterr().out
    assert out == DOWNGRADE
    assert_oracle_script(out)


def test_a_range_in_the_middle(project: Path, capsys: Any) -> None:
    assert main(["upgrade", "--sql", "o2:o3"]) == 0
    out = capsys.readouterr().out
    start = UPGRADE.index("-- Running upgrade o2 -> o3")
    assert out == SETTINGS + UPGRADE[start:UPGRADE.index("-- Running upgrade o3 -> o4")]


def test_forced_transaction_frames_the_script(project: Path, capsys: Any) -> None:
    env = project / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "        literal_binds=True,\n", "        literal_binds=True,\n        transactional_ddl=True,\n"
    ))
    assert main(["upgrade", "--sql", "o2:o3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        f"SET TRANSACTION READ WRITE\n/\n\n{SETTINGS}-- Running upgrade o2 -> o3\n"
    )
    assert out.endswith("UPDATE mig_version SET version_num='o3' WHERE version_num = 'o2'\n/\n\n"
                        "COMMIT\n/\n\n")
    assert_oracle_script(out)


def test_old_oracle_limit_from_env_py(project: Path, capsys: Any) -> None:
    env = project / "migrations" / "env.py"
    env.write_text(env.read_text().replace(
        "        literal_binds=True,\n",
        "        literal_binds=True,\n        oracle_max_identifier_length=10,\n",
    ))
    assert main(["upgrade", "--sql", "base:head"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    # (the version table's key is named to fit: mi_5a5c_pkc, not mig_version_pkc)
    assert captured.err.strip().splitlines()[-1].endswith(
        "create table 'mig_version': the table name 'mig_version' is 11 bytes long; "
        "this Oracle database allows at most 10 (set oracle_max_identifier_length in "
        "context.configure() if the limit is wrong)"
    )
