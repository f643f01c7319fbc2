"""Videos of a run's policies: ``python -m ctpg.video RUN_DIR [--episodes N] [--out FILE.mp4]``.

Every task acts with the mean action of its own control policy (the deterministic policy that
evaluation scores), on the goals of the run's evaluation under the ``paper`` protocol: the
environments are the run's, reset with the evaluation seed (with fixed goals, the trained
goals). Each step's pictures of the tasks are tiled into one frame, row by row in task order,
each labelled with the task, its return so far and "success" once the episode has reported
success. An episode gives one frame for its first state and one after each of its steps; the
envs run one step longer than the run's episodes, so that the last state is drawn before the
same-step autoreset replaces it. Pictures come from ``ctpg.envs.render``: each task's full
model with the env's state copied in.

During training, ``TrainConfig.video_every`` (``--video-every N``) records one episode per
task every N steps into ``<run_dir>/videos/step-<step>.mp4`` and logs it to TensorBoard
(``video/policy``) as an animated GIF image at half the resolution and at most 10 frames per
second: the record ``SummaryWriter.add_video`` writes, made without moviepy (torch's
``add_video`` needs moviepy 1.x).

Writing needs ``imageio-ffmpeg`` (its ffmpeg encodes the mp4 files) and ``Pillow`` (the GIF):
``pip install "ctpg[video]"``; drawing needs a headless OpenGL (see ``ctpg.envs.render``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import itertools
import json
import math
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ctpg.config import GYMNASIUM, TrainConfig
from ctpg.envs.render import EnvRenderer, headless_gl_problem
from ctpg.run_envs import evaluation_seed, make_env
from ctpg.rundir import RunDir
from ctpg.video.frames import FrameRenderer, RenderedEnv

Act = Callable[[np.ndarray], np.ndarray]
"""Observations float32 [T, obs_dim] of every task -> actions float32 [T, action_dim]."""

VIDEO_DEPENDENCIES = 'imageio-ffmpeg and Pillow (pip install "ctpg[video]")'
TENSORBOARD_TAG = "video/policy"
DEFAULT_WIDTH, DEFAULT_HEIGHT, DEFAULT_FPS = 320, 240, 30
_GIF_FPS = 10  # at most this many frames per second go to TensorBoard


@dataclass
class Scores:
    """Return and success of every recorded episode: ``returns[k][i]`` is task i's return
    in episode k (the sum of raw rewards), ``success[k][i]`` whether it reported success at
    any step, as the ``paper`` evaluation counts them."""

    returns: list[np.ndarray] = field(default_factory=list)
    success: list[np.ndarray] = field(default_factory=list)


def missing_dependency() -> str | None:
    """What must be installed to write videos (None when everything is there)."""
    try:
        import imageio_ffmpeg  # type: ignore[import-untyped, unused-ignore]  # noqa: F401
        import PIL  # noqa: F401
    except ImportError as error:
        return f"writing videos needs {VIDEO_DEPENDENCIES}; {error}"
    return None


def video_problem(own_envs: bool = False) -> str | None:
    """Why videos cannot be made here (a missing package or, for the built-in tasks, no
    headless OpenGL), or None. ``own_envs``: the run's envs draw their own frames."""
    return missing_dependency() or (None if own_envs else headless_gl_problem())


def grid_columns(num_tiles: int) -> int:
    """Tiles per row: one row up to three tiles, else a near-square grid."""
    return num_tiles if num_tiles <= 3 else math.ceil(math.sqrt(num_tiles))


def tile(images: Sequence[np.ndarray], columns: int) -> np.ndarray:
    """Images of one size laid out row by row, ``columns`` to a row; missing tiles black."""
    height, width, channels = images[0].shape
    rows = math.ceil(len(images) / columns)
    frame = np.zeros((rows * height, columns * width, channels), dtype=np.uint8)
    for k, image in enumerate(images):
        r, c = divmod(k, columns)
        frame[r * height : (r + 1) * height, c * width : (c + 1) * width] = image
    return frame


def _overlay(task: str, episode_return: float, success: bool) -> tuple[str, str]:
    right = f"return {episode_return:.1f}" + ("\nsuccess" if success else "")
    return task, right


def _frame(
    env: Any,
    renderer: EnvRenderer,
    shown: Sequence[int],
    episode_return: np.ndarray,
    success: np.ndarray,
) -> np.ndarray:
    tiles = [
        renderer.render(
            k, env.get_state(i), _overlay(env.task_names[i], episode_return[i], success[i])
        )
        for k, i in enumerate(shown)
    ]
    return tile(tiles, grid_columns(len(tiles)))


def policy_frames(
    env: Any,
    act: Act,
    renderer: EnvRenderer,
    shown: Sequence[int],
    episodes: int,
    steps: int,
    seed: int,
    scores: Scores,
) -> Iterator[np.ndarray]:
    """Tiled frames of ``episodes`` episodes of ``steps`` steps of every task of ``env``
    (whose episodes must be longer than ``steps``), acting with ``act``; ``shown`` are the
    sub-envs drawn (``renderer`` draws them in this order). The first episode starts from
    ``env.reset(seed=seed)``, the next ones from a reset that goes on with the envs' own
    random streams. ``scores`` receives every finished episode."""
    num_envs = int(env.num_envs)
    for episode in range(episodes):
        obs, _ = env.reset(seed=seed if episode == 0 else None)
        episode_return = np.zeros(num_envs)
        success = np.zeros(num_envs, dtype=bool)
        yield _frame(env, renderer, shown, episode_return, success)
        for _ in range(steps):
            obs, reward, _, _, info = env.step(act(obs))
            episode_return += reward
            success |= np.asarray(info["success"], dtype=bool)
            yield _frame(env, renderer, shown, episode_return, success)
        scores.returns.append(episode_return)
        scores.success.append(success)


def video_env(cfg: TrainConfig) -> Any:
    """The run's environments (its backend, tasks and goal setting; with fixed goals the
    trained goals), with episodes one step longer than the run's. A run on gymnasium ids
    gets its envs built with ``render_mode="rgb_array"`` (``RenderedEnv``)."""
    limit = cfg.env.max_episode_steps + 1
    if cfg.env.benchmark != GYMNASIUM:
        return make_env(cfg, cfg.seed, max_episode_steps=limit)
    kwargs = [{**kw, "render_mode": "rgb_array"} for kw in cfg.env.kwargs_list]
    rendering = dataclasses.replace(cfg.env, kwargs=json.dumps(kwargs))
    return RenderedEnv(make_env(dataclasses.replace(cfg, env=rendering), cfg.seed, limit))


def make_renderer(cfg: TrainConfig, task_names: list[str], width: int, height: int) -> Any:
    """The renderer of a run's video env: ctpg's MuJoCo renderer of the built-in tasks, or
    the frames of the envs' own ``render()`` (``FrameRenderer``) for gymnasium ids."""
    if cfg.env.benchmark == GYMNASIUM:
        return FrameRenderer(task_names, width, height)
    return EnvRenderer(task_names, width, height)


def write_mp4(path: Path, frames: Iterator[np.ndarray], fps: int) -> tuple[int, np.ndarray]:
    """Writes ``frames`` (RGB uint8 of one even size) to ``path`` as H.264 mp4 with the
    ffmpeg that imageio-ffmpeg ships, first to a temporary name and then renamed; returns
    the number of frames and the first frame."""
    import imageio_ffmpeg  # type: ignore[import-untyped, unused-ignore]

    first = next(frames, None)
    if first is None:
        raise ValueError("frames: no frame to write")
    height, width = first.shape[:2]
    tmp = path.with_suffix(".tmp.mp4")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo"]
    command += ["-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps), "-i", "-"]
    command += ["-an", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart"]
    try:
        with tempfile.TemporaryFile() as log:
            with subprocess.Popen(
                [*command, str(tmp)], stdin=subprocess.PIPE, stderr=log
            ) as ffmpeg:
                count = _feed(ffmpeg, itertools.chain([first], frames), first.shape)
            if ffmpeg.returncode != 0:
                log.seek(0)
                message = log.read().decode(errors="replace").strip()
                raise RuntimeError(
                    f"ffmpeg could not write {path} (status {ffmpeg.returncode}: {message})"
                )
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return count, first


def _feed(
    ffmpeg: subprocess.Popen[bytes], frames: Iterator[np.ndarray], shape: tuple[int, ...]
) -> int:
    """Writes ``frames`` to ffmpeg's input and closes it; returns how many went in. A bad
    frame or an interruption kills ffmpeg; a pipe that ffmpeg closed early ends the feed
    (its exit status and log then say why)."""
    assert ffmpeg.stdin is not None  # Popen was given stdin=PIPE
    count = 0
    try:
        for frame in frames:
            if frame.shape != shape or frame.dtype != np.uint8:
                raise ValueError(
                    f"frames: frame {count} is {frame.dtype} {frame.shape}, expected uint8 {shape}"
                )
            ffmpeg.stdin.write(np.ascontiguousarray(frame).tobytes())
            count += 1
        ffmpeg.stdin.close()
    except BrokenPipeError:
        with contextlib.suppress(BrokenPipeError):
            ffmpeg.stdin.close()  # the pipe's buffer cannot be flushed any more
    except BaseException:
        ffmpeg.kill()
        raise
    return count


def _gif(frames: Sequence[np.ndarray], fps: float) -> bytes:
    """An endlessly looping animated GIF of ``frames``."""
    from PIL import Image

    images = [Image.fromarray(frame) for frame in frames]
    buffer = io.BytesIO()
    duration = round(1000 / fps)
    images[0].save(
        buffer, format="GIF", save_all=True, append_images=images[1:], duration=duration, loop=0
    )
    return buffer.getvalue()


def log_animation(
    writer: Any, tag: str, frames: Sequence[np.ndarray], fps: float, step: int
) -> None:
    """Logs ``frames`` to a TensorBoard ``SummaryWriter`` as an animated GIF image (the
    Images dashboard plays it), the record ``add_video`` writes."""
    from tensorboard.compat.proto.summary_pb2 import (  # type: ignore[import-untyped, unused-ignore]
        Summary,
    )

    height, width, channels = frames[0].shape
    image = Summary.Image(
        height=height, width=width, colorspace=channels, encoded_image_string=_gif(frames, fps)
    )
    summary = Summary(value=[Summary.Value(tag=tag, image=image)])
    writer._get_file_writer().add_summary(summary, step)  # add_video's own route


def agent_act(agent: Any, device: Any, num_tasks: int) -> Act:
    """The deterministic actions of a training ``Agent`` (every task its own policy)."""
    import torch

    tasks = torch.arange(num_tasks, device=device)

    def act(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            action = agent.act(torch.as_tensor(obs, device=device), tasks, deterministic=True)
        return np.ascontiguousarray(action.cpu().numpy(), dtype=np.float32)

    return act


def policy_act(policy: Any) -> Act:
    """The actions of a ``ctpg.deploy.Policy`` (every task its own policy)."""
    import torch

    tasks = torch.arange(policy.num_tasks)

    def act(obs: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            action = policy(torch.from_numpy(obs), tasks)
        return np.ascontiguousarray(action.cpu().numpy(), dtype=np.float32)

    return act


def _keeping_thumbnails(
    frames: Iterator[np.ndarray], stride: int, thumbnails: list[np.ndarray]
) -> Iterator[np.ndarray]:
    """``frames`` unchanged, while every ``stride``-th one goes to ``thumbnails`` at half
    the resolution."""
    for k, frame in enumerate(frames):
        if k % stride == 0:
            thumbnails.append(frame[::2, ::2].copy())
        yield frame


class TrainingVideo:
    """The videos of ``TrainConfig.video_every``: one episode per task of the deterministic
    policies, at every multiple of ``video_every`` steps (see the module docstring). Builds
    its own environments and renderer once; ``close()`` frees them."""

    def __init__(self, cfg: TrainConfig, run_dir: Path) -> None:
        problem = video_problem(cfg.env.benchmark == GYMNASIUM)
        if problem is not None:
            raise RuntimeError(f"video_every: {problem}")
        self.cfg = cfg
        self.folder = RunDir(run_dir).videos
        self.env = video_env(cfg)
        names = list(self.env.task_names)
        self.renderer = make_renderer(cfg, names, DEFAULT_WIDTH, DEFAULT_HEIGHT)

    def due(self, step: int) -> bool:
        """Whether a video follows training step ``step``."""
        return step % self.cfg.video_every == 0

    def record(self, agent: Any, device: Any, step: int, writer: Any) -> Path:
        """Writes ``videos/step-<step>.mp4`` with ``agent``'s deterministic policies and logs
        it to ``writer`` (a SummaryWriter, or None); returns the file."""
        num_envs = int(self.env.num_envs)
        frames = policy_frames(
            self.env,
            agent_act(agent, device, num_envs),
            self.renderer,
            list(range(num_envs)),
            1,
            self.cfg.env.max_episode_steps,
            evaluation_seed(self.cfg),
            Scores(),
        )
        stride = math.ceil(DEFAULT_FPS / _GIF_FPS)
        thumbnails: list[np.ndarray] = []
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"step-{step}.mp4"
        write_mp4(path, _keeping_thumbnails(frames, stride, thumbnails), DEFAULT_FPS)
        if writer is not None:
            log_animation(writer, TENSORBOARD_TAG, thumbnails, DEFAULT_FPS / stride, step)
        return path

    def close(self) -> None:
        """Frees the renderer and the environments."""
        self.renderer.close()
        self.env.close()
