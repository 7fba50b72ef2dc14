"""mig's entry-point scan gives what importlib.metadata gives, or steps aside."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from mig_core import entry_points as scan
from mig_core.plugins import _dist_of, _entry_points


def _as_tuples(eps) -> list[tuple[str, str, str]]:
    return [(ep.name, ep.value, ep.group) for ep in eps]


def _stdlib(group: str) -> list[tuple[str, str, str]]:
    importlib.invalidate_caches()
    return _as_tuples(importlib.metadata.entry_points(group=group))


def _dist(root: Path, folder: str, entry_points: str | None, name: str | None = None) -> Path:
    path = root / folder
    path.mkdir(parents=True)
    dist_name = name or folder.split("-")[0]
    (path / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 1.2\n")
    if entry_points is not None:
        (path / "entry_points.txt").write_text(textwrap.dedent(entry_points))
    return path


@pytest.mark.parametrize("group", ["mig", "console_scripts", "pytest11", "no.such.group"])
def test_same_as_importlib_metadata_here(group):
    assert _as_tuples(scan.entry_points(group)) == _stdlib(group)


def test_synthetic_environment(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    _dist(first, "alpha_pkg-1.0.dist-info", """
        # a comment
        [mig]
        alpha = alpha_pkg.plugin
        beta=alpha_pkg.other:thing.attr [extra]

        [console_scripts]
        alpha = alpha_pkg.cli:main
    """)
    _dist(first, "Gamma.Pkg-2.0.dist-info", "[mig]\ngamma = gamma.plugin\n", name="Gamma.Pkg")
    _dist(first, "noeps-1.0.dist-info", None)
    _dist(first, "legacy-0.1.egg-info", "[mig]\nlegacy = legacy.plugin\n")
    (first / "single-0.1.egg-info").write_text("Metadata-Version: 1.0\nName: single\n")
    # the same distribution again later on the path: importlib.metadata keeps the first
    _dist(second, "alpha_pkg-0.9.dist-info", "[mig]\nold_alpha = alpha_pkg.old\n")
    _dist(second, "gamma_pkg-1.0.dist-info", "[mig]\ngamma_again = x\n")
    _dist(second, "delta-1.0.dist-info", "[mig]\ndelta = delta.plugin\n")
    monkeypatch.setattr(sys, "path", [str(first), str(tmp_path / "missing"), str(second)])

    for group in ("mig", "console_scripts"):
        found = scan.entry_points(group)
        assert found is not None
        assert _as_tuples(found) == _stdlib(group)
    names = [ep.name for ep in scan.entry_points("mig")]
    assert "old_alpha" not in names and "gamma_again" not in names
    assert {"alpha", "beta", "gamma", "legacy", "delta"} <= set(names)


def test_load_and_distribution(tmp_path, monkeypatch):
    package = tmp_path / "site" / "fancy_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("class Box:\n    inner = 42\n")
    _dist(tmp_path / "site", "fancy_plugin-3.1.dist-info",
          "[mig]\nfancy = fancy_plugin:Box.inner\nmodule = fancy_plugin\n", name="Fancy-Plugin")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site"), *sys.path])
    monkeypatch.delitem(sys.modules, "fancy_plugin", raising=False)
    eps = {ep.name: ep for ep in scan.entry_points("mig")}
    assert eps["fancy"].load() == 42
    assert eps["module"].load().__name__ == "fancy_plugin"
    assert _dist_of(eps["fancy"]) == ("Fancy-Plugin", "1.2")


def test_zip_on_path_uses_importlib_metadata(tmp_path, monkeypatch):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("zipped-1.0.dist-info/METADATA", "Name: zipped\nVersion: 1.0\n")
        zf.writestr("zipped-1.0.dist-info/entry_points.txt", "[mig]\nzipped = zipped.plugin\n")
    monkeypatch.setattr(sys, "path", [str(archive), *sys.path])
    assert scan.entry_points("mig") is None
    importlib.invalidate_caches()
    assert "zipped" in [ep.name for ep in _entry_points()]  # found by the fallback


def test_other_distribution_finder_uses_importlib_metadata(monkeypatch):
    class Finder:
        @staticmethod
        def find_module(*args):
            return None

        @staticmethod
        def find_spec(*args):
            return None

        @staticmethod
        def find_distributions(context=None):
            return iter(())

    monkeypatch.setattr(sys, "meta_path", [Finder, *sys.meta_path])
    assert scan.entry_points("mig") is None


def test_malformed_file_is_left_to_importlib_metadata(tmp_path, monkeypatch):
    _dist(tmp_path, "broken-1.0.dist-info", "[mig]\nno equals sign here\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    assert scan.entry_points("mig") is None


def test_plugin_loading_does_not_import_importlib_metadata():
    code = ("import sys\nfrom mig_core.plugins import build_plugin_manager\n"
            "pm = build_plugin_manager(None)\n"
            "assert pm.has_plugin('postgres'), pm.records\n"
            "print('importlib.metadata' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "False"
