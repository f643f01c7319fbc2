"""``ctpg sweep``: a grid of tiny runs on local Ray, resumed and summarised; its failures."""

from __future__ import annotations

import argparse
import csv
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from ctpg import cli, stats
from ctpg.cli.sweep import build_parser
from ctpg.cli.train import config_from_argv
from ctpg.metrics import MetricsLogger, read_metrics
from ctpg.stats import method_scores, stats_table
from ctpg.sweep import Trial, trials, write_summary

TINY = [
    *("--steps", "40", "--eval-every", "20", "--eval-episodes", "1"),
    *("--batch-size", "12", "--warmup-steps", "20"),
]
GRID = ["--preset", "quick", "--sharing", "none", "ctpg", "--seeds", "0"]


def summary_rows(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_the_grid_names_every_combination() -> None:
    grid = trials(["quick"], ["mhsac", "sm"], ["none", "ctpg"], [0, 1])
    assert len(grid) == 8 and len({t.name for t in grid}) == 8
    assert grid[0] == Trial("quick", "mhsac", "none", 0) and grid[-1].seed == 1
    assert grid[3].name == "quick-sm-ctpg-s0" and grid[3].method == "quick sm w/ CTPG"


def test_ctpg_authors_is_ctpg_with_the_authors_gate_and_bootstrap() -> None:
    trial = Trial("quick", "mhsac", "ctpg-authors", 3)
    assert trial.name == "quick-mhsac-ctpg-authors-s3"
    assert trial.method == "quick mhsac w/ CTPG (authors' gate)"
    assert trial.base_method == "quick mhsac"
    authors = config_from_argv(trial.options())
    ours = config_from_argv(Trial("quick", "mhsac", "ctpg", 3).options())
    assert authors.seed == ours.seed == 3
    assert authors.agent.sharing == ours.agent.sharing == "ctpg"
    assert (authors.agent.guide.filter_gate, authors.agent.guide.compare_bootstrap) == (
        "reference",
        "guide",
    )
    assert (ours.agent.guide.filter_gate, ours.agent.guide.compare_bootstrap) == ("on", "own")
    args, _ = build_parser().parse_known_args(["--out", "x", "--sharing", "none", "ctpg-authors"])
    assert args.sharing == ["none", "ctpg-authors"]


def test_a_two_trial_sweep_on_local_ray_runs_resumes_and_reports_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sweep"
    broken = out / "quick-mhsac-ctpg-s0"
    (broken / "checkpoints").mkdir(parents=True)
    (broken / "checkpoints" / "checkpoint-0000000020.pt").write_bytes(b"not a checkpoint")

    # One trial fails (a checkpoint without its run); the other still finishes.
    assert cli.main(["sweep", *GRID, "--out", str(out), *TINY]) == 1
    printed = capsys.readouterr().out
    assert "quick-mhsac-none-s0: finished" in printed
    assert f"quick-mhsac-ctpg-s0: FAILED (exit status 2); log: {broken / 'train.log'}" in printed
    assert "no run in" in (broken / "train.log").read_text()
    rows = {r["sharing"]: r for r in summary_rows(out)}
    assert rows["none"]["status"] == "finished" and rows["ctpg"]["status"] == "failed"
    assert float(rows["none"]["steps"]) == 40 and 0.0 <= float(rows["none"]["success"]) <= 1.0
    assert "Failed: quick-mhsac-ctpg-s0" in (out / "summary.md").read_text()
    assert (out / "quick-mhsac-none-s0" / "plots" / "success.png").is_file()

    # Repaired, the same command runs only what is not finished.
    shutil.rmtree(broken)
    assert cli.main(["sweep", *GRID, "--out", str(out), *TINY]) == 0
    printed = capsys.readouterr().out
    assert "quick-mhsac-none-s0: finished before, skipped" in printed
    assert "quick-mhsac-ctpg-s0: finished in" in printed
    assert [r["status"] for r in summary_rows(out)] == ["skipped", "finished"]
    summary = (out / "summary.md").read_text()
    assert "| quick mhsac | 1 |" in summary and "| quick mhsac w/ CTPG | 1 |" in summary
    steps = [int(r["step"]) for r in read_metrics(broken / "metrics.csv")]
    assert steps == [20, 40]


def test_without_ray_the_sweep_says_so_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    assert cli.main(["sweep", *GRID, "--out", str(tmp_path), *TINY]) == 2
    printed = capsys.readouterr().out.strip().splitlines()
    assert len(printed) == 1 and 'pip install "ctpg[sweep]"' in printed[0]


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["--steps", "-3"], "--steps"),
        (["--seed", "3"], "--seed"),
        (["--run-dir", "x"], "--run-dir"),
        (["--cpus-per-run", "0"], "--cpus-per-run"),
        (["--preset", "nope"], "--preset"),
    ],
)
def test_bad_options_stop_the_sweep_before_any_run(
    argv: list[str], named: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["sweep", "--out", str(tmp_path / "out"), *argv])
    assert exit_info.value.code == 2
    assert named in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _finished_run(run_dir: Path, finals: list[float]) -> Path:
    """A run of two evaluations on tasks a, b whose last one scores ``finals``."""
    logger = MetricsLogger(run_dir, tensorboard=False)
    for step, values in ((20, [0.0, 0.0]), (40, finals)):
        row = {"eval/success": sum(values) / 2, "eval/return": 10.0, "perf/sps": 100.0}
        for task, value in zip(("a", "b"), values, strict=True):
            row |= {f"eval/{task}/success": value, f"eval/{task}/return": 10.0 * value}
        logger.write_row(step, row)
    logger.close()
    return run_dir


def _method_runs(tmp_path: Path) -> dict[Trial, Path]:
    finals = {"none": [[0.0, 1.0], [0.0, 0.0], [1.0, 0.0]], "ctpg": [[1.0, 1.0]] * 3}
    return {
        Trial("quick", "mhsac", sharing, seed): _finished_run(
            tmp_path / f"{sharing}-s{seed}", finals[sharing][seed]
        )
        for sharing in ("none", "ctpg")
        for seed in range(3)
    }


def test_the_summary_reports_iqm_and_probability_of_improvement(tmp_path: Path) -> None:
    run_dirs = _method_runs(tmp_path)
    _, md = write_summary(tmp_path, dict.fromkeys(run_dirs, "finished"), run_dirs)
    text = md.read_text()
    assert "| quick mhsac | 3 | 0.33 ± 0.24 |" in text  # mean ± std stays
    rows = {t: read_metrics(d / "metrics.csv") for t, d in run_dirs.items()}
    base = method_scores([rows[t] for t in rows if t.sharing == "none"], "success")
    ctpg = method_scores(
        [rows[t] for t in rows if t.sharing == "ctpg"], "success", base="quick mhsac"
    )
    table = stats_table({"quick mhsac": base, "quick mhsac w/ CTPG": ctpg}, "success")
    assert "\n".join(table) in text
    base_row = next(line for line in table if line.startswith("| quick mhsac |"))
    ctpg_row = next(line for line in table if line.startswith("| quick mhsac w/ CTPG |"))
    # base finals 0, 1, 0, 0, 1, 0: IQM cuts one at each end -> mean of 0, 0, 0, 1
    assert "| 3 x 2 | 0.33 ± 0.24 | 0.25 [" in base_row and base_row.endswith("| — |")
    # CTPG's finals are all 1: per task P = (1 + 1 + 1/2) / 3 -> 0.83
    assert stats.probability_of_improvement(ctpg.final, base.final) == pytest.approx(5 / 6)
    assert ctpg_row.endswith(" | 0.83 [0.67, 1.00] |")
    assert [r["status"] for r in summary_rows(tmp_path)] == ["finished"] * 6


def _benchmark(name: str) -> ModuleType:
    """benchmarks/<name>.py, imported as a module."""
    spec = importlib.util.spec_from_file_location(
        name, Path(__file__).parents[2] / "benchmarks" / f"{name}.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_learning_table_reports_the_same_statistics(tmp_path: Path) -> None:
    learning = _benchmark("learning")
    run_dirs = _method_runs(tmp_path / "runs")
    args = argparse.Namespace(
        preset="quick", base="mhsac", metric="success", steps_label=40, eval_every=20,
        eval_episodes=1, seeds=[0, 1, 2], train_options=[], out=str(tmp_path),
    )  # fmt: skip
    by_sharing = {s: [d for t, d in run_dirs.items() if t.sharing == s] for s in ("none", "ctpg")}
    results = {s: [learning.summarize(d) for d in dirs] for s, dirs in by_sharing.items()}
    scores = learning.method_stats(args, by_sharing)
    assert list(scores) == ["mhsac base", "mhsac w/ CTPG"]
    assert scores["mhsac w/ CTPG"].base == "mhsac base" and scores["mhsac base"].base is None
    table = learning.write_table(args, results, ["a", "b"], scores)
    assert (tmp_path / "table.md").read_text() == table
    assert "\n".join(stats_table(scores, "success")) in table
    assert "| mhsac w/ CTPG | 3 x 2 |" in table and " | 0.83 [0.67, 1.00] |" in table
    with (tmp_path / "runs.csv").open(newline="") as f:
        assert len(list(csv.DictReader(f))) == 6  # a row per run


def test_quick_budget_counts_the_runs_meeting_the_criterion_per_evaluation(
    tmp_path: Path,
) -> None:
    budget = _benchmark("quick_budget")
    runs = {  # per run: (step, reach success, task-mean success) of its evaluations
        "mhsac-ctpg-s0": [(10, 1.0, 0.67), (20, 1.0, 0.67)],
        "mhsac-ctpg-s1": [(10, 0.0, 0.67), (20, 1.0, 0.33)],
        "mhsac-ctpg-s2": [(10, 1.0, 0.5)],
        "mhsac-none-s0": [(10, 1.0, 1.0), (20, 1.0, 1.0)],
    }
    for name, evals in runs.items():
        (tmp_path / "runs" / name).mkdir(parents=True)
        lines = ["step,eval/success,eval/reach-v3/success,loss", "5,,,0.1"]
        lines += [f"{s},{mean},{reach}," for s, reach, mean in evals]
        (tmp_path / "runs" / name / "metrics.csv").write_text("\n".join(lines) + "\n")
    assert budget.counts(tmp_path, "ctpg", "reach-v3", 0.8, 0.5) == {10: (2, 3), 20: (1, 2)}
    assert budget.counts(tmp_path, "none", "reach-v3", 0.8, 0.5) == {10: (1, 1), 20: (1, 1)}


def test_the_learning_table_derives_the_other_policy_share_of_older_runs() -> None:
    learning = _benchmark("learning")
    head = {"eval/a/success": "0", "eval/b/success": "0"}
    rows = [
        {"step": "100", **head, "guide/decisions": "20", "guide/own_rate": "0.75"},
        {"step": "300", **head, "guide/decisions": "40", "guide/own_rate": "0.5"},
        {"step": "400", **head, "guide/decisions": "20", "guide/own_rate": "0.5",
         "guide/other_policy_share": "0.125"},
    ]  # fmt: skip
    derived = learning.with_other_policy_share(rows, 10)
    shares = [float(r["guide/other_policy_share"]) for r in derived]
    # 20 x 0.25 = 5 decisions x 10 steps over 100 steps x 2 tasks; 20 x 10 over 200 x 2;
    # a counted share is kept
    assert shares == [0.25, 0.5, 0.125]
    assert "guide/other_policy_share" not in rows[0]
