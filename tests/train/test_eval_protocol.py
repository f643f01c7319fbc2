"""``--eval-protocol``: the paper's evaluation (default) and MetaWorld 3.x's own.

The ``metaworld`` protocol is checked against ``metaworld.evaluation.evaluation`` run on
MetaWorld's own vector envs, with one fixed policy on both sides: MetaWorld's scripted expert
of every task, acting on float32 observations. The episodes are cut to 60 steps (MetaWorld's
envs take ``max_episode_steps`` as ctpg's do), so that the experts succeed on some goals and
not on others and the per-task success rates depend on which goals each episode ran.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import pytest
import torch

import ctpg
from ctpg import cli
from ctpg.checkpoint import load_latest
from ctpg.cli import train as cli_train
from ctpg.config import load_yaml, preset
from ctpg.envs import _metaworld
from ctpg.evaluate import METAWORLD_EPISODE_STEPS, METAWORLD_EPISODES, evaluate
from ctpg.metrics import read_metrics
from ctpg.run_envs import make_env, make_eval_env
from ctpg.trainer import Trainer

TASKS = ("reach-v3", "button-press-topdown-v3", "push-v3")
STEPS = 60  # the experts need 36-75 steps on these tasks, depending on the goal
EPISODES = 8
SEED = 5  # MetaWorld's custom task list seeds nothing when the seed is 0
CPU = torch.device("cpu")


def _expert(task: str) -> Any:
    import metaworld.policies as policies

    words = task.removesuffix("-v3").split("-")
    name = "Sawyer" + "".join(w.capitalize() for w in words) + "V3Policy"
    name = name.replace("PegInsertSide", "PegInsertionSide")
    return getattr(policies, name)()


class Experts:
    """MetaWorld's scripted experts, sub-env i acting as ``tasks[i]``: ctpg's ``agent.act``
    and MetaWorld's ``evaluation.Agent`` (``eval_action``, ``reset``) over one policy."""

    def __init__(self, tasks: tuple[str, ...]) -> None:
        self.policies = [_expert(task) for task in tasks]

    def actions(self, obs: np.ndarray, task: np.ndarray) -> np.ndarray:
        assert obs.dtype == np.float32
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Constant(s) may be too high"
            rows = [self.policies[t].get_action(o) for o, t in zip(obs, task, strict=True)]
        return np.clip(np.stack(rows), -1.0, 1.0).astype(np.float32)

    def act(self, obs: torch.Tensor, task: torch.Tensor, deterministic: bool) -> torch.Tensor:
        assert deterministic
        return torch.from_numpy(self.actions(obs.numpy(), task.numpy()))

    def eval_action(self, obs: np.ndarray) -> np.ndarray:
        return self.actions(obs.astype(np.float32), np.arange(len(obs)))

    def reset(self, env_mask: np.ndarray) -> None:
        pass


class RecordingExperts(Experts):
    """Also records the goal of every episode MetaWorld's evaluation starts: it calls
    ``reset(mask)`` after the first reset and after every step with the envs that ended
    (already reset to their next task, same-step autoreset)."""

    def __init__(self, tasks: tuple[str, ...], envs: Any) -> None:
        super().__init__(tasks)
        self.envs = envs
        self.goals: list[list[np.ndarray]] = [[] for _ in tasks]

    def reset(self, env_mask: np.ndarray) -> None:
        for i in np.flatnonzero(env_mask):
            self.goals[i].append(np.array(self.envs.envs[i].unwrapped._last_rand_vec))


@pytest.fixture(scope="module")
def ctpg_metrics() -> dict[str, dict[str, float]]:
    """The metaworld protocol on both backends, with the experts."""
    out = {}
    for backend in ("native", "python"):
        threads = {"num_threads": 1} if backend == "native" else {}
        env = ctpg.make_vec_env(list(TASKS), backend, seed=0, max_episode_steps=STEPS, **threads)
        out[backend] = evaluate(env, Experts(TASKS), EPISODES, SEED, CPU, protocol="metaworld")
    return out


def test_backends_agree_under_metaworld_protocol(ctpg_metrics) -> None:
    native, python = ctpg_metrics["native"], ctpg_metrics["python"]
    assert native.keys() == python.keys()
    for key in native:
        assert native[key] == pytest.approx(python[key], rel=1e-9), key
    # The goals matter here: some task is solved on some goals and not on others.
    rates = [native[f"eval/{task}/success"] for task in TASKS]
    assert any(0.0 < rate < 1.0 for rate in rates), rates


def test_matches_metaworld_evaluation(ctpg_metrics) -> None:
    from metaworld.evaluation import evaluation

    envs = gymnasium.make_vec(
        "Meta-World/custom-mt-envs",
        vector_strategy="sync",
        envs_list=list(TASKS),
        seed=SEED,
        max_episode_steps=STEPS,
    )
    agent = RecordingExperts(TASKS, envs)
    mean_success, mean_return, task_success, task_returns = evaluation(agent, envs, EPISODES)
    envs.close()
    # The same goals, episode by episode: the benchmark's held vectors, drawn as MetaWorld draws.
    goals = _metaworld.evaluation_goals(TASKS, SEED, EPISODES)
    for i in range(len(TASKS)):
        expected = np.stack([goals[k][i] for k in range(EPISODES)])
        np.testing.assert_array_equal(np.stack(agent.goals[i][:EPISODES]), expected)
    for backend, metrics in ctpg_metrics.items():
        for task in TASKS:
            assert metrics[f"eval/{task}/success"] == task_success[task], (backend, task)
            returns = np.mean(task_returns[task])
            assert metrics[f"eval/{task}/return"] == pytest.approx(returns, rel=1e-6), task
        assert metrics["eval/success"] == pytest.approx(mean_success, rel=1e-12)
        assert metrics["eval/return"] == pytest.approx(mean_return, rel=1e-6)


def test_metaworld_protocol_is_refused_for_halfcheetah(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["train", "--preset", "halfcheetah-mt5", "--eval-protocol", "metaworld"])
    assert "--eval-protocol" in capsys.readouterr().err
    with pytest.raises(ValueError, match="eval_protocol"):
        dataclasses.replace(preset("halfcheetah-mt8"), eval_protocol="metaworld")
    env = ctpg.make_vec_env("halfcheetah-mt5", seed=0, num_threads=1, max_episode_steps=5)
    with pytest.raises(ValueError, match="protocol"):
        evaluate(env, Experts(()), 1, 0, CPU, protocol="metaworld")


def test_option_maps_to_config_and_is_fixed_on_resume() -> None:
    def parse(*argv: str) -> Any:
        return cli.config_from_args(cli.build_parser().parse_args(list(argv)))[0]

    default = parse()
    assert (default.eval_protocol, default.eval_episodes) == ("paper", 32)
    cfg = parse("--eval-protocol", "metaworld")
    assert (cfg.eval_protocol, cfg.eval_episodes) == ("metaworld", METAWORLD_EPISODES)
    cfg = parse("--eval-protocol", "metaworld", "--eval-episodes", "3")
    assert (cfg.eval_protocol, cfg.eval_episodes) == ("metaworld", 3)
    assert parse("--eval-protocol", "paper", "--preset", "quick").eval_episodes == 1
    args = cli.build_parser().parse_args(["--eval-protocol", "metaworld"])
    with pytest.raises(ValueError, match="--eval-protocol.*'paper'.*'metaworld'"):
        cli_train._check_unchanged(args, cli_train._given(args), default)


def test_eval_env_runs_metaworld_episode_length() -> None:
    cfg = dataclasses.replace(preset("quick"), eval_protocol="metaworld")
    train_env = make_env(cfg, 0)
    assert make_eval_env(cfg, train_env).task_set.max_episode_steps == METAWORLD_EPISODE_STEPS
    paper = make_eval_env(preset("quick"), train_env)
    assert paper.task_set.max_episode_steps == cfg.env.max_episode_steps == 200


def test_training_run_writes_metaworld_rows(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    options = [
        "--preset", "quick", "--steps", "40", "--eval-every", "20", "--eval-episodes", "1",
        "--batch-size", "12", "--warmup-steps", "20", "--device", "cpu", "--torch-threads",
        "1", "--num-threads", "1", "--no-progress", "--eval-protocol", "metaworld",
    ]  # fmt: skip
    assert cli.main(["train", *options, "--run-dir", str(run_dir)]) == 0
    cfg = load_yaml(run_dir / "config.yaml")
    assert (cfg.eval_protocol, cfg.eval_episodes) == ("metaworld", 1)
    assert "eval_protocol: metaworld" in (run_dir / "config.yaml").read_text()
    rows = read_metrics(run_dir / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [20, 40]
    # The last row is the metaworld protocol's score of the final policies.
    trainer = Trainer(cfg, CPU)
    load_latest(run_dir, trainer.load_state_dict)
    env = make_eval_env(cfg, trainer.env)
    expected = evaluate(env, trainer.agent, 1, cfg.seed, CPU, "metaworld", cfg.env.name_or_tasks)
    for key, value in expected.items():
        assert float(rows[-1][key]) == pytest.approx(value, rel=1e-9), key


def test_unpickled_task_vectors_reach_the_native_engine() -> None:
    """MetaWorld's benchmark tasks hold pickled vectors (an equal but distinct dtype object)."""
    import pickle

    env = ctpg.make_vec_env(["reach-v3"], seed=0, num_threads=1)
    vector = pickle.loads(pickle.dumps(env.task_vectors()[0]))
    env.reset(options={"task_vectors": [vector]})
    np.testing.assert_array_equal(env.task_vectors()[0], vector)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "episodes", "backends"),
    [("mt10", METAWORLD_EPISODES, ("native",)), ("mt50", 10, ("native", "python"))],
)
def test_benchmark_matches_metaworld_evaluation(
    name: str, episodes: int, backends: tuple[str, ...]
) -> None:
    """MT10 / MT50 as MetaWorld runs them: 500-step episodes ending at the first success, goals
    from ``metaworld.MT10`` / ``MT50`` (MT50 with 10 of the 50 episodes per task)."""
    from metaworld.evaluation import evaluation

    from ctpg.tasks import BENCHMARKS

    tasks = BENCHMARKS[name]
    seed = 1
    envs = gymnasium.make_vec(f"Meta-World/{name.upper()}", vector_strategy="sync", seed=seed)
    mean_success, mean_return, task_success, _ = evaluation(Experts(tasks), envs, episodes)
    envs.close()
    for backend in backends:
        env = ctpg.make_vec_env(name, backend, seed=0, max_episode_steps=METAWORLD_EPISODE_STEPS)
        metrics = evaluate(env, Experts(tasks), episodes, seed, CPU, "metaworld", name)
        for task in tasks:
            assert metrics[f"eval/{task}/success"] == task_success[task], (backend, task)
        assert metrics["eval/success"] == pytest.approx(mean_success, rel=1e-12), backend
        assert metrics["eval/return"] == pytest.approx(mean_return, rel=1e-6), backend
        env.close()
