"""Guide networks (docs/algorithm.md, section 3): multi-head MLPs over obs ++ one-hot(i).

Head i has T outputs (one per candidate behaviour task j). The guide networks
do not depend on the base method; they use the control networks' widths.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ctpg.nets.backbones import MultiHeadNet


class GuideNet(nn.Module):
    """f_i(s) in R^T: trunk on obs ++ one-hot(i), head i."""

    def __init__(self, obs_dim: int, num_tasks: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.num_tasks = num_tasks
        self.body = MultiHeadNet(obs_dim + num_tasks, num_tasks, num_tasks, hidden)

    def forward(self, obs: Tensor, task: Tensor) -> Tensor:
        """[N, D], [N] -> [N, T]."""
        onehot = F.one_hot(task, self.num_tasks).to(obs.dtype)
        return self.body(torch.cat([obs, onehot], dim=-1), task)


class GuideActor(nn.Module):
    """Pi_i(j|s): categorical over the T tasks."""

    def __init__(self, obs_dim: int, num_tasks: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.logits = GuideNet(obs_dim, num_tasks, hidden)

    def forward(self, obs: Tensor, task: Tensor) -> tuple[Tensor, Tensor]:
        """(probabilities [N, T], log-probabilities [N, T])."""
        log_probs = F.log_softmax(self.logits(obs, task), dim=-1)
        return log_probs.exp(), log_probs


class TwinGuideCritic(nn.Module):
    """Qg_i^1(s, .), Qg_i^2(s, .): two GuideNets."""

    def __init__(self, obs_dim: int, num_tasks: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        self.q = nn.ModuleList(GuideNet(obs_dim, num_tasks, hidden) for _ in range(2))

    def forward(self, obs: Tensor, task: Tensor) -> Tensor:
        """Q-values [2, N, T]."""
        return torch.stack([q(obs, task) for q in self.q])
