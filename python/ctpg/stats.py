"""Aggregate scores of several runs on several tasks, with their uncertainty (numpy only).

The estimates follow Agarwal et al. 2021, "Deep Reinforcement Learning at the Edge of the
Statistical Precipice" (NeurIPS): with a handful of seeds, a mean +- std over seeds says
little, so a method is summarised by

- ``iqm``: the interquartile mean of all its runs x tasks scores (the mean of the middle
  half: robust to a few outlying runs, less noisy than the median);
- ``stratified_bootstrap_ci``: a percentile confidence interval of any such statistic,
  resampling the runs with replacement within each task;
- ``probability_of_improvement``: the chance that a run of one method beats a run of
  another on a task drawn at random (ties count one half), with ``..._ci`` its interval;
- ``performance_profile``: the fraction of runs x tasks whose score exceeds each threshold
  tau, with ``..._ci`` its band.

Scores are arrays ``[runs, tasks]``. ``method_scores`` reads a run's per-task scores
from its ``metrics.csv`` rows and ``stats_table`` writes the Markdown table of ``ctpg
sweep``'s summary, ``ctpg plot``'s ``stats.md`` and ``benchmarks/learning.py``'s
``table.md``.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

REPS = 2000
CONFIDENCE = 0.95


def _scores(scores: ArrayLike, name: str = "scores") -> np.ndarray:
    """``scores`` as a float array [runs, tasks]; ValueError naming ``name`` when it is
    empty, not two-dimensional or not finite."""
    array = np.asarray(scores, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name}: expected an array [runs, tasks], got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name}: empty (shape {array.shape}); need at least one run and task")
    if not np.isfinite(array).all():
        raise ValueError(f"{name}: has NaN or infinite values")
    return array


def _same_tasks(x: np.ndarray, y: np.ndarray) -> None:
    if x.shape[1] != y.shape[1]:
        raise ValueError(
            f"y: {y.shape[1]} tasks, but x has {x.shape[1]}; both must score the same tasks"
        )


def _confidence(confidence: float, reps: int) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: must be in (0, 1), got {confidence}")
    if reps < 1:
        raise ValueError(f"reps: must be at least 1, got {reps}")


def iqm(scores: ArrayLike) -> float:
    """Interquartile mean of all runs x tasks scores: the mean of what is left after
    cutting floor(n / 4) of the n sorted scores from each end."""
    flat = np.sort(_scores(scores).ravel())
    cut = int(0.25 * flat.size)
    return float(flat[cut : flat.size - cut].mean())


def probability_of_improvement(x: ArrayLike, y: ArrayLike) -> float:
    """P(X > Y): per task, the share of the (run of x, run of y) pairs in which x's run
    scores higher, a tie counting one half (the Mann-Whitney U statistic over n_x n_y);
    averaged over tasks. ``x`` [runs_x, tasks], ``y`` [runs_y, tasks]."""
    xs, ys = _scores(x, "x"), _scores(y, "y")
    _same_tasks(xs, ys)
    return float(_improvement(xs, ys))


def _improvement(x: np.ndarray, y: np.ndarray) -> float:
    # [runs_x, runs_y, tasks] comparisons of every pair of runs, task by task
    greater = x[:, None, :] > y[None, :, :]
    ties = x[:, None, :] == y[None, :, :]
    per_task = (greater.mean(axis=(0, 1))) + 0.5 * ties.mean(axis=(0, 1))
    return float(per_task.mean())


def performance_profile(scores: ArrayLike, taus: ArrayLike) -> np.ndarray:
    """Fraction of all runs x tasks scores above each threshold of ``taus``."""
    array = _scores(scores)
    thresholds = _taus(taus)
    return (array.ravel()[None, :] > thresholds[:, None]).mean(axis=1)


def _taus(taus: ArrayLike) -> np.ndarray:
    thresholds = np.asarray(taus, dtype=np.float64)
    if thresholds.ndim != 1 or thresholds.size == 0:
        raise ValueError(f"taus: expected a non-empty list of thresholds, got {thresholds.shape}")
    if np.isnan(thresholds).any():
        raise ValueError("taus: has NaN values")
    return thresholds


def _resample(rng: np.random.Generator, scores: np.ndarray) -> np.ndarray:
    """One stratified bootstrap sample: per task (column), the runs drawn with replacement."""
    runs, tasks = scores.shape
    rows = rng.integers(0, runs, size=(runs, tasks))
    return np.take_along_axis(scores, rows, axis=0)


def _interval(samples: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval over the first axis of the bootstrap statistics."""
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(samples, [tail, 1.0 - tail], axis=0)
    return low, high


def stratified_bootstrap_ci(
    scores: ArrayLike,
    statistic: Callable[[np.ndarray], float],
    reps: int = REPS,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval (``confidence``, 95% by default) of ``statistic`` over ``reps``
    stratified bootstrap samples of ``scores`` [runs, tasks]: each sample draws, for every
    task, as many runs as there are with replacement from that task's runs. The same seed
    gives the same interval."""
    array = _scores(scores)
    _confidence(confidence, reps)
    rng = np.random.default_rng(seed)
    samples = np.array([statistic(_resample(rng, array)) for _ in range(reps)])
    low, high = _interval(samples, confidence)
    return float(low), float(high)


def probability_of_improvement_ci(
    x: ArrayLike,
    y: ArrayLike,
    reps: int = REPS,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile interval of ``probability_of_improvement(x, y)``, ``x`` and ``y`` each
    resampled as in ``stratified_bootstrap_ci``, independently of each other."""
    xs, ys = _scores(x, "x"), _scores(y, "y")
    _same_tasks(xs, ys)
    _confidence(confidence, reps)
    rng = np.random.default_rng(seed)
    samples = np.array([_improvement(_resample(rng, xs), _resample(rng, ys)) for _ in range(reps)])
    low, high = _interval(samples, confidence)
    return float(low), float(high)


def performance_profile_ci(
    scores: ArrayLike,
    taus: ArrayLike,
    reps: int = REPS,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper edges of the band of ``performance_profile(scores, taus)``: the
    percentile interval at each tau over stratified bootstrap samples of ``scores``."""
    array = _scores(scores)
    thresholds = _taus(taus)
    _confidence(confidence, reps)
    rng = np.random.default_rng(seed)
    samples = np.array(
        [performance_profile(_resample(rng, array), thresholds) for _ in range(reps)]
    )
    return _interval(samples, confidence)


def profile_taus(groups: Sequence[ArrayLike], metric: str, points: int = 101) -> np.ndarray:
    """Thresholds of a performance profile: [0, 1] for success, else the span of all the
    scores of ``groups``."""
    if metric == "success":
        return np.linspace(0.0, 1.0, points)
    every = np.concatenate([_scores(g).ravel() for g in groups])
    return np.linspace(float(every.min()), float(every.max()), points)


def task_scores(rows: Sequence[dict[str, str]], metric: str) -> tuple[list[float], list[float]]:
    """A run's final and mean-over-evaluations ``metric`` (success or return) per task,
    from its metrics.csv rows (the ``eval/<task>/<metric>`` columns, in their order)."""
    if not rows:
        raise ValueError("rows: a run without evaluations has no scores")
    keys = [
        k
        for k in rows[0]
        if k.startswith("eval/") and k.endswith(f"/{metric}") and k.count("/") == 2
    ]
    if not keys:
        raise ValueError(f"metric: no eval/<task>/{metric} columns in the run's metrics")
    final = [float(rows[-1][k]) for k in keys]
    mean = [statistics.fmean(float(r[k]) for r in rows if r.get(k, "") != "") for k in keys]
    return final, mean


@dataclass(frozen=True)
class MethodScores:
    """One method's per-task scores over its runs: ``final`` and ``mean`` (over the
    evaluations) [runs, tasks], and ``base``, the name of the method without sharing it
    is compared with (None for a base method, or when there is none)."""

    final: np.ndarray
    mean: np.ndarray
    base: str | None = None


def method_scores(
    runs: Sequence[Sequence[dict[str, str]]], metric: str, base: str | None = None
) -> MethodScores:
    """``MethodScores`` of one method from the metrics.csv rows of its runs."""
    if not runs:
        raise ValueError("runs: a method needs at least one run")
    pairs = [task_scores(rows, metric) for rows in runs]
    if len({len(final) for final, _ in pairs}) != 1:
        raise ValueError("runs: the runs of a method must score the same tasks")
    final = np.array([f for f, _ in pairs], dtype=np.float64)
    mean = np.array([m for _, m in pairs], dtype=np.float64)
    return MethodScores(final, mean, base)


def _mean_std(scores: np.ndarray, digits: int) -> str:
    """mean +- std (population) over runs of each run's task mean."""
    per_run = scores.mean(axis=1)
    spread = float(per_run.std()) if per_run.size > 1 else 0.0
    return f"{float(per_run.mean()):.{digits}f} ± {spread:.{digits}f}"


def _estimate(point: float, interval: tuple[float, float], digits: int) -> str:
    low, high = interval
    return f"{point:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"


def stats_row(
    scores: MethodScores,
    methods: dict[str, MethodScores],
    digits: int,
    reps: int = REPS,
    seed: int = 0,
) -> list[str]:
    """The cells of a method's row of ``stats_table`` (after the method's name)."""
    runs, tasks = scores.final.shape
    cells = [f"{runs} x {tasks}"]
    for array in (scores.final, scores.mean):
        interval = stratified_bootstrap_ci(array, iqm, reps=reps, seed=seed)
        cells += [_mean_std(array, digits), _estimate(iqm(array), interval, digits)]
    base = methods.get(scores.base) if scores.base is not None else None
    if base is None or base.final.shape[1] != tasks:
        cells.append("—")
    else:
        point = probability_of_improvement(scores.final, base.final)
        interval = probability_of_improvement_ci(scores.final, base.final, reps=reps, seed=seed)
        cells.append(_estimate(point, interval, 2))
    return cells


def stats_table(
    methods: dict[str, MethodScores], metric: str, reps: int = REPS, seed: int = 0
) -> list[str]:
    """Markdown lines: per method, over its runs x tasks, the final and the
    mean-over-evaluations ``metric`` as mean +- std over runs (of the task mean) and as
    IQM [95% stratified bootstrap CI], and the probability that it improves on its base
    method's final ``metric`` [95% CI]."""
    digits = 2 if metric == "success" else 0
    lines = [
        f"Final and mean-over-evaluations {metric} over runs x tasks: mean ± std over runs "
        "(of the task mean), interquartile mean (IQM) and probability of improvement on "
        f"the final {metric} over the method without sharing, each with its 95% "
        f"stratified bootstrap confidence interval ({reps} samples).",
        "",
        f"| method | runs x tasks | final {metric} | final {metric} IQM [95% CI] "
        f"| mean {metric} over evals | mean {metric} over evals IQM [95% CI] "
        "| P(improvement over base) [95% CI] |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, scores in methods.items():
        cells = stats_row(scores, methods, digits, reps, seed)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines
