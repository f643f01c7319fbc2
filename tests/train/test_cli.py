"""The command line: options map onto the config; bad options fail naming the option."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from ctpg import cli
from ctpg.config import load_yaml
from ctpg.metrics import read_metrics
from ctpg.train import resolve_device

TINY = [
    "--preset",
    "quick",
    "--steps",
    "40",
    "--eval-every",
    "20",
    "--eval-episodes",
    "1",
    "--batch-size",
    "12",
    "--warmup-steps",
    "20",
    "--device",
    "cpu",
    "--torch-threads",
    "1",
    "--env-backend",
    "python",
    "--no-progress",
]


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", *argv])
    assert exit_info.value.code == 2
    return capsys.readouterr().err


def test_options_map_onto_config(tmp_path: Path) -> None:
    args = cli.build_parser().parse_args(
        [
            "--preset",
            "halfcheetah-mt8",
            "--base",
            "paco",
            "--sharing",
            "ctpg",
            "--seed",
            "7",
            "--replay",
            "prioritized",
            "--guide-step",
            "3",
            "--filter-gate",
            "reference",
            "--no-hindsight",
            "--env-backend",
            "python",
            "--run-dir",
            str(tmp_path / "r"),
        ]
    )
    cfg, resume = cli.config_from_args(args)
    assert not resume
    assert (cfg.agent.net.base, cfg.agent.sharing, cfg.seed) == ("paco", "ctpg", 7)
    assert cfg.replay.kind == "prioritized" and cfg.env.backend == "python"
    guide = cfg.agent.guide
    assert (guide.guide_step, guide.filter_gate, guide.block_gate, guide.hindsight) == (
        3,
        "reference",
        True,
        False,
    )
    assert cfg.env.benchmark == "halfcheetah-mt8" and cfg.batch_size == 1024
    assert guide.batch_size == 1024
    net = cfg.agent.net  # the reference's gym_extensions sizes
    assert (net.hidden, net.paco_k, net.paco_layers) == ((400, 400), 3, 2)
    assert (net.sm_obs_layers, net.sm_module_width, net.sm_routing_width) == (1, 64, 128)


def test_hidden_and_lr_set_the_network() -> None:
    argv = ["--hidden", "256", "128", "--lr", "3e-4"]
    cfg, _ = cli.config_from_args(cli.build_parser().parse_args(argv))
    assert cfg.agent.net.hidden == (256, 128) and cfg.agent.sac.lr == 3e-4


def test_batch_size_sets_the_guide_batch_too() -> None:
    """The reference draws control and guide batches with one replay batch size."""
    cfg, _ = cli.config_from_args(cli.build_parser().parse_args(["--batch-size", "640"]))
    assert cfg.batch_size == 640 and cfg.agent.guide.batch_size == 640
    mt10 = cli.config_from_args(cli.build_parser().parse_args([]))[0]
    assert mt10.batch_size == mt10.agent.guide.batch_size == 1280
    net = mt10.agent.net
    assert (net.hidden, net.paco_k, net.paco_layers, net.sm_obs_layers) == ((400,) * 5, 5, 3, 2)


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["--steps", "0"], "--steps"),
        (["--eval-every", "x"], "--eval-every"),
        (["--base", "nope"], "--base"),
        (["--sharing", "none", "--no-hindsight"], "--no-hindsight"),
        (["--sharing", "qmp", "--filter-gate", "off"], "--filter-gate"),
        (["--filter-gate", "maybe"], "--filter-gate"),
        (["--lr", "-1"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--sharing", "qmp", "--guide-step", "3"], "--guide-step"),
        (["--env-backend", "python", "--num-threads", "2"], "--num-threads"),
        (["--resume"], "--resume"),
    ],
)
def test_bad_options_name_the_option(capsys, argv: list[str], option: str) -> None:
    assert option in _error(capsys, argv)


def test_cuda_without_cuda_names_device(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert "--device" in _error(capsys, ["--device", "cuda"])


@pytest.mark.parametrize("cuda", [False, True])
def test_device_auto_picks_cuda_when_present(monkeypatch: pytest.MonkeyPatch, cuda: bool) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert resolve_device("auto").type == ("cuda" if cuda else "cpu")
    assert resolve_device("cpu").type == "cpu"


def test_resume_without_a_run_names_resume(capsys, tmp_path: Path) -> None:
    assert "--resume" in _error(capsys, ["--resume", "--run-dir", str(tmp_path / "none")])


def test_cli_run_then_resume(capsys, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert cli.main(["train", *TINY, "--run-dir", str(run_dir)]) == 0
    plots = sorted(p.name for p in (run_dir / "plots").iterdir())  # figures at the end
    assert "success.png" in plots and "guide_rates_mhsac_w_CTPG.png" in plots
    cfg = load_yaml(run_dir / "config.yaml")
    assert cfg.steps == 40 and cfg.agent.sharing == "ctpg"
    # Same run dir without --resume: refused, naming the option.
    assert "--run-dir" in _error(capsys, [*TINY, "--run-dir", str(run_dir)])
    # --resume may not change what defines the run.
    argv = ["--resume", "--run-dir", str(run_dir), "--base", "sm"]
    assert "--base" in _error(capsys, argv)
    argv = ["--resume", "--run-dir", str(run_dir), "--steps", "60", "--no-progress"]
    assert cli.main(["train", *argv]) == 0
    assert [int(r["step"]) for r in read_metrics(run_dir / "metrics.csv")] == [20, 40, 60]


def test_the_starting_command_with_resume_added_continues_the_run(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the default run directory is relative: runs/<name>
    assert cli.main(["train", *TINY, "--no-plots"]) == 0
    run_dir = tmp_path / "runs" / "quick-mhsac-ctpg-s0"
    assert not (run_dir / "plots").exists()
    assert [int(r["step"]) for r in read_metrics(run_dir / "metrics.csv")] == [20, 40]
    # The same options again (also the run-defining ones) with --resume and more steps.
    longer = [*TINY, "--seed", "0", "--sharing", "ctpg", "--resume", "--steps", "60"]
    assert cli.main(["train", *longer]) == 0
    assert [int(r["step"]) for r in read_metrics(run_dir / "metrics.csv")] == [20, 40, 60]
    # A different value is refused, naming the option and both values.
    message = _error(capsys, [*TINY, "--resume", "--batch-size", "24", "--run-dir", str(run_dir)])
    assert "--batch-size" in message and "12" in message and "24" in message
    message = _error(capsys, [*TINY, "--resume", "--hidden", "32", "--run-dir", str(run_dir)])
    assert "--hidden" in message and "[64, 64]" in message and "[32]" in message


def test_python_dash_m_entry_point(tmp_path: Path) -> None:
    run_dir = tmp_path / "m"
    options = [
        "--preset", "halfcheetah-mt5", "--steps", "20", "--eval-every", "20",
        "--eval-episodes", "1", "--batch-size", "10", "--warmup-steps", "10",
        "--device", "cpu", "--torch-threads", "1", "--num-threads", "1", "--no-progress",
    ]  # fmt: skip
    argv = [sys.executable, "-m", "ctpg.train", *options, "--run-dir", str(run_dir)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr
    rows = read_metrics(run_dir / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [20]
    assert "eval/halfcheetah-gravity-0.5/return" in rows[0]


def test_tf32_is_refused_without_cuda(capsys) -> None:
    """TF32 is a CUDA tensor-core format: asking for it on the CPU is an error, not a no-op."""
    if torch.cuda.is_available():
        args = cli.build_parser().parse_args(["--tf32", "--device", "cuda"])
        assert cli.config_from_args(args)[0].tf32
    assert "--tf32" in _error(capsys, ["--tf32", "--device", "cpu"])


def test_update_order_maps_onto_the_config() -> None:
    args = cli.build_parser().parse_args(["--update-order", "reference"])
    assert cli.config_from_args(args)[0].update_order == "reference"
    assert cli.config_from_args(cli.build_parser().parse_args([]))[0].update_order == "store-first"
