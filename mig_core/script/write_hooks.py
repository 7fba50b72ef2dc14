"""Post-write hooks: formatters and linters run on every generated revision file.

Configured in the ini section ``[post_write_hooks]``::

    hooks = ruff, black
    ruff.type = exec
    ruff.executable = ruff
    ruff.options = check --fix REVISION_SCRIPT_FILENAME
    black.type = module
    black.module = black
    black.options = -q

or as ``[[tool.mig.post_write_hooks]]`` tables with ``name = "ruff"`` (ignored when the ini
section exists). Types: ``console_scripts`` (key ``entrypoint``), ``exec`` (``executable``),
``module`` (``module``), or a name registered with :func:`register`. ``options`` may contain
``REVISION_SCRIPT_FILENAME``; otherwise the file name is passed first. ``cwd`` sets the folder.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from typing import Any

from mig_core.errors import CommandError, ConfigError

FILENAME_TOKEN = "REVISION_SCRIPT_FILENAME"
_REQUIRED = {"console_scripts": "entrypoint", "exec": "executable", "module": "module"}
_registry: dict[str, Callable[[str, Mapping[str, Any]], None]] = {}


def register(name: str) -> Callable[[Callable[[str, Mapping[str, Any]], None]],
                                     Callable[[str, Mapping[str, Any]], None]]:
    """Register ``fn(filename, options)`` as hook type ``name`` (``@register("mine")``)."""

    def decorate(fn: Callable[[str, Mapping[str, Any]], None]) -> Callable[
            [str, Mapping[str, Any]], None]:
        _registry[name] = fn
        return fn

    return decorate


def hooks_from_config(config: Any) -> list[dict[str, Any]]:
    """The hooks configured for ``config``, each a dict with at least ``_hook_name``."""
    section = config.get_section("post_write_hooks")
    if section is not None:
        names = [n.strip() for n in section.get("hooks", "").replace(",", " ").split() if n.strip()]
        hooks = []
        for name in names:
            prefix = f"{name}."
            hook = {k[len(prefix):]: v for k, v in section.items() if k.startswith(prefix)}
            hook["_hook_name"] = name
            hooks.append(hook)
        return hooks
    toml = config.toml_config.get("post_write_hooks") if config is not None else None
    if not toml:
        return []
    if not isinstance(toml, list):
        raise ConfigError("[tool.mig] post_write_hooks must be a list of tables "
                          "([[tool.mig.post_write_hooks]])")
    hooks = []
    for i, entry in enumerate(toml):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ConfigError(f"[[tool.mig.post_write_hooks]] entry {i + 1} needs a 'name' key")
        hook = {k: v for k, v in entry.items() if k != "name"}
        hook["_hook_name"] = str(entry["name"])
        hooks.append(hook)
    return hooks


def _argv_options(hook: Mapping[str, Any], filename: str) -> list[str]:
    options = hook.get("options", "")
    parts = [str(o) for o in options] if isinstance(options, list) else shlex.split(str(options))
    if any(FILENAME_TOKEN in p for p in parts):
        return [p.replace(FILENAME_TOKEN, filename) for p in parts]
    return [filename, *parts]


def _require(hook: Mapping[str, Any], key: str) -> str:
    value = hook.get(key)
    if not value:
        name = hook["_hook_name"]
        raise ConfigError(f"post_write_hooks: key '{name}.{key}' is required for hook '{name}'")
    return str(value)


def command_for(hook: Mapping[str, Any], filename: str) -> list[str] | None:
    """The command line a hook runs (None for a registered Python hook)."""
    name = hook["_hook_name"]
    kind = hook.get("type")
    if not kind:
        raise ConfigError(f"post_write_hooks: key '{name}.type' is required for hook '{name}'")
    args = _argv_options(hook, filename)
    if kind == "exec":
        exe = _require(hook, "executable")
        found = exe if os.path.sep in exe and os.path.exists(exe) else shutil.which(exe)
        if not found:
            raise ConfigError(f"post_write_hook '{name}': executable {exe!r} not found on PATH")
        return [found, *args]
    if kind == "module":
        return [sys.executable, "-m", _require(hook, "module"), *args]
    if kind == "console_scripts":
        entrypoint = _require(hook, "entrypoint")
        import importlib.metadata

        eps = importlib.metadata.entry_points(group="console_scripts", name=entrypoint)
        ep = next(iter(eps), None)
        if ep is None:
            raise ConfigError(
                f"post_write_hook '{name}': no console script named {entrypoint!r} is installed"
            )
        module, _, attr = ep.value.partition(":")
        code = (
            "import sys, importlib\n"
            f"obj = importlib.import_module({module.strip()!r})\n"
            f"for part in {attr.strip()!r}.split('.'):\n"
            "    obj = getattr(obj, part)\n"
            f"sys.argv[0] = {entrypoint!r}\n"
            "sys.exit(obj())\n"
        )
        return [sys.executable, "-c", code, *args]
    if kind in _registry:
        return None
    known = ", ".join(sorted({*_REQUIRED, *_registry}))
    raise ConfigError(f"post_write_hooks: hook '{name}' has unknown type {kind!r} (one of {known})")


def run_hooks(config: Any, filename: str) -> None:
    """Run every configured hook on ``filename``, in order; a failure names the hook."""
    for hook in hooks_from_config(config):
        name = hook["_hook_name"]
        argv = command_for(hook, filename)
        if config is not None:
            config.print_stdout(f"Running post write hook {name!r} ...")
        if argv is None:
            _registry[hook["type"]](filename, hook)
            continue
        cwd = hook.get("cwd") or None
        try:
            result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
        except OSError as exc:
            raise CommandError(f"post_write_hook {name!r}: cannot run {argv[0]}: {exc}") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            last = f": {detail[-1]}" if detail else ""
            raise CommandError(
                f"post_write_hook {name!r} failed (exit {result.returncode}) on {filename}{last}"
            )
