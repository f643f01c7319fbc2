"""make_vec_env: names, argument checks, and the VectorEnv contract on both backends."""

from __future__ import annotations

import os
from collections.abc import Iterator

import gymnasium
import numpy as np
import pytest

import ctpg
from ctpg.envs import NativeVecEnv
from ctpg.tasks import (
    HALFCHEETAH_MT5_TASKS,
    HALFCHEETAH_MT8_TASKS,
    MT10_TASKS,
    MT50_TASKS,
    gymnasium_asset_dir,
    metaworld_asset_dir,
    resolve,
)

BACKENDS = ["python", "native"]
SAWYER_TASKS = ["reach-v3", "push-v3"]
# A reach-v3 vector (object xyz, goal xyz) inside the task's ranges.
REACH_VECTOR = np.array([0.05, 0.65, 0.02, -0.05, 0.85, 0.2])


def _rollout(env: gymnasium.vector.VectorEnv, steps: int, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(steps):
        actions = rng.uniform(-1, 1, env.action_space.shape).astype(np.float32)
        obs, reward, _, _, info = env.step(actions)
        out += [obs, reward, info["final_obs"]]
    return out


# ---- registry ---------------------------------------------------------------------------


def test_benchmark_task_lists_follow_metaworld_order() -> None:
    from metaworld.env_dict import MT10_V3, MT50_V3

    assert resolve("mt10").task_names == tuple(MT10_V3) == MT10_TASKS
    assert resolve("mt50").task_names == tuple(MT50_V3) == MT50_TASKS
    assert len(MT50_TASKS) == 50


def test_halfcheetah_task_names() -> None:
    assert (
        resolve("halfcheetah-mt5").task_names
        == HALFCHEETAH_MT5_TASKS
        == (
            "halfcheetah-gravity-1.0",
            "halfcheetah-gravity-0.5",
            "halfcheetah-gravity-0.75",
            "halfcheetah-gravity-1.5",
            "halfcheetah-gravity-1.25",
        )
    )
    assert resolve("halfcheetah-mt8").task_names == HALFCHEETAH_MT8_TASKS
    assert set(HALFCHEETAH_MT8_TASKS) == {
        f"halfcheetah-{p}-{k}" for p in ("torso", "thigh", "leg", "foot") for k in ("big", "small")
    }


def test_family_defaults_and_override() -> None:
    mt10, cheetah = resolve("mt10"), resolve("halfcheetah-mt5")
    assert (mt10.family.obs_dim, mt10.family.action_dim, mt10.max_episode_steps) == (39, 4, 500)
    assert (cheetah.family.obs_dim, cheetah.family.action_dim) == (17, 6)
    assert cheetah.max_episode_steps == 1000
    assert resolve(["reach-v3"], max_episode_steps=200).max_episode_steps == 200


def test_asset_directories_hold_the_models() -> None:
    assert os.path.isfile(os.path.join(metaworld_asset_dir(), "sawyer_xyz", "sawyer_reach_v3.xml"))
    assert os.path.isfile(os.path.join(gymnasium_asset_dir(), "half_cheetah.xml"))


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (("mt11",), {}, "valid names"),
        (([],), {}, "empty"),
        ((["reach-v3", "halfcheetah-gravity-1.0"],), {}, "different families"),
        ((["reach-v2"],), {}, "unknown task 'reach-v2'"),
        (("mt10",), {"backend": "jax"}, "backend"),
        (("mt10",), {"max_episode_steps": 0}, "max_episode_steps"),
        (("mt10",), {"num_threads": 0}, "num_threads"),
        (("mt10",), {"random_goals": "yes"}, "random_goals"),
        (("mt10",), {"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise_value_error(args: tuple, kwargs: dict, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ctpg.make_vec_env(*args, **{"backend": "python", **kwargs})


# ---- the VectorEnv contract, both backends ------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def sawyer_env(request: pytest.FixtureRequest) -> Iterator[gymnasium.vector.VectorEnv]:
    env = ctpg.make_vec_env(SAWYER_TASKS, backend=request.param, seed=3, max_episode_steps=4)
    yield env
    env.close()


@pytest.fixture(scope="module", params=BACKENDS)
def cheetah_env(request: pytest.FixtureRequest) -> Iterator[gymnasium.vector.VectorEnv]:
    env = ctpg.make_vec_env("halfcheetah-mt5", backend=request.param, seed=3, max_episode_steps=3)
    env.backend = request.param
    yield env
    env.close()


def test_interface_shapes_and_dtypes(sawyer_env: gymnasium.vector.VectorEnv) -> None:
    env = sawyer_env
    assert isinstance(env, gymnasium.vector.VectorEnv)
    assert env.metadata["autoreset_mode"] == gymnasium.vector.AutoresetMode.SAME_STEP
    assert env.task_names == SAWYER_TASKS and env.num_tasks == env.num_envs == 2
    assert env.single_observation_space.shape == (39,)
    assert env.single_action_space.shape == (4,)
    assert env.observation_space.shape == (2, 39) and env.action_space.shape == (2, 4)
    obs, info = env.reset(seed=0)
    assert obs.shape == (2, 39) and obs.dtype == np.float32 and isinstance(info, dict)
    obs, reward, term, trunc, info = env.step(np.zeros((2, 4), np.float32))
    assert obs.dtype == np.float32 and obs.shape == (2, 39)
    assert reward.dtype == np.float32 and reward.shape == (2,)
    assert term.dtype == trunc.dtype == info["success"].dtype == np.bool_
    assert info["final_obs"].dtype == np.float32 and info["final_obs"].shape == (2, 39)
    assert np.all(np.isfinite(obs)) and np.all(np.isfinite(reward))
    keys = env.task_set.family.info_keys
    assert set(info) == {"success", "final_obs", *keys}
    for key in keys:
        assert info[key].dtype == np.float64 and info[key].shape == (2,), key
    np.testing.assert_array_equal(info["unscaled_reward"].astype(np.float32), reward)


def test_cheetah_info_follows_gymnasium(cheetah_env: gymnasium.vector.VectorEnv) -> None:
    env = cheetah_env
    env.reset(seed=1)
    actions = np.full((5, 6), 0.5, np.float32)
    _, reward, _, _, info = env.step(actions)
    assert info["x_position"].shape == (5,) and info["x_position"].dtype == np.float64
    np.testing.assert_allclose(info["reward_ctrl"], -0.1 * 6 * 0.25, rtol=1e-6)
    np.testing.assert_allclose(info["reward_forward"], info["x_velocity"])
    np.testing.assert_allclose(info["reward_forward"] + info["reward_ctrl"], reward, rtol=1e-5)


def test_truncation_and_same_step_autoreset(cheetah_env: gymnasium.vector.VectorEnv) -> None:
    env = cheetah_env
    longer = ctpg.make_vec_env("halfcheetah-mt5", backend=env.backend, seed=3)
    obs, _ = env.reset(seed=5)
    np.testing.assert_array_equal(longer.reset(seed=5)[0], obs)
    actions = np.full((5, 6), 0.5, np.float32)
    for step in range(1, 4):
        obs, _, term, trunc, info = env.step(actions)
        reference, _, _, reference_trunc, _ = longer.step(actions)
        assert not term.any() and not reference_trunc.any()
        assert trunc.all() == (step == 3) and trunc.any() == (step == 3)
        # final_obs is the true last observation of the episode
        np.testing.assert_array_equal(info["final_obs"], reference)
        if step < 3:
            np.testing.assert_array_equal(obs, reference)
    # obs is the first observation of the next episode: qpos near the origin (noise 0.1)
    assert np.abs(obs[:, :8]).max() <= 0.1 + 1e-6
    assert not np.allclose(obs, info["final_obs"])
    for _ in range(2):
        _, _, _, trunc, _ = env.step(actions)
        assert not trunc.any()  # the step counter restarted with the new episode
    longer.close()


def test_same_seed_same_trajectory_different_seed_different_goals(
    sawyer_env: gymnasium.vector.VectorEnv,
) -> None:
    env = sawyer_env
    env.reset(options={"task_vectors": [None, None]})
    first = [env.reset(seed=11)[0], *_rollout(env, 6, seed=0)]
    second = [env.reset(seed=11)[0], *_rollout(env, 6, seed=0)]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    obs_12, _ = env.reset(seed=12)
    assert not np.allclose(obs_12[:, -3:], first[0][:, -3:])
    env.reset(seed=11)
    vectors = env.task_vectors()
    assert all(v.dtype == np.float64 and v.shape == (6,) for v in vectors)
    env.reset(seed=12)
    assert not any(np.allclose(a, b) for a, b in zip(vectors, env.task_vectors(), strict=True))


def test_random_goals_redraw_at_every_reset(sawyer_env: gymnasium.vector.VectorEnv) -> None:
    env = sawyer_env
    env.reset(seed=1, options={"task_vectors": [None, None]})
    before = env.task_vectors()
    _rollout(env, 4, seed=1)  # max_episode_steps=4: every env autoresets once
    after = env.task_vectors()
    assert not any(np.allclose(a, b) for a, b in zip(before, after, strict=True))


def test_frozen_task_vectors_give_identical_episodes(
    sawyer_env: gymnasium.vector.VectorEnv,
) -> None:
    env = sawyer_env
    vectors = [REACH_VECTOR, np.array([0.05, 0.62, 0.02, -0.05, 0.88, 0.015])]
    runs = []
    for seed in (0, 99):
        obs, _ = env.reset(seed=seed, options={"task_vectors": vectors})
        runs.append([obs, *_rollout(env, 4, seed=7)])
        for got, want in zip(env.task_vectors(), vectors, strict=True):
            np.testing.assert_array_equal(got, want)  # still frozen after the autoreset
    for a, b in zip(*runs, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(runs[0][0][0, -3:], REACH_VECTOR[3:], atol=1e-6)
    env.reset(seed=0, options={"task_vectors": [None, None]})
    assert not np.allclose(env.task_vectors()[0], REACH_VECTOR)


@pytest.mark.parametrize("backend", BACKENDS)
def test_fixed_goals_stay_across_resets_and_follow_the_seed(backend: str) -> None:
    make = ctpg.make_vec_env
    env_a = make(["reach-v3"], backend=backend, seed=4, random_goals=False, max_episode_steps=2)
    env_b = make(["reach-v3"], backend=backend, seed=4, random_goals=False)
    env_c = make(["reach-v3"], backend=backend, seed=5, random_goals=False)
    env_a.reset(seed=0)
    fixed = env_a.task_vectors()[0]
    _rollout(env_a, 2, seed=0)  # autoreset
    env_a.reset(seed=1)
    np.testing.assert_array_equal(env_a.task_vectors()[0], fixed)
    env_a.reset(options={"task_vectors": [REACH_VECTOR]})
    env_a.reset(options={"task_vectors": [None]})  # None restores the fixed vector
    np.testing.assert_array_equal(env_a.task_vectors()[0], fixed)
    env_b.reset(seed=7)
    env_c.reset(seed=7)
    np.testing.assert_array_equal(env_b.task_vectors()[0], fixed)
    assert not np.allclose(env_c.task_vectors()[0], fixed)


@pytest.mark.parametrize("backend", BACKENDS)
def test_success_is_reported(backend: str) -> None:
    reach = ctpg.make_vec_env(["reach-v3"], backend=backend, max_episode_steps=60)
    obs, _ = reach.reset(seed=0, options={"task_vectors": [REACH_VECTOR]})
    successes = []
    for _ in range(59):
        action = np.zeros((1, 4), np.float32)
        action[0, :3] = np.clip((obs[0, -3:] - obs[0, :3]) * 20.0, -1, 1)
        obs, _, _, _, info = reach.step(action)
        successes.append(bool(info["success"][0]))
    assert not successes[0] and successes[-1]
    reach.close()


def test_bad_actions_raise_value_error_naming_the_env(
    sawyer_env: gymnasium.vector.VectorEnv,
) -> None:
    env = sawyer_env
    env.reset(seed=0)
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros((3, 4), np.float32))
    with pytest.raises(ValueError, match="float32"):
        env.step(np.zeros((2, 4), np.float64))
    with pytest.raises(ValueError, match="numpy"):
        env.step([[0.0] * 4] * 2)
    bad = np.zeros((2, 4), np.float32)
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="env 1, task 'push-v3'"):
        env.step(bad)
    bad[1, 2] = np.inf
    with pytest.raises(ValueError, match="push-v3"):
        env.step(bad)
    env.step(np.zeros((2, 4), np.float32))  # still usable


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"goals": []}, "unknown keys"),
        ({"task_vectors": [REACH_VECTOR]}, "list of 2"),
        ({"task_vectors": [REACH_VECTOR[:3], None]}, r"shape \(6,\)"),
        ({"task_vectors": [REACH_VECTOR + [0, 0, 0, 0, 0, 1.0], None]}, "range"),
        ({"task_vectors": [np.full(6, np.nan), None]}, "NaN"),
        # push-v3: object and goal 0.1 apart; MetaWorld would re-draw forever.
        ({"task_vectors": [None, np.array([0.0, 0.7, 0.02, 0.0, 0.8, 0.015])]}, "reset condition"),
    ],
)
def test_bad_task_vectors_raise_value_error(
    sawyer_env: gymnasium.vector.VectorEnv, options: dict, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        sawyer_env.reset(options=options)
    sawyer_env.reset(seed=0)


def test_step_before_reset_raises() -> None:
    env = ctpg.make_vec_env(["halfcheetah-gravity-1.0"], backend="python")
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros((1, 6), np.float32))


def test_cheetah_set_state_and_task_vectors(cheetah_env: gymnasium.vector.VectorEnv) -> None:
    env = cheetah_env
    env.reset(seed=0)
    assert [v.size for v in env.task_vectors()] == [0] * 5
    qpos, qvel = np.linspace(-0.1, 0.1, 9), np.linspace(-1.0, 1.0, 9)
    obs = env.set_state(2, qpos, qvel)
    assert obs.dtype == np.float32
    np.testing.assert_allclose(obs, np.concatenate([qpos[1:], qvel]), atol=1e-7)
    with pytest.raises(ValueError, match="env"):
        env.set_state(5, qpos, qvel)
    with pytest.raises(ValueError, match="qpos"):
        env.set_state(0, qpos[:4], qvel)
    with pytest.raises(ValueError, match="HalfCheetah"):
        env.reset(options={"task_vectors": [np.zeros(3), None, None, None, None]})


def test_cheetah_seeding_and_bad_actions(cheetah_env: gymnasium.vector.VectorEnv) -> None:
    env = cheetah_env
    first = [env.reset(seed=21)[0], *_rollout(env, 4, seed=0)]
    second = [env.reset(seed=21)[0], *_rollout(env, 4, seed=0)]
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    other, _ = env.reset(seed=22)
    assert not np.allclose(other, first[0])  # other reset noise
    assert len({row.tobytes() for row in first[0]}) == env.num_envs  # per-env streams
    bad = np.zeros((5, 6), np.float32)
    bad[3, 0] = -np.inf
    with pytest.raises(ValueError, match="env 3, task 'halfcheetah-gravity-1.5'"):
        env.step(bad)
    with pytest.raises(ValueError, match="float32"):
        env.step(bad.astype(np.float16))
    with pytest.raises(ValueError, match="shape"):
        env.step(np.zeros((5, 4), np.float32))


def test_every_mt50_task_is_native() -> None:
    from ctpg.config import preset

    env = ctpg.make_vec_env("mt50", seed=0, num_threads=2)
    assert isinstance(env, NativeVecEnv) and env.task_names == list(MT50_TASKS)
    obs, _ = env.reset(seed=0)
    assert obs.shape == (50, 39) and np.isfinite(obs).all()
    assert preset("mt50").env.backend == "native"
    assert preset("mt10").env.backend == "native"
    env.close()
