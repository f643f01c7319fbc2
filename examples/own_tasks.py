"""Train CTPG on a task family of your own: a gymnasium env, one sub-env per task.

    python examples/own_tasks.py [--steps 1500] [--run-dir runs/own-tasks]

The family: a point in the plane moves to a goal, one goal per task. Each task is a plain
``gymnasium.Env``; ``gymnasium.vector.SyncVectorEnv`` stacks them (with gymnasium's default
NEXT_STEP autoreset; ctpg converts it) and ``ctpg.train(cfg, env=..., eval_env=...)`` trains
on it. The same tasks registered as a gymnasium id train from the command line with
``python -m ctpg.train --env mypkg:PointReach-v0 ... --env-kwargs '[{"goal": ...}, ...]'``
(docs/own-tasks.md).
"""

from __future__ import annotations

import argparse
import dataclasses
from functools import partial
from typing import Any

import gymnasium
import numpy as np
from gymnasium.spaces import Box

import ctpg
from ctpg.config import EnvConfig, ReplayConfig
from ctpg.metrics import read_metrics

GOALS = ((0.6, 0.6), (-0.6, 0.6), (0.6, -0.6))
EPISODE = 25


class PointReach(gymnasium.Env):  # type: ignore[type-arg]
    """Move a point to ``goal``: actions are moves of at most 0.25 per axis (ctpg's [-1, 1]
    actions are rescaled to these bounds), the reward is minus the distance to the goal and
    ``info["success"]`` says whether the point is within 0.1 of it."""

    def __init__(self, goal: tuple[float, float]) -> None:
        self.goal = np.asarray(goal)
        self.observation_space = Box(-1.0, 1.0, (2,), np.float64)
        self.action_space = Box(-0.25, 0.25, (2,), np.float64)
        self.pos = np.zeros(2)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.pos = self.np_random.uniform(-0.5, 0.5, size=2)
        return self.pos.copy(), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self.pos = np.clip(self.pos + action, -1.0, 1.0)
        distance = float(np.linalg.norm(self.pos - self.goal))
        return self.pos.copy(), -distance, False, False, {"success": distance < 0.1}


def family() -> ctpg.CtpgEnv:
    """One sub-env per goal, each with a 25-step time limit, named after its goal."""
    env = gymnasium.vector.SyncVectorEnv(
        [partial(gymnasium.wrappers.TimeLimit, PointReach(goal), EPISODE) for goal in GOALS]
    )
    names = [f"goal({x:+.1f},{y:+.1f})" for x, y in GOALS]
    return ctpg.adapt_vector_env(env, task_names=names)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--run-dir", default="runs/own-tasks")
    args = p.parse_args(argv)
    base = ctpg.preset("quick")  # small networks; only the env and the schedule change
    cfg = dataclasses.replace(
        base,
        name="own-tasks",
        steps=args.steps,
        warmup_steps=200,
        eval_every=max(args.steps // 4, 1),
        eval_episodes=3,
        batch_size=48,
        device="cpu",
        run_dir=args.run_dir,
        env=EnvConfig(max_episode_steps=EPISODE),  # the episode limit of the evaluations
        replay=ReplayConfig(capacity=30_000),
        agent=dataclasses.replace(
            base.agent, guide=dataclasses.replace(base.agent.guide, batch_size=48)
        ),
    )
    run_dir = ctpg.train(cfg, env=family(), eval_env=family(), progress=False)
    for row in read_metrics(run_dir / "metrics.csv"):
        print(f"step {row['step']:>6}  return {float(row['eval/return']):7.2f}  "
              f"success {float(row['eval/success']):.2f}")  # fmt: skip
    policy = ctpg.load_policy(run_dir)  # actions in the env's units (moves of <= 0.25)
    print("policy tasks:", policy.task_names)


if __name__ == "__main__":
    main()
