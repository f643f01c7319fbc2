"""Faults a long run must survive: damaged checkpoints, a full disk, NaN, and kill -9."""

from __future__ import annotations

import dataclasses
import errno
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import ctpg
from ctpg import checkpoint as ckpt
from ctpg.algo.agent import Agent
from ctpg.config import dump_yaml
from ctpg.metrics import read_metrics
from ctpg.trainer import Trainer


def _steps(run_dir: Path) -> list[int]:
    return [int(r["step"]) for r in read_metrics(run_dir / "metrics.csv")]


def _saved_steps(run_dir: Path) -> list[int]:
    return [ckpt.checkpoint_step(p) for p in ckpt.checkpoints(run_dir)]


def _flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_the_last_two_checkpoints_are_kept_with_their_replay_files(tiny) -> None:
    run_dir = ctpg.train(tiny(steps=300), progress=False)
    assert _saved_steps(run_dir) == [300, 200]
    names = sorted(p.name for p in ckpt.checkpoint_dir(run_dir).iterdir())
    assert names == [
        "checkpoint-0000000200.pt",
        "checkpoint-0000000300.pt",
        "replay-0000000200.bin",
        "replay-0000000300.bin",
    ]


@pytest.mark.parametrize("damage", ["flipped payload byte", "truncated", "flipped replay byte"])
def test_a_damaged_checkpoint_is_refused_and_the_previous_one_resumes(
    tiny, capsys: pytest.CaptureFixture[str], damage: str
) -> None:
    cfg = tiny(steps=300)
    run_dir = ctpg.train(cfg, progress=False)
    newest = ckpt.checkpoints(run_dir)[0]
    if damage == "flipped payload byte":
        _flip_byte(newest, newest.stat().st_size // 2)
        with pytest.raises(ValueError, match="checksum"):
            ckpt.read_checkpoint(newest)
    elif damage == "truncated":
        os.truncate(newest, newest.stat().st_size - 10)
        with pytest.raises(ValueError, match="truncated"):
            ckpt.read_checkpoint(newest)
    else:
        replay = newest.with_name("replay-0000000300.bin")
        _flip_byte(replay, replay.stat().st_size // 2)
    capsys.readouterr()
    ctpg.train(dataclasses.replace(cfg, steps=400), resume=True, progress=False)
    err = capsys.readouterr().err
    assert newest.name in err and "checkpoint-0000000200.pt" in err, err
    # Resumed from step 200: the row of step 300 was written again, none is doubled.
    assert _steps(run_dir) == [100, 200, 300, 400]
    assert _saved_steps(run_dir) == [400, 300]


def test_no_usable_checkpoint_is_a_clear_error(tiny) -> None:
    cfg = tiny(steps=200)
    run_dir = ctpg.train(cfg, progress=False)
    for path in ckpt.checkpoints(run_dir):
        _flip_byte(path, 60)
    with pytest.raises(ValueError, match="no usable checkpoint.*checksum"):
        ctpg.train(dataclasses.replace(cfg, steps=300), resume=True, progress=False)


@pytest.mark.parametrize("failing", ["replay", "state"])
def test_a_full_disk_during_a_checkpoint_leaves_the_previous_one_usable(
    tiny, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    cfg = tiny(steps=200)
    run_dir = ctpg.train(cfg, progress=False)
    trainer = Trainer(cfg, torch.device("cpu"))
    ckpt.load_latest(run_dir, trainer.load_state_dict)
    real_fsync, calls = os.fsync, []

    def full_disk(fd: int) -> None:
        calls.append(fd)
        if len(calls) == (1 if failing == "replay" else 2):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(ckpt.os, "fsync", full_disk)
    with pytest.raises(OSError, match="could not write step 300.*earlier checkpoints are intact"):
        ckpt.save_checkpoint(run_dir, trainer.state_dict(), trainer.replay, 300)
    monkeypatch.setattr(ckpt.os, "fsync", real_fsync)
    assert not list(ckpt.checkpoint_dir(run_dir).glob("*.tmp"))
    assert _saved_steps(run_dir) == [200, 100]
    ctpg.train(dataclasses.replace(cfg, steps=300), resume=True, progress=False)
    assert _steps(run_dir) == [100, 200, 300]


def test_a_non_finite_loss_stops_the_run_naming_it_and_the_step(
    tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = tiny(steps=300)
    real_update = Agent.update

    def poisoned(self: Agent, batch: dict[str, Any], step: int) -> Any:
        if step == 150:  # after the first checkpoint (step 100)
            with torch.no_grad():
                next(self.nets.critic.parameters()).fill_(float("nan"))
        return real_update(self, batch, step)

    monkeypatch.setattr(Agent, "update", poisoned)
    with pytest.raises(FloatingPointError, match=r"non-finite loss/\w+.* at step 150"):
        ctpg.train(cfg, progress=False)
    run_dir = Path(cfg.run_dir)
    state, _ = ckpt.load_checkpoint(run_dir)
    assert state["step"] == 100
    assert all(torch.isfinite(v).all() for v in state["agent"]["nets"].values())


def test_a_non_finite_action_or_parameter_is_named(tiny, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tiny(steps=100)
    trainer = Trainer(cfg, torch.device("cpu"))
    with torch.no_grad():
        trainer.agent.nets.log_alpha.fill_(float("inf"))
    with pytest.raises(FloatingPointError, match="non-finite parameters log_alpha at step 0"):
        trainer.check_finite()
    real_act = Agent.act

    def nan_for_task_1(self: Agent, obs: Any, task: Any, deterministic: bool) -> Any:
        action = real_act(self, obs, task, deterministic).clone()
        action[1, 0] = float("nan")
        return action

    monkeypatch.setattr(Agent, "act", nan_for_task_1)
    with pytest.raises(FloatingPointError, match=f"action for {cfg.env.tasks[1]} at step 0"):
        trainer.collect()


def test_cli_reports_a_non_finite_run_without_a_traceback(
    tiny, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from ctpg import cli
    from ctpg.cli import train as cli_train

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise FloatingPointError("training: non-finite loss/critic at step 7")

    monkeypatch.setattr(cli_train, "train", fail)
    monkeypatch.setattr(cli_train, "config_from_args", lambda args: (tiny(), False))
    assert cli.main(["train"]) == 1
    assert "non-finite loss/critic at step 7" in capsys.readouterr().err


_RUNNER = """
import sys
import ctpg
from ctpg.config import load_yaml
ctpg.train(load_yaml(sys.argv[1]), resume=sys.argv[2] == "1", progress=False)
"""


def test_kill_9_at_random_moments_then_resume(tiny, tmp_path: Path) -> None:
    """The run is killed (SIGKILL) several times at random moments (collection, updates,
    evaluations and checkpoint writes all take a share of the run's time) and resumed each
    time; it ends with every evaluation row exactly once, and no kill loses more than the
    evaluation interval in progress."""
    every = 50
    cfg = tiny(steps=8000, eval_every=every, log_every=every)  # long enough to be killed
    config = tmp_path / "config.yaml"
    dump_yaml(cfg, config)
    run_dir = Path(cfg.run_dir)
    rng = np.random.default_rng(0)
    kills, attempts = 0, 0
    while attempts < 12:
        resume = ckpt.has_checkpoint(run_dir)
        if resume:  # at most the rows of one interval beyond the newest checkpoint
            rows = _steps(run_dir)
            assert rows == sorted(set(rows))
            assert max(rows, default=0) - _saved_steps(run_dir)[0] <= every
        argv = [sys.executable, "-c", _RUNNER, str(config), "1" if resume else "0"]
        proc = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        attempts += 1
        try:
            _, err = proc.communicate(timeout=float(rng.uniform(4.0, 9.0)) if kills < 4 else 300)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.communicate()
            kills += 1
            continue
        assert proc.returncode == 0, err
        break
    assert kills >= 3, "the run finished before it could be killed three times"
    assert _steps(run_dir) == list(range(every, cfg.steps + 1, every))
    assert not list(ckpt.checkpoint_dir(run_dir).glob("*.tmp"))
    assert _saved_steps(run_dir) == [cfg.steps, cfg.steps - every]


def test_a_row_cut_off_mid_line_and_rows_without_a_checkpoint_are_dropped(tiny) -> None:
    cfg = tiny(steps=200)
    run_dir = ctpg.train(cfg, progress=False)
    with (run_dir / "metrics.csv").open("a") as f:
        f.write("30")  # a kill in the middle of appending the row of step 300
    ctpg.train(dataclasses.replace(cfg, steps=300), resume=True, progress=False)
    assert _steps(run_dir) == [100, 200, 300]
    # A run killed before its first checkpoint starts over without the rows it wrote.
    for path in ckpt.checkpoints(run_dir):
        path.unlink()
    ctpg.train(dataclasses.replace(cfg, steps=100), progress=False)
    assert _steps(run_dir) == [100]
