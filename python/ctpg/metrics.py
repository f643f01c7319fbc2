"""Run metrics: the running means kept between evaluations, ``metrics.csv`` (one row per
evaluation) and TensorBoard events.

``Averages`` (host scalars), ``DeviceAverages`` (the update's metrics, kept on the training
device) and ``GuideStats`` (the guide's decisions) accumulate between two evaluations;
``MetricsLogger`` writes the rows.

Metric names are namespaced (``eval/success``, ``eval/<task>/return``, ``loss/critic``,
``guide/chosen/<task>``, ``perf/sps``). The CSV header is the union of every key written so
far; when a later row brings new keys (for example losses that appear after warm-up) the
file is rewritten with the wider header, older rows leaving the new columns empty.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ctpg.algo.updates import StackedMetrics, stack_metrics
from ctpg.rundir import RunDir

STEP = "step"


class Averages:
    """Running means of named scalars between two reads."""

    def __init__(self) -> None:
        self.sums: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def add(self, metrics: dict[str, float]) -> None:
        for key, value in metrics.items():
            self.sums[key] = self.sums.get(key, 0.0) + float(value)
            self.counts[key] = self.counts.get(key, 0) + 1

    def pop(self) -> dict[str, float]:
        means = {key: total / self.counts[key] for key, total in self.sums.items()}
        self.sums, self.counts = {}, {}
        return means


class DeviceAverages:
    """Running means of the update's metrics kept on the training device: adding them
    never waits for the device; ``pop`` and ``check`` read them (one sync each), at
    evaluation time. Also remembers the first step at which a metric was non-finite."""

    def __init__(self, device: torch.device) -> None:
        self.sums: dict[tuple[str, ...], torch.Tensor] = {}  # per set of keys
        self.counts: dict[tuple[str, ...], int] = {}
        self.bad: dict[tuple[str, ...], torch.Tensor] = {}  # which keys were ever non-finite
        self.first_bad_step = torch.full((), -1, dtype=torch.int64, device=device)

    def add(self, metrics: dict[str, torch.Tensor], step: int) -> None:
        keys = tuple(metrics)
        # sums as Python's floats
        values = metrics.stacked if isinstance(metrics, StackedMetrics) else stack_metrics(metrics)
        finite = torch.isfinite(values)
        self.sums[keys] = self.sums.get(keys, 0) + values
        self.counts[keys] = self.counts.get(keys, 0) + 1
        self.bad[keys] = self.bad.get(keys, torch.zeros_like(finite)) | ~finite
        first = (self.first_bad_step < 0) & ~finite.all()
        self.first_bad_step = torch.where(first, step, self.first_bad_step)

    def latest(self, metrics: dict[str, torch.Tensor]) -> dict[str, float]:
        """``metrics`` read to the host (for the occasional TensorBoard row)."""
        if not metrics:
            return {}
        values = torch.stack(list(metrics.values())).tolist()
        return dict(zip(metrics, values, strict=True))

    def check(self) -> None:
        """``FloatingPointError`` naming the metrics that were non-finite, and the first
        step at which one was."""
        step = int(self.first_bad_step)
        if step < 0:
            return
        names = [
            k
            for keys, bad in self.bad.items()
            for k, b in zip(keys, bad.tolist(), strict=True)
            if b
        ]
        raise FloatingPointError(
            f"training: non-finite {', '.join(names)} at step {step}; the run stops (its last "
            "checkpoint is intact)"
        )

    def pop(self) -> dict[str, float]:
        """Means since the previous pop."""
        means: dict[str, float] = {}
        for keys, total in self.sums.items():
            mean = (total / self.counts[keys]).tolist()
            means.update(zip(keys, mean, strict=True))
        self.sums, self.counts = {}, {}
        return means


class GuideStats:
    """Guide decisions since the last evaluation: which behaviour task each task chose
    (``guide/choice/<task>/<behaviour>``, shares per task), how often each behaviour task
    was chosen overall, the own-task rate, the share of environment steps each task spent
    on another task's policy (``guide/other_policy_share``, overall and per task: the
    share of its transitions the guide sent elsewhere), and while the policy-filter gate
    acts, its mask rate, empty-mask rate and own-task pass rate."""

    def __init__(self, task_names: list[str]) -> None:
        self.names = task_names
        n = len(task_names)
        self.pairs = np.zeros((n, n), dtype=np.int64)
        self.masked = 0.0
        self.gated = 0
        self.empty = 0
        self.own_pass = 0
        self.steps = 0
        self.other_steps = np.zeros(n, dtype=np.int64)

    def record_step(self, other: np.ndarray) -> None:
        """One environment step of every task; ``other`` [tasks]: whether the task acts
        with another task's policy in it."""
        self.steps += 1
        self.other_steps += np.asarray(other, dtype=bool)

    def record(self, env_ids: np.ndarray, chosen: np.ndarray, info: dict[str, Any]) -> None:
        np.add.at(self.pairs, (env_ids, chosen), 1)
        own_pass = info.get("own_pass")
        if own_pass is None:
            return
        mask_np = info["mask"].detach().cpu().numpy().astype(bool)
        self.masked += float((~mask_np).sum()) / mask_np.shape[-1]
        self.gated += mask_np.shape[0]
        self.empty += int(info["empty"].sum().item())
        self.own_pass += int(own_pass.sum().item())

    def pop(self, blocked: np.ndarray) -> dict[str, float]:
        chosen = self.pairs.sum(0)
        total = max(int(chosen.sum()), 1)
        out = {
            f"guide/chosen/{n}": float(c) / total for n, c in zip(self.names, chosen, strict=True)
        }
        for i, name in enumerate(self.names):
            row = max(int(self.pairs[i].sum()), 1)
            for j, other in enumerate(self.names):
                out[f"guide/choice/{name}/{other}"] = float(self.pairs[i, j]) / row
        out["guide/decisions"] = float(self.pairs.sum())
        out["guide/own_rate"] = float(np.trace(self.pairs)) / total
        gated = max(self.gated, 1)
        out["guide/gated_decisions"] = float(self.gated)
        out["guide/mask_rate"] = self.masked / gated
        out["guide/empty_mask_rate"] = self.empty / gated
        out["guide/own_pass_rate"] = self.own_pass / gated
        steps = max(self.steps, 1)
        out["guide/other_policy_share"] = float(self.other_steps.sum()) / (steps * len(self.names))
        for name, count in zip(self.names, self.other_steps, strict=True):
            out[f"guide/other_policy_share/{name}"] = float(count) / steps
        out["guide/blocked"] = float(blocked.sum())
        out.update(
            {f"guide/blocked/{n}": float(b) for n, b in zip(self.names, blocked, strict=True)}
        )
        self.pairs[:] = 0
        self.steps, self.other_steps[:] = 0, 0
        self.masked, self.gated, self.empty, self.own_pass = 0.0, 0, 0, 0
        return out


def read_metrics(path: str | Path) -> list[dict[str, str]]:
    """Rows of a metrics.csv as dicts of strings (empty list when the file is absent)."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def _write_rows(path: Path, header: list[str], rows: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, restval="")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def _drop_partial_row(path: Path) -> None:
    """Cut a last row that a killed process left without its line end."""
    if path.exists():
        data = path.read_bytes()
        if data and not data.endswith(b"\n"):
            path.write_bytes(data[: data.rfind(b"\n") + 1])


class MetricsLogger:
    """Appends evaluation rows to metrics.csv and scalars to TensorBoard."""

    def __init__(self, run_dir: str | Path, tensorboard: bool = True) -> None:
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        self.csv_path = RunDir(run_dir).metrics
        _drop_partial_row(self.csv_path)
        self.rows: list[dict[str, Any]] = read_metrics(self.csv_path)  # type: ignore[assignment]
        self.header: list[str] = list(self.rows[0].keys()) if self.rows else [STEP]
        self.writer: Any = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(RunDir(run_dir).tensorboard))

    def truncate(self, step: int) -> None:
        """Drop rows after ``step`` (a resumed run rewrites what followed its checkpoint)."""
        kept = [row for row in self.rows if int(row[STEP]) <= step]
        if len(kept) != len(self.rows):
            self.rows = kept
            _write_rows(self.csv_path, self.header, self.rows)

    def write_row(self, step: int, metrics: dict[str, float]) -> None:
        """One evaluation row in metrics.csv (and the same scalars in TensorBoard)."""
        row: dict[str, Any] = {STEP: step, **metrics}
        new_keys = [key for key in row if key not in self.header]
        self.rows.append(row)
        if new_keys or not self.csv_path.exists():
            self.header += new_keys
            _write_rows(self.csv_path, self.header, self.rows)
        else:
            with self.csv_path.open("a", newline="") as f:
                csv.DictWriter(f, fieldnames=self.header, restval="").writerow(row)
        self.scalars(step, metrics)

    def scalars(self, step: int, metrics: dict[str, float]) -> None:
        """Scalars to TensorBoard only (losses and throughput between evaluations)."""
        if self.writer is None:
            return
        for key, value in metrics.items():
            self.writer.add_scalar(key, value, step)

    def close(self) -> None:
        """Flush and close the TensorBoard writer."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
