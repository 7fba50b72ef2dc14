"""Relative links between the user docs resolve: the file (or folder) exists and a ``#anchor``
names a heading of the target page, spelt as GitHub spells heading anchors."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_LINK = re.compile(r"(?<!\!)\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"")


def _markdown_files() -> list[Path]:
    """README.md, docs/*.md and the other Markdown files the repository tracks."""
    listed = subprocess.run(["git", "ls-files", "*.md"], cwd=ROOT, capture_output=True,
                            text=True, check=False).stdout.split()
    files = {ROOT / name for name in listed} | {ROOT / "README.md", *ROOT.glob("docs/*.md")}
    return sorted(p for p in files if p.exists())


def _prose_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) outside fenced code blocks."""
    lines, fenced = [], False
    for number, line in enumerate(text.splitlines(), 1):
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            lines.append((number, line))
    return lines


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: markup and punctuation dropped, lower case, each space
    a hyphen (so ``Resuming (`--resume`)`` is ``resuming---resume``)."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor of a Markdown page: its headings' (``-1``, ``-2`` for repeats) and explicit
    ``<a name=...>`` / ``<a id=...>`` ones."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for _, line in _prose_lines(path.read_text(encoding="utf-8")):
        found.update(_HTML_ANCHOR.findall(line))
        match = _HEADING.match(line)
        if not match:
            continue
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def broken_links(path: Path) -> list[str]:
    """One line per relative link of ``path`` whose file or anchor does not exist."""
    problems = []
    for number, line in _prose_lines(path.read_text(encoding="utf-8")):
        for target in _LINK.findall(_INLINE_CODE.sub("", line)):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I):  # http:, https:, mailto: ...
                continue
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(ROOT)}:{number}: {target}"
            if not dest.exists():
                problems.append(f"{where}: no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                problems.append(f"{where}: no heading with anchor #{anchor} in "
                                f"{dest.relative_to(ROOT)}")
    return problems


@pytest.mark.parametrize("heading, slug", [
    ("Resuming a half-applied revision (`--resume`)", "resuming-a-half-applied-revision---resume"),
    ("Verifying applied revisions: `mig log --verify`",
     "verifying-applied-revisions-mig-log---verify"),
    ("DDL in batches (PostgreSQL)", "ddl-in-batches-postgresql"),
    ("The bind in offline mode", "the-bind-in-offline-mode"),
    ("`--json` output", "--json-output"),
    ("MySQL and MariaDB (mig-mysql)", "mysql-and-mariadb-mig-mysql"),
])
def test_github_slug(heading, slug):
    assert github_slug(heading) == slug


def test_checker_finds_a_missing_file_and_a_missing_anchor(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "a.md").write_text("# Top\n\n## Two words\n\n## Two words\n")
    page = tmp_path / "b.md"
    page.write_text(
        "[ok](a.md#two-words) [ok](a.md#two-words-1) [ok](#here) [web](https://x.org/y#z)\n"
        "## Here\n`[code](nowhere.md)`\n```\n[fenced](nowhere.md)\n```\n"
        "[gone](nowhere.md) [bad](a.md#three) [bad](#there)\n"
    )
    assert broken_links(page) == [
        "b.md:7: nowhere.md: no such file",
        "b.md:7: a.md#three: no heading with anchor #three in a.md",
        "b.md:7: #there: no heading with anchor #there in b.md",
    ]


def test_relative_links_and_anchors_of_the_docs_resolve():
    files = _markdown_files()
    assert ROOT / "README.md" in files and ROOT / "docs" / "cli.md" in files
    problems = [problem for path in files for problem in broken_links(path)]
    assert problems == [], "\n".join(problems)
