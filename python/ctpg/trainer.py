"""The training loop's parts: collect -> store -> update -> evaluate -> checkpoint.

``Trainer`` owns the training and evaluation environments, the agent, the per-task replay
and the guide scheduler. ``ctpg.train`` calls its methods in order; each is one step of
the algorithm (docs/algorithm.md):

- ``collect()``: one transition for every task (section 3.1). The scheduler says which envs
  choose a behaviour task now; those ask the guide (with the policy-filter gate once
  ``guide.filter_after`` steps have passed and the comparison critic has had
  ``guide.filter_min_updates`` updates); every env acts with the control policy of its
  behaviour task, sampled. QMP acts with ``agent.qmp_act``. From the first step on the
  (untrained) policies and guide act, as in the reference; only the updates wait for
  ``warmup_steps``. Every K-step boundary is flagged in the replay, also for blocked tasks
  (behaviour = own task), so that their segments stay fresh. Ended envs store
  ``info["final_obs"]`` as next observation.
- ``update()``: after warm-up, one control update per step on a batch with an equal share
  per task (priorities updated from the TD errors under prioritized replay), and every
  ``guide.update_every`` steps one guide update on ``guide.batch_size`` K-step segments
  shared equally by the tasks that are not blocked.
- ``evaluate()``: deterministic control policies on the evaluation envs under the run's
  ``eval_protocol`` (``ctpg.evaluate``); returns the metrics row, with both sides of the
  policy-filter gate measured on replay states (``guide/gate_*``). It changes nothing that
  training reads.
- ``refresh_block_gate()``: the guide-block gate recomputed from the temperatures (section
  3.4), after every evaluation.
- ``state_dict()`` / ``load_state_dict()``: everything a checkpoint restores.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import numpy as np
import torch

from ctpg._core import GuideScheduler
from ctpg.algo.agent import Agent
from ctpg.checkpoint import restore_rng, rng_state
from ctpg.config import TrainConfig
from ctpg.envs.protocol import CtpgEnv
from ctpg.evaluate import evaluate
from ctpg.metrics import Averages, DeviceAverages, GuideStats
from ctpg.replay import TorchReplay
from ctpg.run_envs import derived_seed, evaluation_seed, make_env, make_eval_env

GATE_PROBE_STATES = 256  # guide-decision states per task at which evaluations probe the gate


class Trainer:
    """Environments, agent, replay and scheduler of one run, stepped by ``ctpg.train``."""

    overlap = True
    """In the "reference" update order, step the environments while the update runs."""

    def __init__(
        self,
        cfg: TrainConfig,
        device: torch.device,
        env: CtpgEnv | None = None,
        eval_env: CtpgEnv | None = None,
    ) -> None:
        """``env`` / ``eval_env``: ctpg envs the caller built (``ctpg.envs.adapt_vector_env``);
        by default both are built from ``cfg.env`` (``ctpg.run_envs``)."""
        self.cfg, self.device = cfg, device
        self.rng = np.random.default_rng(cfg.seed)
        torch.manual_seed(cfg.seed)
        self.env = make_env(cfg, cfg.seed) if env is None else env
        self.eval_env = make_eval_env(cfg, self.env) if eval_env is None else eval_env
        # the envs built here, which close() closes (the caller's own envs stay open)
        self._built = [
            e for e, given in ((self.env, env), (self.eval_env, eval_env)) if given is None
        ]
        self.task_names = list(self.env.task_names)
        n = self.num_tasks = len(self.task_names)
        obs_dim = int(self.env.single_observation_space.shape[0])
        action_space = self.env.single_action_space
        self.action_low = np.asarray(action_space.low, dtype=np.float32)
        self.action_high = np.asarray(action_space.high, dtype=np.float32)
        guide = cfg.agent.guide
        self.use_guide = cfg.agent.sharing == "ctpg"
        self.agent = Agent(cfg.agent, n, obs_dim, self.action_low.size, device)
        self.compile_mode = cfg.compile_mode(device.type)
        if self.compile_mode != "off":
            self.agent.compile(
                cuda_graphs=self.compile_mode == "cuda-graphs",
                parts=cfg.compiled_parts(device.type),
            )
        self.replay = TorchReplay(
            cfg.replay, n, obs_dim, self.action_low.size, guide.guide_step, cfg.seed, device
        )
        self.scheduler = GuideScheduler(num_envs=n, guide_step=guide.guide_step)
        self.batch_per_task = max(cfg.batch_size // n, 1)
        probe_batches = -(-GATE_PROBE_STATES * n // max(guide.batch_size, 1))
        self.probe: deque[tuple[torch.Tensor, torch.Tensor]] = deque(maxlen=probe_batches)
        self.tasks = torch.arange(n, device=device)
        self.own = np.arange(n, dtype=np.int64)
        self.blocked = np.zeros(n, dtype=bool)
        self.step = 0
        self.losses, self.train_stats = DeviceAverages(device), Averages()
        self.latest_losses: dict[str, torch.Tensor] = {}
        self.guide_stats = GuideStats(self.task_names)
        self.episode_return = np.zeros(n)
        self.episode_success = np.zeros(n, dtype=bool)
        self.clock = (time.perf_counter(), 0)
        self.obs: np.ndarray = self.env.reset(seed=cfg.seed)[0]

    # ------------------------------------------------------------------ collect + store

    def train_step(self) -> None:
        """One training step in ``cfg.update_order``: "store-first" collects then updates;
        "reference" acts, updates, then steps the environments with the action taken
        before the update, as the authors' loop does. There the environments step in the
        engine's threads while the update runs (``overlap``; stepping after the update
        gives the same run: the update does not read this step's transitions)."""
        if self.cfg.update_order == "store-first":
            self.collect()
            self.update()
            return
        action, behaviour, guide_begin = self._decide()
        if self.overlap:
            self.env.step_async(action)
            try:
                self.update()
            finally:
                result = self.env.step_wait()  # never leave a step in flight
        else:
            self.update()
            result = self.env.step(action)
        self._store(action, behaviour, guide_begin, result)

    def collect(self) -> None:
        """One environment step for every task, stored in the replay."""
        action, behaviour, guide_begin = self._decide()
        self._store(action, behaviour, guide_begin, self.env.step(action))

    def _decide(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """This step's actions, behaviour tasks and K-step window starts."""
        obs_t = torch.as_tensor(self.obs, device=self.device)
        behaviour, guide_begin = self._behaviour(obs_t)
        return self._act(obs_t, behaviour), behaviour, guide_begin

    def _store(
        self,
        action: np.ndarray,
        behaviour: np.ndarray,
        guide_begin: np.ndarray,
        result: tuple[Any, ...],
    ) -> None:
        """Store the transitions of an environment step and move on to its observations."""
        next_obs, reward, terminated, truncated, info = result
        done = np.asarray(terminated, dtype=bool) | np.asarray(truncated, dtype=bool)
        stored_next = np.where(done[:, None], info["final_obs"], next_obs)
        self.replay.add(
            self.obs, action, reward, stored_next, terminated, truncated, behaviour, guide_begin
        )
        if self.use_guide:
            self.scheduler.end_step(done)
        self._track_episodes(reward, np.asarray(info["success"], dtype=bool), done)
        self.obs = next_obs

    def _behaviour(self, obs_t: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """Behaviour task of every env for this step, and which envs start a K-step window."""
        if not self.use_guide:
            return self.own, np.zeros(self.num_tasks, dtype=bool)
        need = np.asarray(self.scheduler.begin_step(), dtype=bool)
        env_ids = np.flatnonzero(need).astype(np.int64)
        if env_ids.size:
            with torch.no_grad():
                picked, info = self.agent.choose_behaviour(
                    obs_t[env_ids], self.tasks[env_ids], self.filter_active()
                )
            chosen = picked.cpu().numpy().astype(np.int64)
            self.guide_stats.record(env_ids, chosen, info)
            self.scheduler.set_behaviour(env_ids, chosen)
        behaviour = np.asarray(self.scheduler.behaviour(), dtype=np.int64)
        self.guide_stats.record_step(behaviour != self.own)
        return behaviour, np.asarray(self.scheduler.boundary(), dtype=bool)

    def filter_active(self) -> bool:
        """Whether the policy-filter gate acts now: from ``guide.filter_after`` on, once the
        comparison critic has had ``guide.filter_min_updates`` updates."""
        guide = self.cfg.agent.guide
        return (
            guide.filter_gate != "off"
            and self.step >= guide.filter_after
            and self.agent.num_guide_updates >= guide.filter_min_updates
        )

    def _act(self, obs_t: torch.Tensor, behaviour: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            if self.cfg.agent.sharing == "qmp":
                action_t = self.agent.qmp_act(obs_t, self.tasks)
            else:
                policy = torch.as_tensor(behaviour, device=self.device)
                action_t = self.agent.act(obs_t, policy, deterministic=False)
        action = np.ascontiguousarray(action_t.cpu().numpy(), dtype=np.float32)
        finite = np.isfinite(action).all(axis=1)
        if not finite.all():
            self.losses.check()  # a non-finite loss before it is the cause: name it
            tasks = ", ".join(self.task_names[i] for i in np.flatnonzero(~finite))
            raise FloatingPointError(
                f"training: non-finite action for {tasks} at step {self.step}; the run stops "
                "(its last checkpoint is intact)"
            )
        return action

    def check_finite(self) -> None:
        """``FloatingPointError`` naming the losses that were non-finite since the start
        (and the first step), or else every network parameter that is NaN or inf."""
        self.losses.check()
        bad = [n for n, p in self.agent.nets.named_parameters() if not torch.isfinite(p).all()]
        if bad:
            raise FloatingPointError(
                f"training: non-finite parameters {', '.join(bad)} at step {self.step}; the "
                "run stops before its next checkpoint (the last one is intact)"
            )

    def _track_episodes(self, reward: np.ndarray, success: np.ndarray, done: np.ndarray) -> None:
        self.episode_return += reward
        self.episode_success |= success
        if done.any():
            self.train_stats.add(
                {
                    "train/return": float(self.episode_return[done].mean()),
                    "train/success": float(self.episode_success[done].mean()),
                }
            )
            self.episode_return[done] = 0.0
            self.episode_success[done] = False

    # ------------------------------------------------------------------ update

    def update(self) -> None:
        """Control update (every step after warm-up) and guide update (every update_every)."""
        step = self.step
        if step >= self.cfg.warmup_steps:
            if self.compile_mode == "cuda-graphs":
                torch.compiler.cudagraph_mark_step_begin()  # earlier graph outputs are done
            batch = self.replay.sample(self.batch_per_task)
            metrics, td_error = self.agent.update(batch, step)
            self.replay.update_priorities(batch["task"], batch["index"], td_error)
            self.losses.add(metrics, step)
            if self.use_guide and step % self.cfg.agent.guide.update_every == 0:
                segments = self.replay.sample_segments(self._segment_counts())
                guide_metrics = self.agent.update_guide(segments, step)
                self.losses.add(guide_metrics, step)
                metrics = {**metrics, **guide_metrics}
                self.probe.append((segments["obs"][:, 0].clone(), segments["task"].clone()))
            self.latest_losses = metrics
        self.step += 1

    def _segment_counts(self) -> np.ndarray:
        """Guide batch split equally over the tasks that are not blocked."""
        open_tasks = ~self.blocked
        share = max(self.cfg.agent.guide.batch_size // int(open_tasks.sum()), 1)
        return np.where(open_tasks, share, 0).astype(np.int64)

    # ------------------------------------------------------------------ evaluate

    def close(self) -> None:
        """Close the envs this trainer built (an async vector env's worker processes end
        here, not whenever garbage collection reaches them)."""
        built, self._built = self._built, []
        for env in built:
            env.close()

    def eval_due(self) -> bool:
        """Whether an evaluation follows the current step."""
        return self.step % self.cfg.eval_every == 0 or self.step == self.cfg.steps

    def evaluate(self) -> dict[str, float]:
        """Evaluate the deterministic control policies and return the metrics row (with the
        guide's statistics since the previous row). Changes nothing the training reads: the
        guide-block gate moves only in ``refresh_block_gate``."""
        start = time.perf_counter()
        cfg = self.cfg
        metaworld = cfg.eval_protocol == "metaworld"
        # paper: the seed the evaluation envs are reset with; metaworld: the seed MetaWorld's
        # benchmark and envs would be built with (the run seed, as the training envs')
        seed = cfg.seed if metaworld else evaluation_seed(cfg)
        metrics = evaluate(
            self.eval_env,
            self.agent,
            cfg.eval_episodes,
            seed,
            self.device,
            protocol=cfg.eval_protocol,
            benchmark=cfg.env.name_or_tasks if metaworld else None,
        )
        if self.use_guide:
            metrics.update(self.guide_stats.pop(self.blocked))
            metrics.update(self.probe_gate())
        metrics.update(self.train_stats.pop())
        metrics.update(self.losses.pop())
        metrics.update(self.perf())
        metrics["perf/eval_seconds"] = time.perf_counter() - start
        return metrics

    def refresh_block_gate(self) -> None:
        """Guide-block gate (docs/algorithm.md, section 3.4): recompute the blocked tasks from
        the temperatures; each env takes its new flag at its next episode start. The loop
        calls this after every evaluation (no-op without the guide)."""
        if not self.use_guide:
            return
        if self.cfg.agent.guide.block_gate:
            self.blocked = self.agent.blocked_tasks().cpu().numpy().astype(bool)
        self.scheduler.set_blocked(self.blocked)

    def probe_gate(self) -> dict[str, float]:
        """Both sides of the policy-filter gate at the first states of the latest guide
        segments (guide-decision states, up to about ``GATE_PROBE_STATES`` per task), measured
        whether or not the gate acts yet: ``guide/gate_v`` (mean V_i(s)),
        ``guide/gate_own`` (mean comparison value of the own task), ``guide/gate_gap``
        (their mean difference), ``guide/gate_own_pass`` (share of states where the own
        task passes) and ``guide/gate_any_pass`` (share where any task does), overall and
        per task (``guide/gate_gap/<task>``, ``guide/gate_own_pass/<task>``)."""
        out = {"guide/filter_active": float(self.filter_active())}
        if self.cfg.agent.guide.filter_gate == "off" or not self.probe:
            return out
        obs = torch.cat([o for o, _ in self.probe])
        task = torch.cat([t for _, t in self.probe])
        report = self.agent.gate_report(obs, task)
        out.update({f"guide/gate_{k}": float(v.float().mean()) for k, v in report.items()})
        for i, name in enumerate(self.task_names):
            rows = task == i
            if bool(rows.any()):
                out[f"guide/gate_gap/{name}"] = float(report["gap"][rows].mean())
                out[f"guide/gate_own_pass/{name}"] = float(report["own_pass"][rows].float().mean())
        return out

    def perf(self) -> dict[str, float]:
        """Training steps per second since the previous call."""
        now, last_step = time.perf_counter(), self.clock[1]
        sps = (self.step - last_step) / max(now - self.clock[0], 1e-9)
        self.clock = (now, self.step)
        return {"perf/sps": sps}

    # ------------------------------------------------------------------ checkpoint

    def state_dict(self) -> dict[str, Any]:
        """Everything but the replay (saved separately by ``ctpg.checkpoint``)."""
        return {
            "step": self.step,
            "agent": self.agent.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "blocked": self.blocked.copy(),
            "rng": rng_state(self.rng),
        }

    def load_state_dict(self, state: dict[str, Any], replay_path: Any) -> None:
        """Restore a checkpoint. Environments start fresh episodes (see ``ctpg.train``)."""
        self.step = int(state["step"])
        self.agent.load_state_dict(state["agent"])
        scheduler = dict(state["scheduler"])
        # Every env starts a fresh episode here: the scheduler counts from an episode start
        # (which also latches the saved pending blocked flags).
        scheduler["episode_step"] = np.zeros(self.num_tasks, dtype=np.int64)
        self.scheduler.load_state_dict(scheduler)
        self.blocked = np.asarray(state["blocked"], dtype=bool)
        restore_rng(state["rng"], self.rng)
        self.replay.load(replay_path)
        self.obs, _ = self.env.reset(seed=derived_seed(self.cfg.seed, self.step))
        self.episode_return[:] = 0.0
        self.episode_success[:] = False
        self.clock = (time.perf_counter(), self.step)
