"""Env-steps per second: the native engine against the Python reference envs.

One sub-env per task, stepped with random actions and automatic resets at the
episode limit (MetaWorld 500 steps, HalfCheetah 1000). Backends:
  python    the reference envs (MetaWorld v3's / gymnasium's HalfCheetah-v5
            variants) stepped one after the other in a bare Python loop
  mw-vec    MT10 and MT50: MetaWorld's official vector env, as its users make
            it: gymnasium.make_vec("Meta-World/MT10", vector_strategy="sync",
            seed=0, max_episode_steps=500) (a SyncVectorEnv over MetaWorld's
            wrapper stack, one of the benchmark's 50 goals per task per reset,
            same-step autoreset)
  native-1  ctpg._core.VecEnv with 1 thread
  native-2  ctpg._core.VecEnv with 2 threads
  envpool   EnvPool's own MetaWorld port (HalfCheetah-v5 for the HalfCheetah
            sets, which it has no variants of), one single-env pool per task,
            stepped in turn (only when envpool is importable)
  envpool-overlap  the same pools, each sent its action before any is
            received, so that the pools' threads overlap

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
from ctpg.tasks import (
    HALFCHEETAH_MT5_TASKS,
    HALFCHEETAH_MT8_TASKS,
    MT10_TASKS,
    MT50_TASKS,
)

GYM_ASSETS = os.path.join(os.path.dirname(gymnasium.__file__), "envs", "mujoco", "assets")
try:
    import metaworld

    MW_ASSETS = os.path.join(os.path.dirname(metaworld.__file__), "assets")
except ImportError:  # pragma: no cover - metaworld is a dependency
    MW_ASSETS = ""

MT10 = list(MT10_TASKS)
MT50 = list(MT50_TASKS)
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
    "mt50": TaskSet("mt50", MT50, 4, 500),
}
METAWORLD_VECTOR_IDS = {"mt10": "Meta-World/MT10", "mt50": "Meta-World/MT50"}


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
    """MetaWorld's registered MT10 / MT50 vector env (sync strategy)."""
    if task_set.name not in METAWORLD_VECTOR_IDS:
        pytest.skip("MetaWorld's vector env: MT10 and MT50 only")
    import metaworld  # noqa: F401  (registers the Meta-World/* ids)

    env = gymnasium.make_vec(
        METAWORLD_VECTOR_IDS[task_set.name],
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


def envpool_id(task: str) -> str:
    """EnvPool's id of a MetaWorld task: reach-v3 -> MetaWorld/Reach-v3."""
    *words, version = task.split("-")
    return "MetaWorld/" + "".join(w.capitalize() for w in words) + "-" + version


def envpool_runner(task_set: TaskSet, overlapped: bool) -> Runner:
    """EnvPool, one single-env pool per task (its pools are homogeneous). The
    pools are stepped one after the other, or `overlapped`: every pool is sent
    its action first and then all are received, so that the pools' own threads
    step the tasks concurrently."""
    envpool = pytest.importorskip("envpool")
    if task_set.name.startswith("halfcheetah"):
        ids = ["HalfCheetah-v5"] * len(task_set.tasks)  # EnvPool has no variants
        options: dict[str, object] = {}
    else:
        ids = [envpool_id(t) for t in task_set.tasks]
        options = {"partially_observable": False}  # goal visible, as in MT10
    known = set(envpool.list_all_envs())
    missing = sorted(set(ids) - known)
    if missing:
        pytest.skip(f"envpool has no env {missing[0]}")
    pools = [
        envpool.make_gymnasium(
            i,
            num_envs=1,
            num_threads=1,
            max_episode_steps=task_set.max_episode_steps,
            **options,
        )
        for i in ids
    ]
    for p in pools:
        p.reset()
    bank = action_bank(task_set)
    counter = [0]
    env_id = np.zeros(1, np.int32)

    def step() -> None:
        actions = bank[counter[0] % len(bank)]
        counter[0] += 1
        if overlapped:
            for i, p in enumerate(pools):
                p.send(actions[i : i + 1], env_id)
            for p in pools:
                p.recv()
        else:
            for i, p in enumerate(pools):
                p.step(actions[i : i + 1])

    def reset() -> None:
        for p in pools:
            p.reset()

    return Runner(len(pools), step, reset)


def make_runner(task_set: TaskSet, backend: str) -> Runner:
    if backend == "python":
        return python_runner(task_set)
    if backend.startswith("envpool"):
        return envpool_runner(task_set, overlapped=backend == "envpool-overlap")
    if backend == "mw-vec":
        return metaworld_vector_runner(task_set)
    threads = int(backend.split("-")[1])
    try:
        return native_runner(task_set, threads)
    except ValueError as e:
        pytest.skip(f"native {task_set.name} not available in this build: {e}"[:160])


# ------------------------------------------------------------ pytest-benchmark

BACKENDS = ["python", "mw-vec", "native-1", "native-2", "envpool", "envpool-overlap"]
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


def measure_side_by_side(
    fns: dict[str, Callable[[], None]], seconds_each: float = 2.0, rounds: int = 5
) -> dict[str, Timing]:
    """Per-call time of each function: the best of `rounds` timed blocks, the
    blocks of all functions interleaved, so that a slow spell of the machine
    hits every backend alike instead of biasing one ratio."""
    blocks = {}
    for name, fn in fns.items():
        fn()
        calls, start = 0, time.perf_counter()
        while time.perf_counter() - start < 0.2:
            fn()
            calls += 1
        blocks[name] = max(1, int(calls * seconds_each / rounds / 0.2))
    best = {name: Timing(float("inf"), float("inf")) for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(blocks[name]):
                fn()
            wall = (time.perf_counter() - start) / blocks[name]
            cpu = (time.process_time() - start_cpu) / blocks[name]
            best[name] = Timing(min(best[name].wall, wall), min(best[name].cpu, cpu))
    return best


def _ratio(base: Timing | None, value: Timing, field: str) -> str:
    return f"{getattr(base, field) / getattr(value, field):.1f}x" if base else "-"


def ratio_table(names: list[str] | None = None) -> str:
    """Markdown table. Ratios are against both Python baselines (the bare loop
    and MetaWorld's vector env, MT10 and MT50). CPU-s columns divide by CPU time
    rather than wall time, which is less sensitive to other load on the
    machine (and shows no gain from a second thread)."""
    rows = [
        "| task set | backend | env-steps/s | vs python | vs mw-vec | env-steps/CPU-s "
        "| vs python (CPU) | vs mw-vec (CPU) | reset ms/env |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in names or list(TASK_SETS):
        task_set = TASK_SETS[name]
        runners: dict[str, Runner] = {}
        for backend in BACKENDS:
            try:
                runners[backend] = make_runner(task_set, backend)
            except pytest.skip.Exception as e:
                rows.append(f"| {task_set.name} | {backend} | skipped: {str(e.msg)[:60]} ||||||||")
        steps = measure_side_by_side({b: r.step for b, r in runners.items()})
        resets = measure_side_by_side({b: r.reset for b, r in runners.items()}, 1.0, 2)
        loop, vec = steps.get("python"), steps.get("mw-vec")
        for backend, runner in runners.items():
            t, n = steps[backend], runner.num_envs
            reset_ms = 1e3 * resets[backend].wall / n
            rows.append(
                f"| {task_set.name} | {backend} | {n / t.wall:,.0f} "
                f"| {_ratio(loop, t, 'wall')} | {_ratio(vec, t, 'wall')} "
                f"| {n / t.cpu:,.0f} | {_ratio(loop, t, 'cpu')} "
                f"| {_ratio(vec, t, 'cpu')} | {reset_ms:.3f} |"
            )
    return "\n".join(rows)


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the target is for 2 cores")
@pytest.mark.parametrize("name", ["mt10", "mt50"])
def test_speed_ratio(name: str) -> None:
    """The target on 2 cores: native with 2 threads >= 8x MetaWorld's Python envs stepped
    in a loop, measured side by side in one run."""
    task_set = TASK_SETS[name]
    runners = {b: make_runner(task_set, b) for b in ("python", "mw-vec", "native-2")}
    t = measure_side_by_side({b: r.step for b, r in runners.items()})
    ratio = t["python"].wall / t["native-2"].wall
    rate = {b: runners[b].num_envs / t[b].wall for b in runners}
    print(
        f"\n{name} env-steps/s: python {rate['python']:,.0f}, "
        f"mw-vec {rate['mw-vec']:,.0f}, native-2 {rate['native-2']:,.0f}; "
        f"native-2 vs python {ratio:.2f}x, vs mw-vec "
        f"{t['mw-vec'].wall / t['native-2'].wall:.2f}x"
    )
    assert ratio >= 8.0


if __name__ == "__main__":
    import sys

    print(ratio_table(sys.argv[1:]))
