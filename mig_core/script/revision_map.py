"""The revision graph: nodes, validation with one-line errors, topological order, lookups.

Edges: ``down_revision`` (parent) and ``depends_on`` (orders like a parent, but does not merge
branches, so it never makes a revision a non-head nor a merge point). Everything is computed once,
in linear time: children, dependents, a topological order (parents and dependencies first,
branches kept contiguous), heads, bases and the branch labels each revision carries.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from mig_core.errors import ResolutionError, RevisionGraphError


class CycleDetected(RevisionGraphError):
    """The ``down_revision`` edges form a cycle (Alembic's name)."""


class DependencyCycleDetected(CycleDetected):
    """A cycle that goes through a ``depends_on`` edge (Alembic's name)."""


class LoopDetected(CycleDetected):
    """A revision names itself as its ``down_revision`` (Alembic's name)."""


class DependencyLoopDetected(DependencyCycleDetected, LoopDetected):
    """A revision names itself in ``depends_on`` (Alembic's name)."""


#: characters a revision id cannot contain (they are the revision-argument grammar's operators)
FORBIDDEN_ID_CHARS = "@-+:"
#: characters a branch label cannot contain
FORBIDDEN_LABEL_CHARS = "@:"
RESERVED = frozenset({"head", "heads", "base", "current"})


class Revision:
    """One node of the graph. :class:`~mig_core.script.directory.Script` adds the file side.

    ``down_revisions`` and ``depends_on`` are tuples of what is written; ``dependencies`` is
    ``depends_on`` as written (None, a name or a tuple, Alembic's attribute);
    ``_resolved_dependencies`` are ``depends_on`` resolved to revision ids (labels and unique
    prefixes allowed there). ``branch_labels`` are
    the labels the revision carries, its own plus inherited ones; ``declared_branch_labels``
    only its own. ``nextrev`` / ``dependents`` are filled in by :class:`RevisionMap`.
    """

    __slots__ = (
        "revision", "down_revisions", "depends_on", "_resolved_dependencies",
        "declared_branch_labels", "_branch_labels",
        "_branch_labels_set", "nextrev", "dependents", "path", "line", "down_line",
        "depends_line", "order",
    )

    def __init__(
        self,
        revision: str,
        down_revisions: Sequence[str] | str | None = (),
        branch_labels: Sequence[str] | str | None = (),
        depends_on: Sequence[str] | str | None = (),
        path: str | None = None,
        line: int = 0,
        down_line: int = 0,
        depends_line: int = 0,
    ) -> None:
        self.revision = revision
        self.down_revisions = _tuple(down_revisions)
        self.depends_on = _tuple(depends_on)
        self.declared_branch_labels = frozenset(_tuple(branch_labels))
        self._branch_labels: frozenset[str] = self.declared_branch_labels
        self._branch_labels_set: set[str] | None = None
        self._resolved_dependencies: tuple[str, ...] = ()
        self.nextrev: frozenset[str] = frozenset()
        self.dependents: frozenset[str] = frozenset()
        self.path = path
        self.line = line
        self.down_line = down_line
        self.depends_line = depends_line
        self.order = -1

    # Alembic-compatible views ------------------------------------------------------------------
    @property
    def down_revision(self) -> str | tuple[str, ...] | None:
        """``None``, one id, or a tuple of ids (a merge point), as a revision file writes it."""
        if not self.down_revisions:
            return None
        return self.down_revisions[0] if len(self.down_revisions) == 1 else self.down_revisions

    @property
    def dependencies(self) -> str | tuple[str, ...] | None:
        """``depends_on`` as a revision file writes it: None, one name, or a tuple."""
        if not self.depends_on:
            return None
        return self.depends_on[0] if len(self.depends_on) == 1 else self.depends_on

    @property
    def branch_labels(self) -> set[str]:
        """The labels this revision carries (its own and inherited), as a set (Alembic's
        type; changing it does not change the graph)."""
        labels = self._branch_labels_set
        if labels is None:
            labels = self._branch_labels_set = set(self._branch_labels)
        return labels

    @property
    def _all_down_revisions(self) -> tuple[str, ...]:
        """Down revisions, then resolved dependencies."""
        return self.down_revisions + self._resolved_dependencies

    @property
    def _versioned_down_revisions(self) -> tuple[str, ...]:
        return self.down_revisions

    @property
    def _normalized_down_revisions(self) -> tuple[str, ...]:
        """What a step reports as its down revisions: parents, then resolved dependencies."""
        return self.down_revisions + self._resolved_dependencies

    @property
    def is_head(self) -> bool:
        """No revision has this one as its down_revision."""
        return not self.nextrev

    @property
    def is_base(self) -> bool:
        return not self.down_revisions

    @property
    def is_branch_point(self) -> bool:
        return len(self.nextrev) > 1

    @property
    def is_merge_point(self) -> bool:
        return len(self.down_revisions) > 1

    def where(self, line: int = 0) -> str:
        """``path:line`` (or ``revision <id>``) for error messages."""
        if self.path is None:
            return f"revision {self.revision}"
        return f"{self.path}:{line}" if line else self.path

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.revision!r})"


def _tuple(value: Sequence[str] | str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(dict.fromkeys(value))


def check_revision_id(rev: str, where: str = "") -> None:
    """Reject ids the revision-argument grammar could not address."""
    if (
        "@" not in rev and "-" not in rev and "+" not in rev and ":" not in rev
        and rev not in RESERVED and rev.strip() == rev and rev
    ):
        return
    bad = sorted({c for c in rev if c in FORBIDDEN_ID_CHARS})
    prefix = f"{where}: " if where else ""
    if bad:
        raise RevisionGraphError(
            f"{prefix}revision id {rev!r} contains {' '.join(repr(c) for c in bad)}; the "
            "characters @ - + : are not allowed in revision ids"
        )
    if rev in RESERVED or not rev.strip() or rev != rev.strip():
        raise RevisionGraphError(f"{prefix}{rev!r} cannot be a revision id (reserved or blank)")


class RevisionMap:
    """A validated revision graph. Construction raises :class:`RevisionGraphError` on:

    bad ids, the same id in two files, a branch label used twice (or equal to an id), a
    ``down_revision`` / ``depends_on`` naming nothing, self-loops and cycles.
    """

    def __init__(self, revisions: Iterable[Revision]) -> None:
        self.by_id: dict[str, Revision] = {}
        self.labels: dict[str, Revision] = {}
        for rev in revisions:
            check_revision_id(rev.revision, rev.where(rev.line))
            other = self.by_id.get(rev.revision)
            if other is not None:
                raise RevisionGraphError(
                    f"revision id {rev.revision!r} is defined twice: {other.where(other.line)} "
                    f"and {rev.where(rev.line)}"
                )
            self.by_id[rev.revision] = rev
        self._check_labels()
        self._link()
        self.order: list[Revision] = self._toposort()
        for i, rev in enumerate(self.order):
            rev.order = i
        self._propagate_labels()
        # in the order the files were read (version_locations in order, each folder's files by
        # name), as Alembic lists heads: `heads`, `get_heads()`, get_head_revisions()
        self.heads: tuple[str, ...] = tuple(
            r.revision for r in self.by_id.values() if not r.nextrev
        )
        self.bases: tuple[str, ...] = tuple(r.revision for r in self.order if not r.down_revisions)

    # --- construction ------------------------------------------------------------------------
    def _check_labels(self) -> None:
        for rev in self.by_id.values():
            if not rev.declared_branch_labels:
                continue
            for label in sorted(rev.declared_branch_labels):
                bad = sorted({c for c in label if c in FORBIDDEN_LABEL_CHARS})
                if bad or label in RESERVED or not label.strip():
                    raise RevisionGraphError(
                        f"{rev.where(rev.line)}: branch label {label!r} of revision "
                        f"{rev.revision} is not allowed (reserved word, blank, or contains @ or :)"
                    )
                other = self.labels.get(label)
                if other is not None:
                    raise RevisionGraphError(
                        f"branch label {label!r} is used twice: revision {other.revision} "
                        f"({other.where()}) and revision {rev.revision} ({rev.where()})"
                    )
                if label in self.by_id and self.by_id[label] is not rev:
                    raise RevisionGraphError(
                        f"{rev.where()}: branch label {label!r} of revision {rev.revision} is "
                        f"also a revision id ({self.by_id[label].where()})"
                    )
                self.labels[label] = rev

    def _link(self) -> None:
        children: dict[str, list[str]] = {}
        dependents: dict[str, list[str]] = {}
        for rev in self.by_id.values():
            for parent in rev.down_revisions:
                if parent == rev.revision:
                    raise LoopDetected(
                        f"{rev.where(rev.down_line)}: revision {rev.revision} names itself as "
                        "its down_revision (self-loop)"
                    )
                if parent not in self.by_id:
                    raise RevisionGraphError(
                        f"{rev.where(rev.down_line)}: down_revision of {rev.revision} names "
                        f"{parent!r}, but no revision file defines it"
                    )
                children.setdefault(parent, []).append(rev.revision)
            deps: list[str] = []
            for name in rev.depends_on:
                target = self._dependency_target(rev, name)
                if target == rev.revision:
                    raise DependencyLoopDetected(
                        f"{rev.where(rev.depends_line)}: revision {rev.revision} depends on "
                        "itself (self-loop)"
                    )
                if target not in rev.down_revisions and target not in deps:
                    deps.append(target)
                    dependents.setdefault(target, []).append(rev.revision)
            rev._resolved_dependencies = tuple(deps)
        for rev_id, kids in children.items():
            self.by_id[rev_id].nextrev = frozenset(kids)
        for rev_id, kids in dependents.items():
            self.by_id[rev_id].dependents = frozenset(kids)

    def _dependency_target(self, rev: Revision, name: str) -> str:
        if name in self.by_id:
            return name
        if name in self.labels:
            return self.labels[name].revision
        matches = [r for r in self.by_id if r.startswith(name)] if name else []
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise RevisionGraphError(
                f"{rev.where(rev.depends_line)}: depends_on of {rev.revision} names {name!r}, "
                f"which matches several revisions: {', '.join(sorted(matches)[:10])}"
            )
        raise RevisionGraphError(
            f"{rev.where(rev.depends_line)}: depends_on of {rev.revision} names {name!r}, which "
            "is neither a revision id nor a branch label"
        )

    def _toposort(self) -> list[Revision]:
        """Kahn's algorithm with a stack, so a branch is emitted before its sibling starts."""
        by_id = self.by_id
        pending = {r.revision: len(r.down_revisions) + len(r._resolved_dependencies) for r in by_id.values()}
        stack = sorted((r for r, n in pending.items() if n == 0), reverse=True)
        order: list[Revision] = []
        append, pop, push = order.append, stack.pop, stack.append
        while stack:
            rev = by_id[pop()]
            append(rev)
            children = (*rev.nextrev, *rev.dependents) if rev.dependents else rev.nextrev
            if len(children) == 1:  # the common case: a chain
                (child,) = children
                left = pending[child] - 1
                pending[child] = left
                if not left:
                    push(child)
                continue
            ready = []
            for child in children:
                left = pending[child] - 1
                pending[child] = left
                if not left:
                    ready.append(child)
            if ready:
                ready.sort(reverse=True)
                stack.extend(ready)
        if len(order) != len(by_id):
            message, through_dependency = self._describe_cycle(
                {r for r, n in pending.items() if n}
            )
            raise (DependencyCycleDetected if through_dependency else CycleDetected)(message)
        return order

    def _describe_cycle(self, stuck: set[str]) -> tuple[str, bool]:
        """Name one cycle among revisions that never became ready; and whether it goes
        through a ``depends_on`` edge."""
        start = min(stuck)
        path: list[str] = []
        index: dict[str, int] = {}
        kinds: list[str] = []
        node = start
        while node not in index:
            index[node] = len(path)
            path.append(node)
            rev = self.by_id[node]
            nxt = next((p for p in sorted(rev.down_revisions) if p in stuck), None)
            kind = "down_revision"
            if nxt is None:
                nxt = next(p for p in sorted(rev._resolved_dependencies) if p in stuck)
                kind = "depends_on"
            kinds.append(kind)
            node = nxt
        cycle = path[index[node]:] + [node]
        steps = " -> ".join(
            f"{r} ({kinds[index[r]]})" if kinds[index[r]] == "depends_on" else r
            for r in cycle[:-1]
        )
        files = ", ".join(self.by_id[r].where() for r in cycle[:-1])
        through_dependency = any(kinds[index[r]] == "depends_on" for r in cycle[:-1])
        return (
            f"cycle in the revision graph: {steps} -> {cycle[-1]} (each revises the next; "
            f"files: {files})"
        ), through_dependency

    def _propagate_labels(self) -> None:
        """A label covers its revision, its descendants, and, when those form one line (no
        branch point, no merge point), its ancestors back to the previous branch point or
        merge point, as Alembic's labels do (its walk up starts from the last descendant)."""
        if not self.labels:
            return  # every revision keeps its (empty) declared labels
        by_id = self.by_id
        for rev in self.order:
            inherited = [by_id[p]._branch_labels for p in rev.down_revisions]
            inherited = [s for s in inherited if s]
            if not inherited:
                rev._branch_labels = rev.declared_branch_labels
            elif len(inherited) == 1 and not rev.declared_branch_labels:
                rev._branch_labels = inherited[0]
            else:
                rev._branch_labels = rev.declared_branch_labels.union(*inherited)
        for label, owner in self.labels.items():
            if not self._one_line_below(owner):
                continue
            node = owner
            while len(node.down_revisions) == 1:
                parent = by_id[node.down_revisions[0]]
                if len(parent.nextrev) > 1 or len(parent.down_revisions) > 1:
                    break
                parent._branch_labels = parent._branch_labels | {label}
                node = parent

    def _one_line_below(self, rev: Revision) -> bool:
        """Whether ``rev`` and its descendants form one line: none branches, none merges."""
        while rev.nextrev:
            if len(rev.nextrev) > 1:
                return False
            rev = self.by_id[next(iter(rev.nextrev))]
            if len(rev.down_revisions) > 1:
                return False
        return True

    # --- lookups -----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.by_id)

    def __contains__(self, rev_id: object) -> bool:
        return rev_id in self.by_id

    def __getitem__(self, rev_id: str) -> Revision:
        return self.by_id[rev_id]

    def lookup(self, name: str) -> Revision:
        """A revision by exact id, branch label, or unique id prefix."""
        rev = self.by_id.get(name)
        if rev is not None:
            return rev
        rev = self.labels.get(name)
        if rev is not None:
            return rev
        matches = sorted(r for r in self.by_id if r.startswith(name)) if name else []
        if len(matches) == 1:
            return self.by_id[matches[0]]
        if matches:
            shown = ", ".join(f"{m} ({self.by_id[m].where()})" for m in matches[:10])
            more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
            raise ResolutionError(
                f"ambiguous revision {name!r}: it is the start of {len(matches)} revision ids: "
                f"{shown}{more}; give more characters",
                argument=name,
            )
        hint = "" if len(self) else " (there are no revision files yet)"
        raise ResolutionError(f"no revision or branch label {name!r}{hint}", argument=name)

    # Alembic's RevisionMap lookups (the node objects are the ScriptDirectory's Scripts) ----
    def get_revision(self, id_: str | None) -> Revision | None:
        """The revision an argument names (id, prefix, label, ``head`` ...); None for base."""
        from mig_core.script import paths

        revs = paths.resolve(self, id_)
        if len(revs) > 1:
            raise paths.multiple_heads_error(str(id_), [r.revision for r in revs])
        return revs[0] if revs else None

    def get_revisions(self, id_: str | Sequence[str] | None) -> tuple[Revision, ...]:
        """The revisions an argument (or a sequence of them) names; () for base / None."""
        from mig_core.script import paths

        return paths.resolve(self, id_)

    def iterate_revisions(
        self, upper: str | Sequence[str] | None, lower: str | Sequence[str] | None,
        inclusive: bool = False, implicit_base: bool = False, **_alembic_kw: object,
    ) -> Iterator[Revision]:
        """Ancestors of ``upper`` that descend from ``lower``, newest first (``lower`` itself
        with ``inclusive``; ``base``: every ancestor of ``upper``; ``implicit_base``: those
        not below ``lower``, wherever ``lower`` is)."""
        from mig_core.script import paths

        yield from paths.iterate_revisions(
            self, upper, lower, inclusive=inclusive, implicit_base=implicit_base
        )

    def get_current_head(self, branch_label: str | None = None) -> str | None:
        """The single head (of ``branch_label`` when given); several is :class:`MultipleHeads`."""
        from mig_core.script import paths

        heads = self.get_revisions(f"{branch_label}@heads" if branch_label else "heads")
        if len(heads) > 1:
            raise paths.multiple_heads_error(
                f"{branch_label}@head" if branch_label else "head", [r.revision for r in heads]
            )
        return heads[0].revision if heads else None

    def real_heads(self) -> tuple[str, ...]:
        """Heads counting ``depends_on`` as an edge too (``heads --resolve-dependencies``)."""
        return tuple(
            r.revision for r in self.by_id.values() if not r.nextrev and not r.dependents
        )  # file order, as heads

    def ancestors(
        self, revs: Iterable[str], include_dependencies: bool = True, inclusive: bool = True
    ) -> set[str]:
        """Every revision reachable downwards from ``revs`` (with them when ``inclusive``)."""
        by_id = self.by_id
        start = list(revs)
        seen: set[str] = set(start) if inclusive else set()
        todo = start
        while todo:
            rev = by_id[todo.pop()]
            edges = (*rev.down_revisions, *rev._resolved_dependencies) if include_dependencies else (
                rev.down_revisions
            )
            for p in edges:
                if p not in seen:
                    seen.add(p)
                    todo.append(p)
        return seen

    def descendants(
        self, revs: Iterable[str], include_dependencies: bool = True, inclusive: bool = True
    ) -> set[str]:
        """Every revision reachable upwards from ``revs`` (with them when ``inclusive``)."""
        by_id = self.by_id
        start = list(revs)
        seen: set[str] = set(start) if inclusive else set()
        todo = start
        while todo:
            rev = by_id[todo.pop()]
            edges = (*rev.nextrev, *rev.dependents) if include_dependencies else rev.nextrev
            for c in edges:
                if c not in seen:
                    seen.add(c)
                    todo.append(c)
        return seen

    def sorted(self, revs: Iterable[str], newest_first: bool = False) -> list[Revision]:
        """``revs`` in topological order (oldest first), or reversed."""
        nodes = sorted((self.by_id[r] for r in revs), key=_order_key, reverse=newest_first)
        return nodes

    def filter_heads(self, revs: Iterable[str], include_dependencies: bool = False) -> tuple[str, ...]:
        """``revs`` without those that are ancestors of another one (topological order)."""
        revs = list(dict.fromkeys(revs))
        below = self.ancestors(revs, include_dependencies=include_dependencies, inclusive=False)
        return tuple(r.revision for r in self.sorted(r for r in revs if r not in below))


def _order_key(rev: Revision) -> int:
    return rev.order
