"""The full training loop, phase by phase: where a training step's time goes.

Runs the real ``Trainer`` of a preset: collection only until the preset's warm-up is over
(so that every update of the measured steps samples a warm replay), then ``--steps``
measured training steps (collect + update, the guide update every ``update_every`` steps),
then one evaluation. Prints, per training step in milliseconds:

  env step      ``env.step`` (the engine; GIL released, its own threads); in the
                reference order only ``step_async`` and the wait in ``step_wait`` (the
                part of the step the update did not hide)
  act           action selection and the guide's behaviour choices (forward + action copy)
  replay add    storing the step's transitions
  sample        replay sampling (control batch and guide segments), host side
  to device     the batches' host-to-device copy (pinned + non_blocking on CUDA)
  control upd   ``Agent.update`` (+ priority update for prioritized replay)
  guide upd     ``Agent.update_guide``, amortised over the steps
  evaluation    one evaluation, amortised over ``eval_every`` steps
  python        everything else in the loop (bookkeeping, scheduler, metrics)

and the steps/s and projected hours of the preset's full run (warm-up steps at their
collect-only cost, every evaluation included). On CUDA every phase boundary synchronises,
so that a phase's GPU time is counted in it. Then, from ``torch.profiler`` over
``--profile-steps`` more steps:

  ATen/step     ATen operator calls per training step, nested calls included (the CPU
                proxy for kernel launches on a GPU)
  GFLOP/s       the matrix products' FLOPs of a step over the update time (control +
                guide), next to ``bare mm``: the same products (same shapes and counts)
                as bare ``torch.matmul`` calls, the limit the updates approach (a
                compiled row takes the products of the preset's eager row: the C++
                wrapper of its graphs calls them past the profiler)
  compile s     the first steps' time beyond steady-state steps (compilation, caches,
                optimizer state): with ``--compile on`` the start-up cost, smaller on a
                second run that finds inductor's on-disk cache
  speed-up      steps/s against ``--compile off`` of the same preset in the same run

    PYTHONPATH=python python benchmarks/bench_train.py --preset quick mt10
    PYTHONPATH=python python -m pytest benchmarks/bench_train.py   # pytest-benchmark, quick
    PYTHONPATH=python python benchmarks/bench_train.py --preset mt10 \
        --update-order store-first reference
    PYTHONPATH=python python benchmarks/bench_train.py --preset mt10 --device cuda \
        --compile off cuda-graphs
    PYTHONPATH=python python benchmarks/bench_train.py --preset quick --compile off on
    PYTHONPATH=python python benchmarks/bench_train.py --preset quick --compile off on \
        --interleave 50 --steps 1000
    PYTHONPATH=python python benchmarks/bench_train.py --preset halfcheetah-mt5 \
        --env HalfCheetah-v5 HalfCheetah-v5 HalfCheetah-v5 HalfCheetah-v5 HalfCheetah-v5 \
        --env-vector sync async

``benchmarks/gpu_check.sh`` runs the CUDA tests and the GPU table in one go.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from typing import Any

import torch
from torch.profiler import ProfilerActivity, profile

import ctpg.replay
from ctpg.config import (
    COMPILE_MODES,
    ENV_VECTORS,
    GYMNASIUM,
    PRESETS,
    UPDATE_ORDERS,
    EnvConfig,
    preset,
)
from ctpg.trainer import Trainer

DEFAULT_THREADS = torch.get_num_threads()
PHASES = (
    "env step",
    "act",
    "replay add",
    "sample",
    "to device",
    "control upd",
    "guide upd",
    "evaluation",
    "python",
)


class Clock:
    """Seconds spent per phase; nested phases are subtracted from the enclosing one."""

    def __init__(self, device: torch.device) -> None:
        self.cuda = device.type == "cuda"
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.stack: list[float] = []  # time of inner phases, per open phase

    def sync(self) -> None:
        if self.cuda:
            torch.cuda.synchronize()

    def wrap(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            self.sync()
            start = time.perf_counter()
            self.stack.append(0.0)
            try:
                return fn(*args, **kwargs)
            finally:
                self.sync()
                inner = self.stack.pop()
                spent = time.perf_counter() - start
                self.seconds[phase] += spent - inner
                if self.stack:
                    self.stack[-1] += spent

        return timed


def instrument(trainer: Trainer, clock: Clock) -> None:
    """Wrap the trainer's parts in the clock's phases."""
    env = trainer.env
    env.step = clock.wrap("env step", env.step)
    if hasattr(env, "step_async"):  # reference order: only the wait for the step shows
        env.step_async = clock.wrap("env step", env.step_async)
        env.step_wait = clock.wrap("env step", env.step_wait)
    trainer._act = clock.wrap("act", trainer._act)  # type: ignore[method-assign]
    trainer._behaviour = clock.wrap("act", trainer._behaviour)  # type: ignore[method-assign]
    replay = trainer.replay
    replay.add = clock.wrap("replay add", replay.add)  # type: ignore[method-assign]
    replay.sample = clock.wrap("sample", replay.sample)  # type: ignore[method-assign]
    replay.sample_segments = clock.wrap("sample", replay.sample_segments)  # type: ignore[method-assign]
    replay.update_priorities = clock.wrap("control upd", replay.update_priorities)  # type: ignore[method-assign]
    ctpg.replay.to_tensors = clock.wrap("to device", ctpg.replay.to_tensors)
    agent = trainer.agent
    agent.update = clock.wrap("control upd", agent.update)  # type: ignore[method-assign]
    agent.update_guide = clock.wrap("guide upd", agent.update_guide)  # type: ignore[method-assign]


def measure(
    name: str,
    device: torch.device,
    steps: int,
    threads: int,
    order: str,
    compile_mode: str = "off",
    env: EnvConfig | None = None,
    hidden: tuple[int, ...] | None = None,
    batch_size: int | None = None,
    profile_steps_count: int = 10,
) -> dict[str, Any]:
    """Per-step milliseconds of each phase, steps/s and the projected full run; ``env``
    replaces the preset's envs (``--env``: gymnasium ids), ``hidden`` and ``batch_size``
    its networks' hidden sizes and control batch."""
    cfg = preset(name)
    if env is not None:
        cfg = dataclasses.replace(cfg, env=env)
    cfg = sized(cfg, hidden, batch_size)
    threads = threads or cfg.torch_threads  # 0: the preset's own setting
    cfg = dataclasses.replace(
        cfg,
        device=str(device),
        checkpoint=False,
        torch_threads=threads,
        update_order=order,
        compile=compile_mode,
    )
    torch.set_num_threads(threads or DEFAULT_THREADS)
    trainer = Trainer(cfg, device)
    start = time.perf_counter()
    while trainer.step < cfg.warmup_steps:  # collection only: no update before warm-up
        trainer.collect()
        trainer.update()
    warmup_step = (time.perf_counter() - start) / max(cfg.warmup_steps, 1)
    clock = Clock(device)
    instrument(trainer, clock)
    first = min(10, steps)
    first_start = time.perf_counter()
    for _ in range(first):  # first updates build optimizer state, caches, compile
        trainer.train_step()
    clock.sync()
    first_seconds = time.perf_counter() - first_start
    clock.seconds = dict.fromkeys(PHASES, 0.0)
    clock.sync()
    start = time.perf_counter()
    for _ in range(steps):
        trainer.train_step()
    clock.sync()
    loop = time.perf_counter() - start
    per_step = {phase: 1e3 * s / steps for phase, s in clock.seconds.items()}
    calls, flops, products = profile_steps(trainer, profile_steps_count)
    update_ms = per_step["control upd"] + per_step["guide upd"]
    eval_start = time.perf_counter()
    trainer.evaluate()
    eval_seconds = first_eval = time.perf_counter() - eval_start
    if compile_mode != "off":  # the first evaluation compiled the deterministic action
        eval_start = time.perf_counter()
        trainer.evaluate()
        eval_seconds = time.perf_counter() - eval_start
    per_step["evaluation"] = 1e3 * eval_seconds / cfg.eval_every
    measured = sum(v for k, v in per_step.items() if k not in ("python", "evaluation"))
    per_step["python"] = 1e3 * loop / steps - measured
    step_ms = 1e3 * loop / steps + per_step["evaluation"]
    trained = max(cfg.steps - cfg.warmup_steps, 0)
    evaluations = cfg.steps // cfg.eval_every
    seconds = cfg.warmup_steps * warmup_step + trained * loop / steps + evaluations * eval_seconds
    hours = seconds / 3600
    label = name + size_label(hidden, batch_size)
    if env is not None:
        label = f"{name} --env {' '.join(_short_ids(env.ids))} ({env.vector})"
    trainer.close()  # its envs' threads must not share the cores with the next row
    return {
        "preset": label,
        "device": str(device),
        "order": order,
        "compile": compile_mode,
        "tasks": trainer.num_tasks,
        "batch": cfg.batch_size,
        "per_step": per_step,
        "sps": 1e3 / step_ms,
        "hours": hours,
        "steps": cfg.steps,
        "aten": calls,
        "flops": flops,
        "update_ms": update_ms,
        "bare_ms": bare_matmul_ms(products, device) if flops else float("nan"),
        "compile_s": first_seconds - first * loop / steps + first_eval - eval_seconds,
    }


def sized(cfg: Any, hidden: tuple[int, ...] | None, batch_size: int | None) -> Any:
    """``cfg`` with ``--hidden`` / ``--batch-size`` applied where given."""
    if hidden is not None:
        net = dataclasses.replace(cfg.agent.net, hidden=hidden)
        cfg = dataclasses.replace(cfg, agent=dataclasses.replace(cfg.agent, net=net))
    if batch_size is not None:
        cfg = dataclasses.replace(cfg, batch_size=batch_size)
    return cfg


def size_label(hidden: tuple[int, ...] | None, batch_size: int | None) -> str:
    """The ``--hidden`` / ``--batch-size`` part of a row's preset label."""
    label = f" --hidden {' '.join(map(str, hidden))}" if hidden is not None else ""
    return label + (f" --batch-size {batch_size}" if batch_size is not None else "")


Products = list[tuple[list[int], list[int], float]]
"""Matrix products of a step: (shape of a, shape of b, calls per step)."""
MATMULS = {"aten::mm": 0, "aten::bmm": 0, "aten::addmm": 1, "aten::baddbmm": 1}
"""The matrix products the profiler reports, with the index of their first matrix input."""


def profile_steps(trainer: Trainer, steps: int) -> tuple[float, float, Products]:
    """(ATen calls per step, matrix-product FLOPs per step, [(shape a, shape b, calls per
    step)] of the products) over ``steps`` training steps under ``torch.profiler``."""
    activities = [ProfilerActivity.CPU]
    if trainer.device.type == "cuda":
        activities.append(ProfilerActivity.CUDA)
    with profile(activities=activities, record_shapes=True, with_flops=True) as prof:
        for _ in range(steps):
            trainer.train_step()
    calls, flops = 0, 0.0
    products = []
    for event in prof.key_averages(group_by_input_shape=True):
        if not event.key.startswith("aten::"):
            continue
        calls += event.count
        first = MATMULS.get(event.key)
        if first is not None:
            flops += event.flops
            a, b = event.input_shapes[first : first + 2]
            products.append((list(a), list(b), event.count / steps))
    return calls / steps, flops / steps, products


def bare_matmul_ms(products: Products, device: torch.device) -> float:
    """Milliseconds per step of the step's matrix products as bare ``torch.matmul`` calls."""
    operands = [
        (torch.randn(a, device=device), torch.randn(b, device=device), count)
        for a, b, count in products
    ]
    reps = 20

    def run() -> None:
        for a, b, count in operands:
            for _ in range(max(round(count * reps), 1)):
                torch.matmul(a, b)

    run()  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    run()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return 1e3 * (time.perf_counter() - start) / reps


HEADER = (
    "| preset | device | order | compile | "
    + " | ".join(PHASES)
    + " | ms/step | steps/s | full run | ATen/step | GFLOP/s | bare mm | compile s"
    + " | speed-up |"
)


def row(r: dict[str, Any], eager: dict[str, Any] | None = None) -> str:
    """One table row (printed as soon as its preset is measured); ``eager``: the same
    preset's ``--compile off`` row of this run, for the speed-up."""
    cells = [f"{r['per_step'][p]:.2f}" for p in PHASES]
    total = sum(r["per_step"].values())
    speedup = f"{r['sps'] / eager['sps']:.2f}x" if eager is not None else "-"
    # a compiled step makes the eager step's products, but its C++ wrapper calls them
    # past the profiler: take them from the eager row
    flops, bare_ms = r["flops"], r["bare_ms"]
    if eager is not None:
        flops, bare_ms = eager["flops"], eager["bare_ms"]
    gflops = flops / r["update_ms"] / 1e6 if flops and r["update_ms"] > 0 else float("nan")
    bare = flops / bare_ms / 1e6 if flops else float("nan")
    return (
        f"| {r['preset']} | {r['device']} | {r['order']} | {r['compile']} | "
        + " | ".join(cells)
        + f" | {total:.1f} | {r['sps']:.1f} | {_duration(r['hours'])} ({r['steps']:,} steps)"
        + f" | {r['aten']:,.0f} | {gflops:.1f} | {bare:.1f}"
        + f" | {r['compile_s']:.1f} | {speedup} |"
    )


def _short_ids(ids: tuple[str, ...]) -> list[str]:
    """``HalfCheetah-v5 x5`` for a repeated id."""
    return [f"{ids[0]} x{len(ids)}"] if len(set(ids)) == 1 and len(ids) > 1 else list(ids)


def _duration(hours: float) -> str:
    return f"{hours:.1f} h" if hours >= 1 else f"{60 * hours:.1f} min"


def interleaved(
    name: str,
    modes: list[str],
    steps: int,
    chunk: int = 50,
    threads: int = 0,
    hidden: tuple[int, ...] | None = None,
    batch_size: int | None = None,
) -> dict[str, float]:
    """Training steps/s of each compile mode, measured side by side: one trainer per mode,
    each past its warm-up and first (compiling) steps, then ``chunk`` steps of each in
    turn until each has made ``steps``, so that a drift of the machine's speed (shared
    cores) hits every mode alike; ``hidden`` / ``batch_size`` as in ``measure``."""
    base = dataclasses.replace(
        sized(preset(name), hidden, batch_size), checkpoint=False, device="cpu"
    )
    torch.set_num_threads(threads or base.torch_threads or DEFAULT_THREADS)
    trainers = {}
    for mode in modes:
        trainer = Trainer(dataclasses.replace(base, compile=mode), torch.device("cpu"))
        while trainer.step < base.warmup_steps:  # collection only
            trainer.collect()
            trainer.update()
        for _ in range(10):  # the first updates compile
            trainer.train_step()
        trainers[mode] = trainer
    seconds = dict.fromkeys(modes, 0.0)
    try:
        for _ in range(-(-steps // chunk)):
            for mode, trainer in trainers.items():
                start = time.perf_counter()
                for _ in range(chunk):
                    trainer.train_step()
                seconds[mode] += time.perf_counter() - start
    finally:
        for trainer in trainers.values():
            trainer.close()
    done = -(-steps // chunk) * chunk
    return {mode: done / seconds[mode] for mode in modes}


def test_compiled_quick_is_3x_eager() -> None:
    """The target of one graph per update: the quick preset's training steps/s compiled at
    least 3x eager's, side by side."""
    sps = interleaved("quick", ["off", "on"], steps=600)
    print(f"quick steps/s: eager {sps['off']:.1f}, compiled {sps['on']:.1f}")
    assert sps["on"] >= 3.0 * sps["off"]


def test_training_step(benchmark: Any) -> None:
    """pytest-benchmark: one training step (collect + update) of the quick preset."""
    cfg = dataclasses.replace(preset("quick"), checkpoint=False, torch_threads=1)
    trainer = Trainer(cfg, torch.device("cpu"))
    while trainer.step < cfg.warmup_steps + 20:
        trainer.collect()
        trainer.update()

    benchmark(trainer.train_step)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", nargs="+", choices=PRESETS, default=["quick"])
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--steps", type=int, default=200, help="measured training steps")
    p.add_argument(
        "--threads", type=int, default=0, help="torch threads (default: the preset's setting)"
    )
    p.add_argument(
        "--update-order",
        nargs="+",
        choices=UPDATE_ORDERS,
        default=["store-first"],
        help="measure each order (reference: the environments step during the update)",
    )
    p.add_argument(
        "--compile",
        nargs="+",
        choices=COMPILE_MODES,
        default=["off"],
        help="measure each mode (compilation happens in the unmeasured first steps)",
    )
    p.add_argument(
        "--env",
        nargs="+",
        metavar="ID",
        help="also measure each preset on these gymnasium ids (one task each, as train --env)",
    )
    p.add_argument(
        "--env-vector",
        nargs="+",
        choices=ENV_VECTORS,
        default=["sync"],
        help="with --env: measure each way of stepping the ids' sub-envs",
    )
    p.add_argument("--hidden", type=int, nargs="+", help="hidden sizes (default: the preset's)")
    p.add_argument("--batch-size", type=int, help="control batch (default: the preset's)")
    p.add_argument(
        "--profile-steps", type=int, default=10, help="steps profiled for ATen calls and FLOPs"
    )
    p.add_argument(
        "--interleave",
        type=int,
        metavar="CHUNK",
        help="instead of the phase table: steps/s of each --compile mode measured side by "
        "side, CHUNK steps of each in turn (robust to a machine whose speed drifts)",
    )
    args = p.parse_args()
    if "cuda-graphs" in args.compile and args.device != "cuda":
        sys.exit("--compile cuda-graphs: needs --device cuda")
    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: CUDA is not available on this machine")
    hidden = tuple(args.hidden) if args.hidden else None
    if args.interleave:
        print("| preset | " + " | ".join(f"{m} steps/s" for m in args.compile) + " | speed-up |")
        print("|---" * (len(args.compile) + 2) + "|")
        for name in args.preset:
            sps = interleaved(name, args.compile, args.steps, args.interleave, args.threads,
                              hidden, args.batch_size)  # fmt: skip
            ratio = sps[args.compile[-1]] / sps[args.compile[0]]
            cells = " | ".join(f"{sps[m]:.1f}" for m in args.compile)
            label = name + size_label(hidden, args.batch_size)
            print(f"| {label} | {cells} | {ratio:.2f}x |", flush=True)
        return
    print(HEADER + "\n|" + " --- |" * (len(PHASES) + 12), flush=True)
    device = torch.device(args.device)
    eager: dict[tuple[str, str, Any], dict[str, Any]] = {}  # the "off" rows, for speed-ups
    for name in args.preset:
        envs: list[EnvConfig | None] = [None]
        for vector in args.env_vector if args.env else ():
            limit = preset(name).env.max_episode_steps
            envs.append(EnvConfig(benchmark=GYMNASIUM, ids=tuple(args.env),
                                  max_episode_steps=limit, vector=vector))  # fmt: skip
        for order in args.update_order:
            for mode in args.compile:
                for env in envs:
                    result = measure(name, device, args.steps, args.threads, order, mode, env,
                                     hidden, args.batch_size, args.profile_steps)  # fmt: skip
                    key = (name, order, env)
                    if mode == "off":
                        eager[key] = result
                    print(row(result, eager.get(key) if mode != "off" else None), flush=True)


if __name__ == "__main__":
    main()
