"""The environments of a run: the training env, the evaluation env and their seeds.

Built from ``cfg.env`` with ``ctpg.make_vec_env`` (one sub-env per task), or from the
gymnasium ids of ``cfg.env.ids`` with ``ctpg.envs.gym_ids.make_id_env``; the evaluation env
follows ``cfg.eval_protocol``. A run on a vector env the caller built (``env.benchmark``
"object") has no config to build one from: its envs come with the call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ctpg.config import GYMNASIUM, OBJECT, TrainConfig
from ctpg.envs import make_vec_env
from ctpg.envs.adapter import EnvError
from ctpg.envs.gym_ids import make_id_env
from ctpg.evaluate import METAWORLD_EPISODE_STEPS

EVAL_SEED_OFFSET = 1_000_003


def derived_seed(*parts: int) -> int:
    """A 31-bit seed mixed from integers (for env resets after a resume)."""
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0] & 0x7FFFFFFF)


def make_env(cfg: TrainConfig, seed: int, max_episode_steps: int | None = None) -> Any:
    """The vector env of ``cfg.env`` (one sub-env per task); ``max_episode_steps`` overrides
    the configured episode length."""
    env_cfg = cfg.env
    limit = max_episode_steps or env_cfg.max_episode_steps
    if env_cfg.benchmark == GYMNASIUM:
        return make_id_env(
            env_cfg.ids,
            env_cfg.kwargs_list,
            seed=seed,
            max_episode_steps=limit,
            vector=env_cfg.vector,
            success_key=env_cfg.success_key,
            num_threads=env_cfg.num_threads,
        )
    if env_cfg.benchmark == OBJECT:
        raise EnvError(
            "env: this run trains on a vector env given to ctpg.train(cfg, env=...); "
            "there is no config to build it from (pass the env again)"
        )
    return make_vec_env(
        env_cfg.name_or_tasks,
        backend=env_cfg.backend,
        seed=seed,
        num_threads=env_cfg.num_threads or None,
        max_episode_steps=limit,
        random_goals=env_cfg.random_goals,
    )


def evaluation_seed(cfg: TrainConfig) -> int:
    """The seed the evaluation envs of the ``paper`` protocol are reset with."""
    return cfg.seed + EVAL_SEED_OFFSET


def make_eval_env(cfg: TrainConfig, train_env: Any) -> Any:
    """The evaluation env: under the paper protocol the training env's twin (its own seed;
    with fixed goals, reset to the trained goals); under MetaWorld's, with MetaWorld's
    500-step episodes (every evaluation episode is reset to its own goal)."""
    seed = evaluation_seed(cfg)
    if cfg.eval_protocol == "metaworld":
        return make_env(cfg, seed, max_episode_steps=METAWORLD_EPISODE_STEPS)
    eval_env = make_env(cfg, seed)
    if not cfg.env.random_goals and hasattr(
        train_env, "task_vectors"
    ):  # fixed goals: evaluate on the goals that are trained
        vectors = train_env.task_vectors()
        if any(len(v) for v in vectors):
            eval_env.reset(options={"task_vectors": vectors})
    return eval_env
