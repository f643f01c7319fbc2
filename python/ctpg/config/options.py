"""What makes a config field a command-line option: the metadata a field may carry.

Every scalar or tuple field of the config tree is a ``ctpg train`` option without any
further edit (``ctpg.cli.options`` walks the fields and takes each field's docstring as its
help). A field's ``metadata`` may refine it through ``option(...)``:

- ``flags``: the option's names (default: the field's path, ``agent`` left out, with ``-``:
  ``--env-backend``, ``--sac-gamma``, ``--seed``);
- ``on_resume``: ``"fixed"`` (default: the option defines the run; with ``--resume`` it may be
  repeated with the run's own value but not changed) or ``"may change"``;
- ``choices``: the accepted strings of a ``str`` field;
- ``requires``: ``(path, value)``: the option only applies when the resolved config has
  ``value`` at ``path`` (``--num-threads`` needs ``env.backend == "native"``);
- ``also``: paths that take the same value unless given themselves (``--batch-size`` sets the
  guide's batch too);
- ``const``: the value of the flag given alone (``--compile`` means ``--compile on``);
- ``cli=False``: not an option.

A config class may set ``OPTION_REQUIRES`` (a ``(path, value)`` pair) for all its fields.
"""

from __future__ import annotations

from typing import Any

OPTION_KEY = "ctpg.option"


def option(
    *flags: str,
    on_resume: str = "fixed",
    choices: tuple[str, ...] | None = None,
    requires: tuple[str, Any] | None = None,
    also: tuple[str, ...] = (),
    const: Any = None,
    cli: bool = True,
) -> dict[str, Any]:
    """The ``metadata`` of a config field that refines its command-line option."""
    if on_resume not in ("fixed", "may change"):
        raise ValueError(f"on_resume: expected 'fixed' or 'may change', got {on_resume!r}")
    spec = {
        "flags": flags,
        "on_resume": on_resume,
        "choices": choices,
        "requires": requires,
        "also": also,
        "const": const,
        "cli": cli,
    }
    return {OPTION_KEY: spec}
