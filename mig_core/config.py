"""Configuration: ``mig.ini`` (or an Alembic ini), and ``[tool.mig]`` in ``pyproject.toml``.

Precedence for a key: the ini section (``[mig]``, or ``-n NAME``; an ini without ``[mig]`` but
with ``[alembic]`` is read from that), then ``[tool.mig]`` of the pyproject file. ``%(here)s``
is the directory of the file the value came from.
"""

from __future__ import annotations

import configparser
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any, TextIO

from mig_core.errors import ConfigError

DEFAULT_SECTION = "mig"
ALEMBIC_SECTION = "alembic"


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc


class Config:
    """The run's configuration; constructible without any file (``Config()``).

    Alembic-compatible: ``get_main_option``, ``set_main_option``, ``get_section``,
    ``get_section_option``, ``set_section_option``, ``attributes``, ``cmd_opts``,
    ``print_stdout``.
    """

    def __init__(
        self,
        file_: str | os.PathLike[str] | None = None,
        ini_section: str = DEFAULT_SECTION,
        output_buffer: IO[str] | None = None,
        stdout: TextIO | None = None,
        cmd_opts: Any = None,
        config_args: Mapping[str, Any] | None = None,
        attributes: dict[str, Any] | None = None,
        toml_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.config_file_name = str(file_) if file_ is not None else None
        self.toml_file_name = str(toml_file) if toml_file is not None else None
        self.config_ini_section = ini_section
        self.output_buffer = output_buffer
        self.stdout = stdout if stdout is not None else sys.stdout
        self.cmd_opts = cmd_opts
        self.config_args = dict(config_args or {})
        self.attributes: dict[str, Any] = attributes if attributes is not None else {}
        self.quiet = False
        self.plugin_manager: Any = None  # set by the CLI / command layer
        self._parser: configparser.ConfigParser | None = None
        self._toml: dict[str, Any] | None = None
        self._section_absent = False  # the ini file has no section config_ini_section

    # --- file loading --------------------------------------------------------------------
    @property
    def file_config(self) -> configparser.ConfigParser:
        """The parsed ini file (empty when there is none)."""
        if self._parser is None:
            self._parser = self._read_ini()
        return self._parser

    def _read_ini(self) -> configparser.ConfigParser:
        here = os.path.dirname(os.path.abspath(self.config_file_name)) if self.config_file_name else os.getcwd()
        parser = configparser.ConfigParser(defaults={"here": here, **self.config_args})
        if self.config_file_name:
            path = Path(self.config_file_name)
            if not path.exists():
                raise ConfigError(f"config file {self.config_file_name!r} not found")
            try:  # read_file, not read: read() skips a file it cannot open without a word
                with open(path, encoding="utf-8") as stream:
                    parser.read_file(stream, source=str(path))
            except IsADirectoryError:
                raise ConfigError(f"config file {self.config_file_name!r} is a directory") from None
            except OSError as exc:
                raise ConfigError(
                    f"cannot read config file {self.config_file_name!r}: {exc.strerror}"
                ) from None
            except UnicodeDecodeError as exc:
                raise ConfigError(
                    f"{self.config_file_name}: malformed ini: not UTF-8 text (byte {exc.start})"
                ) from None
            except configparser.Error as exc:
                raise ConfigError(f"{self.config_file_name}: malformed ini: {_ini_problem(exc)}") from None
            if (
                self.config_ini_section == DEFAULT_SECTION
                and not parser.has_section(DEFAULT_SECTION)
                and parser.has_section(ALEMBIC_SECTION)
            ):
                self.config_ini_section = ALEMBIC_SECTION
        if not parser.has_section(self.config_ini_section):
            self._section_absent = bool(self.config_file_name)
            parser.add_section(self.config_ini_section)
        return parser

    @property
    def toml_config(self) -> dict[str, Any]:
        """``[tool.mig]`` of the pyproject file (empty when there is none)."""
        if self._toml is None:
            self._toml = {}
            if self.toml_file_name and Path(self.toml_file_name).exists():
                data = _load_toml(Path(self.toml_file_name))
                tool = data.get("tool", {})
                self._toml = dict(tool.get("mig") or tool.get("alembic") or {})
        return self._toml

    @property
    def config_dir(self) -> str:
        """Directory of the config file (or of pyproject.toml, or the working directory)."""
        for name in (self.config_file_name, self.toml_file_name):
            if name:
                return os.path.dirname(os.path.abspath(name))
        return os.getcwd()

    # --- main section ----------------------------------------------------------------------
    def get_main_option(self, name: str, default: Any = None) -> Any:
        """A key from the ini section, else from ``[tool.mig]``, else ``default``."""
        if self.file_config.has_option(self.config_ini_section, name):
            return self.get_section_option(self.config_ini_section, name)
        return self._toml_option(name, default)

    def _toml_option(self, name: str, default: Any) -> Any:
        value = self.toml_config.get(name, _MISSING)
        if value is _MISSING:
            return default
        here = os.path.dirname(os.path.abspath(self.toml_file_name or "pyproject.toml"))
        return _interpolate(value, here, self.toml_file_name or "pyproject.toml", name)

    def set_main_option(self, name: str, value: str) -> None:
        """Set a key of the main section (``%`` must be doubled, as in the ini file)."""
        parser = self.file_config  # reading the file first may switch the section to [alembic]
        parser.set(self.config_ini_section, name, value)

    def remove_main_option(self, name: str) -> None:
        parser = self.file_config
        parser.remove_option(self.config_ini_section, name)

    def get_main_list(self, name: str, default: list[str] | None = None) -> list[str]:
        """A list-valued key: a TOML list, or an ini value split on newlines, commas or spaces."""
        value = self.get_main_option(name)
        if value is None:
            return list(default or [])
        if isinstance(value, list):
            return [str(v) for v in value]
        key = "path_separator"
        sep = self.get_main_option(key)
        if sep is None and name == "version_locations":
            # Alembic's older key, still read for this list (OpenStack Keystone's alembic.ini
            # has `version_path_separator = os` and joins its folders with os.pathsep)
            key = "version_path_separator"
            sep = self.get_main_option(key)
        if sep in (None, "os"):
            parts = [p for line in str(value).splitlines() for p in line.replace(",", " ").split()]
            if sep == "os":
                parts = [q for p in str(value).split(os.pathsep) for q in p.split("\n")]
        else:
            real = {"space": " ", "newline": "\n", ":": ":", ";": ";"}.get(sep)
            if real is None:
                raise ConfigError(
                    f"{self._where()}: key {key!r} must be one of os, ':', ';', space, "
                    f"newline; got {sep!r}"
                )
            parts = str(value).split(real)
        return [p.strip() for p in parts if p.strip()]

    def get_main_bool(self, name: str, default: bool = False) -> bool:
        """A boolean key (``true/false/yes/no/1/0/on/off``), with a clear error otherwise."""
        value = self.get_main_option(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{self._where()}: key {name!r} must be true or false, got {value!r}")

    def get_main_int(self, name: str, default: int) -> int:
        value = self.get_main_option(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(
                f"{self._where()}: key {name!r} must be an integer, got {value!r}"
            ) from None

    def require_main_option(self, name: str) -> Any:
        """A key that must be set; its absence is a :class:`ConfigError` naming file and key."""
        value = self.get_main_option(name)
        if value is None or value == "":
            if self.config_file_name is None and self.toml_file_name is None:
                raise ConfigError(
                    f"no config file: no mig.ini or alembic.ini in {os.getcwd()} and no "
                    f"[tool.mig] in a pyproject.toml there; give one with -c FILE or "
                    f"MIG_CONFIG (key {name!r} is needed)"
                )
            section = self.config_ini_section
            if self._section_absent and not self.toml_config:
                sections = [s for s in self.file_config.sections() if s != section]
                raise ConfigError(
                    f"{self._where()}: no section [{section}] (-n/--name chooses the section; "
                    f"the file has: {', '.join(sections) or 'none'})"
                )
            raise ConfigError(f"{self._where()}: no {name!r} key found in section [{section}]")
        return value

    def _where(self) -> str:
        return self.config_file_name or self.toml_file_name or "configuration"

    # --- other sections --------------------------------------------------------------------
    def get_section(self, name: str, default: dict[str, str] | None = None) -> dict[str, str] | None:
        """All keys of an ini section (interpolated), or ``default`` when it is absent."""
        if not self.file_config.has_section(name):
            return default
        try:
            return dict(self.file_config.items(name))
        except configparser.Error as exc:
            raise ConfigError(f"{self._where()}: section [{name}]: {exc}") from exc

    def get_section_option(self, section: str, name: str, default: Any = None) -> Any:
        if not self.file_config.has_section(section):
            raise ConfigError(f"{self._where()}: no section [{section}]")
        if not self.file_config.has_option(section, name):
            return default
        try:
            return self.file_config.get(section, name)
        except configparser.Error as exc:
            raise ConfigError(f"{self._where()}: section [{section}] key {name!r}: {exc}") from exc

    def set_section_option(self, section: str, name: str, value: str) -> None:
        if not self.file_config.has_section(section):
            self.file_config.add_section(section)
        self.file_config.set(section, name, value)

    # --- output ------------------------------------------------------------------------------
    def print_stdout(self, text: str, *args: Any) -> None:
        """Print a line of command output, unless ``-q`` was given."""
        if self.quiet:
            return
        line = (text % args) if args else text
        self.stdout.write(line + "\n")

    def get_template_directory(self) -> str:
        """Folder holding the ``mig init`` templates."""
        return os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


class _Missing:
    pass


_MISSING: Any = _Missing()


def _interpolate(value: Any, here: str, where: str, key: str) -> Any:
    if isinstance(value, str):
        try:
            return value % {"here": here}
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"{where}: key {key!r}: bad %-interpolation in {value!r}: {exc}") from exc
    if isinstance(value, list):
        return [_interpolate(v, here, where, key) for v in value]
    return value


def find_config(
    explicit: str | None = None, env: Mapping[str, str] | None = None, cwd: str | None = None,
    *, missing_ok: bool = False,
) -> tuple[str | None, str | None]:
    """Locate (ini file, pyproject file) for a CLI run.

    ``-c FILE`` wins, then ``MIG_CONFIG``, then Alembic's ``ALEMBIC_CONFIG``; otherwise
    ``mig.ini`` (else ``alembic.ini``) in the working directory. ``pyproject.toml`` there is used
    when it has ``[tool.mig]``. An explicit file named ``pyproject.toml`` is taken as the TOML
    file. ``missing_ok`` (``mig init``, which writes the file) accepts a named ini that does
    not exist yet.
    """
    env = os.environ if env is None else env
    cwd = cwd or os.getcwd()
    variable = next((v for v in ("MIG_CONFIG", "ALEMBIC_CONFIG") if env.get(v)), None)
    chosen = explicit or (env[variable] if variable else None)
    toml_path = os.path.join(cwd, "pyproject.toml")
    toml = toml_path if os.path.exists(toml_path) else None
    if chosen:
        if os.path.basename(chosen) == "pyproject.toml":
            if not os.path.exists(chosen):
                raise ConfigError(f"config file {chosen!r} not found")
            return None, chosen
        if not os.path.exists(chosen) and not missing_ok:
            source = "-c" if explicit else variable
            raise ConfigError(f"config file {chosen!r} (from {source}) not found")
        return chosen, toml
    for name in ("mig.ini", "alembic.ini"):
        path = os.path.join(cwd, name)
        if os.path.exists(path):
            return path, toml
    return None, toml


# --- Alembic's command-line entry points (``alembic.config.main``) ----------------------------


def main(argv: list[str] | None = None, prog: str | None = None, **kwargs: Any) -> None:
    """Run the ``mig`` command line, as ``alembic.config.main(argv=[...])`` runs Alembic's:
    returns None on success, raises ``SystemExit`` with the exit code on failure."""
    from mig_core.cli import main as cli_main

    code = cli_main(argv, prog=prog or "mig")
    if code:
        raise SystemExit(code)


class CommandLine:
    """Alembic's ``CommandLine(prog).main(argv)``: the ``mig`` command line as an object."""

    def __init__(self, prog: str | None = None) -> None:
        self.prog = prog or "mig"

    @property
    def parser(self) -> Any:
        from mig_core.cli import build_parser

        return build_parser()

    def main(self, argv: list[str] | None = None) -> None:
        main(argv, self.prog)


def _ini_problem(exc: configparser.Error) -> str:
    """One line for what configparser found wrong (its own messages span lines)."""
    if isinstance(exc, configparser.MissingSectionHeaderError):
        return f"line {exc.lineno}: {exc.line.strip()!r} comes before any [section] header"
    if isinstance(exc, configparser.ParsingError):
        lineno, line = exc.errors[0]
        try:  # configparser keeps the line as its repr
            import ast

            line = str(ast.literal_eval(line))
        except (ValueError, SyntaxError):
            pass
        return f"line {lineno}: {line.strip()!r} is not 'key = value' nor a [section] header"
    if isinstance(exc, configparser.DuplicateSectionError):
        return f"line {exc.lineno}: section [{exc.section}] appears twice"
    if isinstance(exc, configparser.DuplicateOptionError):
        return f"line {exc.lineno}: key {exc.option!r} appears twice in [{exc.section}]"
    return " ".join(str(exc).split())
