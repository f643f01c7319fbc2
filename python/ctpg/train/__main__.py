"""``python -m ctpg.train``: the command line's ``ctpg train``."""

import sys

from ctpg.cli.train import train_main

sys.exit(train_main())
