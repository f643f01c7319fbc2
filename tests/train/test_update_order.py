"""The authors' update order (act, update, step, store), with the environments stepping
while the update runs, against the same order stepped after the update."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

import ctpg
from ctpg.metrics import read_metrics
from ctpg.trainer import Trainer


def learning_columns(run_dir: str) -> list[dict[str, str]]:
    rows = read_metrics(Path(run_dir) / "metrics.csv")
    return [{k: v for k, v in r.items() if not k.startswith("perf/")} for r in rows]


@pytest.mark.parametrize("backend", ["native", "python"])
def test_overlapped_steps_give_the_sequential_run(
    tiny: Any, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    runs = {}
    for overlap in (True, False):
        monkeypatch.setattr(Trainer, "overlap", overlap)
        cfg = tiny(name=f"overlap-{overlap}", update_order="reference")
        cfg = dataclasses.replace(cfg, env=dataclasses.replace(cfg.env, backend=backend))
        ctpg.train(cfg, progress=False)
        runs[overlap] = learning_columns(cfg.run_dir)
    assert len(runs[True]) == 2 and runs[True] == runs[False]


def test_in_the_reference_order_an_update_does_not_see_its_own_step(tiny: Any) -> None:
    """The first update samples from the warm-up's transitions only; store-first has one
    more (the step's own)."""
    seen = {}
    for order in ("reference", "store-first"):
        cfg = tiny(name=order, update_order=order)
        trainer = Trainer(cfg, torch.device("cpu"))
        real_sample = trainer.replay.sample

        def sample(batch: int, _real: Any = real_sample, _t: Trainer = trainer) -> Any:
            seen.setdefault(_t.cfg.update_order, _t.replay.sizes().copy())
            return _real(batch)

        trainer.replay.sample = sample  # type: ignore[method-assign]
        while trainer.step <= cfg.warmup_steps:
            trainer.train_step()
    np.testing.assert_array_equal(seen["reference"], [60, 60])
    np.testing.assert_array_equal(seen["store-first"], [61, 61])
