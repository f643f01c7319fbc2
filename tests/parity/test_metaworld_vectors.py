"""Task vectors of the native MetaWorld envs: validation, fresh draws, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from ctpg import _core

from . import _metaworld_reference as ref


def _make(tasks: list[str], seed: int = 0) -> _core.VecEnv:
    return _core.VecEnv(
        tasks, ref.metaworld_asset_dir(), ref.gymnasium_asset_dir(), seed, 1, [500] * len(tasks)
    )


def test_dims_match_metaworld_reset_spaces() -> None:
    env = _make(list(ref.MT10_TASKS))
    assert env.obs_dim == 39 and env.action_dim == 4
    for task, dim in zip(ref.MT10_TASKS, env.task_vector_dims, strict=True):
        low, _ = ref.reset_space(task)
        assert dim == low.size, task


@pytest.mark.parametrize("task", ref.NATIVE_TASKS)
def test_fresh_vectors_stay_in_range_and_satisfy_the_task(task: str) -> None:
    low, high = ref.reset_space(task)
    env = _make([task] * 8, seed=3)
    accepts = ref.ACCEPTS.get(task, lambda vec: True)
    for episode in range(3):
        env.reset(seed=episode)
        for vec in env.task_vectors():
            assert np.all(vec >= low) and np.all(vec <= high)
            assert accepts(vec)


def test_same_seed_same_goals_different_seed_different_goals() -> None:
    tasks = list(ref.MT10_TASKS)
    a, b = _make(tasks, seed=1), _make(tasks, seed=1)
    obs_a, obs_b = a.reset(seed=5), b.reset(seed=5)
    np.testing.assert_array_equal(obs_a, obs_b)
    actions = np.random.default_rng(0).uniform(-1, 1, (len(tasks), 4)).astype(np.float32)
    np.testing.assert_array_equal(a.step(actions)[0], b.step(actions)[0])
    obs_c = b.reset(seed=6)
    vec_a, vec_c = a.task_vectors(), b.task_vectors()
    # Tasks with a non-degenerate reset space draw a different goal.
    assert not np.array_equal(obs_a[:, 36:], obs_c[:, 36:])
    assert any(not np.array_equal(x, y) for x, y in zip(vec_a, vec_c, strict=True))


def test_frozen_vector_is_used_and_unfreezing_draws_again() -> None:
    low, high = ref.reset_space("push-v3")
    vec = ref.random_task_vector("push-v3", (low, high), np.random.default_rng(0))
    env = _make(["push-v3"])
    env.freeze_task_vectors([vec])
    for seed in (0, 1):
        env.reset(seed=seed)
        np.testing.assert_array_equal(env.task_vectors()[0], vec)
    env.freeze_task_vectors([None])
    env.reset(seed=2)
    assert not np.array_equal(env.task_vectors()[0], vec)


def test_out_of_range_vector_is_rejected() -> None:
    env = _make(["reach-v3"])
    low, high = ref.reset_space("reach-v3")
    bad = high + 0.5
    with pytest.raises(ValueError, match="task_vector"):
        env.freeze_task_vectors([bad])
    with pytest.raises(ValueError):
        env.freeze_task_vectors([np.full(low.size, np.nan)])


def test_vector_metaworld_would_redraw_forever_is_rejected() -> None:
    # Object and goal closer than 0.15 in the plane: MetaWorld's reset loops
    # forever on such a frozen vector; the native env refuses it.
    vec = np.array([0.0, 0.7, 0.02, 0.0, 0.8, 0.1])
    env = _make(["reach-v3"])
    with pytest.raises(ValueError, match="rejects"):
        env.freeze_task_vectors([vec])


def test_threads_and_autoresets_do_not_change_trajectories() -> None:
    tasks = list(ref.NATIVE_TASKS)
    steps = [60] * len(tasks)  # several automatic resets with fresh goals
    runs = []
    for threads in (1, 2):
        env = _core.VecEnv(
            tasks, ref.metaworld_asset_dir(), ref.gymnasium_asset_dir(), 11, threads, steps
        )
        rng = np.random.default_rng(0)
        out = [env.reset()]
        for _ in range(150):
            actions = rng.uniform(-1, 1, (len(tasks), 4)).astype(np.float32)
            obs, rew, _, trunc, success, final = env.step(actions)
            out += [obs, rew, trunc, success, final]
        runs.append(out)
    for a, b in zip(runs[0], runs[1], strict=True):
        np.testing.assert_array_equal(a, b)
