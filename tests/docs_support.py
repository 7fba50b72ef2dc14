"""Helpers for the tests that run the docs' examples: read their ``$ command`` transcripts and
compare what mig prints with what a page shows.

What varies from run to run is matched by pattern: the page's home folder and ``user@host``,
12-hex tokens (revision ids, short checksums: each the same value wherever the page repeats it,
two tokens never one value), times, the duration before ``user@host``, and the width of runs of
two or more spaces (columns aligned to those values). Everything else must be as shown."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_FENCED = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
_EXIT = re.compile(r"\s+# exit (\d+)\b.*$")
_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?"


@dataclass
class Step:
    """One ``$ command`` of a transcript and the lines the page shows under it."""

    command: str
    exit_code: int
    shown: list[str]


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """``(language, body)`` of each fenced block of a Markdown text."""
    return _FENCED.findall(text)


def steps(text: str, languages: tuple[str, ...] = ("console",)) -> list[Step]:
    """The ``$ command`` lines of the text's blocks in ``languages`` with their shown output;
    a ``# exit N`` comment after a command gives its exit code (else 0)."""
    found: list[Step] = []
    for lang, body in fenced_blocks(text):
        if lang not in languages:
            continue
        block: list[Step] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                command, exit_code = line[2:], 0
                if (comment := _EXIT.search(command)) is not None:
                    command, exit_code = command[:comment.start()], int(comment.group(1))
                block.append(Step(command, exit_code, []))
            elif block:
                block[-1].shown.append(line)
        found += block
    return found


class Matcher:
    """Compares what a command printed with what the page shows, binding the page's 12-hex
    tokens to the values they stand for in this run."""

    def __init__(self, doc_home: str, home: str, doc_who: str, who: str) -> None:
        self.doc_home, self.home, self.who = doc_home, home, who
        self.bound: dict[str, str] = {}
        self._tokens = re.compile(
            r"(?P<hex>(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f]))"
            rf"|(?P<time>{_TIME})"
            rf"|(?P<ms>\d+ +(?={re.escape(doc_who)}))"
            rf"|(?P<who>{re.escape(doc_who)})"
            rf"|(?P<home>{re.escape(doc_home)}(?![\w.-]))"
            r"|(?P<spaces>  +)"
        )

    def substitute(self, command: str) -> str:
        """The command with this run's home folder and the values of the bound tokens."""
        command = command.replace(self.doc_home, self.home)
        return re.sub(r"(?<![0-9a-f])[0-9a-f]{12}(?![0-9a-f])",
                      lambda m: self.bound.get(m.group(), m.group()), command)

    def pattern(self, shown: str) -> tuple[str, dict[str, str]]:
        """A regular expression for ``shown``, and the group name of each unbound token."""
        parts, groups, at = [], {}, 0
        for m in self._tokens.finditer(shown):
            parts += [re.escape(shown[at:m.start()]), self._token(m, groups)]
            at = m.end()
        parts.append(re.escape(shown[at:]))
        return "".join(parts), groups

    def _token(self, m: re.Match[str], groups: dict[str, str]) -> str:
        kind, text = m.lastgroup, m.group()
        if kind == "hex":
            if text in self.bound:
                return re.escape(self.bound[text])
            name = next((g for g, t in groups.items() if t == text), None)
            if name is not None:
                return f"(?P={name})"
            name = f"h{len(groups)}"
            groups[name] = text
            return f"(?P<{name}>[0-9a-f]{{12}})"
        return {"time": _TIME, "ms": r"\d+ +", "who": re.escape(self.who),
                "home": re.escape(self.home), "spaces": " {2,}"}[kind or ""]

    def check(self, step: Step, printed: str) -> None:
        """``printed`` is what the page shows under ``step``, whole (trailing blanks aside)."""
        shown = "\n".join(line.rstrip() for line in step.shown).strip("\n")
        printed = "\n".join(line.rstrip() for line in printed.splitlines()).strip("\n")
        regex, groups = self.pattern(shown)
        match = re.fullmatch(regex, printed)
        assert match is not None, (
            f"$ {step.command}\n--- the page shows:\n{shown}\n--- mig printed:\n{printed}"
        )
        for name, token in groups.items():
            value = match.group(name)
            assert value not in self.bound.values(), f"{token} and another token are both {value}"
            self.bound[token] = value


def shell_env(user: str) -> dict[str, str]:
    """The environment of a page's commands: the installed ``mig`` first on ``PATH``, output
    unbuffered (stdout and stderr in the order a terminal shows them), ``user`` logged in, no
    config chosen by a variable."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "PYTHONUNBUFFERED": "1", "USER": user, "LOGNAME": user}
    env.pop("MIG_CONFIG", None)
    env.pop("ALEMBIC_CONFIG", None)
    return env


def shell(command: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """``bash -c command`` in ``cwd``: its exit code and its stdout and stderr together."""
    result = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=60)
    return result.returncode, result.stdout


def run_step(step: Step, cwd: Path, env: dict[str, str], matcher: Matcher,
             hide_logging: bool = False) -> Path:
    """Run one command (``cd`` parts of ``a && cd b`` move ``cwd``) and compare its exit code
    and output with the page's (without the ``INFO  [...]`` lines of env.py's logging, with
    ``hide_logging``); return the new ``cwd``."""
    printed, code = "", 0
    for part in matcher.substitute(step.command).split(" && "):
        if part.startswith("cd "):
            cwd = cwd / part[3:].strip()
            continue
        code, out = shell(part, cwd, env)
        printed += out
        if code:
            break
    assert code == step.exit_code, f"$ {step.command}: exit {code}\n{printed}"
    if hide_logging:
        printed = "".join(line for line in printed.splitlines(keepends=True)
                          if not line.startswith("INFO  ["))
    matcher.check(step, printed)
    return cwd


_EXIT_NEAR = re.compile(r"exit(?:s| code)? (\d+)")


def documented(page: Path, quote: str) -> tuple[str, int | None]:
    """A message ``page`` quotes (whitespace aside): its regular expression (``<...>`` and
    ``...`` standing for any text), and the exit code the page writes nearest to it (within 120
    characters, before or after)."""
    text = " ".join(page.read_text(encoding="utf-8").split())
    at = text.find(quote)
    assert at >= 0, f"{page.name} does not quote {quote!r}"
    end, nearest = at + len(quote), (121, None)
    for m in _EXIT_NEAR.finditer(text):
        distance = at - m.end() if m.end() <= at else max(m.start() - end, 0)
        nearest = min(nearest, (distance, int(m.group(1))), key=lambda n: n[0])
    regex = re.sub(r"<[^>]*>", ".+?", re.escape(quote))
    regex = regex.replace(r"\ \.\.\.", ".*").replace(r"\.\.\.", ".*")
    return regex, nearest[1]
