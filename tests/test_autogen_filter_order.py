"""The order in which a table's indexes and constraints are offered to include_name /
include_object is the same in every process (the model keeps them in sets, whose order
follows object ids and string hashes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = r'''
import json, sys
import sqlalchemy as sa
from mig_core.autogenerate.api import compare_metadata
from mig_core.runtime.migration import MigrationContext

def model(db):
    md = sa.MetaData()
    for t in range(3):
        cols = [sa.Column("id", sa.Integer, primary_key=True)]
        cols += [sa.Column(f"c{i}", sa.Integer) for i in range(8)]
        if t:
            cols.append(sa.Column("parent_id", sa.Integer, sa.ForeignKey(f"t{t - 1}.id")))
        table = sa.Table(f"t{t}", md, *cols,
                         *[sa.UniqueConstraint(f"c{i}", name=f"uq_t{t}_{i}")
                           for i in (7, 2, 5, 0)])
        for i in (3, 6, 1, 4) if db else (4, 1, 6, 3, 2):
            sa.Index(f"ix_t{t}_{i}_{'x' * i}", table.c[f"c{i}"])
    return md

calls = []

def include_name(name, type_, parents):
    calls.append(["name", str(name), type_])
    return True

def include_object(obj, name, type_, reflected, compare_to):
    calls.append(["object", str(name), type_, reflected])
    return True

engine = sa.create_engine(sys.argv[1])
model(True).create_all(engine)
with engine.connect() as conn:
    ctx = MigrationContext.configure(connection=conn, opts={
        "include_name": include_name, "include_object": include_object})
    diffs = compare_metadata(ctx, model(False))
print(json.dumps([calls, repr(diffs)]))
'''


def _calls(tmp_path: Path, seed: str) -> list:
    url = f"sqlite:///{tmp_path / f'seed{seed}.db'}"
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run([sys.executable, "-c", SCRIPT, url], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_filter_call_order_is_the_same_in_every_process(tmp_path):
    first, second = _calls(tmp_path, "1"), _calls(tmp_path, "2")
    indexes = [c[1] for c in first[0] if c[0] == "name" and c[2] == "index"]
    assert len(indexes) == 3 * 5  # each table's index names (one both sides have: once)
    assert first == second


def test_each_include_name_call_gets_its_own_parent_names(sqlite_url):
    import sqlalchemy as sa

    from tests.autogen_helpers import diffs, setup

    def model(md: sa.MetaData, width: int) -> sa.MetaData:
        table = sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
                         sa.Column("a", sa.String(width)), sa.Column("b", sa.Integer),
                         sa.UniqueConstraint("b", name="uq_t_b"))
        sa.Index("ix_t_a", table.c.a)
        return md

    engine = sa.create_engine(sqlite_url)
    setup(engine, model(sa.MetaData(), 10))
    seen = []

    def include_name(name, type_, parents):  # a filter that changes the dict it is given
        seen.append((type_, str(name), dict(parents)))
        parents["table_name"] = "changed"
        return True

    diffs(engine, model(sa.MetaData(), 20), include_name=include_name)
    engine.dispose()
    offered = [(type_, name) for type_, name, parents in seen if type_ != "schema"]
    assert ("column", "a") in offered and ("index", "ix_t_a") in offered
    assert ("unique_constraint", "uq_t_b") in offered
    for type_, name, parents in seen:
        if type_ not in ("schema", "table"):
            assert parents == {"table_name": "t", "schema_name": None,
                               "schema_qualified_table_name": "t"}, (type_, name)
