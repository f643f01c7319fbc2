"""Videos of a run's policies: ``python -m ctpg.video`` and ``video_every`` during training.

The pictures are drawn from each task's full model with the native env's state copied in;
the first tests check that what is drawn is what the engine simulated: the full model's
hand, objects and goal marker sit where the engine's observation says, and a frame equals
the frame of MetaWorld's (gymnasium's) own env driven to the same state. Tests that draw
skip where no headless OpenGL works (the reason names what is missing); tests that write
mp4 files also need the ``video`` extra.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import mujoco
import numpy as np
import pytest

import ctpg
from ctpg import cli, video
from ctpg.cli import video as cli_video
from ctpg.config import (
    AgentConfig,
    EnvConfig,
    GuideConfig,
    NetConfig,
    ReplayConfig,
    TrainConfig,
    dump_yaml,
    preset,
)
from ctpg.envs import _cheetah, _metaworld, render
from ctpg.metrics import read_metrics

GL_PROBLEM = render.headless_gl_problem()
needs_gl = pytest.mark.skipif(GL_PROBLEM is not None, reason=f"no headless OpenGL: {GL_PROBLEM}")
needs_video = pytest.mark.skipif(
    GL_PROBLEM is not None or video.missing_dependency() is not None,
    reason=f"cannot write videos here: {GL_PROBLEM or video.missing_dependency()}",
)

METAWORLD = ("reach-v3", "drawer-close-v3", "peg-insert-side-v3")
W, H = 64, 48  # pixels per task in the command-line tests


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT on warnings


def _metaworld_driven(steps: int) -> tuple[Any, list[Any], np.ndarray]:
    """The native env of METAWORLD and MetaWorld's own envs on the same goals, both stepped
    with the same ``steps`` seeded actions; returns (native env, reference envs, last obs)."""
    native = ctpg.make_vec_env(list(METAWORLD), seed=4, max_episode_steps=100)
    native.reset(seed=4)
    references = []
    for task, vector in zip(METAWORLD, native.task_vectors(), strict=True):
        env = _metaworld.make_env(task, 100, np.random.default_rng(0))
        _metaworld.freeze(env, vector)
        env.reset()
        references.append(env)
    obs, _ = native.reset(options={"task_vectors": native.task_vectors()})
    rng = np.random.default_rng(0)
    for _ in range(steps):
        actions = rng.uniform(-1, 1, (len(METAWORLD), 4)).astype(np.float32)
        obs, *_ = native.step(actions)
        for env, action in zip(references, actions, strict=True):
            env.step(action)
    return native, references, obs


def test_full_model_with_the_native_state_holds_the_observed_hand_objects_and_goal() -> None:
    native, _, obs = _metaworld_driven(15)
    for i, task in enumerate(METAWORLD):
        mirror = _metaworld.make_env(task, 100, np.random.default_rng(0))  # a fresh full model
        render.copy_state(mirror.model, mirror.data, native.get_state(i), task)
        # hand, gripper, object positions and quaternions as MetaWorld computes them
        current = np.asarray(mirror._get_curr_obs_combined_no_goal(), dtype=np.float32)
        np.testing.assert_array_equal(current, obs[i, :18], err_msg=task)
        np.testing.assert_allclose(mirror.data.site("goal").xpos, obs[i, 36:39], atol=1e-6)
        mirror.close()


@needs_gl
def test_a_frame_is_the_frame_of_metaworlds_env_in_the_same_state() -> None:
    native, references, _ = _metaworld_driven(15)
    tasks = list(METAWORLD)
    with render.EnvRenderer(tasks, 96, 72) as ours, render.Offscreen(96, 72) as theirs:
        for i, (task, env) in enumerate(zip(tasks, references, strict=True)):
            frame = ours.render(i, native.get_state(i))
            slot = theirs.attach(env.model)
            expected = theirs.draw(slot, env.data, render.task_camera(task, env.model))
            assert frame.shape == (72, 96, 3) and frame.dtype == np.uint8
            np.testing.assert_array_equal(frame, expected, err_msg=task)
            # the check can fail: without the model edits (drawer, window, box, goal) the
            # picture differs, and so does the picture of another state
            state = native.get_state(i)
            plain = render.full_model(task)
            state.update(body_pos=plain.body_pos.copy(), site_pos=plain.site_pos.copy())
            assert not np.array_equal(ours.render(i, state), expected), task
            earlier = dict(native.get_state(i), qpos=env.init_qpos.copy())
            assert not np.array_equal(ours.render(i, earlier), expected), task


@needs_gl
def test_a_halfcheetah_frame_is_the_frame_of_gymnasiums_env_in_the_same_state() -> None:
    task = "halfcheetah-torso-big"
    native = ctpg.make_vec_env([task], seed=0)
    native.reset(seed=0)
    reference = _cheetah.VariantHalfCheetahEnv(task)
    reference.reset(seed=0)
    rng = np.random.default_rng(2)
    qpos, qvel = rng.normal(0, 0.1, 9), rng.normal(0, 0.1, 9)
    native.set_state(0, qpos, qvel)
    reference.set_state(qpos, qvel)
    for _ in range(30):
        action = rng.uniform(-1, 1, 6).astype(np.float32)
        native.step(action[None])
        reference.step(action)
    # gymnasium's step ends with mj_step, whose positions are those before its last
    # integration; the drawing copies the state and runs mj_forward, so bring them up to date
    mujoco.mj_forward(reference.model, reference.data)
    with render.EnvRenderer([task], 96, 72) as ours, render.Offscreen(96, 72) as theirs:
        frame = ours.render(0, native.get_state(0))
        slot = theirs.attach(reference.model)
        expected = theirs.draw(slot, reference.data, render.task_camera(task, reference.model))
        # the solvers' warm starts differ after set_state (~1e-13 in qpos): allow a pixel
        assert np.mean(frame != expected) < 1e-3
        moved = dict(native.get_state(0))
        moved["qpos"] = moved["qpos"] + np.r_[0.0, 0.3, np.zeros(7)]  # torso higher
        assert np.mean(ours.render(0, moved) != expected) > 0.01
    reference.close()


def test_copy_state_names_an_entry_that_does_not_fit() -> None:
    model = render.full_model("reach-v3")
    data = mujoco.MjData(model)
    env = ctpg.make_vec_env(["push-v3"], seed=0)
    env.reset(seed=0)
    state = env.get_state(0)
    with pytest.raises(ValueError, match=r"state\['qpos'\].*'reach-v3'"):
        render.copy_state(model, data, dict(state, qpos=np.zeros(3)), "reach-v3")
    with pytest.raises(ValueError, match="missing 'site_pos'"):
        render.copy_state(model, data, {k: v for k, v in state.items() if k != "site_pos"}, "x")


def test_headless_gl_problem_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MUJOCO_GL", "disable")
    render.headless_gl_problem.cache_clear()
    try:
        problem = render.headless_gl_problem()
    finally:
        render.headless_gl_problem.cache_clear()
    assert problem is not None and "MUJOCO_GL" in problem
    assert "libegl1" in problem and "libosmesa6" in problem


def test_tile_lays_images_out_row_by_row() -> None:
    images = [np.full((2, 3, 3), k, np.uint8) for k in range(1, 6)]
    frame = video.tile(images, video.grid_columns(5))
    assert video.grid_columns(3) == 3 and video.grid_columns(5) == 3
    assert video.grid_columns(10) == 4 and video.grid_columns(50) == 8
    assert frame.shape == (4, 9, 3)
    assert frame[0, 0, 0] == 1 and frame[0, 8, 0] == 3 and frame[2, 3, 0] == 5
    assert frame[3, 8, 0] == 0  # the missing sixth tile


# ----------------------------------------------------------------------------- runs


def _metaworld_run(run_dir: Path) -> TrainConfig:
    """Two MetaWorld tasks with random goals, 6-step episodes, small networks; evaluated (two
    episodes per task) and saved at step 24."""
    agent = AgentConfig(
        net=NetConfig(base="mhsac", hidden=(32, 32)), guide=GuideConfig(batch_size=16)
    )
    return TrainConfig(
        name="tiny",
        seed=3,
        steps=24,
        batch_size=16,
        warmup_steps=12,
        eval_every=24,
        eval_episodes=2,
        log_every=12,
        device="cpu",
        torch_threads=1,
        run_dir=str(run_dir),
        env=EnvConfig(
            benchmark="custom",
            tasks=("reach-v3", "drawer-close-v3"),
            max_episode_steps=6,
            num_threads=1,
        ),
        replay=ReplayConfig(capacity=4000),
        agent=agent,
    )


@pytest.fixture(scope="module")
def metaworld_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(ctpg.train(_metaworld_run(tmp_path_factory.mktemp("mw") / "run"), progress=False))


def _read(path: Path) -> list[np.ndarray]:
    """Every frame of a video file, decoded by ffmpeg into PPM images."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path)]
    command += ["-f", "image2pipe", "-c:v", "ppm", "-"]
    data = subprocess.run(command, capture_output=True, check=True).stdout
    frames, start = [], 0
    while start < len(data):
        header = re.compile(rb"P6\s(\d+)\s(\d+)\s255\s").match(data, start)
        assert header is not None, f"no PPM frame at byte {start}"
        width, height = int(header[1]), int(header[2])
        end = header.end() + width * height * 3
        frames.append(np.frombuffer(data[header.end() : end], np.uint8).reshape(height, width, 3))
        start = end
    return frames


@needs_video
def test_video_command_draws_the_evaluation_episodes(
    metaworld_run: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [str(metaworld_run), "--episodes", "2", "--width", str(W), "--height", str(H)]
    assert cli_video.main(argv) == 0
    out = capsys.readouterr().out
    path = metaworld_run / "videos" / "eval.mp4"
    frames = _read(path)
    assert len(frames) == 2 * (6 + 1)  # per episode: the first state and one per step
    assert frames[0].shape == (H, 2 * W, 3)
    assert f"14 frames of {2 * W} x {H}" in out and str(path) in out
    # the episodes are the evaluation's: same goals, same deterministic actions
    row = read_metrics(metaworld_run / "metrics.csv")[-1]
    for task in ("reach-v3", "drawer-close-v3"):
        returns = [
            float(line.split("return ")[1].split(",")[0])
            for line in out.splitlines()
            if f" {task}: return" in line
        ]
        assert len(returns) == 2
        assert np.mean(returns) == pytest.approx(float(row[f"eval/{task}/return"]), abs=0.06)
    # the decoded first frame is the drawing of the first state (H.264 is lossy)
    cfg = ctpg.config.load_yaml(metaworld_run / "config.yaml")
    env = video.video_env(cfg)
    with render.EnvRenderer(list(env.task_names), W, H) as renderer:
        first = next(
            video.policy_frames(
                env, lambda o: o, renderer, [0, 1], 1, 6, video.evaluation_seed(cfg), video.Scores()
            )
        )
    assert np.abs(frames[0].astype(int) - first).mean() < 6
    assert (
        np.abs(frames[-1].astype(int) - first).mean() > np.abs(frames[0].astype(int) - first).mean()
    )


@needs_video
def test_video_command_shows_the_chosen_tasks(metaworld_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "two.mp4"
    argv = [str(metaworld_run), "--tasks", "drawer-close-v3", "--out", str(out)]
    assert cli_video.main([*argv, "--width", "32", "--height", "32", "--fps", "10"]) == 0
    frames = _read(out)
    assert len(frames) == 7 and frames[0].shape == (32, 32, 3)
    assert not out.with_suffix(".tmp.mp4").exists()


@pytest.mark.skipif(video.missing_dependency() is not None, reason="needs the video extra")
def test_write_mp4_refuses_a_frame_of_another_size_and_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "v.mp4"
    frames = iter([np.zeros((16, 16, 3), np.uint8), np.zeros((16, 18, 3), np.uint8)])
    with pytest.raises(ValueError, match="frames: frame 1"):
        video.write_mp4(path, frames, 10)
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="frames: no frame"):
        video.write_mp4(path, iter([]), 10)


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--episodes", "0"], "--episodes"),
        (["--width", "63"], "--width"),
        (["--height", "8"], "--height"),
        (["--fps", "x"], "--fps"),
        (["--out", "video.avi"], "--out"),
        (["--out", "no/such/folder/v.mp4"], "--out"),
        (["--tasks", "push-v3"], "--tasks"),
    ],
)
def test_video_command_names_a_bad_argument(
    metaworld_run: Path, capsys: pytest.CaptureFixture[str], argv: list[str], named: str
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_video.main([str(metaworld_run), *argv])
    assert exit_info.value.code == 2
    assert named in capsys.readouterr().err


def test_video_command_needs_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli_video.main([str(tmp_path)])
    assert "RUN_DIR: no run in" in capsys.readouterr().err


def test_video_command_says_what_to_install(
    metaworld_run: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # as if not installed
    assert cli_video.main([str(metaworld_run)]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert 'pip install "ctpg[video]"' in err and "imageio-ffmpeg" in err
    assert "imageio_ffmpeg" in err  # the import that failed


def test_video_module_runs_as_a_script() -> None:
    root = str(Path(ctpg.__file__).parents[1])  # this very ctpg, installed or not
    done = subprocess.run(
        [sys.executable, "-m", "ctpg.video", "--help"],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, PYTHONPATH=root),
    )
    assert "--episodes" in done.stdout and "--out" in done.stdout


# ----------------------------------------------------------------------------- training


@needs_video
def test_training_records_videos_and_logs_them(tiny: Any) -> None:
    from PIL import Image
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cfg = tiny(
        steps=10,
        warmup_steps=5,
        eval_every=10,
        video_every=5,
        env=EnvConfig(
            benchmark="custom",
            tasks=("halfcheetah-gravity-1.0", "halfcheetah-leg-big"),
            max_episode_steps=5,
            num_threads=1,
        ),
    )
    run_dir = Path(ctpg.train(cfg, progress=False))
    names = sorted(p.name for p in (run_dir / "videos").iterdir())
    assert names == ["step-10.mp4", "step-5.mp4"]
    frames = _read(run_dir / "videos" / "step-10.mp4")
    assert len(frames) == 6 and frames[0].shape == (240, 2 * 320, 3)
    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"images": 0})
    events.Reload()
    logged = events.Images(video.TENSORBOARD_TAG)
    assert [e.step for e in logged] == [5, 10]
    gif = Image.open(io.BytesIO(logged[-1].encoded_image_string))
    assert gif.format == "GIF" and gif.size == (320, 120)
    assert gif.n_frames == 2  # 6 frames at 30 fps, every third one for TensorBoard's 10 fps


def test_video_every_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video, "video_problem", lambda own_envs=False: None)
    args = cli.build_parser().parse_args(["--preset", "quick", "--video-every", "500"])
    assert cli.config_from_args(args)[0].video_every == 500
    args = cli.build_parser().parse_args(["--preset", "quick"])
    assert cli.config_from_args(args)[0].video_every == 0
    # --video-every is not part of what defines a run: it may be added or changed on resume
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    saved = dataclasses.replace(preset("quick"), run_dir=str(run_dir), video_every=100)
    dump_yaml(saved, run_dir / "config.yaml")
    resume = ["--resume", "--run-dir", str(run_dir)]
    assert cli.config_from_args(cli.build_parser().parse_args(resume))[0].video_every == 100
    changed = cli.build_parser().parse_args([*resume, "--video-every", "7"])
    assert cli.config_from_args(changed)[0].video_every == 7


def test_video_every_fails_early_naming_the_option(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(video, "video_problem", lambda own_envs=False: "no headless OpenGL: test")
    args = cli.build_parser().parse_args(["--preset", "quick", "--video-every", "5"])
    with pytest.raises(ValueError, match="--video-every: no headless OpenGL"):
        cli.config_from_args(args)
    with pytest.raises(ValueError, match="video_every"):
        TrainConfig(video_every=-1)
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["--video-every", "-3"])
