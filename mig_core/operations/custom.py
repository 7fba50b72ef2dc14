"""Alembic's API for custom operations, on top of mig's operation registry and handler table.

``@Operations.register_operation("name")`` on an operation class makes its classmethod ``name``
(or ``sourcename``) ``op.name``; on ``BatchOperations`` it becomes ``batch_op.name``. The
registrations of one module form a plugin named after that module, whose
``mig_register_operations`` adds them to the run's registry like any plugin's; it is installed
into a run's plugin manager when an ``Operations`` is made (see :func:`install`), so they are
listed, conflict-checked and looked up exactly as plugin operations are.

``@Operations.implementation_for(OpClass)`` adds ``fn(operations, operation)`` to
:mod:`mig_core.operations.toimpl`'s handler table, which the core's ``mig_ddl_execute`` reads:
``operations.invoke(op)`` reaches it through the same hook as every other operation.

Registrations are process-wide, like Alembic's (they happen when the user's module is
imported): every later run in the process sees them. Registering the same class again (a
re-import: same module and qualified name) replaces the earlier registration silently; another
class claiming a taken name replaces it too (the last registration wins, as in Alembic) with a
:class:`~mig_core.errors.MigWarning` naming both. A name that a plugin's
``mig_register_operations`` also adds is still a conflict of the run's registry
(:class:`PluginError`). Tests reset everything with
:func:`mig_core.testing.reset_registrations` (or this module's :func:`forget`).
"""

from __future__ import annotations

import contextvars
import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from mig_core import hookimpl
from mig_core.errors import CommandError, MigWarning, PluginError

_T = TypeVar("_T")
_C = TypeVar("_C", bound=Callable[..., Any])

#: the ``Operations`` whose ``invoke`` is running (handed to Alembic-style implementations)
_INVOKING: contextvars.ContextVar[Any] = contextvars.ContextVar("mig_invoking_operations")


class _NoResult:
    """What a handler returns for an implementation that returned None (``invoke`` gives None)."""

    def __repr__(self) -> str:
        return "<no result>"


NO_RESULT = _NoResult()


def _origin(obj: Any) -> tuple[str, str]:
    return (getattr(obj, "__module__", "?"), getattr(obj, "__qualname__", repr(obj)))


def _label(obj: Any) -> str:
    module, qualname = _origin(obj)
    return f"{module}.{qualname}"


@dataclass
class _Form:
    """One side (``op`` or ``batch_op``) of a registered name: the class and its classmethod."""

    op_class: type
    method: str

    def caller(self) -> Callable[..., Any]:
        op_class, method = self.op_class, self.method
        source = getattr(op_class, method)

        def call(operations: Any, *args: Any, **kw: Any) -> Any:
            return getattr(op_class, method)(operations, *args, **kw)

        functools.update_wrapper(call, source)
        return call


@dataclass
class _Registration:
    name: str
    plugin: str
    op_form: _Form | None = None
    batch_form: _Form | None = None


_REGISTRATIONS: dict[str, _Registration] = {}
#: op class -> its Alembic-style implementation
_IMPLEMENTATIONS: dict[type, Callable[..., Any]] = {}
#: core handlers replaced with ``replace=True``, restored by :func:`forget`
_REPLACED: dict[type, Any] = {}
#: bumped on every change, so plugin managers know when to pick the registrations up again
_generation = 0


def register_operation(
    name: str, sourcename: str | None, *, batch: bool
) -> Callable[[type[_T]], type[_T]]:
    """The decorator behind ``Operations.register_operation`` / ``BatchOperations.register_operation``."""
    where = "BatchOperations" if batch else "Operations"
    if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
        raise CommandError(
            f"{where}.register_operation: the name must be a Python identifier not starting "
            f"with '_', got {name!r}"
        )
    from mig_core.operations.base import BatchOperations, Operations

    owner = BatchOperations if batch else Operations
    if hasattr(owner, name):
        raise PluginError(
            f"{where}.register_operation({name!r}): {name!r} is a method of {where} itself, "
            "not a registrable operation"
        )

    def decorate(op_class: type[_T]) -> type[_T]:
        global _generation
        method = sourcename or name
        if not callable(getattr(op_class, method, None)):
            raise PluginError(
                f"{where}.register_operation({name!r}): {_label(op_class)} has no classmethod "
                f"{method!r} to call as {'batch_op' if batch else 'op'}.{name}()"
            )
        form = _Form(op_class, method)
        entry = _REGISTRATIONS.get(name)
        if entry is None:
            entry = _REGISTRATIONS[name] = _Registration(name, op_class.__module__)
        current = entry.batch_form if batch else entry.op_form
        if current is not None and _origin(current.op_class) != _origin(op_class):
            # two projects (services) in one process, each with the cookbook's recipe: the
            # last registration wins, as in Alembic
            warnings.warn(
                f"operation {name!r} is registered by two classes: {_label(current.op_class)} "
                f"and {_label(op_class)} ({where}.register_operation); the last one "
                "replaces the first (registrations are process-wide, as in Alembic)",
                MigWarning,
                stacklevel=2,
            )
        entry.plugin = op_class.__module__
        if batch:
            entry.batch_form = form
        else:
            entry.op_form = form
        _generation += 1
        return op_class

    return decorate


def implementation_for(op_class: type, replace: bool = False) -> Callable[[_C], _C]:
    """The decorator behind ``Operations.implementation_for``: ``fn(operations, operation)``
    carries out ``op_class`` objects, through the core's ``mig_ddl_execute``."""
    if not isinstance(op_class, type):
        raise CommandError(f"Operations.implementation_for: expected a class, got {op_class!r}")

    def decorate(fn: _C) -> _C:
        from mig_core.operations import toimpl

        current = _IMPLEMENTATIONS.get(op_class)
        if current is None and op_class in toimpl._HANDLERS:
            current = toimpl._HANDLERS[op_class]  # a core operation
        if (
            current is not None
            and not replace
            and current is not fn
            and _origin(current) != _origin(fn)
        ):
            raise PluginError(
                f"{_label(op_class)} already has an implementation ({_label(current)}); "
                f"{_label(fn)} replaces it only with implementation_for(..., replace=True)"
            )
        if op_class in toimpl._HANDLERS and op_class not in _IMPLEMENTATIONS:
            _REPLACED[op_class] = toimpl._HANDLERS[op_class]
        _IMPLEMENTATIONS[op_class] = fn
        toimpl.register_impl(op_class)(_handler(fn))
        return fn

    return decorate


def _handler(fn: Callable[..., Any]) -> Callable[[Any, Any, Any], Any]:
    def handle(impl: Any, operation: Any, schema_obj: Any) -> Any:
        result = fn(_operations_for(impl, operation), operation)
        return NO_RESULT if result is None else result

    handle.__wrapped__ = fn  # type: ignore[attr-defined]
    return handle


def _operations_for(impl: Any, operation: Any) -> Any:
    """The ``Operations`` an Alembic-style implementation receives: the one invoking it."""
    operations = _INVOKING.get(None)
    if operations is not None and operations.impl is impl:
        return operations
    from mig_core.proxies import op

    current = op.current()
    if current is not None and current.impl is impl:
        return current
    describe = operation.describe() if hasattr(operation, "describe") else type(operation).__name__
    raise CommandError(
        f"{describe}: its implementation (Operations.implementation_for) needs the Operations "
        "of a migration; carry it out with op.invoke(operation)"
    )


def has_implementation(operation: Any) -> bool:
    """Whether ``operation``'s class (or a base) has an Alembic-style implementation."""
    if not _IMPLEMENTATIONS:
        return False
    return any(cls in _IMPLEMENTATIONS for cls in type(operation).__mro__)


def runs_immediately_in_batch(operation: Any) -> bool:
    """Whether ``batch_op.invoke(operation)`` runs it now instead of queueing it: its class (or
    nearest base with one) has an implementation, and that is not a replaced core handler."""
    if not _IMPLEMENTATIONS:
        return False
    for cls in type(operation).__mro__:
        if cls in _IMPLEMENTATIONS:
            return cls not in _REPLACED
    return False


def invoking(operations: Any) -> contextvars.Token[Any]:
    """Mark ``operations`` as the one carrying out an operation (reset the returned token)."""
    return _INVOKING.set(operations)


def done_invoking(token: contextvars.Token[Any]) -> None:
    _INVOKING.reset(token)


# --- the plugins fed into each run's registry ----------------------------------------------------


class _ModuleOperations:
    """The operations one module registered with the decorators, as a mig plugin."""

    def __init__(self, module: str, entries: list[_Registration]) -> None:
        self.__name__ = module
        self.entries = entries

    # trylast puts this first in pluggy's list, which the registry is collected in: the
    # project's own operations are seen before the plugins', so a plugin's optional directive
    # (mig-postgres's create_sequence, added "when nobody has") yields to them
    @hookimpl(trylast=True)
    def mig_register_operations(self, registry: Any) -> None:
        for entry in self.entries:
            registry.add(entry.name, _directive(entry), batch=entry.batch_form is not None,
                         alembic_style=True)


def _directive(entry: _Registration) -> Any:
    from mig_core.operations.directives import Directive

    if entry.op_form is not None:
        target = Directive(entry.op_form.caller())
    else:
        name = entry.name

        def batch_only(operations: Any, *args: Any, **kw: Any) -> Any:
            raise CommandError(
                f"op.{name}: registered on BatchOperations only; call it as batch_op.{name} "
                "inside op.batch_alter_table()"
            )

        target = Directive(batch_only)
        target.batch_only = True  # type: ignore[attr-defined]
    if entry.batch_form is not None:
        target.batch_form = entry.batch_form.caller()
    return target


def install(plugin_manager: Any) -> bool:
    """Bring ``plugin_manager`` up to date with the decorators' registrations.

    Cheap when nothing changed since the last call for this manager. Returns whether the
    manager's plugins changed (its operation registry is then collected again).
    """
    seen = getattr(plugin_manager, "_mig_custom_operations", None)
    if seen is not None and seen[0] == _generation:
        return False
    if seen is None and not _REGISTRATIONS:
        return False
    register = getattr(plugin_manager, "register_plugin", None)
    if register is None:  # not a mig plugin manager (a test double)
        return False
    for plugin in seen[1] if seen else ():
        if plugin_manager.is_registered(plugin):
            plugin_manager.unregister(plugin)
    by_module: dict[str, list[_Registration]] = {}
    for entry in _REGISTRATIONS.values():
        by_module.setdefault(entry.plugin, []).append(entry)
    installed = []
    for module, entries in by_module.items():
        plugin = _ModuleOperations(module, entries)
        name = module
        if plugin_manager.get_plugin(name) is not None:
            name = f"{module} (register_operation)"
        register(plugin, name)
        installed.append(plugin)
    plugin_manager._mig_custom_operations = (_generation, installed)
    return True


def forget(module: str | None = None) -> None:
    """Drop the registrations (of ``module``, or all): for tests of code using the decorators."""
    global _generation
    for name, entry in list(_REGISTRATIONS.items()):
        # the op and batch_op forms of one name may come from two modules (one replaced)
        if entry.op_form is not None and module in (None, entry.op_form.op_class.__module__):
            entry.op_form = None
        if entry.batch_form is not None and module in (
            None, entry.batch_form.op_class.__module__
        ):
            entry.batch_form = None
        remaining = entry.op_form or entry.batch_form
        if remaining is None:
            del _REGISTRATIONS[name]
        else:
            entry.plugin = remaining.op_class.__module__
    from mig_core.operations import toimpl

    for op_class, fn in list(_IMPLEMENTATIONS.items()):
        if module is None or fn.__module__ == module:
            del _IMPLEMENTATIONS[op_class]
            if op_class in _REPLACED:
                toimpl._HANDLERS[op_class] = _REPLACED.pop(op_class)
            else:
                toimpl._HANDLERS.pop(op_class, None)
    _generation += 1
