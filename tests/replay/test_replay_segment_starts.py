"""Segment starts across many 512-slot blocks of the start index: the drawn starts
are exactly the model's eligible ones, uniformly, after the ring has wrapped."""

from __future__ import annotations

import numpy as np
import pytest
from replay_model import ModelReplay
from scipy import stats

import ctpg

D, A = 2, 1


@pytest.mark.parametrize(("capacity", "guide_step"), [(1300, 1), (1300, 3), (2100, 10)])
def test_starts_are_the_eligible_ones_drawn_uniformly(capacity: int, guide_step: int) -> None:
    T, rows = 2, capacity + capacity // 3  # wraps; the last block is partly used
    rng = np.random.default_rng(capacity + guide_step)
    rb = ctpg.ReplayBuffer(T, capacity, D, A, guide_step=guide_step, seed=5)
    model = ModelReplay(T, capacity, guide_step)
    obs = rng.normal(size=(T, D)).astype(np.float32)
    for n in range(rows):
        next_obs = rng.normal(size=(T, D)).astype(np.float32)
        trunc = rng.random(T) < 0.02
        begin = rng.random(T) < 0.3
        row = (obs, np.full((T, A), n, np.float32), np.zeros(T, np.float32), next_obs)
        flags = (np.zeros(T, bool), trunc, np.arange(T), begin)
        rb.add(*row, *flags)
        model.add(*row, *flags)
        # An unflagged break now and then: the next row does not continue this one.
        jump = rng.random(T) < 0.01
        obs = np.where((trunc | jump)[:, None], rng.normal(size=(T, D)), next_obs)
        obs = obs.astype(np.float32)
    n = 400 * capacity // 10
    seg = rb.sample_segments(n)
    for t in range(T):
        eligible = sorted(model.segment_starts(t))
        drawn = seg["index"][seg["task"] == t]
        assert set(drawn.tolist()) == set(eligible)
        counts = np.bincount(drawn, minlength=capacity)[eligible]
        assert stats.chisquare(counts).pvalue > 1e-3
