"""Deterministic evaluation of the control policies, under one of two protocols.

Every task's environment runs episodes with the mean action of its own control policy pi_i;
the guide is not used. Both protocols report the same metrics (``eval_metrics``); which one
ran is ``eval_protocol`` in the run's config.yaml.

``paper`` (docs/algorithm.md, section 5, the default): ``episodes`` episodes per task of the env's
own length, on the env's own goals; a MetaWorld episode counts as a success when the
environment reported success at any of its steps; the return is the undiscounted sum of raw
rewards of the whole episode. The evaluation environments are a separate instance from the
training ones and are reset with the same seed at every evaluation, so every evaluation of a
run scores the policies on the same sequence of goals (a fixed test set), also across a
resume.

``metaworld``: what MetaWorld 3.x's own ``metaworld.evaluation.evaluation(agent, envs,
num_episodes)`` computes on freshly built ``gymnasium.make_vec("Meta-World/MT10", seed=seed)``
envs (``Meta-World/MT50``, or ``Meta-World/custom-mt-envs`` for a task list): ``episodes``
episodes per task (``num_episodes``, 50 in MetaWorld), each on a goal drawn from the 50 task
vectors the MetaWorld benchmark holds for the task, as its task-select wrapper draws them
(``ctpg.envs._metaworld.evaluation_goals``); an episode ends at its first success (MetaWorld
terminates on success during evaluation) or at the env's episode limit (MetaWorld's 500
steps; the trainer builds its evaluation env so); success = the episode ended in success;
return = the undiscounted sum of raw rewards up to the episode's end; success rate per task
= successes / episodes, and the means over tasks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ctpg.config import EVAL_PROTOCOLS
from ctpg.envs import _metaworld
from ctpg.tasks import BENCHMARKS, metaworld_protocol_problem

METAWORLD_EPISODES = 50
"""Episodes per task of MetaWorld's evaluation (``num_episodes`` of ``evaluation``)."""
METAWORLD_EPISODE_STEPS = 500
"""Episode length of MetaWorld's evaluation envs (``max_path_length`` of every v3 env)."""


def evaluate(
    env: Any,
    agent: Any,
    episodes: int,
    seed: int,
    device: torch.device,
    protocol: str = "paper",
    benchmark: str | Sequence[str] | None = None,
) -> dict[str, float]:
    """Run ``episodes`` deterministic episodes per task; return namespaced eval metrics.

    ``protocol="paper"``: ``seed`` is the seed the envs are reset with. ``"metaworld"``
    (MetaWorld tasks only): ``seed`` is the seed MetaWorld's envs would be built with, and
    ``benchmark`` ("mt10", "mt50" or a task list; default ``env.task_names``) names the
    MetaWorld benchmark whose held task vectors are the goals. See the module docstring."""
    if protocol not in EVAL_PROTOCOLS:
        raise ValueError(f"protocol: expected one of {EVAL_PROTOCOLS}, got {protocol!r}")
    if isinstance(episodes, bool) or not isinstance(episodes, int) or episodes < 1:
        raise ValueError(f"episodes: expected a positive int, got {episodes!r}")
    if protocol == "metaworld":
        goals = _metaworld_goals(list(env.task_names), benchmark, seed, episodes)
        return _evaluate_on_goals(env, agent, goals, device)
    return _evaluate_paper(env, agent, episodes, seed, device)


def _act(agent: Any, obs: np.ndarray, task: torch.Tensor, device: torch.device) -> np.ndarray:
    with torch.no_grad():
        action = agent.act(torch.as_tensor(obs, device=device), task, deterministic=True)
    return np.ascontiguousarray(action.cpu().numpy(), dtype=np.float32)


def _evaluate_paper(
    env: Any, agent: Any, episodes: int, seed: int, device: torch.device
) -> dict[str, float]:
    num_tasks = int(env.num_tasks)
    task = torch.arange(num_tasks, device=device)
    obs, _ = env.reset(seed=seed)
    finished = np.zeros(num_tasks, dtype=np.int64)
    success_sum = np.zeros(num_tasks)
    return_sum = np.zeros(num_tasks)
    episode_return = np.zeros(num_tasks)
    episode_success = np.zeros(num_tasks, dtype=bool)
    while (finished < episodes).any():
        obs, reward, terminated, truncated, info = env.step(_act(agent, obs, task, device))
        episode_return += reward
        episode_success |= np.asarray(info["success"], dtype=bool)
        ended = np.asarray(terminated, dtype=bool) | np.asarray(truncated, dtype=bool)
        counted = ended & (finished < episodes)
        success_sum += np.where(counted, episode_success, 0.0)
        return_sum += np.where(counted, episode_return, 0.0)
        finished += ended
        episode_return[ended] = 0.0
        episode_success[ended] = False
    return eval_metrics(list(env.task_names), success_sum / episodes, return_sum / episodes)


def _metaworld_goals(
    task_names: list[str], benchmark: str | Sequence[str] | None, seed: int, episodes: int
) -> list[list[np.ndarray]]:
    """``goals[k][i]``: the task vector of sub-env i's k-th episode; ValueError naming the
    argument for HalfCheetah tasks, repeated tasks or a benchmark the env does not run."""
    problem = metaworld_protocol_problem(task_names)
    if problem is not None:
        raise ValueError(f"protocol: {problem}")
    if benchmark is None:
        benchmark = task_names
    if isinstance(benchmark, str):
        if benchmark not in _metaworld.MT_BENCHMARKS or list(BENCHMARKS[benchmark]) != task_names:
            raise ValueError(
                f"benchmark: {benchmark!r} is not a MetaWorld benchmark of the env's tasks "
                f"{task_names} (expected one of {sorted(_metaworld.MT_BENCHMARKS)} or the "
                "task list)"
            )
        return _metaworld.evaluation_goals(benchmark, seed, episodes)
    if list(benchmark) != task_names:
        raise ValueError(
            f"benchmark: the task list {list(benchmark)} is not the env's {task_names}"
        )
    return _metaworld.evaluation_goals(tuple(task_names), seed, episodes)


def _evaluate_on_goals(
    env: Any, agent: Any, goals: list[list[np.ndarray]], device: torch.device
) -> dict[str, float]:
    """One episode per entry of ``goals`` for every sub-env, run as rounds: every sub-env is
    reset to its k-th goal, and the round lasts until every episode has ended at its first
    success or at the env's episode limit (a sub-env whose episode ended keeps stepping,
    unscored). Episodes are independent: each starts from a reset to its frozen vector and
    the policy is deterministic and memoryless, so the order in which episodes run does not
    change them."""
    num_tasks = int(env.num_tasks)
    task = torch.arange(num_tasks, device=device)
    success_sum = np.zeros(num_tasks)
    return_sum = np.zeros(num_tasks)
    for round_goals in goals:
        obs, _ = env.reset(options={"task_vectors": round_goals})
        running = np.ones(num_tasks, dtype=bool)
        while running.any():
            obs, reward, terminated, truncated, info = env.step(_act(agent, obs, task, device))
            return_sum += np.where(running, reward, 0.0)
            succeeded = running & np.asarray(info["success"], dtype=bool)
            success_sum += succeeded
            ended = np.asarray(terminated, dtype=bool) | np.asarray(truncated, dtype=bool)
            running &= ~(succeeded | ended)
    episodes = len(goals)
    return eval_metrics(list(env.task_names), success_sum / episodes, return_sum / episodes)


def eval_metrics(
    task_names: list[str], success: np.ndarray, returns: np.ndarray
) -> dict[str, float]:
    """``eval/success``, ``eval/return`` (task means) and ``eval/<task>/...`` per task."""
    metrics = {"eval/success": float(success.mean()), "eval/return": float(returns.mean())}
    for name, s, r in zip(task_names, success, returns, strict=True):
        metrics[f"eval/{name}/success"] = float(s)
        metrics[f"eval/{name}/return"] = float(r)
    return metrics
