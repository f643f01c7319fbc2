"""``ctpg video RUN_DIR [--episodes N] [--out FILE.mp4] [--tasks ...]`` (also ``python -m
ctpg.video``): a video of a run's deterministic policies (``ctpg.video``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ctpg.cli.args import even_pixels, positive, refuse
from ctpg.config import GYMNASIUM, OBJECT, load_yaml
from ctpg.deploy import load_policy
from ctpg.envs.adapter import EnvError
from ctpg.run_envs import evaluation_seed
from ctpg.rundir import RunDir
from ctpg.video import (
    DEFAULT_FPS,
    DEFAULT_HEIGHT,
    DEFAULT_WIDTH,
    Scores,
    make_renderer,
    policy_act,
    policy_frames,
    video_env,
    video_problem,
    write_mp4,
)


def build_parser(prog: str = "ctpg video") -> argparse.ArgumentParser:
    """The ``video`` options."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Write a video of a run's deterministic policies: every task's episode "
        "drawn from its full model, the tasks tiled in one frame.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory (config.yaml, checkpoints/)")
    p.add_argument("--episodes", type=positive, default=1, help="episodes per task (default 1)")
    p.add_argument("--out", help="mp4 file to write (default RUN_DIR/videos/eval.mp4)")
    p.add_argument(
        "--tasks", nargs="+", metavar="TASK", help="tasks to show (default: every task of the run)"
    )
    p.add_argument(
        "--width", type=even_pixels, default=DEFAULT_WIDTH, help="pixels per task (default 320)"
    )
    p.add_argument(
        "--height", type=even_pixels, default=DEFAULT_HEIGHT, help="pixels per task (default 240)"
    )
    p.add_argument("--fps", type=positive, default=DEFAULT_FPS, help="frames per second (30)")
    return p


def _check_paths(args: argparse.Namespace) -> tuple[RunDir, Path]:
    run = RunDir(args.run_dir)
    if not run.config.is_file():
        raise ValueError(f"RUN_DIR: no run in {run.path} ({run.config.name} is missing)")
    out = Path(args.out) if args.out else run.videos / "eval.mp4"
    if out.suffix != ".mp4":
        raise ValueError(f"--out: expected a file name ending in .mp4, got {out}")
    if out.is_dir() or (args.out and not out.parent.is_dir()):
        raise ValueError(f"--out: {out} is a folder or lies in a folder that does not exist")
    return run, out


def _shown(tasks: list[str] | None, task_names: list[str]) -> list[int]:
    if not tasks:
        return list(range(len(task_names)))
    unknown = [t for t in tasks if t not in task_names]
    if unknown:
        raise ValueError(f"--tasks: {unknown} are not tasks of the run; its tasks: {task_names}")
    return [task_names.index(t) for t in dict.fromkeys(tasks)]


def main(argv: list[str] | None = None, prog: str = "ctpg video") -> int:
    """Parse ``argv``, write the video, print the episodes' scores and the file."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        run, out = _check_paths(args)
        cfg = load_yaml(run.config)
        if cfg.env.benchmark == OBJECT:
            raise ValueError(
                f"RUN_DIR: {run.path} trained on a vector env given to ctpg.train; there is "
                "no config to build its envs from (film it with ctpg.video's functions)"
            )
        policy = load_policy(run.path)
        shown = _shown(args.tasks, policy.task_names)
    except ValueError as error:
        refuse(parser, error)
    problem = video_problem(cfg.env.benchmark == GYMNASIUM)
    if problem is not None:
        print(f"{prog}: error: {problem}", file=sys.stderr)
        return 1
    act = policy_act(policy)
    try:
        env = video_env(cfg)
    except EnvError as error:
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    names = [policy.task_names[i] for i in shown]
    scores = Scores()
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with make_renderer(cfg, names, args.width, args.height) as renderer:
            seed = evaluation_seed(cfg)
            steps = cfg.env.max_episode_steps
            frames = policy_frames(env, act, renderer, shown, args.episodes, steps, seed, scores)
            count, first = write_mp4(out, frames, args.fps)
    except ValueError as error:  # an env without rgb_array frames
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    finally:
        env.close()
    for k, (returns, success) in enumerate(zip(scores.returns, scores.success, strict=True)):
        for i in shown:
            flag = "success" if success[i] else "no success"
            print(f"episode {k + 1} {policy.task_names[i]}: return {returns[i]:.1f}, {flag}")
    height, width = first.shape[:2]
    print(
        f"{count} frames of {width} x {height} (policy of step {policy.checkpoint_step}) "
        f"written to {out}"
    )
    return 0
