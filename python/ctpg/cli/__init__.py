"""The command line: ``ctpg train | sweep | plot | export | video`` (one module per
subcommand). It sits on top of the library: nothing in ``ctpg`` imports ``ctpg.cli``, and
``python -m ctpg.train`` / ``ctpg.plot`` / ``ctpg.video`` are thin entry points into it.

``build_parser``, ``config_from_args`` and ``train_main`` are the ``train`` subcommand's
(``ctpg.cli.train``), named here because they are the ones other programs call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from ctpg.cli import export, plot, sweep, video
from ctpg.cli.train import build_parser, config_from_args, train_main

__all__ = ["build_parser", "config_from_args", "main", "train_main"]

_USAGE = """usage: ctpg train [options]     train or resume a run (ctpg train --help)
       ctpg sweep --out DIR [grid options] [train options]
                                 a grid of runs on Ray (ctpg sweep --help)
       ctpg plot PATH... [--out DIR]     figures of runs, grouped by method over seeds
       ctpg export RUN_DIR [--out PATH]   write a run's policy as TorchScript
       ctpg video RUN_DIR [--out FILE.mp4]   a video of a run's policies"""

COMMANDS: dict[str, Callable[[list[str], str], int]] = {
    "train": lambda argv, prog: train_main(argv, prog=prog),
    "sweep": lambda argv, prog: sweep.sweep_main(argv, prog=prog),
    "plot": lambda argv, prog: plot.main(argv, prog=prog),
    "export": lambda argv, prog: export.main(argv, prog=prog),
    "video": lambda argv, prog: video.main(argv, prog=prog),
}


def main(argv: list[str] | None = None) -> int:
    """``ctpg <command> ...``: ``train``, ``sweep``, ``plot``, ``export`` or ``video``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]](argv[1:], f"ctpg {argv[0]}")
    print(_USAGE)
    return 0 if argv and argv[0] in ("-h", "--help") else 2
