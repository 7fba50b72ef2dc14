"""``import mig_core.context as context`` (Alembic's ``import alembic.context``): this module
puts the :data:`mig_core.context` proxy in its own place, so both spellings give the same
object."""

from __future__ import annotations

import sys

from mig_core.proxies import context

sys.modules[__name__] = context  # type: ignore[assignment]
