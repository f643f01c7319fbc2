"""Atomic checkpoints of a run: ``<run>/checkpoints/checkpoint.pt`` + ``replay-<step>.bin``.

A checkpoint is two files. The replay buffer goes to ``replay-<step>.bin`` (written to a
temporary name, then renamed); the state dict (networks, optimizers, temperatures, scheduler,
RNG states, counters) goes to ``checkpoint.pt`` the same way and names its replay file.
Only then are older replay files deleted, so a crash at any moment leaves a consistent
pair on disk: the previous checkpoint or the new one.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import torch

CHECKPOINT = "checkpoint.pt"


def checkpoint_dir(run_dir: str | Path) -> Path:
    """The folder holding a run's checkpoint files."""
    return Path(run_dir) / "checkpoints"


def has_checkpoint(run_dir: str | Path) -> bool:
    """Whether ``run_dir`` holds a checkpoint to resume from."""
    return (checkpoint_dir(run_dir) / CHECKPOINT).is_file()


def save_checkpoint(run_dir: str | Path, state: dict[str, Any], replay: Any, step: int) -> Path:
    """Write ``state`` and the replay buffer atomically; return the checkpoint path."""
    folder = checkpoint_dir(run_dir)
    folder.mkdir(parents=True, exist_ok=True)
    replay_name = f"replay-{step:010d}.bin"
    tmp = folder / (replay_name + ".tmp")
    replay.save(tmp)
    os.replace(tmp, folder / replay_name)
    path = folder / CHECKPOINT
    tmp = folder / (CHECKPOINT + ".tmp")
    torch.save({**state, "replay_file": replay_name}, tmp)
    os.replace(tmp, path)
    for old in folder.glob("replay-*.bin"):
        if old.name != replay_name:
            old.unlink()
    return path


def load_checkpoint(run_dir: str | Path) -> tuple[dict[str, Any], Path]:
    """The saved state dict and the path of its replay file."""
    folder = checkpoint_dir(run_dir)
    state = torch.load(folder / CHECKPOINT, map_location="cpu", weights_only=False)
    return state, folder / state["replay_file"]


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
