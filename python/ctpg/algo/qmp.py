"""QMP baseline: Q-switch mixture of policies (Zhang et al. 2023; docs/algorithm.md, section 4).

For task i at state s every control policy pi_j proposes a_j ~ pi_j(.|s) (one
forward over all tasks) and the executed action is argmax_j min_q Q_i(s, a_j)
(one critic forward over the N * T proposals).
"""

from __future__ import annotations

import torch
from torch import Tensor

from ctpg.nets.policy import TanhGaussianActor, TwinCritic


def q_switch(q: Tensor, proposals: Tensor) -> tuple[Tensor, Tensor]:
    """Pick per row the proposal with the highest value: q [N, T], proposals [N, T, A]."""
    choice = q.argmax(dim=1)
    return proposals[torch.arange(q.shape[0], device=q.device), choice], choice


@torch.no_grad()
def qmp_select(
    actor: TanhGaussianActor, critic: TwinCritic, obs: Tensor, task: Tensor
) -> tuple[Tensor, Tensor]:
    """(actions [N, A], chosen policy [N]) for task[n] acting on obs[n]."""
    n = obs.shape[0]
    proposals, _ = actor.rsample(*actor.params_all(obs))
    t, a = proposals.shape[1], proposals.shape[2]
    q = critic.min_q(
        obs.repeat_interleave(t, dim=0), proposals.reshape(n * t, a), task.repeat_interleave(t)
    ).view(n, t)
    return q_switch(q, proposals)
