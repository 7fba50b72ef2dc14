"""Creating a revision file: choosing parents and folder, rendering, post-write hooks, checks."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mig_core.errors import (
    CommandError,
    ConfigError,
    MultipleHeads,
    RevisionArgumentError,
    UsageError,
)
from mig_core.script import paths
from mig_core.script.render import (
    file_name,
    new_rev_id,
    now,
    render_template,
    write_file,
)
from mig_core.script.revision_map import FORBIDDEN_LABEL_CHARS, RESERVED

if TYPE_CHECKING:
    from mig_core.script.directory import Script, ScriptDirectory
    from mig_core.script.revision_map import Revision, RevisionMap


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(",") if v.strip())
    return tuple(dict.fromkeys(v for v in value if v))


def _parents(rmap: RevisionMap, head: str | Sequence[str] | None, splice: bool) -> list[Revision]:
    if head is None or head == "base":
        return []
    try:
        parents = list(paths.resolve(rmap, head))
    except RevisionArgumentError as exc:
        if head == "head" and len(rmap.heads) > 1:
            raise MultipleHeads(
                f"there are {len(rmap.heads)} heads ({', '.join(rmap.heads)}); pass --head with "
                "the revision (or <label>@head) to build on, or join them with 'mig merge heads'",
                heads=tuple(rmap.heads), argument=head,
            ) from None
        raise exc
    for parent in parents:
        if not parent.is_head and not splice:
            raise RevisionArgumentError(
                f"revision {parent.revision} is not a head revision; pass --splice to start a new "
                "branch from it"
            )
    return parents


def _dependencies(rmap: RevisionMap, depends_on: str | Sequence[str] | None) -> tuple[str, ...]:
    """Ids for ``depends_on``: labels stay as written, prefixes become full ids."""
    out: list[str] = []
    for name in _as_tuple(depends_on):
        if name in rmap.labels or name in rmap.by_id:
            out.append(name)
            continue
        found = paths.resolve(rmap, name)
        if not found:
            raise RevisionArgumentError(f"--depends-on {name!r} names no revision")
        out.extend(r.revision for r in found)
    return tuple(dict.fromkeys(out))


def _folder(script: ScriptDirectory, parents: list[Revision], version_path: str | None) -> str:
    locations = [os.path.abspath(v) for v in script._version_locations]
    if version_path is not None:
        wanted = os.path.abspath(version_path)
        for loc in locations:
            if wanted == loc or (
                script.recursive_version_locations and wanted.startswith(loc + os.sep)
            ):
                return wanted
        raise UsageError(
            f"--version-path {version_path} is not one of the version_locations "
            f"({', '.join(locations)})"
        )
    if not parents:
        if len(locations) > 1:
            raise UsageError(
                "there are several version_locations; pass --version-path to say where a new "
                f"base revision goes ({', '.join(locations)})"
            )
        return locations[0]
    parent_path = os.path.abspath(parents[0].path or "")
    if "/" in script.file_template:
        for loc in locations:
            if parent_path.startswith(loc + os.sep):
                return loc
    return os.path.dirname(parent_path)


def generate_revision(
    script: ScriptDirectory,
    rev_id: str | None,
    message: str | None,
    head: str | Sequence[str] | None = "head",
    splice: bool = False,
    branch_labels: str | Sequence[str] | None = None,
    version_path: str | None = None,
    depends_on: str | Sequence[str] | None = None,
    **template_args: Any,
) -> Script:
    """See :meth:`ScriptDirectory.generate_revision`."""
    rmap = script.revision_map
    rev_id = rev_id or new_rev_id()
    script.check_rev_id(rev_id)
    if rev_id in rmap:
        raise UsageError(f"revision id {rev_id!r} already exists ({rmap[rev_id].where()})")
    if "/" in rev_id or os.sep in rev_id:
        raise UsageError(f"revision id {rev_id!r} contains a path separator; it names the file")
    labels = _as_tuple(branch_labels)
    for label in labels:
        if set(label) & set(FORBIDDEN_LABEL_CHARS) or label in RESERVED:
            raise UsageError(
                f"branch label {label!r} is not allowed (a reserved word, or contains @ or :)"
            )
        if label in rmap.labels:
            raise UsageError(
                f"branch label {label!r} is already used by revision {rmap.labels[label].revision}"
                f" ({rmap.labels[label].where()})"
            )
        if label in rmap.by_id:
            raise UsageError(f"branch label {label!r} is a revision id")
    parents = _parents(rmap, head, splice)
    dependencies = _dependencies(rmap, depends_on)
    folder = _folder(script, parents, version_path)
    created = now(script.timezone)
    relative = file_name(script.file_template, rev_id, message, created, script.truncate_slug_length)
    if os.sep in relative and not script.recursive_version_locations:
        raise ConfigError(
            f"file_template {script.file_template!r} puts revision files in sub-folders; set "
            "recursive_version_locations = true so that they are found"
        )
    path = os.path.join(folder, relative)
    if os.path.exists(path):
        raise UsageError(f"{path} already exists; choose another --rev-id or -m message")
    template = os.path.join(script.dir, "script.py.mako")
    if not os.path.exists(template):
        raise ConfigError(f"{template} not found: the environment has no revision template")
    down = tuple(p.revision for p in parents)
    context: dict[str, Any] = {
        "up_revision": rev_id,
        "down_revision": (down[0] if len(down) == 1 else down) if down else None,
        "branch_labels": labels or None,
        "depends_on": dependencies or None,
        "create_date": created,
        "message": message,
        "config": script.config,
        "imports": "",
        "upgrades": "pass",
        "downgrades": "pass",
    }
    context.update(template_args)
    text = render_template(template, context, cache=True)
    write_file(path, text, script.output_encoding)
    if script.config is not None:  # as Alembic: the file is reported, then its hooks run
        from mig_core.script.write_hooks import run_hooks

        script.config.print_stdout(f"Generating {os.path.abspath(path)} ... done")
        run_hooks(script.config, path)
    written = script.script_for_file(path)
    if written.revision != rev_id or written.down_revisions != down:
        raise CommandError(
            f"{path}: {template} rendered revision {written.revision!r} with down_revision "
            f"{written.down_revision!r}; expected {rev_id!r} and {context['down_revision']!r}"
        )
    if not set(labels) <= written.declared_branch_labels:
        raise CommandError(
            f"{path}: branch labels {', '.join(labels)} were asked for, but {template} does not "
            "render branch_labels; add 'branch_labels = ${repr(branch_labels)}' to it"
        )
    if set(dependencies) - set(written.depends_on):
        raise CommandError(
            f"{path}: depends_on {', '.join(dependencies)} was asked for, but {template} does not "
            "render depends_on; add 'depends_on = ${repr(depends_on)}' to it"
        )
    script.reload()
    return script.revision_map[rev_id]  # type: ignore[return-value]
