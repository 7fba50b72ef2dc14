"""The mig CLI: help, version, errors, exit codes, and start-up staying free of SQLAlchemy."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import subprocess
import sys

import pytest

from mig_core.cli import CORE_COMMANDS, build_parser, main


def run_mig(*args: str, cwd=None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mig_core", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == "mig 0.1.0"


def test_python_m_runs_the_cli():
    result = run_mig("--version")
    assert result.returncode == 0 and result.stdout.strip() == "mig 0.1.0"


def test_every_command_has_help_text():
    parser = build_parser()
    text = parser.format_help()
    for name, (help_text, _) in CORE_COMMANDS.items():
        assert help_text, name
        assert name in text
    assert "exit codes:" in text


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: mig" in capsys.readouterr().out


def test_unknown_command_is_usage_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["--help"], ["plugins"], ["plugins", "--json"],
                                  ["upgrade", "--help"]])
def test_startup_does_not_import_sqlalchemy_or_drivers(args, tmp_path):
    code = (
        "import sys\n"
        "from mig_core.cli import main\n"
        f"try:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'psycopg2', 'psycopg', 'pymysql', 'mako', 'cx_Oracle', 'oracledb', "
        "'pyodbc', 'pymssql'))\n"
        "print('HEAVY', heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=tmp_path)
    assert "HEAVY []" in result.stdout, result.stdout[-500:] + result.stderr


def test_unexpected_error_is_one_line_without_traceback(capsys, monkeypatch):
    def explode(config, as_json=False):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("mig_core.command.plugins", explode)
    assert main(["plugins"]) == 1
    err = capsys.readouterr().err
    assert err == "mig: error: RuntimeError: kaboom (run with --traceback for details)\n"


def test_traceback_flag_shows_traceback(capsys, monkeypatch):
    def explode(config, as_json=False):
        raise RuntimeError("kaboom")

    monkeypatch.setattr("mig_core.command.plugins", explode)
    assert main(["--traceback", "plugins"]) == 1
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "kaboom" in err


def test_quiet_suppresses_output(capsys):
    assert main(["-q", "plugins"]) == 0
    assert capsys.readouterr().out == ""


def test_plugin_error_exit_code(capsys):
    assert main(["-p", "definitely_not_a_module_xyz", "plugins"]) == 3
    err = capsys.readouterr().err
    assert err.startswith("mig: error: plugin 'definitely_not_a_module_xyz'")
    assert err.count("\n") == 1


# --- start-up: the pre-scan, one sub-parser, the collector's threshold ------------------------


def _help_of(parser, args):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        parser.parse_args(args)
    return out.getvalue()


@pytest.mark.parametrize("name", sorted(CORE_COMMANDS))
def test_one_command_parser_parses_and_helps_like_the_whole_one(name):
    full, lean = build_parser(), build_parser(only=name)
    assert _help_of(lean, [name, "--help"]) == _help_of(full, [name, "--help"])
    args = ["-c", "x.ini", "-x", "k=v", name]
    args += ["x" for flags, _kw in CORE_COMMANDS[name][1] if not flags[0].startswith("-")]
    assert vars(lean.parse_known_args(args)[0]) == vars(full.parse_known_args(args)[0])


@pytest.mark.parametrize(("argv", "expected"), [
    (["upgrade", "head"], {"command": "upgrade"}),
    (["-c", "a.ini", "-n", "s", "-x", "k=v", "upgrade", "+1"], {"config": "a.ini", "name": "s",
                                                                 "command": "upgrade"}),
    (["--conf", "a.ini", "--na=s", "--plug", "pg", "heads"], {"config": "a.ini", "name": "s",
                                                              "plugins": ["pg"],
                                                              "command": "heads"}),
    (["-qca.ini", "-pno:oracle", "--trace", "current"], {"config": "a.ini",
                                                         "plugins": ["no:oracle"],
                                                         "traceback": True,
                                                         "command": "current"}),
    (["-q", "-c", "a.ini", "--", "history"], {"config": "a.ini", "command": None}),
    (["-h", "upgrade"], {"command": None}),
    (["--version", "upgrade"], {"command": None}),
    (["-c", "a.ini"], {"config": "a.ini", "command": None}),
])
def test_prescan_reads_options_as_argparse_does(argv, expected):
    from mig_core.cli import _prescan

    found = _prescan(argv)
    base = {"plugins": [], "config": None, "name": "mig", "traceback": False, "command": None}
    assert found == {**base, **expected}
    if found["command"] is not None:  # else the whole parser reads argv, as it always did
        parsed = build_parser().parse_known_args(argv)[0]
        assert parsed.command == found["command"]
        assert parsed.config == found["config"] and parsed.name == found["name"]


def test_abbreviated_config_option_chooses_the_config(tmp_path, capsys):
    ini = tmp_path / "other.ini"
    ini.write_text("[mig]\nplugins = no:oracle\n")
    assert main(["--conf", str(ini), "plugins", "--json"]) == 0
    listed = {p["name"]: p["status"] for p in json.loads(capsys.readouterr().out)}
    assert listed["oracle"] == "blocked"


def test_unknown_option_before_a_known_command_is_still_an_error(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--bogus", "plugins"])
    assert info.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err


def test_collector_threshold_is_raised_for_the_run_and_restored(monkeypatch):
    from mig_core.cli import GC_THRESHOLD

    seen = []
    monkeypatch.setattr("mig_core.command.plugins",
                        lambda config, as_json=False: seen.append(gc.get_threshold()))
    before = gc.get_threshold()
    gc.set_threshold(700, *before[1:])
    try:
        assert main(["plugins"]) == 0
        assert seen[0][0] == GC_THRESHOLD
        assert gc.get_threshold() == (700, *before[1:])
    finally:
        gc.set_threshold(*before)


def _run_with_closed_stdout(*args: str) -> tuple[int, str]:
    """Run ``mig`` with standard output a pipe nobody reads (``mig history | head -0``)."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has left before the first write
    try:
        process = subprocess.run([sys.executable, "-m", "mig_core", *args], stdout=write_end,
                                 stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    return process.returncode, process.stderr


@pytest.mark.parametrize("command", [["history"], ["current"], ["heads", "--json"]])
def test_a_reader_that_left_stops_the_listing_quietly(tmp_path, command):
    """``mig history | head -1``: no "BrokenPipeError" line, no Python exit noise; the status
    a shell gives a program that SIGPIPE ended (141), as git's or cat's."""
    from tests.runtime_support import make_project

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ini = make_project(tmp_path, url, [{"rev": "a"}, {"rev": "b", "down": "a"}])
    assert run_mig("-c", str(ini), "upgrade", "head").returncode == 0
    code, err = _run_with_closed_stdout("-c", str(ini), *command)
    assert (code, err) == (141, "")


def test_a_reader_that_left_an_sql_script_is_still_an_error(tmp_path):
    """An incomplete SQL script is worth a line: exit 1 and what happened."""
    from tests.runtime_support import make_project

    ini = make_project(tmp_path, "postgresql://u@h/db", [{"rev": "a"}])
    code, err = _run_with_closed_stdout("-c", str(ini), "upgrade", "head", "--sql")
    assert (code, err) == (
        1, "mig: error: the output was closed before the SQL script was complete (broken pipe)\n"
    )


def test_ctrl_c_exits_130_and_rolls_back_what_was_not_committed(tmp_path):
    """docs/cli.md: SIGINT (Ctrl-C) during a run is exit 130 with ``mig: interrupted``, and the
    run's uncommitted work (SQLite's DDL is transactional) is rolled back: no table, no row."""
    import signal
    import time

    import sqlalchemy as sa

    from tests.runtime_support import create_table, make_project

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    marker = tmp_path / "started"
    ini = make_project(tmp_path, url, [
        {"rev": "a", **create_table("t_a")},
        {"rev": "b", "down": "a", "upgrade": f"""
            op.create_table('t_b', sa.Column('id', sa.Integer, primary_key=True))
            open({str(marker)!r}, 'w').close()
            import time
            time.sleep(60)
        """},
    ])
    process = subprocess.Popen([sys.executable, "-m", "mig_core", "-c", str(ini), "upgrade",
                                "head"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not marker.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=60)
    assert (process.returncode, err.splitlines()[-1:]) == (130, ["mig: interrupted"]), err
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
        assert not tables & {"t_a", "t_b", "mig_version"}, tables
    engine.dispose()
