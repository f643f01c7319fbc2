"""The ``quick`` preset learns within its 10,000 steps (1,500 of them random warm-up).

What is measured: the deterministic reach-v3 policy's evaluation return. Drawer-close is
no evidence here (untrained policies of some seeds already close the drawer: success 0.5
and 1.0 for seeds 0 and 2), and success flips between evaluations in this small, fast
preset (lr 1e-3, no gradient clipping, 4 episodes per task), so the test takes the best
evaluation of the run. Measured on 2 cores, seeds 0-3, each with two random streams of the
guide's segment sampler (8 runs): untrained reach-v3 return 202-314; best evaluation of the
trained run 441-1161, i.e. 2.2x-3.7x the untrained return of the same seed. Threshold: the
best reach-v3 return is at least twice the untrained policy's on the same goals. About
80 s on an idle 2-core machine.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch

import ctpg
from ctpg.config import preset
from ctpg.evaluate import evaluate
from ctpg.logging import read_metrics
from ctpg.trainer import EVAL_SEED_OFFSET, Trainer


@pytest.mark.slow
def test_quick_preset_learns_reach(tmp_path: Path) -> None:
    cfg = dataclasses.replace(
        preset("quick"), device="cpu", torch_threads=1, run_dir=str(tmp_path / "q")
    )
    untrained = Trainer(cfg, torch.device("cpu"))
    before = evaluate(
        untrained.eval_env,
        untrained.agent,
        cfg.eval_episodes,
        cfg.seed + EVAL_SEED_OFFSET,
        torch.device("cpu"),
    )["eval/reach-v3/return"]
    rows = read_metrics(ctpg.train(cfg, progress=False) / "metrics.csv")
    best = max(float(r["eval/reach-v3/return"]) for r in rows)
    assert best >= 2.0 * before, (best, before)
