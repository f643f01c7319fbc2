"""ctpg: multi-task reinforcement learning with Cross-Task Policy Guidance."""

import mujoco as _mujoco  # noqa: F401  (loads the libmujoco that _core links against)

from ctpg import _core
from ctpg._core import GuideScheduler, ReplayBuffer
from ctpg.envs import make_vec_env

__version__ = "0.1.0"

__all__ = ["GuideScheduler", "ReplayBuffer", "__version__", "make_vec_env", "mujoco_version"]


def mujoco_version() -> str:
    """Version of the MuJoCo library the native core is linked against."""
    return _core.mujoco_version()
