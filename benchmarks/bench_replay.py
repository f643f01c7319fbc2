"""ReplayBuffer speed against a straightforward numpy implementation.

Sizes: MT10 (T=10, 128 rows per task = batch 1280) and MT50 (T=50, batch 6400),
K=10, D=39, A=4. Capacity per task: 100k for MT10 (the preset's 1M total) and
20k for MT50 (1M total, a tenth of the preset, to keep two copies in memory).
Episodes are 200 steps (truncated), a guide decision every 10 steps.

    PYTHONPATH=python python -m pytest benchmarks/bench_replay.py -s   # table + pytest-benchmark
    PYTHONPATH=python python benchmarks/bench_replay.py                 # table only
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

import ctpg

D, A, K, EPISODE = 39, 4, 10, 200


@dataclass(frozen=True)
class Size:
    """One benchmark configuration."""

    name: str
    num_tasks: int
    capacity: int
    batch_per_task: int = 128


SIZES = {"mt10": Size("mt10", 10, 100_000), "mt50": Size("mt50", 50, 20_000)}


class NumpyReplay:
    """The way research code does it: per-task numpy arrays holding obs and next_obs
    in every slot, Python loops over tasks (and over the K steps of a segment)."""

    def __init__(self, num_tasks: int, capacity: int, seed: int = 0) -> None:
        self.T, self.C = num_tasks, capacity
        self.obs = [np.zeros((capacity, D), np.float32) for _ in range(num_tasks)]
        self.next_obs = [np.zeros((capacity, D), np.float32) for _ in range(num_tasks)]
        self.action = [np.zeros((capacity, A), np.float32) for _ in range(num_tasks)]
        self.reward = [np.zeros(capacity, np.float32) for _ in range(num_tasks)]
        self.terminated = [np.zeros(capacity, bool) for _ in range(num_tasks)]
        self.truncated = [np.zeros(capacity, bool) for _ in range(num_tasks)]
        self.behaviour = [np.zeros(capacity, np.int64) for _ in range(num_tasks)]
        self.guide_begin = [np.zeros(capacity, bool) for _ in range(num_tasks)]
        self.ptr = [0] * num_tasks
        self.size = [0] * num_tasks
        self.rng = np.random.default_rng(seed)

    def add(self, obs, action, reward, next_obs, terminated, truncated, behaviour, guide_begin):
        for t in range(self.T):
            p = self.ptr[t]
            self.obs[t][p] = obs[t]
            self.next_obs[t][p] = next_obs[t]
            self.action[t][p] = action[t]
            self.reward[t][p] = reward[t]
            self.terminated[t][p] = terminated[t]
            self.truncated[t][p] = truncated[t]
            self.behaviour[t][p] = behaviour[t]
            self.guide_begin[t][p] = guide_begin[t]
            self.ptr[t] = (p + 1) % self.C
            self.size[t] = min(self.size[t] + 1, self.C)

    def sample(self, batch_per_task: int) -> dict[str, np.ndarray]:
        out: dict[str, list[np.ndarray]] = {
            k: []
            for k in (
                "obs",
                "action",
                "reward",
                "next_obs",
                "terminated",
                "truncated",
                "task",
                "index",
                "weight",
            )
        }
        for t in range(self.T):
            idx = self.rng.integers(0, self.size[t], batch_per_task)
            out["obs"].append(self.obs[t][idx])
            out["action"].append(self.action[t][idx])
            out["reward"].append(self.reward[t][idx])
            out["next_obs"].append(self.next_obs[t][idx])
            out["terminated"].append(self.terminated[t][idx])
            out["truncated"].append(self.truncated[t][idx])
            out["task"].append(np.full(batch_per_task, t))
            out["index"].append(idx)
            out["weight"].append(np.ones(batch_per_task, np.float32))
        return {k: np.concatenate(v) for k, v in out.items()}

    def _starts(self, t: int) -> np.ndarray:
        """Guide-decision slots whose window (K steps or to the episode end) is written."""
        size = self.size[t]
        oldest = self.ptr[t] if size == self.C else 0
        starts = np.flatnonzero(self.guide_begin[t][:size])
        age = (starts - oldest) % self.C
        ok = np.ones(len(starts), bool)
        ended = np.zeros(len(starts), bool)
        done = self.terminated[t] | self.truncated[t]
        for k in range(K):
            beyond = age + k >= size
            ok &= ~(beyond & ~ended)
            ended |= ~beyond & done[(oldest + np.minimum(age + k, size - 1)) % self.C]
        return starts[ok]

    def sample_segments(self, batch_per_task: int) -> dict[str, np.ndarray]:
        keys = ("obs", "action", "reward", "next_obs", "terminated", "truncated", "valid")
        out: dict[str, list[np.ndarray]] = {k: [] for k in (*keys, "behaviour", "task", "index")}
        for t in range(self.T):
            start = self.rng.choice(self._starts(t), batch_per_task)
            alive = np.ones(batch_per_task, bool)
            steps: dict[str, list[np.ndarray]] = {k: [] for k in keys}
            for k in range(K):
                slot = (start + k) % self.C
                m = alive[:, None]
                steps["obs"].append(np.where(m, self.obs[t][slot], 0))
                steps["action"].append(np.where(m, self.action[t][slot], 0))
                steps["reward"].append(np.where(alive, self.reward[t][slot], 0))
                steps["next_obs"].append(np.where(m, self.next_obs[t][slot], 0))
                steps["terminated"].append(alive & self.terminated[t][slot])
                steps["truncated"].append(alive & self.truncated[t][slot])
                steps["valid"].append(alive.copy())
                alive = alive & ~(self.terminated[t][slot] | self.truncated[t][slot])
            for key in keys:
                out[key].append(np.stack(steps[key], axis=1))
            out["behaviour"].append(self.behaviour[t][start])
            out["task"].append(np.full(batch_per_task, t))
            out["index"].append(start)
        return {k: np.concatenate(v) for k, v in out.items()}


def filled_pair(size: Size) -> tuple[ctpg.ReplayBuffer, NumpyReplay]:
    """Both buffers filled with the same episodes until the rings wrap."""
    T = size.num_tasks
    ours = ctpg.ReplayBuffer(T, size.capacity, D, A, guide_step=K, seed=0)
    ref = NumpyReplay(T, size.capacity, seed=0)
    rng = np.random.default_rng(0)
    obs = rng.standard_normal((T, D), np.float32)
    zeros, own = np.zeros(T, bool), np.arange(T)
    for n in range(size.capacity + 1000):
        next_obs = rng.standard_normal((T, D), np.float32)
        action = rng.standard_normal((T, A), np.float32)
        reward = rng.standard_normal(T, np.float32)
        trunc = np.full(T, (n + 1) % EPISODE == 0)
        begin = np.full(T, (n % EPISODE) % K == 0)
        row = (obs, action, reward, next_obs, zeros, trunc, own, begin)
        ours.add(*row)
        ref.add(*row)
        obs = rng.standard_normal((T, D), np.float32) if trunc[0] else next_obs
    return ours, ref


_CACHE: dict[str, tuple[ctpg.ReplayBuffer, NumpyReplay]] = {}


def buffers(name: str) -> tuple[ctpg.ReplayBuffer, NumpyReplay]:
    if name not in _CACHE:
        _CACHE[name] = filled_pair(SIZES[name])
    return _CACHE[name]


class EpisodeStream:
    """Adds one step of a pre-generated 200-step episode per call, cycling."""

    def __init__(self, buffer: ctpg.ReplayBuffer | NumpyReplay, num_tasks: int) -> None:
        rng = np.random.default_rng(1)
        self.buffer, self.n = buffer, 0
        self.obs = rng.standard_normal((EPISODE + 1, num_tasks, D), np.float32)
        self.action = rng.standard_normal((EPISODE, num_tasks, A), np.float32)
        self.reward = rng.standard_normal((EPISODE, num_tasks), np.float32)
        self.own, self.no = np.arange(num_tasks), np.zeros(num_tasks, bool)
        self.yes = np.ones(num_tasks, bool)

    def __call__(self) -> None:
        i = self.n % EPISODE
        self.n += 1
        last, begin = (
            (self.yes if i == EPISODE - 1 else self.no),
            (self.yes if i % K == 0 else self.no),
        )
        self.buffer.add(
            self.obs[i],
            self.action[i],
            self.reward[i],
            self.obs[i + 1],
            self.no,
            last,
            self.own,
            begin,
        )


def operations(name: str) -> dict[str, tuple[Callable[[], object], Callable[[], object]]]:
    """(ctpg, numpy) callables per operation at one size."""
    ours, ref = buffers(name)
    size = SIZES[name]
    T, B = size.num_tasks, size.batch_per_task
    # Adds go to separate buffers so that they do not change what the samplers see.
    add_ours = EpisodeStream(ctpg.ReplayBuffer(T, size.capacity, D, A, guide_step=K), T)
    add_ref = EpisodeStream(NumpyReplay(T, size.capacity), T)
    return {
        "add": (add_ours, add_ref),
        "sample": (lambda: ours.sample(B), lambda: ref.sample(B)),
        "sample_segments": (lambda: ours.sample_segments(B), lambda: ref.sample_segments(B)),
    }


def best_time(fn: Callable[[], object], budget_s: float = 1.0) -> float:
    """Smallest per-call time over repeated short timing rounds."""
    fn()
    best, spent = float("inf"), 0.0
    while spent < budget_s:
        n = 5
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        dt = time.perf_counter() - t0
        best, spent = min(best, dt / n), spent + dt
    return best


def ratio_table() -> tuple[str, dict[tuple[str, str], float]]:
    lines = ["| size | operation | ctpg (us) | numpy (us) | speed-up |", "|---|---|---|---|---|"]
    ratios = {}
    for name in SIZES:
        for op, (ours, ref) in operations(name).items():
            t_ours, t_ref = best_time(ours), best_time(ref)
            ratios[(name, op)] = t_ref / t_ours
            lines.append(
                f"| {name} | {op} | {t_ours * 1e6:.0f} | {t_ref * 1e6:.0f} | "
                f"{t_ref / t_ours:.1f}x |"
            )
    return "\n".join(lines), ratios


def test_speed_ratios() -> None:
    """The targets at MT10 size, measured side by side in one run."""
    table, ratios = ratio_table()
    print("\n" + table)
    assert ratios[("mt10", "sample_segments")] >= 20
    assert ratios[("mt10", "sample")] >= 5


def test_numpy_reference_has_the_same_semantics() -> None:
    """On a small ring both implementations return the same segments for a start."""
    ours, ref = filled_pair(Size("small", 2, 300))
    seg = ours.sample_segments(2000)
    for t in range(2):
        rows = seg["task"] == t
        assert set(seg["index"][rows].tolist()) == set(ref._starts(t).tolist())
    ref_seg = ref.sample_segments(50)
    for i in range(len(ref_seg["index"])):
        (j,) = np.flatnonzero(
            (seg["index"] == ref_seg["index"][i]) & (seg["task"] == ref_seg["task"][i])
        )[:1]
        for key in ("obs", "action", "reward", "next_obs", "terminated", "truncated", "valid"):
            np.testing.assert_array_equal(seg[key][j], ref_seg[key][i], err_msg=key)


@pytest.mark.parametrize("name", list(SIZES))
@pytest.mark.parametrize("op", ["add", "sample", "sample_segments"])
@pytest.mark.parametrize("impl", ["ctpg", "numpy"])
def test_bench(benchmark, name: str, op: str, impl: str) -> None:
    benchmark.group = f"{op}-{name}"
    ours, ref = operations(name)[op]
    benchmark(ours if impl == "ctpg" else ref)


if __name__ == "__main__":
    print(ratio_table()[0])
