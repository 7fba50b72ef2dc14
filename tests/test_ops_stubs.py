"""The typed stubs of ``op`` / ``batch_op`` (``mig_core/proxies.pyi``) stay true to the directives,
and a type checker uses them: ``op.add_column(...)`` is checked and completed."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any

import pytest

from mig_core.builtin.operations import CORE_DIRECTIVES
from mig_core.operations import base, directives

STUB = Path(__file__).resolve().parents[1] / "mig_core" / "proxies.pyi"


def stub_methods(class_name: str) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(STUB.read_text())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return {n.name: n for n in node.body if isinstance(n, ast.FunctionDef)}
    raise AssertionError(f"class {class_name} not in {STUB}")


def stub_shape(fn: ast.FunctionDef) -> list[tuple[str, str, str | None]]:
    """(name, kind, default source) of each parameter after ``self``."""
    args = fn.args
    out: list[tuple[str, str, str | None]] = []
    positional = args.posonlyargs + args.args
    defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
    for arg, default in list(zip(positional, defaults))[1:]:
        out.append((arg.arg, "POSITIONAL_OR_KEYWORD",
                    ast.unparse(default) if default is not None else None))
    if args.vararg:
        out.append((args.vararg.arg, "VAR_POSITIONAL", None))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        out.append((arg.arg, "KEYWORD_ONLY", ast.unparse(default) if default is not None else None))
    if args.kwarg:
        out.append((args.kwarg.arg, "VAR_KEYWORD", None))
    return out


def real_shape(fn: Any) -> list[tuple[str, str, str | None]]:
    params = list(inspect.signature(fn).parameters.values())[1:]  # drop `operations`
    return [
        (p.name, p.kind.name, None if p.default is inspect.Parameter.empty else repr(p.default))
        for p in params
    ]


@pytest.mark.parametrize("name", sorted(CORE_DIRECTIVES))
def test_op_stub_matches_directive(name: str) -> None:
    stub = stub_methods("OperationsProxy")
    assert name in stub, f"op.{name} has no typed stub"
    assert stub_shape(stub[name]) == real_shape(getattr(directives, name).fn)


@pytest.mark.parametrize("name", sorted(n for n, batch in CORE_DIRECTIVES.items() if batch))
def test_batch_op_stub_matches_batch_form(name: str) -> None:
    stub = stub_methods("BatchOperationsProxy")
    assert name in stub, f"batch_op.{name} has no typed stub"
    target = getattr(directives, name)
    assert stub_shape(stub[name]) == real_shape(target.batch_form or target.fn)


@pytest.mark.parametrize(
    "name",
    ["invoke", "f", "inline_literal", "get_bind", "get_context", "run_async", "batch_alter_table"],
)
def test_op_stub_matches_operations_methods(name: str) -> None:
    stub = stub_methods("OperationsProxy")
    method = getattr(base.Operations, name)
    assert stub_shape(stub[name]) == real_shape(getattr(method, "__wrapped__", method))


@pytest.mark.slow
def test_type_checker_uses_the_stubs(tmp_path: Path) -> None:
    from mypy import api

    script = tmp_path / "rev.py"
    script.write_text(
        "import sqlalchemy as sa\n"
        "from mig_core import op, context\n\n"
        "def upgrade() -> None:\n"
        "    table = op.create_table('t', sa.Column('id', sa.Integer))\n"
        "    reveal_type(table)\n"
        "    op.add_column('t', sa.Column('c', sa.Integer), schema='s')\n"
        "    op.add_column('t', 'c')\n"
        "    op.alter_column('t', 'c', nullable='no')\n"
        "    with op.batch_alter_table('t') as batch_op:\n"
        "        batch_op.drop_column('c')\n"
        "        batch_op.add_column(sa.Column('d', sa.Integer), insert_after='c')\n"
        "    reveal_type(context.is_offline_mode())\n"
    )
    stdout, _, _ = api.run([str(script), "--no-incremental", "--follow-imports=silent",
                            "--ignore-missing-imports", "--python-version", "3.10"])
    lines = [line.split(": ", 1)[1] for line in stdout.splitlines() if ": " in line]
    revealed = [line for line in lines if line.startswith("note: Revealed type is")]
    assert revealed[0].startswith('note: Revealed type is "sqlalchemy.sql.schema.Table')
    assert revealed[1] in ('note: Revealed type is "bool"', 'note: Revealed type is "builtins.bool"')
    errors = [line for line in lines if line.startswith("error")]
    assert len(errors) == 2, stdout
    assert 'Argument 2 to "add_column" of "OperationsProxy" has incompatible type "str"' in \
        errors[0]
    assert 'Argument "nullable" to "alter_column" of "OperationsProxy" has incompatible type' in \
        errors[1]
