"""The Agent end to end on random data: every base x sharing, determinism, state round trip."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from ctpg.algo.agent import Agent
from ctpg.config import BASES, SHARINGS, AgentConfig, GuideConfig, NetConfig, SACConfig

T, D, A, B, K = 3, 5, 2, 4, 3


def _config(base: str, sharing: str) -> AgentConfig:
    net = NetConfig(
        base=base,
        hidden=(16, 16),
        sm_width=8,
        sm_module_width=4,
        sm_routing_width=8,
        sm_layers=3,
        sm_modules=2,
        paco_k=2,
    )
    sac = SACConfig(lr=1e-3, loss_mask_after=100, loss_mask_threshold=50.0)
    guide = GuideConfig(guide_step=K, batch_size=6, filter_after=0, filter_samples=2)
    return AgentConfig(net=net, sac=sac, guide=guide, sharing=sharing)


def _batch(gen: torch.Generator) -> dict[str, torch.Tensor]:
    n = T * B
    return {
        "obs": torch.randn(n, D, generator=gen),
        "action": torch.rand(n, A, generator=gen) * 2 - 1,
        "reward": torch.randn(n, generator=gen) * 10,
        "next_obs": torch.randn(n, D, generator=gen),
        "terminated": torch.rand(n, generator=gen) < 0.1,
        "truncated": torch.rand(n, generator=gen) < 0.1,
        "task": torch.arange(T).repeat_interleave(B),
        "index": torch.arange(n),
        "weight": torch.rand(n, generator=gen) + 0.5,
    }


def _segments(gen: torch.Generator) -> dict[str, torch.Tensor]:
    s = 6
    return {
        "obs": torch.randn(s, K, D, generator=gen),
        "action": torch.rand(s, K, A, generator=gen) * 2 - 1,
        "reward": torch.randn(s, K, generator=gen) * 10,
        "next_obs": torch.randn(s, K, D, generator=gen),
        "terminated": torch.rand(s, K, generator=gen) < 0.1,
        "truncated": torch.rand(s, K, generator=gen) < 0.1,
        "valid": torch.ones(s, K, dtype=torch.bool),
        "behaviour": torch.randint(0, T, (s,), generator=gen),
        "task": torch.arange(T).repeat_interleave(2),
        "index": torch.arange(s),
    }


def _run(agent: Agent, steps: int, seed: int) -> list[dict[str, float]]:
    gen = torch.Generator().manual_seed(seed)
    history = []
    for step in range(steps):
        metrics, td = agent.update(_batch(gen), step)
        assert td.shape == (T * B,) and bool(torch.isfinite(td).all())
        if agent.uses_guide and step % 10 == 0:
            metrics.update(agent.update_guide(_segments(gen), step))
        history.append(metrics)
    return history


@pytest.mark.parametrize("sharing", SHARINGS)
@pytest.mark.parametrize("base", BASES)
def test_updates_stay_finite(base: str, sharing: str) -> None:
    torch.manual_seed(0)
    agent = Agent(_config(base, sharing), T, D, A, torch.device("cpu"))
    history = _run(agent, 200, seed=1)
    for metrics in history:
        assert all(math.isfinite(v) for v in metrics.values()), metrics
    assert "loss/critic" in history[-1] and "alpha/mean" in history[-1]
    if sharing == "ctpg":
        assert "guide/entropy" in history[0] and "loss/guide_critic" in history[0]
    obs, task = torch.randn(T, D), torch.arange(T)
    for action in (
        agent.act(obs, task, True),
        agent.act(obs, task, False),
        agent.qmp_act(obs, task),
    ):
        assert action.shape == (T, A) and bool((action.abs() <= 1).all())
    behaviour, info = agent.choose_behaviour(obs, task, filter_active=True)
    assert behaviour.shape == (T,) and info["mask"].shape == (T, T)
    if sharing != "ctpg":
        assert torch.equal(behaviour, task)
    assert agent.log_alpha.max().item() <= 0.0  # alpha capped at 1


def test_same_seed_same_metrics() -> None:
    runs = []
    for _ in range(2):
        torch.manual_seed(7)
        agent = Agent(_config("mhsac", "ctpg"), T, D, A, torch.device("cpu"))
        runs.append(_run(agent, 15, seed=3))
    assert runs[0] == runs[1]


def test_state_dict_round_trip_continues_identically() -> None:
    torch.manual_seed(0)
    agent = Agent(_config("paco", "ctpg"), T, D, A, torch.device("cpu"))
    _run(agent, 12, seed=0)
    clone = Agent(_config("paco", "ctpg"), T, D, A, torch.device("cpu"))
    clone.load_state_dict(agent.state_dict())
    assert clone.num_updates == agent.num_updates == 12
    assert clone.num_guide_updates == agent.num_guide_updates == 2
    rng = torch.get_rng_state()
    first = _run(agent, 5, seed=9)
    torch.set_rng_state(rng)
    second = _run(clone, 5, seed=9)
    assert first == second


def test_hindsight_switch_changes_the_critic_label() -> None:
    torch.manual_seed(0)
    on = Agent(_config("mhsac", "ctpg"), T, D, A, torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    rate = on.update_guide(_segments(gen), 0)["guide/relabel_rate"]
    assert 0.0 <= rate <= 1.0
    cfg = _config("mhsac", "ctpg")
    off_cfg = AgentConfig(
        net=cfg.net,
        sac=cfg.sac,
        sharing="ctpg",
        guide=dataclasses.replace(cfg.guide, hindsight=False),
    )
    off = Agent(off_cfg, T, D, A, torch.device("cpu"))
    gen = torch.Generator().manual_seed(0)
    assert off.update_guide(_segments(gen), 0)["guide/relabel_rate"] == 0.0


def test_update_guide_needs_ctpg() -> None:
    agent = Agent(_config("mtsac", "none"), T, D, A, torch.device("cpu"))
    with pytest.raises(ValueError, match="sharing"):
        agent.update_guide(_segments(torch.Generator().manual_seed(0)), 0)
    with pytest.raises(ValueError, match="obs_dim"):
        Agent(_config("mtsac", "none"), T, 0, A, torch.device("cpu"))


def test_accepts_read_only_numpy_batches() -> None:
    agent = Agent(_config("mhsac", "none"), T, D, A, torch.device("cpu"))
    batch = {k: v.numpy().copy() for k, v in _batch(torch.Generator().manual_seed(0)).items()}
    for value in batch.values():
        value.flags.writeable = False
    metrics, td = agent.update(batch, 0)  # type: ignore[arg-type]
    assert math.isfinite(metrics["loss/critic"]) and td.shape == (T * B,)


def test_learns_a_per_task_contextual_bandit() -> None:
    """One-step episodes, reward -100 |a - target_i|^2: each task's mean action must move from
    the untrained policy (up to about 0.8 away from the targets) to within 0.2 of its target."""
    torch.manual_seed(0)
    targets = torch.tensor([[0.6, -0.3], [-0.6, 0.3], [0.0, 0.7]])
    cfg = AgentConfig(
        net=NetConfig(base="mhsac", hidden=(64, 64)),
        sac=SACConfig(lr=3e-3, alpha_init=0.05, grad_clip=None),
    )
    agent = Agent(cfg, 3, 4, 2, torch.device("cpu"))
    task = torch.arange(3).repeat_interleave(32)
    for step in range(400):
        obs, action = torch.randn(96, 4), torch.rand(96, 2) * 2 - 1
        batch = {
            "obs": obs,
            "action": action,
            "next_obs": obs,
            "task": task,
            "index": task,
            "reward": -100 * (action - targets[task]).pow(2).sum(1),
            "weight": torch.ones(96),
            "terminated": torch.ones(96, dtype=torch.bool),
            "truncated": torch.zeros(96, dtype=torch.bool),
        }
        agent.update(batch, step)
    mean_action = agent.act(torch.randn(300, 4), torch.arange(3).repeat(100), True)
    error = (mean_action.view(100, 3, 2).mean(0) - targets).abs().max().item()
    assert error < 0.2
