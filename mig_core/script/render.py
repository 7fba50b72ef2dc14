"""Writing files from Mako templates: revision files and ``mig init`` environments.

Mako is imported only here, and only when a file is rendered, so ``mig heads`` never loads it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import sys
from collections.abc import Mapping
from typing import Any

from mig_core.errors import CommandError, ConfigError

FILE_TEMPLATE_TOKENS = ("rev", "slug", "epoch", "year", "month", "day", "hour", "minute", "second")
_WORD_RE = re.compile(r"\w+")


def new_rev_id() -> str:
    """A fresh 12-hex-digit revision id."""
    import uuid

    return uuid.uuid4().hex[-12:]


def slugify(message: str | None, truncate: int = 40) -> str:
    """Lower-case words of ``message`` joined by ``_``; longer than ``truncate`` is cut back to
    a word boundary and marked with a trailing ``_``."""
    slug = "_".join(_WORD_RE.findall(message or "")).lower()
    if truncate and len(slug) > truncate:
        cut = slug[:truncate]
        if "_" in cut:
            cut = cut[: cut.rindex("_")]
        slug = cut + "_"
    return slug


def now(timezone: str | None) -> dt.datetime:
    """The creation time: local time, or aware in ``timezone`` (an IANA name)."""
    if not timezone:
        return dt.datetime.now()
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    for name in (timezone, timezone.upper()):
        try:
            tz = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            continue
        return dt.datetime.now(dt.timezone.utc).astimezone(tz)
    raise ConfigError(f"config key 'timezone': can't locate timezone {timezone!r}")


def file_name(template: str, rev: str, message: str | None, created: dt.datetime,
              truncate_slug_length: int = 40) -> str:
    """The revision file's path relative to its version folder (``file_template`` may hold
    ``/``), with ``.py`` appended."""
    values: dict[str, Any] = {
        "rev": rev,
        "slug": slugify(message, truncate_slug_length),
        "epoch": int(created.timestamp()),
        "year": created.year,
        "month": created.month,
        "day": created.day,
        "hour": created.hour,
        "minute": created.minute,
        "second": created.second,
    }
    try:
        name = template % values
    except KeyError as exc:
        raise ConfigError(
            f"config key 'file_template': unknown token {exc.args[0]!r} in {template!r}; "
            f"tokens are {', '.join(FILE_TEMPLATE_TOKENS)}"
        ) from None
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"config key 'file_template': bad template {template!r}: {exc}") from None
    name = name.replace("\\", "/").strip("/")
    parts = [p for p in name.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise ConfigError(f"config key 'file_template': {template!r} gives a bad file name {name!r}")
    return os.path.join(*parts) + ".py"


def format_as_comma(value: Any) -> str:
    """The ``comma`` Mako filter: ``('a', 'b')`` -> ``a, b``; None -> empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return ", ".join(str(v) for v in value)


def _import_mako() -> tuple[Any, Any]:
    """``(mako.exceptions, mako.template)``, imported without Pygments.

    When Pygments is installed (pytest, IPython and rich bring it), importing Mako loads it to
    colour Mako's HTML error pages, which mig never shows: about 30 ms of every command that
    writes a file from a template. While Mako's modules load for the first time,
    ``mako.ext.pygmentplugin`` is blocked (``None`` in ``sys.modules``, Python's documented way
    to make an import fail), so Mako takes its plain fallback; the block is lifted right after,
    and anything importing Pygments or that plugin later gets them as usual.
    """
    plugin = "mako.ext.pygmentplugin"
    blocked = "mako.exceptions" not in sys.modules and plugin not in sys.modules
    if blocked:
        sys.modules[plugin] = None  # type: ignore[assignment]
    try:
        from mako import exceptions
        from mako import template as mako_template
    finally:
        if blocked and sys.modules.get(plugin, "") is None:
            del sys.modules[plugin]
    return exceptions, mako_template


def render_template(template_path: str, context: Mapping[str, Any], *, cache: bool = False) -> str:
    """Render a Mako file; template errors become one-line :class:`CommandError` naming it.
    ``cache``: keep the compiled template in its folder's ``__pycache__`` (a project's
    ``script.py.mako``, rendered by every ``mig revision``)."""
    exceptions, mako_template = _import_mako()

    try:
        if cache:
            template = load_template(template_path, mako_template)
        else:
            template = mako_template.Template(filename=template_path, strict_undefined=False)
        return str(template.render_unicode(comma=format_as_comma, **context))
    except exceptions.MakoException as exc:
        raise CommandError(f"{template_path}: template error: {exc}") from None
    except Exception as exc:
        line = _template_line(template_path)
        raise CommandError(
            f"{template_path}{line}: rendering failed: {type(exc).__name__}: {exc}"
        ) from exc


# --- compiled templates, cached -------------------------------------------------------------
#
# Mako turns a template into Python source (lexer, code generator) and compiles it on every
# load: about a third of what rendering a revision file costs a whole `mig revision` process.
# The compiled module is cached per folder in ``__pycache__/mig-template.<cache tag>.marshal``,
# one entry per template file name, used only while the template's bytes, the path it was
# loaded by, Mako's version and the interpreter's magic number are all unchanged (the bytes are
# compared whole: a template is read anyway, and an edit is seen at once whatever its size and
# mtime). Written as the code cache is (atomically, not under ``PYTHONDONTWRITEBYTECODE``); an
# unreadable or unwritable cache just means compiling.

TEMPLATE_CACHE_FORMAT = 1
#: the options mig compiles templates with (part of the cache key)
_TEMPLATE_OPTIONS = "strict_undefined=False"


def _template_cache_file(template_path: str) -> str | None:
    tag = sys.implementation.cache_tag
    if tag is None:
        return None
    folder = os.path.dirname(os.path.abspath(template_path))
    return os.path.join(folder, "__pycache__", f"mig-template.{tag}.marshal")


def _template_cache_key(mako_template: Any) -> tuple[Any, ...]:
    import importlib.util

    import mako

    return (TEMPLATE_CACHE_FORMAT, importlib.util.MAGIC_NUMBER, mako.__version__,
            getattr(mako_template.codegen, "MAGIC_NUMBER", None), _TEMPLATE_OPTIONS)


def _read_template_cache(cache_file: str, key: tuple[Any, ...]) -> dict[str, Any]:
    import marshal

    try:
        with open(cache_file, "rb") as f:
            data = marshal.loads(f.read())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if isinstance(data, tuple) and len(data) == 2 and data[0] == key and isinstance(data[1], dict):
        return data[1]
    return {}


class _SourceLoader:
    """``__loader__`` of a template module made from the cache: tracebacks (linecache) read
    the generated source from it, as from the module Mako compiles itself."""

    def __init__(self, source: str) -> None:
        self._source = source

    def get_source(self, name: str) -> str:
        return self._source


def load_template(template_path: str, mako_template: Any) -> Any:
    """``mako.template.Template(filename=template_path)``, its compiled module taken from the
    folder's template cache when the cache holds this very template, else compiled (and
    cached)."""
    cache_file = _template_cache_file(template_path)
    try:
        with open(template_path, "rb") as f:
            data = f.read()
    except OSError:
        cache_file = None  # Mako reports the missing / unreadable file
    if cache_file is None:
        return mako_template.Template(filename=template_path, strict_undefined=False)
    import marshal
    import types

    key = _template_cache_key(mako_template)
    entries = _read_template_cache(cache_file, key)
    name = os.path.basename(template_path)
    entry = entries.get(name)
    if (isinstance(entry, tuple) and len(entry) == 4 and entry[0] == template_path
            and entry[1] == data):
        try:
            code = marshal.loads(entry[3])
            module = types.ModuleType(code.co_filename)
            module.__dict__["__loader__"] = _SourceLoader(entry[2])
            exec(code, module.__dict__)
            return mako_template.ModuleTemplate(
                module, template_filename=template_path, module_source=entry[2],
            )
        except Exception:  # a damaged entry: compile as if there were none
            pass
    template = mako_template.Template(filename=template_path, strict_undefined=False)
    try:
        with open(template_path, "rb") as f:
            unchanged = f.read() == data  # the file Mako compiled is the one the key holds
        source = template.code
        code = compile(source, template.module_id, "exec")
    except Exception:
        return template
    if unchanged:
        from mig_core.script.code_cache import write_marshal_atomically

        folder = os.path.dirname(os.path.dirname(cache_file))
        entries = {k: v for k, v in entries.items()
                   if k != name and os.path.exists(os.path.join(folder, k))}
        entries[name] = (template_path, data, source, marshal.dumps(code))
        write_marshal_atomically(cache_file, (key, entries))
    return template


def _template_line(template_path: str) -> str:
    """``:line`` of the template statement that raised (from Mako's rich traceback)."""
    try:
        from mako.exceptions import RichTraceback

        for filename, lineno, _fn, _line in reversed(RichTraceback().traceback):
            if filename and os.path.abspath(filename) == os.path.abspath(template_path):
                return f":{lineno}"
    except Exception:  # pragma: no cover - the traceback helper itself failed
        pass
    return ""


def write_file(path: str, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path``, creating folders; OS errors name the file."""
    try:  # encoded first: a bad output_encoding leaves no empty or partial file behind
        data = text.encode(encoding)
    except LookupError:
        raise ConfigError(f"config key 'output_encoding': unknown encoding {encoding!r}") from None
    except UnicodeEncodeError as exc:
        raise ConfigError(
            f"{path}: config key 'output_encoding' {encoding!r} cannot encode "
            f"{exc.object[exc.start:exc.end]!r}; nothing was written"
        ) from None
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise CommandError(f"{path}: cannot write: {exc.strerror}") from None
