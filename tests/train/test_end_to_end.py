"""Every base x sharing combination trains end to end and writes metrics and a checkpoint."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

import ctpg
from ctpg.checkpoint import load_checkpoint
from ctpg.config import BASES, SHARINGS
from ctpg.metrics import read_metrics


def _check_run(run_dir: Path, steps: int, task_names: tuple[str, ...]) -> list[dict[str, str]]:
    rows = read_metrics(run_dir / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [100, 200][: len(rows)]
    assert int(rows[-1]["step"]) == steps
    for name in task_names:
        assert f"eval/{name}/success" in rows[-1]
        assert float(rows[-1][f"eval/{name}/return"]) != 0.0
    assert "loss/critic" in rows[-1]
    state, replay_path = load_checkpoint(run_dir)
    assert state["step"] == steps
    assert replay_path.is_file()
    assert (run_dir / "config.yaml").is_file()
    assert any((run_dir / "tensorboard").iterdir())
    return rows


@pytest.mark.parametrize("sharing", SHARINGS)
@pytest.mark.parametrize("base", BASES)
def test_base_sharing_combination_trains(tiny, base: str, sharing: str) -> None:
    cfg = tiny(base, sharing)
    run_dir = ctpg.train(cfg, progress=False)
    rows = _check_run(run_dir, cfg.steps, cfg.env.tasks)
    if sharing == "ctpg":
        chosen = [float(rows[-1][f"guide/chosen/{n}"]) for n in cfg.env.tasks]
        assert sum(chosen) == pytest.approx(1.0)
        assert "loss/guide_critic" in rows[-1] or any(k.startswith("loss/guide") for k in rows[-1])


def test_prioritized_replay_trains(tiny) -> None:
    cfg = tiny("mhsac", "ctpg")
    cfg = dataclasses.replace(cfg, replay=dataclasses.replace(cfg.replay, kind="prioritized"))
    _check_run(ctpg.train(cfg, progress=False), cfg.steps, cfg.env.tasks)


def test_ablations_train(tiny) -> None:
    cfg = tiny("mtsac", "ctpg")
    guide = dataclasses.replace(
        cfg.agent.guide, filter_gate="off", block_gate=False, hindsight=False, guide_step=3
    )
    cfg = dataclasses.replace(cfg, agent=dataclasses.replace(cfg.agent, guide=guide))
    rows = _check_run(ctpg.train(cfg, progress=False), cfg.steps, cfg.env.tasks)
    assert float(rows[-1]["guide/blocked"]) == 0.0
    assert float(rows[-1]["guide/mask_rate"]) == 0.0


@pytest.mark.parametrize("mode", ["on", "reference"])
def test_filter_gate_acts_and_is_reported(tiny, mode: str) -> None:
    """Once filter_after and filter_min_updates are reached the gate acts; every
    evaluation reports both sides of the gate measured on guide-decision states."""
    cfg = tiny("mhsac", "ctpg")
    guide = dataclasses.replace(cfg.agent.guide, filter_gate=mode)
    cfg = dataclasses.replace(cfg, agent=dataclasses.replace(cfg.agent, guide=guide))
    rows = _check_run(ctpg.train(cfg, progress=False), cfg.steps, cfg.env.tasks)
    assert [float(r["guide/filter_active"]) for r in rows] == [0.0, 1.0]
    assert float(rows[0]["guide/gated_decisions"]) == 0.0
    assert float(rows[1]["guide/gated_decisions"]) > 0.0
    for key in ("gate_v", "gate_own", "gate_gap", "gate_own_pass", "gate_any_pass"):
        assert math.isfinite(float(rows[1][f"guide/{key}"])), key
    for name in cfg.env.tasks:
        assert 0.0 <= float(rows[1][f"guide/gate_own_pass/{name}"]) <= 1.0
        shares = [float(rows[1][f"guide/choice/{name}/{other}"]) for other in cfg.env.tasks]
        assert sum(shares) == pytest.approx(1.0)


def test_python_backend_metaworld_reports_success(tiny) -> None:
    cfg = tiny("mtsac", "none", steps=100, eval_every=100, warmup_steps=50)
    env = dataclasses.replace(
        cfg.env, tasks=("reach-v3", "drawer-close-v3"), backend="python", num_threads=0
    )
    cfg = dataclasses.replace(cfg, env=env)
    rows = read_metrics(ctpg.train(cfg, progress=False) / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [100]
    for name in env.tasks:
        assert 0.0 <= float(rows[0][f"eval/{name}/success"]) <= 1.0
