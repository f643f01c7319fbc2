"""The native vectorised engine (ctpg._core.VecEnv) on the HalfCheetah family.

The reference for every variant is gymnasium's HalfCheetah-v5 running a model
built in Python by editing half_cheetah.xml with mujoco.MjSpec the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import gymnasium
import metaworld
import mujoco
import numpy as np
import pytest
from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv

import ctpg  # noqa: F401  (loads libmujoco before _core)
from ctpg import _core

GYM_ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets")
MW_ASSETS = os.path.join(os.path.dirname(metaworld.__file__), "assets")

MT5 = [f"halfcheetah-gravity-{g}" for g in ("1.0", "0.5", "0.75", "1.5", "1.25")]
MT8 = [f"halfcheetah-{p}-{s}" for p in ("torso", "thigh", "leg", "foot") for s in ("big", "small")]
BODY_GEOMS = {
    "torso": ("torso",),
    "thigh": ("bthigh", "fthigh"),
    "leg": ("bshin", "fshin"),
    "foot": ("bfoot", "ffoot"),
}
OBS_DIM, ACT_DIM, EPISODE = 17, 6, 1000


def python_variant_model(task: str) -> mujoco.MjModel:
    """Builds the variant in Python with MjSpec, independently of the C++ code."""
    spec = mujoco.MjSpec.from_file(os.path.join(GYM_ASSETS, "half_cheetah.xml"))
    kind, value = task.removeprefix("halfcheetah-").split("-")
    if kind == "gravity":
        spec.option.gravity = [0.0, 0.0, -9.81 * float(value)]
    else:
        scale = {"big": 1.25, "small": 0.75}[value]
        for name in BODY_GEOMS[kind]:
            geom = spec.geom(name)
            geom.size = np.asarray(geom.size) * scale
    return spec.compile()


class ReferenceCheetah(HalfCheetahEnv):
    """gymnasium's HalfCheetah-v5 running a given (edited) model."""

    def __init__(self, model: mujoco.MjModel) -> None:
        self._variant_model = model
        super().__init__()

    def _initialize_simulation(self) -> tuple[mujoco.MjModel, mujoco.MjData]:
        return self._variant_model, mujoco.MjData(self._variant_model)


def make(
    tasks: list[str], seed: int = 0, threads: int = 1, max_steps: list[int] | None = None
) -> _core.VecEnv:
    steps = max_steps if max_steps is not None else [EPISODE] * len(tasks)
    return _core.VecEnv(tasks, MW_ASSETS, GYM_ASSETS, seed, threads, steps)


def random_actions(rng: np.random.Generator, n: int, steps: int) -> np.ndarray:
    # Slightly outside [-1, 1] so that MuJoCo's ctrlrange clamp is exercised.
    return rng.uniform(-1.2, 1.2, size=(steps, n, ACT_DIM)).astype(np.float32)


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # MuJoCo writes MUJOCO_LOG.TXT into the working directory on warnings.
    monkeypatch.chdir(tmp_path)
    yield


def assert_step_matches(
    obs: np.ndarray, reward: float, ref_obs: np.ndarray, ref_rew: float
) -> None:
    """Same numbers as the float64 reference, rounded once to float32 (bit-exact)."""
    np.testing.assert_array_equal(obs, ref_obs.astype(np.float32))
    assert np.float32(reward) == np.float32(ref_rew)
    assert abs(float(reward) - ref_rew) <= 1e-6 * max(1.0, abs(ref_rew))


# ---------------------------------------------------------------- parity


@pytest.mark.parametrize("task", MT5 + MT8)
def test_full_episode_matches_gymnasium_variant(task: str) -> None:
    ref = ReferenceCheetah(python_variant_model(task))
    ref_obs, _ = ref.reset(seed=3)
    env = make([task], seed=11)
    env.reset()
    obs = env.set_state(0, ref.data.qpos.copy(), ref.data.qvel.copy())
    np.testing.assert_array_equal(obs, ref_obs.astype(np.float32))
    actions = random_actions(np.random.default_rng(7), 1, EPISODE)
    moved = 0.0
    for t in range(EPISODE):
        obs, rew, term, trunc, success, final_obs = env.step(actions[t])
        ref_obs, ref_rew, ref_term, ref_trunc, _ = ref.step(actions[t, 0])
        assert_step_matches(final_obs[0], rew[0], ref_obs, ref_rew)
        assert not term[0] and not ref_term and not success[0]
        assert bool(trunc[0]) == (t == EPISODE - 1)
        moved = max(moved, abs(ref_rew))
    assert moved > 0.5  # the cheetah actually moved


def test_gravity_1_equals_registered_halfcheetah_v5() -> None:
    ref = gymnasium.make("HalfCheetah-v5")
    ref_obs, _ = ref.reset(seed=5)
    base = ref.unwrapped
    assert isinstance(base, HalfCheetahEnv)
    env = make(["halfcheetah-gravity-1.0"])
    env.reset()
    obs = env.set_state(0, base.data.qpos.copy(), base.data.qvel.copy())
    np.testing.assert_array_equal(obs, ref_obs.astype(np.float32))
    actions = np.random.default_rng(1).uniform(-1, 1, (300, 1, ACT_DIM)).astype(np.float32)
    for t in range(300):
        obs, rew, *_ = env.step(actions[t])
        ref_obs, ref_rew, *_ = ref.step(actions[t, 0])
        assert_step_matches(obs[0], rew[0], ref_obs, float(ref_rew))
    ref.close()


def test_python_variant_models_are_what_the_names_say() -> None:
    base = python_variant_model("halfcheetah-gravity-1.0")
    low = python_variant_model("halfcheetah-gravity-0.5")
    assert low.opt.gravity[2] == pytest.approx(-4.905)
    big = python_variant_model("halfcheetah-torso-big")
    torso = mujoco.mj_name2id(base, mujoco.mjtObj.mjOBJ_GEOM, "torso")
    assert big.geom_size[torso, 0] == pytest.approx(1.25 * base.geom_size[torso, 0])
    assert big.geom_size[torso, 1] == pytest.approx(base.geom_size[torso, 1])  # fromto length
    small = python_variant_model("halfcheetah-leg-small")
    shin = mujoco.mj_name2id(base, mujoco.mjtObj.mjOBJ_GEOM, "bshin")
    np.testing.assert_allclose(small.geom_size[shin, :2], 0.75 * base.geom_size[shin, :2])


def test_variants_differ_as_expected() -> None:
    tasks = MT5 + MT8
    env = make(tasks)
    env.reset()
    qpos, qvel = np.zeros(9), np.zeros(9)
    for i in range(len(tasks)):
        env.set_state(i, qpos, qvel)
    zero = np.zeros((len(tasks), ACT_DIM), np.float32)
    first, *_ = env.step(zero)
    # Falling from rest: after one step the height drop scales with gravity.
    drop = {t: -first[i, 0] for i, t in enumerate(tasks)}
    for t in MT5:
        scale = float(t.rsplit("-", 1)[1])
        assert drop[t] == pytest.approx(scale * drop["halfcheetah-gravity-1.0"], rel=1e-6)
    traj = [first]
    for _ in range(30):
        traj.append(env.step(zero)[0])
    final = np.stack(traj, 1)  # [task, time, obs]
    for i in range(len(tasks)):
        for j in range(i + 1, len(tasks)):
            assert not np.allclose(final[i], final[j]), (tasks[i], tasks[j])


def test_unstable_state_behaves_like_gymnasium_and_does_not_crash() -> None:
    ref = ReferenceCheetah(python_variant_model("halfcheetah-gravity-1.0"))
    ref.reset(seed=0)
    env = make(["halfcheetah-gravity-1.0"])
    env.reset()
    qpos, qvel = np.zeros(9), np.full(9, 1e30)
    ref.set_state(qpos, qvel)
    env.set_state(0, qpos, qvel)
    actions = random_actions(np.random.default_rng(2), 1, 20)
    for t in range(20):
        obs, rew, *_ = env.step(actions[t])
        ref_obs, ref_rew, *_ = ref.step(actions[t, 0])
        assert np.all(np.isfinite(obs))
        assert_step_matches(obs[0], rew[0], ref_obs, ref_rew)


# ------------------------------------------------------ autoreset semantics


def test_same_step_autoreset_and_truncation() -> None:
    tasks = ["halfcheetah-gravity-1.0", "halfcheetah-thigh-big"]
    short = make(tasks, seed=4, max_steps=[5, 7])
    long = make(tasks, seed=4, max_steps=[1000, 1000])
    np.testing.assert_array_equal(short.reset(), long.reset())
    actions = random_actions(np.random.default_rng(0), 2, 14)
    for t in range(14):
        obs, rew, term, trunc, success, final_obs = short.step(actions[t])
        lobs, lrew, *_ = long.step(actions[t])
        assert not term.any() and not success.any()
        expected = np.array([(t + 1) % 5 == 0, (t + 1) % 7 == 0])
        np.testing.assert_array_equal(trunc, expected)
        for i in range(2):
            if t < 5 + (2 if i else 0):  # first episode: identical to the long run
                np.testing.assert_array_equal(final_obs[i], lobs[i])
                assert rew[i] == lrew[i]
            if trunc[i]:
                assert not np.array_equal(obs[i], final_obs[i])
                assert np.abs(obs[i]).max() < 1.0  # a fresh reset state
            else:
                np.testing.assert_array_equal(obs[i], final_obs[i])


# ------------------------------------------------------------- determinism


def rollout(env: _core.VecEnv, seed: int | None, steps: int = 60) -> np.ndarray:
    rows = [env.reset(seed=seed)]
    actions = random_actions(np.random.default_rng(123), env.num_envs, steps)
    for t in range(steps):
        obs, rew, _, _, _, final_obs = env.step(actions[t])
        rows += [obs, final_obs, rew[:, None]]
    return np.concatenate([r.reshape(env.num_envs, -1) for r in rows], 1)


def test_same_seed_same_trajectory_different_seed_differs() -> None:
    steps = [25] * 8
    a = rollout(make(MT8, seed=1, max_steps=steps), None)
    b = rollout(make(MT8, seed=1, max_steps=steps), None)
    c = rollout(make(MT8, seed=2, max_steps=steps), None)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    env = make(MT8, seed=9, max_steps=steps)
    np.testing.assert_array_equal(rollout(env, 1), a)  # reset(seed) reseeds every env
    assert not np.allclose(rollout(env, None), a)  # without a seed the streams continue


def test_envs_of_one_task_get_different_streams() -> None:
    obs = make(["halfcheetah-gravity-1.0"] * 3).reset(seed=0)
    assert not np.allclose(obs[0], obs[1]) and not np.allclose(obs[1], obs[2])


def test_one_and_two_threads_give_identical_results() -> None:
    steps = [40, 35, 30, 45, 50, 40, 33, 41]
    one = rollout(make(MT8, seed=3, threads=1, max_steps=steps), 3, 120)
    two = rollout(make(MT8, seed=3, threads=2, max_steps=steps), 3, 120)
    np.testing.assert_array_equal(one, two)


# --------------------------------------------------------------- bad input


def test_properties() -> None:
    env = make(MT5, threads=2)
    assert (env.num_envs, env.obs_dim, env.action_dim) == (5, OBS_DIM, ACT_DIM)
    assert env.task_names == MT5
    assert env.task_vector_dims == [0] * 5
    assert all(v.shape == (0,) and v.dtype == np.float64 for v in env.task_vectors())
    assert env.info_keys == ["x_position", "x_velocity", "reward_forward", "reward_ctrl"]


def test_step_info_is_optional_and_matches_the_reward() -> None:
    env, twin = make(MT5, threads=2), make(MT5, threads=2)
    env.reset(seed=3)
    twin.reset(seed=3)
    actions = np.random.default_rng(0).uniform(-1, 1, (5, ACT_DIM)).astype(np.float32)
    plain = env.step(actions)
    *outputs, info = twin.step(actions, with_info=True)
    assert len(plain) == 6 and len(outputs) == 6
    for a, b in zip(plain, outputs, strict=True):
        np.testing.assert_array_equal(a, b)
    assert info.shape == (5, 4) and info.dtype == np.float64
    x_position, x_velocity, forward, ctrl = info.T
    np.testing.assert_array_equal(forward, x_velocity)
    np.testing.assert_allclose(ctrl, -0.1 * np.sum(actions.astype(np.float64) ** 2, 1), rtol=1e-6)
    np.testing.assert_array_equal((forward + ctrl).astype(np.float32), plain[1])
    assert np.all(np.abs(x_position) < 1.0)


def test_registry_keeps_task_order() -> None:
    tasks = ["halfcheetah-foot-small", "halfcheetah-gravity-0.5", "halfcheetah-foot-small"]
    assert make(tasks).task_names == tasks
    mw = ["push-v3", "reach-v3", "push-v3", "window-close-v3"]
    env = make(mw, max_steps=[10] * 4)
    assert env.task_names == mw
    assert (env.obs_dim, env.action_dim) == (39, 4)
    assert all(d > 0 for d in env.task_vector_dims)


def test_bad_actions_raise_value_error() -> None:
    env = make(MT5[:3])
    env.reset(seed=0)
    good = np.zeros((3, ACT_DIM), np.float32)
    with pytest.raises(ValueError, match=r"actions.*shape \(3, 6\)"):
        env.step(np.zeros((2, ACT_DIM), np.float32))
    with pytest.raises(ValueError, match=r"actions.*shape"):
        env.step(np.zeros(3 * ACT_DIM, np.float32))
    with pytest.raises(ValueError, match=r"actions.*float32"):
        env.step(good.astype(np.float64))
    env.step(np.zeros((ACT_DIM, 3), np.float32).T)  # a strided view is copied, not refused
    with pytest.raises(ValueError, match=r"actions.*numpy array"):
        env.step(good.tolist())
    for bad in (np.nan, np.inf, -np.inf):
        acts = good.copy()
        acts[1, 4] = bad
        with pytest.raises(ValueError, match=r"env 1 .*halfcheetah-gravity-0.5"):
            env.step(acts)


def test_rejected_step_leaves_every_env_untouched() -> None:
    a, b = make(MT5, seed=5), make(MT5, seed=5)
    a.reset(), b.reset()
    acts = random_actions(np.random.default_rng(0), 5, 3)
    bad = acts[0].copy()
    bad[4, 0] = np.nan
    with pytest.raises(ValueError, match="env 4"):
        a.step(bad)
    for t in range(3):
        np.testing.assert_array_equal(a.step(acts[t])[0], b.step(acts[t])[0])


def test_bad_construction_raises_value_error() -> None:
    with pytest.raises(ValueError, match=r"unknown task 'no-such-task'.*halfcheetah-foot-small"):
        make(["halfcheetah-gravity-1.0", "no-such-task"])
    with pytest.raises(ValueError, match="at least one task"):
        make([])
    with pytest.raises(ValueError, match="max_episode_steps"):
        make(MT5, max_steps=[10, 10])
    with pytest.raises(ValueError, match="max_episode_steps"):
        make(MT5[:1], max_steps=[0])
    with pytest.raises(ValueError, match="num_threads"):
        make(MT5, threads=0)
    with pytest.raises(ValueError, match="seed"):
        make(MT5, seed=-1)
    with pytest.raises(ValueError, match="gymnasium_asset_dir"):
        _core.VecEnv(MT5, MW_ASSETS, "/nonexistent", 0, 1, [10] * 5)


def test_mixed_observation_sizes_raise_value_error() -> None:
    make(["reach-v3"], max_steps=[10])  # both families build on their own
    with pytest.raises(ValueError, match=r"obs_dim.*'reach-v3' has \(39, 4\)"):
        make(["halfcheetah-gravity-1.0", "reach-v3"], max_steps=[10, 10])


def test_step_before_reset_raises() -> None:
    with pytest.raises(RuntimeError, match="reset"):
        make(MT5).step(np.zeros((5, ACT_DIM), np.float32))


def test_bad_set_state_and_task_vectors_raise_value_error() -> None:
    env = make(MT5[:2])
    env.reset()
    with pytest.raises(ValueError, match="env"):
        env.set_state(2, np.zeros(9), np.zeros(9))
    with pytest.raises(ValueError, match="env"):
        env.set_state(-1, np.zeros(9), np.zeros(9))
    with pytest.raises(ValueError, match="qpos of 9"):
        env.set_state(0, np.zeros(8), np.zeros(9))
    with pytest.raises(ValueError, match="qvel.*float64"):
        env.set_state(0, np.zeros(9), np.zeros(9, np.float32))
    with pytest.raises(ValueError, match="vectors"):
        env.freeze_task_vectors([None])
    with pytest.raises(ValueError, match=r"vectors\[1\].*shape"):
        env.freeze_task_vectors([None, np.zeros(3)])
    env.freeze_task_vectors([None, None])  # unfreezing is always allowed


# ------------------------------------------------------------- thread pool


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_thread_pool_visits_every_index_once(threads: int) -> None:
    visits, used, error = _core.thread_pool_check(threads, 37, rounds=21)
    np.testing.assert_array_equal(visits, np.full(37, 20))
    assert error == ""
    assert used == 1 if threads == 1 else 2 <= used <= threads


@pytest.mark.parametrize("throw_at", [0, 5, 36])
def test_thread_pool_rethrows_worker_exceptions_and_stays_usable(throw_at: int) -> None:
    visits, _, error = _core.thread_pool_check(2, 37, rounds=3, throw_at=throw_at)
    assert error == f"thread pool check: index {throw_at}"
    np.testing.assert_array_equal(visits, np.full(37, 2))


@pytest.mark.parametrize(("threads", "n"), [(2, 2), (2, 3), (3, 2), (3, 5)])
def test_thread_pool_many_short_calls(threads: int, n: int) -> None:
    visits, _, error = _core.thread_pool_check(threads, n, rounds=2001)
    np.testing.assert_array_equal(visits, np.full(n, 2000))
    assert error == ""


def test_thread_pool_edge_cases() -> None:
    visits, used, _ = _core.thread_pool_check(2, 0)
    assert visits.shape == (0,) and used == 0
    with pytest.raises(ValueError, match="num_threads"):
        _core.thread_pool_check(0, 4)
