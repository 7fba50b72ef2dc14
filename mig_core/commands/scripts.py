"""The commands about the environment and its revision files: init, list_templates, revision,
merge, heads, branches, history, show, edit, graph.

``heads``, ``branches``, ``history`` and ``graph`` read only file headers: no SQLAlchemy, no Mako,
no revision module is imported. ``history -i`` and ``show current`` / ``edit current`` ask the
database through :func:`mig_core.commands.runtime.database_heads`.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mig_core.errors import CommandError, ConfigError, RevisionArgumentError, UsageError
from mig_core.script import display, paths

if TYPE_CHECKING:
    from mig_core.config import Config
    from mig_core.script import ScriptDirectory


def _script(config: Config) -> ScriptDirectory:
    from mig_core.script import ScriptDirectory

    return ScriptDirectory.from_config(config)


def _database_heads(config: Config) -> tuple[str, ...]:
    """The database's current heads (runs env.py through the runtime)."""
    try:
        from mig_core.commands.runtime import database_heads
    except ImportError:  # pragma: no cover - the runtime ships with mig-core
        raise CommandError("reading the database's current revision needs the runtime") from None
    return tuple(database_heads(config))


# --- init -------------------------------------------------------------------------------------


def _templates(config: Config) -> dict[str, str]:
    """name -> folder of every ``init`` template."""
    root = config.get_template_directory()
    return {
        name: os.path.join(root, name)
        for name in sorted(os.listdir(root))
        if os.path.isfile(os.path.join(root, name, "README"))
    }


def _readme_line(folder: str) -> str:
    with open(os.path.join(folder, "README"), encoding="utf-8") as f:
        return f.readline().strip()


def list_templates(config: Config) -> None:
    config.print_stdout("Available templates:\n")
    for name, folder in _templates(config).items():
        config.print_stdout(f"{name} - {_readme_line(folder)}")
    config.print_stdout("\nUse one with 'init', e.g.:\n\n  mig init --template generic ./migrations")


def _location_value(directory: str, config_file: str) -> str:
    """``%(here)s/<relative>`` when ``directory`` is below the config file's folder."""
    target = os.path.abspath(directory)
    base = os.path.dirname(os.path.abspath(config_file))
    rel = os.path.relpath(target, base)
    if rel == os.curdir or rel.startswith(os.pardir):
        return target
    return "%(here)s/" + rel.replace(os.sep, "/")


def init(config: Config, directory: str, template: str = "generic", package: bool = False) -> None:
    """Create ``directory`` (env.py, script.py.mako, versions/) and the config from ``template``."""
    templates = _templates(config)
    if template not in templates:
        raise UsageError(
            f"init: no template {template!r}; available: {', '.join(templates)} (see mig list_templates)"
        )
    if os.path.exists(directory) and (not os.path.isdir(directory) or os.listdir(directory)):
        raise UsageError(f"init: directory {directory} already exists and is not empty")
    source = templates[template]
    ini_file = config.config_file_name or os.path.join(os.getcwd(), "mig.ini")
    toml_file = config.toml_file_name or os.path.join(os.getcwd(), "pyproject.toml")
    versions = os.path.join(directory, "versions")
    for folder in (directory, versions):
        if not os.path.exists(folder):
            config.print_stdout(f"Creating directory {os.path.abspath(folder)} ... done")
            os.makedirs(folder)
    from mig_core.script.render import render_template, write_file

    for name in sorted(os.listdir(source)):
        path = os.path.join(source, name)
        if name in ("mig.ini.mako", "alembic.ini.mako"):  # the latter: templates for Alembic
            if os.path.exists(ini_file):
                config.print_stdout(f"File {os.path.abspath(ini_file)} already exists, skipping")
                continue
            text = render_template(path, {"script_location": _location_value(directory, ini_file)})
            write_file(ini_file, text)
            config.print_stdout(f"Generating {os.path.abspath(ini_file)} ... done")
        elif name == "pyproject.toml.mako":
            _add_tool_section(config, path, toml_file, directory)
        elif os.path.isfile(path):
            import shutil

            shutil.copyfile(path, os.path.join(directory, name))
            config.print_stdout(f"Generating {os.path.abspath(os.path.join(directory, name))} ... done")
    if package:
        for folder in (directory, versions):
            init_py = os.path.join(folder, "__init__.py")
            write_file(init_py, "")
            config.print_stdout(f"Generating {os.path.abspath(init_py)} ... done")
    config.print_stdout(
        f"Please edit the settings in {os.path.abspath(ini_file)} (sqlalchemy.url, logging) "
        "before proceeding."
    )


def _add_tool_section(config: Config, template: str, toml_file: str, directory: str) -> None:
    from mig_core.script.render import render_template

    existing = ""
    if os.path.exists(toml_file):
        with open(toml_file, encoding="utf-8") as f:
            existing = f.read()
        if "[tool.mig]" in existing:
            config.print_stdout(f"File {os.path.abspath(toml_file)} already has [tool.mig], skipping")
            return
    text = render_template(template, {"script_location": _location_value(directory, toml_file)})
    with open(toml_file, "a", encoding="utf-8") as f:
        if existing and not existing.endswith("\n"):
            f.write("\n")
        f.write(text if existing else text.lstrip("\n"))
    verb = "Appending [tool.mig] to" if existing else "Generating"
    config.print_stdout(f"{verb} {os.path.abspath(toml_file)} ... done")


# --- revision and merge -----------------------------------------------------------------------


def _environment_template_args(config: Config, script: ScriptDirectory, sql: bool) -> dict[str, Any]:
    """With ``revision_environment = true`` (or ``--sql``), run env.py first so that its
    ``context.configure(template_args=...)`` reaches the template."""
    if not (sql or config.get_main_bool("revision_environment")):
        return {}
    from mig_core.runtime.environment import EnvironmentContext, run_env

    env = EnvironmentContext(config, script, lambda heads, ctx: [], as_sql=sql, run_lock=False)
    run_env(env)
    return dict(env.context_opts.get("template_args") or {})


def revision(
    config: Config,
    message: str | None = None,
    autogenerate: bool = False,
    sql: bool = False,
    head: str = "head",
    splice: bool = False,
    branch_label: str | None = None,
    version_path: str | None = None,
    rev_id: str | None = None,
    depends_on: str | list[str] | None = None,
    process_revision_directives: Any = None,
) -> Any:
    """Create a revision file; returns its :class:`~mig_core.script.Script`."""
    script = _script(config)
    if autogenerate:
        if sql:
            raise UsageError("Using --sql with --autogenerate does not make any sense")
        import importlib

        try:
            api = importlib.import_module("mig_core.autogenerate.api")
            revision_directives = api.revision_directives
        except (ImportError, AttributeError):
            raise CommandError("autogenerate is not available yet") from None
        return revision_directives(
            config, script, message=message, head=head, splice=splice,
            branch_label=branch_label, version_path=version_path, rev_id=rev_id,
            depends_on=depends_on, process_revision_directives=process_revision_directives,
        )
    environment = config.get_main_bool("revision_environment")
    if sql and not environment:
        raise UsageError(
            "revision --sql runs env.py in offline mode, which needs revision_environment = "
            "true in the config"
        )
    if environment:  # env.py's template_args and process_revision_directives apply
        from mig_core.autogenerate.revision import plain_revision

        return plain_revision(
            config, script, as_sql=sql, process_revision_directives=process_revision_directives,
            rev_id=rev_id, message=message, head=head, splice=splice,
            branch_label=branch_label, version_path=version_path, depends_on=depends_on,
        )
    created = script.generate_revision(
        rev_id, message, head=head, splice=splice, branch_labels=branch_label,
        version_path=version_path, depends_on=depends_on,
    )
    return created


def merge(
    config: Config,
    revisions: str | list[str],
    message: str | None = None,
    branch_label: str | None = None,
    rev_id: str | None = None,
) -> Any:
    """Create a revision whose down_revision is every revision ``revisions`` names."""
    script = _script(config)
    parents = [r.revision for r in script.get_revisions(revisions)]
    if len(parents) < 2:
        shown = revisions if isinstance(revisions, str) else " ".join(revisions)
        raise UsageError(
            f"merge needs at least two revisions; {shown!r} names "
            f"{', '.join(parents) or 'none'}"
        )
    for parent in parents:  # generate_revision's error would suggest --splice, which merge lacks
        if not script.revision_map[parent].is_head:
            raise RevisionArgumentError(
                f"merge: {parent} is not a head; merge joins heads (mig heads lists them: "
                f"{', '.join(script.get_heads())})"
            )
    template_args = _environment_template_args(config, script, False)
    created = script.generate_revision(
        rev_id, message, head=parents, branch_labels=branch_label, **template_args
    )
    return created


# --- reading the graph ------------------------------------------------------------------------


def heads(
    config: Config, verbose: bool = False, resolve_dependencies: bool = False, as_json: bool = False
) -> None:
    """Print the heads (``--resolve-dependencies``: a head something depends on is hidden)."""
    script = _script(config)
    rmap = script.revision_map
    revs = [rmap[h] for h in script.get_heads(consider_depends_on=resolve_dependencies)]
    _print_revisions(config, revs, verbose, as_json, display.short)


def branches(config: Config, verbose: bool = False, as_json: bool = False) -> None:
    """Print every branch point with the revisions it branches into."""
    rmap = _script(config).revision_map
    points = [r for r in display.history_order(rmap) if r.is_branch_point]
    if as_json:
        config.print_stdout(display.to_json([display.record(r) for r in points]))
        return
    for rev in points:
        config.print_stdout(display.branch_point(rmap, rev, verbose))


def _needs_database(rmap: Any, text: str | None) -> bool:
    if not text:
        return False
    arg = paths.parse(rmap, text)
    return arg.symbol == "current" or (arg.kind == "relative" and arg.anchor is None)


def history(
    config: Config,
    rev_range: str | None = None,
    verbose: bool = False,
    indicate_current: bool = False,
    as_json: bool = False,
) -> None:
    """Print revisions newest first, all or within ``[start]:[end]`` (both included)."""
    script = _script(config)
    rmap = script.revision_map
    start, end = paths.split_range(rev_range) if rev_range else (None, None)
    current: tuple[str, ...] = ()
    if indicate_current or _needs_database(rmap, start) or _needs_database(rmap, end):
        current = _database_heads(config)
    if rev_range:
        upper = [r.revision for r in paths.resolve(rmap, end or "heads", current)]
        lower = [r.revision for r in paths.resolve(rmap, start or "base", current)]
        revs = paths.iterate_revisions(rmap, upper, lower or None, inclusive=True)
    else:
        revs = display.history_order(rmap)
    marked = frozenset(current) if indicate_current else frozenset()
    if as_json:
        config.print_stdout(display.to_json([display.record(r, marked) for r in revs]))
    elif not revs:
        return
    elif verbose:  # each entry ends with a blank line, the last one too (as in Alembic)
        config.print_stdout("\n".join(display.log_entry(r, marked) for r in revs))
    else:
        config.print_stdout("\n".join(display.history_line(r, marked) for r in revs))


def _revisions_for(config: Config, script: ScriptDirectory, rev: str) -> list[Any]:
    if rev == "current":
        found = script.revision_map.sorted(_database_heads(config))
        if not found:
            raise RevisionArgumentError(
                "'current' names no revision: the database is at base (no revision is applied)"
            )
        return found
    if rev == "heads":  # as Alembic's: not a head that another revision depends on
        return [script.revision_map[h] for h in script.get_heads(consider_depends_on=True)]
    found = list(script.get_revisions(rev))
    if not found:
        raise RevisionArgumentError(
            f"{rev!r} names no revision (it is the base, before the first one)"
        )
    return found


def show(config: Config, rev: str, as_json: bool = False) -> None:
    """Print one revision (or each one ``rev`` names, e.g. ``heads``) in full."""
    script = _script(config)
    revs = _revisions_for(config, script, rev)
    if as_json:
        records = [display.record(r) for r in revs]
        config.print_stdout(display.to_json(records[0] if len(records) == 1 else records))
        return
    for r in revs:  # as Alembic: each entry printed as it is, so a blank line follows it
        config.print_stdout(display.log_entry(r))


_EDITORS = ("sensible-editor", "editor", "nano", "vim", "vi", "code", "notepad")


def _editor() -> list[str]:
    import shlex
    import shutil

    for var in ("EDITOR", "VISUAL"):
        value = os.environ.get(var)
        if value:
            return shlex.split(value)
    for name in _EDITORS:
        found = shutil.which(name)
        if found:
            return [found]
    raise ConfigError("no editor found: set $EDITOR (or $VISUAL)")


def edit(config: Config, rev: str) -> None:
    """Open the file of ``rev`` (each file, when it names several) in ``$EDITOR``."""
    import subprocess

    script = _script(config)
    revs = _revisions_for(config, script, rev)
    editor = _editor()
    for r in revs:
        try:
            result = subprocess.run([*editor, r.path])
        except OSError as exc:
            raise ConfigError(
                f"cannot start editor {editor[0]!r} (from $EDITOR / $VISUAL): {exc.strerror}"
            ) from None
        if result.returncode != 0:
            raise CommandError(f"editor {editor[0]!r} exited with {result.returncode} on {r.path}")


def graph(config: Config, fmt: str = "dot") -> None:
    """Print the graph as Graphviz ``dot`` or ``mermaid``."""
    rmap = _script(config).revision_map
    if fmt == "dot":
        config.print_stdout(display.dot(rmap))
    elif fmt == "mermaid":
        config.print_stdout(display.mermaid(rmap))
    else:
        raise UsageError(f"graph: unknown format {fmt!r}; use dot or mermaid")


def _print_revisions(
    config: Config, revs: Sequence[Any], verbose: bool, as_json: bool, short: Any
) -> None:
    if as_json:
        config.print_stdout(display.to_json([display.record(r) for r in revs]))
    elif verbose:
        for rev in revs:  # as show
            config.print_stdout(display.log_entry(rev))
    elif not verbose:
        for rev in revs:
            config.print_stdout(short(rev))
