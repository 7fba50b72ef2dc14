"""Calling a hook many times in a row without pluggy's per-call dispatch, same results.

Autogenerate calls ``mig_compare_table`` once per table. Each pluggy call re-checks its
arguments, re-filters a dialect-bound (subset) caller's implementations and runs the generic
multicall loop, which costs more than a small table's comparison. :func:`direct_caller` gives a
plain function doing what that loop does for the one shape a run usually has (the core's
implementation and new-style wrappers around it), or None for anything else, so the caller
keeps the hook. Rendering calls the ``firstresult`` hooks ``mig_render_op`` / ``mig_render_type``
once per operation and column; :func:`firstresult_caller` does the same for them.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

Teardown = Generator[None, Any, Any]


def direct_caller(caller: Any, builtin: Callable[..., Any]) -> Callable[..., list[Any]] | None:
    """A function calling ``caller``'s implementations as pluggy would, or None.

    Only when the hook is not ``firstresult``, its one plain implementation is ``builtin``,
    every other one is a new-style wrapper (``wrapper=True``; no old-style ``hookwrapper``),
    none takes keyword-only arguments, and no hook tracing or call monitoring is on (pluggy
    then runs its plain multicall). Decide once per run: the plugins of a run are fixed.
    """
    try:
        impls = caller.get_hookimpls()
        spec = caller.spec
        runner = getattr(caller._hookexec, "__self__", None)
        inner = getattr(runner, "_inner_hookexec", None)
    except Exception:  # another pluggy layout: keep the hook call
        return None
    if (
        spec is None or spec.opts.get("firstresult")
        or getattr(inner, "__name__", None) != "_multicall"
        or not getattr(inner, "__module__", "").startswith("pluggy.")
        or any(impl.hookwrapper or impl.kwargnames for impl in impls)
    ):
        return None
    plain = [impl for impl in impls if not impl.wrapper]
    if len(plain) != 1 or plain[0].function is not builtin:
        return None
    # pluggy calls the implementations last-registered (and tryfirst) first: the wrappers,
    # which sort after the plain ones, then the plain one
    wrappers = [(impl.function, tuple(impl.argnames), impl) for impl in reversed(impls)
                if impl.wrapper]
    names = tuple(plain[0].argnames)

    def call(**kwargs: Any) -> list[Any]:
        teardowns: list[Teardown] = []
        results: list[Any] = []
        exception: BaseException | None = None
        try:
            for function, argnames, impl in wrappers:
                teardown = function(*[kwargs[name] for name in argnames])
                try:
                    next(teardown)
                except StopIteration:
                    raise _wrap_failure(impl, "did not yield") from None
                teardowns.append(teardown)
            result = builtin(*[kwargs[name] for name in names])
            if result is not None:
                results.append(result)
        except BaseException as exc:
            exception = exc
        return _finish(teardowns, results, exception)

    return call


def _plain_multicall(caller: Any) -> list[Any] | None:
    """``caller``'s implementations when pluggy would run them with its plain multicall loop
    (no hook tracing or call monitoring), else None."""
    try:
        impls = caller.get_hookimpls()
        runner = getattr(caller._hookexec, "__self__", None)
        inner = getattr(runner, "_inner_hookexec", None)
    except Exception:  # another pluggy layout: keep the hook call
        return None
    if (getattr(inner, "__name__", None) != "_multicall"
            or not getattr(inner, "__module__", "").startswith("pluggy.")):
        return None
    return list(impls)


def firstresult_caller(caller: Any) -> Callable[..., Any] | None:
    """A function doing what calling the ``firstresult`` hook ``caller`` does, or None.

    Only when every implementation is a plain one (no wrapper of either style) without
    keyword-only arguments, and no hook tracing or call monitoring is on: then pluggy calls
    them last-registered (and tryfirst) first and returns the first result that is not None,
    exceptions passing through unchanged. Decide once per run: its plugins are fixed.
    """
    impls = _plain_multicall(caller)
    spec = getattr(caller, "spec", None)
    if (
        impls is None or spec is None or not spec.opts.get("firstresult")
        or any(impl.hookwrapper or impl.wrapper or impl.kwargnames for impl in impls)
    ):
        return None
    ordered = [(impl.function, tuple(impl.argnames)) for impl in reversed(impls)]

    def call(**kwargs: Any) -> Any:
        for function, argnames in ordered:
            try:
                args = [kwargs[name] for name in argnames]
            except KeyError:  # an argument missing: pluggy's own error
                return caller(**kwargs)
            result = function(*args)
            if result is not None:
                return result
        return None

    return call


def _finish(teardowns: list[Teardown], result: Any, exception: BaseException | None) -> Any:
    """Resume the wrappers innermost first with the result (or the exception), as pluggy does:
    each one's return value (or exception) is what the next one sees."""
    for teardown in reversed(teardowns):
        try:
            if exception is not None:
                try:
                    teardown.throw(exception)
                except RuntimeError as error:
                    # a StopIteration thrown into a generator comes back as a RuntimeError
                    if isinstance(exception, StopIteration) and error.__cause__ is exception:
                        teardown.close()
                        continue
                    raise
            else:
                teardown.send(result)
            teardown.close()
        except StopIteration as stop:
            result, exception = stop.value, None
            continue
        except BaseException as exc:
            exception = exc
            continue
        raise _wrap_failure_of(teardown, "has second yield")
    if exception is not None:
        raise exception
    return result


def _wrap_failure(impl: Any, what: str) -> RuntimeError:
    code = impl.function.__code__
    return RuntimeError(f"hook wrapper {code.co_name!r} of plugin {impl.plugin_name!r} "
                        f"({code.co_filename}:{code.co_firstlineno}) {what}")


def _wrap_failure_of(teardown: Any, what: str) -> RuntimeError:
    code = teardown.gi_code
    return RuntimeError(f"hook wrapper {code.co_name!r} ({code.co_filename}:"
                        f"{code.co_firstlineno}) {what}")
