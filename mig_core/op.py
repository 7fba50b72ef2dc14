"""``import mig_core.op as op`` (Alembic's ``import alembic.op as op``, which an Airflow revision
uses): this module puts the :data:`mig_core.op` proxy in its own place, so both spellings give
the same object."""

from __future__ import annotations

import sys

from mig_core.proxies import op

sys.modules[__name__] = op  # type: ignore[assignment]
