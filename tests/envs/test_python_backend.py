"""The python backend reproduces MetaWorld's and gymnasium's own envs; the HalfCheetah variants."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest
from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv

import ctpg
from ctpg.envs import _cheetah
from ctpg.tasks import CHEETAH_VARIANTS, HALFCHEETAH_MT5_TASKS, HALFCHEETAH_MT8_TASKS

STANDARD_GRAVITY = -9.81
PUSH_VECTOR = np.array([0.05, 0.62, 0.02, -0.05, 0.88, 0.015])


@pytest.fixture(scope="module")
def standard_model() -> mujoco.MjModel:
    return mujoco.MjModel.from_xml_path(_cheetah.standard_xml_path())


def _geom(model: mujoco.MjModel, name: str) -> int:
    return mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, name)


@pytest.mark.parametrize("task", HALFCHEETAH_MT5_TASKS)
def test_gravity_variants_scale_gravity_only(task: str, standard_model: mujoco.MjModel) -> None:
    model = _cheetah.variant_model(task)
    factor = float(task.rsplit("-", 1)[1])
    np.testing.assert_array_equal(model.opt.gravity, [0.0, 0.0, STANDARD_GRAVITY * factor])
    np.testing.assert_array_equal(model.geom_size, standard_model.geom_size)
    np.testing.assert_array_equal(model.body_mass, standard_model.body_mass)


@pytest.mark.parametrize("task", HALFCHEETAH_MT8_TASKS)
def test_body_variants_scale_named_geoms(task: str, standard_model: mujoco.MjModel) -> None:
    variant = CHEETAH_VARIANTS[task]
    model = _cheetah.variant_model(task)
    scale = 1.25 if task.endswith("big") else 0.75
    assert variant.size_scale == scale and variant.geoms
    np.testing.assert_array_equal(model.opt.gravity, standard_model.opt.gravity)
    for g in range(model.ngeom):
        name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, g)
        want = standard_model.geom_size[g].copy()
        if name in variant.geoms:
            want[0] *= scale  # radius
            if name != "torso":  # the torso's length comes from fromto and is kept
                want[1] *= scale
        np.testing.assert_allclose(model.geom_size[g], want, rtol=1e-12, err_msg=name)
    if "torso" in variant.geoms:
        torso = _geom(model, "torso")
        assert model.geom_size[torso, 1] == standard_model.geom_size[torso, 1] == 0.5
    # settotalmass keeps the total mass; the distribution follows the new geoms
    assert model.body_mass.sum() == pytest.approx(standard_model.body_mass.sum())
    assert not np.allclose(model.body_mass, standard_model.body_mass)


def test_unedited_variant_compiles_to_the_standard_model(standard_model: mujoco.MjModel) -> None:
    model = _cheetah.variant_model("halfcheetah-gravity-1.0")
    for field in (
        "geom_size",
        "geom_quat",
        "body_mass",
        "body_inertia",
        "body_iquat",
        "dof_armature",
    ):
        np.testing.assert_array_equal(getattr(model, field), getattr(standard_model, field))


def test_variants_behave_differently_from_the_same_state() -> None:
    env = ctpg.make_vec_env("halfcheetah-mt8", backend="python")
    env.reset(seed=0)
    qpos, qvel = np.zeros(9), np.zeros(9)
    for i in range(env.num_envs):
        env.set_state(i, qpos, qvel)
    actions = np.tile(np.linspace(-1, 1, 6, dtype=np.float32), (env.num_envs, 1))
    for _ in range(20):
        obs, reward, _, _, _ = env.step(actions)
    assert len({round(float(r), 6) for r in reward}) == env.num_envs
    assert len({obs[i].tobytes() for i in range(env.num_envs)}) == env.num_envs


def test_cheetah_matches_gymnasium_halfcheetah_v5() -> None:
    env = ctpg.make_vec_env(["halfcheetah-gravity-1.0"], backend="python", max_episode_steps=50)
    reference = HalfCheetahEnv()
    env.reset(seed=0)
    reference.reset(seed=0)
    rng = np.random.default_rng(0)
    qpos, qvel = rng.uniform(-0.1, 0.1, 9), rng.normal(0.0, 0.1, 9)
    obs = env.set_state(0, qpos, qvel)
    reference.set_state(qpos, qvel)
    np.testing.assert_array_equal(obs, reference._get_obs().astype(np.float32))
    for step in range(50):
        action = rng.uniform(-1, 1, (1, 6)).astype(np.float32)
        obs, reward, term, trunc, info = env.step(action)
        ref_obs, ref_reward, ref_term, _, _ = reference.step(action[0])
        np.testing.assert_array_equal(info["final_obs"][0], np.float32(ref_obs))
        assert reward[0] == np.float32(ref_reward) and term[0] == ref_term
        assert trunc[0] == (step == 49) and not info["success"][0]
    reference.close()


def test_metaworld_matches_metaworld_own_env() -> None:
    from metaworld.env_dict import ALL_V3_ENVIRONMENTS

    env = ctpg.make_vec_env(["push-v3"], backend="python", max_episode_steps=30)
    reference = ALL_V3_ENVIRONMENTS["push-v3"]()
    reference._partially_observable = False
    del reference.sawyer_observation_space
    reference._set_task_called = True
    reference._freeze_rand_vec = True
    reference._last_rand_vec = PUSH_VECTOR.copy()
    obs, _ = env.reset(options={"task_vectors": [PUSH_VECTOR]})
    ref_obs, _ = reference.reset()
    np.testing.assert_array_equal(obs[0], np.float32(ref_obs))
    assert np.all(ref_obs[-3:] != 0.0)  # the goal is visible
    rng = np.random.default_rng(1)
    for step in range(30):
        action = rng.uniform(-1, 1, (1, 4)).astype(np.float32)
        obs, reward, _, trunc, info = env.step(action)
        ref_obs, ref_reward, _, _, ref_info = reference.step(action[0])
        np.testing.assert_array_equal(info["final_obs"][0], np.float32(ref_obs))
        assert reward[0] == np.float32(ref_reward)
        assert info["success"][0] == bool(ref_info["success"]) and trunc[0] == (step == 29)
    reference.close()


def test_metaworld_limit_above_500_is_allowed() -> None:
    env = ctpg.make_vec_env(["reach-v3"], backend="python", max_episode_steps=503)
    env.reset(seed=0)
    zeros = np.zeros((1, 4), np.float32)
    truncated = [bool(env.step(zeros)[3][0]) for _ in range(503)]
    assert truncated == [False] * 502 + [True]


def test_metaworld_set_state_checks_sizes_and_needs_a_reset() -> None:
    env = ctpg.make_vec_env(["reach-v3"], backend="python")
    with pytest.raises(RuntimeError, match="reset"):
        env.set_state(0, np.zeros(16), np.zeros(15))
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"qpos/qvel: expected shapes \(16,\)/\(15,\)"):
        env.set_state(0, np.zeros(9), np.zeros(9))


def test_failed_task_vector_check_requires_a_new_reset() -> None:
    env = ctpg.make_vec_env(["push-v3"], backend="python")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="reset condition"):
        env.reset(options={"task_vectors": [np.array([0.0, 0.7, 0.02, 0.0, 0.8, 0.015])]})
    with pytest.raises(RuntimeError, match="reset"):
        env.step(np.zeros((1, 4), np.float32))
    env.reset(options={"task_vectors": [PUSH_VECTOR]})
    np.testing.assert_array_equal(env.task_vectors()[0], PUSH_VECTOR)
