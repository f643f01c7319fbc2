"""Task-conditioned backbones of the base methods (docs/algorithm.md, section 2).

Every backbone maps ``(x [N, in], task [N]) -> [N, out]`` (row n computed for
task[n]) and ``forward_all(x [N, in]) -> [N, T, out]`` (every row for every
task, in one batched pass). Multi-head and per-task networks evaluate all
tasks without repeating the shared computation; one-hot networks batch the T
one-hots into a single ``[N * T]`` forward.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ctpg.config import NetConfig
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

    rows_traceable = False  # wide heads group the rows by task

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

    rows_traceable = False

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


class TaskEmbedding(nn.Module):
    """PaCo's task encoder: one learned composition vector w_t per task, [T, K].

    One instance is shared by the actor and both critics (and the target critics read it
    too), as the reference's single task encoder. Initialised xavier-uniform like the
    reference's ``nn.Embedding``. ``detached()`` makes readers see it without gradient
    (the critic inside the actor loss does, as in the reference).
    """

    def __init__(self, num_tasks: int, num_sets: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_tasks, num_sets))
        nn.init.xavier_uniform_(self.weight)
        self._detach = False

    def forward(self) -> Tensor:
        return self.weight.detach() if self._detach else self.weight

    @contextlib.contextmanager
    def detached(self) -> Iterator[None]:
        """Within the block, ``forward`` returns the weights without gradient."""
        previous, self._detach = self._detach, True
        try:
            yield
        finally:
            self._detach = previous

    @torch.no_grad()
    def reset_tasks(self, reset: Tensor) -> None:
        """PaCo's extreme-task reset: each w_i of a ``reset`` task (bool [T]) becomes a
        random convex combination of the w of the other tasks (uniform coefficients,
        normalised to sum 1); when every task is reset, all are redrawn xavier-uniform."""
        if not bool(reset.any()):
            return
        keep = ~reset
        if not bool(keep.any()):
            nn.init.xavier_uniform_(self.weight)
            return
        coeff = torch.rand(int(reset.sum()), int(keep.sum())).to(self.weight)
        coeff = coeff / coeff.sum(dim=1, keepdim=True).clamp_min(1e-12)
        self.weight[reset] = coeff @ self.weight[keep]


class PacoNet(TaskNet):
    """``paco``: ``paco_layers`` compositional hidden layers of width ``paco_width`` and a
    compositional output layer; task t applies sum_k w_tk (W_k x + b_k) in every layer.

    The composition vectors come from a ``TaskEmbedding`` that may be shared with other
    networks (``embedding``); without one the network owns its own.
    """

    rows_traceable = False

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        num_tasks: int,
        hidden: tuple[int, ...],
        num_sets: int,
        embedding: TaskEmbedding | None = None,
    ) -> None:
        super().__init__()
        self.num_tasks = num_tasks
        dims = (in_dim, *hidden, out_dim)
        self.layers: list[CompositionalLinear] = nn.ModuleList(  # type: ignore[assignment]
            CompositionalLinear(num_sets, a, b) for a, b in zip(dims[:-1], dims[1:], strict=True)
        )
        self.embedding = TaskEmbedding(num_tasks, num_sets) if embedding is None else embedding

    def _run(self, x: Tensor, shared_input: bool) -> Tensor:
        composition = self.embedding()
        for i, layer in enumerate(self.layers):
            weight, bias = layer.compose(composition)
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


def build_task_net(
    cfg: NetConfig,
    in_dim: int,
    out_dim: int,
    num_tasks: int,
    embedding: TaskEmbedding | None = None,
) -> TaskNet:
    """The backbone of ``cfg.base`` with input ``in_dim`` and output ``out_dim``.

    ``embedding``: PaCo's shared task encoder (ignored by the other bases).
    """
    if cfg.base in ("mtsac", "pcgrad"):
        return OneHotNet(in_dim, out_dim, num_tasks, cfg.hidden)
    if cfg.base == "mhsac":
        return MultiHeadNet(in_dim, out_dim, num_tasks, cfg.hidden)
    if cfg.base == "single":
        return SingleNet(in_dim, out_dim, num_tasks, cfg.hidden)
    if cfg.base == "paco":
        hidden = (cfg.paco_width,) * cfg.paco_layers
        return PacoNet(in_dim, out_dim, num_tasks, hidden, cfg.paco_k, embedding)
    if cfg.base == "sm":
        return SoftModularNet(in_dim, out_dim, num_tasks, cfg)
    raise ValueError(f"base: unknown base method {cfg.base!r}")
