"""Multi-task vector envs: MetaWorld MT10/MT50 and HalfCheetah MT5/MT8."""

from ctpg.envs.make import make_vec_env
from ctpg.envs.native import NativeVecEnv
from ctpg.envs.python_backend import PythonVecEnv
from ctpg.tasks import BENCHMARKS, TaskSet, resolve

__all__ = [
    "BENCHMARKS",
    "NativeVecEnv",
    "PythonVecEnv",
    "TaskSet",
    "make_vec_env",
    "resolve",
]
