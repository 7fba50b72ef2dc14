"""Test helpers: run operations offline on SQL Server, and check that SQL is T-SQL (sqlglot).

sqlglot's ``tsql`` reader parses most of what mig writes into real syntax trees. Two valid
T-SQL forms it does not model fall back to an opaque ``Command`` (``SET IDENTITY_INSERT`` and
``ALTER TABLE ... ADD DEFAULT x FOR c``), and it reads the body of ``IF ... BEGIN ... END`` as
one. :func:`assert_tsql` checks those pieces separately (the condition as an expression, the
body as statements, the default as an expression) and accepts a ``Command`` nowhere else.
"""

from __future__ import annotations

import io
import re
import textwrap
from collections.abc import Callable
from typing import Any

import sqlglot
from sqlglot import exp

from mig_core.operations import Operations
from mig_core.plugins import build_plugin_manager
from mig_core.runtime.migration import MigrationContext

_PM: Any = None


def plugin_manager() -> Any:
    global _PM
    if _PM is None:
        _PM = build_plugin_manager(None, env={})
    return _PM


def offline(fn: Callable[[Any], Any], **opts: Any) -> str:
    """Run ``fn(op)`` as an offline (--sql) migration on mssql; the SQL text, stripped."""
    buf = io.StringIO()
    ctx = MigrationContext.configure(
        dialect_name="mssql",
        opts={"as_sql": True, "output_buffer": buf, **opts},
        plugin_manager=plugin_manager(),
    )
    with Operations.context(ctx) as op:
        fn(op)
    return buf.getvalue().strip()


def framed(*statements: str) -> str:
    """Statements as the impl writes them offline: ``;`` then a ``GO`` line each."""
    return "\n\n".join(f"{s};\nGO" for s in statements)


def batches(script: str, separator: str = "GO") -> list[str]:
    """The script's batches: the text between separator lines, without empty ones."""
    parts = re.split(rf"^{re.escape(separator)}$", script, flags=re.M)
    return [p.strip() for p in parts if p.strip()]


_IF_BLOCK = re.compile(r"\AIF (?P<cond>.+?)\nBEGIN\n(?P<body>.*)\nEND;?\Z", re.S)
_IDENTITY_INSERT = re.compile(r"\ASET IDENTITY_INSERT (?P<table>\S+(?: \S+)*?) (ON|OFF);?\Z")
_ADD_DEFAULT = re.compile(
    r"\AALTER TABLE (?P<table>.+?) ADD (?:CONSTRAINT (?P<name>\S+) )?DEFAULT (?P<expr>.+) "
    r"FOR (?P<column>\S+);?\Z",
    re.S,
)


def _no_command(trees: list[Any], text: str) -> None:
    assert trees and all(t is not None for t in trees), f"nothing parsed in {text!r}"
    for tree in trees:
        for node in tree.walk():
            assert not isinstance(node, exp.Command), (
                f"sqlglot could only read {node.sql()!r} as an opaque command in:\n{text}"
            )


def _parse(text: str) -> list[Any]:
    return sqlglot.parse(text, read="tsql", error_level=sqlglot.ErrorLevel.RAISE)


def _name(text: str) -> None:
    """A (possibly schema-qualified, bracket-quoted) table or column name."""
    _no_command(_parse(f"SELECT 1 FROM {text}"), text)


def assert_tsql(batch: str) -> None:
    """``batch`` (one or more statements, comments allowed) parses as T-SQL."""
    text = batch.strip()
    # drop leading comment lines such as "-- Running upgrade a -> b"
    while text.startswith("--"):
        text = text.split("\n", 1)[1].strip() if "\n" in text else ""
    assert text, f"empty batch: {batch!r}"
    block = _IF_BLOCK.match(text)
    if block:
        _no_command(_parse(f"SELECT CASE WHEN {block['cond']} THEN 1 END"), block["cond"])
        assert_tsql(textwrap.dedent(block["body"]))
        return
    if text.upper().startswith("SET IDENTITY_INSERT"):
        identity = _IDENTITY_INSERT.match(text)
        assert identity, f"not SET IDENTITY_INSERT <table> ON|OFF: {text!r}"
        _name(identity["table"])
        return
    default = _ADD_DEFAULT.match(text)
    if default:
        _name(default["table"])
        _name(default["column"])
        _no_command(_parse(f"SELECT {default['expr']}"), default["expr"])
        return
    _no_command(_parse(text), text)


def assert_script_is_tsql(script: str, separator: str = "GO") -> list[str]:
    """Every batch of an offline script parses as T-SQL; returns the batches."""
    found = batches(script, separator)
    assert found, "empty script"
    for batch in found:
        assert_tsql(batch)
    return found
