"""step_async / step_wait: the step split in two gives what step gives; misuse is an error."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import gymnasium
import metaworld
import numpy as np
import pytest

import ctpg
from ctpg import _core

GYM_ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets")
MW_ASSETS = os.path.join(os.path.dirname(metaworld.__file__), "assets")
TASKS = ["reach-v3", "push-v3", "drawer-close-v3"]


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT on warnings
    yield


def make(threads: int = 2) -> _core.VecEnv:
    env = _core.VecEnv(TASKS, MW_ASSETS, GYM_ASSETS, 5, threads, [7, 9, 11])  # short episodes
    env.reset(seed=3)
    return env


def actions(step: int) -> np.ndarray:
    return np.random.default_rng(step).uniform(-1, 1, (len(TASKS), 4)).astype(np.float32)


@pytest.mark.parametrize("with_info", [False, True])
def test_split_steps_equal_plain_steps_across_episode_ends(with_info: bool) -> None:
    plain, split = make(), make()
    for step in range(25):  # every env ends episodes on the way (autoreset)
        expected = plain.step(actions(step), with_info=with_info)
        split.step_async(actions(step), with_info=with_info)
        assert split.step_in_flight
        got = split.step_wait()
        assert not split.step_in_flight
        assert len(got) == len(expected)
        for e, g in zip(expected, got, strict=True):
            assert g.dtype == e.dtype and g.shape == e.shape
            np.testing.assert_array_equal(g, e)


def test_the_actions_are_copied_at_step_async() -> None:
    plain, split = make(), make()
    a = actions(0)
    expected = plain.step(a.copy())[0]
    split.step_async(a)
    a[:] = 0.9  # the caller reuses its buffer while the step runs
    np.testing.assert_array_equal(split.step_wait()[0], expected)


def test_calls_while_a_step_is_in_flight_are_refused() -> None:
    env = make()
    env.step_async(actions(0))
    for call in (
        lambda: env.step(actions(1)),
        lambda: env.step_async(actions(1)),
        lambda: env.reset(seed=1),
        lambda: env.set_state(0, np.zeros(16), np.zeros(15)),
        lambda: env.freeze_task_vectors([None] * len(TASKS)),
    ):
        with pytest.raises(RuntimeError, match=r"step_wait\(\)"):
            call()
    env.step_wait()
    with pytest.raises(RuntimeError, match=r"no step in flight; call step_async"):
        env.step_wait()
    env.step(actions(1))  # usable again


def test_bad_actions_are_refused_before_anything_starts() -> None:
    env = make()
    bad = actions(0)
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="actions: env 1"):
        env.step_async(bad)
    with pytest.raises(ValueError, match="actions"):
        env.step_async(np.zeros((2, 4), np.float32))
    assert not env.step_in_flight
    fresh = _core.VecEnv(TASKS, MW_ASSETS, GYM_ASSETS, 5, 1, [7, 9, 11])
    with pytest.raises(RuntimeError, match="reset"):
        fresh.step_async(actions(0))


def test_an_env_dropped_with_a_step_in_flight_waits_for_it() -> None:
    env = make()
    env.step_async(actions(0))
    del env
    gc.collect()  # the destructor waits for the step; no crash


@pytest.mark.parametrize("backend", ["native", "python"])
def test_vector_envs_split_their_steps_too(backend: str) -> None:
    plain = ctpg.make_vec_env(TASKS, backend=backend, seed=1)
    split = ctpg.make_vec_env(TASKS, backend=backend, seed=1)
    plain.reset(seed=2)
    split.reset(seed=2)
    for step in range(3):
        expected = plain.step(actions(step))
        split.step_async(actions(step))
        with pytest.raises(RuntimeError, match=r"step_wait"):
            split.step(actions(step))
        got = split.step_wait()
        for e, g in zip(expected[:4], got[:4], strict=True):
            np.testing.assert_array_equal(g, e)
        assert expected[4].keys() == got[4].keys()
        for key in expected[4]:
            np.testing.assert_array_equal(got[4][key], expected[4][key])
