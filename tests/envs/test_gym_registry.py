"""gymnasium ids: ``gymnasium.make_vec("ctpg/...")`` builds what ``ctpg.make_vec_env`` builds."""

from __future__ import annotations

import subprocess
import sys
import warnings
from typing import Any

import gymnasium
import numpy as np
import pytest
from gymnasium.utils import env_checker
from gymnasium.utils import passive_env_checker as passive

import ctpg
from ctpg.envs import NativeVecEnv, PythonVecEnv
from ctpg.envs.gym_registration import GYM_IDS, register_envs

NATIVE_IDS = ["ctpg/MT10", "ctpg/MT50", "ctpg/HalfCheetah-MT5", "ctpg/HalfCheetah-MT8"]


def _actions(env: Any, step: int) -> np.ndarray:
    """Fixed actions in [-1, 1], different per sub-env, dimension and step."""
    n, a = env.action_space.shape
    grid = np.arange(n * a, dtype=np.float32).reshape(n, a)
    return np.sin(0.7 * grid + 1.3 * step).astype(np.float32)


def _same(a: Any, b: Any) -> bool:
    return env_checker.data_equivalence(a, b, exact=True)


def test_import_registers_the_ids_without_building_anything() -> None:
    script = (
        "import sys, gymnasium, ctpg\n"
        "ids = [i for i in gymnasium.registry if i.startswith('ctpg/')]\n"
        "assert sorted(ids) == sorted(" + repr(list(GYM_IDS)) + "), ids\n"
        "assert all(gymnasium.spec(i).vector_entry_point for i in ids)\n"
        "heavy = [m for m in ('torch', 'metaworld') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_registering_again_keeps_the_ids_quietly() -> None:
    specs = {i: gymnasium.spec(i) for i in GYM_IDS}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        register_envs()
    assert {i: gymnasium.spec(i) for i in GYM_IDS} == specs


@pytest.mark.parametrize("env_id", NATIVE_IDS)
def test_make_vec_builds_what_make_vec_env_builds(env_id: str) -> None:
    options = {"seed": 5, "num_threads": 1, "max_episode_steps": 3}
    env = gymnasium.make_vec(env_id, **options)
    ref = ctpg.make_vec_env(GYM_IDS[env_id], **options)
    other_seed = ctpg.make_vec_env(GYM_IDS[env_id], **{**options, "seed": 6})
    assert type(env) is NativeVecEnv and env.spec is not None and env.spec.id == env_id
    assert env.task_names == ref.task_names and env.num_envs == ref.num_tasks
    assert env.observation_space == ref.observation_space
    assert env.action_space == ref.action_space
    first = env.reset()  # no seed: the sub-envs' RNGs come from the construction seed
    assert _same(first, ref.reset())
    assert not _same(first[0], other_seed.reset()[0])
    for step in range(4):
        actions = _actions(env, step)
        out = env.step(actions)
        assert _same(out, ref.step(actions)), f"step {step}"
        assert out[3].all() == (step == 2)  # max_episode_steps=3 was passed on


def test_mt50_builds_what_make_vec_env_builds() -> None:
    """MT50 runs on the native engine by default, and on MetaWorld's envs when asked."""
    for backend, kind in (("native", NativeVecEnv), ("python", PythonVecEnv)):
        options = {} if backend == "native" else {"backend": backend}
        env = gymnasium.make_vec("ctpg/MT50", seed=0, **options)
        ref = ctpg.make_vec_env("mt50", backend=backend, seed=0)
        assert type(env) is kind and env.num_envs == 50
        assert env.task_names == ref.task_names
        assert _same(env.reset(seed=0), ref.reset(seed=0))
        actions = _actions(env, 0)
        assert _same(env.step(actions), ref.step(actions))


@pytest.mark.parametrize("env_id", NATIVE_IDS)
def test_gymnasium_checks(env_id: str) -> None:
    """gymnasium's checks that apply to a vector env; its seeding checks read a single env's
    ``np_random``, so seeding and step determinism are checked by hand."""
    env = gymnasium.make_vec(env_id, seed=0, num_threads=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the passive checkers warn
        assert env.metadata["autoreset_mode"] == gymnasium.vector.AutoresetMode.SAME_STEP
        for space in (env.single_observation_space, env.observation_space):
            passive.check_observation_space(space)
        for space in (env.single_action_space, env.action_space):
            passive.check_action_space(space)
        env_checker.check_reset_return_type(env)
        env_checker.check_reset_options(env)
        env_checker.check_reset_return_info_deprecation(env)
        env_checker.check_seed_deprecation(env)
        calls = [("reset", env.reset(seed=1))]
        passive.check_obs(calls[0][1][0], env.observation_space, "reset")
        for step in range(2):
            obs, reward, terminated, truncated, info = env.step(_actions(env, step))
            passive.check_obs(obs, env.observation_space, "step")
            assert reward.shape == (env.num_envs,) and np.issubdtype(reward.dtype, np.floating)
            assert terminated.shape == truncated.shape == (env.num_envs,)
            assert terminated.dtype == truncated.dtype == np.bool_
            assert isinstance(info, dict)
            calls.append((f"step {step}", (obs, info)))
        calls.append(("reset again", env.reset(seed=1)))
        for (source_a, data_a), (source_b, data_b) in zip(calls[:-1], calls[1:], strict=True):
            passive.env_data_reuse_passive_checker(data_a, data_b, source_a, source_b)
    assert _same(calls[0][1], calls[-1][1])  # reset(seed=1) twice: the same observations
    assert _same(env.step(_actions(env, 0))[0], calls[1][1][0])  # and the same step


def test_bad_options_name_the_option() -> None:
    with pytest.raises(ValueError, match=r"num_envs: mt10 has one sub-env per task \(10\)"):
        gymnasium.make_vec("ctpg/MT10", num_envs=3)
    with pytest.raises(ValueError, match="use_one_hot: not an option of ctpg.make_vec_env"):
        gymnasium.make_vec("ctpg/HalfCheetah-MT5", use_one_hot=True)
    env = gymnasium.make_vec("ctpg/HalfCheetah-MT5", num_envs=5, num_threads=1)
    assert env.num_envs == 5
