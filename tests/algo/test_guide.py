"""CTPG guide: K-step targets, hindsight relabelling, the two gates."""

from __future__ import annotations

import math

import pytest
import torch

from ctpg.algo import guide_loss as G
from ctpg.algo import sac_loss as S
from ctpg.algo.agent import Agent
from ctpg.config import AgentConfig, GuideConfig, NetConfig, SACConfig

GAMMA = 0.5


def _flags(*rows: list[int]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.bool)


def test_k_step_targets_termination_vs_truncation() -> None:
    # Three segments, K = 3, rewards 1, 2, 4; next_obs[b, k] = 10 * k + b (one feature).
    reward = torch.tensor([[1.0, 2.0, 4.0]] * 3)
    terminated = _flags([0, 0, 0], [0, 1, 0], [0, 0, 0])
    truncated = _flags([0, 0, 0], [0, 0, 0], [0, 1, 0])
    valid = _flags([1, 1, 1], [1, 1, 1], [1, 1, 1])
    next_obs = 10 * torch.arange(3.0).view(1, 3, 1) + torch.arange(3.0).view(3, 1, 1)
    included, last, end_term = G.segment_layout(terminated, truncated, valid)
    torch.testing.assert_close(included, torch.tensor([[1.0, 1, 1], [1, 1, 0], [1, 1, 0]]))
    ret = G.discounted_sum(reward, included, GAMMA)
    torch.testing.assert_close(ret, torch.tensor([1 + 0.5 * 2 + 0.25 * 4, 1 + 0.5 * 2, 2.0]))
    disc = G.bootstrap_discount(included, last, end_term, GAMMA)
    # full segment: gamma^K; terminated: no bootstrap; truncated at k=1: gamma^2 from final obs.
    torch.testing.assert_close(disc, torch.tensor([0.125, 0.0, 0.25]))
    boot = G.last_next_obs(next_obs, last)
    torch.testing.assert_close(boot.squeeze(1), torch.tensor([20.0 + 0, 10 + 1, 10 + 2]))


def test_segment_stops_at_first_end_and_invalid_steps() -> None:
    terminated = _flags([1, 0, 1])
    truncated = _flags([0, 0, 0])
    included, last, end_term = G.segment_layout(terminated, truncated, _flags([1, 1, 1]))
    torch.testing.assert_close(included, torch.tensor([[1.0, 0, 0]]))
    assert last.item() == 0 and end_term.item() == 1.0
    included, last, end_term = G.segment_layout(_flags([0, 0, 0]), truncated, _flags([1, 0, 1]))
    torch.testing.assert_close(included, torch.tensor([[1.0, 0, 0]]))
    assert last.item() == 0 and end_term.item() == 0.0


class _FixedActor:
    """Every task's Gaussian (before tanh) has a fixed mean per task and time step."""

    def __init__(self, means: torch.Tensor, log_std: float) -> None:
        self.means, self.log_std = means, log_std  # means [B*K, T, A]
        self.net = type("Net", (), {"num_tasks": means.shape[1]})()

    def params_all(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        assert obs.shape[0] == self.means.shape[0]
        return self.means, torch.full_like(self.means, self.log_std)


def test_hindsight_relabel_argmax_of_summed_log_probs_stops_at_episode_end() -> None:
    # T = 2, K = 3, A = 1. Task 0's policy explains step 0 exactly; task 1's policy explains
    # steps 1 and 2 exactly. Gaussian log-density differences decide (sigma = 1).
    actions_pre = torch.tensor([0.0, 0.5, -0.5])
    means = torch.tensor([[0.0, 2.0], [2.0, 0.5], [2.0, -0.5]]).unsqueeze(-1)  # [K, T, 1]
    actor = _FixedActor(torch.cat([means, means]), log_std=0.0)
    action = torch.tanh(actions_pre).view(1, 3, 1).repeat(2, 1, 1)
    obs = torch.zeros(2, 3, 4)
    ended_first = _flags([0, 0, 0], [1, 0, 0])
    included, _, _ = G.segment_layout(
        ended_first, _flags([0, 0, 0], [0, 0, 0]), _flags([1, 1, 1], [1, 1, 1])
    )
    # Hand computation of sum_k included_k * (-(u_k - mu_jk)^2 / 2) (shared terms cancel):
    # full segment: task0 = -(0 + 1.5^2 + 2.5^2)/2 = -4.25, task1 = -(4)/2 = -2 -> j* = 1.
    # ended after step 0: task0 = 0, task1 = -2 -> j* = 0.
    choice = G.hindsight_relabel(actor, obs, action, included)
    assert choice.tolist() == [1, 0]


def test_masked_tasks_are_never_chosen_and_empty_mask_falls_back() -> None:
    torch.manual_seed(0)
    n, t = 4000, 4
    probs = torch.tensor([0.97, 0.01, 0.01, 0.01]).expand(n, t)
    mask = torch.tensor([False, True, False, True]).expand(n, t)
    task = torch.full((n,), 2)
    choice = G.masked_choice(probs, mask, task)
    assert set(choice.unique().tolist()) == {1, 3}
    share = (choice == 1).float().mean().item()
    assert abs(share - 0.5) < 0.05  # renormalised 0.01 : 0.01
    empty = torch.zeros(n, t, dtype=torch.bool)
    assert torch.equal(G.masked_choice(probs, empty, task), task)


def _agent(**guide: object) -> Agent:
    cfg = AgentConfig(
        net=NetConfig(base="mhsac", hidden=(16, 16)), guide=GuideConfig(**guide), sharing="ctpg"
    )  # type: ignore[arg-type]
    return Agent(cfg, num_tasks=4, obs_dim=5, action_dim=2, device=torch.device("cpu"))


def test_agent_choose_behaviour_respects_filter_mask() -> None:
    torch.manual_seed(1)
    agent = _agent(filter_samples=3)
    with torch.no_grad():  # make the comparison values vary across tasks and states
        for q in agent.nets.require_guide().compare.q:
            q.body.heads.bias.normal_(0.0, 5.0)
    obs = torch.randn(64, 5).repeat(40, 1)
    task = torch.randint(0, 4, (64,)).repeat(40)
    choice, info = agent.choose_behaviour(obs, task, filter_active=True)
    mask = info["mask"]
    assert 0 < mask.float().mean() < 1
    rows = torch.arange(obs.shape[0])
    ok = mask[rows, choice] | (info["empty"] & (choice == task))
    assert bool(ok.all())
    _, open_info = agent.choose_behaviour(obs, task, filter_active=False)
    assert bool(open_info["mask"].all())


def test_block_gate_from_given_temperatures() -> None:
    agent = _agent()
    with torch.no_grad():
        agent.log_alpha.copy_(torch.tensor([-1.0, 0.0, 2.0, -3.0]))  # mean -0.5
    assert agent.blocked_tasks().tolist() == [False, True, True, False]
    assert not _agent(block_gate=False).blocked_tasks().any()


def test_guide_temperature_moves_towards_target_entropy() -> None:
    log_beta = torch.zeros(2, requires_grad=True)
    target = G.guide_target_entropy(4, 0.98)
    assert math.isclose(target, 0.98 * math.log(4))
    entropy = torch.tensor([math.log(4), 0.1])  # above target, below target
    loss = G.guide_temperature_loss(log_beta, entropy, torch.tensor([0, 1]), target)["loss"]
    loss.backward()
    assert log_beta.grad[0] > 0 > log_beta.grad[1]  # descent lowers beta_0, raises beta_1


def test_agent_guide_targets_match_hand_computation() -> None:

    torch.manual_seed(0)
    agent = _agent(filter_gate="off", guide_step=3)
    guide = agent.nets.require_guide()
    with torch.no_grad():
        guide.log_beta.fill_(math.log(0.3))
    next_obs = torch.randn(3, 3, 5)
    seg = {
        "obs": torch.randn(3, 3, 5),
        "action": torch.zeros(3, 3, 2),
        "reward": torch.tensor([[1.0, 2.0, 4.0]] * 3),
        "next_obs": next_obs,
        "terminated": _flags([0, 0, 0], [0, 1, 0], [0, 0, 0]),
        "truncated": _flags([0, 0, 0], [0, 0, 0], [0, 1, 0]),
        "valid": _flags([1, 1, 1], [1, 1, 1], [1, 1, 1]),
        "behaviour": torch.tensor([0, 1, 2]),
        "task": torch.tensor([1, 2, 3]),
    }
    target = agent.updates.guide_targets(agent._prepare(seg))["target"]
    g, s = agent.cfg.sac.gamma, agent.cfg.sac.reward_scale

    def value(obs: torch.Tensor, task: int) -> float:
        with torch.no_grad():
            probs, log_probs = guide.actor(obs.view(1, 5), torch.tensor([task]))
            q = guide.critic_target(obs.view(1, 5), torch.tensor([task])).min(0).values
        return float((probs * (q - 0.3 * log_probs)).sum())

    expected = [
        s * (1 + g * 2 + g**2 * 4) + g**3 * value(next_obs[0, 2], 1),
        s * (1 + g * 2),
        s * (1 + g * 2) + g**2 * value(next_obs[2, 1], 3),
    ]
    torch.testing.assert_close(target, torch.tensor(expected), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bootstrap", ["guide", "own"])
def test_soft_comparison_target_carries_control_entropy(bootstrap: str) -> None:
    """sum_k gamma^k (r_k - alpha_i log pi_i(a~_k|s_k)) plus gamma^K times the bootstrap at
    s_K: the guide's mixture of min-twin comparison targets ("guide", the reference), or
    the own policy's soft value from the online control critics, the ones the gate's
    V_i(s) reads ("own"). The target critics are moved away from the online ones, so that
    a bootstrap from them would miss."""

    torch.manual_seed(0)
    agent = _agent(guide_step=2, compare_bootstrap=bootstrap)
    guide = agent.nets.require_guide()
    with torch.no_grad():
        agent.log_alpha.copy_(torch.log(torch.tensor([0.5, 0.2, 0.1, 0.05])))
        for p in agent.nets.critic_target.parameters():
            p.add_(0.5)
    seg = {
        "obs": torch.randn(2, 2, 5),
        "action": torch.zeros(2, 2, 2),
        "reward": torch.tensor([[1.0, 3.0], [2.0, 5.0]]),
        "next_obs": torch.randn(2, 2, 5),
        "terminated": _flags([0, 0], [1, 0]),
        "truncated": _flags([0, 0], [0, 0]),
        "valid": _flags([1, 1], [1, 1]),
        "behaviour": torch.tensor([0, 1]),
        "task": torch.tensor([0, 2]),
    }
    torch.manual_seed(5)
    out = agent.updates.guide_targets(agent._prepare(seg))["compare_target"]

    def expected(critic: torch.nn.Module) -> torch.Tensor:
        torch.manual_seed(5)
        s_k, task0 = seg["next_obs"][:, 1], torch.tensor([0, 2])
        with torch.no_grad():
            obs = seg["obs"].reshape(4, 5)
            _, log_pi = agent.nets.actor.sample(obs, torch.tensor([0, 0, 2, 2]))
            if bootstrap == "own":
                a, log_pi_k = agent.nets.actor.sample(s_k, task0)
                q = critic(s_k, a, task0).mean(0)
                boot = (q - agent.log_alpha.exp()[task0] * log_pi_k)[0]
            else:
                probs, _ = guide.actor(s_k[:1], task0[:1])
                q = guide.compare_target(s_k[:1], task0[:1]).min(0).values
                boot = (probs * q).sum()
        g, s = agent.cfg.sac.gamma, agent.cfg.sac.reward_scale
        log_pi = log_pi.view(2, 2)
        return torch.stack(
            [
                (s * 1 - 0.5 * log_pi[0, 0]) + g * (s * 3 - 0.5 * log_pi[0, 1]) + g**2 * boot,
                s * 2 - 0.1 * log_pi[1, 0],  # terminated at step 0: one step, no bootstrap
            ]
        ).float()

    torch.testing.assert_close(out, expected(agent.nets.critic), rtol=1e-5, atol=1e-5)
    if bootstrap == "own":
        stale = expected(agent.nets.critic_target)
        assert (out[0] - stale[0]).abs() > 1e-2
        torch.testing.assert_close(out[1], stale[1])  # no bootstrap: no critic read


def test_hindsight_relabel_in_chunks_equals_one_pass() -> None:
    torch.manual_seed(0)
    agent = _agent()
    obs, source = torch.randn(7, 3, 5), torch.arange(7) % 4
    with torch.no_grad():
        action, _ = agent.nets.actor.sample(obs.reshape(21, 5), source.repeat_interleave(3))
    action, included = action.view(7, 3, 2), torch.ones(7, 3)
    one = G.hindsight_relabel(agent.nets.actor, obs, action, included)
    chunked = G.hindsight_relabel(agent.nets.actor, obs, action, included, max_rows=24)
    assert torch.equal(one, chunked)
    assert len(set(one.tolist())) > 1


class _ScriptedActor:
    """sample() returns fixed actions and log-probabilities, one row per call row."""

    def __init__(self, log_probs: torch.Tensor) -> None:
        self.log_probs = log_probs  # [samples * N]

    def sample(self, obs: torch.Tensor, task: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return torch.zeros(obs.shape[0], 1), self.log_probs


class _ScriptedCritic:
    def __init__(self, q: torch.Tensor) -> None:
        self.q = q  # [2, samples * N]

    def __call__(self, obs: torch.Tensor, action: torch.Tensor, task: torch.Tensor) -> torch.Tensor:
        return self.q


def test_gate_own_policy_value_hand_computed() -> None:
    """V_i(s) = mean over samples of the MEAN of the twin critics, minus alpha_i times the
    mean log pi_i (the reference's gate), for N = 2 states and 3 samples (rows are
    sample-major: row s * N + n)."""
    q = torch.tensor([[1.0, 10.0, 3.0, 20.0, 5.0, 30.0], [3.0, 14.0, 5.0, 16.0, 1.0, 40.0]])
    log_probs = torch.tensor([-1.0, 0.5, -2.0, 1.5, 0.0, -0.5])
    log_alpha = torch.log(torch.tensor([0.2, 0.4]))
    obs, task = torch.zeros(2, 3), torch.tensor([1, 0])
    v = G.own_policy_value(
        _ScriptedActor(log_probs),
        _ScriptedCritic(q),
        log_alpha,
        obs,
        task,
        samples=3,  # type: ignore[arg-type]
    )
    # state 0 (task 1, alpha 0.4): twin means 2, 4, 3 -> 3; mean log pi -1 -> 3 + 0.4
    # state 1 (task 0, alpha 0.2): twin means 12, 18, 35 -> 65/3; mean log pi 0.5 -> - 0.1
    torch.testing.assert_close(v, torch.tensor([3.0 + 0.4, 65.0 / 3.0 - 0.1]))


def _gated_agent(mode: str, q: torch.Tensor, v: torch.Tensor) -> Agent:
    agent = _agent(filter_gate=mode)
    agent.gate_values = lambda obs, task: (q.expand(obs.shape[0], -1), v.expand(obs.shape[0]))  # type: ignore[method-assign]
    with torch.no_grad():  # a uniform guide: every task has probability 1/4
        for p in agent.nets.require_guide().actor.parameters():
            p.zero_()
    return agent


def test_filter_gate_modes() -> None:
    """on: masked tasks are never drawn; reference (the published code): the mask is
    computed but the guide samples from all tasks, and only an all-masked row falls back
    to the own task; off: no mask. Comparison values [0, 5, 1, 6] against V = 2 mask
    tasks 0 and 2."""
    torch.manual_seed(0)
    n = 4000
    obs, task = torch.randn(n, 5), torch.full((n,), 2)
    q, v = torch.tensor([0.0, 5.0, 1.0, 6.0]), torch.tensor(2.0)
    choice, info = _gated_agent("on", q, v).choose_behaviour(obs, task, filter_active=True)
    assert set(choice.tolist()) == {1, 3}
    assert not bool(info["own_pass"].any()) and not bool(info["empty"].any())
    choice, info = _gated_agent("reference", q, v).choose_behaviour(obs, task, True)
    shares = torch.bincount(choice, minlength=4).float() / n
    assert bool((shares - 0.25).abs().max() < 0.03), shares  # masked tasks 0 and 2 drawn too
    assert info["mask"][0].tolist() == [False, True, False, True]
    choice, _ = _gated_agent("off", q, v).choose_behaviour(obs, task, True)
    assert set(choice.tolist()) == {0, 1, 2, 3}
    everything_masked = torch.tensor(9.0)
    for mode in ("on", "reference"):
        agent = _gated_agent(mode, q, everything_masked)
        choice, info = agent.choose_behaviour(obs, task, filter_active=True)
        assert torch.equal(choice, task) and bool(info["empty"].all())
    choice, info = _gated_agent("on", q, everything_masked).choose_behaviour(obs, task, False)
    assert set(choice.tolist()) == {0, 1, 2, 3} and bool(info["mask"].all())


def _segments(b: int = 8, k: int = 3) -> dict[str, torch.Tensor]:
    return {
        "obs": torch.randn(b, k, 5),
        "action": torch.rand(b, k, 2) * 2 - 1,
        "reward": torch.randn(b, k) * 100,
        "next_obs": torch.randn(b, k, 5),
        "terminated": torch.zeros(b, k, dtype=torch.bool),
        "truncated": torch.zeros(b, k, dtype=torch.bool),
        "valid": torch.ones(b, k, dtype=torch.bool),
        "behaviour": torch.arange(b) % 4,
        "task": torch.arange(b) % 4,
    }


def test_guide_losses_mask_extreme_tasks_but_beta_keeps_learning() -> None:
    """From ``loss_mask_after`` on, a task whose mean guide-critic loss exceeds the
    threshold is left out of the guide critic's and the guide actor's losses (the
    comparison critic masks on its own loss); its guide temperature still learns."""
    torch.manual_seed(0)
    cfg = AgentConfig(
        net=NetConfig(base="mhsac", hidden=(16, 16)),
        sac=SACConfig(loss_mask_after=50, loss_mask_threshold=1e-9),
        guide=GuideConfig(guide_step=3),
        sharing="ctpg",
    )
    agent = Agent(cfg, num_tasks=4, obs_dim=5, action_dim=2, device=torch.device("cpu"))
    guide = agent.nets.require_guide()

    def snapshot() -> list[torch.Tensor]:
        modules = (guide.critic, guide.compare, guide.actor)
        return [p.detach().clone() for m in modules for p in m.parameters()]

    before, beta = snapshot(), guide.log_beta.detach().clone()
    metrics = agent.update_guide(_segments(), step=50)
    assert metrics["guide/masked_tasks"] == 4
    assert all(torch.equal(a, b) for a, b in zip(before, snapshot(), strict=True))
    assert not torch.equal(guide.log_beta.detach(), beta)
    metrics = agent.update_guide(_segments(), step=49)  # before masking starts
    assert metrics["guide/masked_tasks"] == 0
    assert not all(torch.equal(a, b) for a, b in zip(before, snapshot(), strict=True))


def test_temperature_losses_take_the_gradient_through_exp() -> None:
    """As the reference: loss alpha * (-log pi - target) and beta * (H - target), so the
    gradient on log alpha is alpha times the entropy error (not the bare error)."""
    log_alpha = torch.log(torch.tensor([0.5, 0.25])).requires_grad_(True)
    log_prob = torch.tensor([1.0, -3.0])
    loss = S.alpha_loss(log_alpha, log_prob, torch.tensor([0, 1]), target_entropy=-2.0)
    loss["per_task"].sum().backward()
    torch.testing.assert_close(log_alpha.grad, torch.tensor([0.5 * (-1.0 + 2.0), 0.25 * 5.0]))
    log_beta = torch.log(torch.tensor([0.5, 2.0])).requires_grad_(True)
    entropy = torch.tensor([1.0, 0.2])
    G.guide_temperature_loss(log_beta, entropy, torch.tensor([0, 1]), 0.6)["loss"].backward()
    torch.testing.assert_close(log_beta.grad, torch.tensor([0.5 * 0.4, 2.0 * -0.4]) / 2)


def test_temperature_gradients_are_clipped_like_every_group() -> None:
    agent = _agent()
    norm = agent.updates.apply("alpha", 1e6 * agent.log_alpha.exp())
    assert float(norm) > 1e5
    assert float(agent.log_alpha.grad.norm()) <= agent.cfg.sac.grad_clip + 1e-6
