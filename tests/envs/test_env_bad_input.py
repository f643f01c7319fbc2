"""The engine's bindings under unusual but valid arrays and bad input.

Arrays reach the engine through pickle, multiprocessing and other libraries:
an equal dtype that is not numpy's own object, another byte order, a strided
view, a read-only buffer or dtype metadata must give the result of a plain
array. A rejected call changes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import gymnasium
import metaworld
import numpy as np
import pytest
from array_variants import VARIANTS

import ctpg
from ctpg import _core

GYM_ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets")
MW_ASSETS = os.path.join(os.path.dirname(metaworld.__file__), "assets")
METAWORLD = ["reach-v3", "push-v3"]
CHEETAH = ["halfcheetah-gravity-1.0", "halfcheetah-gravity-0.5"]


def make(tasks: list[str], seed: int = 0) -> _core.VecEnv:
    return _core.VecEnv(tasks, MW_ASSETS, GYM_ASSETS, seed, 1, [500] * len(tasks))


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT on warnings
    yield


def step_twice(env: _core.VecEnv, actions: np.ndarray) -> list[np.ndarray]:
    env.reset(seed=0)
    return list(env.step(actions)) + list(env.step(actions))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_step_takes_equal_dtypes_and_any_layout(
    variant: Callable[[np.ndarray], np.ndarray],
) -> None:
    actions = np.random.default_rng(0).uniform(-1, 1, (2, 4)).astype(np.float32)
    expected = step_twice(make(METAWORLD), actions)
    got = step_twice(make(METAWORLD), variant(actions))
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_array_equal(g, e)


def frozen_reset(vectors: list[np.ndarray | None]) -> tuple[np.ndarray, list[np.ndarray]]:
    env = make(METAWORLD)
    env.freeze_task_vectors(vectors)
    obs = env.reset(seed=3)
    return obs, env.task_vectors()


def some_vectors() -> list[np.ndarray]:
    env = make(METAWORLD, seed=7)
    env.reset(seed=11)
    return [np.array(v, np.float64) for v in env.task_vectors()]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_freeze_task_vectors_takes_equal_dtypes_and_any_layout(
    variant: Callable[[np.ndarray], np.ndarray],
) -> None:
    vectors = some_vectors()
    obs, current = frozen_reset(list(vectors))
    got_obs, got_current = frozen_reset([variant(v) for v in vectors])
    np.testing.assert_array_equal(got_obs, obs)
    for g, e in zip(got_current, current, strict=True):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_reset_options_take_equal_dtypes_and_any_layout(
    variant: Callable[[np.ndarray], np.ndarray],
) -> None:
    vectors = some_vectors()
    expected = ctpg.make_vec_env(METAWORLD, backend="native", num_threads=1)
    got = ctpg.make_vec_env(METAWORLD, backend="native", num_threads=1)
    obs, _ = expected.reset(seed=3, options={"task_vectors": vectors})
    got_obs, _ = got.reset(seed=3, options={"task_vectors": [variant(v) for v in vectors]})
    np.testing.assert_array_equal(got_obs, obs)
    actions = np.zeros((2, 4), np.float32)
    np.testing.assert_array_equal(got.step(variant(actions))[0], expected.step(actions)[0])


def cheetah_state() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(0, 0.1, 9), rng.normal(0, 0.1, 9)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_set_state_takes_equal_dtypes_and_any_layout(
    variant: Callable[[np.ndarray], np.ndarray],
) -> None:
    qpos, qvel = cheetah_state()
    env = make(CHEETAH)
    env.reset(seed=0)
    expected = env.set_state(1, qpos, qvel)
    env.reset(seed=0)
    np.testing.assert_array_equal(env.set_state(1, variant(qpos), variant(qvel)), expected)


def test_rejected_freeze_changes_no_env() -> None:
    good = some_vectors()
    bad = good[1] + 10.0  # out of push-v3's range
    env, twin = make(METAWORLD), make(METAWORLD)
    env.reset(seed=0)
    before = env.task_vectors()
    with pytest.raises(ValueError, match=r"vectors\[1\]"):
        env.freeze_task_vectors([good[0], bad])
    for v, b in zip(env.task_vectors(), before, strict=True):
        np.testing.assert_array_equal(v, b)
    # Env 0 was not frozen: the next resets draw what an untouched twin draws.
    for seed in (1, 2):
        np.testing.assert_array_equal(env.reset(seed=seed), twin.reset(seed=seed))
        for v, t in zip(env.task_vectors(), twin.task_vectors(), strict=True):
            np.testing.assert_array_equal(v, t)


def test_rejected_unfreeze_and_freeze_changes_no_env() -> None:
    good = some_vectors()
    env, twin = make(METAWORLD), make(METAWORLD)
    env.freeze_task_vectors(good)
    twin.freeze_task_vectors(good)
    with pytest.raises(ValueError, match=r"vectors\[1\]"):
        env.freeze_task_vectors([None, np.full(good[1].shape, np.nan)])
    np.testing.assert_array_equal(env.reset(seed=5), twin.reset(seed=5))


@pytest.mark.parametrize("name", ["qpos", "qvel"])
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_set_state_rejects_non_finite_values(name: str, value: float) -> None:
    qpos, qvel = cheetah_state()
    env, twin = make(CHEETAH), make(CHEETAH)
    env.reset(seed=0)
    twin.reset(seed=0)
    state = {"qpos": qpos.copy(), "qvel": qvel.copy()}
    state[name][3] = value
    with pytest.raises(ValueError, match=name):
        env.set_state(0, state["qpos"], state["qvel"])
    actions = np.zeros((2, 6), np.float32)
    np.testing.assert_array_equal(env.step(actions)[0], twin.step(actions)[0])


@pytest.mark.parametrize("seed", [True, False, np.bool_(True), 1.0, "1", -1, 2**64])
def test_reset_refuses_what_is_not_a_seed(seed: object) -> None:
    env = make(CHEETAH)
    with pytest.raises(ValueError, match="seed"):
        env.reset(seed=seed)
    with pytest.raises(ValueError, match="seed"):
        _core.VecEnv(CHEETAH, MW_ASSETS, GYM_ASSETS, seed, 1, [10, 10])


def test_reset_takes_numpy_integer_seeds() -> None:
    env = make(CHEETAH)
    np.testing.assert_array_equal(env.reset(seed=np.uint8(4)), env.reset(seed=4))
    a = _core.VecEnv(CHEETAH, MW_ASSETS, GYM_ASSETS, np.int64(3), 1, [10, 10])
    np.testing.assert_array_equal(a.reset(), make(CHEETAH, seed=3).reset())


@pytest.mark.parametrize("index", [True, 1.0, "1", -1, 2])
def test_set_state_refuses_what_is_not_an_env_index(index: object) -> None:
    qpos, qvel = cheetah_state()
    env = make(CHEETAH)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="env"):
        env.set_state(index, qpos, qvel)
    np.testing.assert_array_equal(
        env.set_state(np.int32(1), qpos, qvel), env.set_state(1, qpos, qvel)
    )


@pytest.mark.parametrize("threads", [True, 1.0, "1", 0])
def test_num_threads_must_be_a_positive_int(threads: object) -> None:
    with pytest.raises(ValueError, match="num_threads"):
        _core.VecEnv(CHEETAH, MW_ASSETS, GYM_ASSETS, 0, threads, [10, 10])
    assert _core.VecEnv(CHEETAH, MW_ASSETS, GYM_ASSETS, 0, np.int64(2), [10, 10]).num_envs == 2


@pytest.mark.parametrize(
    ("limits", "call"),
    [
        ("ulimit -v 2000000", "ctpg._core.thread_pool_check(400, 4)"),
        (
            "ulimit -s 1000000; ulimit -v 5000000",
            "ctpg.make_vec_env('mt10', backend='native', num_threads=10)",
        ),
    ],
    ids=["thread_pool_check", "make_vec_env"],
)
def test_a_thread_the_system_refuses_is_an_error_not_a_hang(limits: str, call: str) -> None:
    """Under an address-space limit (``ulimit -v``; with 1 GB stacks for the engine) the
    worker stacks cannot all be mapped: the pool stops the workers it started and raises
    (it used to wait forever)."""
    import shlex
    import subprocess
    import sys

    code = f"import ctpg\ntry:\n    {call}\nexcept RuntimeError as e:\n    print(e, flush=True)\n"
    command = f"{limits}; exec {shlex.quote(sys.executable)} -c {shlex.quote(code)}"
    # the child imports the ctpg under test, also when it comes from a relative PYTHONPATH
    root = os.path.dirname(os.path.dirname(os.path.abspath(ctpg.__file__)))
    env = {**os.environ, "PYTHONPATH": root}
    try:
        done = subprocess.run(
            ["bash", "-c", command],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired as error:
        raise AssertionError(f"hung; output so far: {error.stdout!r} {error.stderr!r}") from None
    assert done.returncode == 0, done.stderr
    assert "num_threads: could not start worker thread" in done.stdout, done.stdout


@pytest.mark.parametrize("vectors", [5, "ab", np.array(3), {"a": 1}])
def test_freeze_task_vectors_wants_a_list(vectors: object) -> None:
    with pytest.raises(ValueError, match="vectors must be a list or tuple"):
        make(METAWORLD).freeze_task_vectors(vectors)  # type: ignore[arg-type]


def test_with_info_must_be_a_bool() -> None:
    env = make(METAWORLD)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="with_info must be a bool"):
        env.step(np.zeros((2, 4), np.float32), with_info=5)  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("task_names", "reach-v3"),
        ("task_names", ["reach-v3", 3]),
        ("metaworld_asset_dir", 3),
        ("gymnasium_asset_dir", None),
        ("max_episode_steps", [500.0, 500]),
        ("max_episode_steps", [500]),
    ],
)
def test_constructor_arguments_are_named(name: str, value: object) -> None:
    kwargs: dict[str, object] = {
        "task_names": METAWORLD,
        "metaworld_asset_dir": MW_ASSETS,
        "gymnasium_asset_dir": GYM_ASSETS,
        "seed": 0,
        "num_threads": 1,
        "max_episode_steps": [500, 500],
        name: value,
    }
    with pytest.raises(ValueError, match=name):
        _core.VecEnv(**kwargs)  # type: ignore[arg-type]
