"""EnvironmentContext (what ``from mig_core import context`` is inside env.py) and run_env.

A command builds an EnvironmentContext with its plan function (``fn(heads, ctx) -> steps``),
then :func:`run_env` executes the user's env.py with the ``context`` proxy installed; env.py
calls ``context.configure(...)`` and ``context.run_migrations()``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Literal, overload

from mig_core.errors import CommandError, ConfigError, MigError
from mig_core.proxies import context as context_proxy

if TYPE_CHECKING:
    from mig_core.config import Config
    from mig_core.runtime.migration import MigrationContext

class ConfigureFirstError(CommandError):
    """A ``context.*`` call that needs ``configure()`` came before it (Alembic: a bare
    ``Exception("No context has been configured yet.")``)."""


#: configure() options whose defaults come from the config file when env.py does not pass them
CONFIG_DEFAULTS = (
    "version_table", "version_table_schema", "history_table", "history_table_schema"
)


class EnvironmentContext:
    """The env.py facade: configuration, ``configure()``, transactions, run_migrations."""

    def __init__(
        self,
        config: Config,
        script: Any,
        fn: Callable[..., Any] | None = None,
        *,
        as_sql: bool = False,
        starting_rev: str | None = None,
        destination_rev: str | None = None,
        tag: str | None = None,
        run_lock: bool = True,
        lock_timeout: float | None = None,
        **kw: Any,
    ) -> None:
        from mig_core.plugins import get_plugin_manager

        self.config = config
        self.script = script
        self.plugin_manager = get_plugin_manager(config)
        self.context_opts: dict[str, Any] = {
            "fn": fn,
            "as_sql": as_sql,
            "starting_rev": starting_rev,
            "destination_rev": destination_rev,
            "tag": tag,
            "run_lock": run_lock,
            "lock_timeout": lock_timeout,
            "template_args": {},
            **kw,
        }
        self._migration_context: MigrationContext | None = None
        #: how many times env.py called ``run_migrations()`` (once per database it visits)
        self.runs = 0

    # --- installing as `context` --------------------------------------------------------------
    def __enter__(self) -> EnvironmentContext:
        self._installed = context_proxy.installed(self)
        self._installed.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._installed.__exit__(*exc)

    # --- arguments ------------------------------------------------------------------------------
    def is_offline_mode(self) -> bool:
        """True when the command writes SQL (``--sql``) instead of running it."""
        return bool(self.context_opts.get("as_sql"))

    def requires_connection(self) -> bool:
        return not self.is_offline_mode()

    def is_transactional_ddl(self) -> bool:
        """Whether the configured backend runs DDL inside transactions."""
        return bool(self._configured("is_transactional_ddl").impl.transactional_ddl)

    def get_tag_argument(self) -> str | None:
        """``--tag`` (or ``configure(tag=...)``)."""
        return self.context_opts.get("tag")  # type: ignore[no-any-return]

    @overload
    def get_x_argument(self, as_dictionary: Literal[False] = ...) -> list[str]: ...

    @overload
    def get_x_argument(self, as_dictionary: Literal[True]) -> dict[str, str]: ...

    def get_x_argument(self, as_dictionary: bool = False) -> list[str] | dict[str, str]:
        """The ``-x`` values: a list of strings, or ``{key: value}`` from ``key=value`` items."""
        values = list(getattr(self.config.cmd_opts, "x", None) or [])
        if not as_dictionary:
            return values
        out: dict[str, str] = {}
        for item in values:
            key, _, value = item.partition("=")
            out[key.strip()] = value
        return out

    def get_revision_argument(self) -> Any:
        """The destination revision the command was given, as Alembic gives it: ``head`` (and
        ``<label>@head``) as the revision id, ``heads`` as a tuple of ids, ``base`` as None;
        anything else (an id, a prefix, ``+2``) as written."""
        return self._as_argument(self.context_opts.get("destination_rev"))

    def get_starting_revision_argument(self) -> Any:
        """The start of a ``start:end`` range (offline), or the configured ``starting_rev``,
        given as :meth:`get_revision_argument` gives the destination."""
        start = self.context_opts.get("starting_rev")
        if self._migration_context is not None:
            start = self._migration_context.opts.get("starting_rev", start)
        if isinstance(start, str) and len(start.replace(",", " ").split()) > 1:
            return tuple(start.replace(",", " ").split())  # ``heads:base`` with several heads
        return self._as_argument(start)

    def _as_argument(self, value: Any) -> Any:
        if value is None or value == "base":
            return None
        symbolic = value in ("head", "heads") or str(value).endswith(("@head", "@heads"))
        if isinstance(value, str) and symbolic and self.script is not None:
            return self.script.as_revision_number(value)
        return value

    def get_head_revision(self) -> str | None:
        """The single head of the revision graph; several heads is an error."""
        heads = self.get_head_revisions()
        if len(heads) > 1:
            raise CommandError(
                f"the revision graph has several heads ({', '.join(heads)}); "
                "use get_head_revisions()"
            )
        return heads[0] if heads else None

    def get_head_revisions(self) -> tuple[str, ...]:
        return tuple(self.script.get_heads())

    # --- configure and run ----------------------------------------------------------------------
    def configure(
        self,
        connection: Any = None,
        url: Any = None,
        dialect_name: str | None = None,
        dialect_opts: dict[str, Any] | None = None,
        transactional_ddl: bool | None = None,
        transaction_per_migration: bool = False,
        output_buffer: Any = None,
        starting_rev: str | None = None,
        tag: str | None = None,
        template_args: dict[str, Any] | None = None,
        render_as_batch: bool = False,
        target_metadata: Any = None,
        include_name: Callable[..., bool] | None = None,
        include_object: Callable[..., bool] | None = None,
        include_schemas: bool = False,
        process_revision_directives: Callable[..., Any] | None = None,
        compare_type: Any = True,
        compare_server_default: Any = False,
        render_item: Callable[..., Any] | None = None,
        literal_binds: bool = False,
        upgrade_token: str = "upgrades",
        downgrade_token: str = "downgrades",
        alembic_module_prefix: str = "op.",
        sqlalchemy_module_prefix: str = "sa.",
        user_module_prefix: str | None = None,
        on_version_apply: Any = None,
        **kw: Any,
    ) -> None:
        """Set up the MigrationContext: a connection (online) or a URL / dialect (``--sql``).

        Takes Alembic's parameters; unknown keyword options reach the DDL implementation
        through ``context_opts`` (``impl.context_opts``).
        """
        from mig_core.runtime.migration import MigrationContext

        opts = self.context_opts
        if template_args:
            opts["template_args"].update(template_args)
        if tag:
            opts["tag"] = tag
        if starting_rev:
            opts["starting_rev"] = starting_rev
        if output_buffer is None:
            output_buffer = getattr(self.config, "output_buffer", None)
        if "output_encoding" not in kw:
            encoding = self.config.get_main_option("output_encoding") if self.config else None
            if encoding and self.is_offline_mode():
                kw["output_encoding"] = encoding
        for key in CONFIG_DEFAULTS:
            if key not in kw and self.config is not None:
                value = self.config.get_main_option(key)
                if value is not None:
                    kw[key] = value
        opts.update(
            transactional_ddl=transactional_ddl,
            transaction_per_migration=transaction_per_migration,
            output_buffer=output_buffer,
            render_as_batch=render_as_batch,
            target_metadata=target_metadata,
            include_name=include_name,
            include_object=include_object,
            include_schemas=include_schemas,
            process_revision_directives=process_revision_directives,
            compare_type=compare_type,
            compare_server_default=compare_server_default,
            render_item=render_item,
            upgrade_token=upgrade_token,
            downgrade_token=downgrade_token,
            alembic_module_prefix=alembic_module_prefix,
            sqlalchemy_module_prefix=sqlalchemy_module_prefix,
            user_module_prefix=user_module_prefix,
            on_version_apply=on_version_apply,
            **kw,
        )
        if literal_binds or self.is_offline_mode():
            opts["literal_binds"] = True
        dialect = None
        if self.is_offline_mode():
            if connection is not None:
                dialect, connection = connection.dialect, None
            elif url is None and not dialect_name:
                config = self.config
                raise ConfigError(
                    f"{config._where()} [{config.config_ini_section}]: no 'sqlalchemy.url' key: "
                    "--sql needs the URL (or dialect_name= in env.py's context.configure()) to "
                    "know which SQL to write"
                )
        elif connection is None:
            raise CommandError(
                "env.py called context.configure() without connection= although the command "
                "runs online; pass connection=... (url=/dialect_name= are for --sql only)"
            )
        self._migration_context = MigrationContext.configure(
            connection=connection,
            url=url if connection is None and dialect is None else None,
            dialect_name=dialect_name if connection is None and dialect is None else None,
            dialect=dialect,
            environment_context=self,
            dialect_opts=dialect_opts,
            opts=opts,
            plugin_manager=self.plugin_manager,
        )

    def get_context(self) -> MigrationContext:
        """The MigrationContext made by ``configure()``."""
        return self._configured("get_context")

    def _configured(self, name: str) -> MigrationContext:
        if self._migration_context is None:
            raise ConfigureFirstError(
                f"env.py called context.{name}() before context.configure()"
            )
        return self._migration_context

    def get_bind(self) -> Any:
        """The connection passed to ``configure()``; offline, a stand-in connection whose
        executions are written into the SQL script (see ``MigrationContext.bind``)."""
        return self._configured("get_bind").bind

    def get_impl(self) -> Any:
        return self._configured("get_impl").impl

    def begin_transaction(self) -> AbstractContextManager[Any]:
        """The run's transaction (see MigrationContext.begin_transaction)."""
        return self._configured("begin_transaction").begin_transaction()

    def run_migrations(self, **kw: Any) -> None:
        """Run the command's steps; ``kw`` is passed to each upgrade()/downgrade()."""
        self.context_opts["_ran"] = True
        self.runs += 1
        self._configured("run_migrations").run_migrations(**kw)

    def execute(self, sql: Any, execution_options: dict[str, Any] | None = None) -> None:
        """Run SQL on the connection (offline: write it to the script)."""
        self._configured("execute").execute(sql, execution_options)

    def static_output(self, text: str) -> None:
        """Write text to the offline SQL script."""
        self._configured("static_output").impl.static_output(text)


def _prepend_sys_path(config: Config) -> None:
    for entry in reversed(config.get_main_list("prepend_sys_path")):
        path = os.path.abspath(os.path.join(config.config_dir, entry))
        if path not in sys.path:
            sys.path.insert(0, path)


def load_env_module(path: str) -> Any:
    """Import env.py from ``path`` as a fresh module (a new one per run, not kept in
    ``sys.modules``), named ``env_py`` as Alembic names it: pytest-alembic tells env.py from the
    model modules by that name."""
    spec = importlib.util.spec_from_file_location("env_py", path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"cannot load env.py from {path} (script_location)")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_env(env: EnvironmentContext) -> None:
    """Execute env.py with ``context`` installed; errors name env.py and its line."""
    _prepend_sys_path(env.config)
    with env:
        exec_env_py(env.script.env_py_location)


def exec_env_py(path: str) -> None:
    """Execute env.py at ``path`` under the ``context`` already installed (an entered
    EnvironmentContext); errors name env.py and its line."""
    from mig_core.runtime.runner import describe_error, failing_line

    if not os.path.exists(path):
        raise ConfigError(f"no env.py at {path} (script_location)")
    try:
        load_env_module(path)
    except ConfigureFirstError as exc:
        line = failing_line(exc, path)
        where = f"{path} line {line}" if line else path
        raise ConfigureFirstError(f"{exc} ({where})") from None
    except MigError:
        raise
    except BrokenPipeError as exc:  # `mig upgrade head --sql | head`
        if not context_proxy.is_offline_mode():
            raise  # a listing's reader left: the CLI stops quietly
        raise CommandError(
            "the output was closed before the SQL script was complete (broken pipe)"
        ) from exc
    except Exception as exc:
        line = failing_line(exc, path)
        where = f"{path} line {line}" if line else path
        fault = config_url_fault(exc)
        if fault:
            raise ConfigError(f"env.py failed ({where}): {fault}") from exc
        raise CommandError(f"env.py failed ({where}): {describe_error(exc)}") from exc


def config_url_fault(exc: BaseException) -> str | None:
    """When env.py failed because of the config's ``sqlalchemy.url`` (absent, so that
    SQLAlchemy's ``engine_from_config`` raised ``KeyError: 'url'``; unparseable; or naming a
    dialect SQLAlchemy does not have), what is wrong with it, naming the config file."""
    try:
        config = context_proxy.config
        url = config.get_main_option("sqlalchemy.url")
    except Exception:  # no run installed, or a config that cannot be read: nothing to add
        return None
    where = f"{config._where()} [{config.config_ini_section}]"
    if isinstance(exc, KeyError) and exc.args == ("url",) and not url:
        return f"{where}: no 'sqlalchemy.url' key (SQLAlchemy's engine_from_config: KeyError 'url')"
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if not url or sa_exc is None or not isinstance(exc, sa_exc.ArgumentError):
        return None
    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return f"{where}: 'sqlalchemy.url' is not a SQLAlchemy URL: {exc}"
    try:
        parsed.get_dialect()
    except Exception as bad:
        shown = parsed.render_as_string(hide_password=True)
        return (f"{where}: 'sqlalchemy.url' {shown!r}: unknown SQLAlchemy dialect "
                f"{parsed.drivername!r} ({type(bad).__name__}: {bad})")
    return None
