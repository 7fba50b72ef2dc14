"""docs/tutorial.md, run as written: every ``$ command`` of its ``console`` blocks runs (the
installed ``mig``, a subprocess, in a temporary folder, SQLite) and prints what the block shows
under it, standard output and standard error together, with the exit code of its ``# exit N``
comment (0 without one).

The blocks are read from the tutorial itself, so editing the tutorial or mig alone fails here.
What varies from run to run (the folder ``/home/me``, ``me@laptop``, ids, times) is matched by
pattern, as tests/docs_support.py says. The tutorial's own file edits are
done as its prose says: section 3's model link copied to ``model.py`` and its python block put in
``env.py`` in place of ``target_metadata = None``; section 5's model link copied over it."""

from __future__ import annotations

import re
import shutil
import socket
from pathlib import Path

from tests.docs_support import ROOT, Matcher, Step, fenced_blocks, run_step, shell_env, steps

TUTORIAL = ROOT / "docs" / "tutorial.md"
DOC_HOME = "/home/me"
DOC_WHO = "me@laptop"

_SECTION = re.compile(r"^## (\d+)\. ", re.M)
_MODEL_LINK = re.compile(r"\]\((\.\./examples/[^)]+\.py)\)")


def sections(text: str) -> dict[int, str]:
    """The tutorial's numbered sections, ``## N. title``, by number."""
    starts = list(_SECTION.finditer(text))
    ends = [m.start() for m in starts[1:]] + [len(text)]
    return {int(m.group(1)): text[m.start():end] for m, end in zip(starts, ends)}


def use_model(section: str, cwd: Path) -> None:
    """Copy the model the section links to into ``model.py`` (no stale bytecode of the old)."""
    link = _MODEL_LINK.search(section)
    assert link is not None, "the section links no model file"
    shutil.copy((TUTORIAL.parent / link.group(1)).resolve(), cwd / "model.py")
    shutil.rmtree(cwd / "__pycache__", ignore_errors=True)


def tell_env_py(section: str, cwd: Path) -> None:
    """Put the section's python block in env.py in place of ``target_metadata = None``."""
    block = next(body for lang, body in fenced_blocks(section) if lang == "python")
    code = "".join(line + "\n" for line in block.splitlines() if not line.startswith("#"))
    env_py = cwd / "migrations" / "env.py"
    text = env_py.read_text()
    assert "\ntarget_metadata = None\n" in text
    env_py.write_text(text.replace("\ntarget_metadata = None\n", "\n" + code))


def test_the_tutorial_prints_what_it_shows(tmp_path: Path) -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    home = tmp_path / "me"
    home.mkdir()
    env = shell_env("me")
    matcher = Matcher(DOC_HOME, str(home), DOC_WHO, f"me@{socket.gethostname()}")
    cwd, ran = home, 0
    for number, section in sorted(sections(text).items()):
        if number == 3:
            use_model(section, cwd)
            tell_env_py(section, cwd)
        if number == 5:
            use_model(section, cwd)
        for step in steps(section):
            cwd = run_step(step, cwd, env, matcher)
            ran += 1
    assert ran >= 20, f"only {ran} commands found in the tutorial's console blocks"


def test_shown_output_is_compared_whole() -> None:
    """The matcher fails on a changed word, a missing line, or a token bound to another value."""
    matcher = Matcher(DOC_HOME, "/tmp/x", DOC_WHO, "u@h")
    step = Step("mig heads", 0, ["1975ea83b712 (head)"])
    matcher.check(step, "0c1b36b7078d (head)\n")
    assert matcher.bound == {"1975ea83b712": "0c1b36b7078d"}
    for printed in ("0c1b36b7078d (head) (current)", "0c1b36b7078d (head)\nmore",
                    "aaaaaaaaaaaa (head)"):
        try:
            matcher.check(step, printed)
        except AssertionError:
            continue
        raise AssertionError(f"matched: {printed!r}")
