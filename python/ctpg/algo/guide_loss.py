"""Cross-Task Policy Guidance: the guide's discrete SAC on K-step segments and its gates.

Segments (``ReplayBuffer.sample_segments``) hold K consecutive transitions of
one task starting at a guide decision. A step k belongs to the segment while
the episode is alive (no termination or truncation at an earlier step) and
the replay marks it ``valid``. The K-step target bootstraps from the next
observation of the segment's last included step e, discounted by gamma^(e+1):
when the segment ran its full K steps that is s_K (docs/algorithm.md, section 3.2); when the
episode was truncated at e it is the true final observation (a time limit is
not a terminal state); when it terminated at e there is no bootstrap.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ctpg.nets.guide_policy import GuideActor, TwinGuideCritic
from ctpg.nets.policy import TanhGaussianActor, TwinCritic, squashed_log_prob


def segment_layout(
    terminated: Tensor, truncated: Tensor, valid: Tensor
) -> tuple[Tensor, Tensor, Tensor]:
    """(included [B, K] float, last included index [B] long, terminated at last [B] float).

    included_k = alive_k * prod_{l <= k} valid_l with alive_k = prod_{l < k} (1 - d_l).
    """
    done = (terminated | truncated).to(torch.float32)
    alive = torch.cumprod(torch.cat([torch.ones_like(done[:, :1]), 1.0 - done[:, :-1]], 1), 1)
    included = alive * torch.cumprod(valid.to(torch.float32), 1)
    last = (included.sum(1).long() - 1).clamp_min(0)
    end_terminated = terminated.gather(1, last.unsqueeze(1)).squeeze(1).to(torch.float32)
    return included, last, end_terminated


def discounted_sum(values: Tensor, included: Tensor, gamma: float) -> Tensor:
    """sum_k gamma^k included_k values_k, [B, K] -> [B]."""
    powers = gamma ** torch.arange(values.shape[1], device=values.device, dtype=values.dtype)
    return (values * included * powers).sum(1)


def bootstrap_discount(
    included: Tensor, last: Tensor, end_terminated: Tensor, gamma: float
) -> Tensor:
    """gamma^(e+1) (1 - terminated_e), zero for empty segments; [B]."""
    nonempty = (included.sum(1) > 0).to(included.dtype)
    return gamma ** (last + 1).to(included.dtype) * (1.0 - end_terminated) * nonempty


def last_next_obs(next_obs: Tensor, last: Tensor) -> Tensor:
    """next_obs [B, K, D] at the last included step -> [B, D]."""
    index = last.view(-1, 1, 1).expand(-1, 1, next_obs.shape[2])
    return next_obs.gather(1, index).squeeze(1)


@torch.no_grad()
def hindsight_relabel(
    actor: TanhGaussianActor,
    obs: Tensor,
    action: Tensor,
    included: Tensor,
    max_rows: int = 1 << 18,
) -> Tensor:
    """j* = argmax_j sum_k included_k log pi_j(a_k | s_k); [B].

    Every task's policy comes from one ``params_all`` pass per chunk of
    segments; chunks keep (segments * K * T) below ``max_rows`` so that
    large guide batches with many tasks fit in memory.
    """
    b, k, d = obs.shape
    num_tasks = actor.net.num_tasks
    chunk = max(1, max_rows // (k * num_tasks))
    choices = []
    for start in range(0, b, chunk):
        stop = min(start + chunk, b)
        rows = (stop - start) * k
        mean, log_std = actor.params_all(obs[start:stop].reshape(rows, d))
        log_prob = squashed_log_prob(mean, log_std, action[start:stop].reshape(rows, 1, -1))
        score = (log_prob.view(stop - start, k, -1) * included[start:stop].unsqueeze(-1)).sum(1)
        choices.append(score.argmax(dim=1))
    return torch.cat(choices)


def soft_value(probs: Tensor, log_probs: Tensor, q: Tensor, beta: Tensor | None) -> Tensor:
    """sum_j Pi(j) [q_j - beta log Pi(j)] (no entropy term if beta is None); [N]."""
    if beta is None:
        return (probs * q).sum(-1)
    return (probs * (q - beta.unsqueeze(-1) * log_probs)).sum(-1)


def masked_mean(per_sample: Tensor, task: Tensor, active: Tensor) -> Tensor:
    """Mean over all rows of ``per_sample`` with the rows of inactive tasks zeroed [scalar].

    The denominator stays the batch size, as the reference's masking keeps it.
    """
    return (per_sample * active[task].to(per_sample.dtype)).mean()


def guide_critic_loss(
    critic: TwinGuideCritic, obs0: Tensor, task: Tensor, choice: Tensor, target: Tensor
) -> dict[str, Tensor]:
    """Per segment: sum_q (Qg_q(s_0, j*) - y)^2 ("per_sample" [B])."""
    q = critic(obs0, task)
    q_chosen = q.gather(2, choice.view(1, -1, 1).expand(2, -1, 1)).squeeze(-1)
    return {"per_sample": (q_chosen - target).pow(2).sum(0), "q": q_chosen.detach().mean()}


def guide_actor_loss(
    actor: GuideActor, critic: TwinGuideCritic, log_beta: Tensor, obs0: Tensor, task: Tensor
) -> dict[str, Tensor]:
    """Per segment: sum_j Pi_i(j|s_0) [beta_i log Pi_i(j|s_0) - min_q Qg_q(s_0, j)]."""
    probs, log_probs = actor(obs0, task)
    with torch.no_grad():
        q = critic(obs0, task).min(dim=0).values
    beta = log_beta.detach().exp()[task].unsqueeze(-1)
    per_sample = (probs * (beta * log_probs - q)).sum(-1)
    entropy = -(probs * log_probs).sum(-1).detach()
    return {"per_sample": per_sample, "entropy": entropy}


def guide_temperature_loss(
    log_beta: Tensor, entropy: Tensor, task: Tensor, target_entropy: float
) -> dict[str, Tensor]:
    """mean of beta_i (H(Pi_i(.|s_0)) - target), gradient through beta = exp(log beta).

    Entropy above target lowers beta. Unmasked: temperatures keep learning for tasks
    whose losses are masked.
    """
    beta = log_beta.exp()[task]
    return {"loss": (beta * (entropy.detach() - target_entropy)).mean()}


def guide_target_entropy(num_tasks: int, ratio: float) -> float:
    """ratio * log T."""
    return ratio * math.log(num_tasks)


@torch.no_grad()
def own_policy_value(
    actor: TanhGaussianActor,
    critic: TwinCritic,
    log_alpha: Tensor,
    obs: Tensor,
    task: Tensor,
    samples: int,
) -> Tensor:
    """V_i(s) = E_{a ~ pi_i}[mean_q Q_i,q(s, a) - alpha_i log pi_i(a|s)], Monte Carlo; [N].

    The mean (not the minimum) of the twin critics, as the reference computes the gate.
    """
    n = obs.shape[0]
    obs_rep, task_rep = obs.repeat(samples, 1), task.repeat(samples)
    action, log_prob = actor.sample(obs_rep, task_rep)
    q = critic(obs_rep, action, task_rep).mean(dim=0)
    value = q - log_alpha.exp()[task_rep] * log_prob
    return value.view(samples, n).mean(0)


def masked_choice(probs: Tensor, mask: Tensor, task: Tensor) -> Tensor:
    """Sample j from probs restricted to mask (renormalised); an empty mask gives j = task.

    Masked-out tasks have zero weight and are never drawn. If every allowed
    task has probability that underflows to 0, the allowed tasks are drawn
    uniformly.
    """
    allowed = mask.to(probs.dtype)
    weights = probs * allowed
    underflow = (weights.sum(-1, keepdim=True) <= 0) & (allowed.sum(-1, keepdim=True) > 0)
    weights = torch.where(underflow, allowed, weights)
    empty = allowed.sum(-1) <= 0
    own = torch.nn.functional.one_hot(task, probs.shape[-1]).to(probs.dtype)
    weights = torch.where(empty.unsqueeze(-1), own, weights)
    return torch.multinomial(weights, 1).squeeze(-1)


def blocked_from_log_alpha(log_alpha: Tensor) -> Tensor:
    """Guide-block gate: log alpha_i > mean_k log alpha_k; bool [T]."""
    return log_alpha.detach() > log_alpha.detach().mean()
