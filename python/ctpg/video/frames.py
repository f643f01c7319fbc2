"""Frames of the user's own envs: their own ``render()`` (``render_mode="rgb_array"``) in
place of ctpg's MuJoCo renderer of the built-in tasks.

``RenderedEnv`` wraps a ctpg env whose sub-envs render RGB arrays: ``get_state(i)`` is
sub-env i's current frame (one ``render()`` call per step serves every sub-env).
``FrameRenderer`` has ``EnvRenderer``'s ``render(index, state, overlay)``: the frame scaled
to the video's size (nearest pixel) with the task name and score written on it.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class RenderedEnv:
    """A ctpg env whose ``get_state(i)`` is ``{"frame": sub-env i's rgb_array render}``."""

    def __init__(self, env: Any) -> None:
        self.env = env
        self._frames: Any = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.env, name)

    def reset(self, **kwargs: Any) -> Any:
        self._frames = None
        return self.env.reset(**kwargs)

    def step(self, actions: np.ndarray) -> Any:
        self._frames = None
        return self.env.step(actions)

    def get_state(self, index: int) -> dict[str, np.ndarray]:
        if self._frames is None:
            self._frames = self.env.render()
        frames = self._frames
        frame = None if frames is None else np.asarray(frames[index])
        if frame is None or frame.ndim != 3 or frame.shape[2] not in (3, 4):
            raise ValueError(
                f"env: task {self.env.task_names[index]!r} gives no RGB frame from render() "
                f"with render_mode='rgb_array' (got {None if frame is None else frame.shape})"
            )
        return {"frame": frame[:, :, :3].astype(np.uint8)}

    def close(self) -> None:
        self.env.close()


class FrameRenderer:
    """``render(index, {"frame": rgb}, overlay)`` -> the frame at ``width`` x ``height``
    with the overlay's left text at the top left and its right text at the top right."""

    def __init__(self, task_names: list[str], width: int, height: int) -> None:
        self.task_names = list(task_names)
        self.width, self.height = width, height

    def render(
        self, index: int, state: dict[str, np.ndarray], overlay: tuple[str, str] = ("", "")
    ) -> np.ndarray:
        from PIL import Image, ImageDraw  # the video extra

        frame = state["frame"]
        rows = np.arange(self.height) * frame.shape[0] // self.height
        cols = np.arange(self.width) * frame.shape[1] // self.width
        image = Image.fromarray(np.ascontiguousarray(frame[rows][:, cols]))
        draw = ImageDraw.Draw(image)
        left, right = overlay
        draw.multiline_text((4, 4), left, fill=(0, 0, 0))
        box = draw.multiline_textbbox((0, 0), right)
        draw.multiline_text((self.width - box[2] - 4, 4), right, fill=(0, 0, 0), align="right")
        return np.asarray(image, dtype=np.uint8)

    def close(self) -> None:
        """Nothing to free (the frames come from the env)."""

    def __enter__(self) -> FrameRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
