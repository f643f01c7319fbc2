"""A tiny pure-Python model of ctpg.ReplayBuffer's semantics, for tests.

Each task keeps its transitions in a list, oldest first, holding at most
`capacity` of them; the i-th transition ever added to a task lives in slot
i % capacity. A transition ends its episode when it is terminated or truncated,
or when the transition added after it does not start from its next_obs (a
discontinuity). A K-step segment starts at a transition added with
guide_begin=True and runs for K transitions or up to and including the one that
ends the episode; it can be sampled once all of those transitions are stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Row:
    """One stored transition."""

    slot: int
    obs: np.ndarray
    action: np.ndarray
    reward: float
    next_obs: np.ndarray
    terminated: bool
    truncated: bool
    behaviour: int
    guide_begin: bool


class ModelReplay:
    """List-of-rows replay with the buffer's semantics (no priorities)."""

    def __init__(self, num_tasks: int, capacity: int, guide_step: int) -> None:
        self.capacity = capacity
        self.guide_step = guide_step
        self.rows: list[list[Row]] = [[] for _ in range(num_tasks)]
        self.added = [0] * num_tasks

    def add(self, obs, action, reward, next_obs, terminated, truncated, behaviour, guide_begin):
        for t, rows in enumerate(self.rows):
            rows.append(
                Row(
                    slot=self.added[t] % self.capacity,
                    obs=np.asarray(obs[t], np.float32).copy(),
                    action=np.asarray(action[t], np.float32).copy(),
                    reward=float(np.float32(reward[t])),
                    next_obs=np.asarray(next_obs[t], np.float32).copy(),
                    terminated=bool(terminated[t]),
                    truncated=bool(truncated[t]),
                    behaviour=int(behaviour[t]),
                    guide_begin=bool(guide_begin[t]),
                )
            )
            self.added[t] += 1
            if len(rows) > self.capacity:
                rows.pop(0)

    def sizes(self) -> list[int]:
        return [len(rows) for rows in self.rows]

    def row(self, task: int, slot: int) -> Row:
        (found,) = [r for r in self.rows[task] if r.slot == slot]
        return found

    def ends_episode(self, task: int, i: int) -> bool:
        rows = self.rows[task]
        r = rows[i]
        if r.terminated or r.truncated:
            return True
        return i + 1 < len(rows) and rows[i + 1].obs.tobytes() != r.next_obs.tobytes()

    def segment(self, task: int, slot: int) -> list[Row] | None:
        """The rows of the window starting at `slot`, or None when incomplete."""
        rows = self.rows[task]
        start = [i for i, r in enumerate(rows) if r.slot == slot][0]
        window = []
        for k in range(self.guide_step):
            if start + k >= len(rows):
                return None
            window.append(rows[start + k])
            if self.ends_episode(task, start + k):
                break
        return window

    def segment_starts(self, task: int) -> set[int]:
        return {
            r.slot
            for r in self.rows[task]
            if r.guide_begin and self.segment(task, r.slot) is not None
        }
