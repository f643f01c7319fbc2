"""Benchmark presets: the paper settings of each benchmark (docs/algorithm.md, section 5) and
the small ``quick`` configuration."""

from __future__ import annotations

from ctpg.config.agent import AgentConfig, GuideConfig, NetConfig, SACConfig
from ctpg.config.checks import check
from ctpg.config.run import PRESETS, QUICK_TASKS, EnvConfig, ReplayConfig, TrainConfig


def _paper(name: str, env: EnvConfig, steps: int, batch: int, capacity: int) -> TrainConfig:
    if name.startswith("halfcheetah"):  # the reference's gym_extensions network sizes
        net = NetConfig(
            base="mhsac",
            hidden=(400,) * 2,
            sm_obs_layers=1,
            sm_module_width=64,
            sm_routing_width=128,
            paco_k=3,
            paco_layers=2,
        )
    else:  # MetaWorld
        net = NetConfig(base="mhsac", hidden=(400,) * 5, paco_k=5, paco_layers=3)
    agent = AgentConfig(net=net, guide=GuideConfig(batch_size=batch), sharing="ctpg")
    return TrainConfig(
        name=name,
        steps=steps,
        batch_size=batch,
        env=env,
        replay=ReplayConfig(capacity=capacity),
        agent=agent,
    )


def _quick() -> TrainConfig:
    """Three MetaWorld tasks with fixed goals, small networks (docs/training.md)."""
    net = NetConfig(
        base="mhsac",
        hidden=(64, 64),
        sm_width=64,
        sm_module_width=32,
        sm_routing_width=64,
        paco_layers=2,
        paco_width=64,
    )
    agent = AgentConfig(
        net=net,
        sharing="ctpg",
        sac=SACConfig(lr=1e-3, alpha_init=0.1, grad_clip=1.0),
        guide=GuideConfig(batch_size=256),
    )
    env = EnvConfig(
        benchmark="custom", tasks=QUICK_TASKS, backend="native", num_threads=1, random_goals=False
    )
    return TrainConfig(
        name="quick",
        steps=40_000,
        batch_size=256,
        warmup_steps=1500,
        eval_every=2500,
        eval_episodes=1,
        log_every=500,
        torch_threads=1,
        env=env,
        replay=ReplayConfig(capacity=300_000),
        agent=agent,
    )


def preset(name: str) -> TrainConfig:
    """The configuration of a named preset (docs/algorithm.md, section 5, or ``quick``)."""
    check(name in PRESETS, "preset", f"unknown preset {name!r}; choose one of {PRESETS}")
    if name == "quick":
        return _quick()
    cheetah = name.startswith("halfcheetah")
    env = EnvConfig(benchmark=name, max_episode_steps=1000 if cheetah else 200)
    table = {  # steps per task, batch, replay capacity
        "mt10": (1_500_000, 1280, 1_000_000),
        "mt50": (1_500_000, 6400, 10_000_000),
        "halfcheetah-mt5": (800_000, 640, 500_000),
        "halfcheetah-mt8": (800_000, 1024, 1_000_000),
    }
    return _paper(name, env, *table[name])
