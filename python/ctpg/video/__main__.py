"""``python -m ctpg.video``: the command line's ``ctpg video``."""

import sys

from ctpg.cli.video import main

sys.exit(main(prog="python -m ctpg.video"))
