"""The mig CLI: help, version, errors, exit codes, and start-up staying free of SQLAlchemy."""

from __future__ import annotations

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
