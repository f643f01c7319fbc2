"""Learning evidence: a base method vs w/ QMP vs w/ CTPG on the same seeds.

Runs the grid (sharing x seed, one preset and base method) with ``ctpg.sweep``'s code: one
``python -m ctpg.train`` process per run (one torch thread and one engine thread each), on
local Ray when it is installed (``pip install ".[sweep]"``) or else ``--workers`` local
processes at a time. Re-running the same command skips finished runs and resumes
unfinished ones from their last checkpoint. Writes into ``--out``:

- ``table.md``: per method, mean +- std over seeds of the final and the
  mean-over-evaluations (sample efficiency) success and return, final success (or return)
  per task, per-seed finals, over runs x tasks the interquartile mean of the final and the
  mean-over-evaluations headline score and the probability of improvement over the base
  method, with 95% stratified bootstrap confidence intervals (``ctpg.stats``), and for
  CTPG runs the guide's diagnostics;
- ``runs.csv``: the same numbers per run;
- ``<metric>.png`` / ``<metric>_per_task.png`` (mean over seeds with a shaded band of one
  standard deviation), ``performance_profile.png`` and ``stats.md`` (``ctpg.plot``), and
  ``guide_rates_*.png`` / ``guide_choices_*.png`` for CTPG runs.

Options after ``--`` go to every ``ctpg.train`` run (for example a narrower network).
Example (the README's quick table):

    python benchmarks/learning.py --preset quick --base mhsac --seeds 0 1 2 3 4 \
        --out benchmarks/results/learning_quick
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import statistics
import sys
from pathlib import Path

from ctpg.cli.train import config_from_argv
from ctpg.config import load_yaml
from ctpg.interrupt import StopForwarding
from ctpg.metrics import read_metrics
from ctpg.plot import guide_choice_shares, plot_methods, task_names
from ctpg.rundir import RunDir
from ctpg.stats import MethodScores, method_scores, stats_table
from ctpg.sweep import (
    Resources,
    cell,
    local_runner,
    ray_runner,
    run_trials,
    summarize_run,
    summary_cells,
    target_steps,
    trials,
)

METHODS = {
    "none": "base",
    "qmp": "w/ QMP",
    "ctpg": "w/ CTPG",
    "ctpg-authors": "w/ CTPG (authors' gate)",
}
"""``--methods``: the sharings, and ``ctpg-authors`` (``ctpg.sweep.SHARING_OPTIONS``: CTPG
with the authors' policy-filter gate and comparison bootstrap)."""
DEFAULT_METHODS = ("none", "qmp", "ctpg")
GUIDE_COLUMNS = (
    ("guide/own_rate", "own-task rate"),
    ("guide/gated_decisions", "gated decisions"),
    ("guide/mask_rate", "mask rate"),
    ("guide/empty_mask_rate", "empty-mask rate"),
    ("guide/gate_own_pass", "own passes gate"),
    ("guide/gate_gap", "Qc(own) - V"),
    ("guide/blocked", "blocked tasks"),
    ("guide/other_policy_share", "steps on another task's policy"),
)


def summarize(run_dir: Path) -> dict[str, float]:
    """The sweep's summary of one run (final and mean-over-evaluations success and return,
    minutes), final per-task values and (CTPG) the guide diagnostics averaged over the last
    half of the run."""
    run = RunDir(run_dir)
    rows = read_metrics(run.metrics)
    if run.config.exists():
        rows = with_other_policy_share(rows, load_yaml(run.config).agent.guide.guide_step)
    out = summarize_run(run_dir)
    for name in task_names(rows):
        out[f"task:{name}:success"] = float(rows[-1][f"eval/{name}/success"])
        out[f"task:{name}:return"] = float(rows[-1][f"eval/{name}/return"])
    tail = rows[len(rows) // 2 :]
    for key, _ in GUIDE_COLUMNS:
        values = [float(r[key]) for r in tail if r.get(key, "") != ""]
        if values:
            out[key] = statistics.fmean(values)
    return out


def with_other_policy_share(rows: list[dict[str, str]], guide_step: int) -> list[dict[str, str]]:
    """``rows`` with ``guide/other_policy_share`` filled in where a run's metrics.csv
    predates the counter: the guide decisions that chose another task, times K
    (``guide_step``) steps each, over the interval's steps x tasks. Exact when K divides
    the episode length (each decision then covers K steps; MetaWorld's 200 and
    HalfCheetah's 1000 steps with K = 10), as tests/train/test_collect.py checks against
    the counter."""
    tasks, previous, out = len(task_names(rows)), 0, []
    for row in rows:
        row = dict(row)
        if row.get("guide/decisions", "") != "":
            step = int(row["step"])
            if row.get("guide/other_policy_share", "") == "":
                other = float(row["guide/decisions"]) * (1 - float(row["guide/own_rate"]))
                row["guide/other_policy_share"] = str(
                    other * guide_step / ((step - previous) * tasks)
                )
            previous = step
        out.append(row)
    return out


def _label(args: argparse.Namespace, sharing: str) -> str:
    return f"{args.base} {METHODS[sharing]}"


def method_stats(args: argparse.Namespace, dirs: dict[str, list[Path]]) -> dict[str, MethodScores]:
    """Per method (keyed by its label), the per-task headline scores of its runs
    (``dirs``: run directories per sharing), compared with the base method."""
    base = _label(args, "none") if "none" in dirs else None
    return {
        _label(args, sharing): method_scores(
            [read_metrics(RunDir(d).metrics) for d in runs],
            args.metric,
            None if sharing == "none" else base,
        )
        for sharing, runs in dirs.items()
    }


def write_table(
    args: argparse.Namespace,
    results: dict[str, list[dict[str, float]]],
    tasks: list[str],
    scores: dict[str, MethodScores],
) -> str:
    """Markdown tables (mean ± std over seeds; ``ctpg.stats.stats_table`` of ``scores``)
    and raw CSV; returns the Markdown."""
    metric, digits = args.metric, 2 if args.metric == "success" else 0
    lines = [
        f"preset `{args.preset}`, base `{args.base}`, {args.steps_label} steps per task, "
        f"evaluation every {args.eval_every} steps with {args.eval_episodes} episodes per "
        f"task, seeds {' '.join(map(str, args.seeds))}"
        + (f", options `{' '.join(args.train_options)}`" if args.train_options else "")
        + " (mean ± std over seeds)",
        "",
        "| method | final success | final return | mean success over evals "
        "| mean return over evals | minutes per run |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for sharing, runs in results.items():
        lines.append(f"| {_label(args, sharing)} | " + " | ".join(summary_cells(runs)) + " |")
    lines += ["", *stats_table(scores, metric)]
    lines += ["", f"Final {metric} per task (mean ± std over seeds):", ""]
    lines += ["| method | " + " | ".join(tasks) + " |", "| --- |" + " --- |" * len(tasks)]
    for sharing, runs in results.items():
        cells = [cell([r[f"task:{t}:{metric}"] for r in runs], digits) for t in tasks]
        lines.append(f"| {_label(args, sharing)} | " + " | ".join(cells) + " |")
    lines += ["", f"Final {metric} per seed (task mean):", ""]
    lines += ["| method | " + " | ".join(f"seed {s}" for s in args.seeds) + " |"]
    lines += ["| --- |" + " --- |" * len(args.seeds)]
    for sharing, runs in results.items():
        cells = [f"{r[metric]:.{digits}f}" for r in runs]
        lines.append(f"| {_label(args, sharing)} | " + " | ".join(cells) + " |")
    for sharing, runs in results.items():
        if sharing.startswith("ctpg"):
            lines += _guide_tables(args, sharing, runs, tasks)
    table = "\n".join(lines) + "\n"
    out = Path(args.out)
    (out / "table.md").write_text(table)
    _write_csv(out / "runs.csv", args.seeds, results)
    return table


def _guide_tables(
    args: argparse.Namespace, sharing: str, runs: list[dict[str, float]], tasks: list[str]
) -> list[str]:
    lines = [
        "",
        f"Guide diagnostics of the {_label(args, sharing)} runs (mean over the evaluations",
        "of the last half of each run; mean ± std over seeds):",
        "",
    ]
    present = [(k, name) for k, name in GUIDE_COLUMNS if all(k in r for r in runs)]
    lines += ["| " + " | ".join(name for _, name in present) + " |"]
    lines += ["|" + " --- |" * len(present)]
    digits = {"guide/gated_decisions": 0, "guide/gate_gap": 1, "guide/blocked": 1}
    cells = [cell([r[k] for r in runs], digits.get(k, 2)) for k, _ in present]
    lines += ["| " + " | ".join(cells) + " |"]
    ctpg_dirs = [Path(args.out) / "runs" / f"{args.base}-{sharing}-s{s}" for s in args.seeds]
    shares = guide_choice_shares([read_metrics(RunDir(d).metrics) for d in ctpg_dirs], tasks)
    short = [t.removesuffix("-v3") for t in tasks]
    lines += [
        "",
        "Which task's policy each task followed (share of guide decisions, last half of",
        "training, mean over seeds; rows: task, columns: behaviour task):",
        "",
    ]
    lines += ["| task | " + " | ".join(short) + " |", "| --- |" + " --- |" * len(tasks)]
    for name, row in zip(short, shares, strict=True):
        lines.append(f"| {name} | " + " | ".join(f"{v:.2f}" for v in row) + " |")
    return lines


def _write_csv(path: Path, seeds: list[int], results: dict[str, list[dict[str, float]]]) -> None:
    keys = sorted({k for runs in results.values() for r in runs for k in r})
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["sharing", "seed", *keys])
        for sharing, runs in results.items():
            for seed, r in zip(seeds, runs, strict=True):
                writer.writerow([sharing, seed, *(r.get(k, "") for k in keys)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="quick")
    p.add_argument("--base", default="mhsac")
    p.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=list(METHODS))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=0, help="0 keeps the preset's")
    p.add_argument("--eval-every", type=int, default=0, help="0 keeps the preset's")
    p.add_argument("--eval-episodes", type=int, default=0, help="0 keeps the preset's")
    p.add_argument(
        "--metric",
        choices=["success", "return"],
        default=None,
        help="headline metric (default: return for HalfCheetah, else success)",
    )
    p.add_argument("--device", default="cpu")
    p.add_argument("--torch-threads", type=int, default=1)
    p.add_argument(
        "--runner",
        choices=["ray", "local"],
        help="ray (default when installed: local Ray, one core per run) or local processes",
    )
    p.add_argument("--workers", type=int, default=2, help="runs in parallel (local runner)")
    p.add_argument("--out", default="benchmarks/results/learning")
    args, extra = p.parse_known_args()
    args.train_options = [a for a in extra if a != "--"]
    args.metric = args.metric or ("return" if args.preset.startswith("halfcheetah") else "success")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    grid = trials([args.preset], [args.base], args.methods, args.seeds)
    run_dirs = {t: Path(args.out) / "runs" / f"{t.base}-{t.sharing}-s{t.seed}" for t in grid}
    options = [*args.train_options, "--no-plots", "--device", args.device]
    for flag, value in (("--steps", args.steps), ("--eval-every", args.eval_every)):
        options += [flag, str(value)] if value else []
    if args.eval_episodes:
        options += ["--eval-episodes", str(args.eval_episodes)]
    resources = Resources(cpus=args.torch_threads)
    options += resources.options(options)
    use_ray = args.runner == "ray" or (
        args.runner is None and importlib.util.find_spec("ray") is not None
    )
    targets = target_steps(grid, options, run_dirs, config_from_argv)
    with StopForwarding() as stop:  # Ctrl-C: the runs checkpoint; the same command resumes
        runner = ray_runner(resources, stop=stop) if use_ray else local_runner(args.workers)
        status = run_trials(grid, options, run_dirs, runner, targets, stop=stop)
    if stop.signum is not None:
        print(f"stopped by {stop.name}; run the same command again to resume", file=sys.stderr)
        raise SystemExit(stop.exit_code)
    failed = [t.name for t, s in status.items() if s == "failed"]
    if failed:
        raise SystemExit(f"failed runs: {', '.join(failed)} (see train.log in each run directory)")
    jobs = [(t.sharing, t.seed) for t in grid]
    dirs = [run_dirs[t] for t in grid]
    run_cfg = load_yaml(RunDir(dirs[0]).config)
    args.eval_every, args.eval_episodes = run_cfg.eval_every, run_cfg.eval_episodes
    args.steps_label = run_cfg.steps
    results: dict[str, list[dict[str, float]]] = {sharing: [] for sharing in args.methods}
    by_sharing: dict[str, list[Path]] = {sharing: [] for sharing in args.methods}
    for (sharing, _), run_dir in zip(jobs, dirs, strict=True):
        results[sharing].append(summarize(run_dir))
        by_sharing[sharing].append(run_dir)
    groups: dict[str, list[str | Path]] = {_label(args, s): [*d] for s, d in by_sharing.items()}
    tasks = task_names(read_metrics(RunDir(dirs[0]).metrics))
    scores = method_stats(args, by_sharing)
    print(write_table(args, results, tasks, scores))
    bases = {label: s.base for label, s in scores.items()}
    for path in plot_methods(groups, args.out, args.metric, bases):
        print(path)


if __name__ == "__main__":
    main()
