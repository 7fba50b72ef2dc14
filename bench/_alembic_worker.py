"""Alembic's side of bench/autogenerate.py; runs ONLY in bench/.venv-alembic, in a subprocess.

``python _alembic_worker.py compare URL TABLES DIFFER REPEAT [filters]`` prints the compare times
as JSON pairs ``[wall seconds, CPU seconds]`` (``filters``: with the model's typical
``include_name`` and ``include_object``).
"""

from __future__ import annotations

import json
import sys
import time

import sqlalchemy as sa

sys.path.insert(0, __file__.rsplit("/", 1)[0])
import _autogen_model  # noqa: E402


def compare(url: str, tables: int, differ: int, repeat: int,
            filters: bool = False) -> list[tuple[float, float]]:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    md = _autogen_model.build(tables, differ_every=differ)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    times = []
    for _ in range(repeat + 1):  # the first run (imports, caches) is not counted
        with engine.connect() as conn:
            start, cpu = time.perf_counter(), time.process_time()
            ctx = MigrationContext.configure(
                conn, opts=dict(_autogen_model.FILTERS) if filters else {}
            )
            compare_metadata(ctx, md)
            times.append((time.perf_counter() - start, time.process_time() - cpu))
    engine.dispose()
    return times[1:]


if __name__ == "__main__":
    _, _cmd, url, tables, differ, repeat, *rest = sys.argv
    print(json.dumps(compare(url, int(tables), int(differ), int(repeat), rest == ["filters"])))
