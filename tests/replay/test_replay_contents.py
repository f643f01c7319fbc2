"""ReplayBuffer contents, next_obs, overwrite and segments against a Python model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from replay_model import ModelReplay

import ctpg

D, A = 2, 1


def add_both(rb, model, obs, action, reward, next_obs, term, trunc, behaviour, begin):
    rb.add(obs, action, reward, next_obs, term, trunc, behaviour, begin)
    model.add(obs, action, reward, next_obs, term, trunc, behaviour, begin)


def check_transitions(rb: ctpg.ReplayBuffer, model: ModelReplay, per_task: int) -> None:
    """Every sampled row equals the model's row at its slot; every slot is reachable."""
    sizes = model.sizes()
    np.testing.assert_array_equal(rb.sizes(), sizes)
    counts = np.array([per_task if n > 0 else 0 for n in sizes], np.int64)
    b = rb.sample(counts)
    assert b["obs"].shape == (counts.sum(), D) and b["obs"].dtype == np.float32
    np.testing.assert_array_equal(b["task"], np.repeat(np.arange(len(sizes)), counts))
    np.testing.assert_array_equal(b["weight"], 1.0)
    for i, (t, slot) in enumerate(zip(b["task"], b["index"], strict=True)):
        r = model.row(int(t), int(slot))
        np.testing.assert_array_equal(b["obs"][i], r.obs)
        np.testing.assert_array_equal(b["next_obs"][i], r.next_obs)
        np.testing.assert_array_equal(b["action"][i], r.action)
        assert b["reward"][i] == np.float32(r.reward)
        assert (b["terminated"][i], b["truncated"][i]) == (r.terminated, r.truncated)
    for t, n in enumerate(sizes):
        if n:
            seen = set(b["index"][b["task"] == t].tolist())
            assert seen == {r.slot for r in model.rows[t]}


def check_segments(rb: ctpg.ReplayBuffer, model: ModelReplay, per_task: int) -> None:
    K = model.guide_step
    starts = [model.segment_starts(t) for t in range(len(model.rows))]
    for t, s in enumerate(starts):
        if not s:
            counts = np.zeros(len(starts), np.int64)
            counts[t] = 1
            with pytest.raises(ValueError, match=f"task {t}"):
                rb.sample_segments(counts)
    counts = np.array([per_task if s else 0 for s in starts], np.int64)
    seg = rb.sample_segments(counts)
    assert seg["obs"].shape == (counts.sum(), K, D)
    for i, (t, slot) in enumerate(zip(seg["task"], seg["index"], strict=True)):
        window = model.segment(int(t), int(slot))
        assert window is not None and window[0].guide_begin
        n = len(window)
        np.testing.assert_array_equal(seg["valid"][i], np.arange(K) < n)
        assert seg["behaviour"][i] == window[0].behaviour
        for k, r in enumerate(window):
            np.testing.assert_array_equal(seg["obs"][i, k], r.obs)
            np.testing.assert_array_equal(seg["next_obs"][i, k], r.next_obs)
            np.testing.assert_array_equal(seg["action"][i, k], r.action)
            assert seg["reward"][i, k] == np.float32(r.reward)
            assert seg["terminated"][i, k] == r.terminated
            assert seg["truncated"][i, k] == r.truncated
        for key in ("obs", "next_obs", "action", "reward", "terminated", "truncated"):
            assert not seg[key][i, n:].any(), key  # zero filler after the episode's end
    for t, s in enumerate(starts):
        if s:
            assert set(seg["index"][seg["task"] == t].tolist()) == s


step_strategy = st.fixed_dictionaries(
    {
        "continue": st.lists(st.booleans(), min_size=3, max_size=3),
        "obs": st.lists(st.integers(0, 3), min_size=3, max_size=3),
        "next": st.lists(st.integers(0, 3), min_size=3, max_size=3),
        "term": st.lists(st.integers(0, 9), min_size=3, max_size=3),
        "trunc": st.lists(st.integers(0, 9), min_size=3, max_size=3),
        "begin": st.lists(st.booleans(), min_size=3, max_size=3),
        "behaviour": st.lists(st.integers(0, 2), min_size=3, max_size=3),
    }
)


@settings(max_examples=150, deadline=None)
@given(
    num_tasks=st.integers(1, 3),
    capacity=st.integers(1, 7),
    guide_step=st.integers(1, 4),
    steps=st.lists(step_strategy, min_size=1, max_size=25),
)
def test_buffer_matches_model(num_tasks, capacity, guide_step, steps) -> None:
    rb = ctpg.ReplayBuffer(num_tasks, capacity, D, A, guide_step=guide_step, seed=1)
    model = ModelReplay(num_tasks, capacity, guide_step)
    T = num_tasks
    prev_next = np.zeros((T, D), np.float32)
    for n, s in enumerate(steps):
        # Mostly continuing episodes (obs = previous next_obs), sometimes a jump.
        fresh = np.array(s["obs"][:T], np.float32)[:, None] * np.array([1, -1], np.float32)
        cont = np.array(s["continue"][:T])[:, None]
        obs = np.where(cont, prev_next, fresh).astype(np.float32)
        next_obs = (np.array(s["next"][:T], np.float32)[:, None] + [0.5, n]).astype(np.float32)
        term = np.array(s["term"][:T]) == 0
        trunc = np.array(s["trunc"][:T]) == 0
        behaviour = np.minimum(np.array(s["behaviour"][:T], np.int64), T - 1)
        add_both(
            rb,
            model,
            obs,
            np.full((T, A), n, np.float32),
            np.arange(T, dtype=np.float32) + n,
            next_obs,
            term,
            trunc,
            behaviour,
            np.array(s["begin"][:T]),
        )
        prev_next = next_obs
    check_transitions(rb, model, per_task=60)
    check_segments(rb, model, per_task=60)


def episode_data(T: int, steps: int, episode_len: int, rng: np.random.Generator, term_at=()):
    """Consistent episodes: obs of step n+1 is next_obs of step n unless step n ended.
    Yields (n, obs, next_obs, terminated, truncated)."""
    obs = rng.normal(size=(T, D)).astype(np.float32)
    for n in range(steps):
        next_obs = rng.normal(size=(T, D)).astype(np.float32)
        term = np.full(T, n in term_at)
        trunc = np.full(T, (n + 1) % episode_len == 0) & ~term
        yield n, obs, next_obs, term, trunc
        obs = rng.normal(size=(T, D)).astype(np.float32) if (term | trunc)[0] else next_obs


def test_next_obs_across_episode_end_uses_final_observation() -> None:
    rb = ctpg.ReplayBuffer(1, 16, D, A, guide_step=3)
    model = ModelReplay(1, 16, 3)
    for n, obs, next_obs, term, trunc in episode_data(1, 12, 4, np.random.default_rng(0), (5,)):
        add_both(
            rb,
            model,
            obs,
            np.zeros((1, A), np.float32),
            np.ones(1, np.float32),
            next_obs,
            term,
            trunc,
            np.zeros(1, np.int64),
            np.array([n % 3 == 0]),
        )
    b = rb.sample(200)
    ends = np.flatnonzero(b["terminated"] | b["truncated"])
    assert set(b["index"][ends].tolist()) == {3, 5, 7, 11}
    for i in ends:
        r = model.row(0, int(b["index"][i]))
        np.testing.assert_array_equal(b["next_obs"][i], r.next_obs)
        if r.slot != 11:  # the next slot holds the new episode's first observation
            assert not np.array_equal(b["next_obs"][i], model.row(0, r.slot + 1).obs)
    check_transitions(rb, model, 200)
    check_segments(rb, model, 100)


def test_overwrite_wraps_and_segments_cross_the_wrap() -> None:
    T, C, K = 2, 7, 3
    rb = ctpg.ReplayBuffer(T, C, D, A, guide_step=K, seed=3)
    model = ModelReplay(T, C, K)
    for n, obs, next_obs, term, trunc in episode_data(T, 30, 50, np.random.default_rng(1)):
        add_both(
            rb,
            model,
            obs,
            np.zeros((T, A), np.float32),
            np.zeros(T, np.float32),
            next_obs,
            term,
            trunc,
            np.array([1, 0]),
            np.full(T, n % 2 == 0),
        )
    np.testing.assert_array_equal(rb.sizes(), [C, C])
    # Rows 23..29 remain in slots 2..6, 0, 1. Starts at rows 24 and 26 (slots 3 and 5);
    # the window of slot 5 runs over the wrap (slots 5, 6, 0). Row 28 (slot 0) starts a
    # window whose third step is not written yet.
    assert model.segment_starts(0) == {3, 5}
    seg = rb.sample_segments(50)
    assert set(seg["index"].tolist()) == {3, 5}
    wrapped = seg["index"] == 5
    np.testing.assert_array_equal(seg["obs"][wrapped][0, 2], model.row(0, 0).obs)
    check_transitions(rb, model, 100)
    check_segments(rb, model, 100)


def test_short_episode_segment_keeps_last_flags_and_zero_filler() -> None:
    K = 5
    rb = ctpg.ReplayBuffer(1, 10, D, A, guide_step=K)
    obs = np.zeros((1, D), np.float32)
    for n in range(4):
        nxt = np.full((1, D), n + 1, np.float32)
        rb.add(
            obs,
            np.ones((1, A), np.float32),
            np.ones(1, np.float32),
            nxt,
            np.array([n == 1]),
            np.array([n == 1]),
            None,
            np.array([n == 0]),
        )
        obs = nxt if n != 1 else np.full((1, D), 100, np.float32)
    seg = rb.sample_segments(3)
    np.testing.assert_array_equal(seg["valid"][0], [True, True, False, False, False])
    np.testing.assert_array_equal(seg["terminated"][0], [False, True, False, False, False])
    np.testing.assert_array_equal(seg["truncated"][0], [False, True, False, False, False])
    np.testing.assert_array_equal(seg["next_obs"][0, 1], [2, 2])
    assert np.isfinite(seg["obs"]).all() and not seg["obs"][0, 2:].any()
    assert seg["behaviour"][0] == 0  # defaults to the task's own index


def test_newest_row_is_sampled_with_its_pending_next_obs() -> None:
    rb = ctpg.ReplayBuffer(1, 4, D, A)
    rb.add(
        np.zeros((1, D)),
        np.zeros((1, A)),
        np.zeros(1),
        np.ones((1, D)),
        np.zeros(1, bool),
        np.zeros(1, bool),
    )
    b = rb.sample(3)
    np.testing.assert_array_equal(b["next_obs"], np.ones((3, D)))
    # The next row does not start from that next_obs: the first row stays intact.
    rb.add(
        np.full((1, D), 7.0),
        np.zeros((1, A)),
        np.zeros(1),
        np.full((1, D), 8.0),
        np.zeros(1, bool),
        np.zeros(1, bool),
    )
    b = rb.sample(50)
    np.testing.assert_array_equal(b["next_obs"][b["index"] == 0], 1.0)
    np.testing.assert_array_equal(b["next_obs"][b["index"] == 1], 8.0)


@pytest.mark.parametrize("done", [False, True])
def test_capacity_one(done: bool) -> None:
    rb = ctpg.ReplayBuffer(2, 1, D, A, guide_step=1)
    for n in range(3):
        rb.add(
            np.full((2, D), n, np.float32),
            np.full((2, A), 1.0),
            np.full(2, 1.0),
            np.full((2, D), n + 0.5),
            np.full(2, done),
            np.zeros(2, bool),
            None,
            np.ones(2, bool),
        )
    b = rb.sample(4)
    np.testing.assert_array_equal(b["obs"], 2.0)
    np.testing.assert_array_equal(b["next_obs"], 2.5)
    np.testing.assert_array_equal(b["index"], 0)
    seg = rb.sample_segments(2)
    np.testing.assert_array_equal(seg["next_obs"][:, 0], 2.5)
    assert seg["valid"].all()
    with pytest.raises(ValueError, match="task 0"):
        ctpg.ReplayBuffer(2, 1, D, A, guide_step=2).sample_segments(1)


def test_same_seed_same_samples_and_different_seed_differs() -> None:
    def filled(seed: int) -> ctpg.ReplayBuffer:
        rb = ctpg.ReplayBuffer(3, 50, D, A, guide_step=2, seed=seed)
        for n, obs, nxt, term, trunc in episode_data(3, 40, 7, np.random.default_rng(5)):
            rb.add(
                obs, np.zeros((3, A)), np.zeros(3), nxt, term, trunc, None, np.full(3, n % 2 == 0)
            )
        return rb

    a, b, c = filled(0), filled(0), filled(1)
    np.testing.assert_array_equal(a.sample(20)["index"], b.sample(20)["index"])
    np.testing.assert_array_equal(a.sample_segments(9)["index"], b.sample_segments(9)["index"])
    assert not np.array_equal(a.sample(20)["index"], c.sample(20)["index"])


def test_batch_per_task_array_gives_rows_grouped_in_task_order() -> None:
    rb = ctpg.ReplayBuffer(3, 5, D, A)
    rb.add(
        np.zeros((3, D)),
        np.zeros((3, A)),
        np.zeros(3),
        np.zeros((3, D)),
        np.zeros(3, bool),
        np.zeros(3, bool),
    )
    b = rb.sample(np.array([2, 0, 3]))
    np.testing.assert_array_equal(b["task"], [0, 0, 2, 2, 2])
    assert b["obs"].shape == (5, D) and b["terminated"].dtype == bool
    assert b["task"].dtype == np.int64 and b["index"].dtype == np.int64


def naive_nbytes(T: int, C: int, obs_dim: int, action_dim: int) -> int:
    """The layout that stores obs and next_obs in every slot: per slot float32 obs [D],
    next_obs [D], action [A] and reward; bool terminated, truncated and guide_begin;
    int16 behaviour. That is 4 * (2D + A + 1) + 3 + 2 bytes per slot, T * C slots."""
    return T * C * (4 * (2 * obs_dim + action_dim + 1) + 3 + 2)


def filled_for_nbytes(obs_dim: int, action_dim: int, episode_len: int, K: int):
    """Three tasks, 5000 slots each, filled twice over (the ring wraps, side tables
    settle) with truncated episodes and a guide decision at each episode start and
    every K steps after it, as GuideScheduler.begin_step gives them."""
    T, C = 3, 5000
    rb = ctpg.ReplayBuffer(T, C, obs_dim, action_dim, guide_step=K)
    obs = np.zeros((T, obs_dim), np.float32)
    for n in range(2 * C):
        nxt = np.full((T, obs_dim), n + 1, np.float32)
        done = np.full(T, (n + 1) % episode_len == 0)
        begin = np.full(T, (n % episode_len) % K == 0)
        rb.add(
            obs, np.zeros((T, action_dim)), np.zeros(T), nxt, np.zeros(T, bool), done, None, begin
        )
        obs = np.full((T, obs_dim), -1.0, np.float32) if done[0] else nxt
    return rb, naive_nbytes(T, C, obs_dim, action_dim)


# (obs_dim, action_dim, episode_len): MetaWorld (500-step episodes), HalfCheetah
# (1000-step episodes), and a small observation with short episodes, the tightest case.
NBYTES_SIZES = [(39, 4, 500), (17, 6, 1000), (8, 2, 200)]


@pytest.mark.parametrize("guide_step", [1, 3, 10, 50])
@pytest.mark.parametrize(("obs_dim", "action_dim", "episode_len"), NBYTES_SIZES)
def test_nbytes_at_most_six_tenths_of_the_naive_layout(
    obs_dim: int, action_dim: int, episode_len: int, guide_step: int
) -> None:
    rb, naive = filled_for_nbytes(obs_dim, action_dim, episode_len, guide_step)
    assert rb.nbytes / naive <= 0.6, rb.nbytes / naive
    assert rb.sample_segments(4)["obs"].shape == (12, guide_step, obs_dim)


@pytest.mark.parametrize("done", [False, True])
def test_capacity_one_segments_longer_than_the_ring(done: bool) -> None:
    rb = ctpg.ReplayBuffer(1, 1, D, A, guide_step=3)
    obs = np.zeros((1, D), np.float32)
    rb.add(
        obs,
        np.ones((1, A)),
        np.ones(1),
        obs + 1,
        np.array([done]),
        np.zeros(1, bool),
        None,
        np.ones(1, bool),
    )
    if not done:  # the window needs two more rows, which the ring cannot hold
        with pytest.raises(ValueError, match="no complete segment"):
            rb.sample_segments(1)
        return
    seg = rb.sample_segments(2)
    np.testing.assert_array_equal(seg["valid"], [[True, False, False]] * 2)
    np.testing.assert_array_equal(seg["terminated"], [[True, False, False]] * 2)
    np.testing.assert_array_equal(seg["next_obs"][:, 0], 1.0)
