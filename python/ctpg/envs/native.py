"""`NativeVecEnv`: the multi-task vector env over the C++ engine `ctpg._core.VecEnv`.

The engine steps every sub-env on its thread pool without the GIL, computes
observation, reward and success in C++ and autoresets in the same step. This
wrapper adds the gymnasium `VectorEnv` face, argument checks and the
task-vector options; it holds no per-step logic beyond one engine call.
"""

from __future__ import annotations

import os
from typing import Any

import gymnasium
import numpy as np

import ctpg._core as _core
from ctpg.envs import _metaworld
from ctpg.envs._vec_common import (
    STATE_KEYS,
    VECTOR_METADATA,
    check_actions,
    check_env_index,
    check_seed,
    check_state,
    check_task_vectors,
    init_spaces,
    parse_reset_options,
)
from ctpg.tasks import METAWORLD, TaskSet, gymnasium_asset_dir, metaworld_asset_dir


class NativeVecEnv(gymnasium.vector.VectorEnv):
    """One native sub-env per task, stepped in one call on a thread pool.

    Sub-env i's RNG is seeded from (seed, i); `reset(seed=s)` reseeds. Goal
    handling as in `PythonVecEnv`: `random_goals=False` freezes each MetaWorld
    sub-env to one vector drawn at construction; `reset(options={"task_vectors":
    [...]})` freezes to given vectors (checked against the task's ranges and
    reset condition), a None entry restores the sub-env's default.
    """

    metadata = VECTOR_METADATA

    def __init__(
        self,
        task_set: TaskSet,
        seed: int = 0,
        num_threads: int | None = None,
        random_goals: bool = True,
    ) -> None:
        seed = check_seed(seed) or 0
        threads = (os.cpu_count() or 1) if num_threads is None else num_threads
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise ValueError(f"num_threads: expected a positive int or None, got {num_threads!r}")
        self.task_set = task_set
        self.task_names: list[str] = list(task_set.task_names)
        self.num_tasks = len(self.task_names)
        init_spaces(self, task_set)
        self._metaworld = task_set.family is METAWORLD
        self._core = _core.VecEnv(
            self.task_names,
            metaworld_asset_dir(),
            gymnasium_asset_dir(),
            seed,
            threads,
            [task_set.max_episode_steps] * self.num_envs,
        )
        self._info_keys: tuple[str, ...] = tuple(self._core.info_keys)
        assert self._info_keys == task_set.family.info_keys, self._info_keys
        self._default_vectors: list[np.ndarray | None] = [None] * self.num_envs
        if self._metaworld and not random_goals:
            self._core.reset(seed)
            self._default_vectors = [np.array(v, np.float64) for v in self._core.task_vectors()]
            self._core.freeze_task_vectors(self._default_vectors)
        self._needs_reset = True

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Resets every sub-env; see the class docstring for `seed` and `options`."""
        seed = check_seed(seed)
        vectors = parse_reset_options(options, self.num_envs)
        if vectors is not None:
            checked = check_task_vectors(
                vectors,
                self.task_names,
                self._metaworld,
                lambda i: _metaworld.probe_env(self.task_names[i]),
            )
            self._core.freeze_task_vectors(
                [
                    v if v is not None else d
                    for v, d in zip(checked, self._default_vectors, strict=True)
                ]
            )
        obs = self._core.reset(seed)
        self._needs_reset = False
        return obs, {}

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Steps every sub-env; an ended episode is reset in the same step."""
        if self._needs_reset:
            raise RuntimeError("call reset() before step()")
        actions = check_actions(actions, self.task_names, self.task_set.family.action_dim)
        obs, reward, terminated, truncated, success, final_obs, values = self._core.step(
            actions, with_info=True
        )
        return obs, reward, terminated, truncated, self._step_info(success, final_obs, values)

    def step_async(self, actions: np.ndarray) -> None:
        """Starts ``step(actions)`` in the engine's threads and returns at once (the actions
        are copied); ``step_wait()`` returns its results. Work done in between (a network
        update) overlaps the environment step."""
        if self._needs_reset:
            raise RuntimeError("call reset() before step_async()")
        actions = check_actions(actions, self.task_names, self.task_set.family.action_dim)
        self._core.step_async(actions, with_info=True)

    def step_wait(
        self,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """The results of the step ``step_async`` started, as ``step`` returns them."""
        obs, reward, terminated, truncated, success, final_obs, values = self._core.step_wait()
        return obs, reward, terminated, truncated, self._step_info(success, final_obs, values)

    def _step_info(
        self, success: np.ndarray, final_obs: np.ndarray, values: np.ndarray
    ) -> dict[str, Any]:
        info: dict[str, Any] = {"success": success, "final_obs": final_obs}
        for k, key in enumerate(self._info_keys):
            info[key] = values[:, k]
        return info

    def task_vectors(self) -> list[np.ndarray]:
        """The task vectors of the current episodes (empty for HalfCheetah)."""
        return [np.array(v, np.float64) for v in self._core.task_vectors()]

    def set_state(self, env: int, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """Overwrites the state of sub-env `env` (qpos, qvel, `mj_forward`); returns its
        observation (for MetaWorld unclipped, its frame becoming the previous-frame block)."""
        qpos, qvel = check_state(env, self.num_envs, qpos, qvel)
        if self._needs_reset:
            raise RuntimeError("call reset() before set_state()")
        return self._core.set_state(int(env), qpos, qvel)

    def get_state(self, env: int) -> dict[str, np.ndarray]:
        """A copy of sub-env `env`'s simulation state and the model fields its task edits
        (keys `STATE_KEYS`): what `ctpg.envs.render` copies into the full model to draw it.
        The engine's own model lacks render-only geoms, cameras and lights."""
        index = check_env_index(env, self.num_envs)
        if self._needs_reset:
            raise RuntimeError("call reset() before get_state()")
        state = self._core.get_state(index)
        return {key: state[key] for key in STATE_KEYS}
