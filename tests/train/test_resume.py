"""A stopped run resumes from its checkpoint: step count, metrics and learner state continue."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import ctpg
from ctpg.checkpoint import load_checkpoint
from ctpg.metrics import read_metrics
from ctpg.trainer import Trainer


def _without_perf(row: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in row.items() if not k.startswith("perf/")}


def test_resume_continues_steps_and_metrics(tiny) -> None:
    full = tiny("mhsac", "ctpg", name="full", steps=300)
    first = tiny("mhsac", "ctpg", name="stopped", steps=200)
    run_dir = ctpg.train(first, progress=False)
    assert load_checkpoint(run_dir)[0]["step"] == 200
    ctpg.train(dataclasses.replace(first, steps=300), resume=True, progress=False)
    resumed = read_metrics(run_dir / "metrics.csv")
    assert [int(r["step"]) for r in resumed] == [100, 200, 300]
    assert load_checkpoint(run_dir)[0]["step"] == 300
    reference = read_metrics(ctpg.train(full, progress=False) / "metrics.csv")
    # Everything up to the stop is the same run; the rows after it continue the same run.
    assert [_without_perf(r) for r in resumed[:2]] == [_without_perf(r) for r in reference[:2]]
    assert set(resumed[2]) == set(reference[2])


def test_checkpoint_restores_learner_replay_and_rng(tiny) -> None:
    cfg = tiny("mtsac", "ctpg", steps=200)
    run_dir = ctpg.train(cfg, progress=False)
    row = read_metrics(run_dir / "metrics.csv")[-1]
    state, replay_path = load_checkpoint(run_dir)
    trainer = Trainer(cfg, torch.device("cpu"))
    trainer.load_state_dict(state, replay_path)
    assert trainer.step == 200
    assert trainer.replay.sizes().tolist() == [200, 200]
    # The restored policies score exactly what they scored when the checkpoint was taken.
    again = trainer.evaluate()
    for key in ("eval/return", *(f"eval/{n}/return" for n in cfg.env.tasks)):
        assert again[key] == pytest.approx(float(row[key]), rel=1e-6)
    # The replay sampler and numpy generator continue from the saved states.
    other = Trainer(cfg, torch.device("cpu"))
    other.load_state_dict(state, replay_path)
    a, b = trainer.replay.sample(4), other.replay.sample(4)
    torch.testing.assert_close(a["obs"], b["obs"])
    assert np.array_equal(trainer.rng.random(3), other.rng.random(3))


def test_resume_of_a_finished_run_with_more_steps_only_adds_rows(tiny) -> None:
    cfg = tiny("single", "none", steps=100)
    run_dir = ctpg.train(cfg, progress=False)
    ctpg.train(dataclasses.replace(cfg, steps=200), resume=True, progress=False)
    assert [int(r["step"]) for r in read_metrics(run_dir / "metrics.csv")] == [100, 200]


def test_resume_truncates_rows_written_after_the_checkpoint(tiny) -> None:
    cfg = tiny("mtsac", "none", steps=100)
    run_dir = ctpg.train(cfg, progress=False)
    with (run_dir / "metrics.csv").open("a") as f:  # a row whose checkpoint never landed
        f.write("150" + "," * (len(read_metrics(run_dir / "metrics.csv")[0]) - 1) + "\n")
    ctpg.train(dataclasses.replace(cfg, steps=200), resume=True, progress=False)
    assert [int(r["step"]) for r in read_metrics(run_dir / "metrics.csv")] == [100, 200]
