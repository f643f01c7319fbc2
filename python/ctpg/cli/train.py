"""``ctpg train ...`` (also ``python -m ctpg.train ...``): train or resume one run.

Options start from a preset (docs/algorithm.md, section 5) and override single fields; every
field of the config is an option (``ctpg.cli.options``). Invalid options or combinations stop
before anything is built, with a message naming the option. ``--resume`` continues the run
in ``--run-dir`` (or in the run directory the other options name) from its own config.yaml:
an option whose field may change on resume (``--steps`` to extend the run, ``--device``,
``--num-threads``, ``--torch-threads``, ...) changes it; every other option may be repeated
with the run's own value (the starting command with ``--resume`` added) but not changed.

Ctrl-C (SIGINT) or SIGTERM ends the run after the current step with a checkpoint at that
step, one line on stderr with the step and the command that resumes it, and exit status
130 / 143; a second Ctrl-C aborts at once (exit status 130, the run resumes from its last
checkpoint). A second process training in the same run directory is refused.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import shlex
import signal
import sys
from pathlib import Path
from typing import Any

import torch

from ctpg import video
from ctpg.cli import options as O
from ctpg.cli.args import refuse
from ctpg.config import GYMNASIUM, PRESETS, TrainConfig, load_yaml, preset
from ctpg.envs.adapter import EnvError
from ctpg.envs.gym_ids import registered_limit
from ctpg.evaluate import METAWORLD_EPISODES
from ctpg.interrupt import resume_command
from ctpg.plot import plot_paths
from ctpg.rundir import RunDir, RunInUseError, run_dir_of
from ctpg.train import Interrupted, train

DEFAULT_PRESET = "mt10"


def build_parser(prog: str = "ctpg train") -> argparse.ArgumentParser:
    """The ``train`` options: the preset, the run's own switches, then one option per
    config field."""
    p = argparse.ArgumentParser(prog=prog, description="Train a multi-task agent with CTPG.")
    p.add_argument(
        "--preset", choices=PRESETS, help=f"benchmark settings (default {DEFAULT_PRESET})"
    )
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    p.add_argument(
        "--cuda-graphs",
        action="store_true",
        help="on CUDA, the same as --compile cuda-graphs (CUDA graphs of the compiled updates)",
    )
    p.add_argument("--no-progress", action="store_true", help="no live progress display")
    p.add_argument("--no-plots", action="store_true", help="no figures in RUN_DIR/plots at the end")
    O.add_options(p, O.train_options())
    return p


def config_from_args(args: argparse.Namespace) -> tuple[TrainConfig, bool]:
    """The resolved config and whether to resume; ValueError names a bad option.

    With --resume the run directory is --run-dir, or else the one the other options name
    (so the command that started a run, with --resume added, continues it)."""
    values = _given(args)
    _check_device(values)
    if args.resume:
        cfg = _resumed_config(args, values)
    else:
        _default_episode_limit(values)
        cfg = _fresh_config(args, values)
        if "eval_episodes" not in _paths(values) and cfg.eval_protocol == "metaworld":
            cfg = dataclasses.replace(cfg, eval_episodes=METAWORLD_EPISODES)
        _check_requirements(cfg, values)
    if cfg.video_every:
        problem = video.video_problem(cfg.env.benchmark == GYMNASIUM)
        if problem is not None:
            raise ValueError(f"--video-every: {problem}")
    return cfg, bool(args.resume)


def _given(args: argparse.Namespace) -> dict[O.Option, Any]:
    values = O.given(args, O.train_options())
    if O.option_of("env.ids") in values:  # --env: the run's tasks are gymnasium ids
        values.setdefault(O.option_of("env.benchmark"), GYMNASIUM)
        values.setdefault(O.option_of("env.tasks"), ())
    if args.cuda_graphs:
        compile_option = O.option_of("compile")
        if values.get(compile_option, "cuda-graphs") != "cuda-graphs":
            raise ValueError("--cuda-graphs: already compiles the updates; drop --compile")
        values[compile_option] = "cuda-graphs"
    return values


def _fresh_config(args: argparse.Namespace, values: dict[O.Option, Any]) -> TrainConfig:
    """The preset with the options applied; a run on --env ids is named after its first id
    (its default run directory is runs/<id>-<base>-<sharing>-s<seed>)."""
    cfg = O.apply(preset(args.preset or DEFAULT_PRESET), values)
    if cfg.env.benchmark == GYMNASIUM:
        first = cfg.env.ids[0].rpartition(":")[2]
        slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in first).strip("-")
        cfg = dataclasses.replace(cfg, name=slug or "env")
    return cfg


def _default_episode_limit(values: dict[O.Option, Any]) -> None:
    """With --env and no --env-max-episode-steps, the episode limit the ids are registered
    with (the preset's when they have none)."""
    ids = values.get(O.option_of("env.ids"))
    limit_option = O.option_of("env.max_episode_steps")
    if ids and limit_option not in values:
        limit = registered_limit(ids)
        if limit is not None:
            values[limit_option] = limit


def _paths(values: dict[O.Option, Any]) -> set[str]:
    return {opt.path for opt in values}


def _check_device(values: dict[O.Option, Any]) -> None:
    """CUDA options need CUDA (before anything is built)."""
    device = values.get(O.option_of("device"))
    cuda = torch.cuda.is_available()
    if device == "cuda" and not cuda:
        raise ValueError("--device cuda: CUDA is not available on this machine")
    if values.get(O.option_of("tf32")) and (device == "cpu" or not cuda):
        raise ValueError("--tf32: only applies on CUDA (TF32 is a tensor-core format)")
    if values.get(O.option_of("compile")) == "cuda-graphs" and (device == "cpu" or not cuda):
        raise ValueError("--cuda-graphs: only applies on CUDA (CUDA graphs are a CUDA feature)")


def _check_requirements(cfg: TrainConfig, values: dict[O.Option, Any]) -> None:
    """An option given where it does not apply (a guide option without the guide, the
    engine's threads with Python envs) is an error naming both options."""
    for opt in values:
        if opt.requires is None:
            continue
        path, wanted = opt.requires
        if O.read(cfg, path) != wanted:
            other = O.option_of(path)
            raise ValueError(
                f"{opt.name}: only applies with {other.name} {wanted} (got {O.read(cfg, path)})"
            )


def _resumed_config(args: argparse.Namespace, values: dict[O.Option, Any]) -> TrainConfig:
    """The saved config of the run to resume, with the options that may change applied."""
    run_dir = values.get(O.option_of("run_dir"))
    if run_dir is None:
        fresh = {opt: v for opt, v in values.items() if opt.on_resume == "fixed"}
        run_dir = str(run_dir_of(_fresh_config(args, fresh)).path)
    config_path = RunDir(run_dir).config
    if not config_path.is_file():
        raise ValueError(f"--resume: no run in {run_dir} ({config_path.name} is missing)")
    saved = dataclasses.replace(load_yaml(config_path), run_dir=run_dir)
    _check_unchanged(args, values, saved)
    changes = {opt: v for opt, v in values.items() if opt.on_resume == "may change"}
    return O.apply(saved, changes)


def _check_unchanged(
    args: argparse.Namespace, values: dict[O.Option, Any], saved: TrainConfig
) -> None:
    """Options given with --resume that define the run must equal the saved run's."""
    refused = "options that define a run cannot change with --resume"
    if args.preset and saved.name in PRESETS and args.preset != saved.name:
        raise ValueError(
            f"--preset: the run in {saved.run_dir} was started with {saved.name!r}, got "
            f"{args.preset!r}; {refused}"
        )
    for opt, value in values.items():
        if opt.on_resume == "may change":
            continue
        before = O.read(saved, opt.path)
        if value != before:
            raise ValueError(
                f"{opt.name}: the run in {saved.run_dir} was started with "
                f"{O.shown(before)!r}, got {O.shown(value)!r}; {refused}"
            )


def train_main(argv: list[str] | None = None, prog: str = "python -m ctpg.train") -> int:
    """Parse ``argv``, train, print the run directory."""
    parser = build_parser(prog)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    try:
        cfg, resume = config_from_args(args)
        _check_start(cfg, resume)
    except ValueError as error:
        refuse(parser, error)
    try:
        run_dir = train(cfg, resume=resume, progress=False if args.no_progress else None)
    except RunInUseError as error:
        print(f"{prog}: error: --run-dir: {str(error).partition(': ')[2]}", file=sys.stderr)
        return 1
    except FloatingPointError as error:  # the NaN guard: name what and when, no traceback
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1
    except EnvError as error:  # an env that cannot be built or trained: one line
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 2
    except Interrupted as stop:
        print(f"{prog}: {stop.line(resume_command([*shlex.split(prog), *argv]))}", file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:  # the second Ctrl-C
        print(f"{prog}: aborted; resume from the last checkpoint with --resume", file=sys.stderr)
        return 128 + signal.SIGINT
    if not args.no_plots:
        _write_figures(run_dir, prog)
    print(f"run written to {run_dir}")
    return 0


def _check_start(cfg: TrainConfig, resume: bool) -> None:
    """The run directory fits ``--resume``; the message names the option."""
    try:
        run_dir_of(cfg).check_start(resume)
    except ValueError as error:
        field, _, rest = str(error).partition(": ")
        raise ValueError(f"--{field.replace('_', '-')}: {rest}") from None


def _write_figures(run_dir: Path, prog: str) -> None:
    """The run's figures into RUN_DIR/plots when matplotlib is installed; a figure that
    cannot be drawn is reported and does not fail the run."""
    if importlib.util.find_spec("matplotlib") is None:
        return
    try:
        plot_paths([run_dir], RunDir(run_dir).plots)
    except Exception as error:  # noqa: BLE001 - the run itself is complete and saved
        print(f"{prog}: could not draw the figures: {error}", file=sys.stderr)


def config_from_argv(argv: list[str], prog: str = "ctpg sweep") -> TrainConfig:
    """The config ``ctpg train ARGV`` would run (for sweeps); ValueError names a bad option."""
    parser = build_parser(prog)
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        raise ValueError(f"options {' '.join(argv)!r} are not ctpg train options") from None
    return config_from_args(args)[0]
