"""The ``mig`` command line.

Start-up order: pre-scan argv for the global options that choose config and plugins, build the
config and a fresh plugin manager, let plugins add commands, then parse and dispatch to
:mod:`mig_core.command`. Must not import SQLAlchemy (``mig --help`` and ``mig plugins`` stay fast).
When the pre-scan finds the command, only that command's sub-parser is built; ``mig --help``
and anything the pre-scan cannot place get the whole parser.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from mig_core import __version__
from mig_core.errors import MigError, MigPluginWarning, MigWarning, UsageError

EXIT_CODES_HELP = """exit codes:
  0  success
  1  a migration or command failed (database error, check found differences, not at head,
     log --verify found an edited or missing applied revision)
  2  usage or configuration error
  3  plugin error
  4  revision graph or revision file error
  5  run lock not obtained within --lock-timeout
  130  interrupted (Ctrl-C)
  141  the reader of the output went away (mig history | head): nothing more is written
"""


OUTPUT_CLOSED = 141


def _arg(*flags: str, **kw: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    return flags, kw


SQL = _arg("--sql", action="store_true", help="write the SQL script to stdout instead of running it")
TAG = _arg("--tag", help="an arbitrary string passed to env.py (context.get_tag_argument())")
LOCK = _arg(
    "--lock-timeout",
    type=float,
    default=None,
    metavar="SECONDS",
    help="wait at most this long for the run lock (default: wait)",
)
JSON = _arg("--json", dest="as_json", action="store_true", help="print JSON")
RESUME = _arg(
    "--resume",
    action="store_true",
    help="run a revision a failed or interrupted run half-applied without the statements "
         "that took effect (MySQL/MariaDB, Oracle)",
)
SKIP_INTERRUPTED = _arg(
    "--skip-interrupted",
    action="store_true",
    help="with --resume: the statement running when the run stopped (killed, or its "
         "connection lost) took effect too; skip it",
)
VERBOSE = _arg("-v", "--verbose", action="store_true", help="show more detail")

#: name -> (help, arguments); the handler is mig_core.command.<name>
CORE_COMMANDS: dict[str, tuple[str, list[tuple[tuple[str, ...], dict[str, Any]]]]] = {
    "init": (
        "create a new migration environment (scripts folder and config)",
        [
            _arg("directory", help="folder to create"),
            _arg("-t", "--template", default="generic",
                 help="template (default generic; see list_templates)"),
            _arg("--package", action="store_true", help="write __init__.py files"),
        ],
    ),
    "list_templates": ("list the templates mig init can use", []),
    "revision": (
        "create a new revision file",
        [
            _arg("-m", "--message", help="message (becomes the file name's slug)"),
            _arg("--autogenerate", action="store_true", help="compare the model with the database"),
            SQL,
            _arg("--head", default="head", help="revision to base the new one on (default head)"),
            _arg("--splice", action="store_true", help="allow --head to be a non-head revision"),
            _arg("--branch-label", help="branch label for the new revision"),
            _arg("--version-path", help="version folder to write the new file into"),
            _arg("--rev-id", help="revision id to use instead of a generated one"),
            _arg("--depends-on", action="append", help="revision(s) the new one depends on"),
        ],
    ),
    "merge": (
        "create a revision that merges several heads",
        [
            _arg("revisions", nargs="+", help="revisions to merge (e.g. heads)"),
            _arg("-m", "--message", help="message"),
            _arg("--branch-label", help="branch label for the merge revision"),
            _arg("--rev-id", help="revision id to use"),
        ],
    ),
    "heads": (
        "show the current heads of the revision graph",
        [VERBOSE, _arg("--resolve-dependencies", action="store_true",
                       help="treat depends_on as parents"), JSON],
    ),
    "branches": ("show branch points", [VERBOSE, JSON]),
    "history": (
        "list revisions in order",
        [
            _arg("-r", "--rev-range", help="range [start]:[end]"),
            VERBOSE,
            _arg("-i", "--indicate-current", action="store_true", help="mark the database's revision"),
            JSON,
        ],
    ),
    "show": ("show one revision", [_arg("rev", help="revision"), JSON]),
    "edit": ("open a revision file in $EDITOR", [_arg("rev", help="revision")]),
    "graph": (
        "print the revision graph as Graphviz dot or Mermaid",
        [_arg("--format", dest="fmt", choices=["dot", "mermaid"], default="dot",
              help="output format (default dot)")],
    ),
    "upgrade": (
        "upgrade the database to a later revision",
        [_arg("revision", help="target (head, heads, +1, id, label@head, start:end with --sql)"),
         SQL, TAG, LOCK, RESUME, SKIP_INTERRUPTED],
    ),
    "downgrade": (
        "revert the database to an earlier revision",
        [_arg("revision", help="target (base, -1, id, label@-1, start:end with --sql)"),
         SQL, TAG, LOCK, RESUME, SKIP_INTERRUPTED],
    ),
    "stamp": (
        "set the version table without running migrations",
        [_arg("revisions", nargs="+", help="revision(s) to stamp"), SQL, TAG,
         _arg("--purge", action="store_true", help="empty the version table first"), LOCK],
    ),
    "current": (
        "show the database's current revision(s)",
        [VERBOSE, _arg("--check-heads", action="store_true",
                       help="fail (exit 1) unless the database is at all heads"), JSON],
    ),
    "ensure_version": ("create the version table (and the history table) if missing",
                       [SQL, LOCK]),
    "log": (
        "show the applied-history table (what ran, when, by whom)",
        [JSON, _arg("-n", "--limit", type=int, default=None, help="show the last N entries"),
         _arg("--all", dest="all_projects", action="store_true",
              help="every project's rows (all version tables sharing the table), not only this one's"),
         _arg("--verify", action="store_true",
              help="compare the applied revisions' files with the checksums recorded when they "
                   "ran (exit 1 when one changed or is missing)")],
    ),
    "repair": (
        "accept edited or removed applied revisions for log --verify (appends history rows)",
        [_arg("revisions", nargs="*",
              help="only these applied revisions (default: every changed or missing one)"),
         _arg("--dry-run", action="store_true", help="print what would be recorded, write nothing"),
         _arg("--sql", action="store_true",
              help="refused (exit 2): repair reads the history, so no script can do it"),
         TAG, LOCK, JSON],
    ),
    "check": ("exit 0 if the model matches the database, 1 with the differences otherwise", [JSON]),
    "plugins": ("list plugins, their hooks, dialects, operations and status", [JSON]),
}


#: global options that take a value -> where the pre-scan keeps it (None: not needed)
_TAKES_VALUE = {"-c": "config", "--config": "config", "-n": "name", "--name": "name",
                "-p": "plugins", "--plugin": "plugins", "-x": None}
_LONG_OPTIONS = ("--config", "--name", "--plugin", "--version", "--quiet", "--traceback",
                 "--help")


def _long_option(key: str) -> str:
    """``key`` as argparse reads it: a long option or the one long option it abbreviates."""
    if key in _LONG_OPTIONS:
        return key
    found = [option for option in _LONG_OPTIONS if option.startswith(key)]
    return found[0] if len(found) == 1 else key


def _prescan(argv: Sequence[str]) -> dict[str, Any]:
    """Read the global options before the command name (plugins must load before parsing),
    and the command name itself (None when there is none, or after ``-h``)."""
    found: dict[str, Any] = {"plugins": [], "config": None, "name": "mig", "traceback": False,
                             "command": None}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":  # argparse takes it for the command: the whole parser says so
            return found
        if not arg.startswith("-") or arg == "-":
            break
        options: list[tuple[str, str | None]] = []
        if arg.startswith("--"):
            key, eq, attached = arg.partition("=")
            options.append((_long_option(key), attached if eq else None))
        else:  # -q, -cFILE, -qc FILE: short options may be joined, a value attached
            for j in range(1, len(arg)):
                short = "-" + arg[j]
                if short in _TAKES_VALUE:
                    options.append((short, arg[j + 1:] or None))
                    break
                options.append((short, None))
        for key, given in options:
            if key in _TAKES_VALUE:
                value = given
                if value is None:
                    i += 1
                    value = argv[i] if i < len(argv) else ""
                dest = _TAKES_VALUE[key]
                if dest == "plugins":
                    found["plugins"].append(value)
                elif dest:
                    found[dest] = value
            elif key == "--traceback":
                found["traceback"] = True
            elif key in ("-h", "--help", "--version"):
                return found
        i += 1
    if i < len(argv):
        found["command"] = argv[i]
    return found


def build_parser(
    plugin_commands: dict[str, Any] | None = None, only: str | None = None
) -> argparse.ArgumentParser:
    """The whole parser; with ``only``, one with that command's sub-parser alone (the same
    arguments and help; building all of them is most of the CLI's own start-up)."""
    parser = argparse.ArgumentParser(
        prog="mig",
        description="mig: database schema migrations for SQLAlchemy.",
        epilog=EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mig {__version__}")
    parser.add_argument("-c", "--config", help="config file (default mig.ini, or $MIG_CONFIG)")
    parser.add_argument("-n", "--name", default="mig", help="ini section to read (default mig)")
    parser.add_argument("-x", action="append", default=[], metavar="KEY=VALUE",
                        help="argument for env.py (context.get_x_argument())")
    parser.add_argument("-p", "--plugin", action="append", default=[], metavar="NAME",
                        help="load plugin NAME, or block it with no:NAME (repeatable)")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print no command output (errors, --sql scripts, logging still do)")
    parser.add_argument("--traceback", action="store_true",
                        help="show the Python traceback of an error")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, arguments) in CORE_COMMANDS.items():
        if only is not None and name != only:
            continue
        cmd = sub.add_parser(name, help=help_text, description=help_text)
        for flags, kw in arguments:
            cmd.add_argument(*flags, **kw)
    for name, entry in (plugin_commands or {}).items():
        if only is not None and name != only:
            continue
        cmd = sub.add_parser(name, help=entry.help, description=entry.help)
        if entry.setup is not None:
            entry.setup(cmd)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], *args: Any, **kw: Any) -> None:
    if issubclass(category, (MigPluginWarning, MigWarning)):
        from mig_core.runtime.current import running_revision

        where = running_revision()
        sys.stderr.write(f"mig: warning: {where + ': ' if where else ''}{message}\n")
    else:
        _default_showwarning(message, category, *args, **kw)


_default_showwarning = warnings.showwarning


#: young-generation threshold of the garbage collector during a CLI run: start-up (importing
#: SQLAlchemy, the plugins, env.py) allocates hundreds of thousands of objects that live for the
#: whole run, and with Python's default of 700 the collector re-examines them about a hundred
#: times (about 5% of a no-op ``mig upgrade``); cycles are still collected, less often
GC_THRESHOLD = 100_000


def main(argv: Sequence[str] | None = None, prog: str = "mig") -> int:
    """Run the CLI; returns (and, as a console script, exits with) the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    pre = _prescan(argv)
    warnings.showwarning = _show_warning
    threshold = gc.get_threshold()
    gc.set_threshold(max(threshold[0], GC_THRESHOLD), *threshold[1:])
    try:
        code = _run(argv, pre)
        sys.stdout.flush()  # a reader that left shows here, not in Python's exit
        return code
    except BrokenPipeError:
        return _output_closed()
    except MigError as exc:
        if pre["traceback"]:
            import traceback

            traceback.print_exc()
        sys.stderr.write(f"{prog}: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write(f"{prog}: interrupted\n")
        return 130
    except Exception as exc:  # anything unplanned: one line unless --traceback
        if pre["traceback"]:
            import traceback

            traceback.print_exc()
        sys.stderr.write(
            f"{prog}: error: {type(exc).__name__}: {exc} (run with --traceback for details)\n"
        )
        return 1
    finally:
        warnings.showwarning = _default_showwarning
        gc.set_threshold(*threshold)


def _output_closed() -> int:
    """The reader of standard output left (``mig history | head -1``): stop without a message,
    as Unix tools do, with the status a shell gives a program that SIGPIPE ended (128 + 13)."""
    try:  # what is still buffered must not raise again when Python exits
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass  # not a real file (in-process callers)
    return OUTPUT_CLOSED


def _run(argv: list[str], pre: dict[str, Any]) -> int:
    from mig_core.config import Config, find_config
    from mig_core.plugins import CommandRegistry, build_plugin_manager

    init = pre["command"] == "init"
    ini, toml = find_config(pre["config"], missing_ok=init)
    new_ini = ini if init and ini and not os.path.exists(ini) else None
    # mig init writes a named config file that does not exist yet: read none until then
    config = Config(None if new_ini else ini, ini_section=pre["name"], toml_file=toml)
    pm = build_plugin_manager(config, pre["plugins"])
    if new_ini:  # read as empty above; init writes it
        config.config_file_name = new_ini
    config.plugin_manager = pm
    registry = CommandRegistry(reserved=CORE_COMMANDS)
    pm._collect("mig_register_commands", registry)

    command = pre["command"]
    known = command in CORE_COMMANDS or command in registry.entries
    parser = build_parser(registry.entries, only=command if known else None)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    config.cmd_opts = args
    config.quiet = args.quiet
    pm.hook.mig_configure.call_historic(kwargs={"config": config})

    if args.command in registry.entries:
        result = registry.entries[args.command].handler(config, args)
        return int(result or 0)
    return _dispatch(config, args)


def _command_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    skip = {"command", "config", "name", "x", "plugin", "quiet", "traceback"}
    return {k: v for k, v in vars(args).items() if k not in skip}


def _dispatch(config: Any, args: argparse.Namespace) -> int:
    from mig_core import command

    fn: Callable[..., Any] = getattr(command, args.command)
    kwargs = _command_kwargs(args)
    if args.command == "check":
        kwargs["report"] = True  # the readable list; command.check() alone is Alembic's
    try:
        result = fn(config, **kwargs)
    except TypeError as exc:
        if "argument" in str(exc) and fn.__name__ in str(exc):
            raise UsageError(f"{args.command}: {exc}") from exc
        raise
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def console_main() -> None:
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    console_main()
