"""Train a multi-task agent: ``python -m ctpg.train --preset mt10 --base mhsac --sharing ctpg``.

Reads top to bottom: resolve the config, build the parts, loop (collect -> store -> update
-> evaluate -> checkpoint). ``train(cfg)`` is the same loop for use from Python.

Resuming (``resume=True`` / ``--resume``) restores the networks, optimizers, temperatures,
replay buffer, guide scheduler (blocked tasks), the torch / numpy / Python RNG states and the
step counter saved after the last evaluation, truncates metrics.csv to that step and goes on
from there. It continues as if never stopped in everything but the environments: their
physics states are not saved, so every environment starts a fresh episode at the resume
step (reset with a seed derived from the run seed and the step), and the scheduler treats
that as an episode end. Evaluations are unaffected (they always reset their own envs with
the same seed), so a resumed run writes the same kind of rows and its step count and
metrics continue where the checkpoint left them.

Stopping: the process that trains holds the run directory's lock (``RunDir.lock``), so a
second trainer in the same directory is refused with a line naming the holder. A SIGINT
(Ctrl-C) or SIGTERM lets the current step finish, writes a checkpoint at that step and
raises ``Interrupted``, which ``python -m ctpg.train`` turns into one line (the step and the
command that resumes) and the exit status 130 / 143. A second Ctrl-C aborts at once; the
run then resumes from its last checkpoint.
"""

from __future__ import annotations

import dataclasses
import sys
import types
from pathlib import Path
from typing import Any

import torch

from ctpg.checkpoint import load_latest, save_checkpoint
from ctpg.config import GYMNASIUM, OBJECT, TrainConfig, dump_yaml, load_fingerprint
from ctpg.envs.adapter import EnvError, adapt_vector_env, env_fingerprint, fingerprint_mismatch
from ctpg.envs.gym_ids import package_of
from ctpg.interrupt import StopSignals, signal_name, stop_line
from ctpg.metrics import MetricsLogger
from ctpg.progress import Progress
from ctpg.rundir import run_dir_of
from ctpg.trainer import Trainer
from ctpg.video import TrainingVideo


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else CPU; ``cuda`` without CUDA is an error."""
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("device: 'cuda' was requested but torch.cuda.is_available() is False")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(name)


class Interrupted(Exception):
    """Training stopped on a signal at a step boundary; ``saved``: a checkpoint of ``step``
    is on disk (not so with checkpoints off, or when stopped before the first step)."""

    def __init__(self, run_dir: Path, step: int, signum: int, saved: bool) -> None:
        self.run_dir = run_dir
        self.step = step
        self.signum = signum
        self.saved = saved
        super().__init__(self.line())

    def line(self, command: str = "") -> str:
        """The line to print (``ctpg.interrupt.stop_line``), with the resume ``command``."""
        return stop_line(signal_name(self.signum), self.step, self.saved, command)

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process the signal ended."""
        return 128 + self.signum


def start_run(cfg: TrainConfig, resume: bool, fingerprint: dict[str, Any] | None = None) -> Path:
    """Check the run directory against ``resume`` (and, resuming, the env against the run's
    recorded fingerprint) and write config.yaml."""
    run = run_dir_of(cfg)
    run.check_start(resume)
    if resume and fingerprint is not None and run.config.is_file():
        saved = load_fingerprint(run.config)
        problem = None if saved is None else fingerprint_mismatch(saved, fingerprint)
        if problem is not None:
            raise EnvError(f"resume: {problem}; resume with the env the run started with")
    run.path.mkdir(parents=True, exist_ok=True)
    dump_yaml(cfg, run.config, fingerprint)
    return run.path


def given_envs(cfg: TrainConfig, env: Any, eval_env: Any) -> tuple[TrainConfig, Any, Any]:
    """The config and ctpg envs of ``train(cfg, env=...)``: a run on a given env records
    ``env.benchmark`` "object" unless its config names gymnasium ids (then the evaluation env
    may be built from them); without ids ``eval_env`` is required."""
    if env is None:
        if eval_env is not None:
            raise ValueError("eval_env: given without env; pass both or neither")
        return cfg, None, None
    key = cfg.env.success_key
    env = adapt_vector_env(env, success_key=key)
    if cfg.env.benchmark != GYMNASIUM:
        cfg = dataclasses.replace(
            cfg, env=dataclasses.replace(cfg.env, benchmark=OBJECT, tasks=(), ids=(), kwargs="")
        )
        if eval_env is None:
            raise ValueError(
                "eval_env: required with env when the config names no gymnasium ids "
                "(ctpg cannot build a second instance of a Python object); pass "
                "train(cfg, env=..., eval_env=...)"
            )
    if eval_env is not None:
        eval_env = adapt_vector_env(eval_env, success_key=key)
        if list(eval_env.task_names) != list(env.task_names):
            raise ValueError(
                f"eval_env: its tasks {eval_env.task_names} are not env's {env.task_names}"
            )
    return cfg, env, eval_env


def train(
    cfg: TrainConfig,
    resume: bool = False,
    progress: bool | None = None,
    env: Any = None,
    eval_env: Any = None,
) -> Path:
    """Run (or resume) training as configured; return the run directory.

    ``env``: a ``gymnasium.vector.VectorEnv`` (one sub-env per task) to train on instead of
    the envs ``cfg.env`` names, adapted with ``ctpg.envs.adapt_vector_env``; ``eval_env``,
    its twin for the evaluations, is required unless ``cfg.env`` names gymnasium ids. A
    resumed run is checked against the env fingerprint its config.yaml records.

    Raises ``RunInUseError`` when another process trains in the run directory, and
    ``Interrupted`` when a SIGINT or SIGTERM stopped the run (after its checkpoint)."""
    cfg, env, eval_env = given_envs(cfg, env, eval_env)
    device = resolve_device(cfg.device)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = cfg.tf32
        torch.backends.cudnn.allow_tf32 = cfg.tf32
    if cfg.torch_threads:
        torch.set_num_threads(cfg.torch_threads)
    run = run_dir_of(cfg)
    run.check_start(resume)  # before the lock creates the directory; again under it
    with run.lock():
        with StopSignals() as stop:
            step = _train_loop(cfg, device, resume, progress, stop, env, eval_env)
            if stop.signum is not None:
                raise Interrupted(run.path, step, stop.signum, run.checkpoint(step).is_file())
    return run.path


def _train_loop(
    cfg: TrainConfig,
    device: torch.device,
    resume: bool,
    progress: bool | None,
    stop: StopSignals,
    env: Any,
    eval_env: Any,
) -> int:
    """Build the run, then train until ``cfg.steps`` or a stop request; return the step
    reached. A stop writes a checkpoint at the step reached (when checkpoints are on)."""
    trainer = Trainer(cfg, device, env, eval_env)
    packages = tuple(sorted({package_of(i) for i in cfg.env.ids}))
    run_dir = start_run(cfg, resume, env_fingerprint(trainer.env, packages))
    logger = MetricsLogger(run_dir)
    if resume:
        load_latest(run_dir, trainer.load_state_dict)
    logger.truncate(trainer.step)  # rows written after the checkpoint (or before any)
    saved = trainer.step
    videos = None
    try:
        videos = _training_video(cfg, run_dir)
        with Progress(cfg.steps, trainer.step, trainer.task_names, progress) as display:
            while trainer.step < cfg.steps and not stop.requested:
                trainer.train_step()
                if trainer.step % cfg.log_every == 0:
                    logger.scalars(trainer.step, trainer.losses.latest(trainer.latest_losses))
                if trainer.eval_due():
                    trainer.check_finite()
                    row = trainer.evaluate()
                    trainer.refresh_block_gate()
                    logger.write_row(trainer.step, row)
                    display.evaluated(trainer.step, row)
                    if cfg.checkpoint:
                        save_checkpoint(run_dir, trainer.state_dict(), trainer.replay, trainer.step)
                        saved = trainer.step
                if videos is not None and videos.due(trainer.step):
                    videos.record(trainer.agent, trainer.device, trainer.step, logger.writer)
                display.update(trainer.step)
        if stop.requested and cfg.checkpoint and saved != trainer.step:
            save_checkpoint(run_dir, trainer.state_dict(), trainer.replay, trainer.step)
    finally:
        logger.close()
        if videos is not None:
            videos.close()
        trainer.close()
    return trainer.step


def _training_video(cfg: TrainConfig, run_dir: Path) -> TrainingVideo | None:
    """The recorder of ``cfg.video_every`` (``ctpg.video.TrainingVideo``), or None."""
    return TrainingVideo(cfg, run_dir) if cfg.video_every else None


class _CallableModule(types.ModuleType):
    """``ctpg.train`` names both this module and ``train``: calling the module trains."""

    def __call__(self, *args: Any, **kwargs: Any) -> Path:
        return train(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
