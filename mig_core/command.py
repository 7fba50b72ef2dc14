"""One function per command, callable from Python: ``command.upgrade(config, "head")``.

The CLI calls these with the parsed options. Each function imports its implementation lazily
(``mig_core/commands/<area>.py``) so that ``mig --help`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mig_core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mig_core.config import Config


# --- environment and revision files (mig_core/commands/scripts.py) ---------------------------


def init(config: Config, directory: str, template: str = "generic", package: bool = False) -> None:
    """Create a migration environment in ``directory`` from ``template``."""
    from mig_core.commands import scripts

    scripts.init(config, directory, template=template, package=package)


def list_templates(config: Config) -> None:
    """Print the available ``init`` templates with their description."""
    from mig_core.commands import scripts

    scripts.list_templates(config)


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
    """Create a revision file (with ``autogenerate``, from comparing model and database)."""
    from mig_core.commands import scripts

    return scripts.revision(
        config,
        message=message,
        autogenerate=autogenerate,
        sql=sql,
        head=head,
        splice=splice,
        branch_label=branch_label,
        version_path=version_path,
        rev_id=rev_id,
        depends_on=depends_on,
        process_revision_directives=process_revision_directives,
    )


def merge(
    config: Config,
    revisions: str | list[str],
    message: str | None = None,
    branch_label: str | None = None,
    rev_id: str | None = None,
) -> Any:
    """Create a revision whose parents are ``revisions`` (e.g. ``"heads"``)."""
    from mig_core.commands import scripts

    return scripts.merge(
        config, revisions, message=message, branch_label=branch_label, rev_id=rev_id
    )


def heads(
    config: Config, verbose: bool = False, resolve_dependencies: bool = False, as_json: bool = False
) -> None:
    """Print the heads of the revision graph."""
    from mig_core.commands import scripts

    scripts.heads(
        config, verbose=verbose, resolve_dependencies=resolve_dependencies, as_json=as_json
    )


def branches(config: Config, verbose: bool = False, as_json: bool = False) -> None:
    """Print the branch points of the revision graph."""
    from mig_core.commands import scripts

    scripts.branches(config, verbose=verbose, as_json=as_json)


def history(
    config: Config,
    rev_range: str | None = None,
    verbose: bool = False,
    indicate_current: bool = False,
    as_json: bool = False,
) -> None:
    """Print revisions newest first, optionally within ``start:end``."""
    from mig_core.commands import scripts

    scripts.history(
        config,
        rev_range=rev_range,
        verbose=verbose,
        indicate_current=indicate_current,
        as_json=as_json,
    )


def show(config: Config, rev: str, as_json: bool = False) -> None:
    """Print one revision in full."""
    from mig_core.commands import scripts

    scripts.show(config, rev, as_json=as_json)


def edit(config: Config, rev: str) -> None:
    """Open a revision file in ``$EDITOR``."""
    from mig_core.commands import scripts

    scripts.edit(config, rev)


def graph(config: Config, fmt: str = "dot") -> None:
    """Print the revision graph as Graphviz ``dot`` or ``mermaid``."""
    from mig_core.commands import scripts

    scripts.graph(config, fmt=fmt)


# --- running migrations (mig_core/commands/runtime.py) ---------------------------------------


def upgrade(
    config: Config,
    revision: str,
    sql: bool = False,
    tag: str | None = None,
    lock_timeout: float | None = None,
    resume: bool = False,
    skip_interrupted: bool = False,
) -> None:
    """Upgrade the database to ``revision`` (or write the SQL with ``sql=True``). ``resume``:
    run a revision a failed or interrupted run half-applied without the statements that took
    effect (backends whose DDL commits by itself; a note and a plain run elsewhere);
    ``skip_interrupted`` (with ``resume``): the statement running when an interrupted run
    stopped took effect too, so it is not sent either."""
    from mig_core.commands import runtime

    runtime.upgrade(config, revision, sql=sql, tag=tag, lock_timeout=lock_timeout, resume=resume,
                    skip_interrupted=skip_interrupted)


def downgrade(
    config: Config,
    revision: str,
    sql: bool = False,
    tag: str | None = None,
    lock_timeout: float | None = None,
    resume: bool = False,
    skip_interrupted: bool = False,
) -> None:
    """Revert the database to ``revision``. ``resume``: run a revision a failed or interrupted
    run half-applied without the statements that took effect (backends whose DDL commits by
    itself; a note and a plain run elsewhere); ``skip_interrupted``: as for :func:`upgrade`."""
    from mig_core.commands import runtime

    runtime.downgrade(config, revision, sql=sql, tag=tag, lock_timeout=lock_timeout,
                      resume=resume, skip_interrupted=skip_interrupted)


def stamp(
    config: Config,
    revision: str | Sequence[str] | None = None,
    sql: bool = False,
    tag: str | None = None,
    purge: bool = False,
    lock_timeout: float | None = None,
    *,
    revisions: str | Sequence[str] | None = None,
) -> None:
    """Write ``revision`` (one, or a list) into the version table without running migrations.

    ``revision`` is Alembic's keyword (``command.stamp(cfg, revision="head")``); ``revisions``,
    the CLI's name for it, is accepted too.
    """
    from mig_core.commands import runtime

    if (revision is None) == (revisions is None):
        raise UsageError("stamp: give the revision(s) to stamp, as revision= (or revisions=)")
    target = revision if revision is not None else revisions
    assert target is not None
    runtime.stamp(config, target, sql=sql, tag=tag, purge=purge, lock_timeout=lock_timeout)


def current(
    config: Config, verbose: bool = False, check_heads: bool = False, as_json: bool = False
) -> None:
    """Print the database's current revision(s)."""
    from mig_core.commands import runtime

    runtime.current(config, verbose=verbose, check_heads=check_heads, as_json=as_json)


def ensure_version(config: Config, sql: bool = False, lock_timeout: float | None = None) -> None:
    """Create the version table (and the history table) if missing, under the run lock."""
    from mig_core.commands import runtime

    runtime.ensure_version(config, sql=sql, lock_timeout=lock_timeout)


def log(
    config: Config,
    as_json: bool = False,
    limit: int | None = None,
    all_projects: bool = False,
    verify: bool = False,
) -> None:
    """Print the applied-history table (this project's rows unless ``all_projects``);
    ``verify``: compare the applied revisions' files with the checksums recorded when they
    ran, raising ``AppliedRevisionsChanged`` (exit 1) when one changed or is missing."""
    from mig_core.commands import runtime

    runtime.log(config, as_json=as_json, limit=limit, all_projects=all_projects, verify=verify)


def repair(
    config: Config,
    revisions: str | Sequence[str] | None = None,
    dry_run: bool = False,
    sql: bool = False,
    tag: str | None = None,
    lock_timeout: float | None = None,
    as_json: bool = False,
) -> list[dict[str, Any]]:
    """Accept the files of applied revisions as they are now, for ``log --verify``: append a
    ``repair`` history row with the current checksum of each ``changed`` revision and one
    recording each ``missing`` one as removed on purpose (``revisions``: only those), under
    the run lock. ``dry_run`` prints what it would record and writes nothing. Returns one
    dict per revision repaired, the objects ``--json`` prints (``as_json``: print them so)."""
    from mig_core.commands import runtime

    return runtime.repair(config, revisions, dry_run=dry_run, sql=sql, tag=tag,
                          lock_timeout=lock_timeout, as_json=as_json)


# --- autogenerate (mig_core/commands/autogen.py) ---------------------------------------------


def check(config: Config, as_json: bool = False, report: bool = False) -> None:
    """Raise ``AutogenerateDiffsDetected`` (exit 1) when the model does not match the
    database; ``report`` prints the differences as ``mig check`` does."""
    from mig_core.commands import autogen

    autogen.check(config, as_json=as_json, report=report)


# --- plugins (mig_core/commands/plugins.py) --------------------------------------------------


def plugins(config: Config, as_json: bool = False) -> None:
    """Print every plugin with its distribution, version, hooks, dialects, operations, status."""
    from mig_core.commands import plugins as plugin_commands

    plugin_commands.plugins(config, as_json=as_json)
