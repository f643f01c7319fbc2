"""Native MetaWorld envs from absurd simulation states, in lock-step with MetaWorld.

MetaWorld 3.1.1 has an unstable-simulation branch in `SawyerXYZEnv.step` (return
the last stable observation, reward 0) that never runs: the flag it tests is
never set. What happens instead is MuJoCo's own check inside `mj_step`: a
qpos or qvel entry that is NaN, inf or larger than 1e10 in magnitude, or an
acceleration that becomes one, makes MuJoCo print a warning (and append it
to MUJOCO_LOG.TXT in the working directory) and reset `mjData` to the model's
defaults (`mj_resetData`); the step then goes on from there. The native
engine calls the same MuJoCo library, so it must follow the reference step
for step: same observations, rewards, success and info values wherever the
reference produces finite numbers, and the process never crashes.
"""

from __future__ import annotations

import numpy as np
import pytest

import ctpg
from ctpg.envs._metaworld import probe_env

from . import _metaworld_reference as ref

TOLERANCE = 1e-6
STEPS = 30


def _absurd_state(kind: str, qpos: np.ndarray, qvel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    qpos, qvel = qpos.copy(), qvel.copy()
    if kind == "qvel-1e30":  # caught by MuJoCo's velocity check before integrating
        qvel[:] = 1e30
    elif kind == "qvel-1e9":  # passes the velocity check; the accelerations blow up
        qvel[:] = 1e9
    elif kind == "qpos-1e30":  # an object thrown far away
        qpos[9:12] = 1e30
    return qpos, qvel


def _assert_close_where_finite(native: np.ndarray, reference: np.ndarray, where: str) -> None:
    finite = np.isfinite(reference)
    np.testing.assert_array_equal(np.isfinite(native), finite, err_msg=where)
    np.testing.assert_allclose(native[finite], reference[finite], atol=TOLERANCE, err_msg=where)


# MT10's tasks in the default run, the other forty in the long one
TASKS = [
    task if task in ref.MT10_TASKS else pytest.param(task, marks=pytest.mark.slow)
    for task in ref.NATIVE_TASKS
]


@pytest.mark.parametrize("kind", ["qvel-1e30", "qvel-1e9", "qpos-1e30"])
@pytest.mark.parametrize("task", TASKS)
def test_absurd_state_matches_metaworld(
    task: str, kind: str, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(tmp_path)  # MuJoCo's warning log goes there
    native = ctpg.make_vec_env([task], backend="native", seed=5, random_goals=False)
    python = ctpg.make_vec_env([task], backend="python", seed=5, random_goals=False)
    native.reset(seed=5)
    vectors = native.task_vectors()
    n_obs, _ = native.reset(options={"task_vectors": vectors})
    p_obs, _ = python.reset(options={"task_vectors": vectors})
    np.testing.assert_allclose(n_obs, p_obs, atol=TOLERANCE)
    sub = python._envs[0]
    qpos, qvel = _absurd_state(kind, sub.data.qpos, sub.data.qvel)
    _assert_close_where_finite(
        native.set_state(0, qpos, qvel), python.set_state(0, qpos, qvel), f"{task} set_state"
    )
    keys = native.task_set.family.info_keys
    rng = np.random.default_rng(11)
    for t in range(1, STEPS + 1):
        actions = rng.uniform(-1, 1, (1, 4)).astype(np.float32)
        n_obs, n_rew, _, n_trunc, n_info = native.step(actions)
        p_obs, p_rew, _, p_trunc, p_info = python.step(actions)
        where = f"{task} {kind} step {t}"
        _assert_close_where_finite(n_obs, p_obs, where)
        _assert_close_where_finite(n_rew, p_rew, where)
        np.testing.assert_array_equal(n_info["success"], p_info["success"], err_msg=where)
        np.testing.assert_array_equal(n_trunc, p_trunc, err_msg=where)
        for key in keys:
            _assert_close_where_finite(n_info[key], p_info[key], f"{where} info[{key!r}]")
    # MuJoCo reset the simulation; both envs go on with finite outputs.
    assert np.all(np.isfinite(n_obs)) and np.all(np.isfinite(n_rew))
    native.close()
    python.close()


def test_absurd_states_on_a_thread_pool_never_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    monkeypatch.chdir(tmp_path)
    env = ctpg.make_vec_env("mt50", backend="native", seed=0, num_threads=2)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    for i, task in enumerate(env.task_names):
        model = probe_env(task).model
        env.set_state(i, rng.uniform(-1e12, 1e12, model.nq), np.full(model.nv, 1e30))
        with pytest.raises(ValueError, match=f"{task} expects qpos of {model.nq}"):
            env.set_state(i, np.zeros(model.nq + 1), np.zeros(model.nv))
    for _ in range(20):
        obs, reward, _, _, info = env.step(rng.uniform(-1, 1, (50, 4)).astype(np.float32))
    assert np.all(np.isfinite(obs)) and np.all(np.isfinite(reward))
    assert all(np.all(np.isfinite(info[k])) for k in env.task_set.family.info_keys)
    env.close()
