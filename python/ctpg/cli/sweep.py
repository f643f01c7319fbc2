"""``ctpg sweep --out DIR [grid options] [train options]``: a grid of runs on Ray
(``ctpg.sweep``); every option it does not know is a ``ctpg train`` option of every trial."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ctpg.cli.args import refuse
from ctpg.cli.train import config_from_argv
from ctpg.config import BASES, PRESETS, SHARINGS
from ctpg.interrupt import StopForwarding
from ctpg.sweep import (
    METHOD_LABELS,
    Resources,
    ray_runner,
    run_trials,
    target_steps,
    trials,
    write_summary,
)


def build_parser(prog: str = "ctpg sweep") -> argparse.ArgumentParser:
    """The ``sweep`` options (the grid and where it runs)."""
    p = argparse.ArgumentParser(
        prog=prog,
        allow_abbrev=False,  # --seed must not pass for --seeds
        description="Run a grid of training runs as Ray tasks. Options that are not listed "
        "here are ctpg train options given to every run (e.g. --steps 20000 --eval-every 5000).",
    )
    p.add_argument("--preset", nargs="+", choices=PRESETS, default=["mt10"])
    p.add_argument("--base", nargs="+", choices=BASES, default=["mhsac"])
    p.add_argument(
        "--sharing",
        nargs="+",
        choices=list(METHOD_LABELS),
        default=list(SHARINGS),
        help="sharings, or ctpg-authors: CTPG with the authors' policy-filter gate and "
        "comparison bootstrap (--filter-gate reference --compare-bootstrap guide)",
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2, 3, 4], metavar="SEED")
    p.add_argument("--out", required=True, help="folder for the run directories and summaries")
    p.add_argument("--address", help="Ray cluster to join (default: start local Ray)")
    p.add_argument(
        "--cpus-per-run", type=float, default=1.0, help="CPU cores per trial (default 1)"
    )
    p.add_argument(
        "--gpus-per-run", type=float, default=0.0, help="GPUs per trial, fractions allowed"
    )
    return p


def sweep_main(argv: list[str] | None = None, prog: str = "ctpg sweep") -> int:
    """Parse ``argv``, run the grid, write the summaries; 1 when a trial failed."""
    parser = build_parser(prog)
    args, options = parser.parse_known_args(argv)
    options = [o for o in options if o != "--"]
    for name in ("--run-dir", "--resume", "--seed"):
        if name in options:
            parser.error(f"{name}: set by the sweep for each trial")
    if not 0 < args.cpus_per_run or args.gpus_per_run < 0:
        parser.error("--cpus-per-run must be > 0 and --gpus-per-run >= 0")
    out = Path(args.out)
    grid = trials(args.preset, args.base, args.sharing, args.seeds)
    run_dirs = {t: out / t.name for t in grid}
    resources = Resources(args.cpus_per_run, args.gpus_per_run)
    options = [*options, *resources.options(options)]
    try:
        targets = target_steps(grid, options, run_dirs, config_from_argv)
    except ValueError as error:
        refuse(parser, error)
    try:
        import ray  # noqa: F401  (only whether it is there)
    except ImportError:
        print(f'{prog}: needs Ray, which is not installed: pip install "ctpg[sweep]"')
        return 2
    out.mkdir(parents=True, exist_ok=True)
    print(f"{len(grid)} trials into {out}", flush=True)
    with StopForwarding() as stop:
        runner = ray_runner(resources, args.address, stop)
        status = run_trials(grid, options, run_dirs, runner, targets, _flushed_print, stop)
        for path in write_summary(out, status, run_dirs):
            print(path)
    if stop.signum is not None:
        print(
            f"{prog}: stopped by {stop.name}; the trials wrote checkpoints; run the same "
            "command again to resume them",
            file=sys.stderr,
        )
        return stop.exit_code
    return 1 if "failed" in status.values() else 0


def _flushed_print(line: str) -> None:
    print(line, flush=True)
