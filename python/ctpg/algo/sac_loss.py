"""Multi-task soft actor-critic losses for the control policies (docs/algorithm.md, section 2).

Each loss returns a dict of named tensors; ``per_task`` is the [T] vector of
per-task mean losses before task weighting. ``combine`` applies the task
weights (softmax(-log alpha) * T when alpha weighting is on) and the
extreme-task mask, and normalises by T, so that the gradient of the summed
weighted per-task losses is the gradient of the total loss (which PCGrad
relies on). Optimizer steps happen in the Agent, not here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import Tensor

from ctpg.config import SACConfig
from ctpg.nets.layers import task_counts
from ctpg.nets.policy import TanhGaussianActor, TwinCritic


def per_task_mean(values: Tensor, task: Tensor, num_tasks: int) -> Tensor:
    """Mean of ``values`` [N] over the rows of each task -> [T] (0 for absent tasks)."""
    sums = values.new_zeros(num_tasks).index_add(0, task, values)
    counts = task_counts(task, num_tasks).clamp_min(1).to(values.dtype)
    return sums / counts


def task_weights(log_alpha: Tensor, alpha_weight: bool) -> Tensor:
    """softmax(-log alpha) * T if ``alpha_weight`` else ones; no gradient."""
    if not alpha_weight:
        return torch.ones_like(log_alpha).detach()
    return (torch.softmax(-log_alpha.detach(), dim=0) * log_alpha.numel()).detach()


def combine(per_task: Tensor, weight: Tensor, active: Tensor) -> Tensor:
    """Weighted per-task losses [T] whose sum is the total loss: w_i * m_i * L_i / T."""
    return per_task * weight * active.to(per_task.dtype) / per_task.numel()


def masking_active(step: int, cfg: SACConfig) -> bool:
    """Whether extreme-task masking applies at ``step`` (from ``loss_mask_after`` on)."""
    return cfg.loss_mask_after is not None and step >= cfg.loss_mask_after


def extreme_tasks(per_task_critic: Tensor, step: int, cfg: SACConfig) -> Tensor:
    """Bool [T]: tasks whose mean critic loss exceeds the threshold (after ``loss_mask_after``).

    The mean critic loss of a task is the mean over its rows of the summed squared TD
    errors of both critics (importance-weighted when enabled). Masked tasks are left out
    of the critic and actor losses; their temperatures keep learning. The guide applies
    the same rule to its own critics' losses.
    """
    return extreme_mask(per_task_critic, masking_active(step, cfg), cfg.loss_mask_threshold)


def extreme_mask(per_task_loss: Tensor, masking: bool | Tensor, threshold: float) -> Tensor:
    """Bool [T]: ``extreme_tasks`` given whether masking is active (a bool, or a 0-d bool
    tensor so that one compiled graph serves both; no host read)."""
    return (per_task_loss.detach().abs() > threshold) & masking


def critic_loss(
    actor: TanhGaussianActor,
    critic: TwinCritic,
    critic_target: TwinCritic,
    log_alpha: Tensor,
    batch: dict[str, Tensor],
    cfg: SACConfig,
) -> dict[str, Tensor]:
    """Soft TD loss of both critics; termination stops bootstrapping, truncation does not.

    Per sample: sum_q (Q_q(s, a) - y)^2 with
    y = scale * r + gamma * (1 - terminated) * (min_q Q_target(s', a') - alpha log pi(a'|s')),
    a' ~ pi(.|s'), times the importance weight when enabled.
    """
    task, num_tasks = batch["task"], log_alpha.numel()
    with torch.no_grad():
        next_action, next_log_prob = actor.sample(batch["next_obs"], task)
        alpha = log_alpha.exp()[task]
        next_v = critic_target.min_q(batch["next_obs"], next_action, task) - alpha * next_log_prob
        not_done = 1.0 - batch["terminated"].to(next_v.dtype)
        target = cfg.reward_scale * batch["reward"] + cfg.gamma * not_done * next_v
    q = critic(batch["obs"], batch["action"], task)
    error = q - target
    per_sample = error.pow(2).sum(dim=0)
    if cfg.importance_weights and "weight" in batch:
        per_sample = per_sample * batch["weight"]
    return {
        "per_task": per_task_mean(per_sample, task, num_tasks),
        "td_error": error.detach().abs().mean(dim=0),
        "q": q.detach().mean(),
        "target": target.mean(),
    }


def actor_loss(
    actor: TanhGaussianActor,
    critic: TwinCritic,
    log_alpha: Tensor,
    batch: dict[str, Tensor],
    critic_scope: Callable[[], AbstractContextManager[None]] = nullcontext,
) -> dict[str, Tensor]:
    """Per sample: alpha_i log pi_i(a|s) - min_q Q_i(s, a), a ~ pi_i(.|s) reparameterised.

    The critic is evaluated inside ``critic_scope()`` (PaCo: without gradient into the
    shared task embedding).
    """
    task, num_tasks = batch["task"], log_alpha.numel()
    action, log_prob = actor.sample(batch["obs"], task)
    with critic_scope():
        q = critic.min_q(batch["obs"], action, task)
    per_sample = log_alpha.detach().exp()[task] * log_prob - q
    return {
        "per_task": per_task_mean(per_sample, task, num_tasks),
        "log_prob": log_prob.detach(),
    }


def alpha_loss(
    log_alpha: Tensor, log_prob: Tensor, task: Tensor, target_entropy: float
) -> dict[str, Tensor]:
    """Per sample: alpha_i (-log pi_i(a|s) - target entropy), alpha_i = exp(log alpha_i).

    The gradient reaches log alpha through exp (as the reference's loss). Entropy below
    target (log pi > -target) makes the gradient step raise alpha.
    """
    per_sample = log_alpha.exp()[task] * (-log_prob.detach() - target_entropy)
    return {
        "per_task": per_task_mean(per_sample, task, log_alpha.numel()),
        "entropy": per_task_mean(-log_prob.detach(), task, log_alpha.numel()),
    }


@torch.no_grad()
def cap_log_temperature(log_temperature: Tensor, maximum: float) -> None:
    """Clamp in place so that exp(log_temperature) <= maximum."""
    log_temperature.clamp_(max=math.log(maximum))


@torch.no_grad()
def polyak(target: list[Tensor], online: list[Tensor], tau: float) -> None:
    """target <- (1 - tau) target + tau online, for every pair of parameters."""
    torch._foreach_lerp_(target, online, tau)
