"""The learner's updates: the control SAC step, the guide step and the optimizer bookkeeping
they share, behind one small interface (``Updates``) that the Agent calls.

Each procedure computes its losses with ``sac_loss`` / ``guide_loss`` and hands them to
``Updates.apply``, the one place where gradients are formed, clipped and applied.
``Updates`` also holds the Adam optimizers of every parameter group, the Polyak target
pairs, the update counters and the latest extreme-task mask; ``state_dict`` saves them.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from ctpg.algo import guide_loss as G
from ctpg.algo import sac_loss as S
from ctpg.algo.networks import AgentNets
from ctpg.algo.pcgrad import pcgrad_gradients
from ctpg.config import AgentConfig


class Updates:
    """Optimizers, targets and counters of one learner, and its two update steps.

    ``control(batch, step)`` and ``guide(segments, step)`` run one update each;
    ``apply(name, per_task)`` steps one parameter group (``param_groups`` names them:
    actor, critic, alpha, task_embedding for PaCo, and guide_actor, guide_critic,
    compare_critic, beta with the guide).
    """

    def __init__(
        self,
        cfg: AgentConfig,
        nets: AgentNets,
        target_entropy: float,
        guide_target_entropy: float,
    ) -> None:
        self.cfg, self.nets = cfg, nets
        self.num_tasks = int(nets.log_alpha.shape[0])
        self.target_entropy, self.guide_target_entropy = target_entropy, guide_target_entropy
        self.shared_params = nets.shared_parameters()
        self.param_groups = self._param_groups()
        self.optimizers = {
            name: torch.optim.Adam(params, lr=cfg.sac.lr, fused=True)
            for name, params in self.param_groups.items()
        }
        self.target_pairs = self._target_pairs()
        self.num_updates = 0
        self.num_guide_updates = 0
        self.masked = torch.zeros(self.num_tasks, dtype=torch.bool, device=nets.log_alpha.device)

    def _param_groups(self) -> dict[str, list[nn.Parameter]]:
        nets = self.nets
        shared = {id(p) for p in self.shared_params}

        def own(module: nn.Module) -> list[nn.Parameter]:
            return [p for p in module.parameters() if id(p) not in shared]

        groups = {
            "actor": own(nets.actor),
            "critic": own(nets.critic),
            "alpha": [nets.log_alpha],
        }
        if self.shared_params:
            groups["task_embedding"] = list(self.shared_params)
        if nets.guide is not None:
            groups["guide_actor"] = list(nets.guide.actor.parameters())
            groups["guide_critic"] = list(nets.guide.critic.parameters())
            groups["compare_critic"] = list(nets.guide.compare.parameters())
            groups["beta"] = [nets.guide.log_beta]
        return groups

    def _target_pairs(self) -> dict[str, tuple[list[Tensor], list[Tensor]]]:
        nets = self.nets
        modules: dict[str, tuple[nn.Module, nn.Module]] = {
            "critic": (nets.critic_target, nets.critic)
        }
        if nets.guide is not None:
            modules["guide_critic"] = (nets.guide.critic_target, nets.guide.critic)
            modules["compare_critic"] = (nets.guide.compare_target, nets.guide.compare)
        pairs: dict[str, tuple[list[Tensor], list[Tensor]]] = {}
        for key, (target, online) in modules.items():
            kept: list[tuple[Tensor, Tensor]] = [
                (t, o)
                for t, o in zip(target.parameters(), online.parameters(), strict=True)
                if t is not o  # PaCo's task embedding is shared, not averaged
            ]
            pairs[key] = ([t for t, _ in kept], [o for _, o in kept])
        return pairs

    def soft_update(self, name: str) -> None:
        """Polyak-average the target of ``name`` towards its online network."""
        target, online = self.target_pairs[name]
        S.polyak(target, online, self.cfg.sac.tau)

    def apply(self, name: str, per_task: Tensor, pcgrad: bool = False) -> Tensor:
        """Step the group ``name`` with the gradient of ``per_task`` (eagerly, with
        autograd and the group's optimizer; see ``EagerSteps.group``)."""
        return EagerSteps(self).step(name, per_task, pcgrad)

    def state_dict(self) -> dict[str, Any]:
        """Optimizer states and counters (the Agent's checkpoint keys)."""
        return {
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "num_updates": self.num_updates,
            "num_guide_updates": self.num_guide_updates,
            "masked": self.masked.clone(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (optimizer states are copied, never aliased)."""
        for key, opt in self.optimizers.items():
            opt.load_state_dict(copy.deepcopy(state["optimizers"][key]))
        self.num_updates = int(state["num_updates"])
        self.num_guide_updates = int(state["num_guide_updates"])
        self.masked = state["masked"].to(self.masked.device)

    def masking(self, step: int) -> bool:
        """Whether extreme-task masking applies at ``step``."""
        return S.masking_active(step, self.cfg.sac)

    def control(self, batch: dict[str, Tensor], step: int) -> tuple[dict[str, Tensor], Tensor]:
        """Critic, actor, temperature and target updates of the control policies (eager;
        ``ctpg.algo.compiled`` runs ``control_body`` as one compiled graph)."""
        masking = S.masking_active(step, self.cfg.sac)
        metrics, td_error, masked = self.control_body(batch, masking, EagerSteps(self))
        self.finish_control(masked, step)
        return metrics, td_error

    def finish_control(self, masked: Tensor, step: int) -> None:
        """What follows the update's graph: PaCo's reset of extreme tasks (data-dependent
        shapes: the one host read of the update, for PaCo only, once masking is active),
        the mask and the counter."""
        embedding = self.nets.task_embedding
        if embedding is not None and S.masking_active(step, self.cfg.sac) and bool(masked.any()):
            embedding.reset_tasks(masked)
        self.masked = masked
        self.num_updates += 1

    def control_body(
        self, batch: dict[str, Tensor], masking: bool | Tensor, steps: Steps
    ) -> tuple[dict[str, Tensor], Tensor, Tensor]:
        """The control update through ``steps``; returns (metrics, |TD error| [N], mask [T]).

        As the reference: the critic loss sets the extreme-task mask, which also masks the
        actor loss (temperatures are never masked); per-task losses are weighted by
        softmax(-log alpha) * T, except under PCGrad, whose surgery takes the unweighted,
        unmasked per-task losses; PaCo's shared task embedding is stepped once, after both.
        """
        cfg = self.cfg.sac
        use_pcgrad = self.cfg.net.base == "pcgrad"
        weight = S.task_weights(self.nets.log_alpha, cfg.alpha_weight)
        threshold = cfg.loss_mask_threshold

        def critic_objective(nets: AgentNets) -> tuple[Tensor, dict[str, Tensor]]:
            critic = S.critic_loss(
                nets.actor, nets.critic, nets.critic_target, nets.log_alpha, batch, cfg
            )
            per_task = critic["per_task"]
            masked = S.extreme_mask(per_task, masking, threshold)
            terms = S.combine(per_task, weight, ~masked)
            aux = {k: critic[k] for k in ("td_error", "q", "target")}
            aux.update(masked=masked, terms=terms.detach())
            return (per_task if use_pcgrad else terms), aux

        critic_norm, critic = steps.group("critic", critic_objective, use_pcgrad)
        active = ~critic["masked"]

        def actor_objective(nets: AgentNets) -> tuple[Tensor, dict[str, Tensor]]:
            actor = S.actor_loss(nets.actor, nets.critic, nets.log_alpha, batch, nets.critic_scope)
            terms = S.combine(actor["per_task"], weight, active)
            aux = {"log_prob": actor["log_prob"], "terms": terms.detach()}
            return (actor["per_task"] if use_pcgrad else terms), aux

        actor_norm, actor = steps.group("actor", actor_objective, use_pcgrad)

        def alpha_objective(nets: AgentNets) -> tuple[Tensor, dict[str, Tensor]]:
            alpha = S.alpha_loss(
                nets.log_alpha, actor["log_prob"], batch["task"], self.target_entropy
            )
            return alpha["per_task"] / self.num_tasks, {
                "loss": alpha["per_task"].detach().mean(),
                "entropy": alpha["entropy"],
            }

        _, alpha = steps.group("alpha", alpha_objective)
        steps.cap(self.nets.log_alpha, cfg.alpha_max)
        steps.soft_update("critic")
        steps.step_shared()
        metrics = _scalars(
            {
                "loss/critic": critic["terms"].sum(),
                "loss/actor": actor["terms"].sum(),
                "loss/alpha": alpha["loss"],
                "alpha/mean": self.nets.log_alpha.detach().exp().mean(),
                "q/mean": critic["q"],
                "q/target": critic["target"],
                "entropy/mean": alpha["entropy"].mean(),
                "grad/critic_norm": critic_norm,
                "grad/actor_norm": actor_norm,
                "sac/masked_tasks": critic["masked"].sum(),
            }
        )
        return metrics, critic["td_error"], critic["masked"]

    def guide_targets(self, seg: dict[str, Tensor]) -> dict[str, Tensor]:
        """K-step targets of the guide critic and of the soft comparison critic.

        The comparison target sums the soft rewards r_k - alpha_i log pi_i(a~_k|s_k) of the
        segment and bootstraps, per ``guide.compare_bootstrap``, from V_i(s_K) (the own
        policy's soft value, "own") or from the guide's mixture
        sum_j Pi_i(j|s_K) min_q Qc_target(s_K, j) (the reference, "guide").

        "own" reads V_i(s_K) from the online control critics, the ones the gate's V_i(s)
        reads: the gate compares Qc(s, j) with V_i(s), so both sides carry the same critic.
        The target critics trail the online ones (Polyak, tau = 0.005) and would bias Qc
        low while values rise. No target network is needed here: Qc does not bootstrap
        from itself in this mode, V_i(s_K) is a fixed input to its loss.
        """
        cfg, gcfg, nets = self.cfg.sac, self.cfg.guide, self.nets
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
                alpha = self.nets.log_alpha.exp()[task].unsqueeze(1)
                soft_reward = reward - alpha * control_log_prob.view(b, k)
                if gcfg.compare_bootstrap == "own":
                    boot_value = G.own_policy_value(
                        nets.actor,
                        nets.critic,
                        self.nets.log_alpha,
                        boot_obs,
                        task,
                        samples=1,
                    )
                else:
                    qc_next = guide.compare_target(boot_obs, task).min(dim=0).values
                    boot_value = G.soft_value(probs, log_probs, qc_next, None)
                out["compare_target"] = (
                    G.discounted_sum(soft_reward, included, cfg.gamma) + discount * boot_value
                )
        return out

    def guide(self, seg: dict[str, Tensor], step: int) -> dict[str, Tensor]:
        """Guide critic(s), guide actor, guide temperature and target updates on segments
        (eager; ``ctpg.algo.compiled`` runs ``guide_body`` as one compiled graph)."""
        metrics = self.guide_body(seg, S.masking_active(step, self.cfg.sac), EagerSteps(self))
        self.num_guide_updates += 1
        return metrics

    def guide_body(
        self, seg: dict[str, Tensor], masking: bool | Tensor, steps: Steps
    ) -> dict[str, Tensor]:
        """The guide update through ``steps``; returns its metrics.

        As the reference: each guide critic masks the tasks whose mean loss exceeds the
        control threshold (from the same step on); the guide actor uses the guide critic's
        mask; losses are means over the segments; beta is never masked.
        """
        gcfg, scfg, nets = self.cfg.guide, self.cfg.sac, self.nets
        guide = nets.require_guide()
        task, obs0, num_tasks = seg["task"], seg["obs"][:, 0], self.num_tasks
        targets = self.guide_targets(seg)
        if gcfg.hindsight:
            choice = G.hindsight_relabel(nets.actor, seg["obs"], seg["action"], targets["included"])
        else:
            choice = seg["behaviour"]

        def critic_step(name: str, target: Tensor) -> tuple[dict[str, Tensor], Tensor]:
            def objective(nets: AgentNets) -> tuple[Tensor, dict[str, Tensor]]:
                g = nets.require_guide()
                critic = g.critic if name == "guide_critic" else g.compare
                loss = G.guide_critic_loss(critic, obs0, task, choice, target)
                per_task = S.per_task_mean(loss["per_sample"].detach(), task, num_tasks)
                active = ~S.extreme_mask(per_task, masking, scfg.loss_mask_threshold)
                total = G.masked_mean(loss["per_sample"], task, active)
                return total.reshape(1), {"total": total.detach(), "active": active, "q": loss["q"]}

            aux = steps.group(name, objective)[1]
            return aux, aux["active"]

        critic, active = critic_step("guide_critic", targets["target"])
        metrics = {"loss/guide_critic": critic["total"], "guide/q": critic["q"]}
        if gcfg.filter_gate != "off":
            compare = critic_step("compare_critic", targets["compare_target"])[0]
            metrics["loss/guide_compare"] = compare["total"]

        def actor_objective(nets: AgentNets) -> tuple[Tensor, dict[str, Tensor]]:
            g = nets.require_guide()
            actor = G.guide_actor_loss(g.actor, g.critic, g.log_beta, obs0, task)
            total = G.masked_mean(actor["per_sample"], task, active)
            return total.reshape(1), {"total": total.detach(), "entropy": actor["entropy"]}

        actor = steps.group("guide_actor", actor_objective)[1]

        def beta_objective(nets: AgentNets) -> tuple[Tensor, dict[str, Tensor]]:
            g = nets.require_guide()
            loss = G.guide_temperature_loss(
                g.log_beta, actor["entropy"], task, self.guide_target_entropy
            )["loss"]
            return loss.reshape(1), {"loss": loss.detach()}

        beta = steps.group("beta", beta_objective)[1]
        steps.cap(guide.log_beta, gcfg.beta_max)
        steps.soft_update("guide_critic")
        steps.soft_update("compare_critic")
        metrics.update(
            {
                "loss/guide_actor": actor["total"],
                "loss/guide_beta": beta["loss"],
                "guide/entropy": actor["entropy"].mean(),
                "guide/beta_mean": guide.log_beta.detach().exp().mean(),
                "guide/relabel_rate": (choice != seg["behaviour"]).float().mean(),
                "guide/segment_length": targets["included"].sum(1).mean(),
                "guide/masked_tasks": (~active).sum(),
            }
        )
        return _scalars(metrics)


Objective = Callable[[AgentNets], tuple[Tensor, dict[str, Tensor]]]
"""A loss of the networks: (terms whose sum is the loss, or per-task losses under PCGrad;
detached values the update reads afterwards)."""


class Steps(Protocol):
    """How an update forms and applies its gradients: eagerly (``EagerSteps``) or as
    tensor arithmetic inside one compiled graph (``ctpg.algo.compiled.FunctionalSteps``)."""

    def group(
        self, name: str, objective: Objective, pcgrad: bool = False
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Step the parameter group ``name`` down the gradient of ``objective``'s terms;
        returns (the gradient norm before clipping, the objective's aux)."""
        ...

    def step_shared(self) -> None:
        """Clip and apply the gradient the actor and critic left in the shared parameters."""
        ...

    def cap(self, log_temperature: Tensor, maximum: float) -> None:
        """Clamp a log temperature so that its exp is at most ``maximum``."""
        ...

    def soft_update(self, name: str) -> None:
        """Polyak-average the target of ``name`` towards its online network."""
        ...


class EagerSteps:
    """``Steps`` with autograd and the groups' ``torch.optim.Adam`` optimizers."""

    def __init__(self, updates: Updates) -> None:
        self.updates = updates

    def group(
        self, name: str, objective: Objective, pcgrad: bool = False
    ) -> tuple[Tensor, dict[str, Tensor]]:
        terms, aux = objective(self.updates.nets)
        return self.step(name, terms, pcgrad), aux

    def step(self, name: str, per_task: Tensor, pcgrad: bool = False) -> Tensor:
        """The one place where eager gradients are formed, clipped and applied.

        ``per_task`` holds terms whose sum is the loss; with ``pcgrad`` the terms are
        per-task losses combined by gradient surgery. The actor and critic losses also
        form the gradient of the shared parameters (PaCo's task embedding): it is added to
        what they already hold and clipped together with the group, as the reference
        clips its task encoder with each network; ``step_shared`` applies it. Every group,
        temperatures included, is clipped to ``grad_clip``. Returns the gradient norm
        before clipping.
        """
        updates = self.updates
        params = updates.param_groups[name]
        shared = updates.shared_params if name in ("actor", "critic") else []
        every = params + shared
        if pcgrad:
            grads = pcgrad_gradients(per_task, every)
        else:
            raw = torch.autograd.grad(per_task.sum(), every, allow_unused=True)
            grads = [
                torch.zeros_like(p) if g is None else g for g, p in zip(raw, every, strict=True)
            ]
        # contiguous: torch's fused CPU Adam applies a non-contiguous gradient (the
        # transposed view autograd returns for a permuted weight) to the wrong elements
        for p, g in zip(params, grads, strict=False):
            p.grad = g.contiguous()
        for p, g in zip(shared, grads[len(params) :], strict=True):
            p.grad = g.contiguous() if p.grad is None else (p.grad + g).contiguous()
        clip = updates.cfg.sac.grad_clip
        norm = torch.nn.utils.clip_grad_norm_(every, math.inf if clip is None else clip)
        updates.optimizers[name].step()
        return norm.detach()

    def step_shared(self) -> None:
        updates = self.updates
        if not updates.shared_params:
            return
        for p in updates.shared_params:
            if p.grad is None:
                p.grad = torch.zeros_like(p)
        clip = updates.cfg.sac.grad_clip
        torch.nn.utils.clip_grad_norm_(updates.shared_params, math.inf if clip is None else clip)
        updates.optimizers["task_embedding"].step()
        for p in updates.shared_params:
            p.grad = None

    def cap(self, log_temperature: Tensor, maximum: float) -> None:
        S.cap_log_temperature(log_temperature.data, maximum)

    def soft_update(self, name: str) -> None:
        self.updates.soft_update(name)


class StackedMetrics(dict[str, Tensor]):
    """An update's metrics (0-d tensors) that also hold their values stacked, float64
    ``[len]`` in key order, as the compiled updates return them: the trainer's running
    means (``ctpg.metrics.DeviceAverages``) then add one tensor instead of stacking."""

    def __init__(self, metrics: dict[str, Tensor], stacked: Tensor) -> None:
        super().__init__(metrics)
        if stacked.shape != (len(metrics),):
            raise ValueError(
                f"stacked: expected shape ({len(metrics)},), got {tuple(stacked.shape)}"
            )
        self.stacked = stacked

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(
            "StackedMetrics is read-only (its values are also stacked): copy it with dict()"
        )

    __setitem__ = __delitem__ = __ior__ = _read_only
    update = pop = popitem = clear = setdefault = _read_only


def stack_metrics(metrics: dict[str, Tensor]) -> Tensor:
    """The values of ``metrics`` stacked, float64 ``[len]`` in key order."""
    return torch.stack(list(metrics.values())).double()


def _scalars(metrics: dict[str, Tensor]) -> dict[str, Tensor]:
    """Metrics as detached float 0-d tensors on the device: reading them is left to the
    caller (the trainer reads them at evaluation time, so the update never waits)."""
    return {k: v.detach().float().reshape(()) for k, v in metrics.items()}
