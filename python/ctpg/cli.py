"""Command line: ``ctpg train ...`` (also ``python -m ctpg.train ...``), ``ctpg sweep``
(ctpg/sweep.py), ``ctpg plot`` (ctpg/plot.py) and ``ctpg export``.

Options start from a preset (ALGORITHM.md section 5) and override single fields. Invalid
options or combinations stop before anything is built, with a message naming the option.
``--resume`` continues the run in ``--run-dir`` (or in the run directory the other options
name) from its own config.yaml. ``--steps`` (to extend the run), ``--device``,
``--num-threads`` and ``--torch-threads`` may change; every other option may be repeated
with the run's own value (the starting command with ``--resume`` added) but not changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from ctpg.config import (
    BACKENDS,
    BASES,
    COMPARE_BOOTSTRAPS,
    DEVICES,
    EVAL_PROTOCOLS,
    FILTER_GATES,
    PRESETS,
    REPLAY_KINDS,
    SHARINGS,
    UPDATE_ORDERS,
    TrainConfig,
    load_yaml,
    preset,
)
from ctpg.evaluate import METAWORLD_EPISODES

# Options that define a run, and where a saved config holds each: with --resume they may be
# repeated (the same command with --resume added) but not changed.
_FIXED_ON_RESUME: dict[str, Callable[[TrainConfig], Any]] = {
    "preset": lambda c: c.name,
    "base": lambda c: c.agent.net.base,
    "sharing": lambda c: c.agent.sharing,
    "seed": lambda c: c.seed,
    "eval_every": lambda c: c.eval_every,
    "eval_episodes": lambda c: c.eval_episodes,
    "eval_protocol": lambda c: c.eval_protocol,
    "update_order": lambda c: c.update_order,
    "env_backend": lambda c: c.env.backend,
    "replay": lambda c: c.replay.kind,
    "guide_step": lambda c: c.agent.guide.guide_step,
    "filter_gate": lambda c: c.agent.guide.filter_gate,
    "compare_bootstrap": lambda c: c.agent.guide.compare_bootstrap,
    "no_block_gate": lambda c: not c.agent.guide.block_gate,
    "no_hindsight": lambda c: not c.agent.guide.hindsight,
    "batch_size": lambda c: c.batch_size,
    "warmup_steps": lambda c: c.warmup_steps,
    "hidden": lambda c: list(c.agent.net.hidden),
    "lr": lambda c: c.agent.sac.lr,
}


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {value}")
    return value


def _non_negative(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def build_parser(prog: str = "ctpg train") -> argparse.ArgumentParser:
    """The ``train`` options."""
    p = argparse.ArgumentParser(prog=prog, description="Train a multi-task agent with CTPG.")
    p.add_argument("--preset", choices=PRESETS, help="benchmark settings (default mt10)")
    p.add_argument("--base", choices=BASES, help="base multi-task method (default mhsac)")
    p.add_argument("--sharing", choices=SHARINGS, help="explicit sharing (default ctpg)")
    p.add_argument("--seed", type=_non_negative, help="run seed (default 0)")
    p.add_argument("--steps", type=_positive, help="training steps (one transition per task)")
    p.add_argument("--eval-every", type=_positive, help="training steps between evaluations")
    p.add_argument(
        "--eval-episodes",
        type=_positive,
        help="evaluation episodes per task (default: the preset's; 50 with --eval-protocol "
        "metaworld)",
    )
    p.add_argument(
        "--eval-protocol",
        choices=EVAL_PROTOCOLS,
        help="paper (default: episodes of the training length, success at any step) or "
        "metaworld (MetaWorld's own evaluation: 500-step episodes ending at the first success, "
        "goals from the benchmark's held task vectors; MetaWorld tasks only)",
    )
    p.add_argument(
        "--update-order",
        choices=UPDATE_ORDERS,
        help="store-first (default: act, step, store, update) or reference (the authors' "
        "order: act, update, step, store; the environments step while the update runs)",
    )
    p.add_argument(
        "--batch-size", type=_positive, help="control batch over all tasks, also the guide batch"
    )
    p.add_argument("--warmup-steps", type=_positive, help="steps collected before the first update")
    p.add_argument(
        "--run-dir", help="run directory (default runs/<preset>-<base>-<sharing>-s<seed>)"
    )
    p.add_argument("--resume", action="store_true", help="continue the run in --run-dir")
    p.add_argument("--device", choices=DEVICES, help="auto (CUDA when present), cpu or cuda")
    p.add_argument(
        "--tf32", action="store_true", help="on CUDA, TF32 matrix products (off by default)"
    )
    p.add_argument(
        "--compile",
        action="store_true",
        help="torch.compile the networks (agrees with eager to float32 rounding)",
    )
    p.add_argument(
        "--cuda-graphs",
        action="store_true",
        help="on CUDA, torch.compile the networks as CUDA graphs (mode reduce-overhead)",
    )
    p.add_argument("--env-backend", choices=BACKENDS, help="native C++ engine or python envs")
    p.add_argument("--replay", choices=REPLAY_KINDS, help="uniform or prioritized replay")
    p.add_argument("--lr", type=_positive_float, help="Adam learning rate of every network")
    p.add_argument(
        "--hidden",
        type=_positive,
        nargs="+",
        metavar="WIDTH",
        help="hidden widths of the MLP backbones and the guide networks (e.g. 256 256 256)",
    )
    p.add_argument("--guide-step", type=_positive, help="K: steps a behaviour task is kept")
    p.add_argument(
        "--filter-gate",
        choices=FILTER_GATES,
        help="policy-filter gate: on (sample unmasked tasks only, default), reference (as the "
        "published code: mask computed, guide sampled unmasked), off (ablation)",
    )
    p.add_argument(
        "--compare-bootstrap",
        choices=COMPARE_BOOTSTRAPS,
        help="comparison critic bootstraps from the own policy's value (own, default) or the "
        "guide's mixture (guide, as the published code)",
    )
    p.add_argument("--no-block-gate", action="store_true", help="ablate the guide-block gate")
    p.add_argument("--no-hindsight", action="store_true", help="ablate hindsight relabelling")
    p.add_argument("--num-threads", type=_non_negative, help="native engine threads (0 = auto)")
    p.add_argument("--torch-threads", type=_non_negative, help="torch CPU threads (0 = default)")
    p.add_argument("--no-progress", action="store_true", help="no live progress display")
    p.add_argument("--no-plots", action="store_true", help="no figures in RUN_DIR/plots at the end")
    p.add_argument(
        "--video-every",
        type=_non_negative,
        help="training steps between videos of the deterministic policies (RUN_DIR/videos/, "
        "TensorBoard); 0 = none (default); may change with --resume",
    )
    return p


def _replace(obj: Any, **changes: Any) -> Any:
    changes = {k: v for k, v in changes.items() if v is not None}
    return dataclasses.replace(obj, **changes) if changes else obj


def _check_combinations(args: argparse.Namespace) -> None:
    if args.device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: CUDA is not available on this machine")
    if args.tf32 and (args.device == "cpu" or not torch.cuda.is_available()):
        raise ValueError("--tf32: only applies on CUDA (TF32 is a tensor-core format)")
    if args.cuda_graphs and (args.device == "cpu" or not torch.cuda.is_available()):
        raise ValueError("--cuda-graphs: only applies on CUDA (CUDA graphs are a CUDA feature)")
    if args.cuda_graphs and args.compile:
        raise ValueError("--cuda-graphs: already compiles the networks; drop --compile")
    if args.resume:
        return
    sharing = args.sharing or "ctpg"
    for name in ("guide_step", "filter_gate", "compare_bootstrap", "no_block_gate", "no_hindsight"):
        if getattr(args, name) not in (None, False) and sharing != "ctpg":
            option = "--" + name.replace("_", "-")
            raise ValueError(f"{option}: only applies with --sharing ctpg (got {sharing})")
    if args.num_threads is not None and args.env_backend == "python":
        raise ValueError("--num-threads: only applies with --env-backend native")
    name = args.preset or "mt10"
    if args.eval_protocol == "metaworld" and name.startswith("halfcheetah"):
        raise ValueError(
            f"--eval-protocol: metaworld is MetaWorld's own evaluation and needs MetaWorld "
            f"tasks; --preset {name} is HalfCheetah (use --eval-protocol paper)"
        )


def _compile_mode(args: argparse.Namespace) -> str | None:
    """``TrainConfig.compile`` from --compile / --cuda-graphs (None: not given)."""
    return "cuda-graphs" if args.cuda_graphs else "on" if args.compile else None


def _check_video(args: argparse.Namespace) -> None:
    """``--video-every``: the video packages and a headless OpenGL must be there."""
    if args.video_every:
        from ctpg.video import video_problem

        problem = video_problem()
        if problem is not None:
            raise ValueError(f"--video-every: {problem}")


def _fresh_config(args: argparse.Namespace) -> TrainConfig:
    cfg = preset(args.preset or "mt10")
    agent = cfg.agent
    guide = _replace(
        agent.guide,
        guide_step=args.guide_step,
        batch_size=args.batch_size,
        filter_gate=args.filter_gate,
        compare_bootstrap=args.compare_bootstrap,
        block_gate=False if args.no_block_gate else None,
        hindsight=False if args.no_hindsight else None,
    )
    hidden = tuple(args.hidden) if args.hidden else None
    net = _replace(agent.net, base=args.base, hidden=hidden)
    agent = _replace(agent, net=net, sac=_replace(agent.sac, lr=args.lr), sharing=args.sharing)
    agent = dataclasses.replace(agent, guide=guide)
    env = _replace(cfg.env, backend=args.env_backend, num_threads=args.num_threads)
    eval_episodes = args.eval_episodes
    if eval_episodes is None and args.eval_protocol == "metaworld":
        eval_episodes = METAWORLD_EPISODES
    return _replace(
        cfg,
        seed=args.seed,
        steps=args.steps,
        eval_every=args.eval_every,
        eval_episodes=eval_episodes,
        eval_protocol=args.eval_protocol,
        update_order=args.update_order,
        batch_size=args.batch_size,
        warmup_steps=args.warmup_steps,
        device=args.device,
        tf32=args.tf32 or None,
        compile=_compile_mode(args),
        torch_threads=args.torch_threads,
        video_every=args.video_every,
        run_dir=args.run_dir,
        env=env,
        replay=_replace(cfg.replay, kind=args.replay),
        agent=agent,
    )


def _check_unchanged(args: argparse.Namespace, saved: TrainConfig) -> None:
    """Options given with --resume must equal the saved run's."""
    for name, field in _FIXED_ON_RESUME.items():
        given = getattr(args, name)
        if given in (None, False):
            continue
        if name == "preset" and saved.name not in PRESETS:
            continue  # a run configured from Python: no preset names it
        if given != field(saved):
            option = "--" + name.replace("_", "-")
            raise ValueError(
                f"{option}: the run in {saved.run_dir} was started with {field(saved)!r}, got "
                f"{given!r}; options that define a run cannot change with --resume"
            )


def config_from_args(args: argparse.Namespace) -> tuple[TrainConfig, bool]:
    """The resolved config and whether to resume; ValueError names a bad option.

    With --resume the run directory is --run-dir, or else the one the other options name
    (so the command that started a run, with --resume added, continues it)."""
    _check_combinations(args)
    _check_video(args)
    if not args.resume:
        return _fresh_config(args), False
    from ctpg.train import run_dir_of

    run_dir = args.run_dir or str(run_dir_of(_fresh_config(args)))
    config_path = Path(run_dir) / "config.yaml"
    if not config_path.is_file():
        raise ValueError(f"--resume: no run in {run_dir} (config.yaml is missing)")
    cfg = dataclasses.replace(load_yaml(config_path), run_dir=run_dir)
    _check_unchanged(args, cfg)
    env = _replace(cfg.env, num_threads=args.num_threads)
    cfg = _replace(
        cfg,
        steps=args.steps,
        device=args.device,
        tf32=args.tf32 or None,
        compile=_compile_mode(args),
        torch_threads=args.torch_threads,
        video_every=args.video_every,
        env=env,
    )
    return cfg, True


def train_main(argv: list[str] | None = None, prog: str = "python -m ctpg.train") -> int:
    """Parse ``argv``, train, print the run directory."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        cfg, resume = config_from_args(args)
        from ctpg.checkpoint import has_checkpoint
        from ctpg.train import run_dir_of, train

        run_dir = run_dir_of(cfg)
        if resume and not has_checkpoint(run_dir):
            raise ValueError(f"--resume: no checkpoint in {run_dir}")
        if not resume and has_checkpoint(run_dir):
            raise ValueError(
                f"--run-dir: {run_dir} already holds a run; add --resume or "
                "choose another --run-dir"
            )
    except ValueError as error:
        parser.error(str(error))
    try:
        run_dir = train(cfg, resume=resume, progress=False if args.no_progress else None)
    except FloatingPointError as error:  # the NaN guard: name what and when, no traceback
        print(f"{prog}: error: {error}", file=sys.stderr)
        return 1
    if not args.no_plots:
        _write_figures(run_dir, prog)
    print(f"run written to {run_dir}")
    return 0


def _write_figures(run_dir: Path, prog: str) -> None:
    """The run's figures into RUN_DIR/plots when matplotlib is installed; a figure that
    cannot be drawn is reported and does not fail the run."""
    import importlib.util

    if importlib.util.find_spec("matplotlib") is None:
        return
    from ctpg.plot import plot_paths

    try:
        plot_paths([run_dir], Path(run_dir) / "plots")
    except Exception as error:  # noqa: BLE001 - the run itself is complete and saved
        print(f"{prog}: could not draw the figures: {error}", file=sys.stderr)


def build_export_parser(prog: str = "ctpg export") -> argparse.ArgumentParser:
    """The ``export`` options."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Write the deterministic policy of a run's newest checkpoint as a "
        "TorchScript file that torch.jit.load runs without ctpg.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory (config.yaml, checkpoints/)")
    p.add_argument("--out", help="file to write (default RUN_DIR/policy.pt)")
    return p


def export_main(argv: list[str] | None = None, prog: str = "ctpg export") -> int:
    """Parse ``argv``, export the run's policy, print what was written."""
    parser = build_export_parser(prog)
    args = parser.parse_args(argv)
    run_dir = Path(args.run_dir)
    out = Path(args.out) if args.out else run_dir / "policy.pt"
    try:
        from ctpg.deploy import CONFIG_FILE, export_policy

        if not (run_dir / CONFIG_FILE).is_file():
            raise ValueError(f"RUN_DIR: no run in {run_dir} ({CONFIG_FILE} is missing)")
        if out.is_dir() or not out.parent.is_dir():
            raise ValueError(f"--out: {out} is a folder or lies in a folder that does not exist")
        policy = export_policy(run_dir, out)
    except ValueError as error:
        parser.error(str(error))
    print(
        f"policy of step {policy.checkpoint_step} ({policy.num_tasks} tasks, obs "
        f"[N, {policy.obs_dim}] -> actions [N, {policy.action_dim}]) written to {out}"
    )
    return 0


_USAGE = """usage: ctpg train [options]     train or resume a run (ctpg train --help)
       ctpg sweep --out DIR [grid options] [train options]
                                 a grid of runs on Ray (ctpg sweep --help)
       ctpg plot PATH... [--out DIR]     figures of runs, grouped by method over seeds
       ctpg export RUN_DIR [--out PATH]   write a run's policy as TorchScript"""


def main(argv: list[str] | None = None) -> int:
    """``ctpg <command> ...``: ``train``, ``sweep``, ``plot`` or ``export``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "train":
        return train_main(argv[1:], prog="ctpg train")
    if argv and argv[0] == "export":
        return export_main(argv[1:])
    if argv and argv[0] == "sweep":
        from ctpg.sweep import sweep_main

        return sweep_main(argv[1:])
    if argv and argv[0] == "plot":
        from ctpg.plot import main as plot_main

        return plot_main(argv[1:], prog="ctpg plot")
    print(_USAGE)
    return 0 if argv and argv[0] in ("-h", "--help") else 2


if __name__ == "__main__":
    sys.exit(main())
