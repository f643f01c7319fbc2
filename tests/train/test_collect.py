"""Collection as the reference does it: policies act from the first step, blocked tasks keep
flagging their K-step boundaries, and a block longer than the replay ring is harmless."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pytest
import torch

from ctpg.trainer import Trainer


def _trainer(cfg: Any) -> Trainer:
    return Trainer(cfg, torch.device("cpu"))


def _task_0_blocked(tiny: Any) -> Trainer:
    """A CTPG trainer with K = 4 whose task 0 is blocked by the guide-block gate."""
    cfg = tiny("mhsac", "ctpg")
    guide = dataclasses.replace(cfg.agent.guide, guide_step=4)
    trainer = _trainer(dataclasses.replace(cfg, agent=dataclasses.replace(cfg.agent, guide=guide)))
    trainer.blocked = np.array([True, False])
    trainer.scheduler.set_blocked(trainer.blocked)
    return trainer


def _record_adds(trainer: Trainer) -> list[dict[str, np.ndarray]]:
    """Wrap ``trainer.replay.add`` to keep the behaviour and guide_begin of every row."""
    rows: list[dict[str, np.ndarray]] = []
    add = trainer.replay.add

    def recording(*args: Any) -> None:
        rows.append({"behaviour": np.array(args[6]), "guide_begin": np.array(args[7])})
        add(*args)

    trainer.replay.add = recording  # type: ignore[method-assign]
    return rows


def test_untrained_policies_act_during_warmup(tiny) -> None:
    """No uniform random actions: step 0 samples the (untrained) policies of every task."""
    trainer = _trainer(tiny("mhsac", "none"))
    calls: list[tuple[torch.Tensor, bool]] = []
    act = trainer.agent.act

    def recording(obs: torch.Tensor, policy: torch.Tensor, deterministic: bool) -> torch.Tensor:
        calls.append((policy.clone(), deterministic))
        return act(obs, policy, deterministic)

    trainer.agent.act = recording  # type: ignore[method-assign]
    assert trainer.step < trainer.cfg.warmup_steps
    trainer.collect()
    assert len(calls) == 1
    policy, deterministic = calls[0]
    assert not deterministic and policy.tolist() == [0, 1]


def test_guide_chooses_during_warmup(tiny) -> None:
    """The guide picks behaviour tasks from the first step (K = 10: steps 0, 10, 20)."""
    trainer = _trainer(tiny("mhsac", "ctpg"))
    rows = _record_adds(trainer)
    for _ in range(30):
        trainer.collect()
        trainer.step += 1
    assert trainer.step < trainer.cfg.warmup_steps
    assert trainer.guide_stats.pairs.sum() == 2 * 3
    begin = np.array([r["guide_begin"] for r in rows])
    assert np.array_equal(np.flatnonzero(begin[:, 0]), [0, 10, 20])


def test_blocked_task_flags_every_boundary_with_its_own_behaviour(tiny) -> None:
    trainer = _task_0_blocked(tiny)
    cfg = trainer.cfg
    rows = _record_adds(trainer)
    episode = cfg.env.max_episode_steps
    for _ in range(2 * episode):  # the block latches at the first episode start
        trainer.collect()
        trainer.step += 1
    begin = np.array([r["guide_begin"] for r in rows])
    behaviour = np.array([r["behaviour"] for r in rows])
    expected = (np.arange(2 * episode) % episode) % 4 == 0
    assert np.array_equal(begin[:, 0], expected)  # blocked env 0: every boundary flagged
    assert np.array_equal(begin[:, 1], expected)
    assert np.all(behaviour[:, 0] == 0)  # ... always acting with its own policy
    assert trainer.guide_stats.pairs[0].sum() == 0  # ... and never asking the guide


def test_block_longer_than_the_ring_neither_crashes_nor_goes_stale(tiny) -> None:
    """A task blocked for longer than its replay ring still has guide segments (flagged at
    its boundaries while blocked) when the block lifts: the guide update samples them."""
    cfg = tiny("mhsac", "ctpg", warmup_steps=10)
    cfg = dataclasses.replace(cfg, replay=dataclasses.replace(cfg.replay, capacity=2 * 60))
    trainer = _trainer(cfg)
    trainer.blocked = np.array([True, False])
    trainer.scheduler.set_blocked(trainer.blocked)
    for _ in range(200):  # 200 steps > 60 slots per task: the ring wraps three times
        trainer.collect()
        trainer.update()
    trainer.blocked = np.array([False, False])
    trainer.scheduler.set_blocked(trainer.blocked)
    segments = trainer.replay.sample_segments(trainer._segment_counts())
    task = segments["task"].numpy()
    assert set(task.tolist()) == {0, 1}
    assert np.all(segments["behaviour"].numpy()[task == 0] == 0)
    while trainer.step % cfg.agent.guide.update_every:
        trainer.collect()
        trainer.update()
    trainer.collect()
    trainer.update()  # a guide update with task 0 in the batch
    assert "loss/guide_critic" in trainer.latest_losses


def test_fixed_goals_are_evaluated_on_the_trained_goals(tiny) -> None:
    """With random_goals=False every MetaWorld sub-env keeps one task vector; the
    evaluation envs use the same vectors (a fixed-goal benchmark tests its own goals)."""
    cfg = tiny("mhsac", "none", steps=20, eval_every=20, warmup_steps=10)
    env = dataclasses.replace(
        cfg.env, tasks=("reach-v3", "drawer-close-v3"), random_goals=False, max_episode_steps=10
    )
    trainer = _trainer(dataclasses.replace(cfg, env=env))
    trained = trainer.env.task_vectors()
    for _ in range(20):
        trainer.collect()
        trainer.update()
    trainer.evaluate()
    for a, b, c in zip(
        trained, trainer.env.task_vectors(), trainer.eval_env.task_vectors(), strict=True
    ):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_other_policy_share_counts_the_steps_on_another_tasks_policy(tiny) -> None:
    """``guide/other_policy_share`` is the share of stored transitions whose behaviour task
    is not their own (task 0 blocked: none of its steps count). With K dividing the
    episode, every guide decision covers K steps, so the share also equals the decisions
    that chose another task times K over the steps: the reading of runs without the
    counter."""
    trainer = _task_0_blocked(tiny)
    cfg = trainer.cfg
    rows = _record_adds(trainer)
    steps = 4 * cfg.env.max_episode_steps
    assert cfg.env.max_episode_steps % 4 == 0
    for _ in range(steps):
        trainer.collect()
        trainer.step += 1
    behaviour = np.array([r["behaviour"] for r in rows])
    other = behaviour != np.arange(2)
    assert 0 < other[:, 1].mean() < 1  # the untrained guide sends task 1 both ways
    pairs = trainer.guide_stats.pairs.copy()
    out = trainer.guide_stats.pop(trainer.blocked)
    assert out["guide/other_policy_share/" + trainer.task_names[0]] == 0.0
    assert out["guide/other_policy_share/" + trainer.task_names[1]] == other[:, 1].mean()
    assert out["guide/other_policy_share"] == other.mean()
    other_decisions = out["guide/decisions"] * (1 - out["guide/own_rate"])
    assert other_decisions == pytest.approx(pairs.sum() - np.trace(pairs))
    assert other_decisions * 4 / (steps * 2) == pytest.approx(other.mean())
    assert trainer.guide_stats.pop(trainer.blocked)["guide/other_policy_share"] == 0.0
