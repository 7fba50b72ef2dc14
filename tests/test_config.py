"""Config: mig.ini, Alembic ini, [tool.mig], interpolation, errors naming file and key."""

from __future__ import annotations

import os

import pytest

from mig_core.cli import main
from mig_core.config import Config, find_config
from mig_core.errors import ConfigError


def write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


def test_mig_section_and_here_interpolation(tmp_path):
    ini = write(tmp_path / "mig.ini", "[mig]\nscript_location = %(here)s/migrations\n")
    config = Config(ini)
    assert config.get_main_option("script_location") == f"{tmp_path}/migrations"
    assert config.config_dir == str(tmp_path)


def test_alembic_section_is_read_when_no_mig_section(tmp_path):
    ini = write(tmp_path / "alembic.ini", "[alembic]\nscript_location = alembic\n")
    assert Config(ini).get_main_option("script_location") == "alembic"


def test_named_section(tmp_path):
    ini = write(tmp_path / "mig.ini", "[mig]\na = 1\n[other]\na = 2\n")
    assert Config(ini, ini_section="other").get_main_option("a") == "2"


def test_toml_section_and_precedence(tmp_path):
    toml = write(tmp_path / "pyproject.toml",
                 '[tool.mig]\nscript_location = "%(here)s/mig"\nversion_locations = ["a", "b"]\n'
                 'sourceless = true\n')
    ini = write(tmp_path / "mig.ini", "[mig]\nsqlalchemy.url = sqlite://\nsourceless = false\n")
    config = Config(ini, toml_file=toml)
    assert config.get_main_option("script_location") == f"{tmp_path}/mig"
    assert config.get_main_list("version_locations") == ["a", "b"]
    assert config.get_main_bool("sourceless") is False  # the ini wins
    assert Config(toml_file=toml).get_main_bool("sourceless") is True



def test_tool_alembic_is_found_and_read_without_tool_mig(tmp_path, monkeypatch, capsys):
    """docs/configuration.md: with no mig.ini nor alembic.ini, a pyproject.toml holding only
    ``[tool.alembic]`` is the configuration (an Alembic project's, unchanged)."""
    write(tmp_path / "pyproject.toml", '[tool.alembic]\nscript_location = "%(here)s/mig"\n')
    assert Config(toml_file=str(tmp_path / "pyproject.toml")).get_main_option(
        "script_location") == f"{tmp_path}/mig"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MIG_CONFIG", raising=False)
    monkeypatch.delenv("ALEMBIC_CONFIG", raising=False)
    assert main(["heads"]) == 2
    assert capsys.readouterr().err == (
        f"mig: error: {tmp_path / 'pyproject.toml'}: script_location '{tmp_path}/mig': folder "
        f"{tmp_path}/mig does not exist (create it with 'mig init')\n")

def test_config_without_file():
    config = Config()
    assert config.get_main_option("script_location") is None
    config.set_main_option("script_location", "x")
    assert config.get_main_option("script_location") == "x"
    config.set_section_option("extra", "k", "v")
    assert config.get_section("extra") == {"k": "v", "here": os.getcwd()}
    assert config.get_section("absent") is None
    assert config.get_section_option("extra", "missing", "dflt") == "dflt"


def test_attributes_and_print_stdout(capsys):
    config = Config(attributes={"connection": 1})
    assert config.attributes["connection"] == 1
    config.print_stdout("hello %s", "there")
    config.quiet = True
    config.print_stdout("hidden")
    assert capsys.readouterr().out == "hello there\n"


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ConfigError, match="nope.ini.*not found"):
        Config(str(tmp_path / "nope.ini")).get_main_option("x")


def test_malformed_ini_names_file(tmp_path):
    ini = write(tmp_path / "mig.ini", "[mig\nbroken")
    with pytest.raises(ConfigError, match=r"mig\.ini: malformed ini"):
        Config(ini).get_main_option("x")


@pytest.mark.parametrize("text, problem", [
    ("[mig]\nscript_location = x\nfoo\n",
     "line 3: 'foo' is not 'key = value' nor a [section] header"),
    ("foo = 1\n[mig]\n", "line 1: 'foo = 1' comes before any [section] header"),
    ("[mig]\na = 1\n[mig]\n", "line 3: section [mig] appears twice"),
    ("[mig]\na = 1\na = 2\n", "line 3: key 'a' appears twice in [mig]"),
])
def test_malformed_ini_is_one_line_naming_file_and_line(tmp_path, text, problem):
    ini = write(tmp_path / "mig.ini", text)
    with pytest.raises(ConfigError) as err:
        Config(ini).get_main_option("x")
    assert str(err.value) == f"{ini}: malformed ini: {problem}"


def test_config_path_that_is_a_directory_or_not_utf8(tmp_path):
    with pytest.raises(ConfigError) as err:
        Config(str(tmp_path)).get_main_option("x")
    assert str(err.value) == f"config file {str(tmp_path)!r} is a directory"
    ini = tmp_path / "mig.ini"
    ini.write_bytes(b"[mig]\na = \xff\n")
    with pytest.raises(ConfigError) as err:
        Config(str(ini)).get_main_option("x")
    assert str(err.value) == f"{ini}: malformed ini: not UTF-8 text (byte 10)"


def test_malformed_toml_names_file(tmp_path):
    toml = write(tmp_path / "pyproject.toml", "[tool.mig\n")
    with pytest.raises(ConfigError, match=r"pyproject\.toml: malformed TOML"):
        Config(toml_file=toml).get_main_option("x")


def test_bad_boolean_and_int_name_key(tmp_path):
    ini = write(tmp_path / "mig.ini", "[mig]\nsourceless = maybe\ntruncate_slug_length = x\n")
    config = Config(ini)
    with pytest.raises(ConfigError, match="'sourceless' must be true or false"):
        config.get_main_bool("sourceless")
    with pytest.raises(ConfigError, match="'truncate_slug_length' must be an integer"):
        config.get_main_int("truncate_slug_length", 40)


def test_required_key_error_names_file_and_key(tmp_path):
    ini = write(tmp_path / "mig.ini", "[mig]\n")
    with pytest.raises(ConfigError, match=r"mig\.ini: no 'script_location' key"):
        Config(ini).require_main_option("script_location")


def test_bad_interpolation_names_key(tmp_path):
    ini = write(tmp_path / "mig.ini", "[mig]\nurl = 100%\n")
    with pytest.raises(ConfigError, match="'url'"):
        Config(ini).get_main_option("url")


def test_path_separator(tmp_path):
    ini = write(tmp_path / "mig.ini",
                f"[mig]\npath_separator = os\nversion_locations = a{os.pathsep}b\n")
    assert Config(ini).get_main_list("version_locations") == ["a", "b"]
    ini = write(tmp_path / "mig.ini", "[mig]\npath_separator = bogus\nversion_locations = a\n")
    with pytest.raises(ConfigError, match="'path_separator'"):
        Config(ini).get_main_list("version_locations")


def test_find_config(tmp_path, monkeypatch):
    assert find_config(cwd=str(tmp_path), env={}) == (None, None)
    write(tmp_path / "alembic.ini", "[alembic]\n")
    assert find_config(cwd=str(tmp_path), env={})[0] == str(tmp_path / "alembic.ini")
    write(tmp_path / "mig.ini", "[mig]\n")
    assert find_config(cwd=str(tmp_path), env={})[0] == str(tmp_path / "mig.ini")
    other = write(tmp_path / "other.ini", "[mig]\n")
    assert find_config(cwd=str(tmp_path), env={"MIG_CONFIG": other})[0] == other
    with pytest.raises(ConfigError, match="missing.ini.*from -c"):
        find_config("missing.ini", cwd=str(tmp_path), env={})
    with pytest.raises(ConfigError, match="gone.ini.*from MIG_CONFIG"):
        find_config(cwd=str(tmp_path), env={"MIG_CONFIG": "gone.ini"})


def test_cli_reports_missing_config_file(capsys):
    assert main(["-c", "/nonexistent/mig.ini", "plugins"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mig: error: config file '/nonexistent/mig.ini' (from -c) not found")
    assert "Traceback" not in err
