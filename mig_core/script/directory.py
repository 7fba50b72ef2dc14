"""``ScriptDirectory`` (the migration environment on disk) and ``Script`` (one revision file).

The revision graph is built from file headers (see :mod:`mig_core.script.headers`); a revision
module is imported only when its ``module`` is asked for, i.e. when it runs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from mig_core.errors import ConfigError, MultipleHeads, RevisionArgumentError
from mig_core.script import paths
from mig_core.script.headers import RevisionHeader, load_module, read_header, scan_location
from mig_core.script.revision_map import Revision, RevisionMap, check_revision_id

if TYPE_CHECKING:
    from mig_core.config import Config

DEFAULT_FILE_TEMPLATE = "%(rev)s_%(slug)s"
_NO_IDS: frozenset[str] = frozenset()


class Script(Revision):
    """One revision file: the graph node plus its path, message and (lazily) its module."""

    __slots__ = ("doc", "create_date", "_module")

    def __init__(self, header: RevisionHeader) -> None:
        # the header's tuples are already normalized: set the slots directly (5,000 of these
        # are made on every ``mig heads``)
        self.revision = header.revision
        self.down_revisions = header.down_revisions
        self.depends_on = header.depends_on
        labels = frozenset(header.branch_labels) if header.branch_labels else _NO_IDS
        self.declared_branch_labels = self._branch_labels = labels
        self._branch_labels_set = None
        self._resolved_dependencies = ()
        self.nextrev = self.dependents = _NO_IDS
        self.path = header.path
        self.line = header.line
        self.down_line = header.down_line
        self.depends_line = header.depends_line
        self.order = -1
        self.doc = header.doc
        self.create_date = header.create_date
        self._module: Any = None

    @property
    def module(self) -> Any:
        """The imported revision module (imported on first access only)."""
        if self._module is None:
            self._module = load_module(self.path or "")
        return self._module

    @property
    def checksum(self) -> str:
        """sha256 of the file's bytes, read now (the runtime's history table records it)."""
        import hashlib

        with open(self.path or "", "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()

    @property
    def longdoc(self) -> str:
        """The whole module docstring."""
        path = self.path or ""
        if path.endswith((".pyc", ".pyo")):
            return (self.module.__doc__ or "").strip()
        import ast

        with open(path, encoding="utf-8") as f:
            try:
                return (ast.get_docstring(ast.parse(f.read()), clean=True) or "").strip()
            except SyntaxError:
                return self.doc

    @property
    def log_entry(self) -> str:
        """A multi-line description (what ``show`` and ``history -v`` print)."""
        from mig_core.script.display import log_entry

        return log_entry(self)

    def cmd_format(
        self,
        verbose: bool,
        include_branches: bool = False,
        include_doc: bool = False,
        include_parents: bool = False,
        tree_indicators: bool = True,
        head_indicators: bool = True,
    ) -> str:
        """Alembic's one-line forms (``r3 (head)``, ``r2 -> r3 (lab) (head), msg``), or the
        multi-line :attr:`log_entry` when ``verbose``."""
        from mig_core.script.display import format_line, log_entry

        if verbose:
            return log_entry(self)
        return format_line(
            self, include_branches=include_branches, include_doc=include_doc,
            include_parents=include_parents, tree_indicators=tree_indicators,
        )

    def __str__(self) -> str:
        """``r2 -> r3 (head), message`` (Alembic's form: parents, markers, docstring line)."""
        from mig_core.script.display import format_line

        return format_line(self, include_doc=True, include_parents=True,
                           include_dependencies=False)


class ScriptDirectory:
    """The migration environment: env.py, script.py.mako and the version folders."""

    def __init__(
        self,
        dir: str,
        file_template: str | None = None,
        truncate_slug_length: int | None = 40,
        version_locations: Sequence[str] | None = None,
        sourceless: bool = False,
        output_encoding: str = "utf-8",
        timezone: str | None = None,
        recursive_version_locations: bool = False,
        config: Config | None = None,
        use_cache: bool = True,
    ) -> None:
        self.dir = dir
        self.file_template = file_template or DEFAULT_FILE_TEMPLATE
        self.truncate_slug_length = 40 if truncate_slug_length is None else truncate_slug_length
        self.version_locations = list(version_locations or [])
        self.sourceless = sourceless
        self.output_encoding = output_encoding
        self.timezone = timezone
        self.recursive_version_locations = recursive_version_locations
        self.config = config
        self.use_cache = use_cache
        self._map: RevisionMap | None = None

    @property
    def version_locations(self) -> list[str]:
        """The configured ``version_locations`` ([] when none, as Alembic reports them).

        env.py may assign it (``context.script.version_locations = [...]``, as Prefect's does)
        before its run reads the graph: the graph is then read from the new folders."""
        return self._configured_locations

    @version_locations.setter
    def version_locations(self, locations: Sequence[str | os.PathLike[str]] | None) -> None:
        self._configured_locations = [os.fspath(loc) for loc in locations or ()]
        #: the folders revision files are read from and written to
        self._version_locations = self._configured_locations or [os.path.join(self.dir, "versions")]
        self._map = None

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def from_config(cls, config: Config) -> ScriptDirectory:
        """Read ``script_location``, ``version_locations`` ... and apply ``prepend_sys_path``."""
        location = config.require_main_option("script_location")
        script_dir = resolve_location(config, "script_location", str(location))
        if not os.path.isdir(script_dir):
            raise ConfigError(
                f"{config._where()}: script_location {location!r}: folder {script_dir} does not "
                "exist (create it with 'mig init')"
            )
        versions = [
            resolve_location(config, "version_locations", v)
            for v in config.get_main_list("version_locations")
        ]
        for entry in reversed(config.get_main_list("prepend_sys_path")):
            path = os.path.abspath(os.path.join(config.config_dir, entry))
            if path not in sys.path:
                sys.path.insert(0, path)
        return cls(
            script_dir,
            file_template=config.get_main_option("file_template"),
            truncate_slug_length=config.get_main_int("truncate_slug_length", 40),
            version_locations=versions or None,
            sourceless=config.get_main_bool("sourceless"),
            output_encoding=config.get_main_option("output_encoding") or "utf-8",
            timezone=config.get_main_option("timezone") or None,
            recursive_version_locations=config.get_main_bool("recursive_version_locations"),
            config=config,
        )

    @property
    def versions(self) -> str:
        """The first version folder."""
        return self._version_locations[0]

    @property
    def env_py_location(self) -> str:
        return os.path.abspath(os.path.join(self.dir, "env.py"))

    @property
    def revision_map(self) -> RevisionMap:
        """The validated graph (built on first use, from headers and their cache)."""
        if self._map is None:
            self._map = RevisionMap(self._load_scripts())
        return self._map

    def _load_scripts(self) -> list[Script]:
        scripts: list[Script] = []
        seen: set[str] = set()
        locations: set[str] = set()
        for location in self._version_locations:
            real = os.path.realpath(location)
            if real in locations:  # the same folder listed twice (or through a symlink)
                continue
            locations.add(real)
            for header in scan_location(
                location, self.recursive_version_locations, self.sourceless, self.use_cache
            ):
                # nested locations (with recursive_version_locations) list a file twice
                if header.path not in seen:
                    seen.add(header.path)
                    scripts.append(Script(header))
        return scripts

    def reload(self) -> None:
        """Forget the graph; the next access re-reads the version folders (cheaply, cached)."""
        self._map = None

    # --- lookups -----------------------------------------------------------------------------
    def get_revisions(self, id_: str | Sequence[str] | None) -> tuple[Script, ...]:
        """The scripts an argument names (``heads``, ``label@head``, ids, prefixes ...)."""
        return paths.resolve(self.revision_map, id_)  # type: ignore[return-value]

    def get_revision(self, id_: str | None) -> Script | None:
        """One script (None for ``base``); an argument naming several is an error."""
        revs = self.get_revisions(id_)
        if len(revs) > 1:
            raise paths.multiple_heads_error(str(id_), [r.revision for r in revs])
        return revs[0] if revs else None

    def get_all_current(self, ids: Sequence[str]) -> tuple[Script, ...]:
        return tuple(self.revision_map[i] for i in ids)  # type: ignore[misc]

    def get_heads(self, consider_depends_on: bool = False) -> list[str]:
        rmap = self.revision_map
        return list(rmap.real_heads() if consider_depends_on else rmap.heads)

    def get_current_head(self) -> str | None:
        """The single head (None when there are no revisions); several heads is an error."""
        heads = self.get_heads()
        if len(heads) > 1:
            raise MultipleHeads(
                f"there are {len(heads)} heads ({', '.join(heads)}); use 'heads', "
                "'<label>@head', or 'mig merge heads' to join them", heads=tuple(heads),
            )
        return heads[0] if heads else None

    def get_bases(self) -> list[str]:
        return list(self.revision_map.bases)

    def get_base(self) -> str | None:
        bases = self.get_bases()
        if len(bases) > 1:
            raise RevisionArgumentError(f"there are {len(bases)} bases ({', '.join(bases)}); name one")
        return bases[0] if bases else None

    def walk_revisions(self, base: str = "base", head: str = "heads") -> Iterator[Script]:
        """Scripts from ``head`` down to ``base``, newest first (both included)."""
        yield from self.iterate_revisions(head, base, inclusive=True)

    def iterate_revisions(
        self, upper: str | Sequence[str] | None, lower: str | Sequence[str] | None,
        inclusive: bool = False, implicit_base: bool = False, **_alembic_kw: object,
    ) -> Iterator[Script]:
        """Scripts that are ancestors of ``upper`` but not of ``lower``, newest first."""
        yield from paths.iterate_revisions(  # type: ignore[misc]
            self.revision_map, upper, lower, inclusive=inclusive, implicit_base=implicit_base
        )

    # --- what the runtime uses ---------------------------------------------------------------
    def upgrade_revisions(self, destination: str, current_heads: Sequence[str]) -> list[Script]:
        """Scripts to apply, oldest first (see :func:`mig_core.script.paths.upgrade_revisions`)."""
        return paths.upgrade_revisions(  # type: ignore[return-value]
            self.revision_map, destination, tuple(current_heads)
        )

    def downgrade_revisions(self, destination: str, current_heads: Sequence[str]) -> list[Script]:
        """Scripts to unapply, newest first."""
        return paths.downgrade_revisions(  # type: ignore[return-value]
            self.revision_map, destination, tuple(current_heads)
        )

    def resolve_heads_for_stamp(self, revisions: Sequence[str]) -> tuple[str, ...]:
        return paths.resolve_heads_for_stamp(self.revision_map, revisions)

    def applied_revisions(self, current_heads: Sequence[str]) -> set[str]:
        """Ids applied when the database is at ``current_heads`` (closure over both edges)."""
        return paths.applied_revisions(self.revision_map, current_heads)

    def filter_heads(self, revisions: Sequence[str], include_dependencies: bool = False
                     ) -> tuple[str, ...]:
        """``revisions`` without those below another one of them."""
        return self.revision_map.filter_heads(revisions, include_dependencies)

    def as_revision_number(self, id_: str | None) -> str | tuple[str, ...] | None:
        """The full revision id an argument names (``heads``: a tuple of ids; ``base``: None)."""
        revs = self.get_revisions(id_)
        if id_ == "heads":
            return tuple(r.revision for r in revs)
        if len(revs) > 1:
            raise paths.multiple_heads_error(str(id_), [r.revision for r in revs])
        return revs[0].revision if revs else None

    # --- Alembic's programmatic runner (EnvironmentContext(fn=...) + run_env()) ---------------
    def run_env(self) -> None:
        """Run this directory's env.py inside the EnvironmentContext the caller has entered:
        ``with EnvironmentContext(cfg, script, fn=...): script.run_env()``."""
        from mig_core.runtime.environment import exec_env_py

        exec_env_py(self.env_py_location)

    def _upgrade_revs(self, destination: str, current_rev: str | Sequence[str] | None
                      ) -> list[Any]:
        """The steps that upgrade ``current_rev`` (the heads ``fn`` receives) to
        ``destination``, for an EnvironmentContext's ``fn``."""
        from mig_core.runtime.steps import plan_revisions

        heads = _heads_tuple(current_rev)
        return plan_revisions(self.upgrade_revisions(destination, heads), is_upgrade=True)

    def _downgrade_revs(self, destination: str, current_rev: str | Sequence[str] | None
                        ) -> list[Any]:
        """The steps that downgrade ``current_rev`` to ``destination`` (newest first)."""
        from mig_core.runtime.steps import plan_revisions

        heads = _heads_tuple(current_rev)
        return plan_revisions(self.downgrade_revisions(destination, heads), is_upgrade=False)

    def _stamp_revs(self, revision: str | Sequence[str], heads: str | Sequence[str] | None
                    ) -> list[Any]:
        """The stamp steps that move the version table from ``heads`` to ``revision``."""
        from mig_core.runtime.steps import plan_stamp

        wanted = [revision] if isinstance(revision, str) else list(revision)
        return plan_stamp(self, wanted, _heads_tuple(heads))

    # --- writing -------------------------------------------------------------------------------
    def generate_revision(
        self,
        rev_id: str | None,
        message: str | None,
        head: str | Sequence[str] | None = "head",
        splice: bool = False,
        branch_labels: str | Sequence[str] | None = None,
        version_path: str | None = None,
        depends_on: str | Sequence[str] | None = None,
        **template_args: Any,
    ) -> Script:
        """Render ``script.py.mako`` into a new revision file and return its :class:`Script`."""
        from mig_core.script.generate import generate_revision

        return generate_revision(
            self, rev_id, message, head=head, splice=splice, branch_labels=branch_labels,
            version_path=version_path, depends_on=depends_on, **template_args,
        )

    def script_for_file(self, path: str) -> Script:
        """A :class:`Script` for one (new) file, read from its header."""
        return Script(read_header(path))

    def check_rev_id(self, rev_id: str) -> None:
        try:
            check_revision_id(rev_id)
        except Exception as exc:
            raise RevisionArgumentError(str(exc)) from None


def _heads_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def resolve_location(config: Config, key: str, value: str) -> str:
    """A folder from config: a path (relative to the working directory, else to the config
    file's folder), or ``package:resource``."""
    value = os.path.expanduser(value.strip())
    if ":" in value and not os.path.isabs(value) and not _is_drive(value):
        package, _, resource = value.partition(":")
        import importlib.util

        try:
            spec = importlib.util.find_spec(package)
        except (ImportError, ValueError):
            spec = None
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError(f"{config._where()}: {key} {value!r}: package {package!r} not found")
        base = list(spec.submodule_search_locations)[0]
        return os.path.abspath(os.path.join(base, *resource.split("/")))
    if os.path.isabs(value):
        return os.path.normpath(value)
    if os.path.exists(value):
        return os.path.abspath(value)
    return os.path.abspath(os.path.join(config.config_dir, value))


def _is_drive(value: str) -> bool:
    return len(value) > 2 and value[1] == ":" and value[0].isalpha() and value[2] in "\\/"
