"""The learner: control policies (multi-task SAC), the CTPG guide and QMP behind one class.

The Agent owns every network, target network and temperature (``AgentNets``) and its
``Updates`` (``ctpg.algo.updates``: the optimizers and the two update steps). Loss functions
(``sac_loss``, ``guide_loss``) return dicts of named tensors; all optimizer steps go through
``Updates.apply``. Sampling uses the global torch
RNG, so results are reproducible given ``torch.manual_seed`` on CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from ctpg.algo import guide_loss as G
from ctpg.algo.compiled import CompiledUpdates, compiled_function
from ctpg.algo.networks import AgentNets
from ctpg.algo.qmp import qmp_select
from ctpg.algo.updates import Updates
from ctpg.config import COMPILE_PARTS, AgentConfig

_LONG_KEYS = ("task", "index", "behaviour")
_BOOL_KEYS = ("terminated", "truncated", "valid")


class Agent:
    """Multi-task SAC control policies plus optional CTPG guide (see docs/algorithm.md)."""

    def __init__(
        self, cfg: AgentConfig, num_tasks: int, obs_dim: int, action_dim: int, device: torch.device
    ) -> None:
        for name, value in (
            ("num_tasks", num_tasks),
            ("obs_dim", obs_dim),
            ("action_dim", action_dim),
        ):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        self.cfg, self.num_tasks, self.device = cfg, num_tasks, torch.device(device)
        self.target_entropy = (
            -float(action_dim) if cfg.sac.target_entropy is None else cfg.sac.target_entropy
        )
        self.guide_target_entropy = G.guide_target_entropy(
            num_tasks, cfg.guide.target_entropy_ratio
        )
        self.nets = AgentNets(cfg, num_tasks, obs_dim, action_dim).to(self.device)
        self.updates = Updates(cfg, self.nets, self.target_entropy, self.guide_target_entropy)
        self._control: Callable[[dict[str, Tensor], int], Any] = self.updates.control
        self._guide: Callable[[dict[str, Tensor], int], Any] = self.updates.guide
        self._act: Callable[[Tensor, Tensor, bool], Tensor] = self._act_body
        self._qmp_act: Callable[[Tensor, Tensor], Tensor] = self._qmp_body

    def compile(self, cuda_graphs: bool = False, parts: Iterable[str] = COMPILE_PARTS) -> None:
        """Run each of ``parts`` as one compiled graph (``ctpg.algo.compiled``): "control"
        the control update, "guide" the guide update, "act" the control action choice
        (``act``, ``qmp_act``); the other parts stay eager. The guide's behaviour choice
        stays eager: it runs every K steps on a varying number of envs, and compiled it
        cost four graphs (about a minute of compilation) for no measured gain. PaCo keeps
        its eager updates: under ``torch.compile`` its shared task embedding fails in
        torch's ahead-of-time autograd ("Cannot access storage of TensorWrapper"); its
        action choice is compiled."""
        parts = tuple(parts)
        unknown = sorted(set(parts) - set(COMPILE_PARTS))
        if unknown:
            raise ValueError(f"parts: expected some of {COMPILE_PARTS}, got {unknown}")
        if "act" in parts:
            self._act = compiled_function(self._act_body, self.device, cuda_graphs)
            self._qmp_act = compiled_function(self._qmp_body, self.device, cuda_graphs)
        if self.cfg.net.base == "paco" or not {"control", "guide"} & set(parts):
            return
        compiled = CompiledUpdates(self.updates, cuda_graphs=cuda_graphs)  # graphs built lazily
        if "control" in parts:
            self._control = compiled.control
        if "guide" in parts:
            self._guide = compiled.guide

    @property
    def compiled_parts(self) -> tuple[str, ...]:
        """The parts (``COMPILE_PARTS``) that run compiled."""
        eager = {
            "act": self._act == self._act_body,
            "control": self._control == self.updates.control,
            "guide": self._guide == self.updates.guide,
        }
        return tuple(part for part in COMPILE_PARTS if not eager[part])

    @property
    def num_updates(self) -> int:
        """Control updates so far."""
        return self.updates.num_updates

    @property
    def num_guide_updates(self) -> int:
        """Guide updates so far (the policy-filter gate waits for enough of them)."""
        return self.updates.num_guide_updates

    @property
    def masked(self) -> Tensor:
        """Tasks masked out of the latest control update as extreme, bool [T]."""
        return self.updates.masked

    @property
    def uses_guide(self) -> bool:
        """True when sharing == "ctpg"."""
        return self.nets.guide is not None

    @property
    def log_alpha(self) -> nn.Parameter:
        """Per-task log temperatures of the control policies, [T]."""
        return self.nets.log_alpha

    @property
    def log_beta(self) -> nn.Parameter:
        """Per-task log temperatures of the guide policies, [T] (ctpg only)."""
        return self.nets.require_guide().log_beta

    # ------------------------------------------------------------- acting
    def _to(self, x: Any, dtype: torch.dtype) -> Tensor:
        """Tensor on the agent's device; read-only numpy views are copied first."""
        if isinstance(x, Tensor) and x.dtype == dtype and x.device == self.device:
            return x  # already there: no ATen call
        if isinstance(x, np.ndarray) and not x.flags.writeable:
            x = x.copy()
        return torch.as_tensor(x).to(self.device, dtype, non_blocking=True)

    @torch.no_grad()
    def act(self, obs: Tensor, policy_task: Tensor, deterministic: bool) -> Tensor:
        """Control policy of task policy_task[n] acting on obs[n]; [N, A]."""
        obs, task = self._to(obs, torch.float32), self._to(policy_task, torch.long)
        return self._act(obs, task, bool(deterministic))

    def _act_body(self, obs: Tensor, task: Tensor, deterministic: bool) -> Tensor:
        actor = self.nets.actor
        if deterministic:
            return actor.mode(obs, task)
        return actor.sample(obs, task)[0]

    @torch.no_grad()
    def qmp_act(self, obs: Tensor, task: Tensor) -> Tensor:
        """QMP: the proposal of all control policies with the highest min-Q of task[n]."""
        obs, task = self._to(obs, torch.float32), self._to(task, torch.long)
        return self._qmp_act(obs, task)

    def _qmp_body(self, obs: Tensor, task: Tensor) -> Tensor:
        return qmp_select(self.nets.actor, self.nets.critic, obs, task)[0]

    @torch.no_grad()
    def gate_values(self, obs: Tensor, task: Tensor) -> tuple[Tensor, Tensor]:
        """Both sides of the policy-filter gate at obs[n] for task[n] (docs/algorithm.md,
        section 3.3).

        Returns (comparison values [N, T]: the mean of the two comparison critics for
        every candidate task j, own-policy values V_i(s) [N]: the mean over
        ``guide.filter_samples`` actions a ~ pi_i of the mean of the two control critics,
        minus alpha_i times the mean log pi_i(a|s)).
        """
        obs, task = self._to(obs, torch.float32), self._to(task, torch.long)
        guide = self.nets.require_guide()
        q = guide.compare(obs, task).mean(dim=0)
        v = G.own_policy_value(
            self.nets.actor,
            self.nets.critic,
            self.log_alpha,
            obs,
            task,
            self.cfg.guide.filter_samples,
        )
        return q, v

    @torch.no_grad()
    def gate_report(self, obs: Tensor, task: Tensor) -> dict[str, Tensor]:
        """Per state: "v" V_i(s), "own" the own task's comparison value, "gap" own - v,
        "own_pass" whether the own task passes the gate, "any_pass" whether any task does
        (each [N]). A healthy gate has the own task pass in a good share of states: both
        sides estimate the value of following pi_i from s."""
        q, v = self.gate_values(obs, task)
        task = self._to(task, torch.long)
        own = q.gather(1, task.unsqueeze(1)).squeeze(1)
        return {
            "v": v,
            "own": own,
            "gap": own - v,
            "own_pass": own >= v,
            "any_pass": (q >= v.unsqueeze(1)).any(dim=1),
        }

    @torch.no_grad()
    def choose_behaviour(
        self, obs: Tensor, task: Tensor, filter_active: bool
    ) -> tuple[Tensor, dict[str, Tensor]]:
        """Behaviour task j ~ Pi_i(.|s) under the policy-filter gate.

        The gate acts when ``filter_active`` (the caller decides from the step and the
        comparison critic's update count) and ``guide.filter_gate`` is not "off": "on"
        samples among the unmasked tasks, "reference" samples from the whole guide
        distribution; both fall back to the own task when every task is masked. Without a
        guide (sharing != "ctpg") every task follows itself. Returns (j [N], {"mask": bool
        [N, T], "mask_rate": fraction masked, "empty": bool [N] rows whose mask is
        empty, and when the gate acted "own_pass": bool [N] rows where the own task
        passes}).
        """
        obs, task = self._to(obs, torch.float32), self._to(task, torch.long)
        n, t = obs.shape[0], self.num_tasks
        mask = torch.ones(n, t, dtype=torch.bool, device=self.device)
        if self.nets.guide is None:
            return task.clone(), {
                "mask": mask,
                "mask_rate": mask.new_zeros((), dtype=torch.float32),
                "empty": torch.zeros_like(task, dtype=torch.bool),
            }
        probs, _ = self.nets.guide.actor(obs, task)
        mode = self.cfg.guide.filter_gate
        gated = filter_active and mode != "off"
        if gated:
            q, v = self.gate_values(obs, task)
            mask = q >= v.unsqueeze(1)
        empty = ~mask.any(dim=1)
        allowed = mask if mode == "on" else torch.ones_like(mask)
        choice = G.masked_choice(probs, allowed, task)
        choice = torch.where(empty, task, choice)
        info = {"mask": mask, "mask_rate": 1.0 - mask.float().mean(), "empty": empty}
        if gated:
            info["own_pass"] = mask.gather(1, task.unsqueeze(1)).squeeze(1)
        return choice, info

    def blocked_tasks(self) -> Tensor:
        """Guide-block gate: bool [T], log alpha_i > mean_k log alpha_k (all False if off)."""
        if not (self.uses_guide and self.cfg.guide.block_gate):
            return torch.zeros(self.num_tasks, dtype=torch.bool, device=self.device)
        return G.blocked_from_log_alpha(self.log_alpha)

    # ------------------------------------------------------------- updates
    def _prepare(self, batch: dict[str, Any]) -> dict[str, Tensor]:
        out = {}
        for key, value in batch.items():
            if key in _LONG_KEYS:
                out[key] = self._to(value, torch.long)
            elif key in _BOOL_KEYS:
                out[key] = self._to(value, torch.bool)
            else:
                out[key] = self._to(value, torch.float32)
        return out

    def update(self, batch: dict[str, Tensor], step: int) -> tuple[dict[str, Tensor], Tensor]:
        """One SAC update of critics, actors and temperatures on a replay batch.

        Returns (metrics as 0-d float tensors on the device, per-sample |TD error| [N] for
        replay priorities). Nothing is read back to the host (PaCo's extreme-task reset
        aside), so on CUDA the call returns while the GPU still works.
        """
        return self._control(self._prepare(batch), step)

    def update_guide(self, segments: dict[str, Tensor], step: int) -> dict[str, Tensor]:
        """One update of the guide actor, critics and temperatures on K-step segments;
        metrics as 0-d float tensors on the device."""
        if not self.uses_guide:
            raise ValueError(
                f"sharing: update_guide needs sharing='ctpg', got {self.cfg.sharing!r}"
            )
        return self._guide(self._prepare(segments), step)

    def reset_extreme_tasks(self, reset: Tensor) -> None:
        """PaCo: re-initialise the shared composition vectors of ``reset`` tasks."""
        if self.nets.task_embedding is not None:
            self.nets.task_embedding.reset_tasks(reset)

    # ----------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """Networks, targets, temperatures, optimizers and counters."""
        return {"nets": self.nets.state_dict(), **self.updates.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned (optimizer states are copied, never aliased)."""
        self.nets.load_state_dict(state["nets"])
        self.updates.load_state_dict(state)
