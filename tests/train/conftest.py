"""Tiny training configurations shared by the trainer tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from ctpg.config import AgentConfig, EnvConfig, GuideConfig, NetConfig, ReplayConfig, TrainConfig

CHEETAHS = ("halfcheetah-gravity-1.0", "halfcheetah-gravity-0.5")


def tiny_config(
    run_dir: Path, base: str = "mtsac", sharing: str = "ctpg", **changes: Any
) -> TrainConfig:
    """A few hundred steps of two native HalfCheetah tasks with 40-step episodes."""
    net = NetConfig(
        base=base,
        hidden=(32, 32),
        sm_width=32,
        sm_layers=2,
        sm_modules=2,
        sm_module_width=16,
        sm_routing_width=16,
        paco_k=2,
    )
    guide = GuideConfig(batch_size=16, filter_after=150, filter_min_updates=5)
    cfg = TrainConfig(
        name="tiny",
        seed=3,
        steps=200,
        batch_size=16,
        warmup_steps=60,
        eval_every=100,
        eval_episodes=1,
        log_every=50,
        device="cpu",
        torch_threads=1,
        run_dir=str(run_dir),
        env=EnvConfig(benchmark="custom", tasks=CHEETAHS, max_episode_steps=40, num_threads=1),
        replay=ReplayConfig(capacity=4000),
        agent=AgentConfig(net=net, guide=guide, sharing=sharing),
    )
    return dataclasses.replace(cfg, **changes)


@pytest.fixture
def tiny(tmp_path: Path) -> Any:
    """``tiny(base, sharing, **changes)`` -> a tiny TrainConfig writing under tmp_path."""

    def make(
        base: str = "mtsac", sharing: str = "ctpg", name: str = "run", **changes: Any
    ) -> TrainConfig:
        return tiny_config(tmp_path / name, base, sharing, **changes)

    return make
