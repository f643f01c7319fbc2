"""Live terminal display of a run: step, steps/s, ETA, latest success, a per-task line.

Uses ``rich`` when standard output is a terminal; otherwise (pipes, CI, tests) it is off
and costs nothing.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

REFRESH_STEPS = 50


def _short(name: str) -> str:
    return name.removesuffix("-v3").removeprefix("halfcheetah-")


class Progress:
    """Context manager; call ``update(step)`` every step and ``evaluated(row)`` per evaluation."""

    def __init__(
        self, total: int, start: int, task_names: list[str], enabled: bool | None = None
    ) -> None:
        self.enabled = sys.stdout.isatty() if enabled is None else enabled
        self.total, self.start = total, start
        self.task_names = task_names
        self.started = time.perf_counter()
        self.row: dict[str, float] = {}
        self.live: Any = None

    def __enter__(self) -> Progress:
        if self.enabled:
            from rich.live import Live

            self.live = Live(self._render(self.start), refresh_per_second=4, transient=False)
            self.live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.live is not None:
            self.live.__exit__(exc_type, exc, tb)
            self.live = None

    def update(self, step: int) -> None:
        """Refresh the display (every few steps)."""
        if self.live is not None and (step % REFRESH_STEPS == 0 or step == self.total):
            self.live.update(self._render(step))

    def evaluated(self, step: int, row: dict[str, float]) -> None:
        """Show the latest evaluation."""
        self.row = row
        self.update(step)

    def _render(self, step: int) -> Any:
        from rich.text import Text

        elapsed = time.perf_counter() - self.started
        sps = (step - self.start) / elapsed if elapsed > 0 else 0.0
        eta = (self.total - step) / sps if sps > 0 else float("nan")
        text = Text()
        text.append(f"step {step}/{self.total}  ", style="bold")
        text.append(f"{sps:7.1f} steps/s  ETA {_clock(eta)}")
        if self.row:
            text.append(f"  success {self.row.get('eval/success', 0.0):.2f}", style="green")
            text.append(f"  return {self.row.get('eval/return', 0.0):.1f}")
            tasks = [
                f"{_short(n)} {self.row.get(f'eval/{n}/success', 0.0):.2f}" for n in self.task_names
            ]
            text.append("\n" + "  ".join(tasks), style="dim")
        return text


def _clock(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "--:--"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
