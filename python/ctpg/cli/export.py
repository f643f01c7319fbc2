"""``ctpg export RUN_DIR [--out PATH]``: a run's deterministic policy as a TorchScript file
that ``torch.jit.load`` runs without ctpg (``ctpg.deploy``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ctpg.cli.args import refuse
from ctpg.deploy import export_policy
from ctpg.rundir import RunDir


def build_parser(prog: str = "ctpg export") -> argparse.ArgumentParser:
    """The ``export`` options."""
    p = argparse.ArgumentParser(
        prog=prog,
        description="Write the deterministic policy of a run's newest checkpoint as a "
        "TorchScript file that torch.jit.load runs without ctpg.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", help="run directory (config.yaml, checkpoints/)")
    p.add_argument("--out", help="file to write (default RUN_DIR/policy.pt)")
    return p


def main(argv: list[str] | None = None, prog: str = "ctpg export") -> int:
    """Parse ``argv``, export the run's policy, print what was written."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    run = RunDir(args.run_dir)
    out = Path(args.out) if args.out else run.path / "policy.pt"
    try:
        if not run.config.is_file():
            raise ValueError(f"RUN_DIR: no run in {run.path} ({run.config.name} is missing)")
        if out.is_dir() or not out.parent.is_dir():
            raise ValueError(f"--out: {out} is a folder or lies in a folder that does not exist")
        policy = export_policy(run.path, out)
    except ValueError as error:
        refuse(parser, error)
    print(
        f"policy of step {policy.checkpoint_step} ({policy.num_tasks} tasks, obs "
        f"[N, {policy.obs_dim}] -> actions [N, {policy.action_dim}]) written to {out}"
    )
    return 0
