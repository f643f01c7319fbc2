"""Torch-facing wrapper of the C++ per-task replay buffer.

``TorchReplay`` owns a ``ReplayBuffer`` and turns the numpy dicts it samples into
tensors on the training device. On CUDA the host arrays are copied into pinned memory and
moved with ``non_blocking=True`` so that the copy overlaps with queued GPU work; on CPU the
tensors share memory with the sampled numpy arrays (no copy).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ctpg._core import ReplayBuffer
from ctpg.config import ReplayConfig


def to_tensors(arrays: dict[str, np.ndarray], device: torch.device) -> dict[str, torch.Tensor]:
    """Convert a dict of numpy arrays to tensors on ``device``."""
    out: dict[str, torch.Tensor] = {}
    cuda = device.type == "cuda"
    for key, value in arrays.items():
        tensor = torch.from_numpy(np.ascontiguousarray(value))
        if cuda:
            tensor = tensor.pin_memory().to(device, non_blocking=True)
        out[key] = tensor
    return out


class TorchReplay:
    """Per-task replay with tensor batches: control batches, guide segments, priorities."""

    def __init__(
        self,
        cfg: ReplayConfig,
        num_tasks: int,
        obs_dim: int,
        action_dim: int,
        guide_step: int,
        seed: int,
        device: torch.device,
    ) -> None:
        self.num_tasks = num_tasks
        self.device = device
        self.prioritized = cfg.kind == "prioritized"
        capacity = max(cfg.capacity // num_tasks, 1)
        self.buffer = ReplayBuffer(
            num_tasks=num_tasks,
            capacity_per_task=capacity,
            obs_dim=obs_dim,
            action_dim=action_dim,
            guide_step=guide_step,
            prioritized=self.prioritized,
            alpha=cfg.alpha,
            beta=cfg.beta,
            seed=seed,
        )

    def add(
        self,
        obs: np.ndarray,
        action: np.ndarray,
        reward: np.ndarray,
        next_obs: np.ndarray,
        terminated: np.ndarray,
        truncated: np.ndarray,
        behaviour: np.ndarray,
        guide_begin: np.ndarray,
    ) -> None:
        """Store one transition per task (leading dimension = task)."""
        self.buffer.add(
            obs, action, reward, next_obs, terminated, truncated, behaviour, guide_begin
        )

    def sizes(self) -> np.ndarray:
        """Stored transitions per task."""
        return np.asarray(self.buffer.sizes())

    def sample(self, batch_per_task: int) -> dict[str, torch.Tensor]:
        """Control batch: ``batch_per_task`` rows of every task, grouped by task."""
        return to_tensors(self.buffer.sample(batch_per_task), self.device)

    def sample_segments(self, batch_per_task: np.ndarray) -> dict[str, torch.Tensor]:
        """Guide batch: K-step segments, ``batch_per_task[t]`` of task t (0 skips it)."""
        counts = np.ascontiguousarray(batch_per_task, dtype=np.int64)
        return to_tensors(self.buffer.sample_segments(counts), self.device)

    def update_priorities(
        self, task: torch.Tensor, index: torch.Tensor, td_error: torch.Tensor
    ) -> None:
        """Prioritized replay: set the priorities of sampled rows from |TD error|."""
        if not self.prioritized:
            return
        priority = td_error.detach().abs().float().cpu().numpy() + 1e-6
        self.buffer.update_priorities(
            task.cpu().numpy().astype(np.int64),
            index.cpu().numpy().astype(np.int64),
            priority.astype(np.float32),
        )

    def save(self, path: str | Path) -> None:
        """Write the buffer (contents and sampling RNG) to one file."""
        self.buffer.save(path)

    def load(self, path: str | Path) -> None:
        """Replace the buffer by the one saved at ``path``."""
        self.buffer = ReplayBuffer.load(path)
