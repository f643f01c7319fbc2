"""``ctpg sweep``: a grid of training runs (presets x bases x sharings x seeds) as Ray tasks.

Each trial is one ``python -m ctpg.train`` process in its own run directory
``OUT/<preset>-<base>-<sharing>-s<seed>`` (the layout of ``ctpg train``), with its output
in ``train.log`` there. Ray only places the processes: local Ray by default (no setup),
``--address`` joins a cluster, ``--cpus-per-run`` / ``--gpus-per-run`` (fractions allowed)
size each trial. A trial that fails is reported with its log and the others go on.
Re-running the same command skips finished trials and resumes unfinished ones from their
last checkpoint. Ctrl-C (SIGINT) or SIGTERM is passed on to every running trial, which
checkpoints and exits; trials not started yet do not start, and the sweep exits with 130 /
143 after its summary (run the same command again to go on). At the end
``OUT/summary.csv`` has one row per trial and ``OUT/summary.md`` the mean +- std over
seeds per method, then per method over its runs x tasks the interquartile mean of the final
and the mean-over-evaluations score and the probability of improvement over the method
without sharing, with 95% stratified bootstrap confidence intervals (``ctpg.stats``).

The grid, the runs and the summaries are plain functions (``trials``, ``run_trials``,
``summarize_run``, ``write_summary``) that ``benchmarks/learning.py`` also uses.
"""

from __future__ import annotations

import csv
import itertools
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctpg.config import TrainConfig
from ctpg.interrupt import StopSignals, ray_stop, run_forwarding, sigint_ignored, signal_name
from ctpg.metrics import read_metrics
from ctpg.rundir import LOG_FILE, RunDir
from ctpg.stats import MethodScores, method_scores, stats_table

METHOD_LABELS = {
    "none": "",
    "qmp": " w/ QMP",
    "ctpg": " w/ CTPG",
    "ctpg-authors": " w/ CTPG (authors' gate)",
}
"""The grid's sharing column: a sharing (``SHARINGS``) or a named configuration of one
(``SHARING_OPTIONS``), and the label its method gets."""
SHARING_OPTIONS = {
    "ctpg-authors": (
        "--sharing",
        "ctpg",
        "--filter-gate",
        "reference",
        "--compare-bootstrap",
        "guide",
    ),
}
"""The ``ctpg train`` options of each named configuration: ``ctpg-authors`` is CTPG with the
policy-filter gate and the comparison bootstrap of the authors' code."""


@dataclass(frozen=True)
class Trial:
    """One cell of the grid."""

    preset: str
    base: str
    sharing: str
    """A key of ``METHOD_LABELS``."""
    seed: int

    @property
    def name(self) -> str:
        return f"{self.preset}-{self.base}-{self.sharing}-s{self.seed}"

    @property
    def method(self) -> str:
        """What seeds are averaged over: preset, base and sharing."""
        return f"{self.preset} {self.base}{METHOD_LABELS[self.sharing]}"

    @property
    def base_method(self) -> str | None:
        """The method without sharing that this trial's method is compared with (None for
        that method itself)."""
        if self.sharing == "none":
            return None
        return Trial(self.preset, self.base, "none", self.seed).method

    @property
    def metric(self) -> str:
        """The headline score: return for HalfCheetah presets, else success."""
        return "return" if self.preset.startswith("halfcheetah") else "success"

    def options(self) -> list[str]:
        return [
            *("--preset", self.preset, "--base", self.base),
            *SHARING_OPTIONS.get(self.sharing, ("--sharing", self.sharing)),
            *("--seed", str(self.seed)),
        ]


def trials(
    presets: Sequence[str], bases: Sequence[str], sharings: Sequence[str], seeds: Sequence[int]
) -> list[Trial]:
    """Every combination, seeds outermost, so that all methods of a seed start together."""
    grid = itertools.product(seeds, presets, bases, sharings)
    return [Trial(preset, base, sharing, seed) for seed, preset, base, sharing in grid]


Configure = Callable[[list[str]], TrainConfig]
"""Resolves ``ctpg train`` options into the config a run would train (``ValueError``
naming a bad option): ``ctpg.cli.train.config_from_argv``."""


def target_steps(
    grid: Sequence[Trial],
    options: Sequence[str],
    run_dirs: dict[Trial, Path],
    configure: Configure,
) -> dict[Trial, int]:
    """The steps each trial trains for; checks the options of every trial (ValueError
    naming a bad one)."""
    argv = {t: [*t.options(), *options, "--run-dir", str(run_dirs[t])] for t in grid}
    return {t: configure(argv[t]).steps for t in grid}


def finished(run_dir: Path, steps: int) -> bool:
    """Whether the run's metrics.csv reaches ``steps``."""
    rows = read_metrics(RunDir(run_dir).metrics)
    return bool(rows) and int(rows[-1]["step"]) >= steps


def train_command(trial: Trial, options: Sequence[str], run_dir: Path) -> list[str]:
    """The command that starts the trial, or continues it from its checkpoint."""
    resume = ["--resume"] if RunDir(run_dir).has_checkpoint() else []
    return [
        *(sys.executable, "-m", "ctpg.train", *trial.options(), *options),
        *("--run-dir", str(run_dir), "--no-progress", *resume),
    ]


def run_command(command: list[str], run_dir: str) -> dict[str, Any]:
    """Run one training process with its output appended to ``run_dir/train.log``.

    The process runs in its own session and gets a stop from this process's
    ``StopForwarding`` (``ctpg.interrupt.run_forwarding``); once a stop was forwarded, no
    new process starts and the exit status is 128 + the signal number."""
    log = RunDir(run_dir).log
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with log.open("a") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        env = {**os.environ, "PYTHONPATH": _python_path()}
        code = run_forwarding(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    return {"returncode": code, "seconds": time.perf_counter() - start, "log": str(log)}


@dataclass(frozen=True)
class Resources:
    """What one trial gets: CPU cores (torch and engine threads follow) and GPUs."""

    cpus: float = 1.0
    gpus: float = 0.0

    def options(self, given: Sequence[str]) -> list[str]:
        """Thread and device options for the trial, unless the user gave them."""
        threads = str(max(1, int(self.cpus)))
        extra: list[str] = []
        if "--torch-threads" not in given:
            extra += ["--torch-threads", threads]
        if "--num-threads" not in given and "--env-backend" not in given:
            extra += ["--num-threads", threads]
        if "--device" not in given:
            extra += ["--device", "cuda" if self.gpus > 0 else "cpu"]
        return extra


Runner = Callable[[list[tuple[list[str], str]]], Iterable[tuple[int, dict[str, Any]]]]


def ray_runner(
    resources: Resources, address: str | None = None, stop: StopSignals | None = None
) -> Runner:
    """Runs commands as Ray tasks; yields (index, result) as they finish. Once ``stop`` has
    a request, the tasks not started are cancelled and the running ones pass the signal on
    to their trial (``ctpg.interrupt.ray_stop``)."""
    import ray

    def run(jobs: list[tuple[list[str], str]]) -> Iterable[tuple[int, dict[str, Any]]]:
        if not ray.is_initialized():
            # On local Ray the workers import the ctpg this process runs (also from a
            # source tree on PYTHONPATH); a cluster's nodes need ctpg installed.
            env = None if address else {"env_vars": {"PYTHONPATH": _python_path()}}
            with sigint_ignored():
                ray.init(
                    address=address, runtime_env=env, include_dashboard=False, log_to_driver=False
                )
        remote = ray.remote(num_cpus=resources.cpus, num_gpus=resources.gpus)(run_command)
        pending = {remote.remote(command, run_dir): i for i, (command, run_dir) in enumerate(jobs)}
        stopped = False
        while pending:
            # in slices, so that this thread's signal handlers run while it waits
            ready, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
            if stop is not None and stop.signum is not None and not stopped:
                ray_stop(list(pending), stop.signum)
                stopped = True
            if not ready:
                continue
            index = pending.pop(ready[0])
            log = str(RunDir(jobs[index][1]).log)
            try:
                yield index, ray.get(ready[0])
            except ray.exceptions.TaskCancelledError:  # stopped before it started
                code = 128 + (stop.signum if stop is not None and stop.signum else signal.SIGINT)
                yield index, {"returncode": code, "seconds": 0.0, "log": log}
            except ray.exceptions.RayError as error:  # the worker itself died
                yield index, {"returncode": -1, "seconds": 0.0, "log": log, "error": str(error)}

    return run


def _python_path() -> str:
    """PYTHONPATH that finds this ctpg first."""
    root = str(Path(__file__).resolve().parent.parent)
    return os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)


def local_runner(workers: int) -> Runner:
    """Runs commands as local processes, ``workers`` at a time."""

    def run(jobs: list[tuple[list[str], str]]) -> Iterable[tuple[int, dict[str, Any]]]:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_command, *job) for job in jobs]
            for index, future in enumerate(futures):
                yield index, future.result()

    return run


def run_trials(
    grid: Sequence[Trial],
    options: Sequence[str],
    run_dirs: dict[Trial, Path],
    runner: Runner,
    targets: dict[Trial, int],
    report: Callable[[str], None] = print,
    stop: StopSignals | None = None,
) -> dict[Trial, str]:
    """Run every unfinished trial; returns each trial's status: finished, skipped (already
    finished), stopped (by ``stop``'s signal; it resumes on the next run) or failed.
    ``targets`` are the ``target_steps`` of the trials."""
    status: dict[Trial, str] = {}
    jobs: list[tuple[list[str], str]] = []
    todo: list[Trial] = []
    for trial in grid:
        if finished(run_dirs[trial], targets[trial]):
            status[trial] = "skipped"
            report(f"{trial.name}: finished before, skipped")
            continue
        todo.append(trial)
        jobs.append((train_command(trial, options, run_dirs[trial]), str(run_dirs[trial])))
    for index, result in runner(jobs):
        trial = todo[index]
        if result["returncode"] == 0 and finished(run_dirs[trial], targets[trial]):
            status[trial] = "finished"
            report(f"{trial.name}: finished in {result['seconds']:.0f} s")
        elif stop is not None and stop.signum is not None:
            status[trial] = "stopped"
            report(f"{trial.name}: stopped by {signal_name(stop.signum)}; log: {result['log']}")
        else:
            status[trial] = "failed"
            why = result.get("error") or f"exit status {result['returncode']}"
            report(f"{trial.name}: FAILED ({why}); log: {result['log']}")
    return status


def summarize_run(run_dir: Path) -> dict[str, float]:
    """Final and mean-over-evaluations success and return of one run, and its minutes."""
    rows = read_metrics(RunDir(run_dir).metrics)
    if not rows:
        return {}
    success = [float(r["eval/success"]) for r in rows]
    returns = [float(r["eval/return"]) for r in rows]
    return {
        "steps": float(rows[-1]["step"]),
        "success": success[-1],
        "return": returns[-1],
        "success_auc": statistics.fmean(success),
        "return_auc": statistics.fmean(returns),
        "minutes": run_minutes(rows),
    }


def run_minutes(rows: list[dict[str, str]]) -> float:
    """Wall-clock minutes of a run from its rows: training steps over the measured step
    rate between evaluations, plus the evaluations' own time (resumes do not count)."""
    total, previous = 0.0, 0
    for r in rows:
        step = int(r["step"])
        total += (step - previous) / max(float(r["perf/sps"]), 1e-9)
        total += float(r.get("perf/eval_seconds", 0.0) or 0.0)
        previous = step
    return total / 60.0


SUMMARY_COLUMNS = ("steps", "success", "return", "success_auc", "return_auc", "minutes")


def cell(values: list[float], digits: int) -> str:
    """mean +- std (population) of ``values``."""
    mean = statistics.fmean(values)
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    return f"{mean:.{digits}f} ± {spread:.{digits}f}"


def summary_cells(runs: list[dict[str, float]]) -> list[str]:
    """Final success, final return, mean success and return over evaluations (mean +- std
    over the runs), and minutes per run: the cells of a method's summary row."""
    return [
        cell([r["success"] for r in runs], 2),
        cell([r["return"] for r in runs], 0),
        cell([r["success_auc"] for r in runs], 2),
        cell([r["return_auc"] for r in runs], 0),
        f"{statistics.fmean(r['minutes'] for r in runs):.1f}",
    ]


def trial_stats(
    trials_done: Sequence[Trial], run_dirs: dict[Trial, Path]
) -> dict[str, dict[str, MethodScores]]:
    """Per headline metric (success, or return for HalfCheetah), the per-task scores of
    each method over its trials (``ctpg.stats.method_scores``)."""
    by_method: dict[str, list[Trial]] = {}
    for t in trials_done:
        by_method.setdefault(t.method, []).append(t)
    out: dict[str, dict[str, MethodScores]] = {}
    for method, group in by_method.items():
        first = group[0]
        rows = [read_metrics(RunDir(run_dirs[t]).metrics) for t in group]
        scores = method_scores(rows, first.metric, first.base_method)
        out.setdefault(first.metric, {})[method] = scores
    return out


def write_summary(
    out: Path, status: dict[Trial, str], run_dirs: dict[Trial, Path]
) -> tuple[Path, Path]:
    """``summary.csv`` (a row per trial) and ``summary.md`` (mean +- std over the seeds
    of each method, then ``ctpg.stats.stats_table`` per headline metric; finished trials
    only)."""
    results = {t: summarize_run(run_dirs[t]) for t in status}
    csv_path, md_path = out / "summary.csv", out / "summary.md"
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["preset", "base", "sharing", "seed", "status", *SUMMARY_COLUMNS, "run_dir"]
        )
        for t, s in status.items():
            values = [results[t].get(k, "") for k in SUMMARY_COLUMNS]
            writer.writerow([t.preset, t.base, t.sharing, t.seed, s, *values, run_dirs[t]])
    methods: dict[str, list[dict[str, float]]] = {}
    done = [t for t, s in status.items() if s in ("finished", "skipped") and results[t]]
    for t in done:
        methods.setdefault(t.method, []).append(results[t])
    lines = [
        "Mean ± std over seeds (finished trials).",
        "",
        "| method | seeds | final success | final return | mean success over evals "
        "| mean return over evals | minutes per run |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for method, runs in methods.items():
        lines.append(f"| {method} | {len(runs)} | " + " | ".join(summary_cells(runs)) + " |")
    for metric, scores in trial_stats(done, run_dirs).items():
        lines += ["", *stats_table(scores, metric)]
    failed = [t.name for t, s in status.items() if s == "failed"]
    if failed:
        lines += ["", "Failed: " + ", ".join(failed) + f" (see each run's {LOG_FILE})."]
    md_path.write_text("\n".join(lines) + "\n")
    return csv_path, md_path
