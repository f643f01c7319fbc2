"""Tanh-Gaussian actor, twin critics and guide networks."""

from __future__ import annotations

import pytest
import torch
from torch.distributions import Normal, TransformedDistribution
from torch.distributions.transforms import TanhTransform

from ctpg.config import BASES, NetConfig
from ctpg.nets import GuideActor, TanhGaussianActor, TwinCritic, TwinGuideCritic
from ctpg.nets.policy import squashed_log_prob

T, D, A, N = 3, 6, 2, 9


def _cfg(base: str) -> NetConfig:
    return NetConfig(
        base=base, hidden=(16, 16), sm_width=8, sm_module_width=4, sm_routing_width=8, paco_k=2
    )


def test_squashed_log_prob_matches_torch_distributions() -> None:
    torch.manual_seed(0)
    mean, log_std = torch.randn(N, A), torch.randn(N, A).clamp(-2, 1)
    action, log_prob = TanhGaussianActor.rsample(mean, log_std)
    ref = TransformedDistribution(Normal(mean, log_std.exp()), TanhTransform(cache_size=1))
    expected = ref.log_prob(action).sum(-1)
    torch.testing.assert_close(log_prob, expected, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(
        squashed_log_prob(mean, log_std, action), log_prob, rtol=1e-4, atol=1e-4
    )


@pytest.mark.parametrize("base", BASES)
def test_actor_and_critic_shapes(base: str) -> None:
    cfg = _cfg(base)
    actor, critic = TanhGaussianActor(cfg, D, A, T), TwinCritic(cfg, D, A, T)
    obs, task = torch.randn(N, D), torch.randint(0, T, (N,))
    mean, log_std = actor.params(obs, task)
    assert mean.shape == log_std.shape == (N, A)
    assert torch.all(log_std >= cfg.log_std_min) and torch.all(log_std <= cfg.log_std_max)
    action, log_prob = actor.sample(obs, task)
    assert action.shape == (N, A) and log_prob.shape == (N,)
    assert torch.all(action.abs() <= 1)
    mean_all, _ = actor.params_all(obs)
    assert mean_all.shape == (N, T, A)
    torch.testing.assert_close(mean_all[torch.arange(N), task], mean, rtol=1e-5, atol=1e-5)
    q = critic(obs, action, task)
    assert q.shape == (2, N)
    torch.testing.assert_close(critic.min_q(obs, action, task), q.min(0).values)
    assert not torch.allclose(q[0], q[1])


def test_guide_networks() -> None:
    actor, critic = GuideActor(D, T, (16,)), TwinGuideCritic(D, T, (16,))
    obs, task = torch.randn(N, D), torch.randint(0, T, (N,))
    probs, log_probs = actor(obs, task)
    assert probs.shape == (N, T)
    torch.testing.assert_close(probs.sum(-1), torch.ones(N))
    torch.testing.assert_close(log_probs.exp(), probs)
    assert critic(obs, task).shape == (2, N, T)
    # Head i is used for task i: same observation, different task, different output.
    same = obs[:1].expand(T, D)
    out = critic(same, torch.arange(T))[0]
    assert not torch.allclose(out[0], out[1])


@pytest.mark.parametrize("base", BASES)
def test_untrained_policy_explores_widely(base: str) -> None:
    """As the reference's actor (hard clamp of the raw log sigma, xavier init, zero
    biases): the untrained policy of every base method has log sigma ~ 0, so its sampled
    actions spread like tanh(N(0, 1)) (std ~0.63), not a near-deterministic policy."""
    torch.manual_seed(0)
    cfg = NetConfig(base=base, hidden=(400,) * 5)
    actor = TanhGaussianActor(cfg, 39, 4, 10)
    obs = torch.randn(10, 39) * 0.5
    task = torch.arange(10)
    with torch.no_grad():
        _, log_std = actor.params(obs, task)
        actions = torch.stack([actor.sample(obs, task)[0] for _ in range(400)])
    assert float(log_std.abs().max()) < 0.5
    spread = actions.std(dim=0)
    assert float(spread.min()) > 0.5 and float(spread.max()) < 0.75


def test_log_std_is_a_hard_clamp_of_the_raw_output() -> None:
    actor = TanhGaussianActor(NetConfig(base="mtsac", hidden=(8,)), D, A, T)
    raw = torch.tensor([[0.0, 0.0, -30.0, 0.7], [0.0, 0.0, 5.0, -3.0]])
    mean, log_std = actor._split(raw)
    torch.testing.assert_close(mean, torch.zeros(2, 2))
    torch.testing.assert_close(log_std, torch.tensor([[-20.0, 0.7], [2.0, -3.0]]))
