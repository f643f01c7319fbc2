"""The live display renders without a terminal when forced on; plots need matplotlib."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ctpg import stats
from ctpg.metrics import MetricsLogger, read_metrics
from ctpg.plot import plot_paths
from ctpg.progress import Progress
from ctpg.stats import method_scores, stats_table


def test_progress_renders_step_rate_and_tasks(capsys) -> None:
    names = ["reach-v3", "push-v3"]
    with Progress(total=100, start=0, task_names=names, enabled=True) as progress:
        for step in range(1, 101):
            progress.update(step)
        row = {"eval/success": 0.5, "eval/reach-v3/success": 1.0, "eval/push-v3/success": 0.0}
        progress.evaluated(100, row)
        text = progress._render(100).plain
    assert "step 100/100" in text and "steps/s" in text
    assert "reach 1.00" in text and "push 0.00" in text


def test_progress_is_off_without_a_terminal() -> None:
    with Progress(total=10, start=0, task_names=["a"]) as progress:
        assert progress.live is None


def _run_with_rows(run_dir: Path) -> Path:
    logger = MetricsLogger(run_dir, tensorboard=False)
    for step, success in ((10, 0.0), (20, 0.5)):
        row = {"eval/success": success, "eval/return": 10 * success, "eval/a/success": success}
        logger.write_row(step, row)
    return run_dir


def test_plot_without_matplotlib_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(RuntimeError, match="matplotlib"):
        plot_paths([_run_with_rows(tmp_path / "r")])


def _method_run(run_dir: Path, offset: float, guided: bool) -> Path:
    logger = MetricsLogger(run_dir, tensorboard=False)
    for step in (10, 20, 30):
        row = {
            "eval/success": offset + step / 100,
            "eval/return": step + offset,
            "eval/a/success": offset,
            "eval/a/return": 1.0,
            "eval/b/success": step / 100,
            "eval/b/return": 2.0,
        }
        if guided:
            row.update(
                {
                    "guide/own_rate": 0.5,
                    "guide/choice/a/a": 1.0,
                    "guide/choice/a/b": 0.0,
                    "guide/choice/b/a": step / 100,
                    "guide/choice/b/b": 1.0 - step / 100,
                }
            )
        logger.write_row(step, row)
    return run_dir


def test_mean_band_and_guide_shares(tmp_path: Path) -> None:
    from ctpg.plot import guide_choice_shares, mean_band

    runs = [
        read_metrics(_method_run(tmp_path / f"r{i}", 0.1 * i, True) / "metrics.csv")
        for i in range(2)
    ]
    steps, mean, std = mean_band(runs, "eval/success")
    assert steps == [10, 20, 30]
    assert mean == pytest.approx([0.15, 0.25, 0.35]) and std == pytest.approx([0.05] * 3)
    shares = guide_choice_shares(runs, ["a", "b"], last_fraction=0.5)  # the last 2 of 3 rows
    assert shares[0] == pytest.approx([1.0, 0.0])
    assert shares[1] == pytest.approx([0.25, 0.75])


def test_plot_methods_writes_bands_grid_and_guide_figures(tmp_path: Path) -> None:
    from ctpg.plot import plot_methods

    groups = {
        "base": [_method_run(tmp_path / f"b{i}", 0.1 * i, False) for i in range(2)],
        "w/ CTPG": [_method_run(tmp_path / f"c{i}", 0.2 * i, True) for i in range(2)],
    }
    paths = plot_methods(groups, tmp_path / "out")
    names = sorted(p.name for p in paths)
    assert names == [
        "guide_choices_w_CTPG.png",
        "guide_rates_w_CTPG.png",
        "performance_profile.png",
        "stats.md",
        "success.png",
        "success_per_task.png",
    ]
    assert all(p.stat().st_size > 0 for p in paths)
    # stats.md is ctpg.stats' table of the final per-task successes; without config.yaml
    # the first method is the base of the others
    rows = {m: [read_metrics(Path(d) / "metrics.csv") for d in dirs] for m, dirs in groups.items()}
    scores = {
        "base": method_scores(rows["base"], "success"),
        "w/ CTPG": method_scores(rows["w/ CTPG"], "success", base="base"),
    }
    assert scores["base"].final.tolist() == [[0.0, 0.3], [0.1, 0.3]]
    table = (tmp_path / "out" / "stats.md").read_text()
    assert table == "\n".join(stats_table(scores, "success")) + "\n"
    base_row, ctpg_row = table.splitlines()[-2:]
    assert base_row.startswith("| base | 2 x 2 | 0.17 ± 0.03 | 0.20 [") and "| — |" in base_row
    p_ctpg = stats.probability_of_improvement(scores["w/ CTPG"].final, scores["base"].final)
    assert f"| {p_ctpg:.2f} [" in ctpg_row


def _configured_run(run_dir: Path, preset_name: str, sharing: str, offset: float) -> Path:
    """A run with the config.yaml of a preset and the rows of ``_method_run``."""
    import dataclasses

    from ctpg.config import dump_yaml, preset

    cfg = preset(preset_name)
    cfg = dataclasses.replace(cfg, agent=dataclasses.replace(cfg.agent, sharing=sharing))
    _method_run(run_dir, offset, guided=sharing == "ctpg")
    dump_yaml(cfg, run_dir / "config.yaml")
    return run_dir


def test_runs_are_found_below_folders_and_grouped_by_method(tmp_path: Path) -> None:
    from ctpg.plot import find_runs, group_runs

    for seed in (0, 1):
        for sharing in ("ctpg", "none", "qmp"):
            _configured_run(tmp_path / "sweep" / f"{sharing}-s{seed}", "quick", sharing, seed)
    runs = find_runs([tmp_path / "sweep"])
    assert len(runs) == 6
    groups, metric = group_runs(runs)
    assert list(groups) == ["mhsac", "mhsac w/ QMP", "mhsac w/ CTPG"]  # the paper's order
    assert [Path(r).name for r in groups["mhsac w/ CTPG"]] == ["ctpg-s0", "ctpg-s1"]
    assert metric == "success"
    cheetah = _configured_run(tmp_path / "hc", "halfcheetah-mt5", "none", 0)
    assert group_runs([cheetah])[1] == "return"
    mixed, _ = group_runs([cheetah, *runs[:1]])
    assert sorted(mixed) == ["halfcheetah-mt5 mhsac", "quick mhsac w/ CTPG"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no run"):
        find_runs([tmp_path / "empty"])
    with pytest.raises(ValueError, match="not a folder"):
        find_runs([tmp_path / "missing"])


def test_plot_command_writes_method_figures(tmp_path: Path, capsys) -> None:
    from ctpg import cli

    for seed in (0, 1):
        for sharing in ("none", "ctpg"):
            _configured_run(tmp_path / "runs" / f"{sharing}-s{seed}", "quick", sharing, seed)
    assert cli.main(["plot", str(tmp_path / "runs"), "--out", str(tmp_path / "fig")]) == 0
    written = sorted(Path(line).name for line in capsys.readouterr().out.split())
    assert written == [
        "guide_choices_mhsac_w_CTPG.png",
        "guide_rates_mhsac_w_CTPG.png",
        "performance_profile.png",
        "stats.md",
        "success.png",
        "success_per_task.png",
    ]
    # the base of "mhsac w/ CTPG" is "mhsac", from the runs' config.yaml
    base_row, ctpg_row = (tmp_path / "fig" / "stats.md").read_text().splitlines()[-2:]
    assert base_row.startswith("| mhsac | 2 x 2 |") and base_row.endswith("| — |")
    assert ctpg_row.startswith("| mhsac w/ CTPG | 2 x 2 |") and not ctpg_row.endswith("| — |")
    with pytest.raises(SystemExit):
        cli.main(["plot", str(tmp_path / "missing")])
    assert "PATH" in capsys.readouterr().err
