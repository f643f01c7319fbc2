"""The ``quick`` preset learns, and its policy-filter gate compares values on one scale.

Three ``quick`` runs (CTPG on mhsac, seeds 0-2) are shared by the tests below. A different
CPU rounds floats differently and therefore gives other runs from the same seeds, so the
tests assert what the ten-seed sweep in each docstring shows with a wide margin, pooled
over the three runs, not what one seed did on one machine.

Sweep (quick preset, CTPG, seeds 0-9, final code, 2 cores: the w/ CTPG runs of
benchmarks/results/learning_quick; evaluations at 2.5k, 5k, ..., 40k steps; one
deterministic episode per task with fixed goals, so success is 0 or 1):

- reach-v3 solved in one of the last three evaluations: 8 of 10 seeds (8 at the last one);
  unsolved at the first evaluation in 9 of 10;
- drawer-close-v3 solved in one of the last three evaluations: 10 of 10 (10 at the last);
- button-press-topdown-v3: solved at the end in 1 of 10 seeds;
- task-mean success averaged over the sixteen evaluations: 0.27-0.60 per seed;
- gate at the last evaluation: own-task pass share 0.51-0.97, gap (comparison value of the
  own task minus V) from -0.005 V to +0.041 V.
"""

from __future__ import annotations

import dataclasses

import pytest

import ctpg
from ctpg.config import preset
from ctpg.metrics import read_metrics

SEEDS = (0, 1, 2)
LEARNED = ("reach-v3", "drawer-close-v3")


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory: pytest.TempPathFactory) -> list[list[dict[str, str]]]:
    runs = []
    for seed in SEEDS:
        run_dir = tmp_path_factory.mktemp("quick") / f"s{seed}"
        cfg = dataclasses.replace(preset("quick"), seed=seed, device="cpu", run_dir=str(run_dir))
        rows = read_metrics(ctpg.train(cfg, progress=False) / "metrics.csv")
        runs.append([r for r in rows if r.get("eval/success", "") != ""])
    return runs


def _values(rows: list[dict[str, str]], key: str) -> list[float]:
    return [float(r[key]) for r in rows]


@pytest.mark.slow
def test_quick_preset_learns_reach_and_drawer_close(
    quick_runs: list[list[dict[str, str]]],
) -> None:
    """Asserted, pooled over the three runs: at least 3 of the 6 (run, task) pairs of
    reach-v3 and drawer-close-v3 are solved in one of the run's last three evaluations
    (sweep: 18 of 20 pairs), and the task-mean success averaged over all evaluations of
    all runs is at least 0.15 (sweep: every single seed 0.27 or more). So that success
    comes from learning, reach-v3 must still be unsolved at the first evaluation (2.5k
    steps) of at least one run (sweep: unsolved there in 9 of 10 seeds)."""
    solved = [
        max(_values(rows[-3:], f"eval/{task}/success")) == 1.0
        for rows in quick_runs
        for task in LEARNED
    ]
    assert sum(solved) >= 3, solved
    success = [s for rows in quick_runs for s in _values(rows, "eval/success")]
    assert sum(success) / len(success) >= 0.15, success
    first = [float(rows[0]["eval/reach-v3/success"]) for rows in quick_runs]
    assert min(first) == 0.0, first


@pytest.mark.slow
def test_comparison_critic_is_on_the_scale_of_v(quick_runs: list[list[dict[str, str]]]) -> None:
    """Both sides of the policy-filter gate estimate the value of following pi_i from s
    for the own task, so on a trained agent the own task's comparison value must not sit
    systematically below V_i(s). Measured at the last evaluation on the first states of
    the latest guide segments. Asserted for every run: the own task passes the gate in at
    least 15% of the states and the gap is at least -0.15 |V| (sweep: 0.51-0.97 and
    -0.005 V or more). With the reference's bootstrap (``--compare-bootstrap guide``) seeds
    0-2 at the earlier 15k-step budget ended with own-task pass shares 0.23 / 0.08 / 0.01
    and gaps -0.06 / -0.21 / -0.24 V (the gate then left only the own task in 98-100% of
    its decisions): two of the three runs failed these assertions."""
    for rows in quick_runs:
        row = rows[-1]
        v, gap = float(row["guide/gate_v"]), float(row["guide/gate_gap"])
        assert float(row["guide/gate_own_pass"]) >= 0.15, row["guide/gate_own_pass"]
        assert gap >= -0.15 * abs(v), (gap, v)
