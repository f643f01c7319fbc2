"""Stopping a real run: SIGINT / SIGTERM checkpoint at the step and print how to resume; a
second trainer in the same run directory is refused; a sweep passes the stop on."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import ctpg
from ctpg.metrics import read_metrics
from ctpg.rundir import RunDir

TIMEOUT = 180  # seconds any wait may take
PYTHON_PATH = str(Path(ctpg.__file__).resolve().parent.parent)
TINY = [
    *("--preset", "quick", "--eval-every", "20", "--eval-episodes", "1"),
    *("--batch-size", "12", "--warmup-steps", "20", "--device", "cpu"),
    *("--torch-threads", "1", "--env-backend", "python", "--no-progress", "--no-plots"),
    *("--compile", "off"),  # a long run would compile its updates first (--compile auto)
]
LONG = ["--steps", "1000000"]  # a run that only a signal ends


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (PYTHON_PATH, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path}


def _start(argv: list[str], **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        **kwargs,  # type: ignore[call-overload]
    )


def _wait_for_rows(run_dir: Path, rows: int = 1) -> None:
    """Until metrics.csv has ``rows`` evaluation rows (training is past its warm-up)."""
    deadline = time.monotonic() + TIMEOUT
    while len(read_metrics(RunDir(run_dir).metrics)) < rows:
        if time.monotonic() > deadline:
            pytest.fail(f"{run_dir} wrote no evaluation row within {TIMEOUT} s")
        time.sleep(0.1)


def _steps(run_dir: Path) -> list[int]:
    return [int(row["step"]) for row in read_metrics(RunDir(run_dir).metrics)]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_checkpoints_the_step_reached_and_the_printed_command_resumes(
    tmp_path: Path, signum: int
) -> None:
    run_dir = tmp_path / "run"
    argv = ["-m", "ctpg.train", *TINY, *LONG, "--run-dir", str(run_dir)]
    child = _start(argv)
    try:
        _wait_for_rows(run_dir)
        child.send_signal(signum)
        out, err = child.communicate(timeout=TIMEOUT)
    finally:
        child.kill()
    assert child.returncode == 128 + signum, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    name = signal.Signals(signum).name
    found = re.fullmatch(
        rf"python -m ctpg.train: interrupted by {name} at step (\d+); checkpoint written; "
        r"resume with: (.*)",
        lines[0],
    )
    assert found, lines[0]
    step, command = int(found[1]), shlex.split(found[2])
    assert command[:3] == ["python", "-m", "ctpg.train"] and command[-1] == "--resume"
    assert RunDir(run_dir).checkpoint(step).is_file()  # at the step reached, not an earlier one
    assert _steps(run_dir) == list(range(20, step + 1, 20))
    # the printed command, with a budget that ends, goes on from that step
    done = subprocess.run(
        [sys.executable, *command[1:], "--steps", str(step + 30)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    assert _steps(run_dir) == sorted({*range(20, step + 31, 20), step + 30})
    assert RunDir(run_dir).checkpoint(step + 30).is_file()


def test_a_second_trainer_in_the_same_run_directory_is_refused(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    argv = ["-m", "ctpg.train", *TINY, *LONG, "--run-dir", str(run_dir)]
    first = _start(argv)
    try:
        _wait_for_rows(run_dir)
        second = subprocess.run(
            [sys.executable, *argv, "--resume"],
            capture_output=True,
            text=True,
            env=_env(),
            timeout=TIMEOUT,
        )
        assert second.returncode == 1
        assert second.stderr.strip() == (
            f"python -m ctpg.train: error: --run-dir: {run_dir} is in use by process "
            f"{first.pid} ({shlex.join([sys.executable, *argv])})"
        )
        assert first.poll() is None  # the first one trains on
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=TIMEOUT)
    finally:
        first.kill()
    assert first.returncode == 143


def test_ctrl_c_on_a_sweep_stops_its_trials_which_the_same_command_resumes(
    tmp_path: Path,
) -> None:
    pytest.importorskip("ray")
    out = tmp_path / "sweep"
    grid = ["--preset", "quick", "--sharing", "none", "ctpg", "--seeds", "0"]
    options = [o for o in TINY if o not in ("--no-progress", "--no-plots")]
    argv = ["-m", "ctpg", "sweep", "--out", str(out), *grid, "--cpus-per-run", "1"]
    # Ctrl-C in a terminal signals the whole foreground process group
    sweep = _start([*argv, *options, *LONG], start_new_session=True)
    runs = [out / "quick-mhsac-none-s0", out / "quick-mhsac-ctpg-s0"]
    try:
        for run in runs:
            _wait_for_rows(run)
        os.killpg(sweep.pid, signal.SIGINT)
        _, err = sweep.communicate(timeout=TIMEOUT)
    finally:
        sweep.kill()
    assert sweep.returncode == 130, err
    assert "stopped by SIGINT" in err and "Traceback" not in err
    steps = {}
    for run in runs:
        log = RunDir(run).log.read_text()
        found = re.search(r"interrupted by SIGINT at step (\d+); checkpoint written", log)
        assert found, log[-2000:]
        steps[run] = int(found[1])
        assert RunDir(run).checkpoint(steps[run]).is_file()
    # the same command with an end in reach resumes both from their checkpoints
    target = max(steps.values()) + 20
    again = subprocess.run(
        [sys.executable, *argv, *options, "--steps", str(target)],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=TIMEOUT,
    )
    assert again.returncode == 0, again.stderr[-3000:]
    for run in runs:
        assert _steps(run)[-1] == target
        commands = [line for line in RunDir(run).log.read_text().splitlines() if line[:2] == "$ "]
        assert len(commands) == 2 and commands[-1].endswith("--resume")
