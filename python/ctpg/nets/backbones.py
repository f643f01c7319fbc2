"""Task-conditioned backbones of the base methods (ALGORITHM.md 2).

Every backbone maps ``(x [N, in], task [N]) -> [N, out]`` (row n computed for
task[n]) and ``forward_all(x [N, in]) -> [N, T, out]`` (every row for every
task, in one batched pass). Multi-head and per-task networks evaluate all
tasks without repeating the shared computation; one-hot networks batch the T
one-hots into a single ``[N * T]`` forward.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ctpg.algo.config import NetConfig
from ctpg.nets.layers import BatchedLinear, BatchedMLP, CompositionalLinear, TaskGroups, mlp
from ctpg.nets.soft_modular import SoftModularNet
from ctpg.nets.task_net import TaskNet


class OneHotNet(TaskNet):
    """``mtsac`` / ``pcgrad``: one MLP on x ++ one-hot(task)."""

    def __init__(self, in_dim: int, out_dim: int, num_tasks: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.num_tasks = num_tasks
        self.body = mlp(in_dim + num_tasks, hidden, out_dim)

    def forward(self, x: Tensor, task: Tensor) -> Tensor:
        onehot = F.one_hot(task, self.num_tasks).to(x.dtype)
        return self.body(torch.cat([x, onehot], dim=-1))


class MultiHeadNet(TaskNet):
    """``mhsac``: shared ReLU trunk, one linear head per task (weights [T, H, out])."""

    def __init__(self, in_dim: int, out_dim: int, num_tasks: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.num_tasks = num_tasks
        self.trunk = nn.Sequential(mlp(in_dim, hidden[:-1], hidden[-1]), nn.ReLU())
        self.heads = BatchedLinear(num_tasks, hidden[-1], out_dim)

    def forward(self, x: Tensor, task: Tensor) -> Tensor:
        return self.heads.forward_rows(self.trunk(x), task)

    def forward_all(self, x: Tensor) -> Tensor:
        return self.heads.forward_shared(self.trunk(x))


class SingleNet(TaskNet):
    """``single``: T independent MLPs, evaluated as batched layers."""

    def __init__(self, in_dim: int, out_dim: int, num_tasks: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.num_tasks = num_tasks
        self.body = BatchedMLP(num_tasks, in_dim, hidden, out_dim)

    def forward(self, x: Tensor, task: Tensor) -> Tensor:
        groups = TaskGroups(task, self.num_tasks)
        return groups.unpack(self.body(groups.pack(x)))

    def forward_all(self, x: Tensor) -> Tensor:
        shared = x.unsqueeze(0).expand(self.num_tasks, *x.shape)
        return self.body(shared).transpose(0, 1)


class PacoNet(TaskNet):
    """``paco``: every layer holds K parameter sets; task t uses sum_k w_tk (W_k x + b_k).

    One composition vector w_t per task and network (PaCo's task embedding),
    initialised as a random convex combination (uniform on the simplex).
    """

    def __init__(
        self, in_dim: int, out_dim: int, num_tasks: int, hidden: tuple[int, ...], num_sets: int
    ) -> None:
        super().__init__()
        self.num_tasks = num_tasks
        dims = (in_dim, *hidden, out_dim)
        self.layers: list[CompositionalLinear] = nn.ModuleList(  # type: ignore[assignment]
            CompositionalLinear(num_sets, a, b) for a, b in zip(dims[:-1], dims[1:], strict=True)
        )
        self.composition = nn.Parameter(_random_simplex(num_tasks, num_sets))

    def _run(self, x: Tensor, shared_input: bool) -> Tensor:
        for i, layer in enumerate(self.layers):
            weight, bias = layer.compose(self.composition)
            if shared_input and i == 0:
                x = torch.einsum("ni,tio->tno", x, weight) + bias.unsqueeze(1)
            else:
                x = torch.baddbmm(bias.unsqueeze(1), x, weight)
            if i < len(self.layers) - 1:
                x = torch.relu(x)
        return x

    def forward(self, x: Tensor, task: Tensor) -> Tensor:
        groups = TaskGroups(task, self.num_tasks)
        return groups.unpack(self._run(groups.pack(x), shared_input=False))

    def forward_all(self, x: Tensor) -> Tensor:
        return self._run(x, shared_input=True).transpose(0, 1)

    @torch.no_grad()
    def reset_tasks(self, reset: Tensor) -> None:
        """Re-initialise w_i of tasks in ``reset`` (bool [T]) as random convex
        combinations of the w of the tasks not reset; no-op if every task is reset."""
        keep = ~reset
        if not bool(reset.any()) or not bool(keep.any()):
            return
        coeff = _random_simplex(int(reset.sum()), int(keep.sum())).to(self.composition)
        self.composition[reset] = coeff @ self.composition[keep]


def _random_simplex(rows: int, size: int) -> Tensor:
    """Rows drawn uniformly from the probability simplex (Dirichlet(1))."""
    e = -torch.log(torch.rand(rows, size).clamp_min(1e-12))
    return e / e.sum(dim=1, keepdim=True)


def build_task_net(cfg: NetConfig, in_dim: int, out_dim: int, num_tasks: int) -> TaskNet:
    """The backbone of ``cfg.base`` with input ``in_dim`` and output ``out_dim``."""
    if cfg.base in ("mtsac", "pcgrad"):
        return OneHotNet(in_dim, out_dim, num_tasks, cfg.hidden)
    if cfg.base == "mhsac":
        return MultiHeadNet(in_dim, out_dim, num_tasks, cfg.hidden)
    if cfg.base == "single":
        return SingleNet(in_dim, out_dim, num_tasks, cfg.hidden)
    if cfg.base == "paco":
        return PacoNet(in_dim, out_dim, num_tasks, cfg.hidden, cfg.paco_k)
    if cfg.base == "sm":
        return SoftModularNet(in_dim, out_dim, num_tasks, cfg)
    raise ValueError(f"base: unknown base method {cfg.base!r}")
