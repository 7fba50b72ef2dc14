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
    """``(mako.exceptions, mako.template.Template)``, imported without Pygments.

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
        from mako.template import Template
    finally:
        if blocked and sys.modules.get(plugin, "") is None:
            del sys.modules[plugin]
    return exceptions, Template


def render_template(template_path: str, context: Mapping[str, Any]) -> str:
    """Render a Mako file; template errors become one-line :class:`CommandError` naming it."""
    exceptions, Template = _import_mako()  # noqa: N806 - a class

    try:
        template = Template(filename=template_path, strict_undefined=False)
        return str(template.render_unicode(comma=format_as_comma, **context))
    except exceptions.MakoException as exc:
        raise CommandError(f"{template_path}: template error: {exc}") from None
    except Exception as exc:
        line = _template_line(template_path)
        raise CommandError(
            f"{template_path}{line}: rendering failed: {type(exc).__name__}: {exc}"
        ) from exc


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
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w", encoding=encoding, newline="\n") as f:
            f.write(text)
    except OSError as exc:
        raise CommandError(f"{path}: cannot write: {exc.strerror}") from None
    except LookupError:
        raise ConfigError(f"config key 'output_encoding': unknown encoding {encoding!r}") from None
