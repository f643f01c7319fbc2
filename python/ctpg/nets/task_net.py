"""The interface every task-conditioned network implements."""

from __future__ import annotations

import torch
from torch import Tensor, nn


class TaskNet(nn.Module):
    """Interface of a task-conditioned network."""

    num_tasks: int
    rows_traceable: bool = True
    """Whether ``forward`` has no data-dependent shapes (it does not group the rows by task),
    so that ``torch.jit.trace`` records it for any batch. Networks that group rows set it
    False; traced (exported) policies evaluate them through ``forward_all``."""

    def forward_all(self, x: Tensor) -> Tensor:
        """Every task for every row: [N, in] -> [N, T, out] (one forward over N * T rows)."""
        n, t = x.shape[0], self.num_tasks
        rows = x.unsqueeze(1).expand(n, t, x.shape[1]).reshape(n * t, x.shape[1])
        task = torch.arange(t, device=x.device).repeat(n)
        return self(rows, task).reshape(n, t, -1)
