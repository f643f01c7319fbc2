"""``ctpg sweep``: a grid of tiny runs on local Ray, resumed and summarised; its failures."""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pytest

from ctpg import cli
from ctpg.metrics import read_metrics
from ctpg.sweep import Trial, trials

TINY = [
    *("--steps", "40", "--eval-every", "20", "--eval-episodes", "1"),
    *("--batch-size", "12", "--warmup-steps", "20"),
]
GRID = ["--preset", "quick", "--sharing", "none", "ctpg", "--seeds", "0"]


def summary_rows(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_the_grid_names_every_combination() -> None:
    grid = trials(["quick"], ["mhsac", "sm"], ["none", "ctpg"], [0, 1])
    assert len(grid) == 8 and len({t.name for t in grid}) == 8
    assert grid[0] == Trial("quick", "mhsac", "none", 0) and grid[-1].seed == 1
    assert grid[3].name == "quick-sm-ctpg-s0" and grid[3].method == "quick sm w/ CTPG"


def test_a_two_trial_sweep_on_local_ray_runs_resumes_and_reports_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    broken = out / "quick-mhsac-ctpg-s0"
    (broken / "checkpoints").mkdir(parents=True)
    (broken / "checkpoints" / "checkpoint-0000000020.pt").write_bytes(b"not a checkpoint")

    # One trial fails (a checkpoint without its run); the other still finishes.
    assert cli.main(["sweep", *GRID, "--out", str(out), *TINY]) == 1
    printed = capsys.readouterr().out
    assert "quick-mhsac-none-s0: finished" in printed
    assert f"quick-mhsac-ctpg-s0: FAILED (exit status 2); log: {broken / 'train.log'}" in printed
    assert "no run in" in (broken / "train.log").read_text()
    rows = {r["sharing"]: r for r in summary_rows(out)}
    assert rows["none"]["status"] == "finished" and rows["ctpg"]["status"] == "failed"
    assert float(rows["none"]["steps"]) == 40 and 0.0 <= float(rows["none"]["success"]) <= 1.0
    assert "Failed: quick-mhsac-ctpg-s0" in (out / "summary.md").read_text()
    assert (out / "quick-mhsac-none-s0" / "plots" / "success.png").is_file()

    # Repaired, the same command runs only what is not finished.
    shutil.rmtree(broken)
    assert cli.main(["sweep", *GRID, "--out", str(out), *TINY]) == 0
    printed = capsys.readouterr().out
    assert "quick-mhsac-none-s0: finished before, skipped" in printed
    assert "quick-mhsac-ctpg-s0: finished in" in printed
    assert [r["status"] for r in summary_rows(out)] == ["skipped", "finished"]
    summary = (out / "summary.md").read_text()
    assert "| quick mhsac | 1 |" in summary and "| quick mhsac w/ CTPG | 1 |" in summary
    steps = [int(r["step"]) for r in read_metrics(broken / "metrics.csv")]
    assert steps == [20, 40]


def test_without_ray_the_sweep_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    assert cli.main(["sweep", *GRID, "--out", str(tmp_path), *TINY]) == 2
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and 'pip install "ctpg[sweep]"' in printed[0]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--steps", "-3"], "--steps"),
        (["--seed", "3"], "--seed"),
        (["--run-dir", "x"], "--run-dir"),
        (["--cpus-per-run", "0"], "--cpus-per-run"),
        (["--preset", "nope"], "--preset"),
    ],
)
def test_bad_options_stop_the_sweep_before_any_run(
    argv: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["sweep", "--out", str(tmp_path / "out"), *argv])
    assert exit_info.value.code == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
