"""mig_core.hookcall.direct_caller and firstresult_caller: the same results, exceptions and call order as pluggy's own
call of the hook, and no direct caller where pluggy would do something it does not."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pluggy
import pytest

from mig_core.hookcall import direct_caller, firstresult_caller

spec = pluggy.HookspecMarker("hookcall_test")
impl = pluggy.HookimplMarker("hookcall_test")


class Spec:
    @spec
    def compare(self, log: list[str], value: int) -> Any:
        """A collect-all hook like mig_compare_table."""

    @spec(firstresult=True)
    def decide(self, log: list[str], value: int) -> Any:
        """A firstresult hook."""


def builtin(log: list[str], value: int) -> Any:
    log.append("builtin")
    if value < 0:
        raise ValueError("negative")
    return value or None


class Builtin:
    compare = impl(trylast=True)(staticmethod(builtin))


def manager(*plugins: Any) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("hookcall_test")
    pm.add_hookspecs(Spec)
    pm.register(Builtin(), name="builtin")
    for number, plugin in enumerate(plugins):
        pm.register(plugin, name=f"plugin{number}")
    return pm


def wrapper(label: str, *, swallow: bool = False, add: int = 0) -> Any:
    class Wrapper:
        @impl(wrapper=True)
        def compare(self, log: list[str], value: int) -> Generator[None, Any, Any]:
            log.append(f"{label} before")
            try:
                result = yield
            except ValueError as exc:
                log.append(f"{label} saw {exc}")
                if swallow:
                    return ["swallowed"]
                raise
            log.append(f"{label} after {result}")
            return [*result, add] if add else result

    return Wrapper()


def both(pm: pluggy.PluginManager, value: int) -> tuple[Any, Any]:
    """(what pluggy's call gives, what the direct caller gives): result or exception, and log."""
    direct = direct_caller(pm.hook.compare, builtin)
    assert direct is not None
    outcomes = []
    for call in (pm.hook.compare, direct):
        log: list[str] = []
        try:
            outcome: Any = call(log=log, value=value)
        except Exception as exc:  # compared below
            outcome = (type(exc), str(exc))
        outcomes.append((outcome, log))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize("value", [3, 0, -1])
@pytest.mark.parametrize(
    "plugins",
    [
        (),
        (wrapper("w1"),),
        (wrapper("w1", add=7), wrapper("w2", add=8)),
        (wrapper("w1"), wrapper("w2", swallow=True)),
        (wrapper("w1", swallow=True), wrapper("w2")),
    ],
    ids=["builtin-only", "one-wrapper", "two-wrappers", "inner-swallows", "outer-swallows"],
)
def test_direct_caller_gives_what_pluggy_gives(plugins: tuple[Any, ...], value: int) -> None:
    by_pluggy, direct = both(manager(*plugins), value)
    assert direct == by_pluggy


def test_direct_caller_passes_only_the_arguments_an_implementation_takes() -> None:
    class Narrow:
        @impl(wrapper=True)
        def compare(self, log: list[str]) -> Generator[None, Any, Any]:
            log.append("narrow")
            return (yield)

    by_pluggy, direct = both(manager(Narrow()), 5)
    assert direct == by_pluggy == ([5], ["narrow", "builtin"])


def test_a_wrapper_that_does_not_yield_or_yields_twice_fails_as_in_pluggy() -> None:
    class NoYield:
        @impl(wrapper=True)
        def compare(self, log: list[str], value: int) -> Generator[None, Any, Any]:
            if value > 100:
                yield
            return []

    class TwoYields:
        @impl(wrapper=True)
        def compare(self, log: list[str], value: int) -> Generator[None, Any, Any]:
            yield
            yield

    for plugin, message in ((NoYield(), "did not yield"), (TwoYields(), "has second yield")):
        pm = manager(plugin)
        with pytest.raises(RuntimeError, match=message):
            pm.hook.compare(log=[], value=1)
        direct = direct_caller(pm.hook.compare, builtin)
        assert direct is not None
        with pytest.raises(RuntimeError, match=message):
            direct(log=[], value=1)


def test_no_direct_caller_where_pluggy_would_do_more() -> None:
    class OtherPlain:
        @impl
        def compare(self, log: list[str], value: int) -> Any:
            return None

    class OldStyle:
        @impl(hookwrapper=True)
        def compare(self, log: list[str], value: int) -> Generator[None, Any, Any]:
            yield

    class Decide:
        decide = impl(staticmethod(builtin))

    assert direct_caller(manager().hook.compare, builtin) is not None
    assert direct_caller(manager(OtherPlain()).hook.compare, builtin) is None
    assert direct_caller(manager(OldStyle()).hook.compare, builtin) is None
    assert direct_caller(manager().hook.compare, lambda log, value: None) is None
    assert direct_caller(manager(Decide()).hook.decide, builtin) is None  # firstresult
    traced = manager()
    traced.add_hookcall_monitoring(lambda *a: None, lambda *a: None)
    assert direct_caller(traced.hook.compare, builtin) is None
    subset = manager(OtherPlain())
    assert direct_caller(subset.subset_hook_caller("compare", [subset.get_plugin("plugin0")]),
                         builtin) is not None


# --- firstresult hooks (mig_render_op, mig_render_type) -------------------------------------


def decider(label: str, answer: Any = None, *, first: bool = False, last: bool = False,
            narrow: bool = False) -> Any:
    if narrow:
        class Narrow:
            @impl(tryfirst=first, trylast=last)
            def decide(self, log: list[str]) -> Any:
                log.append(label)
                return answer

        return Narrow()

    class Decider:
        @impl(tryfirst=first, trylast=last)
        def decide(self, log: list[str], value: int) -> Any:
            log.append(label)
            if value < 0 and answer == "raise":
                raise KeyError(label)  # a KeyError of the implementation's own
            return None if answer == "raise" else answer

    return Decider()


def first_both(pm: pluggy.PluginManager, value: int) -> tuple[Any, Any]:
    """(what pluggy's call gives, what firstresult_caller's gives): result or exception, log."""
    direct = firstresult_caller(pm.hook.decide)
    assert direct is not None
    outcomes = []
    for call in (pm.hook.decide, direct):
        log: list[str] = []
        try:
            outcome: Any = call(log=log, value=value)
        except Exception as exc:  # compared below
            outcome = (type(exc), str(exc))
        outcomes.append((outcome, log))
    return outcomes[0], outcomes[1]


@pytest.mark.parametrize("value", [3, 0, -1])
@pytest.mark.parametrize(
    "plugins",
    [
        (decider("core", "core", last=True),),
        (decider("core", "core", last=True), decider("plugin", None), decider("other", "other")),
        (decider("core", "core", last=True), decider("early", "early", first=True),
         decider("late", "late")),
        (decider("core", "core", last=True), decider("raising", "raise")),
        (decider("core", "core", last=True), decider("narrow", "narrow", narrow=True)),
        (decider("none", None), decider("also none", 0)),
    ],
    ids=["core-only", "first-answer-wins", "tryfirst", "exception", "narrow", "no-answer"],
)
def test_firstresult_caller_gives_what_pluggy_gives(plugins: tuple[Any, ...], value: int) -> None:
    by_pluggy, direct = first_both(manager(*plugins), value)
    assert direct == by_pluggy


def test_no_firstresult_caller_where_pluggy_would_do_more() -> None:
    class Wrapping:
        @impl(wrapper=True)
        def decide(self, log: list[str], value: int) -> Generator[None, Any, Any]:
            return (yield)

    class OldStyle:
        @impl(hookwrapper=True)
        def decide(self, log: list[str], value: int) -> Generator[None, Any, Any]:
            yield

    core = decider("core", "core", last=True)
    assert firstresult_caller(manager(core).hook.decide) is not None
    assert firstresult_caller(manager(core, Wrapping()).hook.decide) is None
    assert firstresult_caller(manager(core, OldStyle()).hook.decide) is None
    assert firstresult_caller(manager().hook.compare) is None  # not firstresult
    traced = manager(core)
    traced.add_hookcall_monitoring(lambda *a: None, lambda *a: None)
    assert firstresult_caller(traced.hook.decide) is None
    subset = manager(core, decider("other", "other"))
    caller = firstresult_caller(subset.subset_hook_caller("decide", [subset.get_plugin("plugin1")]))
    assert caller is not None and caller(log=[], value=1) == "core"
