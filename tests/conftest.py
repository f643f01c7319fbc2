"""Helpers shared by several test folders (``array_variants``) import from here."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
