"""Reference MetaWorld v3 envs and scripted policies for the parity tests."""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

MT10_TASKS: tuple[str, ...] = (
    "reach-v3",
    "push-v3",
    "pick-place-v3",
    "peg-insert-side-v3",
    "door-open-v3",
    "drawer-open-v3",
    "drawer-close-v3",
    "button-press-topdown-v3",
    "window-open-v3",
    "window-close-v3",
)

# Policy class names that do not follow the task name.
_POLICY_NAMES = {"peg-insert-side-v3": "SawyerPegInsertionSideV3Policy"}


def _planar_gap_at_least(gap: float) -> Callable[[npt.NDArray[np.float64]], bool]:
    return lambda vec: bool(np.linalg.norm(vec[:2] - vec[3:5]) >= gap)


# MetaWorld's rejection loops in reset_model, as "accept this vector" tests (a
# task without an entry accepts every vector of its reset space).
ACCEPTS: dict[str, Callable[[npt.NDArray[np.float64]], bool]] = {
    "reach-v3": _planar_gap_at_least(0.15),
    "push-v3": _planar_gap_at_least(0.15),
    "pick-place-v3": _planar_gap_at_least(0.15),
    "peg-insert-side-v3": _planar_gap_at_least(0.1),
    "coffee-pull-v3": _planar_gap_at_least(0.15),
    "coffee-push-v3": _planar_gap_at_least(0.15),
    "push-wall-v3": _planar_gap_at_least(0.15),
    "push-back-v3": _planar_gap_at_least(0.15),
    "reach-wall-v3": _planar_gap_at_least(0.15),
    "soccer-v3": _planar_gap_at_least(0.15),
    "stick-push-v3": _planar_gap_at_least(0.1),
    "stick-pull-v3": _planar_gap_at_least(0.1),
    # The block against the fixed goal (0, 0.84), not against vec[3:5].
    "sweep-into-v3": lambda vec: bool(np.linalg.norm(vec[:2] - np.array([0.0, 0.84])) >= 0.15),
    "pick-place-wall-v3": _planar_gap_at_least(0.15),
    "pick-out-of-hole-v3": _planar_gap_at_least(0.15),
    "shelf-place-v3": _planar_gap_at_least(0.1),
    "hand-insert-v3": _planar_gap_at_least(0.15),
    "basketball-v3": _planar_gap_at_least(0.15),
    "assembly-v3": _planar_gap_at_least(0.1),
    "disassemble-v3": _planar_gap_at_least(0.1),
    "box-close-v3": _planar_gap_at_least(0.25),
}


def native_metaworld_tasks() -> tuple[str, ...]:
    """The MetaWorld tasks of the native engine, in MT50 order."""
    from ctpg import _core
    from ctpg.tasks import MT50_TASKS

    known = set(_core.known_task_names())
    return tuple(task for task in MT50_TASKS if task in known)


NATIVE_TASKS = native_metaworld_tasks()


def metaworld_asset_dir() -> str:
    """The assets folder of the installed metaworld package."""
    import metaworld

    return os.path.join(os.path.dirname(metaworld.__file__), "assets")


def gymnasium_asset_dir() -> str:
    """The MuJoCo assets folder of the installed gymnasium package."""
    import gymnasium

    return os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets")


def reference_env(task: str, vec: npt.NDArray[np.float64]) -> Any:
    """A MetaWorld env with a visible goal and its random vector frozen to vec."""
    from metaworld.env_dict import ALL_V3_ENVIRONMENTS

    env = ALL_V3_ENVIRONMENTS[task]()
    env._partially_observable = False
    del env.sawyer_observation_space  # recomputed with the goal bounds
    env._freeze_rand_vec = True
    env._last_rand_vec = np.array(vec, dtype=np.float64)
    env._set_task_called = True
    return env


def random_task_vector(
    task: str,
    space: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]],
    rng: np.random.Generator,
) -> npt.NDArray[np.float64]:
    """A vector drawn from the task's reset space that its reset accepts."""
    accepts = ACCEPTS.get(task, lambda vec: True)
    while True:
        vec = rng.uniform(space[0], space[1])
        if accepts(vec):
            return vec


def reset_space(task: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(low, high) of the task's _random_reset_space."""
    from metaworld.env_dict import ALL_V3_ENVIRONMENTS

    env = ALL_V3_ENVIRONMENTS[task]()
    space = env._random_reset_space
    assert space is not None, task
    low = np.asarray(space.low, dtype=np.float64)
    high = np.asarray(space.high, dtype=np.float64)
    env.close()
    return low, high


def scripted_policy(task: str) -> Any:
    """MetaWorld's scripted expert policy for the task."""
    import metaworld.policies as policies

    words = task.removesuffix("-v3").split("-")
    name = _POLICY_NAMES.get(task, "Sawyer" + "".join(w.capitalize() for w in words) + "V3Policy")
    return getattr(policies, name)()


def scripted_action(policy: Any, obs: npt.NDArray[np.float64]) -> npt.NDArray[np.float32]:
    """The policy's action on obs, clipped to the action space, as float32."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Constant(s) may be too high"
        action = policy.get_action(obs)
    return np.clip(action, -1.0, 1.0).astype(np.float32)
