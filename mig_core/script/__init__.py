"""Revision files and the revision graph: :class:`ScriptDirectory`, :class:`Script`.

Importing this package is cheap (no SQLAlchemy, no Mako): ``mig heads`` and ``mig history`` only
read file headers.
"""

from __future__ import annotations

from mig_core.script.directory import Script, ScriptDirectory
from mig_core.script.revision_map import Revision, RevisionMap

__all__ = ["Revision", "RevisionMap", "Script", "ScriptDirectory"]
