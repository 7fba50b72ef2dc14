"""Meta-tests: every hook spec is documented, parameter by parameter."""

from __future__ import annotations

import inspect

import pytest

from mig_core import hookspecs


def specs():
    return [
        (name, fn)
        for name, fn in vars(hookspecs).items()
        if name.startswith("mig_") and callable(fn)
    ]


def test_families_exist():
    names = {name for name, _ in specs()}
    for required in [
        "mig_addhooks", "mig_addoption", "mig_configure", "mig_register_commands",
        "mig_register_operations", "mig_register_dialects", "mig_ddl_execute",
        "mig_batch_recreate", "mig_run_lock", "mig_compare_schema", "mig_compare_table",
        "mig_compare_column", "mig_compare_type", "mig_compare_server_default",
        "mig_render_op", "mig_render_type", "mig_render_imports",
    ]:
        assert required in names


@pytest.mark.parametrize("name,fn", specs(), ids=[n for n, _ in specs()])
def test_spec_is_documented(name, fn):
    doc = " ".join((inspect.getdoc(fn) or "").split())
    assert len((inspect.getdoc(fn) or "").splitlines()[0]) > 10, f"{name}: no summary line"
    assert "Called" in doc, f"{name}: does not say when it is called"
    assert "Implemented by" in doc, f"{name}: does not say who implements it"
    opts = fn.mig_spec
    if opts.get("firstresult"):
        assert "Stops at the first non-None result" in doc, name
    else:
        assert "Collects from every plugin" in doc, name
    for param in inspect.signature(fn).parameters:
        assert f":param {param}:" in doc, f"{name}: parameter {param!r} undocumented"


def test_dialect_bound_hooks_are_specs():
    names = {name for name, _ in specs()}
    assert hookspecs.DIALECT_BOUND_HOOKS <= names
