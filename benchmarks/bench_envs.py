"""Env-steps per second: the native engine against the Python reference envs.

One sub-env per task, stepped with random actions and automatic resets at the
episode limit (MetaWorld 500 steps, HalfCheetah 1000). Backends:
  python    the reference envs (MetaWorld v3's / gymnasium's HalfCheetah-v5
            variants) stepped one after the other in a bare Python loop
  mw-vec    MT10 only: MetaWorld's official vector env, as its users make it:
            gymnasium.make_vec("Meta-World/MT10", vector_strategy="sync",
            seed=0, max_episode_steps=500) (a SyncVectorEnv over MetaWorld's
            wrapper stack, one of the 50 MT10 goals per reset, same-step
            autoreset)
  native-1  ctpg._core.VecEnv with 1 thread
  native-2  ctpg._core.VecEnv with 2 threads
  envpool   EnvPool, one pool per task (only when envpool is importable)

pytest-benchmark:   PYTHONPATH=python python -m pytest benchmarks/bench_envs.py
ratio table:        PYTHONPATH=python python benchmarks/bench_envs.py [task set ...]
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import gymnasium
import mujoco
import numpy as np
import pytest

import ctpg  # noqa: F401  (loads libmujoco before _core)
from ctpg import _core
from ctpg.envs.registry import HALFCHEETAH_MT5_TASKS, HALFCHEETAH_MT8_TASKS, MT10_TASKS

GYM_ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets")
try:
    import metaworld

    MW_ASSETS = os.path.join(os.path.dirname(metaworld.__file__), "assets")
except ImportError:  # pragma: no cover - metaworld is a dependency
    MW_ASSETS = ""

MT10 = list(MT10_TASKS)
MT5 = list(HALFCHEETAH_MT5_TASKS)
MT8 = list(HALFCHEETAH_MT8_TASKS)
BODY_GEOMS = {
    "torso": ("torso",),
    "thigh": ("bthigh", "fthigh"),
    "leg": ("bshin", "fshin"),
    "foot": ("bfoot", "ffoot"),
}


@dataclass(frozen=True)
class TaskSet:
    """A benchmark batch: its task names, action size and episode limit."""

    name: str
    tasks: list[str]
    action_dim: int
    max_episode_steps: int


TASK_SETS = {
    "halfcheetah-mt5": TaskSet("halfcheetah-mt5", MT5, 6, 1000),
    "halfcheetah-mt8": TaskSet("halfcheetah-mt8", MT8, 6, 1000),
    "mt10": TaskSet("mt10", MT10, 4, 500),
}


@dataclass
class Runner:
    """A batch under test: one call of `step` advances every sub-env once."""

    num_envs: int
    step: Callable[[], None]
    reset: Callable[[], None]


def action_bank(task_set: TaskSet, n: int = 64) -> np.ndarray:
    rng = np.random.default_rng(0)
    shape = (n, len(task_set.tasks), task_set.action_dim)
    return rng.uniform(-1, 1, shape).astype(np.float32)


# ------------------------------------------------------------------ native


def native_runner(task_set: TaskSet, threads: int) -> Runner:
    """The native VecEnv; raises ValueError if a task is not registered."""
    env = _core.VecEnv(
        task_set.tasks,
        MW_ASSETS,
        GYM_ASSETS,
        0,
        threads,
        [task_set.max_episode_steps] * len(task_set.tasks),
    )
    env.reset(seed=0)
    bank = action_bank(task_set)
    counter = [0]

    def step() -> None:
        env.step(bank[counter[0] % len(bank)])
        counter[0] += 1

    return Runner(len(task_set.tasks), step, lambda: env.reset())


# --------------------------------------------------------------- reference


def cheetah_reference(task: str) -> gymnasium.Env:
    """gymnasium's HalfCheetah-v5 on the variant's model, edited with MjSpec."""
    from gymnasium.envs.mujoco.half_cheetah_v5 import HalfCheetahEnv

    spec = mujoco.MjSpec.from_file(os.path.join(GYM_ASSETS, "half_cheetah.xml"))
    kind, value = task.removeprefix("halfcheetah-").split("-")
    if kind == "gravity":
        spec.option.gravity = [0.0, 0.0, -9.81 * float(value)]
    else:
        for name in BODY_GEOMS[kind]:
            spec.geom(name).size = np.asarray(spec.geom(name).size) * (
                1.25 if value == "big" else 0.75
            )
    model = spec.compile()

    class Variant(HalfCheetahEnv):
        def _initialize_simulation(self) -> tuple[mujoco.MjModel, mujoco.MjData]:
            return model, mujoco.MjData(model)

    return Variant()


def metaworld_reference(task: str) -> gymnasium.Env:
    """MetaWorld v3's own env with a visible goal and a fresh goal per reset."""
    from metaworld.env_dict import ALL_V3_ENVIRONMENTS

    env = ALL_V3_ENVIRONMENTS[task]()
    env._partially_observable = False
    env._freeze_rand_vec = False
    env._set_task_called = True
    return env


def python_runner(task_set: TaskSet) -> Runner:
    make = cheetah_reference if task_set.name.startswith("halfcheetah") else metaworld_reference
    envs = [make(t) for t in task_set.tasks]
    for i, e in enumerate(envs):
        e.reset(seed=i)
    steps = [0] * len(envs)
    bank = action_bank(task_set)
    counter = [0]

    def step() -> None:
        actions = bank[counter[0] % len(bank)]
        counter[0] += 1
        for i, e in enumerate(envs):
            e.step(actions[i])
            steps[i] += 1
            if steps[i] >= task_set.max_episode_steps:
                e.reset()
                steps[i] = 0

    def reset() -> None:
        for i, e in enumerate(envs):
            e.reset()
            steps[i] = 0

    return Runner(len(envs), step, reset)


def metaworld_vector_runner(task_set: TaskSet) -> Runner:
    """MetaWorld's registered MT10 vector env (sync strategy)."""
    if task_set.name != "mt10":
        pytest.skip("MetaWorld's vector env: MT10 only")
    import metaworld  # noqa: F401  (registers the Meta-World/* ids)

    env = gymnasium.make_vec(
        "Meta-World/MT10",
        vector_strategy="sync",
        seed=0,
        max_episode_steps=task_set.max_episode_steps,
    )
    env.reset(seed=0)
    bank = action_bank(task_set)
    counter = [0]

    def step() -> None:
        env.step(bank[counter[0] % len(bank)])
        counter[0] += 1

    return Runner(env.num_envs, step, lambda: env.reset())


def envpool_runner(task_set: TaskSet) -> Runner:
    """EnvPool, one single-env pool per task (homogeneous pools only)."""
    envpool = pytest.importorskip("envpool")
    if task_set.name.startswith("halfcheetah"):
        ids = ["HalfCheetah-v4"] * len(task_set.tasks)  # EnvPool has no variants
    else:
        ids = list(task_set.tasks)
    known = set(envpool.list_all_envs())
    missing = sorted(set(ids) - known)
    if missing:
        pytest.skip(f"envpool has no env {missing[0]}")
    pools = [
        envpool.make_gymnasium(i, num_envs=1, max_episode_steps=task_set.max_episode_steps)
        for i in ids
    ]
    for p in pools:
        p.reset()
    bank = action_bank(task_set)
    counter = [0]

    def step() -> None:
        actions = bank[counter[0] % len(bank)]
        counter[0] += 1
        for i, p in enumerate(pools):
            p.step(actions[i : i + 1])

    def reset() -> None:
        for p in pools:
            p.reset()

    return Runner(len(pools), step, reset)


def make_runner(task_set: TaskSet, backend: str) -> Runner:
    if backend == "python":
        return python_runner(task_set)
    if backend == "envpool":
        return envpool_runner(task_set)
    if backend == "mw-vec":
        return metaworld_vector_runner(task_set)
    threads = int(backend.split("-")[1])
    try:
        return native_runner(task_set, threads)
    except ValueError as e:
        pytest.skip(f"native {task_set.name} not available in this build: {e}"[:160])


# ------------------------------------------------------------ pytest-benchmark

BACKENDS = ["python", "mw-vec", "native-1", "native-2", "envpool"]
PYTHON_BASELINES = ("python", "mw-vec")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("task_set", list(TASK_SETS))
def test_step(benchmark, task_set: str, backend: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"{task_set} step (one batch)"
    runner = make_runner(TASK_SETS[task_set], backend)
    rounds = 200 if backend in PYTHON_BASELINES else 2000
    benchmark.pedantic(runner.step, rounds=rounds, warmup_rounds=20)
    benchmark.extra_info["env_steps_per_s"] = runner.num_envs / benchmark.stats.stats.mean


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("task_set", list(TASK_SETS))
def test_reset(benchmark, task_set: str, backend: str) -> None:  # type: ignore[no-untyped-def]
    benchmark.group = f"{task_set} reset (whole batch)"
    runner = make_runner(TASK_SETS[task_set], backend)
    benchmark.pedantic(runner.reset, rounds=20, warmup_rounds=2)
    benchmark.extra_info["ms_per_env_reset"] = 1e3 * benchmark.stats.stats.mean / runner.num_envs


# --------------------------------------------------------------- ratio table


@dataclass(frozen=True)
class Timing:
    """Seconds per call: wall clock, and CPU time of this process (all threads)."""

    wall: float
    cpu: float


def measure(fn: Callable[[], None], min_seconds: float = 2.0) -> Timing:
    """Best of three timed blocks of about min_seconds / 3 each."""
    fn()
    calls, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.2:
        fn()
        calls += 1
    block = max(1, int(calls * min_seconds / 3 / 0.2))
    wall = cpu = float("inf")
    for _ in range(3):
        start, start_cpu = time.perf_counter(), time.process_time()
        for _ in range(block):
            fn()
        wall = min(wall, (time.perf_counter() - start) / block)
        cpu = min(cpu, (time.process_time() - start_cpu) / block)
    return Timing(wall, cpu)


def _ratio(base: float | None, value: float) -> str:
    return f"{base / value:.1f}x" if base else "-"


def ratio_table(names: list[str] | None = None) -> str:
    """Markdown table. Ratios are against both Python baselines (the bare loop
    and MetaWorld's vector env, MT10 only). CPU-s columns divide by CPU time
    rather than wall time, which is less sensitive to other load on the
    machine (and shows no gain from a second thread)."""
    rows = [
        "| task set | backend | env-steps/s | vs python | vs mw-vec | env-steps/CPU-s "
        "| vs python (CPU) | vs mw-vec (CPU) | reset ms/env |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in names or list(TASK_SETS):
        task_set = TASK_SETS[name]
        base: dict[str, Timing] = {}
        for backend in BACKENDS:
            try:
                runner = make_runner(task_set, backend)
            except pytest.skip.Exception as e:
                rows.append(f"| {task_set.name} | {backend} | skipped: {str(e.msg)[:60]} ||||||||")
                continue
            t = measure(runner.step)
            reset_ms = 1e3 * measure(runner.reset, 1.0).wall / runner.num_envs
            if backend in PYTHON_BASELINES:
                base[backend] = t
            loop, vec = base.get("python"), base.get("mw-vec")
            n = runner.num_envs
            rows.append(
                f"| {task_set.name} | {backend} | {n / t.wall:,.0f} "
                f"| {_ratio(loop and loop.wall, t.wall)} | {_ratio(vec and vec.wall, t.wall)} "
                f"| {n / t.cpu:,.0f} | {_ratio(loop and loop.cpu, t.cpu)} "
                f"| {_ratio(vec and vec.cpu, t.cpu)} | {reset_ms:.3f} |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    import sys

    print(ratio_table(sys.argv[1:]))
