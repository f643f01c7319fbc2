"""The package imports one way: the layer contract of pyproject.toml holds (import-linter),
it would catch an import that goes up, and no module of ctpg hides an import of another
inside a function."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "python" / "ctpg"


def _lint_imports(source_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    run = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
    command = [sys.executable, "-c", run, "--config", str(ROOT / "pyproject.toml")]
    return subprocess.run(
        command, cwd=source_root, env=env, capture_output=True, text=True, timeout=300
    )


def _has_import_linter() -> bool:
    try:
        import importlinter  # noqa: F401
    except ImportError:
        return False
    return True


def test_the_layer_contract_is_kept() -> None:
    assert _has_import_linter(), 'import-linter is part of the test extra: pip install ".[test]"'
    done = _lint_imports(ROOT / "python")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "1 kept, 0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line"),
    [
        ("trainer.py", "import ctpg.cli.train"),  # the loop importing the command line
        ("nets/layers.py", "import ctpg.algo.agent"),  # the ground importing a part
    ],
)
def test_the_contract_catches_an_import_that_goes_up(
    tmp_path: Path, module: str, line: str
) -> None:
    assert _has_import_linter()
    copy = tmp_path / "ctpg"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("*.so", "__pycache__"))
    target = copy / module
    target.write_text(target.read_text() + f"\n{line}  # noqa\n")
    done = _lint_imports(tmp_path)
    assert done.returncode != 0
    assert "BROKEN" in done.stdout


def _local_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a ctpg module inside a function of ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.ImportFrom) and inner.level > 0:
                found.append((inner.lineno, "." * inner.level + (inner.module or "")))
            elif isinstance(inner, ast.ImportFrom) and (inner.module or "").startswith("ctpg"):
                found.append((inner.lineno, inner.module or ""))
            elif isinstance(inner, ast.Import):
                found += [(inner.lineno, a.name) for a in inner.names if a.name.startswith("ctpg")]
    return found


def test_no_function_hides_an_import_of_ctpg() -> None:
    hidden = [
        f"{path.relative_to(PACKAGE)}:{line} imports {module}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for line, module in _local_imports(path)
    ]
    assert hidden == [], "a function-local import between ctpg modules hides a circle"


def test_the_local_import_check_sees_one(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("def f():\n    from ctpg.cli import main\n    import ctpg.train\n")
    assert [m for _, m in _local_imports(sample)] == ["ctpg.cli", "ctpg.train"]
