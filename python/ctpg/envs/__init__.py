"""Multi-task vector envs: MetaWorld MT10/MT50 and HalfCheetah MT5/MT8, and any gymnasium
vector env adapted to the same protocol (``adapt_vector_env``, ``CtpgEnv``)."""

from ctpg.envs.adapter import EnvError, GymVecEnv, adapt_vector_env
from ctpg.envs.make import make_vec_env
from ctpg.envs.native import NativeVecEnv
from ctpg.envs.protocol import CtpgEnv
from ctpg.envs.python_backend import PythonVecEnv
from ctpg.tasks import BENCHMARKS, TaskSet, resolve

__all__ = [
    "BENCHMARKS",
    "CtpgEnv",
    "EnvError",
    "GymVecEnv",
    "NativeVecEnv",
    "PythonVecEnv",
    "TaskSet",
    "adapt_vector_env",
    "make_vec_env",
    "resolve",
]
