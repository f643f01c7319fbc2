"""Run metrics: ``metrics.csv`` (one row per evaluation) and TensorBoard events.

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

STEP = "step"


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
        self.csv_path = Path(run_dir) / "metrics.csv"
        _drop_partial_row(self.csv_path)
        self.rows: list[dict[str, Any]] = read_metrics(self.csv_path)  # type: ignore[assignment]
        self.header: list[str] = list(self.rows[0].keys()) if self.rows else [STEP]
        self.writer: Any = None
        if tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(Path(run_dir) / "tensorboard"))

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
