"""The run directory layout, its start checks and its lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from ctpg import rundir
from ctpg.config import TrainConfig
from ctpg.rundir import RunDir, RunInUseError, default_run_dir, run_dir_of

TIMEOUT = 60  # seconds any child process may take

# A child that takes the lock of RUN_DIR, says so on stdout and waits to be killed.
HOLDER = """
import sys, time
from ctpg.rundir import RunDir
lock = RunDir(sys.argv[1]).lock()
print("locked", flush=True)
time.sleep(120)
"""


def _env() -> dict[str, str]:
    python = str(Path(rundir.__file__).resolve().parent.parent)
    return {**os.environ, "PYTHONPATH": os.pathsep.join([python, os.environ.get("PYTHONPATH", "")])}


def _holder(run: Path) -> subprocess.Popen[str]:
    """A process holding the lock of ``run`` (returned once it has it)."""
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(run)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )
    assert child.stdout is not None
    line = child.stdout.readline()  # EOF (child died) ends the read too
    if line != "locked\n":
        child.kill()
        _, err = child.communicate(timeout=TIMEOUT)
        pytest.fail(f"lock holder did not start: {line!r} {err}")
    return child


def test_paths(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "r")
    assert run.path == tmp_path / "r"
    assert RunDir(str(tmp_path / "r")) == run
    assert os.fspath(run) == str(tmp_path / "r") == str(run)
    assert run.config == run.path / "config.yaml"
    assert run.metrics == run.path / "metrics.csv"
    assert run.checkpoints == run.path / "checkpoints"
    assert run.plots == run.path / "plots"
    assert run.videos == run.path / "videos"
    assert run.tensorboard == run.path / "tensorboard"
    assert run.log == run.path / "train.log"
    assert run.lock_file == run.path / ".lock"
    assert run.checkpoint(1234) == run.checkpoints / "checkpoint-0000001234.pt"
    assert rundir.replay_name(7) == "replay-0000000007.bin"
    with pytest.raises(ValueError, match="step: expected a step >= 0, got -1"):
        rundir.checkpoint_name(-1)
    with pytest.raises(ValueError, match="path: expected a run directory"):
        RunDir("")


def test_default_run_dir_and_config() -> None:
    assert default_run_dir("mt10", "mhsac", "ctpg", 3).path == Path("runs/mt10-mhsac-ctpg-s3")
    cfg = TrainConfig(name="quick", seed=2)
    base, sharing = cfg.agent.net.base, cfg.agent.sharing
    assert run_dir_of(cfg).path == Path("runs") / f"quick-{base}-{sharing}-s2"
    assert run_dir_of(replace(cfg, run_dir="elsewhere/run")) == RunDir("elsewhere/run")


def test_has_checkpoint(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "r")
    assert not run.has_checkpoint()  # no folder at all
    run.checkpoints.mkdir(parents=True)
    for name in ("checkpoint-12.pt", "checkpoint-0000000012.pt.tmp", "replay-0000000012.bin"):
        (run.checkpoints / name).write_bytes(b"")
    with run.lock():
        pass
    assert run.lock_file.exists()  # the lock file stays and is no run
    assert not run.has_checkpoint()
    run.checkpoint(12).write_bytes(b"")
    run.checkpoint(100).write_bytes(b"")
    assert run.has_checkpoint()
    assert run.checkpoint_files() == [run.checkpoint(100), run.checkpoint(12)]


def test_check_start(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "r")
    run.check_start(resume=False)
    with pytest.raises(ValueError) as error:
        run.check_start(resume=True)
    assert str(error.value) == (
        f"resume: no checkpoint to resume from in {run.checkpoints}; start without --resume "
        "or choose the run directory of an earlier run"
    )
    run.checkpoints.mkdir(parents=True)
    run.checkpoint(5).write_bytes(b"")
    run.check_start(resume=True)
    with pytest.raises(ValueError) as error:
        run.check_start(resume=False)
    assert str(error.value) == (
        f"run_dir: {run.path} already holds a run (a checkpoint in {run.checkpoints}); "
        "add --resume or choose another run directory"
    )


def test_lock_writes_holder_and_releases(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "new" / "r")
    lock = run.lock()  # creates the folder
    assert lock.held
    pid, command = rundir.read_holder(run)
    assert pid == os.getpid()
    assert command  # this process's command line
    lock.release()
    lock.release()  # twice: nothing
    assert not lock.held
    assert rundir.read_holder(run) == (None, "")
    with run.lock():
        pass


def test_lock_twice_in_one_process_refuses(tmp_path: Path) -> None:
    with RunDir(tmp_path / "r").lock():
        with pytest.raises(RunInUseError, match=f"is in use by process {os.getpid()} "):
            RunDir(tmp_path / "r").lock()
    RunDir(tmp_path / "r").lock().release()  # free again after the block


def test_lock_released_on_exception(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "r")
    with pytest.raises(RuntimeError, match="boom"):
        with run.lock():
            raise RuntimeError("boom")
    run.lock().release()


def test_lock_refuses_another_process_and_names_it(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "r")
    child = _holder(run.path)
    try:
        with pytest.raises(RunInUseError) as error:
            run.lock()
        assert isinstance(error.value, ValueError)
        assert error.value.pid == child.pid
        message = str(error.value)
        assert message.startswith(f"run_dir: {run.path} is in use by process {child.pid} (")
        assert "from ctpg.rundir import RunDir" in message  # the holder's command line
        assert "\n" not in message
    finally:
        child.kill()
        child.communicate(timeout=TIMEOUT)


def test_kill_9_leaves_no_stale_lock(tmp_path: Path) -> None:
    run = RunDir(tmp_path / "r")
    child = _holder(run.path)
    with pytest.raises(RunInUseError):
        run.lock()
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=TIMEOUT)
    assert child.returncode == -signal.SIGKILL
    with run.lock() as lock:
        assert rundir.read_holder(run)[0] == os.getpid()
        assert lock.held
