"""The one validation helper of the configs: a ``ValueError`` that names the field."""

from __future__ import annotations


def check(ok: bool, name: str, message: str) -> None:
    """Raise ``ValueError("<name>: <message>")`` unless ``ok``."""
    if not ok:
        raise ValueError(f"{name}: {message}")
