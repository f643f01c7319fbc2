"""Update procedures of the Agent: the control SAC step and the guide step.

Each procedure computes losses with ``sac.py`` / ``guide.py`` and hands them
to ``Agent._apply``, the one place where optimizers step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ctpg.algo import guide as G
from ctpg.algo import sac as S

if TYPE_CHECKING:
    from ctpg.algo.agent import Agent


def _scalars(metrics: dict[str, Tensor]) -> dict[str, Tensor]:
    """Metrics as detached float 0-d tensors on the device: reading them is left to the
    caller (the trainer reads them at evaluation time, so the update never waits)."""
    return {k: v.detach().float().reshape(()) for k, v in metrics.items()}


def sac_update(
    agent: Agent, batch: dict[str, Tensor], step: int
) -> tuple[dict[str, Tensor], Tensor]:
    """Critic, actor, temperature and target updates of the control policies.

    As the reference: the critic loss sets the extreme-task mask, which also masks the
    actor loss (temperatures are never masked); per-task losses are weighted by
    softmax(-log alpha) * T, except under PCGrad, whose surgery takes the unweighted,
    unmasked per-task losses; PaCo's shared task embedding is stepped once, after both.
    """
    cfg, nets = agent.cfg.sac, agent.nets
    use_pcgrad = agent.cfg.net.base == "pcgrad"
    weight = S.task_weights(agent.log_alpha, cfg.alpha_weight)

    critic = S.critic_loss(nets.actor, nets.critic, nets.critic_target, agent.log_alpha, batch, cfg)
    masked = S.extreme_tasks(critic["per_task"], step, cfg)
    active = ~masked
    critic_terms = S.combine(critic["per_task"], weight, active)
    critic_norm = agent._apply(
        "critic", critic["per_task"] if use_pcgrad else critic_terms, pcgrad=use_pcgrad
    )

    actor = S.actor_loss(nets.actor, nets.critic, agent.log_alpha, batch, nets.critic_scope)
    actor_terms = S.combine(actor["per_task"], weight, active)
    actor_norm = agent._apply(
        "actor", actor["per_task"] if use_pcgrad else actor_terms, pcgrad=use_pcgrad
    )

    alpha = S.alpha_loss(agent.log_alpha, actor["log_prob"], batch["task"], agent.target_entropy)
    agent._apply("alpha", alpha["per_task"] / agent.num_tasks)
    S.cap_log_temperature(agent.log_alpha.data, cfg.alpha_max)
    agent.soft_update("critic")
    agent.step_shared()

    # PaCo's reset of extreme tasks has data-dependent shapes: the one host read of the
    # update, for PaCo only, once masking is active.
    paco = agent.nets.task_embedding is not None
    if paco and S.masking_active(step, cfg) and bool(masked.any()):
        agent.reset_extreme_tasks(masked)
    agent.masked = masked
    agent.num_updates += 1
    metrics = _scalars(
        {
            "loss/critic": critic_terms.sum(),
            "loss/actor": actor_terms.sum(),
            "loss/alpha": alpha["per_task"].mean(),
            "alpha/mean": agent.log_alpha.detach().exp().mean(),
            "q/mean": critic["q"],
            "q/target": critic["target"],
            "entropy/mean": alpha["entropy"].mean(),
            "grad/critic_norm": critic_norm,
            "grad/actor_norm": actor_norm,
            "sac/masked_tasks": masked.sum(),
        }
    )
    return metrics, critic["td_error"]


def _guide_targets(agent: Agent, seg: dict[str, Tensor]) -> dict[str, Tensor]:
    """K-step targets of the guide critic and of the soft comparison critic.

    The comparison target sums the soft rewards r_k - alpha_i log pi_i(a~_k|s_k) of the
    segment and bootstraps, per ``guide.compare_bootstrap``, from V_i(s_K) (the own
    policy's soft value from the target control critics, "own") or from the guide's
    mixture sum_j Pi_i(j|s_K) min_q Qc_target(s_K, j) (the reference, "guide").
    """
    cfg, gcfg, nets = agent.cfg.sac, agent.cfg.guide, agent.nets
    guide = nets.require_guide()
    task = seg["task"]
    included, last, end_terminated = G.segment_layout(
        seg["terminated"], seg["truncated"], seg["valid"]
    )
    discount = G.bootstrap_discount(included, last, end_terminated, cfg.gamma)
    boot_obs = G.last_next_obs(seg["next_obs"], last)
    reward = cfg.reward_scale * seg["reward"]
    with torch.no_grad():
        probs, log_probs = guide.actor(boot_obs, task)
        q_next = guide.critic_target(boot_obs, task).min(dim=0).values
        beta = guide.log_beta.exp()[task]
        target = G.discounted_sum(reward, included, cfg.gamma) + discount * G.soft_value(
            probs, log_probs, q_next, beta
        )
        out = {"target": target, "included": included}
        if gcfg.filter_gate != "off":
            b, k, d = seg["obs"].shape
            _, control_log_prob = nets.actor.sample(
                seg["obs"].reshape(b * k, d), task.repeat_interleave(k)
            )
            alpha = agent.log_alpha.exp()[task].unsqueeze(1)
            soft_reward = reward - alpha * control_log_prob.view(b, k)
            if gcfg.compare_bootstrap == "own":
                boot_value = G.own_policy_value(
                    nets.actor, nets.critic_target, agent.log_alpha, boot_obs, task, samples=1
                )
            else:
                qc_next = guide.compare_target(boot_obs, task).min(dim=0).values
                boot_value = G.soft_value(probs, log_probs, qc_next, None)
            out["compare_target"] = (
                G.discounted_sum(soft_reward, included, cfg.gamma) + discount * boot_value
            )
    return out


def guide_update(agent: Agent, seg: dict[str, Tensor], step: int) -> dict[str, Tensor]:
    """Guide critic(s), guide actor, guide temperature and target updates on segments.

    As the reference: each guide critic masks the tasks whose mean loss exceeds the
    control threshold (from the same step on); the guide actor uses the guide critic's
    mask; losses are means over the segments; beta is never masked.
    """
    gcfg, scfg, nets = agent.cfg.guide, agent.cfg.sac, agent.nets
    guide = nets.require_guide()
    task, obs0, num_tasks = seg["task"], seg["obs"][:, 0], agent.num_tasks
    targets = _guide_targets(agent, seg)
    if gcfg.hindsight:
        choice = G.hindsight_relabel(nets.actor, seg["obs"], seg["action"], targets["included"])
    else:
        choice = seg["behaviour"]

    def critic_step(name: str, loss: dict[str, Tensor]) -> tuple[Tensor, Tensor]:
        per_task = S.per_task_mean(loss["per_sample"].detach(), task, num_tasks)
        active = ~S.extreme_tasks(per_task, step, scfg)
        total = G.masked_mean(loss["per_sample"], task, active)
        agent._apply(name, total.reshape(1))
        return total, active

    critic = G.guide_critic_loss(guide.critic, obs0, task, choice, targets["target"])
    critic_total, active = critic_step("guide_critic", critic)
    metrics = {"loss/guide_critic": critic_total, "guide/q": critic["q"]}
    if gcfg.filter_gate != "off":
        compare = G.guide_critic_loss(guide.compare, obs0, task, choice, targets["compare_target"])
        metrics["loss/guide_compare"] = critic_step("compare_critic", compare)[0]

    actor = G.guide_actor_loss(guide.actor, guide.critic, guide.log_beta, obs0, task)
    actor_total = G.masked_mean(actor["per_sample"], task, active)
    agent._apply("guide_actor", actor_total.reshape(1))
    temperature = G.guide_temperature_loss(
        guide.log_beta, actor["entropy"], task, agent.guide_target_entropy
    )
    agent._apply("beta", temperature["loss"].reshape(1))
    S.cap_log_temperature(guide.log_beta.data, gcfg.beta_max)
    agent.soft_update("guide_critic")
    agent.soft_update("compare_critic")
    agent.num_guide_updates += 1
    metrics.update(
        {
            "loss/guide_actor": actor_total,
            "loss/guide_beta": temperature["loss"],
            "guide/entropy": actor["entropy"].mean(),
            "guide/beta_mean": guide.log_beta.detach().exp().mean(),
            "guide/relabel_rate": (choice != seg["behaviour"]).float().mean(),
            "guide/segment_length": targets["included"].sum(1).mean(),
            "guide/masked_tasks": (~active).sum(),
        }
    )
    return _scalars(metrics)
