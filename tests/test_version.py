"""The version is written once, in ctpg/__init__.py; the package metadata reads it from there."""

import importlib.metadata
import re
from pathlib import Path

import pytest

import ctpg

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_reads_the_version_from_init() -> None:
    tomllib = pytest.importorskip("tomllib")
    pyproject_path = ROOT / "pyproject.toml"
    if not pyproject_path.exists():
        pytest.skip("not run from a source tree")
    pyproject = tomllib.loads(pyproject_path.read_text())
    assert "version" not in pyproject["project"], "write the version only in ctpg/__init__.py"
    assert "version" in pyproject["project"]["dynamic"]
    provider = pyproject["tool"]["scikit-build"]["metadata"]["version"]
    assert provider["provider"] == "scikit_build_core.metadata.regex"
    source = (ROOT / provider["input"]).read_text()
    match = re.search(r'^__version__ = "([^"]+)"$', source, re.MULTILINE)
    assert match is not None and match.group(1) == ctpg.__version__


def test_installed_metadata_matches_version() -> None:
    try:
        dist = importlib.metadata.distribution("ctpg")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("ctpg is not installed (run from the source tree)")
    installed_init = Path(str(dist.locate_file("ctpg/__init__.py")))
    if not installed_init.exists() or not installed_init.samefile(ctpg.__file__):
        pytest.skip("the imported ctpg is not the installed distribution")
    assert dist.version == ctpg.__version__
