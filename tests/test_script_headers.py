"""Reading revision markers without importing, the ast / import fallbacks, and the header cache."""

from __future__ import annotations

import os
import py_compile
import textwrap

import pytest

from mig_core.errors import RevisionGraphError
from mig_core.script import headers
from mig_core.script.headers import HeaderCache, read_header, scan_header, scan_location

ALEMBIC_STYLE = '''\
"""create account table

Revision ID: 1975ea83b712
Revises:
Create Date: 2011-11-08 11:40:27.089406

"""
from typing import Sequence, Union

from mig_core import op
import sqlalchemy as sa

# revision identifiers, used by mig.
revision: str = '1975ea83b712'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = ('main',)
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table("account")


def downgrade() -> None:
    op.drop_table("account")
'''


def write(tmp_path, name, text):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text) if not text.startswith('"""') else text)
    return str(path)


def test_fast_scan_of_a_normal_file(tmp_path):
    path = write(tmp_path, "a.py", ALEMBIC_STYLE)
    h = scan_header(path, ALEMBIC_STYLE)
    assert (h.revision, h.down_revisions, h.branch_labels, h.depends_on) == (
        "1975ea83b712", (), ("main",), ())
    assert h.doc == "create account table"
    assert h.create_date == "2011-11-08 11:40:27.089406"
    assert (h.line, h.down_line) == (14, 15)
    assert h.cacheable


@pytest.mark.parametrize(
    "body, expected",
    [
        ('revision = "b2"\ndown_revision = "a1"\n', ("b2", ("a1",), (), ())),
        ("revision = 'm3'\ndown_revision = ('a1',\n    'b2',  # it's 'x'\n)\n",
         ("m3", ("a1", "b2"), (), ())),
        ("revision = 'c4'\ndown_revision = 'b2'\nbranch_labels = ['x', 'y']\ndepends_on = 'z9'\n",
         ("c4", ("b2",), ("x", "y"), ("z9",))),
        ("revision = 'd5'  # id\ndown_revision = ()\ndepends_on = ('a', 'b',)\n",
         ("d5", (), (), ("a", "b"))),
    ],
)
def test_fast_scan_literals(tmp_path, body, expected):
    h = scan_header("x.py", body)
    assert (h.revision, h.down_revisions, h.branch_labels, h.depends_on) == expected


@pytest.mark.parametrize(
    "text",
    [
        # marker after a def
        "def upgrade():\n    pass\nrevision = 'a1'\ndown_revision = None\n",
        # written twice (the last one counts)
        "revision = 'zz'\nrevision = 'a1'\ndown_revision = None\n",
        # a prefixed string
        "revision = r'a1'\ndown_revision = None\n",
        # escaped quote
        "revision = 'a1'\ndown_revision = None\nbranch_labels = 'it\\'s'\n",
        # concatenation
        "revision = 'a' '1'\ndown_revision = None\n",
        # triple-quoted string in the header region
        "X = '''\nrevision = 'fake'\n'''\nrevision = 'a1'\ndown_revision = None\n",
    ],
)
def test_scan_defers_to_ast_when_unsure(tmp_path, text):
    with pytest.raises(headers._NeedsAst):
        scan_header("x.py", text)
    path = write(tmp_path, "x.py", text)
    assert read_header(path).revision == "a1"


def test_docstring_and_sql_strings_do_not_fool_the_scan(tmp_path):
    text = '''"""message

revision = 'fake'
"""
revision = "real1"
down_revision = None


def upgrade():
    op.execute("""
revision = 'also fake'
""")
'''
    path = write(tmp_path, "x.py", text)
    h = read_header(path)
    assert h.revision == "real1" and h.doc == "message"


def test_non_literal_marker_imports_the_module(tmp_path):
    path = write(tmp_path, "x.py", """\
        BASE = "a1"
        revision = "b2"
        down_revision = BASE
        depends_on = tuple(["c3"])
        """)
    h = read_header(path)
    assert (h.revision, h.down_revisions, h.depends_on) == ("b2", ("a1",), ("c3",))
    assert not h.cacheable


def test_marker_set_in_if_block_imports_the_module(tmp_path):
    path = write(tmp_path, "x.py", """\
        import sys
        if sys:
            revision = "b2"
            down_revision = None
        """)
    assert read_header(path).revision == "b2"


@pytest.mark.parametrize(
    "text, message",
    [
        ("revision = 'a1'\ndown_revision = ('b',\n", "x.py:2: revision file cannot be parsed"),
        ("down_revision = None\n", "x.py: no module-level 'revision = \"...\"' marker"),
        ("revision = 'a1'\n", "x.py: no module-level 'down_revision' marker"),
        ("revision = 5\ndown_revision = None\n", "x.py:1: revision must be a non-empty string"),
        ("revision = 'a'\ndown_revision = 7\n", "x.py:2: down_revision must be None, a string"),
        ("import nope_not_a_module\nrevision = 'a'\ndown_revision = X\n",
         "x.py:1: importing the revision file failed: ModuleNotFoundError"),
    ],
)
def test_unreadable_files(tmp_path, text, message):
    path = write(tmp_path, "x.py", text)
    with pytest.raises(RevisionGraphError) as err:
        read_header(path)
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(tmp_path) in str(err.value)


def test_not_utf8(tmp_path):
    path = tmp_path / "x.py"
    path.write_bytes(b"revision = 'a'\ndown_revision = '\xff'\n")
    with pytest.raises(RevisionGraphError, match=r"x.py:2: revision file is not valid UTF-8"):
        read_header(str(path))


def _old(path):
    st = os.stat(path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 10_000_000_000))


@pytest.fixture(autouse=True)
def _caches(caches_written):
    """Every test here is about the header cache: written whatever the environment says."""


def test_cache_is_used_and_refreshed(tmp_path, monkeypatch):
    a = write(tmp_path, "a1_x.py", "revision = 'a1'\ndown_revision = None\n")
    b = write(tmp_path, "b2_x.py", "revision = 'b2'\ndown_revision = 'a1'\n")
    _old(a), _old(b)
    first = scan_location(str(tmp_path))
    assert [h.revision for h in first] == ["a1", "b2"]
    assert os.path.exists(HeaderCache(str(tmp_path)).path)

    calls = []
    real = headers.read_header
    monkeypatch.setattr(headers, "read_header", lambda p, *a: calls.append(p) or real(p, *a))
    again = scan_location(str(tmp_path))
    assert [h.revision for h in again] == ["a1", "b2"] and calls == []
    assert again[1].down_revisions == ("a1",) and again[1].path == b

    # a changed file is read again; a removed one is dropped from the cache
    with open(b, "w") as f:
        f.write("revision = 'b2'\ndown_revision = None  # now a base\n")
    _old(b)
    os.unlink(a)
    third = scan_location(str(tmp_path))
    assert calls == [b] and [h.down_revisions for h in third] == [()]
    assert set(HeaderCache(str(tmp_path)).entries) == {"b2_x.py"}


def test_fresh_files_are_not_cached(tmp_path):
    write(tmp_path, "a1.py", "revision = 'a1'\ndown_revision = None\n")
    scan_location(str(tmp_path))
    assert HeaderCache(str(tmp_path)).entries == {}


def test_bad_or_unwritable_cache_is_ignored(tmp_path):
    a = write(tmp_path, "a1.py", "revision = 'a1'\ndown_revision = None\n")
    _old(a)
    cache = HeaderCache(str(tmp_path))
    os.makedirs(os.path.dirname(cache.path))
    with open(cache.path, "wb") as f:
        f.write(b"\x00garbage")
    assert [h.revision for h in scan_location(str(tmp_path))] == ["a1"]
    # __pycache__ is a file: the cache cannot be written, scanning still works
    other = tmp_path / "other"
    other.mkdir()
    write(other, "b2.py", "revision = 'b2'\ndown_revision = None\n")
    _old(str(other / "b2.py"))
    (other / "__pycache__").write_text("not a folder")
    assert [h.revision for h in scan_location(str(other))] == ["b2"]


def test_which_files_count(tmp_path):
    write(tmp_path, "a1.py", "revision = 'a1'\ndown_revision = None\n")
    write(tmp_path, "__init__.py", "")
    write(tmp_path, ".#a1.py", "garbage(")
    write(tmp_path, "notes.txt", "revision = 'zz'")
    write(tmp_path, "sub/b2.py", "revision = 'b2'\ndown_revision = 'a1'\n")
    assert [h.revision for h in scan_location(str(tmp_path))] == ["a1"]
    assert [h.revision for h in scan_location(str(tmp_path), recursive=True)] == ["a1", "b2"]
    assert scan_location(str(tmp_path / "missing")) == []


def test_sourceless(tmp_path):
    src = write(tmp_path, "a1.py", "revision = 'a1'\ndown_revision = None\n")
    py_compile.compile(src, cfile=str(tmp_path / "a1.pyc"))
    os.unlink(src)
    assert scan_location(str(tmp_path)) == []
    found = scan_location(str(tmp_path), sourceless=True)
    assert [h.revision for h in found] == ["a1"] and found[0].path.endswith("a1.pyc")
