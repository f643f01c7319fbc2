"""What "a ctpg env" is: the protocol the trainer, the evaluation and the video steps.

``NativeVecEnv`` and ``PythonVecEnv`` satisfy it as they are; ``ctpg.envs.adapt_vector_env``
turns any ``gymnasium.vector.VectorEnv`` (one sub-env per task) into an object that does.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
from gymnasium.spaces import Box

StepResult = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]
"""``(obs, reward, terminated, truncated, info)`` of one step of every sub-env."""


@runtime_checkable
class CtpgEnv(Protocol):
    """A multi-task vector env, one sub-env per task, autoreset in the same step.

    - ``reset(seed=s)`` -> ``(obs, info)``, obs float32 [T, obs_dim];
    - ``step(actions)`` with float32 [T, action_dim] actions in [-1, 1] ->
      ``(obs, reward [T], terminated bool [T], truncated bool [T], info)``: an ended
      sub-env is reset in the same step (its row of obs is the new episode's first
      observation) and ``info["final_obs"]`` float32 [T, obs_dim] holds every row's true
      next observation (the last one of the ended episode where ``terminated | truncated``,
      what truncation bootstraps from); ``info["success"]`` bool [T] is every sub-env's
      success at this step;
    - ``step_async(actions)`` then ``step_wait()``: the same step, split so that work done
      in between may overlap it.
    """

    task_names: list[str]
    """One name per sub-env (task), in sub-env order."""
    num_tasks: int
    """``len(task_names)``."""
    num_envs: int
    """The number of sub-envs (= ``num_tasks``)."""
    single_observation_space: Box
    """float32 Box of shape (obs_dim,)."""
    single_action_space: Box
    """float32 Box [-1, 1] of shape (action_dim,)."""

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]: ...

    def step(self, actions: np.ndarray) -> StepResult: ...

    def step_async(self, actions: np.ndarray) -> None: ...

    def step_wait(self) -> StepResult: ...

    def close(self) -> None: ...
