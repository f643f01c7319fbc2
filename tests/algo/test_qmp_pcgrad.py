"""QMP's Q-switch and PCGrad's projection against hand computation."""

from __future__ import annotations

import torch

from ctpg.algo.pcgrad import pcgrad_gradients, project_conflicting
from ctpg.algo.qmp import q_switch, qmp_select
from ctpg.nets.policy import TanhGaussianActor


class _Actor:
    """Policy j proposes (almost deterministically) action means[j]."""

    def __init__(self, means: torch.Tensor) -> None:
        self.means = means  # [T, A] pre-tanh

    def params_all(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = self.means.expand(obs.shape[0], *self.means.shape)
        return m, torch.full_like(m, -20.0)

    rsample = staticmethod(TanhGaussianActor.rsample)


class _Critic:
    """Q_i(s, a) = -(a - goal_i)^2 summed over action dims."""

    def __init__(self, goals: torch.Tensor) -> None:
        self.goals = goals  # [T, A]

    def min_q(self, obs: torch.Tensor, action: torch.Tensor, task: torch.Tensor) -> torch.Tensor:
        return -(action - self.goals[task]).pow(2).sum(-1)


def test_q_switch_picks_highest_q() -> None:
    q = torch.tensor([[0.1, 0.7, -1.0], [2.0, 1.0, 3.0]])
    proposals = torch.arange(6.0).view(2, 3, 1)
    action, choice = q_switch(q, proposals)
    assert choice.tolist() == [1, 2]
    assert action.squeeze(1).tolist() == [1.0, 5.0]


def test_qmp_executes_action_with_highest_q_of_own_task() -> None:
    pre = torch.tensor([[-1.0], [0.0], [1.0]])  # three policies -> actions tanh(-1), 0, tanh(1)
    goals = torch.tensor([[0.9], [-0.8], [0.1]])  # task 0 likes tanh(1), 1 tanh(-1), 2 zero
    obs, task = torch.zeros(3, 2), torch.tensor([0, 1, 2])
    action, choice = qmp_select(_Actor(pre), _Critic(goals), obs, task)  # type: ignore[arg-type]
    assert choice.tolist() == [2, 0, 1]
    torch.testing.assert_close(action, torch.tanh(pre[[2, 0, 1]]))


def test_pcgrad_projection_of_two_conflicting_gradients() -> None:
    g = torch.tensor([[1.0, 0.0], [-1.0, 1.0]])  # dot = -1
    order = torch.tensor([[0, 1], [1, 0]])
    out = project_conflicting(g, order)
    # g1' = g1 - (-1 / |g2|^2) g2 = (0.5, 0.5); g2' = g2 - (-1 / |g1|^2) g1 = (0, 1)
    torch.testing.assert_close(out, torch.tensor([[0.5, 0.5], [0.0, 1.0]]))
    assert (out[0] @ g[1]).abs() < 1e-6 and (out[1] @ g[0]).abs() < 1e-6


def test_pcgrad_leaves_agreeing_gradients_alone() -> None:
    g = torch.tensor([[1.0, 2.0], [0.5, 0.1], [0.0, 3.0]])
    order = torch.tensor([[2, 1, 0], [0, 2, 1], [1, 0, 2]])
    torch.testing.assert_close(project_conflicting(g, order), g)


def test_pcgrad_gradients_through_batched_autograd() -> None:
    torch.manual_seed(0)
    p = torch.nn.Parameter(torch.tensor([0.3, -0.2]))
    per_task = torch.stack([p @ torch.tensor([1.0, 0.0]), p @ torch.tensor([-1.0, 1.0])])
    (grad,) = pcgrad_gradients(per_task, [p])
    # Projected g1 = [0.5, 0.5], g2 = [-0.5, 0.5]... summed [0.5, 1.5]; the reference
    # averages the projected per-task gradients.
    torch.testing.assert_close(grad, torch.tensor([0.25, 0.75]))
    # Without conflict: identical to the plain gradient of the mean.
    per_task = torch.stack([(p**2).sum(), (3 * p**2).sum()])
    (grad,) = pcgrad_gradients(per_task, [p])
    torch.testing.assert_close(grad, 4 * p.detach())


def test_pcgrad_leaves_out_tasks_with_zero_loss() -> None:
    """As the reference, a task whose loss is zero (e.g. no rows) takes no part: the mean
    runs over the others only."""
    p = torch.nn.Parameter(torch.tensor([0.3, -0.2]))
    per_task = torch.stack([(p**2).sum(), (3 * p**2).sum(), 0.0 * p.sum()])
    (grad,) = pcgrad_gradients(per_task, [p])
    torch.testing.assert_close(grad, 4 * p.detach())
