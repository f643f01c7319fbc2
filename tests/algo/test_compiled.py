"""The compiled updates (``ctpg.algo.compiled``) against the eager ones: an eager and a
compiled learner from the same start, fed the same batches with the same random seed
before every update, keep the same losses and parameters.

Tolerance: rtol 1e-4 / atol 1e-5 after 40 control and 20 guide updates. The random draws
are identical (eager's generator), so the two learners differ only by float32 rounding
of fused kernels and reordered sums (about 1e-6 relative per update), which Adam's
normalised steps do not amplify over a few dozen updates, except where a gradient is
itself at the rounding level: there a parameter may differ by up to lr per update
(``_noise_level_gradients``).
"""

from __future__ import annotations

import pytest
import torch

from ctpg.algo.agent import Agent
from ctpg.algo.compiled import SplitBiasFromMatmul
from ctpg.algo.updates import StackedMetrics
from ctpg.config import AgentConfig, GuideConfig, NetConfig, SACConfig
from ctpg.metrics import DeviceAverages

T, D, A, B, K = 3, 6, 2, 16, 4
UPDATES = 40

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")


def _batch(g: torch.Generator) -> dict[str, torch.Tensor]:
    n = T * B
    return {
        "obs": torch.randn(n, D, generator=g),
        "action": torch.rand(n, A, generator=g) * 2 - 1,
        "reward": torch.randn(n, generator=g),
        "next_obs": torch.randn(n, D, generator=g),
        "terminated": torch.rand(n, generator=g) < 0.1,
        "truncated": torch.rand(n, generator=g) < 0.05,
        "task": torch.arange(T).repeat_interleave(B),
        "index": torch.arange(n),
        "weight": torch.ones(n),
    }


def _segments(g: torch.Generator) -> dict[str, torch.Tensor]:
    b = T * 4
    return {
        "obs": torch.randn(b, K, D, generator=g),
        "action": torch.rand(b, K, A, generator=g) * 2 - 1,
        "reward": torch.randn(b, K, generator=g),
        "next_obs": torch.randn(b, K, D, generator=g),
        "terminated": torch.rand(b, K, generator=g) < 0.1,
        "truncated": torch.rand(b, K, generator=g) < 0.05,
        "valid": torch.rand(b, K, generator=g) < 0.95,
        "task": torch.arange(T).repeat_interleave(4),
        "behaviour": torch.randint(0, T, (b,), generator=g),
    }


def _config(base: str, sharing: str) -> AgentConfig:
    net = NetConfig(base=base, hidden=(16, 16), sm_width=16, sm_module_width=16)
    # masking from update 20 on, at a threshold the losses cross
    sac = SACConfig(loss_mask_after=20, loss_mask_threshold=3.0)
    return AgentConfig(net=net, sac=sac, sharing=sharing, guide=GuideConfig(filter_gate="on"))


def _side_by_side(base: str, sharing: str) -> None:
    cfg = _config(base, sharing)
    torch.manual_seed(0)
    eager = Agent(cfg, T, D, A, torch.device("cpu"))
    compiled = Agent(cfg, T, D, A, torch.device("cpu"))
    compiled.load_state_dict(eager.state_dict())
    compiled.compile()
    g = torch.Generator().manual_seed(1)
    seen: set[str] = set()
    for step in range(UPDATES):
        batch = _batch(g)
        segments = _segments(g) if sharing == "ctpg" and step % 2 == 0 else None
        results = []
        for agent in (eager, compiled):
            torch.manual_seed(100 + step)
            metrics, td = agent.update(batch, step)
            if segments is not None:
                guide = agent.update_guide(segments, step)
                if agent is compiled:
                    _stacked_in_key_order(guide)
                metrics = {**metrics, **guide}
            if agent is compiled:
                _stacked_in_key_order(metrics)
            results.append((metrics, td, agent.masked.clone()))
        (m_e, td_e, mask_e), (m_c, td_c, mask_c) = results
        _same_actions(eager, compiled, batch, step, sharing)
        assert m_e.keys() == m_c.keys()
        seen |= set(m_e)
        for key in m_e:
            torch.testing.assert_close(m_c[key], m_e[key], rtol=1e-4, atol=1e-5, msg=key)
        torch.testing.assert_close(td_c, td_e, rtol=1e-4, atol=1e-5)
        assert torch.equal(mask_c, mask_e)
    eager_state, compiled_state = eager.state_dict(), compiled.state_dict()
    noise = _noise_level_gradients(eager)
    for key, value in eager_state["nets"].items():
        other = compiled_state["nets"][key]
        if key in noise:  # Adam's direction on rounding-level gradients is rounding's
            mask, bound = noise[key]
            assert (other[mask] - value[mask]).abs().max() <= bound, key
            other, value = other[~mask], value[~mask]
        torch.testing.assert_close(other, value, rtol=1e-4, atol=1e-5, msg=key)
    for name, opt in eager_state["optimizers"].items():
        for index, state in opt["state"].items():
            other = compiled_state["optimizers"][name]["state"][index]
            for field in ("step", "exp_avg", "exp_avg_sq"):
                torch.testing.assert_close(other[field].float(), state[field].float(),
                                           rtol=1e-4, atol=1e-6, msg=f"{name} {field}")  # fmt: skip
    assert compiled.num_updates == eager.num_updates == UPDATES
    if sharing == "ctpg":
        assert "loss/guide_compare" in seen and "loss/guide_actor" in seen


def _stacked_in_key_order(metrics: dict[str, torch.Tensor]) -> None:
    """A compiled update's metrics also come stacked, float64, in their key order."""
    if not isinstance(metrics, StackedMetrics):
        return  # a control and a guide update merged
    expected = torch.stack([v.double() for v in metrics.values()])
    assert metrics.stacked.dtype == torch.float64
    assert torch.equal(metrics.stacked, expected)


NOISE_GRADIENT = 1e-6
"""Gradient RMS (Adam's bias-corrected second moment) below which a gradient is at the
rounding level of the loss's float32 sums (about 1e-7 relative, losses of order 1)."""


def _noise_level_gradients(agent: Agent) -> dict[str, tuple[torch.Tensor, float]]:
    """{parameter name: (elements whose gradient RMS is below ``NOISE_GRADIENT``, lr *
    updates)} for the optimized parameters that have such elements.

    Adam steps by about lr whatever the gradient's size, so where the gradient is as small
    as the rounding of the sums it comes from (soft modularization's routing biases,
    whose softmax gradients nearly cancel), rounding picks the direction of each step and
    the two learners may drift apart by up to lr per update there; everywhere else they
    agree at rtol 1e-4 / atol 1e-5."""
    names = {id(p): n for n, p in agent.nets.named_parameters()}
    noise = {}
    for optimizer in agent.updates.optimizers.values():
        group = optimizer.param_groups[0]
        beta2 = group["betas"][1]
        for p in group["params"]:
            state = optimizer.state[p]
            steps = float(state["step"])
            rms = (state["exp_avg_sq"] / (1 - beta2**steps)).sqrt()
            mask = rms < NOISE_GRADIENT
            if mask.any():
                noise[names[id(p)]] = (mask, group["lr"] * steps)
    return noise


def _same_actions(
    eager: Agent, compiled: Agent, batch: dict[str, torch.Tensor], step: int, sharing: str
) -> None:
    """The compiled action choices draw what the eager ones draw: control actions (sampled
    and deterministic, QMP's switch) for every task; and the guide's behaviour choice
    (eager in both) agrees, with and without the gate, for 1 to T envs."""
    obs, tasks = batch["obs"][::B], batch["task"][::B]
    rows = 1 + step % T
    chosen = []
    for agent in (eager, compiled):
        torch.manual_seed(200 + step)
        drawn = [agent.act(obs, tasks, False), agent.act(obs, tasks, True)]
        if sharing == "qmp":
            drawn.append(agent.qmp_act(obs, tasks))
        if sharing == "ctpg":
            choice, info = agent.choose_behaviour(obs[:rows], tasks[:rows], step % 2 == 1)
            drawn += [choice, info["mask"], info["empty"]]
        chosen.append(drawn)
    for e, c in zip(*chosen, strict=True):
        if e.is_floating_point():
            torch.testing.assert_close(c, e, rtol=1e-4, atol=1e-5)
        else:
            assert torch.equal(c, e)


def test_compiled_mhsac_ctpg_agrees_with_eager() -> None:
    torch._dynamo.utils.counters.clear()
    _side_by_side("mhsac", "ctpg")
    assert not torch._dynamo.utils.counters["graph_break"]  # one graph per update


@pytest.mark.slow
@pytest.mark.parametrize(
    ("base", "sharing"),
    [("mtsac", "none"), ("mtsac", "qmp"), ("sm", "ctpg"), ("pcgrad", "ctpg"),
     ("single", "ctpg"), ("mhsac", "none"), ("paco", "ctpg")],
)  # fmt: skip
def test_compiled_agrees_with_eager(base: str, sharing: str) -> None:
    _side_by_side(base, sharing)


def test_the_bias_leaves_the_matrix_product() -> None:
    """``SplitBiasFromMatmul``: addmm(bias, a, b) becomes mm(a, b) + bias with the same
    result; an addmm with its own alpha or beta is left alone."""
    from torch.fx.experimental.proxy_tensor import make_fx

    def layers(bias: torch.Tensor, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        h = torch.relu(torch.addmm(bias, x, w))
        return torch.addmm(bias, h, w, beta=0.5)

    g = torch.Generator().manual_seed(0)
    args = (
        torch.randn(8, generator=g),
        torch.randn(5, 8, generator=g),
        torch.randn(8, 8, generator=g),
    )
    gm = make_fx(layers)(*args)
    SplitBiasFromMatmul()(gm.graph)
    gm.recompile()
    targets = [n.target for n in gm.graph.nodes if n.op == "call_function"]
    aten = torch.ops.aten
    assert targets.count(aten.addmm.default) == 1  # the beta=0.5 one
    assert targets.count(aten.mm.default) == 1 and aten.add.Tensor in targets
    torch.testing.assert_close(gm(*args), layers(*args), rtol=1e-5, atol=1e-5)  # rounding
    assert SplitBiasFromMatmul().uuid() == SplitBiasFromMatmul().uuid()  # a cache key


def test_stacked_metrics_add_as_the_dict_does() -> None:
    values = {"a": torch.tensor(1.5), "b": torch.tensor(float("nan")), "c": torch.tensor(-2.0)}
    stacked = StackedMetrics(values, torch.stack(list(values.values())).double())
    plain, fast = DeviceAverages(torch.device("cpu")), DeviceAverages(torch.device("cpu"))
    for step in range(3):
        plain.add(values, step)
        fast.add(stacked, step)
    for averages in (plain, fast):
        with pytest.raises(FloatingPointError, match="non-finite b at step 0"):
            averages.check()
    assert str(fast.pop()) == str(plain.pop())  # nan included
    with pytest.raises(TypeError, match="read-only"):
        stacked["a"] = torch.tensor(0.0)  # the stacked values would no longer match
    assert dict(stacked) == values
    with pytest.raises(ValueError, match=r"stacked: expected shape \(3,\), got \(2,\)"):
        StackedMetrics(values, torch.zeros(2))


def test_compile_takes_the_parts_it_is_given() -> None:
    cfg = _config("mhsac", "ctpg")
    agent = Agent(cfg, T, D, A, torch.device("cpu"))
    assert agent.compiled_parts == ()
    agent.compile(parts=("control",))
    assert agent.compiled_parts == ("control",)
    agent.compile(parts=("guide", "act"))
    assert agent.compiled_parts == ("act", "control", "guide")
    with pytest.raises(ValueError, match=r"parts: expected some of \('act', 'control', 'guide'\)"):
        agent.compile(parts=("critic",))


def test_paco_keeps_eager_updates_under_compile() -> None:
    agent = Agent(_config("paco", "none"), T, D, A, torch.device("cpu"))
    agent.compile()
    assert agent.compiled_parts == ("act",)
