"""Alembic's ``autogenerate.renderers.dispatch_for``, on top of mig's ``mig_render_op`` hook.

::

    from mig_core.autogenerate import renderers

    @renderers.dispatch_for(CreateSequenceOp)
    def render_create_sequence(autogen_context, op):
        return "op.create_sequence(%r)" % op.sequence_name

``fn(autogen_context, op)`` returns the source text of ``op`` (a string, lines separated by
newlines); ``autogen_context`` is mig's :class:`~mig_core.autogenerate.context.RenderContext`
(``imports``, the prefixes, ``migration_context``). The registrations form one plugin,
installed into a run's plugin manager with the comparators' (see
:func:`mig_core.autogenerate.comparators.install`); its ``mig_render_op`` runs before the
core's, so a function may also take a core operation over (with ``replace=True``).
``qualifier`` is a dialect name (``"default"``: every dialect); a dialect's own function wins.

Registrations are process-wide, like Alembic's: every later run in the process uses them,
whichever project it is for. :func:`mig_core.testing.reset_registrations` forgets them (with the
other Alembic-style registrations), as tests running several projects need.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mig_core import hookimpl
from mig_core.errors import CommandError, PluginError

_C = TypeVar("_C", bound=Callable[..., Any])

#: (op class, qualifier) -> fn
_RENDERERS: dict[tuple[type, str], Callable[..., Any]] = {}
_generation = 0


def _origin(fn: Any) -> tuple[str, str]:
    return (getattr(fn, "__module__", "?"), getattr(fn, "__qualname__", repr(fn)))


def dispatch_for(
    target: Any, *, qualifier: str = "default", replace: bool = False
) -> Callable[[_C], _C]:
    """Register ``fn(autogen_context, op) -> str`` as the renderer of ``target`` operations."""
    if not isinstance(target, type):
        raise CommandError(f"renderers.dispatch_for: expected an operation class, got {target!r}")

    def decorate(fn: _C) -> _C:
        global _generation
        key = (target, qualifier)
        current = _RENDERERS.get(key)
        if current is not None and not replace and _origin(current) != _origin(fn):
            raise PluginError(
                f"{target.__module__}.{target.__qualname__} already has a renderer "
                f"({'.'.join(_origin(current))}); {'.'.join(_origin(fn))} replaces it only "
                "with dispatch_for(..., replace=True)"
            )
        _RENDERERS[key] = fn
        _generation += 1
        return fn

    return decorate


def renderer_for(op: Any, dialect_name: str | None) -> Callable[..., Any] | None:
    """The function registered for ``op``'s class (or its nearest base), or None."""
    if not _RENDERERS:
        return None
    for cls in type(op).__mro__:
        if dialect_name is not None:
            fn = _RENDERERS.get((cls, dialect_name))
            if fn is not None:
                return fn
        fn = _RENDERERS.get((cls, "default"))
        if fn is not None:
            return fn
    return None


def forget(module: str | None = None) -> None:
    """Drop the registrations (of ``module``, or all): for tests of code using the decorator."""
    global _generation
    for key, fn in list(_RENDERERS.items()):
        if module is None or fn.__module__ == module:
            del _RENDERERS[key]
    _generation += 1


@hookimpl
def _render_op(ctx: Any, op: Any) -> list[str] | None:
    fn = renderer_for(op, getattr(ctx, "dialect_name", None))
    if fn is None:
        return None
    text = fn(ctx, op)
    if text is None:
        return None
    # a string, or a list of them (one statement each, as Alembic takes them); a trailing
    # newline gives a blank line, as in Alembic
    parts = text if isinstance(text, (list, tuple)) else [text]
    return [line for part in parts for line in str(part).split("\n")]


class _DispatchPlugin:
    """The registrations of :func:`dispatch_for`, as a mig plugin."""

    __name__ = "mig_core.autogenerate.renderers"
    mig_render_op = staticmethod(_render_op)


PLUGIN_NAME = "mig_core.autogenerate.renderers (dispatch_for)"


def install(plugin_manager: Any) -> bool:
    """Bring ``plugin_manager`` up to date with the ``dispatch_for`` registrations."""
    from mig_core.plugins import sync_generated_plugin

    return sync_generated_plugin(
        plugin_manager, "_mig_dispatch_renderers", _generation,
        lambda: _DispatchPlugin() if _RENDERERS else None, PLUGIN_NAME,
    )
