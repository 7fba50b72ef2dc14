"""docs/cli.md says what mig prints: its ``console`` examples run (the installed ``mig``, SQLite,
after the steps their prose describes) and print what they show, and the error messages it
quotes are the ones mig prints, with the exit code written next to them.

Both sides are read here: the examples from cli.md's blocks (matched as tests/docs_support.py
says), and each quoted message is looked up in cli.md (whitespace aside) before mig's output is
compared with it, ``<...>`` and ``...`` in a quote standing for any text."""

from __future__ import annotations

import re
import shlex
import socket
from pathlib import Path

import pytest

from tests.docs_support import (
    ROOT,
    Matcher,
    Step,
    documented,
    run_step,
    shell,
    shell_env,
    steps,
)
from tests.runtime_support import init_project

CLI_MD = ROOT / "docs" / "cli.md"
DOC_WHO = "deploy@ci"

# What each example's prose says happened before it, run in a fresh `mig init migrations`.
BEFORE: dict[str, list[str]] = {
    "mig branches": [
        "mig revision -m one --rev-id aaa1",
        "mig revision -m two --rev-id bbb2",
        "mig revision -m side --rev-id ccc3 --head aaa1 --splice --branch-label side",
    ],
    "mig log --verify": [
        "mig revision -m init --rev-id 1a2b",
        "mig revision -m 'add phone' --rev-id 3c4d",
        "mig revision -m 'add email' --rev-id 5e6f",
        "mig stamp 1a2b",
        "mig upgrade head",
        "echo '# reviewed' >> migrations/versions/3c4d_add_phone.py",
        "rm migrations/versions/5e6f_add_email.py",
    ],
    "mig repair": [],  # right after `mig log --verify`, in its project
    "mig check": [  # the quickstart model, order.status in the database, then three changes
        "mig revision --autogenerate -m one",
        "mig upgrade head",
        "cp model_v2.py model.py",
    ],
}
QUICKSTART = ROOT / "examples" / "quickstart" / "model.py"
CHECK_MODEL = [  # the quickstart model with order.status; then with the example's changes
    ('sa.Index(None, "customer_id"),', 'sa.Index(None, "customer_id"),\n'
     '    sa.Column("status", sa.String(20)),'),
]
CHECK_CHANGES = [
    ('sa.Column("status", sa.String(20)),', 'sa.Column("status", sa.String(20), index=True),'),
    ('sa.Column("name", sa.String(100), nullable=False),',
     'sa.Column("name", sa.String(100), nullable=False),\n    sa.Column("phone", sa.String(30)),'),
    ('sa.Column("title", sa.String(200)', 'sa.Column("title", sa.String(300)'),
]


def edited(text: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def examples() -> dict[str, Step]:
    found = {step.command.strip(): step for step in steps(CLI_MD.read_text(encoding="utf-8"))}
    assert set(found) == set(BEFORE), "cli.md's console examples and this test's steps differ"
    return found


def fresh_project(root: Path, with_model: bool = False) -> Path:
    init_project(root)
    if with_model:
        model = edited(QUICKSTART.read_text(), CHECK_MODEL)
        (root / "model.py").write_text(model)
        (root / "model_v2.py").write_text(edited(model, CHECK_CHANGES))
        env_py = root / "migrations" / "env.py"
        env_py.write_text(edited(env_py.read_text(), [
            ("\ntarget_metadata = None\n", "\nfrom model import metadata\ntarget_metadata = metadata\n"),
        ]))
    return root


def run_example(project: Path, command: str, matcher: Matcher) -> None:
    """The steps before the example (each must succeed), then the example, compared (cli.md's
    examples show mig's own output, not the INFO lines of the logging env.py sets up)."""
    env = shell_env("deploy")
    for line in BEFORE[command]:
        code, out = shell(line, project, env)
        assert code == 0, f"{line}: {out}"
    run_step(examples()[command], project, env, matcher, hide_logging=True)


@pytest.fixture
def matcher(tmp_path: Path) -> Matcher:
    return Matcher("/srv/app", str(tmp_path), DOC_WHO, f"deploy@{socket.gethostname()}")


def test_branches_example(tmp_path: Path, matcher: Matcher) -> None:
    run_example(fresh_project(tmp_path), "mig branches", matcher)


def test_log_verify_and_repair_examples(tmp_path: Path, matcher: Matcher) -> None:
    project = fresh_project(tmp_path)
    run_example(project, "mig log --verify", matcher)
    run_example(project, "mig repair", matcher)


def test_check_example(tmp_path: Path, matcher: Matcher) -> None:
    run_example(fresh_project(tmp_path, with_model=True), "mig check", matcher)


# --- the error messages cli.md quotes -----------------------------------------------------------

def set_key(project: Path, key: str, value: str | None) -> None:
    """Set (or, with None, remove) a key of mig.ini's [mig] section."""
    ini = project / "mig.ini"
    lines = [line for line in ini.read_text().splitlines() if not line.startswith(f"{key} =")]
    if value is not None:
        lines.insert(lines.index("[mig]") + 1, f"{key} = {value}")
    ini.write_text("\n".join(lines) + "\n")


def no_history(project: Path, run) -> None:
    """b1 applied while the history was turned off; then turned on again: no history table."""
    set_key(project, "history_table", "false")
    assert run("upgrade", "head")[0] == 0
    set_key(project, "history_table", None)


def metadata(project: Path, run) -> None:
    """An env.py with a (empty) target_metadata, for autogenerate."""
    env_py = project / "migrations" / "env.py"
    env_py.write_text(edited(env_py.read_text(), [
        ("\ntarget_metadata = None\n", "\ntarget_metadata = sa.MetaData()\n"),
    ]))


# (the quote as cli.md gives it, the project's state, the command, the exit code)
QUOTES = [
    ("mig: error: revision --sql runs env.py in offline mode, which needs revision_environment = "
     "true in the config", [], "mig revision -m x --sql", 2),
    ("mig: error: stamp: a1 is an ancestor of b1; the version table cannot hold both (stamp b1 "
     "alone, or a1 alone)", [], "mig stamp a1 b1", 2),
    ("Database is not on all head revisions: it is at <heads>, the graph's heads are <heads>",
     ["mig upgrade a1"], "mig current --check-heads", 1),
    ("mig: error: repair: 'zz' names no revision file nor any revision the database has applied",
     ["mig upgrade head"], "mig repair zz", 2),
    ("log --verify: the history table is turned off (history_table = false) ...",
     [lambda p, run: set_key(p, "history_table", "false")], "mig log --verify", 2),
    ("log --verify: the history table mig_history does not exist ...", [no_history],
     "mig log --verify", 1),
    ("repair: the history table is turned off ...",
     [lambda p, run: set_key(p, "history_table", "false")], "mig repair", 2),
    ("Target database is not up to date: it is at <rev>, the revision files' head is <rev>; run "
     "'mig upgrade heads' first", ["mig upgrade a1", metadata], "mig revision --autogenerate -m x",
     1),
    ("mig: warning: --resume: nothing to resume (...); the command runs as without --resume", [],
     "mig upgrade head --resume", None),
]


@pytest.mark.parametrize("quote, before, command, exit_code", QUOTES,
                         ids=[q[2][4:] for q in QUOTES])
def test_quoted_messages_are_printed(tmp_path, monkeypatch, run, quote, before, command,
                                     exit_code) -> None:
    """In a project with revisions a1 <- b1 (the CLI run in this process, for speed): the
    message's line, and the exit code cli.md gives next to it (a warning has none: the command
    goes on, exit 0)."""
    regex, documented_code = documented(CLI_MD, quote)
    if exit_code is not None:
        assert documented_code == exit_code, f"cli.md gives exit {documented_code}: {quote!r}"
    project = fresh_project(tmp_path)
    monkeypatch.chdir(project)
    for step in ["mig revision -m a --rev-id a1", "mig revision -m b --rev-id b1", *before]:
        if callable(step):
            step(project, run)
        else:
            assert run(*shlex.split(step)[1:])[0] == 0, step
    code, out, err = run(*shlex.split(command)[1:])
    assert code == (exit_code or 0), out + err
    message = regex if quote.startswith("mig: ") else "mig: error: " + regex
    assert any(re.fullmatch(message, line) for line in err.splitlines()), (quote, err)
