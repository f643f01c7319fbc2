"""Native HalfCheetah variants vs gymnasium's HalfCheetah-v5 on the same edited models.

Every MT5 and MT8 variant starts from the same qpos/qvel in both backends and
is driven by the same random float32 actions over a full 1000-step episode:
observations, rewards and the info values (x_position, x_velocity,
reward_forward, reward_ctrl) agree to 1e-6 at every step and both truncate at
the same step.
"""

from __future__ import annotations

import numpy as np
import pytest

import ctpg
from ctpg.tasks import HALFCHEETAH_MT5_TASKS, HALFCHEETAH_MT8_TASKS

EPISODE = 1000
TOLERANCE = {"rtol": 1e-6, "atol": 1e-6}


@pytest.mark.parametrize(
    "tasks", [HALFCHEETAH_MT5_TASKS, HALFCHEETAH_MT8_TASKS], ids=["mt5", "mt8"]
)
def test_native_matches_gymnasium_for_a_full_episode(tasks: tuple[str, ...]) -> None:
    native = ctpg.make_vec_env(list(tasks), backend="native", seed=0, num_threads=2)
    python = ctpg.make_vec_env(list(tasks), backend="python", seed=0)
    assert native.task_set.max_episode_steps == python.task_set.max_episode_steps == EPISODE
    native.reset(seed=0)
    python.reset(seed=0)
    rng = np.random.default_rng(2024)
    for i in range(len(tasks)):
        qpos, qvel = rng.uniform(-0.1, 0.1, 9), rng.normal(0.0, 0.1, 9)
        np.testing.assert_allclose(
            native.set_state(i, qpos, qvel), python.set_state(i, qpos, qvel), **TOLERANCE
        )
    for step in range(1, EPISODE + 1):
        actions = rng.uniform(-1.0, 1.0, (len(tasks), 6)).astype(np.float32)
        n_obs, n_rew, n_term, n_trunc, n_info = native.step(actions)
        p_obs, p_rew, p_term, p_trunc, p_info = python.step(actions)
        where = f"step {step}"
        np.testing.assert_allclose(
            n_info["final_obs"], p_info["final_obs"], **TOLERANCE, err_msg=where
        )
        np.testing.assert_allclose(n_rew, p_rew, **TOLERANCE, err_msg=where)
        for key in ("x_position", "x_velocity", "reward_forward", "reward_ctrl"):
            assert n_info[key].dtype == p_info[key].dtype == np.float64
            np.testing.assert_allclose(n_info[key], p_info[key], **TOLERANCE, err_msg=where)
        np.testing.assert_array_equal(n_term, p_term, err_msg=where)
        np.testing.assert_array_equal(n_trunc, p_trunc, err_msg=where)
        assert n_trunc.all() == (step == EPISODE) and not n_term.any(), where
        if step < EPISODE:
            np.testing.assert_allclose(n_obs, p_obs, **TOLERANCE, err_msg=where)
    native.close()
    python.close()
