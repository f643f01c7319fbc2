"""ctpg.stats: hand-checked values, the bootstrap's properties, bad input, and agreement
with rliable (Agarwal et al. 2021)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from ctpg import stats


def test_iqm_is_the_mean_of_the_middle_half() -> None:
    assert stats.iqm(np.arange(1, 9).reshape(4, 2)) == pytest.approx(4.5)  # mean of 3..6
    # n = 10: floor(2.5) = 2 cut at each end, whatever the outlier
    ten = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 1000]]
    assert stats.iqm(ten) == pytest.approx(5.5)  # mean of 3..8
    assert stats.iqm([[3.0]]) == 3.0


def test_probability_of_improvement_by_hand() -> None:
    low, high = np.zeros((3, 2)), np.ones((4, 2))
    assert stats.probability_of_improvement(high, low) == 1.0
    assert stats.probability_of_improvement(low, high) == 0.0
    same = np.array([[0.1, 0.5], [0.3, 0.7], [0.9, 0.2]])
    assert stats.probability_of_improvement(same, same) == pytest.approx(0.5)
    # one task: pairs (1,1) tie 1/2, (1,3) 0, (2,1) 1, (2,3) 0 -> 1.5 / 4
    assert stats.probability_of_improvement([[1], [2]], [[1], [3]]) == pytest.approx(0.375)
    # a second task that x always wins: the tasks are averaged
    x, y = [[1, 5], [2, 5]], [[1, 0], [3, 0]]
    assert stats.probability_of_improvement(x, y) == pytest.approx((0.375 + 1.0) / 2)


def test_performance_profile_counts_scores_strictly_above_tau() -> None:
    scores = [[0.0, 0.5], [0.5, 1.0]]
    profile = stats.performance_profile(scores, [-1.0, 0.0, 0.5, 0.99, 1.0])
    assert profile.tolist() == [1.0, 0.75, 0.25, 0.25, 0.0]


def _uniform(runs: int, tasks: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).uniform(size=(runs, tasks))


def test_bootstrap_ci_holds_the_estimate_shrinks_with_runs_and_repeats_for_a_seed() -> None:
    few, many = _uniform(5, 3, 0), _uniform(100, 3, 0)
    low, high = stats.stratified_bootstrap_ci(few, stats.iqm)
    assert low <= stats.iqm(few) <= high
    wide_low, wide_high = stats.stratified_bootstrap_ci(many, stats.iqm)
    assert wide_low <= stats.iqm(many) <= wide_high
    assert wide_high - wide_low < (high - low) / 2
    assert stats.stratified_bootstrap_ci(few, stats.iqm, seed=3) == stats.stratified_bootstrap_ci(
        few, stats.iqm, seed=3
    )
    assert stats.stratified_bootstrap_ci(few, stats.iqm, seed=3) != (low, high)
    x, y = _uniform(6, 3, 1) + 0.2, _uniform(6, 3, 2)
    poi_low, poi_high = stats.probability_of_improvement_ci(x, y)
    assert poi_low <= stats.probability_of_improvement(x, y) <= poi_high
    assert stats.probability_of_improvement_ci(x, y) == (poi_low, poi_high)
    taus = np.linspace(0.0, 1.0, 11)
    band_low, band_high = stats.performance_profile_ci(few, taus)
    profile = stats.performance_profile(few, taus)
    assert (band_low <= profile).all() and (profile <= band_high).all()


def test_the_bootstrap_resamples_runs_within_each_task() -> None:
    # Every run scores 0 on the first task and 1 on the second: a sample drawn per task
    # always has the mean 0.5; one drawn from all scores together would not.
    scores = np.array([[0.0, 1.0]] * 4)
    low, high = stats.stratified_bootstrap_ci(scores, lambda s: float(s.mean()), reps=200)
    assert low == high == 0.5


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: stats.iqm([]), "scores"),
        (lambda: stats.iqm(np.zeros((0, 3))), "scores"),
        (lambda: stats.iqm([1.0, 2.0]), "scores"),
        (lambda: stats.iqm([[1.0, float("nan")]]), "scores"),
        (lambda: stats.probability_of_improvement([[1.0, 2.0]], [[1.0]]), "y"),
        (lambda: stats.probability_of_improvement([[float("nan")]], [[1.0]]), "x"),
        (lambda: stats.probability_of_improvement_ci([[1.0]], np.zeros((0, 1))), "y"),
        (lambda: stats.performance_profile([[1.0]], []), "taus"),
        (lambda: stats.performance_profile([[1.0]], [float("nan")]), "taus"),
        (lambda: stats.stratified_bootstrap_ci([[1.0]], stats.iqm, confidence=1.5), "confidence"),
        (lambda: stats.stratified_bootstrap_ci([[1.0]], stats.iqm, reps=0), "reps"),
        (lambda: stats.task_scores([], "success"), "rows"),
        (lambda: stats.task_scores([{"step": "1", "eval/a/return": "2"}], "success"), "metric"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(call, named: str) -> None:
    with pytest.raises(ValueError, match=f"^{named}:"):
        call()


def test_task_scores_and_the_table() -> None:
    def rows(a: float, b: float) -> list[dict[str, str]]:
        return [
            {"step": "10", "eval/success": "0", "eval/a/success": "0", "eval/b/success": "0"},
            {"step": "20", "eval/success": "0", "eval/a/success": str(a), "eval/b/success": str(b)},
        ]

    assert stats.task_scores(rows(1.0, 0.5), "success") == ([1.0, 0.5], [0.5, 0.25])
    base = stats.method_scores([rows(0.0, 0.0), rows(0.0, 1.0)], "success")
    shared = stats.method_scores([rows(1.0, 1.0), rows(1.0, 1.0)], "success", base="base")
    lines = stats.stats_table({"base": base, "w/ CTPG": shared}, "success", reps=100)
    assert lines[4].startswith("| base | 2 x 2 | 0.25 ± 0.25 | 0.00 [0.00, 0.50] |")
    # final: x always 1; per task P = (1) on a, (1/2 + 1) / 2 on b -> mean 0.875
    assert lines[5].endswith(" | 0.88 [0.75, 1.00] |") and " | — |" in lines[4]


def test_point_estimates_and_intervals_agree_with_rliable() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the import of rliable's own dependencies
        from rliable import library, metrics

    rng = np.random.default_rng(7)
    # success rates of 10 runs x 4 tasks in steps of 0.1: ties within and across methods
    x = np.round(rng.uniform(size=(10, 4)), 1)
    y = np.round(0.8 * rng.uniform(size=(8, 4)), 1)
    taus = np.linspace(0.0, 1.0, 21)
    reps = 2000

    def rliable_interval(scores, func):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            point, interval = library.get_interval_estimates(
                {"m": scores}, func, reps=reps, random_state=np.random.RandomState(0)
            )
        return point["m"], interval["m"]

    point, interval = rliable_interval(x, lambda s: np.array([metrics.aggregate_iqm(s)]))
    assert stats.iqm(x) == pytest.approx(float(point[0]), abs=1e-12)
    ours = stats.stratified_bootstrap_ci(x, stats.iqm, reps=reps)
    # The two bootstraps draw different samples; with 2000 samples the Monte Carlo error of
    # an endpoint is about 0.005 here, and the scores move in steps of 0.1 / 40 per sample:
    # 0.05 is several times both.
    assert ours[0] <= stats.iqm(x) <= ours[1]
    assert ours == pytest.approx(tuple(interval[:, 0]), abs=0.05)

    poi = lambda a, b: np.array([metrics.probability_of_improvement(a, b)])  # noqa: E731
    point, interval = rliable_interval((x, y), poi)
    assert stats.probability_of_improvement(x, y) == pytest.approx(float(point[0]), abs=1e-12)
    ours = stats.probability_of_improvement_ci(x, y, reps=reps)
    assert ours[0] <= stats.probability_of_improvement(x, y) <= ours[1]
    assert ours == pytest.approx(tuple(interval[:, 0]), abs=0.05)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profiles, bands = library.create_performance_profile({"m": x}, taus, reps=reps)
    np.testing.assert_allclose(stats.performance_profile(x, taus), profiles["m"], atol=1e-12)
    low, high = stats.performance_profile_ci(x, taus, reps=reps)
    # a profile moves in steps of 1 / 40 (runs x tasks): one step apart, plus sampling noise
    np.testing.assert_allclose(low, bands["m"][0], atol=0.05)
    np.testing.assert_allclose(high, bands["m"][1], atol=0.05)
