"""Presets carry the paper settings; configs validate fields and survive a YAML round trip."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ctpg.config import (
    AUTO_COMPILE_CALLS,
    COMPILE_PARTS,
    PRESETS,
    AgentConfig,
    EnvConfig,
    GuideConfig,
    ReplayConfig,
    TrainConfig,
    dump_yaml,
    load_yaml,
    preset,
)


@pytest.mark.parametrize("name", PRESETS)
def test_yaml_round_trip(tmp_path: Path, name: str) -> None:
    cfg = preset(name)
    dump_yaml(cfg, tmp_path / "c.yaml")
    assert load_yaml(tmp_path / "c.yaml") == cfg


def test_paper_presets() -> None:
    mt10, mt50 = preset("mt10"), preset("mt50")
    assert (mt10.steps, mt10.batch_size, mt10.replay.capacity) == (1_500_000, 1280, 1_000_000)
    assert (mt50.steps, mt50.batch_size, mt50.replay.capacity) == (1_500_000, 6400, 10_000_000)
    assert mt10.agent.net.hidden == (400,) * 5 and mt10.env.max_episode_steps == 200
    mt5, mt8 = preset("halfcheetah-mt5"), preset("halfcheetah-mt8")
    assert (mt5.steps, mt5.batch_size, mt5.replay.capacity) == (800_000, 640, 500_000)
    assert (mt8.steps, mt8.batch_size, mt8.replay.capacity) == (800_000, 1024, 1_000_000)
    assert mt8.agent.net.hidden == (400, 400) and mt8.env.max_episode_steps == 1000
    for cfg in (mt10, mt50, mt5, mt8):
        assert (cfg.warmup_steps, cfg.eval_every, cfg.eval_episodes) == (1500, 10_000, 32)
        assert cfg.agent.sac.lr == 1e-4 and cfg.agent.sac.gamma == 0.99
        assert cfg.agent.guide.guide_step == 10


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: TrainConfig(steps=0), "steps"),
        (lambda: TrainConfig(device="tpu"), "device"),
        (lambda: ReplayConfig(kind="fifo"), "replay.kind"),
        (lambda: ReplayConfig(alpha=2.0), "replay.alpha"),
        (lambda: EnvConfig(backend="jax"), "env.backend"),  # type: ignore[arg-type]
        (lambda: EnvConfig(benchmark="custom"), "env.tasks"),
        (lambda: dataclasses.replace(preset("quick"), eval_episodes=0), "eval_episodes"),
    ],
)
def test_validation_names_the_field(make, field: str) -> None:
    with pytest.raises(ValueError, match=field):
        make()


def test_unknown_yaml_key_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    dump_yaml(preset("mt10"), path)
    path.write_text(path.read_text() + "surprise: 1\n")
    with pytest.raises(ValueError, match="surprise"):
        load_yaml(path)


CONTROL = AUTO_COMPILE_CALLS["control"]


@pytest.mark.parametrize(
    ("compile_mode", "steps", "device", "expected"),
    [
        ("auto", 1_000 + CONTROL, "cpu", "on"),
        ("auto", 999 + CONTROL, "cpu", "off"),  # too short to pay back
        ("auto", 1_000 + CONTROL, "cuda", "off"),
        ("off", 1_000 + CONTROL, "cpu", "off"),
        ("on", 10, "cpu", "on"),
        ("cuda-graphs", 10, "cuda", "cuda-graphs"),
    ],
)
def test_auto_compiles_long_cpu_runs(
    compile_mode: str, steps: int, device: str, expected: str
) -> None:
    cfg = TrainConfig(steps=steps, warmup_steps=1_000, compile=compile_mode)  # type: ignore[arg-type]
    assert cfg.compile_mode(device) == expected


def _calls_config(updates: int, sharing: str = "ctpg", compile: str = "auto") -> TrainConfig:
    agent = AgentConfig(sharing=sharing, guide=GuideConfig(update_every=10))  # type: ignore[arg-type]
    return TrainConfig(steps=1_000 + updates, warmup_steps=1_000, agent=agent, compile=compile)  # type: ignore[arg-type]


def test_auto_compiles_each_part_that_pays_back() -> None:
    guide = 10 * AUTO_COMPILE_CALLS["guide"]  # control updates that make that many guide ones
    assert _calls_config(CONTROL - 1).compiled_parts("cpu") == ()
    assert _calls_config(CONTROL).compiled_parts("cpu") == ("control",)
    assert _calls_config(guide - 10).compiled_parts("cpu") == ("control",)
    assert _calls_config(guide - 9).compiled_parts("cpu") == ("control", "guide")
    assert _calls_config(guide, sharing="qmp").compiled_parts("cpu") == ("control",)
    act = AUTO_COMPILE_CALLS["act"] - 1_000  # steps = warm-up + updates
    assert _calls_config(act).compiled_parts("cpu") == COMPILE_PARTS
    assert _calls_config(act).compiled_parts("cuda") == ()
    assert _calls_config(10, compile="on").compiled_parts("cpu") == COMPILE_PARTS
    assert _calls_config(act, compile="off").compiled_parts("cpu") == ()
    # the quick preset compiles its control update only: its 1,350 guide updates and
    # 15,000 action choices do not pay their compilation back
    assert preset("quick").compiled_parts("cpu") == ("control",)
    assert preset("mt10").compiled_parts("cpu") == COMPILE_PARTS
