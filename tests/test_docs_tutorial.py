"""docs/tutorial.md, run as written: every ``$ command`` of its ``console`` blocks runs (the
installed ``mig``, a subprocess, in a temporary folder, SQLite) and prints what the block shows
under it, standard output and standard error together, with the exit code of its ``# exit N``
comment (0 without one).

The blocks are read from the tutorial itself, so editing the tutorial or mig alone fails here.
What varies from run to run is matched by pattern: the tutorial's folder ``/home/me``, its
``me@laptop``, 12-hex tokens (revision ids, short checksums: each the same value wherever the
tutorial repeats it, two tokens never one value), times, the duration before ``user@host``, and
the width of runs of spaces (columns aligned to those values). The tutorial's own file edits are
done as its prose says: section 3's model link copied to ``model.py`` and its python block put in
``env.py`` in place of ``target_metadata = None``; section 5's model link copied over it."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"
DOC_HOME = "/home/me"
DOC_WHO = "me@laptop"

_SECTION = re.compile(r"^## (\d+)\. ", re.M)
_FENCED = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
_MODEL_LINK = re.compile(r"\]\((\.\./examples/[^)]+\.py)\)")
_EXIT = re.compile(r"\s+# exit (\d+)\b.*$")
_TOKENS = re.compile(
    r"(?P<hex>(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f]))"
    r"|(?P<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)"
    rf"|(?P<ms>\d+ +(?={re.escape(DOC_WHO)}))"
    rf"|(?P<who>{re.escape(DOC_WHO)})"
    rf"|(?P<home>{re.escape(DOC_HOME)}(?![\w.-]))"
    r"|(?P<spaces>  +)"
)


@dataclass
class Step:
    """One ``$ command`` of a console block and the lines the tutorial shows under it."""

    command: str
    exit_code: int
    shown: list[str]


def sections(text: str) -> dict[int, str]:
    """The tutorial's numbered sections, ``## N. title``, by number."""
    starts = list(_SECTION.finditer(text))
    ends = [m.start() for m in starts[1:]] + [len(text)]
    return {int(m.group(1)): text[m.start():end] for m, end in zip(starts, ends)}


def steps(section: str) -> list[Step]:
    """The ``$ command`` lines of a section's console blocks, each with its shown output."""
    found: list[Step] = []
    for lang, body in _FENCED.findall(section):
        if lang != "console":
            continue
        for line in body.splitlines():
            if line.startswith("$ "):
                command, exit_code = line[2:], 0
                if (comment := _EXIT.search(command)) is not None:
                    command, exit_code = command[:comment.start()], int(comment.group(1))
                found.append(Step(command, exit_code, []))
            else:
                assert found, f"output before any command in a console block: {line!r}"
                found[-1].shown.append(line)
    return found


class Matcher:
    """Matches what a command printed with what the tutorial shows, binding its 12-hex tokens."""

    def __init__(self, home: Path, who: str) -> None:
        self.home, self.who = str(home), who
        self.bound: dict[str, str] = {}

    def substitute(self, command: str) -> str:
        """The command with the tutorial's folder and the values its tokens stand for here."""
        command = command.replace(DOC_HOME, self.home)
        return _TOKENS.sub(lambda m: self.bound.get(m.group(), m.group())
                           if m.lastgroup == "hex" else m.group(), command)

    def pattern(self, shown: str) -> tuple[str, dict[str, str]]:
        """A regular expression for ``shown``, and its group names for unbound hex tokens."""
        parts, groups, at = [], {}, 0
        for m in _TOKENS.finditer(shown):
            parts.append(re.escape(shown[at:m.start()]))
            parts.append(self._token(m, groups))
            at = m.end()
        parts.append(re.escape(shown[at:]))
        return "".join(parts), groups

    def _token(self, m: re.Match[str], groups: dict[str, str]) -> str:
        kind, text = m.lastgroup, m.group()
        if kind == "hex":
            if text in self.bound:
                return re.escape(self.bound[text])
            if text in groups.values():
                name = next(g for g, t in groups.items() if t == text)
                return f"(?P={name})"
            groups[f"h{len(groups)}"] = text
            return f"(?P<h{len(groups) - 1}>[0-9a-f]{{12}})"
        return {"time": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?", "ms": r"\d+ +",
                "who": re.escape(self.who), "home": re.escape(self.home),
                "spaces": " {2,}"}[kind or ""]

    def check(self, step: Step, printed: str) -> None:
        shown = "\n".join(line.rstrip() for line in step.shown)
        printed = "\n".join(line.rstrip() for line in printed.splitlines())
        regex, groups = self.pattern(shown)
        match = re.fullmatch(regex, printed)
        assert match is not None, (
            f"$ {step.command}\n--- the tutorial shows:\n{shown}\n--- mig printed:\n{printed}"
        )
        for name, token in groups.items():
            value = match.group(name)
            assert value not in self.bound.values(), f"{token} and another token are both {value}"
            self.bound[token] = value


def run_step(step: Step, cwd: Path, env: dict[str, str], matcher: Matcher) -> Path:
    """Run one command (``cd`` parts of ``a && cd b`` move ``cwd``); return the new ``cwd``."""
    printed, code = "", 0
    for part in matcher.substitute(step.command).split(" && "):
        if part.startswith("cd "):
            cwd = cwd / part[3:].strip()
            continue
        result = subprocess.run(["bash", "-c", part], cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, timeout=60)
        printed, code = printed + result.stdout, result.returncode
        if code:
            break
    assert code == step.exit_code, f"$ {step.command}: exit {code}\n{printed}"
    matcher.check(step, printed)
    return cwd


def use_model(section: str, cwd: Path) -> None:
    """Copy the model the section links to into ``model.py`` (no stale bytecode of the old)."""
    link = _MODEL_LINK.search(section)
    assert link is not None, "the section links no model file"
    shutil.copy((TUTORIAL.parent / link.group(1)).resolve(), cwd / "model.py")
    shutil.rmtree(cwd / "__pycache__", ignore_errors=True)


def tell_env_py(section: str, cwd: Path) -> None:
    """Put the section's python block in env.py in place of ``target_metadata = None``."""
    block = next(body for lang, body in _FENCED.findall(section) if lang == "python")
    code = "".join(line + "\n" for line in block.splitlines() if not line.startswith("#"))
    env_py = cwd / "migrations" / "env.py"
    text = env_py.read_text()
    assert "\ntarget_metadata = None\n" in text
    env_py.write_text(text.replace("\ntarget_metadata = None\n", "\n" + code))


def test_the_tutorial_prints_what_it_shows(tmp_path: Path) -> None:
    text = TUTORIAL.read_text(encoding="utf-8")
    home = tmp_path / "me"
    home.mkdir()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONUNBUFFERED": "1", "USER": "me", "LOGNAME": "me"}
    env.pop("MIG_CONFIG", None)
    env.pop("ALEMBIC_CONFIG", None)
    matcher = Matcher(home, f"me@{socket.gethostname()}")
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
    matcher = Matcher(Path("/tmp/x"), "u@h")
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
