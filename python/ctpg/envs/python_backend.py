"""`PythonVecEnv`: the multi-task vector env over MetaWorld's and gymnasium's own envs.

The reference backend: it steps MetaWorld's v3 envs and gymnasium's
HalfCheetah-v5 (on the variant models) one after the other in Python, with
the same interface, dtypes and same-step autoreset as the native backend.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from ctpg.envs import _cheetah, _metaworld
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
    state_arrays,
)
from ctpg.tasks import METAWORLD, TaskSet


def env_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of sub-env `index` under `seed`."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, index])))


class PythonVecEnv(gymnasium.vector.VectorEnv):
    """One MetaWorld or gymnasium env per task, stepped in lock-step.

    Sub-env i draws its randomness (MetaWorld's random vector, HalfCheetah's
    reset noise) from a generator seeded with (seed, i); `reset(seed=s)`
    reseeds every generator. MetaWorld sub-envs draw a fresh task vector at
    each reset unless frozen (`random_goals=False` freezes each to one vector
    drawn at construction; `reset(options={"task_vectors": [...]})` freezes to
    given vectors, a None entry restores the sub-env's default). `num_threads`
    has no effect here: the sub-envs are stepped one after the other.
    """

    metadata = VECTOR_METADATA

    def __init__(self, task_set: TaskSet, seed: int = 0, random_goals: bool = True) -> None:
        seed = check_seed(seed) or 0
        self.task_set = task_set
        self.task_names: list[str] = list(task_set.task_names)
        self.num_tasks = len(self.task_names)
        init_spaces(self, task_set)
        self._metaworld = task_set.family is METAWORLD
        self._limit = task_set.max_episode_steps
        self._envs = [self._make_env(i, task, seed) for i, task in enumerate(self.task_names)]
        self._default_vectors: list[np.ndarray | None] = [None] * self.num_envs
        if self._metaworld and not random_goals:
            for i, env in enumerate(self._envs):
                env.reset()
                vector = _metaworld.current_vector(env)
                _metaworld.freeze(env, vector)
                self._default_vectors[i] = vector
        self._steps = np.zeros(self.num_envs, dtype=np.int64)
        self._needs_reset = True
        self._pending: np.ndarray | None = None

    def _make_env(self, index: int, task: str, seed: int) -> Any:
        if self._metaworld:
            return _metaworld.make_env(task, self._limit, env_rng(seed, index))
        env = _cheetah.VariantHalfCheetahEnv(task)
        env.np_random = env_rng(seed, index)
        return env

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Resets every sub-env; see the class docstring for `seed` and `options`."""
        self._check_not_pending("reset")
        seed = check_seed(seed)
        vectors = parse_reset_options(options, self.num_envs)
        if vectors is not None:
            self._needs_reset = True  # probing resets sub-envs; a failed check leaves them so
            vectors = check_task_vectors(
                vectors, self.task_names, self._metaworld, lambda i: self._envs[i]
            )
        if seed is not None:
            for i, env in enumerate(self._envs):
                env.np_random = env_rng(seed, i)
        if vectors is not None:
            self._apply_vectors(vectors)
        obs = np.stack([self._reset_env(i) for i in range(self.num_envs)])
        self._steps[:] = 0
        self._needs_reset = False
        return obs, {}

    def _apply_vectors(self, vectors: list[np.ndarray | None]) -> None:
        if not self._metaworld:
            return
        for i, env in enumerate(self._envs):
            vector = vectors[i] if vectors[i] is not None else self._default_vectors[i]
            if vector is None:
                _metaworld.unfreeze(env)
            else:
                _metaworld.freeze(env, vector)

    def _reset_env(self, index: int) -> np.ndarray:
        obs, _ = self._envs[index].reset()
        return np.asarray(obs, dtype=np.float32)

    def step(
        self, actions: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """Steps every sub-env; an ended episode is reset in the same step."""
        self._check_not_pending("step")
        if self._needs_reset:
            raise RuntimeError("call reset() before step()")
        family = self.task_set.family
        actions = check_actions(actions, self.task_names, family.action_dim)
        obs = np.empty((self.num_envs, family.obs_dim), np.float32)
        reward = np.empty(self.num_envs, np.float32)
        terminated = np.zeros(self.num_envs, bool)
        success = np.zeros(self.num_envs, bool)
        keys = family.info_keys
        values = np.empty((len(keys), self.num_envs), np.float64)
        for i, env in enumerate(self._envs):
            o, r, term, _, info = env.step(actions[i])
            obs[i], reward[i], terminated[i] = o, r, term
            success[i] = bool(info.get("success", False))
            values[:, i] = [info[key] for key in keys]
        self._steps += 1
        truncated = self._steps >= self._limit
        final_obs = obs.copy()
        for i in np.flatnonzero(terminated | truncated).tolist():
            obs[i] = self._reset_env(i)
            self._steps[i] = 0
        step_info: dict[str, Any] = {"success": success, "final_obs": final_obs}
        step_info.update(zip(keys, values, strict=True))
        return obs, reward, terminated, truncated, step_info

    def _check_not_pending(self, what: str) -> None:
        if self._pending is not None:
            raise RuntimeError(f"{what}: a step started by step_async is pending; call step_wait()")

    def step_async(self, actions: np.ndarray) -> None:
        """Keeps a checked copy of the actions; ``step_wait()`` steps with them (the Python
        envs step in the caller's thread, so nothing overlaps; the calls exist so that code
        written for the native engine runs on both)."""
        self._check_not_pending("step_async")
        if self._needs_reset:
            raise RuntimeError("call reset() before step_async()")
        family = self.task_set.family
        self._pending = check_actions(actions, self.task_names, family.action_dim).copy()

    def step_wait(
        self,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        """The step with the actions ``step_async`` kept."""
        if self._pending is None:
            raise RuntimeError("step_wait: no step pending; call step_async(actions) first")
        actions, self._pending = self._pending, None
        return self.step(actions)

    def task_vectors(self) -> list[np.ndarray]:
        """The task vectors of the current episodes (empty for HalfCheetah)."""
        if not self._metaworld:
            return [np.zeros(0) for _ in self._envs]
        return [_metaworld.current_vector(env) for env in self._envs]

    def set_state(self, env: int, qpos: np.ndarray, qvel: np.ndarray) -> np.ndarray:
        """Overwrites the state of sub-env `env`; returns its observation.

        The env's own `set_state` (qpos, qvel, `mj_forward`) followed by its
        observation; for MetaWorld the unclipped `_get_obs()`, whose current
        frame becomes the previous-frame block of the next step.
        """
        self._check_not_pending("set_state")
        qpos, qvel = check_state(env, self.num_envs, qpos, qvel)
        if self._needs_reset:
            raise RuntimeError("call reset() before set_state()")
        sub = self._envs[int(env)]
        if qpos.shape != (sub.model.nq,) or qvel.shape != (sub.model.nv,):
            raise ValueError(
                f"qpos/qvel: expected shapes ({sub.model.nq},)/({sub.model.nv},), "
                f"got {qpos.shape}/{qvel.shape}"
            )
        sub.set_state(qpos, qvel)
        return np.asarray(sub._get_obs(), dtype=np.float32)

    def get_state(self, env: int) -> dict[str, np.ndarray]:
        """A copy of sub-env `env`'s simulation state and the model fields its task edits
        (keys `STATE_KEYS`), as the native backend's `get_state` gives them."""
        index = check_env_index(env, self.num_envs)
        if self._needs_reset:
            raise RuntimeError("call reset() before get_state()")
        model, data = self._envs[index].model, self._envs[index].data
        return {
            key: np.array(value, dtype=np.float64)
            for key, value in zip(STATE_KEYS, state_arrays(model, data), strict=True)
        }

    def close_extras(self, **kwargs: Any) -> None:
        """Closes the sub-envs."""
        for env in self._envs:
            env.close()
