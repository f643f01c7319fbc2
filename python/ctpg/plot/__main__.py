"""``python -m ctpg.plot``: the command line's ``ctpg plot``."""

import sys

from ctpg.cli.plot import main

sys.exit(main(prog="python -m ctpg.plot"))
