"""What each compiled part costs and saves: the numbers behind ``compile="auto"``.

Builds a preset's ``Trainer`` eagerly, fills its replay past the warm-up, then times each
part (``COMPILE_PARTS``) on one fixed input: the control action choice on the training
observations, the control update on one replay batch, the guide update on one set of
guide segments. Per part it prints the eager milliseconds a call (before and after the
compiled calls, so that a drift of the machine shows), the compiled milliseconds a call,
the first compiled call in seconds (the compilation, or the cache load on a second run),
and the calls after which the saving pays the compilation back, next to the run's calls
of the part and ``AUTO_COMPILE_CALLS``.

Run it with an empty inductor cache to measure a first run (the first part compiled also
pays inductor's precompiled header, kept in ``/tmp/torchinductor_$USER``)::

    rm -rf /tmp/ind /tmp/torchinductor_$USER
    TORCHINDUCTOR_CACHE_DIR=/tmp/ind PYTHONPATH=python python benchmarks/bench_compile.py \
        --preset quick
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable
from typing import Any

import torch

from ctpg.algo.agent import Agent
from ctpg.config import AUTO_COMPILE_CALLS, COMPILE_PARTS, PRESETS, preset
from ctpg.trainer import Trainer


def per_call_ms(fn: Callable[[], Any], calls: int) -> float:
    """Milliseconds a call of ``fn`` after one call that is not timed."""
    fn()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e3


def measure(name: str, calls: int) -> list[dict[str, Any]]:
    """One row per part of preset ``name`` (CPU, its torch threads)."""
    cfg = dataclasses.replace(preset(name), compile="off")
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    cpu = torch.device("cpu")
    trainer = Trainer(cfg, cpu)
    try:
        for _ in range(cfg.warmup_steps + 10):
            trainer.train_step()
        agent = trainer.agent
        obs = torch.as_tensor(trainer.obs, dtype=torch.float32)
        batch = trainer.replay.sample(trainer.batch_per_task)
        segments = trainer.replay.sample_segments(trainer._segment_counts())
        step = trainer.step

        def parts_of(a: Agent) -> dict[str, Callable[[], Any]]:
            fns: dict[str, Callable[[], Any]] = {
                "act": lambda: a.act(obs, trainer.tasks, False),
                "control": lambda: a.update(batch, step),
            }
            if a.uses_guide:
                fns["guide"] = lambda: a.update_guide(segments, step)
            return fns

        fns = parts_of(agent)
        eager = {part: per_call_ms(fn, calls) for part, fn in fns.items()}
        first, compiled = {}, {}
        for part, fn in fns.items():
            agent.compile(parts=(part,))
            start = time.perf_counter()
            fn()
            first[part] = time.perf_counter() - start
            compiled[part] = per_call_ms(fn, calls)
        # eager once more, on an eager copy (the machine's speed drifts)
        copy = Agent(cfg.agent, trainer.num_tasks, obs.shape[1], batch["action"].shape[1], cpu)
        copy.load_state_dict(agent.state_dict())
        eager_after = {part: per_call_ms(fn, calls) for part, fn in parts_of(copy).items()}
    finally:
        trainer.close()
    total = cfg.part_calls()
    rows = []
    for part in (p for p in COMPILE_PARTS if p in fns):
        saved = min(eager[part], eager_after[part]) - compiled[part]
        rows.append(
            {
                "preset": name,
                "part": part,
                "eager ms": f"{eager[part]:.3f} / {eager_after[part]:.3f}",
                "compiled ms": f"{compiled[part]:.3f}",
                "first call s": f"{first[part]:.1f}",
                "pays back after": f"{first[part] / saved * 1e3:,.0f}" if saved > 0 else "never",
                "calls in the run": f"{total[part]:,}",
                "auto compiles from": f"{AUTO_COMPILE_CALLS[part]:,}",
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", nargs="+", default=["quick"], choices=PRESETS)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per part and mode")
    args = parser.parse_args()
    rows = [r for name in args.preset for r in measure(name, args.calls)]
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + " --- |" * len(keys))
    for r in rows:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
