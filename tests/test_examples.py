"""The scripts in examples/ run as their docs say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ctpg

ROOT = Path(__file__).resolve().parent.parent
# the ctpg these tests import (the installed one, or python/ with an in-place build)
CTPG_PATH = str(Path(ctpg.__file__).resolve().parent.parent)


def test_own_tasks_example_trains_and_learns(tmp_path: Path) -> None:
    path = os.pathsep.join(p for p in (CTPG_PATH, os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path}
    command = [sys.executable, str(ROOT / "examples/own_tasks.py"), "--steps", "1000",
               "--run-dir", str(tmp_path / "run")]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("step")]
    returns = [float(line.split()[3]) for line in lines]
    assert len(returns) == 4 and returns[0] < -15 and max(returns[1:]) > -13, done.stdout
    assert "goal(+0.6,+0.6)" in done.stdout
