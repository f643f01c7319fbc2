"""Soft modularization (Yang et al. 2020) as a task-conditioned backbone.

Observation -> ReLU layer -> h (width E); one-hot(task) -> ReLU layer -> e
(width E); the routing input is z = e * h. A routing network turns z into an
embedding g (width R) and then into L routing weights: L - 1 softmax matrices
[M, M] (row j: how module j of the next layer mixes the modules of this layer)
and a last softmax vector [M]. Routing layer l is computed from the flattened
softmax weights of all previous routing layers (as the reference
implementation does), projected to width R and multiplied with g. Module
layer 0 applies M parallel linear maps to relu(h); module layer l > 0 applies
its M linear maps to relu(routing-weighted sums) of layer l - 1's outputs.
The last routing vector mixes the final modules into one vector, which a
linear layer maps to the output. All M modules of a layer are one einsum.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ctpg.algo.config import NetConfig
from ctpg.nets.layers import _uniform_
from ctpg.nets.task_net import TaskNet


class ModuleLayer(nn.Module):
    """M parallel linear modules: weight [M, in, out]."""

    def __init__(self, num_modules: int, in_dim: int, out_dim: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(_uniform_(torch.empty(num_modules, in_dim, out_dim), in_dim))
        self.bias = nn.Parameter(_uniform_(torch.empty(num_modules, out_dim), in_dim))

    def forward(self, x: Tensor) -> Tensor:
        """x [N, in] (same input for every module) or [N, M, in] -> [N, M, out]."""
        if x.dim() == 2:
            return torch.einsum("ni,mio->nmo", x, self.weight) + self.bias
        return torch.einsum("nmi,mio->nmo", x, self.weight) + self.bias


class SoftModularNet(TaskNet):
    """``sm`` backbone; sizes from ``NetConfig.sm_*``."""

    def __init__(self, in_dim: int, out_dim: int, num_tasks: int, cfg: NetConfig) -> None:
        super().__init__()
        self.num_tasks = num_tasks
        width, m, layers = cfg.sm_width, cfg.sm_modules, cfg.sm_layers
        routing, module_width = cfg.sm_routing_width, cfg.sm_module_width
        self.num_modules = m
        self.obs_layer = nn.Linear(in_dim, width)
        self.task_layer = nn.Linear(num_tasks, width)
        self.routing_body = nn.Sequential(
            nn.ReLU(), nn.Linear(width, routing), nn.ReLU(), nn.Linear(routing, routing)
        )
        self.first_logits = nn.Linear(routing, m * m)
        self.cond = nn.ModuleList(nn.Linear(i * m * m, routing) for i in range(1, layers))
        self.logits = nn.ModuleList(nn.Linear(routing, m * m) for _ in range(layers - 2))
        self.last_logits = nn.Linear(routing, m)
        self.modules_ = nn.ModuleList(
            [ModuleLayer(m, width, module_width)]
            + [ModuleLayer(m, module_width, module_width) for _ in range(layers - 1)]
        )
        self.out = nn.Linear(module_width, out_dim)

    def routing_weights(self, g: Tensor) -> tuple[list[Tensor], Tensor]:
        """Routing embedding g [N, R] -> (L - 1 matrices [N, M, M], last vector [N, M])."""
        n, m = g.shape[0], self.num_modules
        weights = [F.softmax(self.first_logits(F.relu(g)).view(n, m, m), dim=-1)]
        for i, cond_layer in enumerate(self.cond):
            flat = torch.cat([w.reshape(n, m * m) for w in weights], dim=-1)
            cond = F.relu(cond_layer(flat) * g)
            if i < len(self.logits):
                weights.append(F.softmax(self.logits[i](cond).view(n, m, m), dim=-1))
            else:
                return weights, F.softmax(self.last_logits(cond), dim=-1)
        raise AssertionError("unreachable: sm_layers >= 2")

    def forward(self, x: Tensor, task: Tensor) -> Tensor:
        h = self.obs_layer(x)
        e = F.relu(self.task_layer(F.one_hot(task, self.num_tasks).to(x.dtype)))
        g = self.routing_body(e * h)
        weights, last = self.routing_weights(g)
        outs = self.modules_[0](F.relu(h))
        for w, layer in zip(weights, self.modules_[1:], strict=True):
            outs = layer(F.relu(torch.einsum("nji,niw->njw", w, outs)))
        return self.out(F.relu(torch.einsum("nm,nmw->nw", last, outs)))
