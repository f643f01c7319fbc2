"""What both backends share: spaces, argument checks and reset options."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import gymnasium
import numpy as np
from gymnasium.spaces import Box
from gymnasium.vector.utils import batch_space

from ctpg.envs import _metaworld
from ctpg.tasks import TaskSet

VECTOR_METADATA: dict[str, Any] = {
    "autoreset_mode": gymnasium.vector.AutoresetMode.SAME_STEP,
    "render_modes": [],
}


def init_spaces(env: gymnasium.vector.VectorEnv, task_set: TaskSet) -> None:
    """Sets the single and batched spaces of a multi-task vector env."""
    family = task_set.family
    env.num_envs = len(task_set.task_names)
    env.single_observation_space = Box(-np.inf, np.inf, (family.obs_dim,), np.float32)
    env.single_action_space = Box(-1.0, 1.0, (family.action_dim,), np.float32)
    env.observation_space = batch_space(env.single_observation_space, env.num_envs)
    env.action_space = batch_space(env.single_action_space, env.num_envs)


def check_actions(actions: Any, task_names: Sequence[str], action_dim: int) -> np.ndarray:
    """Returns `actions` as native float32 C-contiguous [T, A]; ValueError naming the env
    otherwise."""
    if not isinstance(actions, np.ndarray):
        raise ValueError(f"actions: expected a numpy float32 array, got {type(actions).__name__}")
    expected = (len(task_names), action_dim)
    if actions.shape != expected:
        raise ValueError(f"actions: expected shape {expected}, got {actions.shape}")
    if actions.dtype.newbyteorder("=") != np.float32:  # any byte order, converted below
        raise ValueError(f"actions: expected dtype float32, got {actions.dtype}")
    finite = np.isfinite(actions).all(axis=1)
    if not finite.all():
        env = int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"actions: row {env} (env {env}, task {task_names[env]!r}) contains NaN or inf: "
            f"{actions[env]}"
        )
    return np.ascontiguousarray(actions, dtype=np.float32)


def check_seed(seed: Any) -> int | None:
    """A reset seed: None or a non-negative int."""
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative int or None, got {seed!r}")
    return int(seed)


def parse_reset_options(options: Any, num_envs: int) -> list[Any] | None:
    """The `task_vectors` entry of reset options (one entry per sub-env), or None."""
    if options is None:
        return None
    if not isinstance(options, dict):
        raise ValueError(f"options: expected a dict or None, got {type(options).__name__}")
    unknown = set(options) - {"task_vectors"}
    if unknown:
        raise ValueError(f"options: unknown keys {sorted(unknown)}; valid keys: ['task_vectors']")
    vectors = options.get("task_vectors")
    if vectors is None:
        return None
    if isinstance(vectors, np.ndarray) and vectors.ndim == 2:
        vectors = list(vectors)
    if not isinstance(vectors, (list, tuple)) or len(vectors) != num_envs:
        raise ValueError(
            f"options['task_vectors']: expected a list of {num_envs} entries "
            f"(a 1-D array or None per sub-env), got {vectors!r}"
        )
    return list(vectors)


def check_task_vectors(
    vectors: list[Any],
    task_names: Sequence[str],
    metaworld: bool,
    reference_env: Callable[[int], Any],
) -> list[np.ndarray | None]:
    """Validates reset's task vectors: None entries pass, HalfCheetah takes none, a
    MetaWorld vector is checked against the ranges and reset rule of
    ``reference_env(i)`` (a MetaWorld env of sub-env i's task)."""
    checked: list[np.ndarray | None] = []
    for i, vector in enumerate(vectors):
        where = f"options['task_vectors'][{i}] (env {i}, task {task_names[i]!r})"
        if vector is None:
            checked.append(None)
        elif not metaworld:
            if np.asarray(vector).size != 0:
                raise ValueError(f"{where}: HalfCheetah tasks have no task vector; pass None")
            checked.append(None)
        else:
            checked.append(_metaworld.check_vector(reference_env(i), vector, where))
    return checked


STATE_KEYS = ("qpos", "qvel", "mocap_pos", "mocap_quat", "body_pos", "site_pos")
"""The entries of ``get_state``: float64 qpos [nq], qvel [nv], mocap_pos [nmocap, 3],
mocap_quat [nmocap, 4], and the model fields a task edits per episode, body_pos [nbody, 3]
and site_pos [nsite, 3] (MetaWorld moves bodies and the goal site at reset)."""


def state_arrays(model: Any, data: Any) -> tuple[np.ndarray, ...]:
    """The arrays of a MuJoCo model / data named by ``STATE_KEYS``, in that order (views:
    reading copies them out, writing into them sets the state)."""
    return (data.qpos, data.qvel, data.mocap_pos, data.mocap_quat, model.body_pos, model.site_pos)


def check_env_index(env: Any, num_envs: int) -> int:
    """A sub-env index in [0, num_envs); ValueError naming `env` otherwise."""
    if isinstance(env, bool) or not isinstance(env, (int, np.integer)) or not 0 <= env < num_envs:
        raise ValueError(f"env: expected an index in [0, {num_envs}), got {env!r}")
    return int(env)


def check_state(env: int, num_envs: int, qpos: Any, qvel: Any) -> tuple[np.ndarray, np.ndarray]:
    """Validates a `set_state` call and returns float64 copies of qpos and qvel."""
    check_env_index(env, num_envs)
    arrays = []
    for name, value in (("qpos", qpos), ("qvel", qvel)):
        array = np.array(value, dtype=np.float64)
        if array.ndim != 1 or not np.all(np.isfinite(array)):
            raise ValueError(f"{name}: expected a finite 1-D array, got {value!r}")
        arrays.append(array)
    return arrays[0], arrays[1]
