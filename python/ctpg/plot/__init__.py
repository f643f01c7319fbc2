"""Figures of runs from their metrics.csv (needs matplotlib, optional).

``python -m ctpg.plot PATH... [--out DIR] [--metric success|return]``: each PATH is a run
directory or a folder of them (a ``ctpg sweep`` output, a benchmark's ``runs/``). Runs are
grouped by method (preset, base, sharing from their config.yaml) with their seeds:

- ``<metric>.png``: the mean curve of each method with a shaded band of one standard
  deviation over seeds (success for MetaWorld, return for HalfCheetah by default);
- ``<metric>_per_task.png``: the same per task, one panel each;
- for CTPG runs, ``guide_rates_<method>.png`` (own-task, mask, empty-mask and own-pass
  rates over training) and ``guide_choices_<method>.png`` (which task's policy each task
  followed over the last half of training);
- ``performance_profile.png``: per method, the fraction of its runs x tasks whose final
  score exceeds each threshold, with a 95% stratified bootstrap band (``ctpg.stats``);
- ``stats.md``: per method, the interquartile mean of the final and the
  mean-over-evaluations score over runs x tasks and the probability of improvement over
  the method without sharing, with 95% bootstrap confidence intervals
  (``ctpg.stats.stats_table``).

``ctpg train`` writes these figures for its run into ``<run_dir>/plots`` at the end.
``plot_methods({method: [run dirs over seeds]}, out)`` is the same from Python.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from ctpg.config import load_yaml
from ctpg.metrics import read_metrics
from ctpg.rundir import RunDir
from ctpg.stats import (
    MethodScores,
    method_scores,
    performance_profile,
    performance_profile_ci,
    profile_taus,
    stats_table,
)

GUIDE_RATES = (
    ("guide/own_rate", "own-task rate"),
    ("guide/mask_rate", "mask rate (gate acting)"),
    ("guide/empty_mask_rate", "empty-mask rate (gate acting)"),
    ("guide/gate_own_pass", "own task passes the gate (probe)"),
)


def _pyplot() -> Any:
    try:
        import matplotlib  # type: ignore[import-not-found, unused-ignore]

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found, unused-ignore]
    except ImportError as error:
        raise RuntimeError("plotting needs matplotlib: pip install matplotlib") from error
    return plt


def _curve(rows: list[dict[str, str]], key: str) -> tuple[list[int], list[float]]:
    points = [(int(r["step"]), float(r[key])) for r in rows if r.get(key, "") != ""]
    return [s for s, _ in points], [v for _, v in points]


def mean_band(
    runs: list[list[dict[str, str]]], key: str
) -> tuple[list[int], list[float], list[float]]:
    """Steps present in every run, and the mean and standard deviation (over runs) of
    ``key`` at those steps."""
    curves = [dict(zip(*_curve(rows, key), strict=True)) for rows in runs]
    steps = sorted(set.intersection(*(set(c) for c in curves))) if curves else []
    means, stds = [], []
    for step in steps:
        values = [c[step] for c in curves]
        mean = sum(values) / len(values)
        means.append(mean)
        stds.append(math.sqrt(sum((v - mean) ** 2 for v in values) / len(values)))
    return steps, means, stds


def task_names(rows: list[dict[str, str]]) -> list[str]:
    """Task names of a run, from its ``eval/<task>/success`` columns."""
    return [
        k.split("/")[1]
        for k in rows[0]
        if k.startswith("eval/") and k.endswith("/success") and k.count("/") == 2
    ]


def plot_methods(
    groups: dict[str, list[str | Path]],
    out_dir: str | Path,
    metric: str = "success",
    bases: dict[str, str | None] | None = None,
) -> list[Path]:
    """Mean +- std over seeds per method; per-task grid; CTPG guide diagnostics; the
    performance profile and ``stats.md``, where each method's probability of improvement
    is over the method ``bases`` names for it (by default ``base_methods(groups)``)."""
    plt = _pyplot()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = {m: [read_metrics(RunDir(d).metrics) for d in dirs] for m, dirs in groups.items()}
    data = {m: runs for m, runs in data.items() if runs}
    written = [_bands(plt, data, f"eval/{metric}", f"evaluation {metric}", out / f"{metric}.png")]
    tasks = task_names(next(iter(data.values()))[0])
    cols = min(len(tasks), 5)
    rows_n = -(-len(tasks) // cols)
    fig, axes = plt.subplots(
        rows_n, cols, figsize=(3.2 * cols, 2.6 * rows_n), squeeze=False, layout="constrained"
    )
    for ax, task in zip(axes.flat, tasks, strict=False):
        for method, runs in data.items():
            _band(ax, runs, f"eval/{task}/{metric}", method)
        ax.set_title(task, fontsize="small")
        if metric == "success":
            ax.set_ylim(-0.05, 1.05)
    for ax in list(axes.flat)[len(tasks) :]:
        ax.axis("off")
    axes.flat[0].legend(fontsize="x-small")
    fig.supxlabel("training steps (per task)")
    fig.supylabel(f"evaluation {metric}")
    path = out / f"{metric}_per_task.png"
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    written.append(path)
    guided = {m: runs for m, runs in data.items() if "guide/own_rate" in runs[0][-1]}
    for method, runs in guided.items():
        written += _guide_figures(plt, method, runs, tasks, out)
    base_of = base_methods(groups) if bases is None else bases
    scores = {m: method_scores(runs, metric, base_of.get(m)) for m, runs in data.items()}
    written.append(_profile_figure(plt, scores, metric, out / "performance_profile.png"))
    stats_md = out / "stats.md"
    stats_md.write_text("\n".join(stats_table(scores, metric)) + "\n")
    written.append(stats_md)
    return written


def base_methods(groups: dict[str, list[str | Path]]) -> dict[str, str | None]:
    """The method each method is compared with: the one of the same preset and base
    without sharing (from the runs' config.yaml; None for a method without sharing or
    when there is no such method). Without a config.yaml, the first method is the base
    of the others."""
    keys: dict[str, tuple[str, str, str]] = {}
    for method, dirs in groups.items():
        config = RunDir(dirs[0]).config if dirs else None
        if config is None or not config.is_file():
            first = next(iter(groups))
            return {m: None if m == first else first for m in groups}
        cfg = load_yaml(config)
        keys[method] = (cfg.name, cfg.agent.net.base, cfg.agent.sharing)
    plain = {(p, b): m for m, (p, b, s) in keys.items() if s == "none"}
    return {m: None if s == "none" else plain.get((p, b)) for m, (p, b, s) in keys.items()}


def _profile_figure(plt: Any, scores: dict[str, MethodScores], metric: str, path: Path) -> Path:
    """Performance profile of the final scores with its 95% bootstrap band."""
    taus = profile_taus([s.final for s in scores.values()], metric)
    fig, ax = plt.subplots(figsize=(7, 4))
    for method, s in scores.items():
        runs, tasks = s.final.shape
        profile = performance_profile(s.final, taus)
        low, high = performance_profile_ci(s.final, taus)
        (line,) = ax.plot(taus, profile, label=f"{method} ({runs} x {tasks})", linewidth=1.8)
        ax.fill_between(taus, low, high, color=line.get_color(), alpha=0.2, linewidth=0)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel(f"final {metric} τ")
    ax.set_ylabel(f"fraction of runs x tasks with {metric} > τ")
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def _steps_axis(ax: Any) -> None:
    """Training steps as 10k, 20k, ... so that the labels of narrow panels do not collide."""
    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x / 1000:g}k" if x else "0"))


def _band(ax: Any, runs: list[list[dict[str, str]]], key: str, label: str) -> None:
    _steps_axis(ax)
    steps, mean, std = mean_band(runs, key)
    if not steps:
        return
    (line,) = ax.plot(steps, mean, label=f"{label} (n={len(runs)})", linewidth=1.8)
    low = [m - s for m, s in zip(mean, std, strict=True)]
    high = [m + s for m, s in zip(mean, std, strict=True)]
    ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.2, linewidth=0)


def _bands(plt: Any, data: dict[str, Any], key: str, ylabel: str, path: Path) -> Path:
    fig, ax = plt.subplots(figsize=(7, 4))
    for method, runs in data.items():
        _band(ax, runs, key, method)
    if key.endswith("success"):
        ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("training steps (per task)")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path


def guide_choice_shares(
    runs: list[list[dict[str, str]]], tasks: list[str], last_fraction: float = 0.5
) -> list[list[float]]:
    """[task][behaviour task] share of guide decisions over the last ``last_fraction`` of
    the evaluations, averaged over the evaluation intervals in which the task made guide
    decisions (a blocked task makes none) and then over runs. Rows sum to 1, or are all
    zero for a task that made no decision in that part of any run."""
    shares = [[0.0] * len(tasks) for _ in tasks]
    for i, task in enumerate(tasks):
        per_run = []
        for rows in runs:
            tail = rows[int(len(rows) * (1.0 - last_fraction)) :] or rows[-1:]
            made = [
                [float(r.get(f"guide/choice/{task}/{other}") or 0.0) for other in tasks]
                for r in tail
            ]
            made = [row for row in made if sum(row) > 0]
            if made:
                per_run.append([sum(col) / len(made) for col in zip(*made, strict=True)])
        for j in range(len(tasks)):
            shares[i][j] = sum(run[j] for run in per_run) / len(per_run) if per_run else 0.0
    return shares


def _guide_figures(
    plt: Any, method: str, runs: list[list[dict[str, str]]], tasks: list[str], out: Path
) -> list[Path]:
    slug = re.sub(r"[^A-Za-z0-9]+", "_", method).strip("_")  # "mhsac w/ CTPG": mhsac_w_CTPG
    fig, ax = plt.subplots(figsize=(7, 4))
    for key, label in GUIDE_RATES:
        if key in runs[0][-1]:
            _band(ax, runs, key, label)
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("training steps (per task)")
    ax.set_ylabel("share")
    ax.set_title(f"{method}: guide decisions", fontsize="small")
    ax.legend(fontsize="x-small")
    rates = out / f"guide_rates_{slug}.png"
    fig.savefig(rates, dpi=120, bbox_inches="tight")
    plt.close(fig)
    shares = guide_choice_shares(runs, tasks)
    size = 1.0 + 0.55 * len(tasks)
    fig, ax = plt.subplots(figsize=(size + 1.5, size))
    image = ax.imshow(shares, vmin=0.0, vmax=1.0, cmap="viridis")
    short = [t.removesuffix("-v3") for t in tasks]
    ax.set_xticks(range(len(tasks)), short, rotation=60, ha="right", fontsize="x-small")
    ax.set_yticks(range(len(tasks)), short, fontsize="x-small")
    ax.set_xlabel("behaviour task (whose policy acted)")
    ax.set_ylabel("task")
    ax.set_title(f"{method}: guide choices, last half of training", fontsize="small")
    fig.colorbar(image, ax=ax, fraction=0.046)
    choices = out / f"guide_choices_{slug}.png"
    fig.savefig(choices, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return [rates, choices]


def find_runs(paths: list[str | Path]) -> list[Path]:
    """Run directories (holding metrics.csv) given, or found up to two levels below the
    folders given, in order."""
    runs: list[Path] = []
    for given in map(Path, paths):
        if RunDir(given).metrics.is_file():
            found = [given]
        elif given.is_dir():
            found = sorted(m.parent for m in given.glob("*/metrics.csv"))
            found += sorted(m.parent for m in given.glob("*/*/metrics.csv"))
        else:
            raise ValueError(f"PATH: {given} is not a folder")
        if not found:
            raise ValueError(f"PATH: no run (metrics.csv) in {given} or two levels below it")
        runs += [r for r in found if r not in runs]
    return runs


_SHARING_LABELS = {"none": "", "qmp": " w/ QMP", "ctpg": " w/ CTPG"}  # in figure order


def _method_of(run: Path) -> tuple[str, int, str]:
    """(preset, rank of the sharing, "base w/ SHARING") of a run from its config.yaml; the
    folder name when it has none."""
    if not RunDir(run).config.is_file():
        return "", 0, run.name
    cfg = load_yaml(RunDir(run).config)
    rank = list(_SHARING_LABELS).index(cfg.agent.sharing)
    return cfg.name, rank, cfg.agent.net.base + _SHARING_LABELS[cfg.agent.sharing]


def group_runs(runs: list[Path]) -> tuple[dict[str, list[str | Path]], str]:
    """Runs grouped by method (seeds together; base methods before QMP before CTPG), and
    the headline metric: return when every run is a HalfCheetah run, else success. The
    preset is part of the method's name when the runs have several."""
    ranked = sorted(zip(map(_method_of, runs), runs, strict=True), key=lambda mr: mr[0])
    several = len({preset for (preset, _, _), _ in ranked}) > 1
    groups: dict[str, list[str | Path]] = {}
    for (preset, _, method), run in ranked:
        groups.setdefault(f"{preset} {method}" if several else method, []).append(run)
    cheetah = all(preset.startswith("halfcheetah") for (preset, _, _), _ in ranked)
    return groups, "return" if cheetah else "success"


def plot_paths(
    paths: list[str | Path], out_dir: str | Path | None = None, metric: str | None = None
) -> list[Path]:
    """The figures of the runs in ``paths`` (see the module docstring); returns the files."""
    runs = find_runs(paths)
    groups, default_metric = group_runs(runs)
    out = Path(out_dir) if out_dir else RunDir(paths[0]).plots
    return plot_methods(groups, out, metric or default_metric)
