"""ctpg: multi-task reinforcement learning with Cross-Task Policy Guidance."""

from typing import TYPE_CHECKING, Any

import mujoco as _mujoco  # noqa: F401  (loads the libmujoco that _core links against)

from ctpg import _core
from ctpg._core import GuideScheduler, ReplayBuffer
from ctpg.envs import CtpgEnv, adapt_vector_env, make_vec_env
from ctpg.envs.gym_registration import register_envs as _register_envs

__version__ = "0.1.0"

__all__ = [
    "CtpgEnv",
    "GuideScheduler",
    "ReplayBuffer",
    "__version__",
    "adapt_vector_env",
    "make_vec_env",
    "mujoco_version",
]


def mujoco_version() -> str:
    """Version of the MuJoCo library the native core is linked against."""
    return _core.mujoco_version()


_register_envs()  # gymnasium.make_vec("ctpg/MT10", seed=0), ... (builds nothing)


__all__ += ["EnvConfig", "ReplayConfig", "TrainConfig", "load_policy", "preset", "train"]

if TYPE_CHECKING:
    from ctpg.config import EnvConfig, ReplayConfig, TrainConfig, preset
    from ctpg.deploy import load_policy
    from ctpg.train import train

_TRAIN_NAMES = {
    "EnvConfig": "ctpg.config",
    "ReplayConfig": "ctpg.config",
    "TrainConfig": "ctpg.config",
    "preset": "ctpg.config",
    "train": "ctpg.train",
    "load_policy": "ctpg.deploy",
}


def __getattr__(name: str) -> Any:
    """Training names and ``load_policy`` load on first use (so that ``import ctpg`` does not
    import torch and ``python -m ctpg.train`` does not find its module imported twice)."""
    if name in _TRAIN_NAMES:
        import importlib

        value = getattr(importlib.import_module(_TRAIN_NAMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ctpg' has no attribute {name!r}")
