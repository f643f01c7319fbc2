"""Shapes of every base network and batched computation vs per-task loop references."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from ctpg.algo.config import BASES, NetConfig
from ctpg.nets.backbones import MultiHeadNet, PacoNet, SingleNet, build_task_net
from ctpg.nets.layers import BatchedLinear, TaskGroups

T, IN, OUT, N = 4, 5, 3, 11
SMALL = NetConfig(hidden=(16, 8), sm_width=12, sm_module_width=6, sm_routing_width=10, paco_k=3)


def _cfg(base: str) -> NetConfig:
    return dataclasses.replace(SMALL, base=base)


@pytest.fixture
def batch() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return torch.randn(N, IN, generator=gen), torch.randint(0, T, (N,), generator=gen)


def test_task_groups_round_trip(batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, task = batch
    groups = TaskGroups(task, T)
    packed = groups.pack(x)
    assert packed.shape == (T, int(torch.bincount(task, minlength=T).max()), IN)
    torch.testing.assert_close(groups.unpack(packed), x)


def test_batched_linear_matches_loop(batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, task = batch
    layer = BatchedLinear(T, IN, OUT)
    ref = torch.stack([x[n] @ layer.weight[task[n]] + layer.bias[task[n]] for n in range(N)])
    torch.testing.assert_close(layer.forward_rows(x, task), ref)
    shared = layer.forward_shared(x)
    for t in range(T):
        torch.testing.assert_close(shared[:, t], x @ layer.weight[t] + layer.bias[t])


@pytest.mark.parametrize("base", BASES)
def test_shapes_and_all_tasks_consistent(
    base: str, batch: tuple[torch.Tensor, torch.Tensor]
) -> None:
    x, task = batch
    net = build_task_net(_cfg(base), IN, OUT, T)
    y = net(x, task)
    y_all = net.forward_all(x)
    assert y.shape == (N, OUT)
    assert y_all.shape == (N, T, OUT)
    torch.testing.assert_close(y_all[torch.arange(N), task], y, rtol=1e-5, atol=1e-5)
    # Changing the task changes the output (the task input is really used).
    assert not torch.allclose(y_all[:, 0], y_all[:, 1])


def test_multihead_heads_equal_per_task_reference(batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, task = batch
    net = MultiHeadNet(IN, OUT, T, (16, 8))
    h = net.trunk(x)
    ref = torch.stack(
        [h[n] @ net.heads.weight[task[n]] + net.heads.bias[task[n]] for n in range(N)]
    )
    torch.testing.assert_close(net(x, task), ref)


def test_single_equals_independent_mlps(batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, task = batch
    net = SingleNet(IN, OUT, T, (16, 8))
    rows = []
    for n in range(N):
        h = x[n]
        for i, layer in enumerate(net.body.layers):
            h = h @ layer.weight[task[n]] + layer.bias[task[n]]
            h = torch.relu(h) if i < len(net.body.layers) - 1 else h
        rows.append(h)
    torch.testing.assert_close(net(x, task), torch.stack(rows), rtol=1e-5, atol=1e-5)


def test_paco_is_composition_of_parameter_sets(batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, task = batch
    net = PacoNet(IN, OUT, T, (16, 8), num_sets=3)
    rows = []
    for n in range(N):
        h, w = x[n], net.composition[task[n]]
        for i, layer in enumerate(net.layers):
            h = sum(w[k] * (h @ layer.weight[k] + layer.bias[k]) for k in range(3))
            h = torch.relu(h) if i < len(net.layers) - 1 else h
        rows.append(h)
    torch.testing.assert_close(net(x, task), torch.stack(rows), rtol=1e-5, atol=1e-5)


def test_paco_reset_is_convex_combination_of_kept_tasks() -> None:
    torch.manual_seed(0)
    net = PacoNet(IN, OUT, num_tasks=4, hidden=(8,), num_sets=4)
    with torch.no_grad():
        net.composition.copy_(torch.eye(4))
    reset = torch.tensor([False, True, False, True])
    net.reset_tasks(reset)
    w = net.composition.detach()
    torch.testing.assert_close(w[~reset], torch.eye(4)[~reset])
    new = w[reset]
    assert torch.all(new >= 0)
    torch.testing.assert_close(new.sum(1), torch.ones(2))
    assert torch.all(new[:, [1, 3]] == 0)  # only kept tasks 0 and 2 contribute
    assert not torch.equal(new, torch.eye(4)[reset])


def test_soft_modular_routing_is_softmax(batch: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, task = batch
    cfg = _cfg("sm")
    net = build_task_net(cfg, IN, OUT, T)
    g = torch.randn(N, cfg.sm_routing_width)
    weights, last = net.routing_weights(g)
    assert len(weights) == cfg.sm_layers - 1
    for w in weights:
        assert w.shape == (N, cfg.sm_modules, cfg.sm_modules)
        torch.testing.assert_close(w.sum(-1), torch.ones(N, cfg.sm_modules))
    assert last.shape == (N, cfg.sm_modules)
    torch.testing.assert_close(last.sum(-1), torch.ones(N))


@pytest.mark.parametrize("base", BASES)
def test_gradients_reach_every_parameter(base: str) -> None:
    torch.manual_seed(0)
    x, task = torch.randn(40, IN), torch.arange(T).repeat(10)
    cfg = NetConfig(
        base=base, hidden=(32, 32), sm_width=32, sm_module_width=16, sm_routing_width=16, paco_k=3
    )
    net = build_task_net(cfg, IN, OUT, T)
    (net(x, task).pow(2).sum() + net.forward_all(x).pow(2).sum()).backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and bool(p.grad.abs().sum() > 0), name
