"""Learner speed: batched per-task computation against a Python loop over tasks.

Pairs (MT10 sizes: T = 10, obs 39, action 4, hidden 400 x 3, 128 rows per task):
  single-batched  ``single`` actor forward + backward, all tasks as batched layers
  single-loop     the same T MLPs as T ``nn.Sequential`` modules called in a loop
  relabel-all     hindsight log-probs of every task's policy in one forward (mhsac)
  relabel-loop    the same log-probs with one forward per task
and one Agent.update / Agent.update_guide per base method.

pytest-benchmark:   PYTHONPATH=python python -m pytest benchmarks/bench_update.py
ratio table:        PYTHONPATH=python python benchmarks/bench_update.py
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
import torch
from torch import nn

from ctpg.algo.agent import Agent
from ctpg.config import BASES, AgentConfig, NetConfig
from ctpg.nets.policy import TanhGaussianActor, squashed_log_prob

T, D, A, PER, HIDDEN = 10, 39, 4, 128, (400, 400, 400)


def _batch() -> dict[str, torch.Tensor]:
    n = T * PER
    return {
        "obs": torch.randn(n, D),
        "action": torch.rand(n, A) * 2 - 1,
        "reward": torch.randn(n),
        "next_obs": torch.randn(n, D),
        "terminated": torch.zeros(n, dtype=torch.bool),
        "truncated": torch.zeros(n, dtype=torch.bool),
        "task": torch.arange(T).repeat_interleave(PER),
        "index": torch.arange(n),
        "weight": torch.ones(n),
    }


def _segments(b: int = 250, k: int = 10) -> dict[str, torch.Tensor]:
    return {
        "obs": torch.randn(b, k, D),
        "action": torch.rand(b, k, A) * 2 - 1,
        "reward": torch.randn(b, k),
        "next_obs": torch.randn(b, k, D),
        "terminated": torch.zeros(b, k, dtype=torch.bool),
        "truncated": torch.zeros(b, k, dtype=torch.bool),
        "valid": torch.ones(b, k, dtype=torch.bool),
        "behaviour": torch.randint(0, T, (b,)),
        "task": torch.arange(T).repeat_interleave(b // T),
        "index": torch.arange(b),
    }


def single_pair() -> tuple[Callable[[], None], Callable[[], None]]:
    actor = TanhGaussianActor(NetConfig(base="single", hidden=HIDDEN), D, A, T)
    loop = nn.ModuleList(
        nn.Sequential(
            nn.Linear(D, 400),
            nn.ReLU(),
            nn.Linear(400, 400),
            nn.ReLU(),
            nn.Linear(400, 400),
            nn.ReLU(),
            nn.Linear(400, 2 * A),
        )
        for _ in range(T)
    )
    batch = _batch()

    def batched() -> None:
        actor.params(batch["obs"], batch["task"])[0].sum().backward()

    def looped() -> None:
        obs = batch["obs"].view(T, PER, D)
        torch.cat([loop[t](obs[t]) for t in range(T)]).sum().backward()

    return batched, looped


def relabel_pair() -> tuple[Callable[[], None], Callable[[], None]]:
    actor = TanhGaussianActor(NetConfig(base="mhsac", hidden=HIDDEN), D, A, T)
    seg = _segments()
    obs, action = seg["obs"].reshape(-1, D), seg["action"].reshape(-1, A)

    @torch.no_grad()
    def all_tasks() -> None:
        squashed_log_prob(*actor.params_all(obs), action.unsqueeze(1))

    @torch.no_grad()
    def per_task() -> None:
        for t in range(T):
            task = torch.full((obs.shape[0],), t)
            squashed_log_prob(*actor.params(obs, task), action)

    return all_tasks, per_task


@pytest.mark.parametrize("variant", ["batched", "loop"])
def test_single_forward_backward(benchmark: Callable, variant: str) -> None:
    torch.manual_seed(0)
    batched, looped = single_pair()
    benchmark(batched if variant == "batched" else looped)


@pytest.mark.parametrize("variant", ["all", "loop"])
def test_relabel_log_probs(benchmark: Callable, variant: str) -> None:
    torch.manual_seed(0)
    all_tasks, per_task = relabel_pair()
    benchmark(all_tasks if variant == "all" else per_task)


@pytest.mark.parametrize("base", BASES)
def test_agent_update(benchmark: Callable, base: str) -> None:
    torch.manual_seed(0)
    agent = Agent(
        AgentConfig(net=NetConfig(base=base), sharing="ctpg"), T, D, A, torch.device("cpu")
    )
    batch = _batch()
    benchmark(lambda: agent.update(batch, 0))


def _time(fn: Callable[[], object], repeats: int = 5) -> float:
    fn()
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats * 1000


def main() -> None:
    torch.manual_seed(0)
    print(f"torch threads: {torch.get_num_threads()}")
    for name, (fast, slow) in (("single fwd+bwd", single_pair()), ("relabel", relabel_pair())):
        f, s = _time(fast), _time(slow)
        print(f"{name:16s} batched {f:8.1f} ms   loop {s:8.1f} ms   loop/batched {s / f:5.2f}")
    batch, seg = _batch(), _segments()
    for base in BASES:
        agent = Agent(
            AgentConfig(net=NetConfig(base=base), sharing="ctpg"), T, D, A, torch.device("cpu")
        )
        u = _time(lambda a=agent: a.update(batch, 0), 3)
        g = _time(lambda a=agent: a.update_guide(seg, 0), 2)
        print(f"{base:8s} update {u:8.1f} ms   guide update {g:8.1f} ms")


if __name__ == "__main__":
    main()
