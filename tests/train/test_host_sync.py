"""The update path reads no tensor value back to the host: its metrics and the NaN guard's
flags stay on the device until an evaluation reads them (on CUDA, the step never waits)."""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest
import torch

import ctpg
from ctpg.trainer import Trainer

# Python-level ways of reading a tensor's value on the host.
READS = ("item", "tolist", "numpy", "cpu", "__bool__", "__float__", "__int__", "__index__")
PACKAGE = os.path.dirname(os.path.abspath(ctpg.__file__))


def warm_trainer(cfg: Any) -> Trainer:
    trainer = Trainer(cfg, torch.device(cfg.device))
    while trainer.step < cfg.warmup_steps + 2 * cfg.agent.guide.update_every:
        trainer.collect()
        trainer.update()
    return trainer


def spy_on_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every Python-level tensor read made from ctpg's own code."""
    reads: list[str] = []
    for name in READS:
        real = getattr(torch.Tensor, name)

        def spy(self: torch.Tensor, *args: Any, _real: Any = real, _name: str = name) -> Any:
            caller = sys._getframe(1).f_code
            if caller.co_filename.startswith(PACKAGE):  # torch's own reads are not ours
                reads.append(f"{_name} in {caller.co_name} ({caller.co_filename})")
            return _real(self, *args)

        monkeypatch.setattr(torch.Tensor, name, spy)
    return reads


@pytest.mark.parametrize(("base", "sharing"), [("mhsac", "ctpg"), ("sm", "qmp")])
def test_updates_read_no_tensor_value_in_ctpg_code(
    tiny: Any, monkeypatch: pytest.MonkeyPatch, base: str, sharing: str
) -> None:
    trainer = warm_trainer(tiny(base, sharing))
    reads = spy_on_reads(monkeypatch)
    for _ in range(2 * trainer.cfg.agent.guide.update_every):
        trainer.update()
    monkeypatch.undo()
    assert reads == []
    means = trainer.losses.pop()  # read at evaluation time
    assert all(isinstance(v, float) for v in means.values()) and "loss/critic" in means


def test_the_spy_sees_a_read(tiny: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: an update path that reads its metrics is reported."""
    trainer = warm_trainer(tiny())
    real_update = trainer.agent.update

    def reading_update(batch: dict[str, torch.Tensor], step: int) -> Any:
        metrics, td = real_update(batch, step)
        trainer.losses.latest(metrics)  # ctpg code that reads the values on the host
        return metrics, td

    trainer.agent.update = reading_update  # type: ignore[method-assign]
    reads = spy_on_reads(monkeypatch)
    trainer.update()
    monkeypatch.undo()
    assert len(reads) == 1 and reads[0].startswith("tolist in latest")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_on_cuda_the_update_never_synchronises(tiny: Any) -> None:
    trainer = warm_trainer(tiny("mhsac", "ctpg", device="cuda"))
    torch.cuda.set_sync_debug_mode("error")
    try:
        for _ in range(2 * trainer.cfg.agent.guide.update_every):
            trainer.update()
    finally:
        torch.cuda.set_sync_debug_mode("default")
