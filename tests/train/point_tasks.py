"""A small task family of our own for the ``--env`` tests: a point in the plane that moves
to a goal.

``import point_tasks`` registers ``PointReach-v0`` (``goal`` keyword: the goal's (x, y);
``extra_obs``: that many constant zeros appended to the observation, so that tasks of one
family have different observation sizes; ``success_key``: the info key of success;
``success_at_end``: report it only on the episode's last step, as ``is_success`` is). The
actions are moves in [-0.25, 0.25] per axis (the policy's [-1, 1] is rescaled); the reward
is minus the distance to the goal; a success is being within 0.1 of it. Episodes run 25
steps (the run's ``max_episode_steps`` truncates them); ``terminate=True`` ends an episode
at its first success instead.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium.spaces import Box

ID = "PointReach-v0"
STEP = 0.25


class PointReach(gymnasium.Env):  # type: ignore[type-arg]
    """A point moving to ``goal`` (see the module docstring)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}

    def __init__(
        self,
        goal: tuple[float, float] = (0.5, 0.5),
        extra_obs: int = 0,
        success_key: str = "success",
        success_at_end: bool = False,
        terminate: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self.goal = np.asarray(goal, dtype=np.float64)
        self.extra = int(extra_obs)
        self.key, self.at_end, self.terminate = success_key, success_at_end, terminate
        self.render_mode = render_mode
        self.observation_space = Box(-1.0, 1.0, (2 + self.extra,), np.float64)
        self.action_space = Box(-STEP, STEP, (2,), np.float64)
        self.pos = np.zeros(2)
        self.steps = 0

    def _obs(self) -> np.ndarray:
        return np.concatenate([self.pos, np.zeros(self.extra)])

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self.pos = self.np_random.uniform(-0.5, 0.5, size=2)
        self.steps = 0
        return self._obs(), {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        self.pos = np.clip(self.pos + np.clip(action, -STEP, STEP), -1.0, 1.0)
        self.steps += 1
        distance = float(np.linalg.norm(self.pos - self.goal))
        success = distance < 0.1
        info: dict[str, Any] = {}
        if not self.at_end:
            info[self.key] = success
        terminated = self.terminate and success
        if self.at_end and (terminated or self.steps >= 25):
            info[self.key] = success
        return self._obs(), -distance, terminated, False, info

    def render(self) -> np.ndarray:
        frame = np.full((32, 32, 3), 255, dtype=np.uint8)
        x, y = ((np.clip(self.pos, -1, 1) + 1) * 15.5).astype(int)
        frame[y, x] = (255, 0, 0)
        return frame


if ID not in gymnasium.registry:
    gymnasium.register(id=ID, entry_point=PointReach, max_episode_steps=25)

GOALS = ((0.6, 0.6), (-0.6, 0.6), (0.6, -0.6))
"""The goals of the family's three tasks."""


class PointReach3D(PointReach):
    """The family's odd one out: moves in three dimensions (three action components)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.action_space = Box(-STEP, STEP, (3,), np.float64)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        return super().step(action[:2])


if "Point3D-v0" not in gymnasium.registry:
    gymnasium.register(id="Point3D-v0", entry_point=PointReach3D, max_episode_steps=25)
