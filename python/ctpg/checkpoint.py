"""Checksummed, atomic checkpoints of a run: ``<run>/checkpoints/checkpoint-<step>.pt``.

A checkpoint is two files. The replay buffer goes to ``replay-<step>.bin`` (the replay
file format carries its own checksum); the state dict (networks, optimizers, temperatures,
scheduler, RNG states, counters) goes to ``checkpoint-<step>.pt`` and names its replay
file. Both are written to a temporary name, flushed to disk and renamed, the replay file
first. Only then are checkpoints older than the last two deleted, so a crash or a full
disk at any moment leaves the previous checkpoints usable.

``checkpoint-<step>.pt`` is a 48-byte header (magic ``CTPGCKPT``, payload length, SHA-256
of the payload) followed by the ``torch.save`` payload. ``load_latest`` verifies the
newest checkpoint and its replay file and falls back to the previous one, saying so, when
either is damaged or truncated.
"""

from __future__ import annotations

import hashlib
import io
import os
import random
import struct
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ctpg.rundir import CHECKPOINT_NAME, REPLAY_NAME, RunDir, checkpoint_name, replay_name

KEEP = 2  # checkpoints kept on disk
_MAGIC = b"CTPGCKPT"
_HEADER = struct.Struct("<8sQ32s")  # magic, payload bytes, sha256 of the payload


def checkpoint_step(path: Path) -> int:
    """The training step of a checkpoint file (from its name)."""
    match = CHECKPOINT_NAME.fullmatch(path.name)
    if match is None:
        raise ValueError(f"path: {path} is not named checkpoint-<step>.pt")
    return int(match.group(1))


def checkpoint_dir(run_dir: str | Path) -> Path:
    """The folder holding a run's checkpoint files."""
    return RunDir(run_dir).checkpoints


def checkpoints(run_dir: str | Path) -> list[Path]:
    """The run's checkpoint files, newest first."""
    return RunDir(run_dir).checkpoint_files()


def has_checkpoint(run_dir: str | Path) -> bool:
    """Whether ``run_dir`` holds a checkpoint to resume from."""
    return RunDir(run_dir).has_checkpoint()


def _write_atomic(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)``, flush it to disk, rename onto ``path``; no temporary file survives."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def save_checkpoint(run_dir: str | Path, state: dict[str, Any], replay: Any, step: int) -> Path:
    """Write ``state`` and the replay buffer atomically; return the checkpoint path.

    An ``OSError`` (full disk, for example) leaves the earlier checkpoints as they were and
    is raised with the path that could not be written."""
    folder = checkpoint_dir(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    replay_file = replay_name(step)
    buffer = io.BytesIO()
    torch.save({**state, "replay_file": replay_file}, buffer)
    payload = buffer.getvalue()
    header = _HEADER.pack(_MAGIC, len(payload), hashlib.sha256(payload).digest())
    path = folder / checkpoint_name(step)

    def write_state(tmp: Path) -> None:
        with tmp.open("wb") as f:
            f.write(header)
            f.write(payload)

    try:
        _write_atomic(folder / replay_file, replay.save)
        _write_atomic(path, write_state)
    except OSError as error:
        raise OSError(
            error.errno,
            f"checkpoint: could not write step {step} into {folder} ({error}); "
            "the earlier checkpoints are intact",
        ) from error
    _prune(run_dir)
    return path


def _prune(run_dir: str | Path) -> None:
    """Delete all but the newest ``KEEP`` checkpoints, the replay files they do not name
    and any temporary file left by an interrupted write."""
    kept = checkpoints(run_dir)[:KEEP]
    keep = {p.name for p in kept} | {replay_name(checkpoint_step(p)) for p in kept}
    for old in checkpoint_dir(run_dir).iterdir():
        ours = CHECKPOINT_NAME.fullmatch(old.name) or REPLAY_NAME.fullmatch(old.name)
        if (ours and old.name not in keep) or old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The state dict of one checkpoint file; ``ValueError`` when it is damaged."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(_HEADER.size)
        if len(head) < _HEADER.size:
            raise ValueError(f"checkpoint: {path} is truncated ({len(head)} bytes, no header)")
        magic, size, digest = _HEADER.unpack(head)
        if magic != _MAGIC:
            raise ValueError(f"checkpoint: {path} is not a ctpg checkpoint (bad magic)")
        payload = f.read(size + 1)
    if len(payload) != size:
        raise ValueError(
            f"checkpoint: {path} is truncated or has trailing bytes "
            f"(payload of {len(payload)} bytes, header says {size})"
        )
    if hashlib.sha256(payload).digest() != digest:
        raise ValueError(f"checkpoint: {path} is damaged (checksum mismatch)")
    return torch.load(io.BytesIO(payload), map_location="cpu", weights_only=False)  # type: ignore[no-any-return]


def load_checkpoint(run_dir: str | Path) -> tuple[dict[str, Any], Path]:
    """The newest checkpoint's state dict and the path of its replay file."""
    found = checkpoints(run_dir)
    if not found:
        raise ValueError(f"checkpoint: no checkpoint in {checkpoint_dir(run_dir)}")
    state = read_checkpoint(found[0])
    return state, found[0].parent / state["replay_file"]


def load_latest(run_dir: str | Path, restore: Callable[[dict[str, Any], Path], None]) -> Path:
    """Call ``restore(state, replay_path)`` with the newest checkpoint that loads.

    A damaged or truncated checkpoint (or replay file) is skipped with a message on stderr
    naming it; ``ValueError`` when none loads. Returns the checkpoint used."""
    problems = []
    for path in checkpoints(run_dir):
        try:
            state = read_checkpoint(path)
            restore(state, path.parent / state["replay_file"])
        except (ValueError, OSError, RuntimeError, KeyError) as error:
            problems.append(f"{path.name}: {error}")
            continue
        if problems:
            print(
                f"checkpoint: skipped {'; '.join(problems)}; resuming from {path}",
                file=sys.stderr,
            )
        return path
    detail = "; ".join(problems) or "none found"
    raise ValueError(f"resume: no usable checkpoint in {checkpoint_dir(run_dir)} ({detail})")


def rng_state(generator: np.random.Generator) -> dict[str, Any]:
    """torch, numpy (the trainer's generator) and Python ``random`` states."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "numpy": generator.bit_generator.state,
        "python": random.getstate(),
    }


def restore_rng(state: dict[str, Any], generator: np.random.Generator) -> None:
    """Inverse of ``rng_state``."""
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    generator.bit_generator.state = state["numpy"]
    random.setstate(state["python"])
