"""`make_vec_env`: the one entry point that builds a multi-task vector env."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import gymnasium

from ctpg.envs.native import NativeVecEnv
from ctpg.envs.python_backend import PythonVecEnv
from ctpg.tasks import resolve

Backend = Literal["native", "python"]


def make_vec_env(
    name_or_tasks: str | Sequence[str],
    backend: Backend = "native",
    seed: int = 0,
    num_threads: int | None = None,
    max_episode_steps: int | None = None,
    random_goals: bool = True,
) -> gymnasium.vector.VectorEnv:
    """Builds a vector env with one sub-env per task (autoreset SAME_STEP).

    Args:
        name_or_tasks: "mt10", "mt50", "halfcheetah-mt5", "halfcheetah-mt8", or a
            list of task names of one family, e.g. ["reach-v3", "push-v3"].
        backend: "native" (the C++ engine) or "python" (MetaWorld's and
            gymnasium's own envs, same interface).
        seed: Seeds sub-env i's RNG from (seed, i).
        num_threads: Engine worker threads; None = os.cpu_count(). Unused by
            the python backend.
        max_episode_steps: Truncation limit; None = the family's default
            (MetaWorld 500, HalfCheetah 1000).
        random_goals: MetaWorld only. True: every reset draws a fresh task vector
            from the task's ranges. False: each sub-env keeps one vector drawn
            once from `seed` (fixed-goal evaluation).

    Returns:
        A `gymnasium.vector.VectorEnv` with `task_names`, `num_tasks`,
        `task_vectors()` and `set_state(env, qpos, qvel)`; `info["success"]`
        bool [T], `info["final_obs"]` float32 [T, obs_dim] and one float64 [T]
        array per key of `task_set.family.info_keys` from every step (MetaWorld:
        near_object, grasp_success, grasp_reward, in_place_reward,
        obj_to_target, unscaled_reward; HalfCheetah: x_position, x_velocity,
        reward_forward, reward_ctrl; values of the finished episode's last step).
    """
    if not isinstance(random_goals, bool):
        raise ValueError(f"random_goals: expected a bool, got {random_goals!r}")
    task_set = resolve(name_or_tasks, max_episode_steps)
    if backend == "native":
        return NativeVecEnv(task_set, seed=seed, num_threads=num_threads, random_goals=random_goals)
    if backend == "python":
        if num_threads is not None and (
            isinstance(num_threads, bool) or not isinstance(num_threads, int) or num_threads < 1
        ):
            raise ValueError(f"num_threads: expected a positive int or None, got {num_threads!r}")
        return PythonVecEnv(task_set, seed=seed, random_goals=random_goals)
    raise ValueError(f"backend: expected 'native' or 'python', got {backend!r}")
