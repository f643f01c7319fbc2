"""Tanh-Gaussian actor and twin critics on top of any task-conditioned backbone."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ctpg.config import NetConfig
from ctpg.nets.backbones import TaskEmbedding, build_task_net
from ctpg.nets.task_net import TaskNet

_LOG2 = math.log(2.0)
_ACTION_LIMIT = 1.0 - 1e-6


def squashed_log_prob(mean: Tensor, log_std: Tensor, action: Tensor) -> Tensor:
    """log pi(action) of tanh(N(mean, exp(log_std))), summed over the last axis.

    ``action`` is in [-1, 1] (clamped to +-(1 - 1e-6) before atanh).
    """
    a = action.clamp(-_ACTION_LIMIT, _ACTION_LIMIT)
    u = torch.atanh(a)
    return _gaussian_log_prob(mean, log_std, u) - _tanh_log_det(u)


def _gaussian_log_prob(mean: Tensor, log_std: Tensor, u: Tensor) -> Tensor:
    z = (u - mean) * torch.exp(-log_std)
    return (-0.5 * z.pow(2) - log_std - 0.5 * math.log(2 * math.pi)).sum(-1)


def _tanh_log_det(u: Tensor) -> Tensor:
    """sum log(1 - tanh(u)^2), computed stably as 2 (log 2 - u - softplus(-2u))."""
    return (2.0 * (_LOG2 - u - F.softplus(-2.0 * u))).sum(-1)


class TanhGaussianActor(nn.Module):
    """pi_i(a|s) = tanh(N(mu_i(s), sigma_i(s))).

    The network outputs the mean and a raw log sigma, which is hard-clamped to
    [log_std_min, log_std_max] (as the reference's actor): an untrained network outputs
    raw values near 0, so the untrained policy has sigma ~ 1 and explores widely.
    """

    def __init__(
        self,
        cfg: NetConfig,
        obs_dim: int,
        action_dim: int,
        num_tasks: int,
        embedding: TaskEmbedding | None = None,
    ) -> None:
        super().__init__()
        self.net: TaskNet = build_task_net(cfg, obs_dim, 2 * action_dim, num_tasks, embedding)
        self.log_std_min, self.log_std_max = cfg.log_std_min, cfg.log_std_max

    def _split(self, out: Tensor) -> tuple[Tensor, Tensor]:
        mean, raw = out.chunk(2, dim=-1)
        return mean, raw.clamp(self.log_std_min, self.log_std_max)

    def params(self, obs: Tensor, task: Tensor) -> tuple[Tensor, Tensor]:
        """(mean, log_std), each [N, A], of task[n]'s policy at obs[n]."""
        return self._split(self.net(obs, task))

    def params_traceable(self, obs: Tensor, task: Tensor) -> tuple[Tensor, Tensor]:
        """``params`` without data-dependent shapes, so that ``torch.jit.trace`` records it
        for any batch: a network that groups rows by task (``rows_traceable`` False) computes
        every task's output with ``forward_all`` and each row keeps its own task's."""
        if self.net.rows_traceable:
            return self.params(obs, task)
        out = self.net.forward_all(obs)
        index = task.view(-1, 1, 1).expand(-1, 1, out.shape[-1])
        return self._split(out.gather(1, index).squeeze(1))

    def params_all(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        """(mean, log_std), each [N, T, A]: every task's policy at every obs."""
        return self._split(self.net.forward_all(obs))

    @staticmethod
    def rsample(mean: Tensor, log_std: Tensor) -> tuple[Tensor, Tensor]:
        """Reparameterised (action, log_prob) from distribution parameters."""
        u = mean + torch.exp(log_std) * torch.randn_like(mean)
        log_prob = _gaussian_log_prob(mean, log_std, u) - _tanh_log_det(u)
        return torch.tanh(u), log_prob

    def sample(self, obs: Tensor, task: Tensor) -> tuple[Tensor, Tensor]:
        """Reparameterised action [N, A] and its log-probability [N]."""
        return self.rsample(*self.params(obs, task))

    def mode(self, obs: Tensor, task: Tensor) -> Tensor:
        """Deterministic action tanh(mean)."""
        return torch.tanh(self.params(obs, task)[0])


class TwinCritic(nn.Module):
    """Two independent Q-networks Q_i^1, Q_i^2 of the same base architecture."""

    def __init__(
        self,
        cfg: NetConfig,
        obs_dim: int,
        action_dim: int,
        num_tasks: int,
        embedding: TaskEmbedding | None = None,
    ) -> None:
        super().__init__()
        self.q = nn.ModuleList(
            build_task_net(cfg, obs_dim + action_dim, 1, num_tasks, embedding) for _ in range(2)
        )

    def forward(self, obs: Tensor, action: Tensor, task: Tensor) -> Tensor:
        """Q-values [2, N]."""
        x = torch.cat([obs, action], dim=-1)
        return torch.stack([q(x, task).squeeze(-1) for q in self.q])

    def min_q(self, obs: Tensor, action: Tensor, task: Tensor) -> Tensor:
        """min over the two critics, [N]."""
        return self(obs, action, task).min(dim=0).values
