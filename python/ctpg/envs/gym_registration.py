"""gymnasium ids of the benchmarks: ``gymnasium.make_vec("ctpg/MT10", seed=0)``.

``import ctpg`` registers ``ctpg/MT10``, ``ctpg/MT50``, ``ctpg/HalfCheetah-MT5`` and
``ctpg/HalfCheetah-MT8`` with a ``vector_entry_point``, as MetaWorld registers
``Meta-World/MT10``: ``gymnasium.make_vec`` then builds what ``ctpg.make_vec_env`` builds
for the same keyword options, and code written against MetaWorld's ids switches by changing
the id. Registering builds nothing and imports nothing beyond gymnasium.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import gymnasium

from ctpg.envs.make import make_vec_env
from ctpg.tasks import resolve

GYM_IDS: dict[str, str] = {
    "ctpg/MT10": "mt10",
    "ctpg/MT50": "mt50",
    "ctpg/HalfCheetah-MT5": "halfcheetah-mt5",
    "ctpg/HalfCheetah-MT8": "halfcheetah-mt8",
}
"""gymnasium id -> the benchmark name ``ctpg.make_vec_env`` takes."""

OPTIONS = ("backend", "seed", "num_threads", "max_episode_steps", "random_goals")
"""The keyword options ``gymnasium.make_vec`` passes on to ``ctpg.make_vec_env``."""


def make_registered(
    benchmark: str, num_envs: int = 1, **options: Any
) -> gymnasium.vector.VectorEnv:
    """The ``vector_entry_point`` of a ctpg id: ``ctpg.make_vec_env(benchmark, **options)``.

    A benchmark has one sub-env per task, so ``num_envs`` (which ``gymnasium.make_vec``
    passes as 1 unless told otherwise) must be 1 or the number of tasks. An option that
    ``make_vec_env`` does not take (for example MetaWorld's ``use_one_hot`` or
    ``vector_strategy``) is a ValueError naming it.
    """
    count = len(resolve(benchmark).task_names)
    if isinstance(num_envs, bool) or num_envs not in (1, count):
        raise ValueError(
            f"num_envs: {benchmark} has one sub-env per task ({count}); pass 1 (the default) "
            f"or {count}, got {num_envs!r}"
        )
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise ValueError(
            f"{unknown[0]}: not an option of ctpg.make_vec_env; the options are {list(OPTIONS)}"
        )
    return make_vec_env(benchmark, **options)


def register_envs() -> None:
    """Register every id of ``GYM_IDS`` with gymnasium (ids already there are kept)."""
    for env_id, benchmark in GYM_IDS.items():
        if env_id in gymnasium.registry:
            continue
        gymnasium.register(
            id=env_id,
            vector_entry_point=partial(make_registered, benchmark),
        )
