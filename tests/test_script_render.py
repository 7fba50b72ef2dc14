"""File names, slugs, time zones, Mako rendering and post-write hooks."""

from __future__ import annotations

import datetime as dt
import os
import sys

import pytest

from mig_core.config import Config
from mig_core.errors import CommandError, ConfigError
from mig_core.script import write_hooks
from mig_core.script.render import file_name, now, render_template, slugify


@pytest.mark.parametrize(
    "message, length, slug",
    [
        ("Create account table", 40, "create_account_table"),
        ("add: e-mail column (unique!)", 40, "add_e_mail_column_unique"),
        ("", 40, ""),
        (None, 40, ""),
        ("one two three four", 10, "one_two_"),  # cut at 10, back to a word boundary, marked
        ("abcdefghijklmnop", 10, "abcdefghij_"),  # no boundary: cut hard
        ("one two three four", 0, "one_two_three_four"),  # 0: no limit
    ],
)
def test_slugify(message, length, slug):
    assert slugify(message, length) == slug


CREATED = dt.datetime(2024, 1, 5, 7, 8, 9, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    "template, expected",
    [
        ("%(rev)s_%(slug)s", "ab12_add_thing.py"),
        ("%(year)d_%(month).2d_%(day).2d_%(hour).2d%(minute).2d%(second).2d-%(rev)s",
         "2024_01_05_070809-ab12.py"),
        ("%(epoch)s_%(rev)s", f"{int(CREATED.timestamp())}_ab12.py"),
        ("%(year)d/%(month).2d/%(rev)s_%(slug)s", os.path.join("2024", "01", "ab12_add_thing.py")),
    ],
)
def test_file_name(template, expected):
    assert file_name(template, "ab12", "add thing", CREATED) == expected


@pytest.mark.parametrize(
    "template, message",
    [
        ("%(rev)s_%(sluggish)s", "unknown token 'sluggish'"),
        ("%(rev)d", "bad template"),
        ("../%(rev)s", "gives a bad file name"),
    ],
)
def test_file_name_errors(template, message):
    with pytest.raises(ConfigError, match=message):
        file_name(template, "ab12", "m", CREATED)


def test_now_with_timezone():
    assert now(None).tzinfo is None
    assert now("UTC").utcoffset() == dt.timedelta(0)
    assert now("utc").utcoffset() == dt.timedelta(0)  # retried upper-cased
    with pytest.raises(ConfigError, match="can't locate timezone 'Nowhere/Nope'"):
        now("Nowhere/Nope")


def test_render_template_and_errors(tmp_path):
    good = tmp_path / "good.mako"
    good.write_text("${greeting}, ${down | comma,n}!")
    assert render_template(str(good), {"greeting": "hi", "down": ("a", "b")}) == "hi, a, b!"
    bad = tmp_path / "bad.mako"
    bad.write_text("% for x in\n")
    with pytest.raises(CommandError, match=r"bad.mako: template error"):
        render_template(str(bad), {})
    failing = tmp_path / "failing.mako"
    failing.write_text("line one\n${1 / zero}\n")
    with pytest.raises(CommandError) as err:
        render_template(str(failing), {"zero": 0})
    assert "failing.mako:2: rendering failed: ZeroDivisionError" in str(err.value)


# --- post-write hooks ---------------------------------------------------------------------


def ini_config(tmp_path, hooks_section):
    ini = tmp_path / "mig.ini"
    ini.write_text("[mig]\nscript_location = x\n\n[post_write_hooks]\n" + hooks_section)
    cfg = Config(str(ini))
    cfg.quiet = True
    return cfg


@pytest.fixture
def target(tmp_path):
    path = tmp_path / "rev.py"
    path.write_text("x = 1\n")
    return str(path)


def test_exec_hook(tmp_path, target):
    script = tmp_path / "append.py"
    script.write_text("import sys\nopen(sys.argv[2], 'a').write('# by ' + sys.argv[1] + '\\n')\n")
    cfg = ini_config(tmp_path, f"""
hooks = tag
tag.type = exec
tag.executable = {sys.executable}
tag.options = {script} exec-hook REVISION_SCRIPT_FILENAME
""")
    write_hooks.run_hooks(cfg, target)
    assert open(target).read() == "x = 1\n# by exec-hook\n"


def test_module_hook_with_cwd_and_default_filename_position(tmp_path, target):
    hookdir = tmp_path / "hooks"
    hookdir.mkdir()
    (hookdir / "stamp_hook.py").write_text(
        "import sys\nopen(sys.argv[1], 'a').write('# ' + ' '.join(sys.argv[2:]) + '\\n')\n"
    )
    cfg = ini_config(tmp_path, f"""
hooks = stamp, again
stamp.type = module
stamp.module = stamp_hook
stamp.options = --flag value
stamp.cwd = {hookdir}
again.type = module
again.module = stamp_hook
again.cwd = {hookdir}
""")
    write_hooks.run_hooks(cfg, target)
    # the file name comes first when REVISION_SCRIPT_FILENAME is absent; hooks run in order
    assert open(target).read() == "x = 1\n# --flag value\n# \n"


def test_console_scripts_hook(tmp_path, target):
    cfg = ini_config(tmp_path, "hooks = m\nm.type = console_scripts\nm.entrypoint = mako-render\n")
    write_hooks.run_hooks(cfg, target)  # renders the file to stdout; exit 0


def test_toml_hooks(tmp_path, target):
    script = tmp_path / "append.py"
    script.write_text("import sys\nopen(sys.argv[1], 'a').write('# toml\\n')\n")
    toml = tmp_path / "pyproject.toml"
    toml.write_text(
        "[tool.mig]\nscript_location = 'x'\n\n[[tool.mig.post_write_hooks]]\nname = 'one'\n"
        f"type = 'exec'\nexecutable = '{sys.executable}'\noptions = ['{script}', "
        "'REVISION_SCRIPT_FILENAME']\n"
    )
    cfg = Config(toml_file=str(toml))
    cfg.quiet = True
    write_hooks.run_hooks(cfg, target)
    assert open(target).read().endswith("# toml\n")


def test_registered_python_hook(tmp_path, target):
    seen = []

    @write_hooks.register("recorder")
    def recorder(filename, options):
        seen.append((filename, options["extra"]))

    cfg = ini_config(tmp_path, "hooks = r\nr.type = recorder\nr.extra = yes\n")
    write_hooks.run_hooks(cfg, target)
    assert seen == [(target, "yes")]


@pytest.mark.parametrize(
    "section, exc, message",
    [
        ("hooks = a\na.type = exec\n", ConfigError,
         "post_write_hooks: key 'a.executable' is required for hook 'a'"),
        ("hooks = a\na.type = module\n", ConfigError, "key 'a.module' is required for hook 'a'"),
        ("hooks = a\na.type = console_scripts\n", ConfigError,
         "key 'a.entrypoint' is required for hook 'a'"),
        ("hooks = a\na.executable = x\n", ConfigError, "key 'a.type' is required for hook 'a'"),
        ("hooks = a\na.type = magic\n", ConfigError, "hook 'a' has unknown type 'magic'"),
        ("hooks = a\na.type = exec\na.executable = no-such-program-here\n", ConfigError,
         "post_write_hook 'a': executable 'no-such-program-here' not found on PATH"),
        ("hooks = a\na.type = console_scripts\na.entrypoint = no-such-script\n", ConfigError,
         "no console script named 'no-such-script'"),
    ],
)
def test_hook_errors(tmp_path, target, section, exc, message):
    cfg = ini_config(tmp_path, section)
    with pytest.raises(exc) as err:
        write_hooks.run_hooks(cfg, target)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_failing_hook_shows_its_last_output_line(tmp_path, target):
    cfg = ini_config(tmp_path, f"hooks = a\na.type = exec\na.executable = {sys.executable}\n"
                               "a.options = -c \"import sys; sys.exit('formatter said no')\" "
                               "REVISION_SCRIPT_FILENAME\n")
    with pytest.raises(CommandError, match=r"failed \(exit 1\) on .*rev.py: formatter said no"):
        write_hooks.run_hooks(cfg, target)


@pytest.mark.parametrize("template", ["generic", "async", "pyproject"])
def test_revision_template_imports_sqlalchemy_only_when_used(template):
    """Autogenerated code that never writes ``sa.`` gets no sqlalchemy import; a blank
    hand-written revision keeps it, ready to use."""
    import ast
    from pathlib import Path

    from mako.template import Template

    import mig_core

    path = Path(mig_core.__file__).parent / "templates" / template / "script.py.mako"
    mako = Template(filename=str(path))

    def imports_of(upgrades: str, downgrades: str) -> set[str]:
        source = mako.render(message="m", up_revision="b", down_revision=None,
                             branch_labels=None, depends_on=None, create_date="d", imports="",
                             upgrades=upgrades, downgrades=downgrades,
                             comma=lambda x: "" if x is None else str(x))
        tree = ast.parse(source)
        return {alias.asname or alias.name for node in tree.body
                if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}

    assert "sa" in imports_of("pass", "pass")
    assert "sa" not in imports_of("op.drop_index('ix_a', table_name='a')",
                                  "op.create_index('ix_a', 'a', ['x'])")
    assert "sa" in imports_of("op.add_column('a', sa.Column('x', sa.Integer()))",
                              "op.drop_column('a', 'x')")


_RENDER_IN_FRESH_PYTHON = """
import sys
from mig_core.script.render import render_template
text = render_template(sys.argv[1], {"name": "x"})
assert text.strip() == "hello x", text
print("pygments" in sys.modules, "mako.ext.pygmentplugin" in sys.modules)
import mako.ext.pygmentplugin  # the block is lifted: later imports work
print(mako.ext.pygmentplugin.__name__)
"""


def test_rendering_does_not_load_pygments(tmp_path):
    pytest.importorskip("pygments", reason="Pygments is not installed: nothing to keep out")
    import subprocess

    template = tmp_path / "t.mako"
    template.write_text("hello ${name}\n")
    out = subprocess.run(
        [sys.executable, "-c", _RENDER_IN_FRESH_PYTHON, str(template)],
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")
    assert out[0] == "False False"
    assert out[1] == "mako.ext.pygmentplugin"


def test_mako_already_imported_is_left_alone(tmp_path):
    import mako.exceptions  # noqa: F401 - as a process that used Mako before mig

    template = tmp_path / "t.mako"
    template.write_text("hi ${name}\n")
    assert render_template(str(template), {"name": "y"}).strip() == "hi y"
    assert "mako.ext.pygmentplugin" not in sys.modules or (
        sys.modules["mako.ext.pygmentplugin"] is not None
    )


# --- the compiled-template cache -----------------------------------------------------------


def _template_cache(folder):
    return folder / "__pycache__" / f"mig-template.{sys.implementation.cache_tag}.marshal"


@pytest.fixture
def no_compiling(monkeypatch):
    """Make Mako's compiler fail: what renders now came from the template cache."""
    import mako.template

    def refuse(*args, **kwargs):
        raise AssertionError("the template was compiled")

    def install():
        monkeypatch.setattr(mako.template, "_compile", refuse)

    return install


def test_compiled_template_is_cached_and_renders_the_same(tmp_path, caches_written, no_compiling):
    import mig_core

    source = os.path.join(os.path.dirname(mig_core.__file__), "templates", "generic",
                          "script.py.mako")
    template = tmp_path / "script.py.mako"
    template.write_bytes(open(source, "rb").read())
    context = {
        "up_revision": "ab12", "down_revision": ("x1", "x2"), "branch_labels": None,
        "depends_on": None, "create_date": CREATED, "message": "add thing", "config": None,
        "imports": "import foo", "upgrades": "op.drop_table('t')\n    sa.x", "downgrades": "pass",
    }
    first = render_template(str(template), context, cache=True)
    assert _template_cache(tmp_path).exists()
    no_compiling()
    assert render_template(str(template), context, cache=True) == first


def test_edited_template_is_picked_up_at_once(tmp_path, caches_written, no_compiling):
    """Same size, same modification time: the cache compares the template's bytes."""
    template = tmp_path / "script.py.mako"
    template.write_text("one ${name}\n")
    assert render_template(str(template), {"name": "x"}, cache=True) == "one x\n"
    stat = template.stat()
    template.write_text("two ${name}\n")
    os.utime(template, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert render_template(str(template), {"name": "x"}, cache=True) == "two x\n"  # compiled again
    no_compiling()
    assert render_template(str(template), {"name": "y"}, cache=True) == "two y\n"  # the new entry
    template.write_text("three ${name}\n")
    with pytest.raises(CommandError, match="AssertionError: the template was compiled"):
        render_template(str(template), {"name": "x"}, cache=True)  # not from the cache: Mako compiles


def test_cached_template_reports_the_failing_line(tmp_path, caches_written, no_compiling):
    failing = tmp_path / "failing.mako"
    failing.write_text("line one\n${1 / zero}\n")
    for _ in range(2):  # compiled, then from the cache
        with pytest.raises(CommandError) as err:
            render_template(str(failing), {"zero": 0}, cache=True)
        assert "failing.mako:2: rendering failed: ZeroDivisionError" in str(err.value)
        no_compiling()


def test_template_cache_damaged_or_not_written(tmp_path, caches_written, monkeypatch):
    template = tmp_path / "t.mako"
    template.write_text("hi ${name}\n")
    cache = _template_cache(tmp_path)
    cache.parent.mkdir()
    cache.write_bytes(b"\x00garbage")
    assert render_template(str(template), {"name": "a"}, cache=True) == "hi a\n"
    assert cache.read_bytes() != b"\x00garbage"  # replaced by a good one
    cache.unlink()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)  # PYTHONDONTWRITEBYTECODE, python -B
    assert render_template(str(template), {"name": "b"}, cache=True) == "hi b\n"
    assert not cache.exists()
