"""GuideScheduler: decision steps, behaviour, episode ends, blocking, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ctpg


def run_steps(sched: ctpg.GuideScheduler, dones: list[list[bool]]) -> list[list[bool]]:
    """Begin/end steps with the given done flags; returns begin_step of every step."""
    need = []
    for done in dones:
        need.append(sched.begin_step().tolist())
        sched.end_step(np.array(done))
    return need


def test_decisions_at_episode_start_and_every_k_steps() -> None:
    sched = ctpg.GuideScheduler(num_envs=2, guide_step=3)
    dones = [[False, False]] * 4 + [[False, True]] + [[False, False]] * 3
    need = run_steps(sched, dones)
    # env 0: steps 0, 3, 6; env 1 ends at its 5th step (t=4), restarts at t=5.
    assert [n[0] for n in need] == [True, False, False, True, False, False, True, False]
    assert [n[1] for n in need] == [True, False, False, True, False, True, False, False]


def test_behaviour_is_the_choice_for_the_window_then_resets() -> None:
    sched = ctpg.GuideScheduler(3, 2)
    np.testing.assert_array_equal(sched.behaviour(), [0, 1, 2])
    assert sched.begin_step().all()
    sched.set_behaviour(np.array([0, 2]), np.array([2, 1]))
    np.testing.assert_array_equal(sched.behaviour(), [2, 1, 1])  # env 1 not chosen yet: own
    assert sched.behaviour().dtype == np.int64
    sched.end_step(np.zeros(3, bool))
    assert not sched.begin_step().any()
    np.testing.assert_array_equal(sched.behaviour(), [2, 1, 1])  # kept for the window
    sched.end_step(np.array([False, False, True]))  # env 2's episode ends: own task again
    np.testing.assert_array_equal(sched.behaviour(), [2, 1, 2])
    assert sched.begin_step().all()  # K steps passed for 0 and 1, new episode for 2
    np.testing.assert_array_equal(sched.behaviour(), [0, 1, 2])  # previous choices expired


def test_blocking_takes_effect_at_the_next_episode_start() -> None:
    sched = ctpg.GuideScheduler(2, 2)
    assert sched.begin_step().all()
    sched.set_behaviour(np.array([0]), np.array([1]))
    sched.set_blocked(np.array([True, False]))  # mid-episode: env 0 keeps choosing
    sched.end_step(np.zeros(2, bool))
    sched.begin_step()
    sched.end_step(np.zeros(2, bool))
    assert sched.begin_step().tolist() == [True, True]
    sched.set_behaviour(np.array([0]), np.array([1]))
    sched.end_step(np.array([True, False]))  # env 0's episode ends
    assert sched.begin_step().tolist() == [False, False]  # blocked now
    np.testing.assert_array_equal(sched.behaviour(), [0, 1])
    with pytest.raises(ValueError, match="does not choose"):
        sched.set_behaviour(np.array([0]), np.array([1]))
    sched.set_blocked(np.array([False, False]))  # unblocking also waits for the episode end
    sched.end_step(np.zeros(2, bool))
    need = run_steps(sched, [[False, False]] * 3)
    assert [n[0] for n in need] == [False, False, False]
    sched.begin_step()
    sched.end_step(np.array([True, False]))
    assert sched.begin_step()[0]


def test_blocked_before_the_first_step_applies_to_the_first_episode() -> None:
    sched = ctpg.GuideScheduler(2, 5)
    sched.set_blocked(np.array([False, True]))
    assert sched.begin_step().tolist() == [True, False]


def test_task_of_env_maps_several_envs_to_one_task() -> None:
    sched = ctpg.GuideScheduler(3, 1, task_of_env=np.array([0, 0, 1]))
    assert sched.num_tasks == 2
    np.testing.assert_array_equal(sched.behaviour(), [0, 0, 1])
    sched.begin_step()
    sched.set_behaviour(np.array([1]), np.array([1]))
    np.testing.assert_array_equal(sched.behaviour(), [0, 1, 1])
    with pytest.raises(ValueError, match=r"tasks must be in \[0, 2\)"):
        sched.set_behaviour(np.array([1]), np.array([2]))


def test_state_dict_round_trip_continues_identically() -> None:
    a = ctpg.GuideScheduler(3, 3)
    rng = np.random.default_rng(0)
    for _ in range(5):
        need = a.begin_step()
        ids = np.flatnonzero(need)
        a.set_behaviour(ids, rng.integers(0, 3, len(ids)))
        a.end_step(rng.random(3) < 0.3)
    a.set_blocked(np.array([True, False, True]))
    a.begin_step()  # saved between begin_step and end_step
    state = a.state_dict()
    assert isinstance(state["episode_step"], np.ndarray) and isinstance(state["num_envs"], int)
    b = ctpg.GuideScheduler(3, 3)
    b.load_state_dict(state)
    for _ in range(12):
        np.testing.assert_array_equal(a.begin_step(), b.begin_step())
        np.testing.assert_array_equal(a.behaviour(), b.behaviour())
        done = rng.random(3) < 0.3
        a.end_step(done)
        b.end_step(done)
    with pytest.raises(ValueError, match="num_envs=3, guide_step=3"):
        ctpg.GuideScheduler(3, 4).load_state_dict(state)
    with pytest.raises(ValueError, match="lacks key behaviour"):
        b.load_state_dict({k: v for k, v in state.items() if k != "behaviour"})
    with pytest.raises(ValueError, match="behaviour"):
        b.load_state_dict(state | {"behaviour": np.array([0, 5, 0])})


def test_bad_calls_raise_value_error() -> None:
    with pytest.raises(ValueError, match="num_envs"):
        ctpg.GuideScheduler(0, 3)
    with pytest.raises(ValueError, match="guide_step"):
        ctpg.GuideScheduler(2, 0)
    with pytest.raises(ValueError, match=r"task_of_env must have 2 entries \(one per env"):
        ctpg.GuideScheduler(2, 3, task_of_env=np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="task_of_env must be >= 0"):
        ctpg.GuideScheduler(2, 3, task_of_env=np.array([0, -1]))
    sched = ctpg.GuideScheduler(2, 3)
    with pytest.raises(ValueError, match="end_step must follow begin_step"):
        sched.end_step(np.zeros(2, bool))
    with pytest.raises(ValueError, match="set_behaviour must follow begin_step"):
        sched.set_behaviour(np.array([0]), np.array([0]))
    sched.begin_step()
    with pytest.raises(ValueError, match="done must have shape"):
        sched.end_step(np.zeros(3, bool))
    with pytest.raises(ValueError, match="done must be a bool array"):
        sched.end_step(np.zeros(2))
    with pytest.raises(ValueError, match="env_ids must be in"):
        sched.set_behaviour(np.array([2]), np.array([0]))
    with pytest.raises(ValueError, match=r"tasks must have 2 entries \(one per entry of env_ids"):
        sched.set_behaviour(np.array([0, 1]), np.array([0]))
    with pytest.raises(ValueError, match="blocked must be a bool array"):
        sched.set_blocked(np.array([1, 0]))


class ModelScheduler:
    """Reference: per env, the step count in its episode and the latched block flag."""

    def __init__(self, n: int, k: int) -> None:
        self.k, self.step, self.blocked = k, [0] * n, [False] * n
        self.blocked_next, self.behaviour = [False] * n, list(range(n))

    def begin(self) -> list[bool]:
        need = []
        for i, s in enumerate(self.step):
            if s == 0:
                self.blocked[i] = self.blocked_next[i]
            if s % self.k == 0:
                self.behaviour[i] = i
            need.append(s % self.k == 0 and not self.blocked[i])
        return need

    def end(self, done: list[bool]) -> None:
        for i, d in enumerate(done):
            self.step[i] = 0 if d else self.step[i] + 1
            if d:
                self.behaviour[i] = i


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 4),
    k=st.integers(1, 5),
    steps=st.lists(
        st.tuples(
            st.lists(st.booleans(), min_size=4, max_size=4),
            st.lists(st.booleans(), min_size=4, max_size=4),
            st.integers(0, 3),
            st.booleans(),
        ),
        max_size=30,
    ),
)
def test_scheduler_matches_model(n, k, steps) -> None:
    sched, model = ctpg.GuideScheduler(n, k), ModelScheduler(n, k)
    for done, blocked, choice, change_block in steps:
        if change_block:
            sched.set_blocked(np.array(blocked[:n]))
            model.blocked_next = list(blocked[:n])
        need = sched.begin_step()
        assert need.tolist() == model.begin()
        ids = np.flatnonzero(need)
        tasks = (ids + choice) % n
        sched.set_behaviour(ids, tasks)
        for i, t in zip(ids, tasks, strict=True):
            model.behaviour[i] = int(t)
        assert sched.behaviour().tolist() == model.behaviour
        sched.end_step(np.array(done[:n]))
        model.end(done[:n])
        assert sched.behaviour().tolist() == model.behaviour
