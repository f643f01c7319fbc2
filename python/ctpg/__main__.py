"""``python -m ctpg``: the ``ctpg`` command (``ctpg train``, ``ctpg sweep``, ...)."""

import sys

from ctpg.cli import main

sys.exit(main())
