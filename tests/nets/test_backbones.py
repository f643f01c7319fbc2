"""Shapes of every base network and batched computation vs per-task loop references."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from ctpg.config import BASES, NetConfig
from ctpg.nets.backbones import MultiHeadNet, PacoNet, SingleNet, TaskEmbedding, build_task_net
from ctpg.nets.layers import BatchedLinear, TaskGroups, task_counts
from ctpg.nets.soft_modular import SoftModularNet

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


def test_task_counts_are_bincount() -> None:
    g = torch.Generator().manual_seed(0)
    task = torch.randint(0, 5, (200,), generator=g)
    task = task[task != 3]  # a task without rows counts 0
    counts = task_counts(task, 7)
    assert counts.dtype == torch.long
    assert torch.equal(counts, torch.bincount(task, minlength=7))
    assert torch.equal(task_counts(task[:0], 2), torch.zeros(2, dtype=torch.long))


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
        h, w = x[n], net.embedding.weight[task[n]]
        for i, layer in enumerate(net.layers):
            h = sum(w[k] * (h @ layer.weight[k] + layer.bias[k]) for k in range(3))
            h = torch.relu(h) if i < len(net.layers) - 1 else h
        rows.append(h)
    torch.testing.assert_close(net(x, task), torch.stack(rows), rtol=1e-5, atol=1e-5)


def test_paco_layers_follow_the_reference_sizes() -> None:
    """MetaWorld: 3 compositional hidden layers of 400 and a compositional output layer;
    the composition vectors are one [T, K] table, xavier-uniform."""
    cfg = NetConfig(base="paco", paco_k=5, paco_layers=3, paco_width=400)
    net = build_task_net(cfg, 39, 8, 10)
    assert isinstance(net, PacoNet)
    shapes = [tuple(layer.weight.shape) for layer in net.layers]
    assert shapes == [(5, 39, 400), (5, 400, 400), (5, 400, 400), (5, 400, 8)]
    assert tuple(net.embedding.weight.shape) == (10, 5)
    bound = math.sqrt(6.0 / (10 + 5))
    assert float(net.embedding.weight.detach().abs().max()) <= bound


def test_paco_reset_is_convex_combination_of_kept_tasks() -> None:
    torch.manual_seed(0)
    emb = TaskEmbedding(num_tasks=4, num_sets=4)
    with torch.no_grad():
        emb.weight.copy_(torch.eye(4))
    reset = torch.tensor([False, True, False, True])
    emb.reset_tasks(reset)
    w = emb.weight.detach().clone()
    torch.testing.assert_close(w[~reset], torch.eye(4)[~reset])
    new = w[reset]
    assert torch.all(new >= 0)
    torch.testing.assert_close(new.sum(1), torch.ones(2))
    assert torch.all(new[:, [1, 3]] == 0)  # only kept tasks 0 and 2 contribute
    assert not torch.equal(new, torch.eye(4)[reset])
    emb.reset_tasks(torch.zeros(4, dtype=torch.bool))  # nothing to reset: unchanged
    torch.testing.assert_close(emb.weight.detach(), w)
    emb.reset_tasks(torch.ones(4, dtype=torch.bool))  # every task: redrawn xavier-uniform
    assert float(emb.weight.detach().abs().max()) <= math.sqrt(6.0 / 8) and not torch.equal(
        emb.weight, w
    )


def test_paco_embedding_detached_scope_stops_gradient() -> None:
    net = PacoNet(IN, OUT, T, (8,), num_sets=2)
    x, task = torch.randn(6, IN), torch.arange(6) % T
    with net.embedding.detached():
        net(x, task).sum().backward()
    assert net.embedding.weight.grad is None
    net(x, task).sum().backward()
    assert net.embedding.weight.grad is not None


def _sm_reference(net: SoftModularNet, x: torch.Tensor, task: torch.Tensor) -> torch.Tensor:
    """Soft modularization written out row by row and module by module, as the
    reference's ``SoftModularizedMLP`` and ``RoutingNetwork`` compute it."""
    routing = net.routing
    m = routing.num_modules
    out = []
    for n in range(x.shape[0]):
        h = net.obs_net(x[n])
        z = net.task_net(torch.nn.functional.one_hot(task[n], T).float()) * h
        u = routing.project(torch.relu(z))
        logits = [routing.down[0](torch.relu(u))]
        for layer in range(1, len(routing.down)):
            up = routing.up[layer - 1](logits[-1])
            logits.append(routing.down[layer](torch.relu(up * u)))
        probs = [torch.softmax(p.view(-1, m), dim=-1) for p in logits]
        inputs = [h] * m
        for layer, module_layer in enumerate(net.modules_):
            outs = [
                torch.relu(inputs[j] @ module_layer.weight[j] + module_layer.bias[j])
                for j in range(m)
            ]
            mixing = probs[layer]  # [M, M] (row j feeds module j of the next layer) or [1, M]
            inputs = [sum(mixing[j, i] * outs[i] for i in range(m)) for j in range(mixing.shape[0])]
        out.append(net.out(inputs[0]))
    return torch.stack(out)


@pytest.mark.parametrize("obs_layers", [1, 2])
def test_soft_modular_matches_the_reference_computation(
    obs_layers: int, batch: tuple[torch.Tensor, torch.Tensor]
) -> None:
    x, task = batch
    cfg = dataclasses.replace(_cfg("sm"), sm_obs_layers=obs_layers, sm_layers=3, sm_modules=3)
    torch.manual_seed(1)
    net = build_task_net(cfg, IN, OUT, T)
    assert isinstance(net, SoftModularNet)
    with torch.no_grad():  # non-zero biases, so that their placement is checked too
        for p in net.parameters():
            p.add_(0.1 * torch.randn_like(p))
    torch.testing.assert_close(net(x, task), _sm_reference(net, x, task), rtol=1e-5, atol=1e-5)


def test_soft_modular_sizes_follow_the_reference() -> None:
    """MetaWorld sizes: obs MLP 39 -> 400 -> 400, task embedding T -> 400, routing
    projection 400 -> 256, 3 logit maps 256 -> 16 and a last 256 -> 4, 3 maps of the
    previous logits 16 -> 256, 4 layers of 4 modules of 128, output 128 -> out."""
    net = build_task_net(NetConfig(base="sm"), 39, 8, 10)
    assert isinstance(net, SoftModularNet)
    shapes = {name: tuple(p.shape) for name, p in net.named_parameters() if "weight" in name}
    assert shapes == {
        "obs_net.0.weight": (400, 39),
        "obs_net.2.weight": (400, 400),
        "task_net.weight": (400, 10),
        "routing.project.weight": (256, 400),
        "routing.down.0.weight": (16, 256),
        "routing.down.1.weight": (16, 256),
        "routing.down.2.weight": (16, 256),
        "routing.down.3.weight": (4, 256),
        "routing.up.0.weight": (256, 16),
        "routing.up.1.weight": (256, 16),
        "routing.up.2.weight": (256, 16),
        "modules_.0.weight": (4, 400, 128),
        "modules_.1.weight": (4, 128, 128),
        "modules_.2.weight": (4, 128, 128),
        "modules_.3.weight": (4, 128, 128),
        "out.weight": (8, 128),
    }
    cheetah = NetConfig(base="sm", sm_obs_layers=1, sm_module_width=64, sm_routing_width=128)
    cheetah_net = build_task_net(cheetah, 17, 12, 5)
    names = [name for name, _ in cheetah_net.named_parameters()]
    assert [n for n in names if n.startswith("obs_net")] == ["obs_net.0.weight", "obs_net.0.bias"]


@pytest.mark.parametrize("base", BASES)
def test_initialisation_is_xavier_uniform_with_zero_biases(base: str) -> None:
    """Every weight matrix (per task, per module, per parameter set) lies within its own
    xavier bound sqrt(6 / (in + out)) and fills it (uniform), every bias is zero."""
    torch.manual_seed(0)
    net = build_task_net(
        dataclasses.replace(NetConfig(base=base), hidden=(64, 64), paco_width=64), 39, 8, 10
    )
    for name, p in net.named_parameters():
        if name.endswith("bias"):
            assert bool((p == 0).all()), name
            continue
        if name.endswith("embedding.weight"):
            continue
        fan_in, fan_out = (p.shape[-1], p.shape[-2]) if p.dim() == 2 else p.shape[-2:]
        bound = math.sqrt(6.0 / (fan_in + fan_out))
        assert float(p.detach().abs().max()) <= bound, name
        assert float(p.detach().abs().max()) > 0.9 * bound, name
        assert abs(float(p.detach().std()) - bound / math.sqrt(3.0)) < 0.1 * bound, name


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
