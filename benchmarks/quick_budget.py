"""How many runs meet the quick preset's demonstration criterion at each evaluation.

The criterion (a run "learns visibly"): the success of ``--task`` is at least ``--task-min``
and the task-mean success at least ``--mean-min``. For every folder given (each holding
``runs/<run>/metrics.csv``, the layout ``benchmarks/learning.py`` writes), prints one
Markdown row per folder: the runs meeting the criterion at each evaluation step, out of the
runs that reached it. The quick preset's budget was chosen with it
(docs/results.md, "Choosing the quick budget"):

    python benchmarks/quick_budget.py benchmarks/results/quick_budget/* \
        benchmarks/results/learning_quick --sharing ctpg
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ctpg.metrics import read_metrics


def meets(row: dict[str, str], task: str, task_min: float, mean_min: float) -> bool:
    """Whether one evaluation row meets the criterion."""
    return float(row[f"eval/{task}/success"]) >= task_min and float(row["eval/success"]) >= mean_min


def counts(
    folder: Path, sharing: str, task: str, task_min: float, mean_min: float
) -> dict[int, tuple[int, int]]:
    """Per evaluation step: (runs meeting the criterion, runs evaluated there)."""
    out: dict[int, tuple[int, int]] = {}
    for metrics in sorted(folder.glob(f"runs/*-{sharing}-s*/metrics.csv")):
        for row in read_metrics(metrics):
            if row.get("eval/success", "") == "":
                continue
            step = int(float(row["step"]))
            hits, total = out.get(step, (0, 0))
            out[step] = (hits + meets(row, task, task_min, mean_min), total + 1)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folders", nargs="+", type=Path)
    p.add_argument("--sharing", default="ctpg", help="which runs of each folder (default ctpg)")
    p.add_argument("--task", default="reach-v3")
    p.add_argument("--task-min", type=float, default=0.8)
    p.add_argument("--mean-min", type=float, default=0.5)
    p.add_argument("--from-step", type=int, default=20_000, help="first evaluation shown")
    args = p.parse_args()
    tables = {
        f: counts(f, args.sharing, args.task, args.task_min, args.mean_min) for f in args.folders
    }
    steps = sorted({s for t in tables.values() for s in t if s >= args.from_step})
    print(
        "| runs | "
        + " | ".join(f"{s // 1000:g}k" if s % 1000 == 0 else f"{s / 1000:g}k" for s in steps)
        + " |"
    )
    print("| --- |" + " --- |" * len(steps))
    for folder, table in tables.items():
        cells = [f"{table[s][0]}/{table[s][1]}" if s in table else "-" for s in steps]
        print(f"| {folder.name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
