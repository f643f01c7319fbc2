"""Types of the native module `ctpg._core` (pybind11). Argument checks happen in
C++: wrong shapes, dtypes or values raise ValueError naming the argument."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

def mujoco_version() -> str:
    """Version of the MuJoCo library this extension is linked against."""

def known_task_names() -> list[str]:
    """Names of the tasks this build's engine has (HalfCheetah variants, MetaWorld tasks)."""

def simulate_xml(xml: str, num_steps: int) -> NDArray[np.float64]:
    """Compile an MJCF string in C++, step it num_steps times, return qpos ++ qvel."""

def thread_pool_check(
    num_threads: int, n: int, rounds: int = 1, throw_at: int = -1
) -> tuple[NDArray[np.int32], int, str]:
    """Self-check of the engine's thread pool: (visits per index after the first
    round, threads used, message of the exception rethrown in the first round)."""

class ReplayBuffer:
    """Per-task replay with K-step guide segments and optional priorities (see
    `help(ctpg.ReplayBuffer)` for the full semantics)."""

    def __init__(
        self,
        num_tasks: int,
        capacity_per_task: int,
        obs_dim: int,
        action_dim: int,
        guide_step: int = 10,
        prioritized: bool = False,
        alpha: float = 0.6,
        beta: float = 0.4,
        seed: int = 0,
    ) -> None: ...
    def add(
        self,
        obs: ArrayLike,
        action: ArrayLike,
        reward: ArrayLike,
        next_obs: ArrayLike,
        terminated: ArrayLike,
        truncated: ArrayLike,
        behaviour: ArrayLike | None = None,
        guide_begin: ArrayLike | None = None,
    ) -> None:
        """Add one row per task (arrays with leading dimension num_tasks)."""

    def sizes(self) -> NDArray[np.int64]:
        """Stored rows per task, [num_tasks]."""

    def sample(self, batch_per_task: int | ArrayLike) -> dict[str, NDArray[Any]]:
        """obs, action, reward, next_obs, terminated, truncated, task, index, weight."""

    def sample_segments(self, batch_per_task: int | ArrayLike) -> dict[str, NDArray[Any]]:
        """obs, action, reward, next_obs, terminated, truncated, valid [B, K];
        behaviour, task, index [B]."""

    def update_priorities(self, task: ArrayLike, index: ArrayLike, priority: ArrayLike) -> None:
        """Set the priorities of sampled rows (prioritized buffers)."""

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write contents and sampler state to one checksummed file."""

    @staticmethod
    def load(path: str | os.PathLike[str]) -> ReplayBuffer:
        """Read a buffer written by save()."""

    @property
    def nbytes(self) -> int: ...
    @property
    def num_tasks(self) -> int: ...
    @property
    def capacity_per_task(self) -> int: ...
    @property
    def obs_dim(self) -> int: ...
    @property
    def action_dim(self) -> int: ...
    @property
    def guide_step(self) -> int: ...
    @property
    def prioritized(self) -> bool: ...
    @property
    def alpha(self) -> float: ...
    @property
    def beta(self) -> float: ...
    @beta.setter
    def beta(self, value: float) -> None: ...

class GuideScheduler:
    """Per-env guide-step bookkeeping: when to choose a behaviour task."""

    def __init__(
        self, num_envs: int, guide_step: int, task_of_env: ArrayLike | None = None
    ) -> None: ...
    def begin_step(self) -> NDArray[np.bool_]:
        """Envs that must choose a behaviour task at this step, [N]."""

    def set_behaviour(self, env_ids: ArrayLike, tasks: ArrayLike) -> None:
        """Record the chosen tasks of deciding envs."""

    def behaviour(self) -> NDArray[np.int64]:
        """The task whose policy acts for each env at this step, [N]."""

    def boundary(self) -> NDArray[np.bool_]:
        """Envs whose step starts a guide_step window, blocked envs included, [N]."""

    def end_step(self, done: ArrayLike) -> None:
        """Finish the step; done = terminated | truncated."""

    def set_blocked(self, blocked: ArrayLike) -> None:
        """Block envs from their next episode start on."""

    def state_dict(self) -> dict[str, Any]: ...
    def load_state_dict(self, state_dict: dict[str, Any]) -> None: ...
    @property
    def num_envs(self) -> int: ...
    @property
    def num_tasks(self) -> int: ...
    @property
    def guide_step(self) -> int: ...

class VecEnv:
    """A batch of native envs of possibly different tasks, stepped on a thread pool
    with same-step autoreset."""

    def __init__(
        self,
        task_names: Sequence[str],
        metaworld_asset_dir: str,
        gymnasium_asset_dir: str,
        seed: int,
        num_threads: int,
        max_episode_steps: Sequence[int],
    ) -> None: ...
    @property
    def num_envs(self) -> int: ...
    @property
    def obs_dim(self) -> int: ...
    @property
    def action_dim(self) -> int: ...
    @property
    def task_names(self) -> list[str]: ...
    @property
    def task_vector_dims(self) -> list[int]: ...
    def reset(self, seed: int | None = None) -> NDArray[np.float32]:
        """Reset every env; a seed reseeds env i's RNG from (seed, i). Returns obs [N, D]."""

    @property
    def info_keys(self) -> list[str]:
        """Names of the columns of the info array (the task family's info fields)."""

    @overload
    def step(
        self, actions: ArrayLike, with_info: Literal[False] = False
    ) -> tuple[
        NDArray[np.float32],
        NDArray[np.float32],
        NDArray[np.bool_],
        NDArray[np.bool_],
        NDArray[np.bool_],
        NDArray[np.float32],
    ]: ...
    @overload
    def step(
        self, actions: ArrayLike, with_info: Literal[True]
    ) -> tuple[
        NDArray[np.float32],
        NDArray[np.float32],
        NDArray[np.bool_],
        NDArray[np.bool_],
        NDArray[np.bool_],
        NDArray[np.float32],
        NDArray[np.float64],
    ]:
        """Step every env with float32 actions [N, A]. Returns (obs, reward, terminated,
        truncated, success, final_obs), and with with_info=True also info float64 [N, K]
        whose columns are named by info_keys."""

    def step_async(self, actions: ArrayLike, with_info: bool = False) -> None:
        """Start step(actions, with_info) on a background thread and return at once;
        step_wait() returns its results. Until then every other call raises RuntimeError."""

    def step_wait(self) -> tuple[NDArray[Any], ...]:
        """Wait for the step step_async started; returns what step would have returned."""

    @property
    def step_in_flight(self) -> bool: ...
    def freeze_task_vectors(self, vectors: Sequence[ArrayLike | None]) -> None:
        """Per env: freeze the task vector (float64 array) or unfreeze it (None); takes
        effect at the next reset."""

    def task_vectors(self) -> list[NDArray[np.float64]]:
        """Task vectors of the current episodes."""

    def set_state(self, env: int, qpos: ArrayLike, qvel: ArrayLike) -> NDArray[np.float32]:
        """Overwrite one env's qpos/qvel; returns its observation [D]."""

    def get_state(self, env: int) -> dict[str, NDArray[np.float64]]:
        """Copy of one env's simulation state and the model fields its task edits: float64
        qpos [nq], qvel [nv], mocap_pos [nmocap, 3], mocap_quat [nmocap, 4], body_pos
        [nbody, 3], site_pos [nsite, 3]."""
