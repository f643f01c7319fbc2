"""Every ReplayBuffer call validates its arguments and raises ValueError naming them."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import ctpg

T, D, A = 2, 3, 2


def good() -> dict[str, np.ndarray]:
    return {
        "obs": np.zeros((T, D), np.float32),
        "action": np.zeros((T, A), np.float32),
        "reward": np.zeros(T, np.float32),
        "next_obs": np.ones((T, D), np.float32),
        "terminated": np.zeros(T, bool),
        "truncated": np.zeros(T, bool),
        "behaviour": np.arange(T),
        "guide_begin": np.ones(T, bool),
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_tasks": 0}, "num_tasks"),
        ({"num_tasks": 40000}, "num_tasks"),
        ({"capacity_per_task": 0}, "capacity_per_task"),
        ({"obs_dim": 0}, "obs_dim"),
        ({"action_dim": -1}, "action_dim"),
        ({"guide_step": 0}, "guide_step"),
        ({"alpha": -0.1}, "alpha"),
        ({"beta": float("nan")}, "beta"),
        ({"seed": -1}, "seed"),
    ],
)
def test_constructor_rejects_bad_arguments(kwargs, match) -> None:
    args = {"num_tasks": T, "capacity_per_task": 4, "obs_dim": D, "action_dim": A} | kwargs
    with pytest.raises(ValueError, match=match):
        ctpg.ReplayBuffer(**args)


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("obs", np.zeros((T, D + 1), np.float32), r"obs must have shape \[2, 3\]"),
        ("obs", np.zeros((T, D), np.int32), "obs must be a float array"),
        ("obs", np.full((T, D), np.nan, np.float32), "obs must be finite"),
        ("action", np.zeros((T + 1, A)), r"action must have shape \[2, 2\]"),
        ("action", np.full((T, A), np.inf), "action must be finite"),
        ("reward", np.zeros((T, 1)), r"reward must have shape \[2\]"),
        ("reward", np.array([0.0, np.nan]), "reward must be finite; row 1"),
        ("next_obs", np.zeros(T * D), "next_obs must have shape"),
        ("next_obs", np.full((T, D), -np.inf), "next_obs must be finite"),
        ("terminated", np.zeros(T), "terminated must be a bool array"),
        ("truncated", np.zeros(T + 1, bool), "truncated must have shape"),
        ("behaviour", np.array([0, 2]), r"behaviour must hold task indices in \[0, 2\)"),
        ("behaviour", np.array([-1, 0]), "behaviour"),
        ("behaviour", np.zeros(T, np.float64), "behaviour must be an integer array"),
        ("guide_begin", np.zeros(T, np.int64), "guide_begin must be a bool array"),
        ("obs", "not an array", "obs must be a float array"),
    ],
)
def test_add_rejects_bad_arrays_and_stores_nothing(name, value, match) -> None:
    rb = ctpg.ReplayBuffer(T, 4, D, A)
    args = good() | {name: value}
    with pytest.raises(ValueError, match=match):
        rb.add(**args)
    np.testing.assert_array_equal(rb.sizes(), [0, 0])


def test_add_accepts_float64_and_lists() -> None:
    rb = ctpg.ReplayBuffer(T, 4, D, A)
    args = good()
    rb.add(
        args["obs"].astype(np.float64),
        args["action"].tolist(),
        [0.5, 1.5],
        args["next_obs"],
        [True, False],
        [False, False],
    )
    b = rb.sample(1)
    assert b["obs"].dtype == np.float32 and b["reward"].tolist() == [0.5, 1.5]


def test_sampling_rejects_empty_tasks_and_bad_counts() -> None:
    rb = ctpg.ReplayBuffer(T, 4, D, A)
    with pytest.raises(ValueError, match="task 0, which holds no transitions"):
        rb.sample(1)
    with pytest.raises(ValueError, match="task 1, which holds no transitions"):
        rb.sample(np.array([0, 2]))
    assert rb.sample(np.array([0, 0]))["obs"].shape == (0, D)
    args = good()
    args["guide_begin"] = np.array([True, False])
    rb.add(**args)
    rb.sample(np.array([3, 1]))
    with pytest.raises(ValueError, match="batch_per_task must be in"):
        rb.sample(-1)
    with pytest.raises(ValueError, match=r"batch_per_task must have shape \[2\]"):
        rb.sample(np.array([1, 1, 1]))
    with pytest.raises(ValueError, match="batch_per_task must be an int"):
        rb.sample(1.5)
    with pytest.raises(ValueError, match="batch_per_task must be an int"):
        rb.sample(True)
    with pytest.raises(ValueError, match="batch_per_task"):
        rb.sample_segments(np.array([[1, 1]]))
    # One row per task is written; its window of 10 steps is not complete yet.
    with pytest.raises(ValueError, match="no complete segment"):
        rb.sample_segments(np.array([1, 0]))
    assert rb.sample(0)["obs"].shape == (0, D)


def test_concurrent_calls_from_threads_are_safe() -> None:
    rb = ctpg.ReplayBuffer(T, 64, D, A, guide_step=2, prioritized=True)
    for _ in range(4):
        rb.add(**good())
    errors: list[BaseException] = []

    def work(k: int) -> None:
        try:
            for _n in range(300):
                if k == 0:
                    rb.add(**good())
                else:
                    b = rb.sample(16)
                    rb.update_priorities(b["task"], b["index"], np.ones(len(b["task"])))
                    rb.sample_segments(4)
        except BaseException as e:  # noqa: BLE001  (collected and re-raised below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    np.testing.assert_array_equal(rb.sizes(), [64, 64])


def test_sampling_releases_the_gil() -> None:
    """The main thread keeps running Python while another thread samples.

    If the call held the GIL, the main loop below could not run at all while
    it lasts, so its longest pause would be at least the call's duration.
    """
    T = 128
    rb = ctpg.ReplayBuffer(T, 1024, 1, 1, prioritized=True, seed=0)
    for n in range(1024):
        x = np.full((T, 1), n, np.float32)
        rb.add(x, x, np.zeros(T), x + 1, np.zeros(T, bool), np.zeros(T, bool))
    duration: list[float] = []

    def work() -> None:
        t0 = time.perf_counter()
        rb.sample(4000)
        duration.append(time.perf_counter() - t0)

    th = threading.Thread(target=work)
    last = time.perf_counter()
    longest = 0.0
    th.start()
    while th.is_alive():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    th.join()
    assert longest < 0.5 * duration[0], (longest, duration[0])
