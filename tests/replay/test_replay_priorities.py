"""Prioritized sampling: proportions, importance weights, max priority for new rows."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import ctpg

D, A = 3, 2


def filled(num_tasks: int, capacity: int, rows: int, **kw) -> ctpg.ReplayBuffer:
    rb = ctpg.ReplayBuffer(num_tasks, capacity, D, A, prioritized=True, **kw)
    for n in range(rows):
        obs = np.full((num_tasks, D), n, np.float32)
        rb.add(
            obs,
            np.zeros((num_tasks, A)),
            np.zeros(num_tasks),
            obs + 1,
            np.zeros(num_tasks, bool),
            np.zeros(num_tasks, bool),
        )
    return rb


def test_sampling_frequencies_follow_priority_to_the_alpha() -> None:
    """Chi-square goodness of fit of 400k draws per task against p_i^alpha / sum.

    With a fixed seed the statistic is deterministic; a correct sampler gives a
    p-value that is uniform over seeds, so requiring p > 1e-3 fails a correct
    implementation for 0.1% of seeds and this one seed passes. A sampler whose
    probability for one slot of weight ~0.05 is off by 5% adds about
    (0.05 * 0.05 * 4e5)^2 / (0.05 * 4e5) = 50 to the statistic (19 degrees of
    freedom: p ~ 1e-7), and the test also checks that the uniform and the
    un-exponentiated hypotheses are rejected (p < 1e-12): it has the power to
    fail.
    """
    C, alpha, n = 20, 0.6, 400_000
    rb = filled(2, C, C, alpha=alpha, seed=7)
    prio = np.linspace(0.1, 4.0, C)
    for t in range(2):
        rb.update_priorities(np.full(C, t), np.arange(C), prio[::-1] if t else prio)
    b = rb.sample(n)
    for t in range(2):
        p = prio[::-1] if t else prio
        counts = np.bincount(b["index"][b["task"] == t], minlength=C)
        expected = p**alpha / (p**alpha).sum() * n
        assert stats.chisquare(counts, expected).pvalue > 1e-3
        assert stats.chisquare(counts, np.full(C, n / C)).pvalue < 1e-12
        assert stats.chisquare(counts, p / p.sum() * n).pvalue < 1e-12


def test_weights_are_normalised_importance_weights() -> None:
    C, alpha, beta = 10, 0.7, 0.5
    rb = filled(2, C, C, alpha=alpha, beta=beta, seed=3)
    prio = np.arange(1, C + 1, dtype=np.float64)
    rb.update_priorities(np.zeros(C, np.int64), np.arange(C), prio)
    b = rb.sample(np.array([64, 16]))
    for t in range(2):
        rows = b["task"] == t
        p = prio**alpha / (prio**alpha).sum() if t == 0 else np.full(C, 1.0 / C)
        w = (C * p[b["index"][rows]]) ** -beta
        np.testing.assert_allclose(b["weight"][rows], w / w.max(), rtol=1e-6)
        assert b["weight"][rows].max() == 1.0
    rb.beta = 1.0
    b = rb.sample(np.array([64, 0]))
    w = 1.0 / (prio**alpha)[b["index"]]
    np.testing.assert_allclose(b["weight"], w / w.max(), rtol=1e-6)


def test_new_rows_get_the_running_max_priority() -> None:
    rb = filled(1, 8, 4, alpha=1.0, beta=1.0)
    rb.update_priorities(np.zeros(4, np.int64), np.arange(4), np.array([5.0, 1.0, 1.0, 1.0]))
    rb.update_priorities(np.zeros(1, np.int64), np.array([0]), np.array([1.0]))  # max stays 5
    obs = np.full((1, D), 9, np.float32)
    rb.add(obs, np.zeros((1, A)), np.zeros(1), obs, np.zeros(1, bool), np.zeros(1, bool))
    b = rb.sample(4000)
    counts = np.bincount(b["index"], minlength=5)
    # With alpha = 1: P = [1, 1, 1, 1, 5] / 9.
    assert stats.chisquare(counts, np.array([1, 1, 1, 1, 5]) / 9 * 4000).pvalue > 1e-3
    # beta = 1: weights are 1 / P normalised by the batch max, so slot 4 weighs 1/5.
    np.testing.assert_allclose(b["weight"][b["index"] == 4], 0.2, rtol=1e-6)


def test_zero_priority_rows_are_never_sampled() -> None:
    rb = filled(1, 6, 6)
    rb.update_priorities(np.zeros(6, np.int64), np.arange(6), np.array([0, 0, 1, 0, 0, 0.0]))
    assert set(rb.sample(500)["index"].tolist()) == {2}
    rb.update_priorities(np.zeros(1, np.int64), np.array([2]), np.array([0.0]))
    with pytest.raises(ValueError, match="priority"):
        rb.sample(1)


def test_priorities_follow_overwritten_slots() -> None:
    rb = filled(1, 4, 4, alpha=1.0)
    rb.update_priorities(np.zeros(4, np.int64), np.arange(4), np.array([1e-9, 1e-9, 1e-9, 2.0]))
    obs = np.full((1, D), 50, np.float32)
    rb.add(obs, np.zeros((1, A)), np.zeros(1), obs, np.zeros(1, bool), np.zeros(1, bool))
    b = rb.sample(2000)  # slot 0 now holds the new row with the max priority 2.0
    assert set(b["index"].tolist()) == {0, 3}
    np.testing.assert_array_equal(b["obs"][b["index"] == 0], 50.0)


def test_update_priorities_rejects_bad_input() -> None:
    rb = filled(2, 5, 3)
    ok = (np.zeros(2, np.int64), np.array([0, 1]), np.array([1.0, 2.0]))
    rb.update_priorities(*ok)
    with pytest.raises(ValueError, match="index"):
        rb.update_priorities(np.zeros(1, np.int64), np.array([3]), np.array([1.0]))
    with pytest.raises(ValueError, match="index"):
        rb.update_priorities(np.zeros(1, np.int64), np.array([-1]), np.array([1.0]))
    with pytest.raises(ValueError, match="task"):
        rb.update_priorities(np.array([2]), np.array([0]), np.array([1.0]))
    with pytest.raises(ValueError, match="priority"):
        rb.update_priorities(np.zeros(1, np.int64), np.array([0]), np.array([np.nan]))
    with pytest.raises(ValueError, match="priority"):
        rb.update_priorities(np.zeros(1, np.int64), np.array([0]), np.array([-1.0]))
    with pytest.raises(ValueError, match=r"priority must have 2 entries \(one per entry of task\)"):
        rb.update_priorities(np.zeros(2, np.int64), np.array([0, 1]), np.array([1.0]))
    with pytest.raises(ValueError, match="index must be an integer"):
        rb.update_priorities(np.zeros(1, np.int64), np.array([0.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="prioritized=True"):
        ctpg.ReplayBuffer(1, 2, D, A).update_priorities(*ok)
