"""``--resume --skip-interrupted`` on the real MariaDB: a run killed (or whose connection was
lost) while a revision's statement ran leaves the count of the statements before it, but the
server may have completed that one; a plain ``--resume`` sends it again and fails on it, and
``--skip-interrupted`` takes it as done. Refused where that statement's fate is known.

"Completed server-side after the kill" is made real: the run kills itself just before the
statement, which is then applied by hand, exactly as the server would have left it; the lost
connection goes through a proxy that forwards the statement, waits for the server's answer and
drops the client instead of passing it on.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path

import sqlalchemy as sa
from mysql_support import execute, mig_command, rows, scalar
from runtime_support import create_table, make_project, shared_fixtures

from mig_core.runtime.history import INTERRUPTED

mysql_url = shared_fixtures().mysql_url


def _run(ini: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(mig_command(ini, *args), capture_output=True, text=True, timeout=60,
                          env={**os.environ, **env})


def _log(ini: Path) -> list[dict[str, object]]:
    result = _run(ini, "log", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def _columns(engine: sa.Engine, table: str) -> list[str]:
    return [c["name"] for c in sa.inspect(engine).get_columns(table)]


def _kills_before(statement: str, *after: str) -> str:
    """r2's upgrade: columns a and b, then the run kills itself (with KILL_R2 set) just before
    ``statement``, then ``after``."""
    return "\n".join([
        "op.add_column('t', sa.Column('a', sa.Integer))",
        "op.add_column('t', sa.Column('b', sa.Integer))",
        "import os, signal",
        "if os.environ.get('KILL_R2'):",
        "    os.kill(os.getpid(), signal.SIGKILL)",
        statement,
        *after,
    ]) + "\n"


ADD_C_THEN_D = _kills_before("op.add_column('t', sa.Column('c', sa.Integer))",
                             "op.add_column('t', sa.Column('d', sa.Integer))")
DROP_D_C = ("op.drop_column('t', 'd')\nop.drop_column('t', 'c')\n"
            "op.drop_column('t', 'b')\nop.drop_column('t', 'a')\n")


def _project(tmp_path: Path, url: str, upgrade: str, downgrade: str = "pass") -> Path:
    return make_project(tmp_path, url, [
        {"rev": "r1", **create_table("t")},
        {"rev": "r2", "down": "r1", "upgrade": upgrade, "downgrade": downgrade},
        {"rev": "r3", "down": "r2", **create_table("t3")},
    ])


def _killed_then_completed(ini: Path, engine: sa.Engine, by_hand: str) -> dict[str, object]:
    """Run r2 until it kills itself after two statements, then apply its third by hand (the
    server completing it after the kill); the interrupted row."""
    killed = _run(ini, "upgrade", "head", KILL_R2="1")
    assert killed.returncode == -signal.SIGKILL
    if by_hand:
        execute(engine, by_hand)
    started = _log(ini)[-1]
    assert (started["revisions"], started["error"], started["statements"]) == (
        "r2", INTERRUPTED, 2)
    return started


def test_plain_resume_fails_with_the_hint_then_skip_interrupted_completes(tmp_path, engine,
                                                                          mysql_url):
    ini = _project(tmp_path, mysql_url, ADD_C_THEN_D)
    started = _killed_then_completed(ini, engine, "ALTER TABLE t ADD COLUMN c INTEGER")

    stopped = _run(ini, "upgrade", "head")
    assert stopped.returncode == 1
    assert ("Run `mig upgrade r2 --resume` to run the rest of it (with --skip-interrupted, if "
            "the one running when it stopped took effect, to skip that one too); or check the "
            "schema") in stopped.stderr

    again = _run(ini, "upgrade", "head", "--resume")
    assert again.returncode == 1
    assert "Duplicate column name 'c'" in again.stderr
    assert again.stderr.strip().endswith(
        "`mig upgrade r2 --resume` runs the rest of it (or repair the schema by hand and record "
        "where it is with `mig stamp`). If its statement 3 (ALTER TABLE t ADD COLUMN c INTEGER) "
        f"took effect in the run of history row {started['id']}, which stopped while it ran, "
        "`mig upgrade r2 --resume --skip-interrupted` skips it")
    failed = _log(ini)[-1]
    assert (failed["statements"], failed["resumed_from"], failed["skipped_statement"]) == (
        2, started["id"], None)

    done = _run(ini, "upgrade", "head", "--resume", "--skip-interrupted")
    assert done.returncode == 0, done.stderr
    assert ("--resume --skip-interrupted: revision r2 (versions/r2_r2.py) upgrade: its statement "
            f"3, running when the run of history row {failed['id']} stopped, not sent, taken as "
            "done: ALTER TABLE t ADD COLUMN c INTEGER") in done.stderr
    assert _columns(engine, "t") == ["id", "a", "b", "c", "d"]
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r3"
    log = _log(ini)
    resumed = log[-2]
    assert (resumed["revisions"], resumed["success"], resumed["resumed_from"],
            resumed["statements"], resumed["skipped_statement"]) == (
        "r2", True, failed["id"], 4, 3)
    assert log[-1]["skipped_statement"] is None
    text = _run(ini, "log").stdout
    assert f"ok (resumed from row {failed['id']}, skipping statement 3 as done)" in text


def test_skip_interrupted_right_after_the_kill_and_for_a_downgrade(tmp_path, engine, mysql_url):
    ini = _project(tmp_path, mysql_url, ADD_C_THEN_D, downgrade=DROP_D_C)
    started = _killed_then_completed(ini, engine, "ALTER TABLE t ADD COLUMN c INTEGER")
    done = _run(ini, "upgrade", "head", "--resume", "--skip-interrupted")
    assert done.returncode == 0, done.stderr
    assert _columns(engine, "t") == ["id", "a", "b", "c", "d"]
    assert _log(ini)[-2]["resumed_from"] == started["id"]

    # the downgrade: killed after dropping d and c, with b dropped by hand
    (tmp_path / "migrations/versions/r2_r2.py").write_text(
        (tmp_path / "migrations/versions/r2_r2.py").read_text().replace(
            "op.drop_column('t', 'c')\n",
            "op.drop_column('t', 'c')\n    import os, signal\n    if os.environ.get('KILL_R2'):"
            "\n        os.kill(os.getpid(), signal.SIGKILL)\n"))
    assert _run(ini, "downgrade", "r2").returncode == 0
    assert _run(ini, "downgrade", "r1", KILL_R2="1").returncode == -signal.SIGKILL
    execute(engine, "ALTER TABLE t DROP COLUMN b")
    down = _run(ini, "downgrade", "r1", "--resume", "--skip-interrupted")
    assert down.returncode == 0, down.stderr
    assert _columns(engine, "t") == ["id"]
    assert scalar(engine, "SELECT version_num FROM mig_version") == "r1"
    assert _log(ini)[-1]["skipped_statement"] == 3


def test_skip_interrupted_refused_after_a_statement_the_server_rejected(tmp_path, engine,
                                                                        mysql_url):
    ini = _project(tmp_path, mysql_url, ADD_C_THEN_D)
    assert _run(ini, "upgrade", "r1").returncode == 0
    execute(engine, "ALTER TABLE t ADD COLUMN c INTEGER")
    assert _run(ini, "upgrade", "head").returncode == 1  # fails on c: the server rejected it
    failed = _log(ini)[-1]
    refused = _run(ini, "upgrade", "head", "--resume", "--skip-interrupted")
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"mig: error: --resume --skip-interrupted: the upgrade of revision r2 (history row "
        f"{failed['id']}) failed at a statement the server rejected ({failed['error']}) after 2 "
        "statements of it took effect; --skip-interrupted only skips the statement a run was "
        "running when it was killed or lost its connection, which the server may have "
        "completed. Nothing was run; once the cause is fixed, `mig upgrade r2 --resume` runs "
        "the rest of it")
    assert _log(ini)[-1]["id"] == failed["id"]  # nothing written
    assert _columns(engine, "t") == ["id", "c", "a", "b"]

    execute(engine, "ALTER TABLE t DROP COLUMN c")
    assert _run(ini, "upgrade", "head", "--resume").returncode == 0
    assert _columns(engine, "t") == ["id", "a", "b", "c", "d"]


def test_skip_interrupted_refuses_a_statement_that_cannot_have_taken_effect(tmp_path, engine,
                                                                            mysql_url):
    """An INSERT waits in the revision's transaction: the kill rolled it back."""
    ini = _project(tmp_path, mysql_url, _kills_before(
        "op.execute('INSERT INTO t (id) VALUES (1)')",
        "op.add_column('t', sa.Column('c', sa.Integer))"))
    started = _killed_then_completed(ini, engine, "")
    refused = _run(ini, "upgrade", "head", "--resume", "--skip-interrupted")
    assert refused.returncode == 1
    assert ("revision r2 (versions/r2_r2.py) upgrade cannot be resumed with --skip-interrupted: "
            "its statement 3, INSERT INTO t (id) VALUES (1), does not commit by itself there, "
            f"so the run of history row {started['id']} could not have made it take effect (the "
            "server rolled it back when that run stopped); nothing was sent. Resume it without "
            "--skip-interrupted") in refused.stderr
    assert rows(engine, "SELECT id FROM t") == []
    assert _run(ini, "upgrade", "head", "--resume").returncode == 0
    assert rows(engine, "SELECT id FROM t") == [(1,)]
    assert _columns(engine, "t") == ["id", "a", "b", "c"]


def test_a_session_statement_in_its_place_is_sent_again(tmp_path, engine, mysql_url):
    ini = _project(tmp_path, mysql_url, _kills_before(
        "op.execute('SET @mig_v = 7')",
        "op.execute('CREATE TABLE tv AS SELECT @mig_v AS v')"))
    _killed_then_completed(ini, engine, "")
    done = _run(ini, "upgrade", "head", "--resume", "--skip-interrupted")
    assert done.returncode == 0, done.stderr
    assert "its statement 3, running when the run of history row" in done.stderr
    assert "sent again (it only sets the session's state): SET @mig_v = 7" in done.stderr
    assert rows(engine, "SELECT v FROM tv") == [(7,)]
    assert _log(ini)[-2]["statements"] == 4


def test_skip_interrupted_needs_a_statement_after_the_recorded_ones(tmp_path, engine, mysql_url):
    ini = _project(tmp_path, mysql_url, _kills_before("pass"))
    started = _killed_then_completed(ini, engine, "")
    refused = _run(ini, "upgrade", "head", "--resume", "--skip-interrupted")
    assert refused.returncode == 1
    assert ("cannot be resumed with --skip-interrupted: it has no statement after the 2 "
            f"statements the run of history row {started['id']} applied, so none to skip; "
            "nothing was sent. Resume it without --skip-interrupted") in refused.stderr
    assert _run(ini, "upgrade", "head", "--resume").returncode == 0


def test_usage_and_nothing_to_resume(tmp_path, engine, mysql_url):
    ini = _project(tmp_path, mysql_url, ADD_C_THEN_D)
    usage = _run(ini, "upgrade", "head", "--skip-interrupted")
    assert usage.returncode == 2
    assert "--skip-interrupted goes with --resume" in usage.stderr
    assert _run(ini, "upgrade", "head", "--resume", "--skip-interrupted", "--sql").returncode == 2
    note = _run(ini, "upgrade", "head", "--resume", "--skip-interrupted")
    assert note.returncode == 0, note.stderr
    assert ("the command runs as without --resume (--skip-interrupted has no statement to "
            "skip)") in note.stderr


class _DropsAnswer:
    """A TCP proxy to the server that, for the first query containing ``marker``, forwards
    it, waits for the server's answer and closes the client's connection instead of passing
    the answer on: a connection lost after the server completed the statement."""

    def __init__(self, host: str, port: int, marker: bytes) -> None:
        self.target = (host, port)
        self.marker = marker
        self.dropped = False
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            held = threading.Event()
            threading.Thread(target=self._pump, args=(client, upstream, held, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, held, False),
                             daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, held: threading.Event,
              from_client: bool) -> None:
        try:
            while data := source.recv(65536):
                if from_client and not self.dropped and self.marker in data:
                    self.dropped = True
                    held.set()
                elif not from_client and held.is_set():  # the server's answer: drop it
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def close(self) -> None:
        self.server.close()


def test_a_connection_lost_after_the_server_completed_the_statement(tmp_path, engine,
                                                                    mysql_url):
    url = sa.make_url(mysql_url)
    proxy = _DropsAnswer(url.host or "127.0.0.1", url.port or 3306, b"ADD COLUMN c ")
    try:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        ini = _project(tmp_path, proxied.render_as_string(hide_password=False),
                       ADD_C_THEN_D)
        lost = _run(ini, "upgrade", "head")
        assert proxy.dropped
    finally:
        proxy.close()
    assert lost.returncode == 1
    # (before it, a warning: the run lock went with the lost connection's session)
    error = lost.stderr.strip().splitlines()[-1]
    assert error.startswith("mig: error: revision r2 (versions/r2_r2.py line 22) upgrade failed: "
                            "OperationalError: (2013, 'Lost connection"), error
    assert error.endswith(
        "`mig upgrade r2 --resume` runs the rest of it (or repair the schema by hand and record "
        "where it is with `mig stamp`). The connection was lost while its statement 3 (ALTER "
        "TABLE t ADD COLUMN c INTEGER) ran, so the server may have completed it: if it did, "
        "`mig upgrade r2 --resume --skip-interrupted` skips it")
    assert _columns(engine, "t") == ["id", "a", "b", "c"]  # the server completed it
    # the proxy is gone: the next runs go straight to the server
    ini.write_text(ini.read_text().replace(proxied.render_as_string(hide_password=False),
                                           mysql_url))
    failed = _log(ini)[-1]
    assert (failed["statements"], failed["success"]) == (2, False)
    assert str(failed["error"]).startswith("connection lost: OperationalError: ")
    done = _run(ini, "upgrade", "head", "--resume", "--skip-interrupted")
    assert done.returncode == 0, done.stderr
    assert _columns(engine, "t") == ["id", "a", "b", "c", "d"]
    assert _log(ini)[-2]["skipped_statement"] == 3
