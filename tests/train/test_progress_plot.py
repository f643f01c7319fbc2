"""The live display renders without a terminal when forced on; plots need matplotlib."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ctpg.logging import MetricsLogger
from ctpg.plot import plot_runs
from ctpg.progress import Progress


def test_progress_renders_step_rate_and_tasks(capsys) -> None:
    names = ["reach-v3", "push-v3"]
    with Progress(total=100, start=0, task_names=names, enabled=True) as progress:
        for step in range(1, 101):
            progress.update(step)
        row = {"eval/success": 0.5, "eval/reach-v3/success": 1.0, "eval/push-v3/success": 0.0}
        progress.evaluated(100, row)
        text = progress._render(100).plain
    assert "step 100/100" in text and "steps/s" in text
    assert "reach 1.00" in text and "push 0.00" in text


def test_progress_is_off_without_a_terminal() -> None:
    with Progress(total=10, start=0, task_names=["a"]) as progress:
        assert progress.live is None


def _run_with_rows(run_dir: Path) -> Path:
    logger = MetricsLogger(run_dir, tensorboard=False)
    for step, success in ((10, 0.0), (20, 0.5)):
        row = {"eval/success": success, "eval/return": 10 * success, "eval/a/success": success}
        logger.write_row(step, row)
    return run_dir


def test_plot_writes_curves(tmp_path: Path) -> None:
    paths = plot_runs([_run_with_rows(tmp_path / "r")])
    assert [p.name for p in paths] == ["success.png", "return.png"]
    assert all(p.stat().st_size > 0 for p in paths)


def test_plot_without_matplotlib_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(RuntimeError, match="matplotlib"):
        plot_runs([_run_with_rows(tmp_path / "r")])
