"""A trained policy outside training: ``ctpg.load_policy`` and ``ctpg export`` (TorchScript)."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest
import torch

import ctpg
from ctpg import cli
from ctpg.algo.agent import Agent
from ctpg.checkpoint import load_checkpoint
from ctpg.config import BASES, load_yaml
from ctpg.deploy import (
    CONFIG_FILE,
    TORCHSCRIPT_NOTICE,
    Policy,
    export_policy,
    load_policy,
    script_policy,
)

OBS_DIM, ACTION_DIM, NUM_TASKS = 17, 6, 2  # the tiny runs: two HalfCheetah tasks


def _train(tiny: Any, base: str, name: str = "run") -> Path:
    """A tiny run without policy sharing: 60 warmup steps, 40 updates, one checkpoint."""
    cfg = tiny(base, "none", name=name, steps=100, eval_every=100)
    return Path(ctpg.train(cfg, progress=False))


def _inputs(rows: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    obs = 2.0 * torch.randn(rows, OBS_DIM, generator=generator)
    task = torch.randint(NUM_TASKS, (rows,), generator=generator)
    return obs, task


def _jit_load(path: Path, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=TORCHSCRIPT_NOTICE, category=DeprecationWarning)
        return torch.jit.load(str(path), **kwargs)


def _agent(run_dir: Path) -> Agent:
    """The trainer's own agent restored from the run's newest checkpoint."""
    cfg = load_yaml(run_dir / CONFIG_FILE)
    agent = Agent(cfg.agent, NUM_TASKS, OBS_DIM, ACTION_DIM, torch.device("cpu"))
    agent.load_state_dict(load_checkpoint(run_dir)[0]["agent"])
    return agent


@pytest.mark.parametrize("base", BASES)
def test_policy_acts_as_the_agent_and_its_export_as_the_policy(
    tiny: Any, tmp_path: Path, base: str
) -> None:
    run_dir = _train(tiny, base)
    policy = ctpg.load_policy(run_dir)
    agent = _agent(run_dir)
    assert isinstance(policy, torch.nn.Module) and policy.deterministic
    assert policy.task_names == ["halfcheetah-gravity-1.0", "halfcheetah-gravity-0.5"]
    assert (policy.obs_dim, policy.action_dim, policy.checkpoint_step) == (OBS_DIM, 6, 100)
    out = tmp_path / f"{base}.pt"
    assert cli.main(["export", str(run_dir), "--out", str(out)]) == 0
    exported = _jit_load(out)
    assert "Device" not in str(exported.mode.inlined_graph)  # map_location moves it whole
    for rows, seed in ((1, 0), (5, 1), (64, 2)):  # batch sizes other than the trace's
        obs, task = _inputs(rows, seed)
        actions = policy(obs, task)
        assert actions.shape == (rows, ACTION_DIM) and actions.dtype == torch.float32
        assert not actions.requires_grad
        torch.testing.assert_close(actions, agent.act(obs, task, True), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(exported(obs, task), actions, rtol=1e-6, atol=1e-6)
        obs64 = obs.double()  # any floating obs and integer task dtype are taken
        torch.testing.assert_close(exported(obs64, task.int()), actions, rtol=1e-6, atol=1e-6)
    sampling = load_policy(run_dir, deterministic=False)
    torch.manual_seed(7)
    sampled = sampling(*_inputs(64, 2))
    torch.manual_seed(7)
    expected = agent.act(*_inputs(64, 2), deterministic=False)
    torch.testing.assert_close(sampled, expected, rtol=1e-5, atol=1e-5)
    assert not torch.allclose(sampled, policy(*_inputs(64, 2)))


def test_exported_file_runs_without_ctpg(tiny: Any, tmp_path: Path) -> None:
    """Every base's file is loaded by ``torch.jit.load`` in a Python where ctpg cannot be
    imported (``-I``, and an import hook refusing ``ctpg``), and acts as ``load_policy``."""
    obs, task = _inputs(33, 3)
    torch.save({"obs": obs, "task": task}, tmp_path / "inputs.pt")
    expected = {}
    for base in BASES:
        run_dir = _train(tiny, base, name=base)
        export_policy(run_dir, tmp_path / f"{base}.pt")
        expected[base] = load_policy(run_dir)(obs, task)
    script = """
import importlib.abc, sys, warnings

class NoCtpg(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "ctpg":
            raise ModuleNotFoundError(f"No module named {name!r}")
        return None

sys.meta_path.insert(0, NoCtpg())
try:
    import ctpg
except ModuleNotFoundError:
    pass
else:
    sys.exit("ctpg was importable")
import torch

warnings.filterwarnings("ignore", category=DeprecationWarning)
folder = sys.argv[1]
inputs = torch.load(folder + "/inputs.pt")
actions = {}
for base in sys.argv[2:]:
    policy = torch.jit.load(folder + "/" + base + ".pt")
    actions[base] = policy(inputs["obs"], inputs["task"])
assert not [m for m in sys.modules if m.partition(".")[0] == "ctpg"]
torch.save(actions, folder + "/actions.pt")
"""
    done = subprocess.run(
        [sys.executable, "-I", "-c", script, str(tmp_path), *BASES],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    actions = torch.load(tmp_path / "actions.pt")
    for base in BASES:
        torch.testing.assert_close(actions[base], expected[base], rtol=1e-6, atol=1e-6)


def test_paco_policy_reads_the_shared_task_embedding(tiny: Any) -> None:
    run_dir = _train(tiny, "paco")
    nets = load_checkpoint(run_dir)[0]["agent"]["nets"]
    policy = load_policy(run_dir)
    state = policy.state_dict()
    torch.testing.assert_close(state["actor.net.embedding.weight"], nets["task_embedding.weight"])
    obs, task = _inputs(8, 4)
    before = policy(obs, task)
    with torch.no_grad():
        policy.actor.net.embedding.weight.mul_(-1.0)
    assert not torch.allclose(policy(obs, task), before)


def test_bad_inputs_name_the_argument(tiny: Any, tmp_path: Path) -> None:
    run_dir = _train(tiny, "mhsac")
    policy = load_policy(run_dir)
    export_policy(run_dir, tmp_path / "p.pt")
    exported = _jit_load(tmp_path / "p.pt")
    obs, task = _inputs(4, 5)
    bad = [
        ((obs[:, :5], task), "obs: expected shape [N, 17], got [4, 5]"),
        ((obs[0], task), "obs: expected shape [N, 17], got [17]"),
        ((obs.long(), task), "obs: expected a floating-point tensor (float32)"),
        ((obs, task[:3]), "task: expected shape [N] = [4] (one task per row of obs), got [3]"),
        ((obs, task.float()), "task: expected an integer tensor (int64)"),
        ((obs, task + 2), "task: expected task indices in [0, 2), got values from 2 to 3"),
        ((obs, task - 5), "task: expected task indices in [0, 2), got values from -5 to -4"),
    ]
    for args, message in bad:
        with pytest.raises(ValueError) as eager:
            policy(*args)
        assert message in str(eager.value)
        with pytest.raises(torch.jit.Error) as scripted:
            exported(*args)
        assert f"ValueError: {message}" in str(scripted.value)
    with pytest.raises(ValueError, match="obs: expected a torch.Tensor, got ndarray"):
        policy(obs.numpy(), task)


def test_load_and_export_errors_name_the_problem(
    tiny: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ValueError, match="run_dir: no run in .*config.yaml is missing"):
        load_policy(tmp_path / "missing")
    with pytest.raises(SystemExit) as stop:
        cli.main(["export", str(tmp_path / "missing")])
    assert stop.value.code == 2
    assert "config.yaml is missing" in capsys.readouterr().err
    run_dir = _train(tiny, "mtsac")
    with pytest.raises(SystemExit):
        cli.main(["export", str(run_dir), "--out", str(tmp_path / "no" / "such" / "p.pt")])
    assert "--out:" in capsys.readouterr().err
    with pytest.raises(ValueError, match="deterministic: expected a bool"):
        load_policy(run_dir, deterministic="yes")  # type: ignore[arg-type]
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device: 'cuda' was requested"):
            load_policy(run_dir, device="cuda")
    with pytest.raises(ValueError, match="device: expected"):
        load_policy(run_dir, device="tpu-ish")
    assert cli.main(["export", str(run_dir)]) == 0  # default: RUN_DIR/policy.pt
    assert "written to" in capsys.readouterr().out
    extra = {CONFIG_FILE: ""}
    _jit_load(run_dir / "policy.pt", _extra_files=extra)
    assert extra[CONFIG_FILE] == (run_dir / CONFIG_FILE).read_bytes()


def test_trace_refuses_a_network_that_would_not_hold_for_every_batch(tiny: Any) -> None:
    """A backbone that groups rows by task but claims a traceable forward is caught at export
    (tracer warnings are errors there), not written as a file that is wrong for other batches."""
    policy = load_policy(_train(tiny, "single"))
    policy.actor.net.rows_traceable = True
    with pytest.raises(ValueError, match="policy: the SingleNet network cannot be traced"):
        script_policy(policy)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_policy_and_export_on_the_gpu(tiny: Any, tmp_path: Path) -> None:
    run_dir = _train(tiny, "paco")
    export_policy(run_dir, tmp_path / "p.pt")
    obs, task = _inputs(16, 6)
    on_cpu = load_policy(run_dir)(obs, task)
    gpu: Policy = load_policy(run_dir, device="cuda")
    actions = gpu(obs, task)  # CPU inputs are moved to the policy's device
    assert actions.device.type == "cuda"
    torch.testing.assert_close(actions.cpu(), on_cpu, rtol=1e-4, atol=1e-4)
    exported = _jit_load(tmp_path / "p.pt", map_location="cuda")
    torch.testing.assert_close(exported(obs, task).cpu(), on_cpu, rtol=1e-4, atol=1e-4)
