"""Argument types shared by the subcommands (each raises ``ArgumentTypeError`` saying what
was expected), and the one way a subcommand reports a bad argument."""

from __future__ import annotations

import argparse
from typing import NoReturn


def positive(text: str) -> int:
    """An integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def non_negative(text: str) -> int:
    """An integer >= 0 (every integer field of the config is a count, a size or a step)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {value}")
    return value


def even_pixels(text: str) -> int:
    """An even number of pixels in [16, 4096] (H.264 frames have even sizes)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an even number of pixels, got {text!r}"
        ) from None
    if value < 16 or value > 4096 or value % 2:
        raise argparse.ArgumentTypeError(
            f"expected an even number of pixels in [16, 4096] (H.264 frames have even sizes), "
            f"got {value}"
        )
    return value


def refuse(parser: argparse.ArgumentParser, error: Exception) -> NoReturn:
    """Exit 2 with ``error`` as one line under the parser's usage."""
    parser.error(str(error))
