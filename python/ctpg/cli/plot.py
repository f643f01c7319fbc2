"""``ctpg plot PATH... [--out DIR] [--metric success|return]`` (also ``python -m ctpg.plot``):
figures of runs, grouped by method over seeds (``ctpg.plot``)."""

from __future__ import annotations

import argparse

from ctpg.cli.args import refuse
from ctpg.plot import plot_paths


def build_parser(prog: str = "ctpg plot") -> argparse.ArgumentParser:
    """The ``plot`` options."""
    parser = argparse.ArgumentParser(
        prog=prog, description="Figures of runs, grouped by method over seeds."
    )
    parser.add_argument(
        "paths", nargs="+", metavar="PATH", help="run directories or folders of them"
    )
    parser.add_argument("--out", help="output folder (default <first PATH>/plots)")
    parser.add_argument(
        "--metric",
        choices=["success", "return"],
        help="headline metric (default: return for HalfCheetah runs, else success)",
    )
    return parser


def main(argv: list[str] | None = None, prog: str = "ctpg plot") -> int:
    """Parse ``argv``, draw the figures, print each file."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    try:
        paths = plot_paths(args.paths, args.out, args.metric)
    except ValueError as error:
        refuse(parser, error)
    for path in paths:
        print(path)
    return 0
