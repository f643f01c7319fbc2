"""``compile="on"`` (each update one compiled graph) and "cuda-graphs" against eager."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import torch

from ctpg.config import TrainConfig
from ctpg.trainer import Trainer

# Two guide updates after warm-up: every network, target and optimizer has been stepped.
EXTRA_STEPS = 21


def trained(cfg: TrainConfig, eager_acting: bool = False) -> Trainer:
    """A trainer after warm-up and ``EXTRA_STEPS`` training steps. ``eager_acting``: the
    compiled trainer acts with the eager action choice, so that both learners collect the
    same data up to the rounding of their parameters (compiled acting is compared on
    identical inputs in tests/algo/test_compiled.py; with it the simulator magnifies the
    actions' rounding into different replayed transitions)."""
    trainer = Trainer(cfg, torch.device(cfg.device))
    if eager_acting:
        agent = trainer.agent
        assert agent._act != agent._act_body  # compile="on" compiles the action choice
        agent._act, agent._qmp_act = agent._act_body, agent._qmp_body  # type: ignore[method-assign]
    while trainer.step < cfg.warmup_steps + EXTRA_STEPS:
        trainer.train_step()
    return trainer


def assert_learners_agree(eager: Trainer, compiled: Trainer) -> None:
    """Same parameters to float32 rounding (kernels may fuse and reorder), same losses.

    Both learners act in the simulator, so float32 rounding in the policy reaches the
    replayed states and rewards, and a squared TD error magnifies it: the losses of the
    last update agree to 2e-3 here (measured up to 2e-4), while the side by side test on
    identical batches, tests/algo/test_compiled.py, holds them to 1e-4.
    """
    assert eager.latest_losses.keys() == compiled.latest_losses.keys()
    assert any(key.startswith("loss/guide") for key in eager.latest_losses)
    for key, value in eager.latest_losses.items():
        torch.testing.assert_close(
            compiled.latest_losses[key], value, rtol=2e-3, atol=1e-5, msg=key
        )
    eager_state, compiled_state = eager.agent.nets.state_dict(), compiled.agent.nets.state_dict()
    assert eager_state.keys() == compiled_state.keys()  # checkpoints stay interchangeable
    for key, value in eager_state.items():
        torch.testing.assert_close(compiled_state[key], value, rtol=1e-4, atol=1e-5, msg=key)


def test_compiled_updates_agree_with_eager_on_cpu(tiny: Any) -> None:
    eager = trained(tiny(name="eager"))
    compiled = trained(tiny(name="compiled", compile="on"), eager_acting=True)
    assert_learners_agree(eager, compiled)
    # the updates did run compiled, not silently eager
    assert compiled.agent.compiled_parts == ("control", "guide")  # acting made eager above


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_cuda_graphs_need_cuda(tiny: Any, device: str) -> None:
    if device == "auto" and torch.cuda.is_available():
        pytest.skip("checks the refusal without CUDA")
    if device == "cpu":
        with pytest.raises(ValueError, match="compile: 'cuda-graphs' needs CUDA"):
            tiny(compile="cuda-graphs", device="cpu")
        return
    from ctpg.cli import build_parser, config_from_args

    args = build_parser("ctpg train").parse_args(["--preset", "quick", "--cuda-graphs"])
    with pytest.raises(ValueError, match="--cuda-graphs: only applies on CUDA"):
        config_from_args(args)


def test_unknown_compile_mode_is_refused(tiny: Any) -> None:
    with pytest.raises(ValueError, match="compile: must be one of"):
        tiny(compile="fast")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("mode", ["on", "cuda-graphs"])
def test_compiled_updates_agree_with_eager_on_cuda(tiny: Any, mode: str) -> None:
    eager = trained(tiny(name="eager", device="cuda"))
    compiled = trained(
        dataclasses.replace(tiny(name=mode, device="cuda"), compile=mode), eager_acting=True
    )
    assert_learners_agree(eager, compiled)


def test_the_trainer_compiles_the_parts_its_config_chooses(tiny: Any) -> None:
    """Under "auto" a run long enough for its control updates (10,000) but not for its guide
    updates or action choices compiles the control update only; "on" compiles all three."""
    auto = tiny(name="auto", compile="auto", device="cpu", steps=12_000)
    assert auto.compiled_parts("cpu") == ("control",)
    assert Trainer(auto, torch.device("cpu")).agent.compiled_parts == ("control",)
    on = tiny(name="on", compile="on", device="cpu")
    assert Trainer(on, torch.device("cpu")).agent.compiled_parts == ("act", "control", "guide")
