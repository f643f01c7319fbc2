"""Batched per-task layers: every task's weights in one tensor, applied with one bmm/einsum.

Rows of a batch may belong to any task. ``TaskGroups`` packs such a batch into
a padded ``[T, rows, ...]`` tensor (one sort, one scatter) so that per-task
weights ``[T, in, out]`` are applied with a single ``bmm`` and the result is
scattered back to the original row order.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


def task_counts(task: Tensor, num_tasks: int) -> Tensor:
    """Rows per task, LongTensor [T]: ``torch.bincount`` as a scatter-add, which
    ``torch.compile`` lowers into its own kernels (bincount stays an eager fallback).
    The sum is in int32 (exact below 2**31 rows): inductor runs an int64 scatter-add as
    an eager ATen call."""
    counts = torch.zeros(num_tasks, dtype=torch.int32, device=task.device)
    ones = torch.ones(task.shape, dtype=torch.int32, device=task.device)
    return counts.index_add(0, task, ones).long()


class TaskGroups:
    """Index bookkeeping that groups the rows of a batch by task.

    Args:
        task: LongTensor [N] with values in [0, num_tasks).
        num_tasks: T.
    """

    def __init__(self, task: Tensor, num_tasks: int) -> None:
        counts = task_counts(task, num_tasks)
        self.num_tasks = num_tasks
        if torch.compiler.is_compiling():
            # a static bound instead of a host read: each task's block has room for every row
            self.rows = task.numel()
        else:
            self.rows = int(counts.max().item()) if task.numel() > 0 else 0
        self.order = torch.argsort(task, stable=True)
        self.sorted_task = task[self.order]
        starts = torch.cumsum(counts, 0) - counts
        self.position = torch.arange(task.numel(), device=task.device) - starts[self.sorted_task]

    def pack(self, x: Tensor) -> Tensor:
        """[N, ...] -> [T, rows, ...] (zero padded)."""
        out = x.new_zeros((self.num_tasks, self.rows) + tuple(x.shape[1:]))
        return out.index_put((self.sorted_task, self.position), x[self.order])

    def unpack(self, y: Tensor) -> Tensor:
        """[T, rows, ...] -> [N, ...] in the original row order."""
        picked = y[self.sorted_task, self.position]
        return picked.new_empty(picked.shape).index_put((self.order,), picked)


_GATHER_LIMIT = 4096


def xavier_stack(count: int, in_dim: int, out_dim: int) -> Tensor:
    """``count`` weight matrices [count, in, out], each xavier-uniform on its own (in, out).

    The bound sqrt(6 / (in + out)) is that of one ``in -> out`` linear map, as the
    reference initialises every per-task, per-module and per-parameter-set matrix.
    """
    bound = math.sqrt(6.0 / (in_dim + out_dim))
    with torch.no_grad():
        return torch.empty(count, in_dim, out_dim).uniform_(-bound, bound)


def init_linear_(layer: nn.Linear) -> nn.Linear:
    """Xavier-uniform weight, zero bias (the reference's initialisation of every layer)."""
    nn.init.xavier_uniform_(layer.weight)
    if layer.bias is not None:
        nn.init.zeros_(layer.bias)
    return layer


def linear(in_dim: int, out_dim: int) -> nn.Linear:
    """``nn.Linear`` with xavier-uniform weight and zero bias."""
    return init_linear_(nn.Linear(in_dim, out_dim))


class BatchedLinear(nn.Module):
    """T independent linear layers: weight [T, in, out], bias [T, out].

    Each task's matrix starts xavier-uniform, every bias at zero.
    """

    def __init__(self, num_tasks: int, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(xavier_stack(num_tasks, in_dim, out_dim))
        self.bias = nn.Parameter(torch.zeros(num_tasks, out_dim))

    def forward(self, x: Tensor) -> Tensor:
        """x [T, B, in] -> [T, B, out]: task t's rows through task t's weights."""
        return torch.baddbmm(self.bias.unsqueeze(1), x, self.weight)

    def forward_shared(self, x: Tensor) -> Tensor:
        """x [N, in] -> [N, T, out]: every row through every task's weights."""
        return torch.einsum("ni,tio->nto", x, self.weight) + self.bias

    def forward_rows(self, x: Tensor, task: Tensor) -> Tensor:
        """x [N, in], task [N] -> [N, out]: row n through task[n]'s weights.

        Narrow heads (T * out <= 4096) compute every task's output with one matrix
        product and pick each row's (no host sync, no per-row weight copies); wider
        layers group the rows by task and use one bmm.
        """
        num_tasks, in_dim, out_dim = self.weight.shape
        if num_tasks * out_dim <= _GATHER_LIMIT:
            flat = self.weight.permute(1, 0, 2).reshape(in_dim, num_tasks * out_dim)
            every = torch.addmm(self.bias.reshape(-1), x, flat).view(-1, num_tasks, out_dim)
            index = task.view(-1, 1, 1).expand(-1, 1, out_dim)
            return every.gather(1, index).squeeze(1)
        groups = TaskGroups(task, num_tasks)
        return groups.unpack(self.forward(groups.pack(x)))


class BatchedMLP(nn.Module):
    """T independent MLPs (ReLU between layers) evaluated as batched layers."""

    def __init__(self, num_tasks: int, in_dim: int, hidden: tuple[int, ...], out_dim: int) -> None:
        super().__init__()
        dims = (in_dim, *hidden, out_dim)
        self.layers = nn.ModuleList(
            BatchedLinear(num_tasks, a, b) for a, b in zip(dims[:-1], dims[1:], strict=True)
        )

    def forward(self, x: Tensor) -> Tensor:
        """x [T, B, in] -> [T, B, out]."""
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x


class CompositionalLinear(nn.Module):
    """PaCo layer: K shared parameter sets; task weights are w_t-combinations of them.

    Applying sum_k w_tk (W_k x + b_k) equals applying the composed weights
    sum_k w_tk W_k and bias sum_k w_tk b_k, which is what ``compose`` returns.
    """

    def __init__(self, num_sets: int, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(xavier_stack(num_sets, in_dim, out_dim))
        self.bias = nn.Parameter(torch.zeros(num_sets, out_dim))

    def compose(self, w: Tensor) -> tuple[Tensor, Tensor]:
        """w [T, K] -> (weight [T, in, out], bias [T, out])."""
        return torch.einsum("tk,kio->tio", w, self.weight), w @ self.bias


def mlp(in_dim: int, hidden: tuple[int, ...], out_dim: int) -> nn.Sequential:
    """Plain ReLU MLP (no activation after the last layer), xavier-initialised."""
    dims = (in_dim, *hidden)
    layers: list[nn.Module] = []
    for a, b in zip(dims[:-1], dims[1:], strict=True):
        layers += [linear(a, b), nn.ReLU()]
    layers.append(linear(dims[-1], out_dim))
    return nn.Sequential(*layers)
