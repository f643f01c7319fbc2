"""Placeholder of the run directory's owner (replaced by the full module)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ctpg.config import TrainConfig


@dataclass(frozen=True)
class RunDir:
    path: Path

    def __init__(self, path: str | Path) -> None:
        object.__setattr__(self, "path", Path(path))

    @property
    def config(self) -> Path:
        return self.path / "config.yaml"

    @property
    def videos(self) -> Path:
        return self.path / "videos"

    @property
    def plots(self) -> Path:
        return self.path / "plots"

    def has_checkpoint(self) -> bool:
        folder = self.path / "checkpoints"
        return folder.is_dir() and any(p.name.startswith("checkpoint-") for p in folder.iterdir())

    def check_start(self, resume: bool) -> None:
        if resume and not self.has_checkpoint():
            raise ValueError(f"--resume: no checkpoint in {self.path}")
        if not resume and self.has_checkpoint():
            raise ValueError(f"--run-dir: {self.path} already holds a run; add --resume")


def default_run_dir(name: str, base: str, sharing: str, seed: int) -> RunDir:
    return RunDir(Path("runs") / f"{name}-{base}-{sharing}-s{seed}")


def run_dir_of(cfg: TrainConfig) -> RunDir:
    if cfg.run_dir:
        return RunDir(cfg.run_dir)
    return default_run_dir(cfg.name, cfg.agent.net.base, cfg.agent.sharing, cfg.seed)
