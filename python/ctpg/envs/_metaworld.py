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

from ctpg.tasks import BENCHMARKS


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


# --------------------------------------------------------------- MetaWorld's benchmarks

MT_BENCHMARKS = {"mt10": "MT10", "mt50": "MT50"}
"""ctpg's benchmark names and MetaWorld's benchmark classes (``metaworld.MT10``, ...)."""


@functools.lru_cache(maxsize=4)
def held_task_vectors(
    name_or_tasks: str | tuple[str, ...], seed: int
) -> tuple[tuple[tuple[np.ndarray, ...], ...], tuple[int, ...]]:
    """The task vectors MetaWorld's benchmark holds for every sub-env, and the sub-env seeds.

    What ``gymnasium.make_vec("Meta-World/MT10", seed=seed)`` (``"mt10"``, ``"mt50"``) or
    ``gymnasium.make_vec("Meta-World/custom-mt-envs", envs_list=tasks, seed=seed)`` (a task
    tuple) gives each sub-env: the benchmark ``metaworld.MT10(seed)`` / ``MT50(seed)``, or
    ``metaworld.MT1(task, seed + i)`` for sub-env i of a task list, draws its goals (50 per
    task; their ``rand_vec`` in ``Task.data``), and the sub-env is seeded with ``seed``
    (every sub-env of MT10/MT50) or ``seed + i``. (MetaWorld's custom list passes no seed
    at all when ``seed`` is 0; here sub-env i always gets ``seed + i``.) Building MT10 takes
    about 10 s, MT50 about a minute; the result is cached.
    """
    import pickle

    import metaworld

    if isinstance(name_or_tasks, str):
        benchmark = getattr(metaworld, MT_BENCHMARKS[name_or_tasks])(seed=seed)
        per_env = [
            [t for t in benchmark.train_tasks if t.env_name == name]
            for name in BENCHMARKS[name_or_tasks]
        ]
        seeds = tuple(seed for _ in per_env)
    else:
        per_env = [
            metaworld.MT1(task, seed=seed + i).train_tasks for i, task in enumerate(name_or_tasks)
        ]
        seeds = tuple(seed + i for i in range(len(name_or_tasks)))
    vectors = tuple(
        tuple(_read_only(pickle.loads(t.data)["rand_vec"]) for t in tasks) for tasks in per_env
    )
    return vectors, seeds


def _read_only(vector: Any) -> np.ndarray:
    array = np.array(vector, dtype=np.float64)
    array.setflags(write=False)
    return array


def evaluation_goals(
    name_or_tasks: str | tuple[str, ...], seed: int, episodes: int
) -> list[list[np.ndarray]]:
    """The goal of every evaluation episode: ``goals[k][i]`` is the task vector of sub-env
    i's k-th episode under MetaWorld's evaluation of freshly built envs (see
    ``held_task_vectors``).

    MetaWorld's ``RandomTaskSelectWrapper`` sets a task drawn uniformly (with replacement)
    from the sub-env's held tasks at every reset, the first reset included, with
    ``env.np_random.choice(len(tasks))``; that generator is ``gymnasium.utils.seeding.
    np_random(sub-env seed)`` and nothing else draws from it once the task vectors are frozen.
    """
    from gymnasium.utils import seeding

    held, seeds = held_task_vectors(name_or_tasks, seed)
    rngs = [seeding.np_random(s)[0] for s in seeds]
    choices = [
        [int(rng.choice(len(h))) for _ in range(episodes)]
        for h, rng in zip(held, rngs, strict=True)
    ]
    return [[h[c[k]] for h, c in zip(held, choices, strict=True)] for k in range(episodes)]
