"""Soft modularization (Yang et al. 2020) as a task-conditioned backbone.

Computed as the reference implementation (mtrl ``soft_modularization.py``) computes it:

- observation MLP: ``sm_obs_layers`` linear layers with ReLU between them and none after
  (2 for MetaWorld, 1 for HalfCheetah) -> h, width E;
- task embedding: one linear layer on one-hot(task) -> e, width E (no activation);
- routing input z = e * h, projected to width R: u = W(relu(z));
- routing logits: p_0 = D_0(relu(u)); p_l = D_l(relu(U_l(p_{l-1}) * u)) for l >= 1, where
  p_{l-1} are the previous layer's logits (not its softmax). Layers 0 .. L-2 give M x M
  logits (row j: how module j of layer l + 1 mixes the modules of layer l), the last
  layer a 1 x M vector; each is turned into weights by a softmax over its last axis;
- modules: every module of layer 0 reads h; module layer l computes relu(W_lm x + b_lm)
  for each of its M modules and the routing weights of layer l mix those outputs into
  the inputs of layer l + 1; the last routing vector mixes them into one vector, which
  a final linear layer maps to the output.

All M modules of a layer are one einsum; every weight starts xavier-uniform with zero bias.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ctpg.config import NetConfig
from ctpg.nets.layers import linear, mlp, xavier_stack
from ctpg.nets.task_net import TaskNet


class ModuleLayer(nn.Module):
    """M parallel linear modules: weight [M, in, out]."""

    def __init__(self, num_modules: int, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(xavier_stack(num_modules, in_dim, out_dim))
        self.bias = nn.Parameter(torch.zeros(num_modules, out_dim))

    def forward(self, x: Tensor) -> Tensor:
        """x [N, in] (same input for every module) or [N, M, in] -> [N, M, out]."""
        if x.dim() == 2:
            return torch.einsum("ni,mio->nmo", x, self.weight) + self.bias
        return torch.einsum("nmi,mio->nmo", x, self.weight) + self.bias


class RoutingNet(nn.Module):
    """Routing input z [N, E] -> L routing weights: L - 1 of [N, M, M], then [N, M]."""

    def __init__(self, width: int, routing: int, num_modules: int, num_layers: int) -> None:
        super().__init__()
        m = num_modules
        self.num_modules = m
        self.project = linear(width, routing)
        self.down = nn.ModuleList(
            [linear(routing, m * m) for _ in range(num_layers - 1)] + [linear(routing, m)]
        )
        self.up = nn.ModuleList(linear(m * m, routing) for _ in range(num_layers - 1))

    def forward(self, z: Tensor) -> list[Tensor]:
        n, m = z.shape[0], self.num_modules
        u = self.project(F.relu(z))
        logits = self.down[0](F.relu(u))
        weights = [F.softmax(logits.view(n, m, m), dim=-1)]
        for up, down in zip(self.up, self.down[1:], strict=True):
            logits = down(F.relu(up(logits) * u))
            weights.append(F.softmax(logits.view(n, -1, m), dim=-1))
        weights[-1] = weights[-1].squeeze(1)
        return weights


class SoftModularNet(TaskNet):
    """``sm`` backbone; sizes from ``NetConfig.sm_*``."""

    def __init__(self, in_dim: int, out_dim: int, num_tasks: int, cfg: NetConfig) -> None:
        super().__init__()
        self.num_tasks = num_tasks
        width, m, layers = cfg.sm_width, cfg.sm_modules, cfg.sm_layers
        module_width = cfg.sm_module_width
        self.obs_net = mlp(in_dim, (width,) * (cfg.sm_obs_layers - 1), width)
        self.task_net = linear(num_tasks, width)
        self.routing = RoutingNet(width, cfg.sm_routing_width, m, layers)
        self.modules_ = nn.ModuleList(
            [ModuleLayer(m, width, module_width)]
            + [ModuleLayer(m, module_width, module_width) for _ in range(layers - 1)]
        )
        self.out = linear(module_width, out_dim)

    def forward(self, x: Tensor, task: Tensor) -> Tensor:
        h = self.obs_net(x)
        e = self.task_net(F.one_hot(task, self.num_tasks).to(x.dtype))
        *mixing, last = self.routing(e * h)
        outs = F.relu(self.modules_[0](h))
        for w, layer in zip(mixing, self.modules_[1:], strict=True):
            outs = F.relu(layer(torch.einsum("nji,niw->njw", w, outs)))
        return self.out(torch.einsum("nm,nmw->nw", last, outs))
