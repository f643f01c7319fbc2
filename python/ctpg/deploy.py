"""A trained run's control policies outside training: ``load_policy`` and ``export_policy``.

``load_policy(run_dir)`` rebuilds the run's networks from its config.yaml as the trainer
builds them (``AgentNets``: for PaCo the actor reads the shared task embedding), loads the
newest checkpoint and keeps the actor as a ``Policy``: ``(obs [N, obs_dim], task [N]) ->
actions [N, action_dim]``, tanh of the mean by default. ``export_policy`` writes the
deterministic policy as a TorchScript file that ``torch.jit.load`` runs without ctpg: the
actor is traced (``TanhGaussianActor.params_traceable`` has no data-dependent shapes, so
the trace holds for every batch) inside a scripted wrapper that runs the same input checks
as ``Policy``.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import torch
from torch import Tensor, nn

from ctpg.algo.networks import AgentNets
from ctpg.checkpoint import load_checkpoint
from ctpg.config import GYMNASIUM, OBJECT, TrainConfig, load_fingerprint, load_yaml
from ctpg.nets.policy import TanhGaussianActor
from ctpg.rundir import CONFIG_FILE, RunDir
from ctpg.tasks import resolve

"""Name under which an exported file carries the run's config.yaml (``_extra_files``)."""
TORCHSCRIPT_NOTICE = r"`torch\.jit\.\w+` is (deprecated|not supported)"
"""torch's DeprecationWarning on TorchScript calls (torch >= 2.13), as a regular expression."""


def _kind(x: Tensor) -> str:
    """The dtype of ``x`` (in TorchScript, where a dtype prints as a number, its kind)."""
    if torch.jit.is_scripting():
        if x.dtype == torch.bool:
            return "bool"
        if x.is_floating_point():
            return "floating-point"
        return "complex" if x.is_complex() else "integer"
    return str(x.dtype)


def check_inputs(obs: Tensor, task: Tensor, obs_dim: int, num_tasks: int) -> None:
    """ValueError naming the argument unless ``obs`` is floating [N, obs_dim] and ``task``
    integer [N] with values in [0, num_tasks). TorchScript compiles it into exported files,
    where the error arrives as ``torch.jit.Error`` ending in ``builtins.ValueError: ...``."""
    if obs.dim() != 2 or obs.size(1) != obs_dim:
        raise ValueError(f"obs: expected shape [N, {obs_dim}], got {list(obs.shape)}")
    if not obs.is_floating_point():
        raise ValueError(f"obs: expected a floating-point tensor (float32), got {_kind(obs)}")
    n = obs.size(0)
    if task.dim() != 1 or task.size(0) != n:
        raise ValueError(
            f"task: expected shape [N] = [{n}] (one task per row of obs), got {list(task.shape)}"
        )
    if task.is_floating_point() or task.is_complex() or task.dtype == torch.bool:
        raise ValueError(f"task: expected an integer tensor (int64), got {_kind(task)}")
    if n > 0:
        low, high = int(task.min()), int(task.max())
        if low < 0 or high >= num_tasks:
            raise ValueError(
                f"task: expected task indices in [0, {num_tasks}), got values from {low} to {high}"
            )


class Policy(nn.Module):
    """The control policies of a trained run as one module.

    ``policy(obs, task)``: obs [N, obs_dim] floating, task [N] integer in [0, num_tasks)
    (tensors on any device; they are moved to the policy's device, obs as float32, task as
    int64) -> actions float32 [N, action_dim] on the policy's device, in [-1, 1] for the
    built-in tasks and in the env's own units (each task's Box bounds) for a run on the
    user's own envs; row n is
    task[n]'s policy at obs[n]. ``deterministic`` (default True) gives tanh of the mean,
    False samples tanh(N(mean, std)) from torch's global RNG. Parameters are frozen
    (``requires_grad`` False) and the module is in eval mode.
    """

    def __init__(
        self,
        actor: TanhGaussianActor,
        task_names: list[str],
        obs_dim: int,
        action_dim: int,
        checkpoint_step: int,
        deterministic: bool = True,
        action_bounds: tuple[Tensor, Tensor] | None = None,
    ) -> None:
        super().__init__()
        self.actor = actor
        self.task_names = list(task_names)
        self.num_tasks = len(self.task_names)
        self.obs_dim = obs_dim
        self.action_dim = action_dim
        self.checkpoint_step = checkpoint_step
        self.deterministic = deterministic
        self.anchor: Tensor
        self.register_buffer("anchor", torch.zeros(0), persistent=False)
        self.rescale = action_bounds is not None
        low, high = action_bounds or (torch.zeros(0, 0), torch.zeros(0, 0))
        self.low: Tensor
        self.high: Tensor
        self.register_buffer("low", low.to(torch.float32), persistent=False)
        self.register_buffer("high", high.to(torch.float32), persistent=False)
        self.requires_grad_(False)
        self.eval()

    @property
    def device(self) -> torch.device:
        """Where the parameters (and the returned actions) are."""
        return self.anchor.device

    def forward(self, obs: Tensor, task: Tensor) -> Tensor:
        """Actions [N, action_dim]; see the class docstring."""
        for name, value in (("obs", obs), ("task", task)):
            if not isinstance(value, Tensor):
                raise ValueError(
                    f"{name}: expected a torch.Tensor, got {type(value).__name__} "
                    "(torch.as_tensor converts a numpy array)"
                )
        check_inputs(obs, task, self.obs_dim, self.num_tasks)
        obs = obs.to(self.device, torch.float32)
        task = task.to(self.device, torch.long)
        mean, log_std = self.actor.params_traceable(obs, task)
        if self.deterministic:
            action = torch.tanh(mean)
        else:
            action = self.actor.rsample(mean, log_std)[0]
        return to_env_units(action, task, self.low, self.high) if self.rescale else action


def to_env_units(action: Tensor, task: Tensor, low: Tensor, high: Tensor) -> Tensor:
    """Actions in [-1, 1] mapped to each row's task bounds ``low[task]``, ``high[task]``."""
    lo, hi = low[task], high[task]
    return lo + (action + 1.0) * 0.5 * (hi - lo)


def _device(device: str | torch.device) -> torch.device:
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError) as error:
        message = f"device: expected 'cpu', 'cuda' or a torch.device, got {device!r}"
        raise ValueError(message) from error
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {device!r} was requested but CUDA is not available")
    return resolved


def load_policy(
    run_dir: str | os.PathLike[str], device: str | torch.device = "cpu", deterministic: bool = True
) -> Policy:
    """The control policies of the run in ``run_dir`` at its newest checkpoint.

    Reads ``run_dir/config.yaml`` and the newest checkpoint (``ValueError`` naming the file
    when either is missing or damaged). The returned ``Policy`` maps (obs [N, obs_dim],
    task [N]) to actions [N, action_dim]; ``task`` indexes ``policy.task_names``.
    """
    if not isinstance(deterministic, bool):
        raise ValueError(f"deterministic: expected a bool, got {deterministic!r}")
    target = _device(device)
    run = Path(run_dir)
    config_path = RunDir(run).config
    if not config_path.is_file():
        raise ValueError(f"run_dir: no run in {run} ({CONFIG_FILE} is missing)")
    cfg = load_yaml(config_path)
    task_names, obs_dim, action_dim, bounds = _spaces(cfg, config_path)
    num_tasks = len(task_names)
    state, _ = load_checkpoint(run)
    nets = AgentNets(cfg.agent, num_tasks, obs_dim, action_dim)
    try:
        nets.load_state_dict(state["agent"]["nets"])
    except RuntimeError as error:
        raise ValueError(
            f"run_dir: the checkpoint in {run} does not match its {CONFIG_FILE} ({error})"
        ) from error
    policy = Policy(
        nets.actor, task_names, obs_dim, action_dim, int(state["step"]), deterministic, bounds
    )
    return policy.to(target)


def _spaces(
    cfg: TrainConfig, config_path: Path
) -> tuple[list[str], int, int, tuple[Tensor, Tensor] | None]:
    """Task names, observation and action sizes of a run, and the per-task action bounds
    [T, A] of a run on the user's own envs (from config.yaml's env fingerprint; None for
    the built-in tasks, whose actions are in [-1, 1])."""
    if cfg.env.benchmark not in (GYMNASIUM, OBJECT):
        task_set = resolve(cfg.env.name_or_tasks, cfg.env.max_episode_steps)
        family = task_set.family
        return list(task_set.task_names), family.obs_dim, family.action_dim, None
    fingerprint = load_fingerprint(config_path)
    if fingerprint is None:
        raise ValueError(f"run_dir: {config_path} records no env fingerprint")
    low = torch.tensor(fingerprint["action_low"], dtype=torch.float32)
    high = torch.tensor(fingerprint["action_high"], dtype=torch.float32)
    unit = bool((low == -1.0).all() and (high == 1.0).all())
    names = [str(n) for n in fingerprint["task_names"]]
    dims = int(fingerprint["obs_dim"]), int(fingerprint["action_dim"])
    return names, dims[0], dims[1], None if unit else (low, high)


class _Mode(nn.Module):
    """The traced part of an exported policy: tanh of the mean."""

    def __init__(self, actor: TanhGaussianActor) -> None:
        super().__init__()
        self.actor = actor

    def forward(self, obs: Tensor, task: Tensor) -> Tensor:
        return torch.tanh(self.actor.params_traceable(obs, task)[0])


class _Exported(nn.Module):
    """The scripted wrapper of an exported policy: checks, device and dtype, then the trace."""

    def __init__(self, mode: nn.Module, policy: Policy) -> None:
        super().__init__()
        self.mode = mode
        self.task_names = list(policy.task_names)
        self.num_tasks = policy.num_tasks
        self.obs_dim = policy.obs_dim
        self.action_dim = policy.action_dim
        self.checkpoint_step = policy.checkpoint_step
        self.rescale = policy.rescale
        self.anchor: Tensor
        self.register_buffer("anchor", torch.zeros(0))
        self.low: Tensor
        self.high: Tensor
        self.register_buffer("low", policy.low.clone())
        self.register_buffer("high", policy.high.clone())

    def forward(self, obs: Tensor, task: Tensor) -> Tensor:
        check_inputs(obs, task, self.obs_dim, self.num_tasks)
        device = self.anchor.device
        task = task.to(device, torch.long)
        action = self.mode(obs.to(device, torch.float32), task)
        return to_env_units(action, task, self.low, self.high) if self.rescale else action


@contextlib.contextmanager
def _torchscript() -> Iterator[None]:
    """A block in which torch's deprecation notice of TorchScript (torch >= 2.13) is quiet:
    the export format is TorchScript on purpose (``torch.jit.load`` is all a program needs)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=TORCHSCRIPT_NOTICE, category=DeprecationWarning)
        yield


def _example_inputs(policy: Policy, rows: int, seed: int) -> tuple[Tensor, Tensor]:
    generator = torch.Generator().manual_seed(seed)
    obs = torch.randn(rows, policy.obs_dim, generator=generator)
    task = torch.randint(policy.num_tasks, (rows,), generator=generator)
    return obs, task


def script_policy(policy: Policy) -> torch.jit.ScriptModule:
    """The deterministic ``policy`` (on the CPU) as a TorchScript module with the same
    ``forward(obs, task)``, input checks and attributes (task_names, num_tasks, obs_dim,
    action_dim, checkpoint_step). The trace is checked on a second batch of another size
    and task mix, and a tracer warning or a failed check is a ValueError, so a network whose
    trace would not hold for every batch is refused here rather than exported."""
    if policy.device.type != "cpu":
        raise ValueError(f"policy: export traces on the CPU, got a policy on {policy.device}")
    examples = _example_inputs(policy, 2 * policy.num_tasks + 1, seed=0)
    other = _example_inputs(policy, 3, seed=1)
    network = type(policy.actor.net).__name__
    with _torchscript(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", torch.jit.TracerWarning)
        try:
            mode = torch.jit.trace(_Mode(policy.actor), examples, check_inputs=[other, examples])
            failed = ""
        except torch.jit.TracingCheckError as error:
            failed = str(error)
        tracer = torch.jit.TracerWarning
        problems = [str(w.message) for w in caught if issubclass(w.category, tracer)]
        if failed or problems:
            detail = (problems[0] if problems else failed).strip().splitlines()[0]
            raise ValueError(
                f"policy: the {network} network cannot be traced for every batch ({detail})"
            )
        scripted: torch.jit.ScriptModule = torch.jit.script(_Exported(mode, policy))
    return scripted


def export_policy(run_dir: str | os.PathLike[str], path: str | os.PathLike[str]) -> Policy:
    """Write the deterministic policy of ``run_dir`` to ``path`` as TorchScript.

    ``torch.jit.load(path)`` alone (no ctpg) gives a module with ``forward(obs, task)``, the
    input checks of ``Policy`` and its attributes; the run's config.yaml travels in the file
    (``torch.jit.load(path, _extra_files={"config.yaml": ""})``). Written to a temporary
    name and renamed. Returns the eager policy that was exported.
    """
    policy = load_policy(run_dir, "cpu")
    scripted = script_policy(policy)
    out = Path(path)
    tmp = out.with_name(out.name + ".tmp")
    config = RunDir(run_dir).config.read_text()
    try:
        with _torchscript():
            torch.jit.save(scripted, str(tmp), _extra_files={CONFIG_FILE: config})
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return policy
