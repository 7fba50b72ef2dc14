"""The errors mig raises on purpose, each with the exit code the CLI uses for it.

Exit codes (also documented in the README and docs/cli.md):

====  =====================================================================
0     success
1     a migration or command failed (database error, ``check`` found
      differences, database not at head)
2     usage or configuration error (bad option, config file, revision argument)
3     plugin error (a plugin failed to import, is missing, or conflicts)
4     revision graph or revision file error (cycle, missing parent, duplicate id, unparseable file)
5     the run lock could not be taken within ``--lock-timeout``
====  =====================================================================
"""

from __future__ import annotations


class CommandError(Exception):
    """Base of every error mig reports to the user as one line.

    The Alembic-compatible name: code that wraps ``command.*`` calls in
    ``except CommandError`` catches every error below, whatever its exit code.
    """

    exit_code = 1


#: the same class under mig's own name
MigError = CommandError


class UsageError(MigError):
    """Bad command-line usage or a bad argument to a command."""

    exit_code = 2


class ConfigError(UsageError):
    """A missing or malformed configuration file, section or key."""

    exit_code = 2


class RevisionArgumentError(UsageError):
    """A revision argument (``head``, ``ae10+2``, ``label@base`` ...) that cannot be resolved."""

    exit_code = 2


class ResolutionError(RevisionArgumentError):
    """A revision argument that names no revision, or a prefix of several (Alembic's name)."""

    def __init__(self, message: str, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class MultipleHeads(RevisionArgumentError):
    """``head`` (or a step from it) where the graph has several heads (Alembic's name)."""

    def __init__(self, message: str, heads: tuple[str, ...] = (), argument: str | None = None):
        super().__init__(message)
        self.heads = heads
        self.argument = argument


class PluginError(MigError):
    """A plugin failed to load, conflicts with another, or is missing."""

    exit_code = 3


class PluginLoadError(PluginError):
    """A plugin that was asked for, required, or needed could not be imported."""


class NoDialectImplError(PluginError):
    """No plugin implements the dialect the run needs."""


class RevisionGraphError(MigError):
    """The revision files do not form a valid graph, or one cannot be read."""

    exit_code = 4


class LockTimeoutError(MigError):
    """Another process holds the run lock for longer than ``--lock-timeout``."""

    exit_code = 5


class MigrationFailed(CommandError):
    """A revision raised while it ran; the message names the revision, its file and line."""

    exit_code = 1


class MigPluginWarning(UserWarning):
    """A plugin problem that is not fatal (an autoloaded plugin that failed to import)."""


class MigWarning(UserWarning):
    """A non-fatal problem mig reports to the user."""
