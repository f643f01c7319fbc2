"""MetaWorld's own v3 envs set up for multi-task use, and task-vector checks.

Each env shows its goal (`_partially_observable = False`, as MetaWorld's MT
benchmarks do) and draws its random vector ("task vector": object and goal
positions) through MetaWorld's own seeded path, from a generator owned by
the env, so that every reset draws a fresh vector from the task's ranges
(including MetaWorld's own rejection re-draws). A frozen vector is MetaWorld's
`_freeze_rand_vec` mode.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np


class _Redrawn(Exception):
    """A frozen vector was rejected by the task's reset condition."""


def make_env(task: str, max_episode_steps: int, rng: np.random.Generator) -> Any:
    """Builds MetaWorld's env for `task`, goal observable, drawing vectors from `rng`."""
    from metaworld.env_dict import ALL_V3_ENVIRONMENTS

    env = ALL_V3_ENVIRONMENTS[task]()
    env._partially_observable = False
    if "sawyer_observation_space" in env.__dict__:  # cached with the goal hidden
        del env.sawyer_observation_space
    env._set_task_called = True
    env.max_path_length = max_episode_steps
    env.seeded_rand_vec = True
    env.np_random = rng
    unfreeze(env)
    return env


def freeze(env: Any, vector: np.ndarray) -> None:
    """Every following reset uses `vector` (MetaWorld's frozen random vector)."""
    env._freeze_rand_vec = True
    env._last_rand_vec = np.array(vector, dtype=np.float64)


def unfreeze(env: Any) -> None:
    """Every following reset draws a fresh vector from the task's ranges."""
    env._freeze_rand_vec = False


def current_vector(env: Any) -> np.ndarray:
    """The vector of the current episode."""
    return np.array(env._last_rand_vec, dtype=np.float64)


def vector_bounds(env: Any) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) of the task's random vector."""
    space = env._random_reset_space
    return np.asarray(space.low, np.float64), np.asarray(space.high, np.float64)


def check_vector(env: Any, vector: Any, where: str) -> np.ndarray:
    """Validates a task vector for `env`'s task and returns it as float64.

    Checks the length, finiteness, the task's ranges and MetaWorld's reset
    condition (some tasks re-draw a vector whose object and goal are too
    close; a frozen vector that fails it would make MetaWorld loop forever).
    Resets `env` once while probing.
    """
    low, high = vector_bounds(env)
    vec = np.array(vector, dtype=np.float64)  # a C-contiguous copy
    if vec.shape != low.shape:
        raise ValueError(f"{where}: expected shape {low.shape}, got {vec.shape}")
    if not np.all(np.isfinite(vec)):
        raise ValueError(f"{where}: contains NaN or inf: {vec}")
    if np.any(vec < low) or np.any(vec > high):
        raise ValueError(f"{where}: {vec} outside the task's range [{low}, {high}]")
    if not _accepted(env, vec):
        raise ValueError(
            f"{where}: {vec} is rejected by the task's reset condition "
            "(object and goal too close); choose another vector"
        )
    return vec


# MetaWorld's reset runs `reset_model` twice (once itself, once through
# gymnasium's MujocoEnv.reset), so an accepted vector is read twice; a rejected
# frozen vector is read again and again.
_MAX_READS_PER_RESET = 8


def _accepted(env: Any, vec: np.ndarray) -> bool:
    """Whether a reset with `vec` frozen goes through without endless re-draws."""
    saved = (env._freeze_rand_vec, env._last_rand_vec)
    draws = 0
    bound_draw = type(env)._get_state_rand_vec.__get__(env)

    def draw_once() -> np.ndarray:
        nonlocal draws
        draws += 1
        if draws > _MAX_READS_PER_RESET:
            raise _Redrawn
        return bound_draw()

    env._get_state_rand_vec = draw_once
    freeze(env, vec)
    try:
        env.reset()
        return True
    except _Redrawn:
        return False
    finally:
        del env._get_state_rand_vec
        env._freeze_rand_vec, env._last_rand_vec = saved


@functools.lru_cache(maxsize=16)
def probe_env(task: str) -> Any:
    """A cached stand-alone env of `task`, used to check vectors for the native backend."""
    return make_env(task, 500, np.random.default_rng(0))
