"""Deterministic evaluation of the control policies (ALGORITHM.md section 5).

Every task's environment runs ``episodes`` episodes with the mean action of its own control
policy pi_i; the guide is not used. A MetaWorld episode counts as a success when the
environment reported success at any of its steps; the return is the undiscounted sum of raw
rewards. The evaluation environments are a separate instance from the training ones and
are reset with the same seed at every evaluation, so every evaluation of a run scores the
policies on the same sequence of goals (a fixed test set), also across a resume.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch


def evaluate(
    env: Any, agent: Any, episodes: int, seed: int, device: torch.device
) -> dict[str, float]:
    """Run ``episodes`` deterministic episodes per task; return namespaced eval metrics."""
    num_tasks = int(env.num_tasks)
    task = torch.arange(num_tasks, device=device)
    obs, _ = env.reset(seed=seed)
    finished = np.zeros(num_tasks, dtype=np.int64)
    success_sum = np.zeros(num_tasks)
    return_sum = np.zeros(num_tasks)
    episode_return = np.zeros(num_tasks)
    episode_success = np.zeros(num_tasks, dtype=bool)
    while (finished < episodes).any():
        with torch.no_grad():
            obs_t = torch.as_tensor(obs, device=device)
            action = agent.act(obs_t, task, deterministic=True)
        action_np = np.ascontiguousarray(action.cpu().numpy(), dtype=np.float32)
        obs, reward, terminated, truncated, info = env.step(action_np)
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


def eval_metrics(
    task_names: list[str], success: np.ndarray, returns: np.ndarray
) -> dict[str, float]:
    """``eval/success``, ``eval/return`` (task means) and ``eval/<task>/...`` per task."""
    metrics = {"eval/success": float(success.mean()), "eval/return": float(returns.mean())}
    for name, s, r in zip(task_names, success, returns, strict=True):
        metrics[f"eval/{name}/success"] = float(s)
        metrics[f"eval/{name}/return"] = float(r)
    return metrics
