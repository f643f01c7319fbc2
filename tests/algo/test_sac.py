"""Multi-task SAC pieces: temperature update and cap, task weights, TD targets, masking."""

from __future__ import annotations

import math

import torch

from ctpg.algo import sac_loss as S
from ctpg.algo.agent import Agent
from ctpg.config import AgentConfig, NetConfig, SACConfig

T, D, A, B = 3, 4, 2, 8


def _agent(base: str = "mhsac", **sac: object) -> Agent:
    net = NetConfig(base=base, hidden=(16, 16), paco_k=3, paco_layers=2, paco_width=16)
    cfg = AgentConfig(net=net, sac=SACConfig(**sac))  # type: ignore[arg-type]
    return Agent(cfg, num_tasks=T, obs_dim=D, action_dim=A, device=torch.device("cpu"))


def _batch(terminated: bool = False, truncated: bool = False) -> dict[str, torch.Tensor]:
    n = T * B
    return {
        "obs": torch.randn(n, D),
        "action": torch.rand(n, A) * 2 - 1,
        "reward": torch.randn(n),
        "next_obs": torch.randn(n, D),
        "terminated": torch.full((n,), terminated),
        "truncated": torch.full((n,), truncated),
        "task": torch.arange(T).repeat_interleave(B),
        "index": torch.arange(n),
        "weight": torch.ones(n),
    }


def test_temperature_update_direction_and_cap() -> None:
    agent = _agent(alpha_init=0.9)
    task = torch.tensor([0, 1, 2])
    # task 0: entropy far below target (log pi high) -> alpha up; task 1: far above -> down.
    log_prob = torch.tensor([10.0, -10.0, float(A)])  # entropy -A = target for task 2
    before = agent.log_alpha.detach().clone()
    loss = S.alpha_loss(agent.log_alpha, log_prob, task, agent.target_entropy)["per_task"]
    agent.updates.apply("alpha", loss)
    after = agent.log_alpha.detach()
    assert after[0] > before[0] and after[1] < before[1]
    torch.testing.assert_close(after[2], before[2])  # exactly at target: no move
    for _ in range(3000):  # keep pushing task 0 up: it must stop at alpha = 1
        loss = S.alpha_loss(agent.log_alpha, log_prob, task, agent.target_entropy)["per_task"]
        agent.updates.apply("alpha", loss)
        S.cap_log_temperature(agent.log_alpha.data, 1.0)
    assert agent.log_alpha[0].item() == 0.0


def test_alpha_task_weights() -> None:
    log_alpha = torch.log(torch.tensor([0.1, 0.2, 0.4]))
    w = S.task_weights(log_alpha, alpha_weight=True)
    torch.testing.assert_close(w, torch.softmax(-log_alpha, 0) * 3)
    torch.testing.assert_close(w.sum(), torch.tensor(3.0))
    assert w[0] > w[1] > w[2]
    assert torch.equal(S.task_weights(log_alpha, alpha_weight=False), torch.ones(3))


def test_critic_target_bootstraps_on_truncation_not_termination() -> None:
    torch.manual_seed(0)
    agent = _agent()
    cfg, nets = agent.cfg.sac, agent.nets
    batch = _batch()
    losses = {}
    for name, flags in {
        "open": {},
        "trunc": {"truncated": True},
        "term": {"terminated": True},
    }.items():
        b = {**batch, **_batch(**flags)}
        b.update({k: batch[k] for k in ("obs", "action", "reward", "next_obs")})
        torch.manual_seed(1)
        losses[name] = S.critic_loss(
            nets.actor, nets.critic, nets.critic_target, agent.log_alpha, b, cfg
        )["target"]
    torch.testing.assert_close(losses["open"], losses["trunc"])
    torch.testing.assert_close(losses["term"], cfg.reward_scale * batch["reward"].mean())
    assert not torch.allclose(losses["open"], losses["term"])


def test_extreme_tasks_masked_after_step_and_paco_reset() -> None:
    cfg = SACConfig(loss_mask_after=100, loss_mask_threshold=5.0)
    per_task = torch.tensor([1.0, 9.0, 4.0])
    assert not S.extreme_tasks(per_task, 99, cfg).any()
    assert S.extreme_tasks(per_task, 100, cfg).tolist() == [False, True, False]
    torch.manual_seed(0)
    agent = _agent("paco", loss_mask_after=0, loss_mask_threshold=1e-9)
    embedding = agent.nets.task_embedding
    assert embedding is not None
    before = embedding.weight.detach().clone()
    agent.reset_extreme_tasks(torch.tensor([False, True, False]))
    after = embedding.weight.detach()
    torch.testing.assert_close(after[[0, 2]], before[[0, 2]])
    assert not torch.allclose(after[1], before[1])


def test_paco_one_task_embedding_shared_and_trained_by_actor_and_critic() -> None:
    """PaCo as the reference: one composition table read by the actor, both critics and
    both target critics; its own optimizer; the critic loss and the actor loss (through
    the actor only: the critic inside the actor loss sees it detached) move it."""
    torch.manual_seed(0)
    agent = _agent("paco")
    nets = agent.nets
    embedding = nets.task_embedding
    assert embedding is not None
    readers = [nets.actor.net, *nets.critic.q, *nets.critic_target.q]
    assert all(net.embedding is embedding for net in readers)
    grouped = [id(p) for name in ("actor", "critic") for p in agent.updates.param_groups[name]]
    assert id(embedding.weight) not in grouped
    assert agent.updates.param_groups["task_embedding"] == [embedding.weight]
    assert embedding.weight.requires_grad
    batch = {k: v for k, v in _batch().items()}
    # Gradient of the actor loss alone: only through the actor's own use of w.
    actor = S.actor_loss(nets.actor, nets.critic, agent.log_alpha, batch, nets.critic_scope)
    through_actor = torch.autograd.grad(actor["per_task"].sum(), embedding.weight)[0]
    with embedding.detached():
        q_only = nets.critic.min_q(batch["obs"], batch["action"], batch["task"]).sum()
    assert torch.autograd.grad(q_only, embedding.weight, allow_unused=True)[0] is None
    assert float(through_actor.abs().sum()) > 0
    before = embedding.weight.detach().clone()
    agent.update(batch, step=0)
    assert not torch.allclose(embedding.weight.detach(), before)
    assert embedding.weight.grad is None  # applied and cleared once per update


def test_masked_tasks_get_no_gradient() -> None:
    per_task = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    terms = S.combine(per_task, torch.ones(3), torch.tensor([True, False, True]))
    terms.sum().backward()
    torch.testing.assert_close(per_task.grad, torch.tensor([1 / 3, 0.0, 1 / 3]))


def test_importance_weights_scale_critic_loss() -> None:
    torch.manual_seed(0)
    agent = _agent()
    batch = _batch()
    args = (agent.nets.actor, agent.nets.critic, agent.nets.critic_target, agent.log_alpha)
    torch.manual_seed(3)
    plain = S.critic_loss(*args, batch, agent.cfg.sac)["per_task"]
    torch.manual_seed(3)
    doubled = S.critic_loss(*args, {**batch, "weight": 2 * batch["weight"]}, agent.cfg.sac)
    torch.testing.assert_close(doubled["per_task"], 2 * plain)
    assert math.isfinite(float(plain.detach().sum()))


def test_every_optimizer_step_is_plain_adam_even_for_transposed_gradients() -> None:
    """The multi-head actor's head weight gets a transposed (non-contiguous) gradient from
    autograd; each group's step must equal a textbook single-tensor Adam step on the
    clipped gradient (torch's fused CPU Adam applies such a gradient to the wrong
    elements unless it is made contiguous first)."""
    torch.manual_seed(0)
    agent = _agent("mhsac")
    updates = agent.updates
    head = agent.nets.actor.net.heads.weight
    per_task = S.actor_loss(
        agent.nets.actor, agent.nets.critic, agent.log_alpha, _batch(), agent.nets.critic_scope
    )["per_task"]
    raw = torch.autograd.grad(per_task.sum(), head, retain_graph=True)[0]
    assert not raw.is_contiguous()  # the case the step must handle
    params = updates.param_groups["actor"]
    before = [p.detach().clone() for p in params]
    grads = torch.autograd.grad(per_task.sum(), params, retain_graph=True)
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
    clip = updates.cfg.sac.grad_clip
    scale = 1.0 if clip is None else min(1.0, clip / (float(norm) + 1e-6))
    updates.apply("actor", per_task)
    lr = updates.cfg.sac.lr
    for p, p0, g in zip(params, before, grads, strict=True):
        g = g * scale
        # first Adam step: m = (1 - b1) g, v = (1 - b2) g^2, bias-corrected: p -= lr g / (|g| + eps)
        m_hat, v_hat = g, g * g
        expected = p0 - lr * m_hat / (v_hat.sqrt() + 1e-8)
        torch.testing.assert_close(p.detach(), expected, rtol=1e-5, atol=1e-7)
