"""The layout of a run directory, and the lock that makes one process its owner.

A run directory holds::

    config.yaml        the resolved TrainConfig
    metrics.csv        one row per evaluation
    train.log          the output of a sweep's trial
    checkpoints/       checkpoint-<step>.pt and replay-<step>.bin (10-digit steps)
    plots/             figures
    videos/            training and evaluation videos
    tensorboard/       TensorBoard events
    .lock              held (flock) by the process training in the directory

This module is the only one that spells these names: the others ask a ``RunDir`` for its
paths. ``RunDir.lock()`` takes an exclusive ``flock`` on ``.lock`` and writes the holder's pid
and command line into it. The kernel drops the lock when the holding process dies, however it
dies (``kill -9`` included), so a lock is never stale; the file itself stays (deleting a
lock file races with a process opening it) and never counts as a run.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shlex
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ctpg.config import TrainConfig

CONFIG_FILE = "config.yaml"
METRICS_FILE = "metrics.csv"
LOG_FILE = "train.log"
LOCK_FILE = ".lock"
CHECKPOINTS_DIR = "checkpoints"
PLOTS_DIR = "plots"
VIDEOS_DIR = "videos"
TENSORBOARD_DIR = "tensorboard"
DEFAULT_BASE = "runs"  # where default run directories go, relative to the working directory

CHECKPOINT_NAME = re.compile(r"checkpoint-(\d{10})\.pt")
REPLAY_NAME = re.compile(r"replay-(\d{10})\.bin")


def checkpoint_name(step: int) -> str:
    """``checkpoint-<step>.pt`` with the step in 10 digits."""
    if step < 0:
        raise ValueError(f"step: expected a step >= 0, got {step}")
    return f"checkpoint-{step:010d}.pt"


def replay_name(step: int) -> str:
    """``replay-<step>.bin`` with the step in 10 digits (the replay file of a checkpoint)."""
    if step < 0:
        raise ValueError(f"step: expected a step >= 0, got {step}")
    return f"replay-{step:010d}.bin"


class RunInUseError(ValueError):
    """The run directory is locked by another process (or another lock of this one)."""

    def __init__(self, path: Path, pid: int | None, command: str) -> None:
        self.path = path
        self.pid = pid
        self.command = command
        holder = f"process {pid}" if pid is not None else "another process"
        if command:
            holder += f" ({command})"
        super().__init__(f"run_dir: {path} is in use by {holder}")


@dataclass(frozen=True)
class RunDir:
    """A run directory: the paths inside it, its start checks and its lock.

    ``RunDir("runs/x")`` accepts a ``str`` or a ``Path``; ``os.fspath(run)`` and ``str(run)``
    give the folder, so a RunDir can go wherever a path is expected."""

    path: Path

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if not str(path):
            raise ValueError("path: expected a run directory, got an empty path")
        object.__setattr__(self, "path", Path(path))

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __str__(self) -> str:
        return str(self.path)

    @property
    def config(self) -> Path:
        """``config.yaml``: the resolved training config."""
        return self.path / CONFIG_FILE

    @property
    def metrics(self) -> Path:
        """``metrics.csv``: one row per evaluation."""
        return self.path / METRICS_FILE

    @property
    def checkpoints(self) -> Path:
        """``checkpoints/``: checkpoint and replay files."""
        return self.path / CHECKPOINTS_DIR

    @property
    def plots(self) -> Path:
        """``plots/``: figures of the run."""
        return self.path / PLOTS_DIR

    @property
    def videos(self) -> Path:
        """``videos/``: training and evaluation videos."""
        return self.path / VIDEOS_DIR

    @property
    def tensorboard(self) -> Path:
        """``tensorboard/``: TensorBoard event files."""
        return self.path / TENSORBOARD_DIR

    @property
    def log(self) -> Path:
        """``train.log``: the output of a sweep's trial."""
        return self.path / LOG_FILE

    @property
    def lock_file(self) -> Path:
        """``.lock``: the file ``lock()`` holds."""
        return self.path / LOCK_FILE

    def checkpoint(self, step: int) -> Path:
        """The checkpoint file of ``step``."""
        return self.checkpoints / checkpoint_name(step)

    def checkpoint_files(self) -> list[Path]:
        """The checkpoint files (``checkpoint-<10 digits>.pt``), newest first."""
        if not self.checkpoints.is_dir():
            return []
        found = [p for p in self.checkpoints.iterdir() if CHECKPOINT_NAME.fullmatch(p.name)]
        return sorted(found, key=lambda p: p.name, reverse=True)

    def has_checkpoint(self) -> bool:
        """Whether the directory holds a checkpoint to resume from."""
        return bool(self.checkpoint_files())

    def check_start(self, resume: bool) -> None:
        """ValueError unless the directory fits ``resume``: resuming needs a checkpoint, a new
        run must not start over one."""
        if resume and not self.has_checkpoint():
            raise ValueError(
                f"resume: no checkpoint to resume from in {self.checkpoints}; "
                "start without --resume or choose the run directory of an earlier run"
            )
        if not resume and self.has_checkpoint():
            raise ValueError(
                f"run_dir: {self.path} already holds a run (a checkpoint in "
                f"{self.checkpoints}); add --resume or choose another run directory"
            )

    def lock(self) -> RunLock:
        """Take the directory's lock now (creating the directory); RunInUseError when another
        holder has it. Release with ``release()`` or use it as a context manager."""
        return RunLock(self)


class RunLock:
    """An exclusive ``flock`` on a run directory's lock file, held from construction until
    ``release()`` (or the end of a ``with`` block, exception or not, or the process)."""

    def __init__(self, run_dir: RunDir) -> None:
        self.run_dir = run_dir
        run_dir.path.mkdir(parents=True, exist_ok=True)
        # O_CLOEXEC (Python's default): child processes do not inherit the lock.
        fd = os.open(run_dir.lock_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            os.close(fd)
            if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN):
                raise
            pid, command = read_holder(run_dir)
            raise RunInUseError(run_dir.path, pid, command) from None
        self._fd: int | None = fd
        os.ftruncate(fd, 0)
        command = shlex.join(_command_line()).replace("\n", "\\n")  # one line
        os.write(fd, f"{os.getpid()}\n{command}\n".encode())

    @property
    def held(self) -> bool:
        """Whether this lock is still held."""
        return self._fd is not None

    def release(self) -> None:
        """Give the lock up (again: nothing)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            os.ftruncate(fd, 0)  # the next reader sees no holder rather than this one
        finally:
            os.close(fd)  # closing the last descriptor drops the flock

    def __enter__(self) -> RunLock:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()

    def __del__(self) -> None:
        if getattr(self, "_fd", None) is not None:
            self.release()


def read_holder(run_dir: RunDir, attempts: int = 5) -> tuple[int | None, str]:
    """(pid, command) written into the lock file by its holder; ``(None, "")`` when it
    cannot be read. A holder that has just taken the lock may not have written yet, so an
    empty file is read again a few times."""
    for attempt in range(attempts):
        try:
            text = run_dir.lock_file.read_text()
        except OSError:
            return None, ""
        pid_line, _, rest = text.partition("\n")
        if pid_line.strip().isdigit():
            return int(pid_line), rest.strip()
        if attempt + 1 < attempts:
            time.sleep(0.02)
    return None, ""


def _command_line() -> list[str]:
    """The command line of this process as typed (``python -m ctpg.train ...``)."""
    return list(getattr(sys, "orig_argv", None) or sys.argv)


def default_run_dir(name: str, base: str, sharing: str, seed: int) -> RunDir:
    """``runs/<name>-<base>-<sharing>-s<seed>``."""
    return RunDir(Path(DEFAULT_BASE) / f"{name}-{base}-{sharing}-s{seed}")


def run_dir_of(cfg: TrainConfig) -> RunDir:
    """The run directory a config writes to: ``cfg.run_dir``, else the default."""
    if cfg.run_dir:
        return RunDir(cfg.run_dir)
    return default_run_dir(cfg.name, cfg.agent.net.base, cfg.agent.sharing, cfg.seed)
