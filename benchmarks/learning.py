"""Learning evidence: a base method vs w/ QMP vs w/ CTPG on the same seeds.

Runs ``ctpg.train`` for every (sharing, seed) pair with one preset and base method, each in
its own process (``--workers`` at a time), and writes a Markdown table of the final and
mean-over-evaluations (sample-efficiency) success and return per method, plus the raw
per-run numbers as CSV. Example (the README's table):

    python benchmarks/learning.py --preset quick --base mhsac --steps 20000 --seeds 0 1 2 \
        --eval-episodes 8 --env-backend native --out benchmarks/results/learning_quick
"""

from __future__ import annotations

import argparse
import csv
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ctpg.config import load_yaml

METHODS = {"none": "base", "qmp": "w/ QMP", "ctpg": "w/ CTPG"}


def run_one(args: argparse.Namespace, sharing: str, seed: int) -> Path:
    """Train (or finish) one run in a subprocess; return its run directory."""
    run_dir = Path(args.out) / "runs" / f"{args.base}-{sharing}-s{seed}"
    if (run_dir / "metrics.csv").exists() and _finished(run_dir, args.steps):
        return run_dir
    common = [
        "--steps",
        str(args.steps),
        "--run-dir",
        str(run_dir),
        "--device",
        args.device,
        "--torch-threads",
        str(args.torch_threads),
        "--no-progress",
    ]
    if (run_dir / "checkpoints" / "checkpoint.pt").exists():
        options = ["--resume"]
    else:
        options = [
            "--preset",
            args.preset,
            "--base",
            args.base,
            "--sharing",
            sharing,
            "--seed",
            str(seed),
        ]
        if args.env_backend:
            options += ["--env-backend", args.env_backend]
        if args.eval_every:
            options += ["--eval-every", str(args.eval_every)]
        if args.eval_episodes:
            options += ["--eval-episodes", str(args.eval_episodes)]
    start = time.perf_counter()
    command = [sys.executable, "-m", "ctpg.train", *options, *common]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    print(f"{sharing} seed {seed}: {time.perf_counter() - start:.0f} s", flush=True)
    return run_dir


def _rows(run_dir: Path) -> list[dict[str, str]]:
    with (run_dir / "metrics.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def _finished(run_dir: Path, steps: int) -> bool:
    rows = _rows(run_dir)
    return bool(rows) and int(rows[-1]["step"]) >= steps


def summarize(run_dir: Path) -> dict[str, float]:
    """Final and mean-over-evaluations success and return of one run."""
    rows = _rows(run_dir)
    success = [float(r["eval/success"]) for r in rows]
    returns = [float(r["eval/return"]) for r in rows]
    per_task = {
        key.split("/")[1]: float(value)
        for key, value in rows[-1].items()
        if key.startswith("eval/") and key.endswith("/success") and key.count("/") == 2
    }
    return {
        "success": success[-1],
        "return": returns[-1],
        "success_auc": statistics.fmean(success),
        "return_auc": statistics.fmean(returns),
        **{f"task:{name}": value for name, value in per_task.items()},
    }


def _cell(values: list[float], digits: int) -> str:
    mean = statistics.fmean(values)
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {spread:.{digits}f}"


def _per_task_table(
    args: argparse.Namespace, results: dict[str, list[dict[str, float]]]
) -> list[str]:
    runs = [r for rs in results.values() for r in rs]
    if not runs:
        return []
    tasks = [key for key in runs[0] if key.startswith("task:")]
    lines = [
        "",
        "Final success per task (mean over seeds):",
        "",
        "| method | " + " | ".join(t.removeprefix("task:") for t in tasks) + " |",
        "| --- |" + " --- |" * len(tasks),
    ]
    for sharing, rs in results.items():
        if rs:
            cells = [f"{statistics.fmean(r[t] for r in rs):.2f}" for t in tasks]
            lines.append(f"| {args.base} {METHODS[sharing]} | " + " | ".join(cells) + " |")
    return lines


def write_table(args: argparse.Namespace, results: dict[str, list[dict[str, float]]]) -> str:
    """Markdown table (mean ± std over seeds) and raw CSV; returns the table."""
    lines = [
        f"preset `{args.preset}`, base `{args.base}`, {args.steps} steps per task, "
        f"evaluation every {args.eval_every} steps with "
        f"{args.eval_episodes} episodes per task, "
        f"seeds {' '.join(map(str, args.seeds))} (mean ± std over seeds)",
        "",
        "| method | final success | final return | mean success over evals "
        "| mean return over evals |",
        "| --- | --- | --- | --- | --- |",
    ]
    for sharing, runs in results.items():
        if not runs:
            continue
        cells = [
            _cell([r["success"] for r in runs], 2),
            _cell([r["return"] for r in runs], 0),
            _cell([r["success_auc"] for r in runs], 2),
            _cell([r["return_auc"] for r in runs], 0),
        ]
        lines.append(f"| {args.base} {METHODS[sharing]} | " + " | ".join(cells) + " |")
    lines += _per_task_table(args, results)
    table = "\n".join(lines) + "\n"
    out = Path(args.out)
    (out / "table.md").write_text(table)
    with (out / "runs.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sharing", "seed", "success", "return", "success_auc", "return_auc"])
        for sharing, runs in results.items():
            for seed, r in zip(args.seeds, runs, strict=False):
                writer.writerow(
                    [sharing, seed, r["success"], r["return"], r["success_auc"], r["return_auc"]]
                )
    return table


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="quick")
    p.add_argument("--base", default="mhsac")
    p.add_argument("--methods", nargs="+", default=list(METHODS), choices=list(METHODS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=15_000)
    p.add_argument("--eval-every", type=int, default=0, help="0 keeps the preset's")
    p.add_argument("--eval-episodes", type=int, default=0, help="0 keeps the preset's")
    p.add_argument("--env-backend", choices=["native", "python"], default=None)
    p.add_argument("--device", default="cpu")
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument("--workers", type=int, default=2, help="runs in parallel")
    p.add_argument("--out", default="benchmarks/results/learning")
    args = p.parse_args()
    Path(args.out).mkdir(parents=True, exist_ok=True)
    jobs = [(sharing, seed) for seed in args.seeds for sharing in args.methods]
    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        dirs = list(pool.map(lambda job: run_one(args, *job), jobs))
    run_cfg = load_yaml(dirs[0] / "config.yaml")
    args.eval_every, args.eval_episodes = run_cfg.eval_every, run_cfg.eval_episodes
    results: dict[str, list[dict[str, float]]] = {sharing: [] for sharing in args.methods}
    for (sharing, _), run_dir in zip(jobs, dirs, strict=True):
        results[sharing].append(summarize(run_dir))
    print(write_table(args, results))


if __name__ == "__main__":
    main()
