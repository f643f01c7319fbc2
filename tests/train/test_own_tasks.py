"""The user's own tasks: gymnasium ids (``--env``) and vector envs (``ctpg.train(cfg,
env=...)``) train, resume, export and plot; NEXT_STEP autoreset stores what SAME_STEP
stores; ``ctpg/MT10`` through ``--env`` is the built-in run; bad inputs get one line."""

from __future__ import annotations

import dataclasses
import json
import warnings
from functools import partial
from pathlib import Path
from typing import Any

import gymnasium
import numpy as np
import point_tasks
import pytest
import torch

import ctpg
from ctpg import cli
from ctpg.cli.train import build_parser, config_from_args, config_from_argv
from ctpg.config import GYMNASIUM, EnvConfig, TrainConfig, load_fingerprint, load_yaml
from ctpg.deploy import TORCHSCRIPT_NOTICE
from ctpg.envs.adapter import EnvError, adapt_vector_env
from ctpg.envs.protocol import CtpgEnv
from ctpg.metrics import read_metrics
from ctpg.plot import plot_paths
from ctpg.trainer import Trainer

POINT = f"point_tasks:{point_tasks.ID}"
GOALS_JSON = json.dumps([{"goal": list(g)} for g in point_tasks.GOALS])


def point_env(tiny: Any, name: str = "run", **changes: Any) -> TrainConfig:
    """The tiny config on the three point tasks (25-step episodes)."""
    env = EnvConfig(benchmark=GYMNASIUM, ids=(POINT,) * 3, kwargs=GOALS_JSON, max_episode_steps=25)
    return tiny(name=name, env=env, **changes)


def _without_perf(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [{k: v for k, v in r.items() if not k.startswith("perf/")} for r in rows]


def _point_vector(mode: gymnasium.vector.AutoresetMode, terminate: bool = False) -> Any:
    fns = [partial(point_tasks.PointReach, goal=g, terminate=terminate) for g in point_tasks.GOALS]
    return gymnasium.vector.SyncVectorEnv(
        [partial(gymnasium.wrappers.TimeLimit, f(), 25) for f in fns], autoreset_mode=mode
    )


# ---------------------------------------------------------------------- the adapter


def test_native_env_and_adapted_env_satisfy_the_protocol() -> None:
    native = ctpg.make_vec_env(["reach-v3"], num_threads=1)
    assert isinstance(native, CtpgEnv) and adapt_vector_env(native) is native
    adapted = adapt_vector_env(_point_vector(gymnasium.vector.AutoresetMode.NEXT_STEP))
    assert isinstance(adapted, CtpgEnv)
    obs, _ = adapted.reset(seed=0)
    assert obs.dtype == np.float32 and obs.shape == (3, 2)
    assert adapted.single_action_space.low.tolist() == [-1.0, -1.0]


@pytest.mark.parametrize("terminate", [False, True])
def test_next_step_env_gives_the_transitions_of_its_same_step_twin(terminate: bool) -> None:
    """Stepped with the same actions, the stored (obs, action, reward, next obs, terminated,
    truncated) of a NEXT_STEP env equal its SAME_STEP twin's; no reset observation is ever a
    next observation and truncation keeps the ended episode's last observation."""
    modes = gymnasium.vector.AutoresetMode
    twins = (modes.NEXT_STEP, modes.SAME_STEP)
    envs = [adapt_vector_env(_point_vector(m, terminate)) for m in twins]
    rng = np.random.default_rng(0)
    actions = rng.uniform(-1, 1, (80, 3, 2)).astype(np.float32)
    stored = []
    ends = 0
    for env in envs:
        obs, _ = env.reset(seed=5)
        rows = []
        for a in actions:
            next_obs, reward, term, trunc, info = env.step(a)
            done = term | trunc
            kept = np.where(done[:, None], info["final_obs"], next_obs)
            # the true next observation is one move (at most 0.25 per axis) from obs
            assert (np.abs(kept - obs) <= point_tasks.STEP + 1e-6).all()
            rows.append((obs, a, reward, kept, term, trunc, info["success"]))
            ends += int(done.sum())
            obs = next_obs
        stored.append(rows)
    assert ends > 6  # episodes ended (by truncation, and by success when terminating)
    for row_a, row_b in zip(*stored, strict=True):
        for x, y in zip(row_a, row_b, strict=True):
            np.testing.assert_array_equal(x, y)


def test_actions_are_rescaled_to_the_env_bounds() -> None:
    env = adapt_vector_env(_point_vector(gymnasium.vector.AutoresetMode.SAME_STEP))
    env.reset(seed=0)
    start = env.env.envs[0].unwrapped.pos.copy()
    env.step(np.array([[1.0, -1.0]] * 3, np.float32))
    moved = env.env.envs[0].unwrapped.pos - start
    np.testing.assert_allclose(moved, [point_tasks.STEP, -point_tasks.STEP], atol=1e-9)


# ---------------------------------------------------------------------- training


@pytest.mark.parametrize("sharing", ["ctpg", "qmp"])
def test_own_task_family_learns(tiny: Any, sharing: str) -> None:
    cfg = point_env(
        tiny,
        sharing=sharing,
        steps=1500,
        warmup_steps=200,
        eval_every=250,
        eval_episodes=3,
        batch_size=48,
        agent=dataclasses.replace(
            tiny().agent,
            sharing=sharing,
            sac=dataclasses.replace(tiny().agent.sac, lr=1e-3, alpha_init=0.1),
        ),
    )
    rows = read_metrics(ctpg.train(cfg, progress=False) / "metrics.csv")
    returns = [float(r["eval/return"]) for r in rows]
    # a policy that stays put scores about -0.8 * 25 = -20 per episode; one that reaches
    # the goal within a few moves about -5
    assert returns[0] < -8.0 and max(returns[-2:]) > -6.0, returns


def test_cli_env_runs_resumes_exports_and_plots(capsys, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    argv = ["train", "--preset", "quick", "--env", POINT, POINT, POINT, "--env-kwargs",
            GOALS_JSON, "--env-max-episode-steps", "25", "--steps", "60", "--warmup-steps",
            "20", "--eval-every", "30", "--eval-episodes", "1", "--batch-size", "12",
            "--device", "cpu", "--torch-threads", "1", "--no-progress", "--no-plots",
            "--run-dir", str(run_dir)]  # fmt: skip
    assert cli.main(argv) == 0
    cfg = load_yaml(run_dir / "config.yaml")
    assert cfg.env.benchmark == GYMNASIUM and cfg.env.ids == (POINT,) * 3
    fingerprint = load_fingerprint(run_dir / "config.yaml")
    assert fingerprint is not None
    assert fingerprint["task_names"] == [f"{point_tasks.ID}#{k}" for k in range(3)]
    assert fingerprint["action_high"] == [[point_tasks.STEP] * 2] * 3
    assert cli.main([*argv, "--resume", "--steps", "90"]) == 0
    assert [int(r["step"]) for r in read_metrics(run_dir / "metrics.csv")] == [30, 60, 90]
    # a changed env is refused, naming the option and both values
    with pytest.raises(SystemExit):
        cli.main([*argv[:-2], "--run-dir", str(run_dir), "--resume", "--env-kwargs", "{}"])
    err = capsys.readouterr().err
    assert "--env-kwargs" in err and "{}" in err
    # the policy acts in the env's units; the exported file too
    policy = ctpg.load_policy(run_dir)
    action = policy(torch.zeros(3, 2), torch.arange(3))
    assert action.abs().max() <= point_tasks.STEP + 1e-6
    out = tmp_path / "policy.pt"
    assert cli.main(["export", str(run_dir), "--out", str(out)]) == 0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=TORCHSCRIPT_NOTICE, category=DeprecationWarning)
        loaded = torch.jit.load(str(out))
    torch.testing.assert_close(loaded(torch.zeros(3, 2), torch.arange(3)), action)
    written = plot_paths([run_dir], tmp_path / "plots")
    assert written
    # the video draws the envs' own rgb_array frames
    video = tmp_path / "policy.mp4"
    assert cli.main(["video", str(run_dir), "--out", str(video), "--episodes", "1"]) == 0
    assert video.stat().st_size > 1000 and "26 frames" in capsys.readouterr().out


def test_resume_refuses_an_id_whose_registered_env_changed(
    capsys, monkeypatch, tmp_path: Path
) -> None:
    """The ids and kwargs are the same, but the id now builds a different env (a package
    upgrade that changed the observation): ``--resume`` names the field and both values."""
    run_dir = tmp_path / "run"
    argv = ["train", "--preset", "quick", "--env", POINT, POINT, "--env-max-episode-steps",
            "25", "--steps", "30", "--warmup-steps", "20", "--eval-every", "30",
            "--eval-episodes", "1", "--batch-size", "12", "--device", "cpu", "--torch-threads",
            "1", "--no-progress", "--no-plots", "--run-dir", str(run_dir)]  # fmt: skip
    assert cli.main(argv) == 0
    spec = gymnasium.registry[point_tasks.ID]
    changed = dataclasses.replace(spec, kwargs={**spec.kwargs, "extra_obs": 1})
    monkeypatch.setitem(gymnasium.registry, point_tasks.ID, changed)
    assert cli.main([*argv, "--resume", "--steps", "60"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "env fingerprint: obs_dim was 2 when the run started, the env given now has 3" in err
    assert [int(r["step"]) for r in read_metrics(run_dir / "metrics.csv")] == [30]


def test_python_api_trains_on_a_next_step_vector_env_and_checks_it_on_resume(tiny: Any) -> None:
    modes = gymnasium.vector.AutoresetMode
    cfg = tiny(steps=60, warmup_steps=20, eval_every=30)
    with pytest.raises(ValueError, match="eval_env"):
        ctpg.train(cfg, env=_point_vector(modes.NEXT_STEP))
    run_dir = ctpg.train(
        cfg, env=_point_vector(modes.NEXT_STEP), eval_env=_point_vector(modes.NEXT_STEP),
        progress=False,
    )  # fmt: skip
    assert load_yaml(run_dir / "config.yaml").env.benchmark == "object"
    longer = dataclasses.replace(cfg, steps=90)
    ctpg.train(longer, resume=True, env=_point_vector(modes.NEXT_STEP),
               eval_env=_point_vector(modes.NEXT_STEP), progress=False)  # fmt: skip
    assert [int(r["step"]) for r in read_metrics(run_dir / "metrics.csv")] == [30, 60, 90]
    other = gymnasium.vector.SyncVectorEnv(
        [partial(gymnasium.wrappers.TimeLimit, point_tasks.PointReach(extra_obs=1), 25)] * 3,
        autoreset_mode=modes.NEXT_STEP,
    )
    with pytest.raises(EnvError, match="obs_dim was 2 .* has 3"):
        ctpg.train(dataclasses.replace(cfg, steps=120), resume=True, env=other, eval_env=other)


def test_ctpg_mt10_through_env_is_the_builtin_run(tiny: Any) -> None:
    common = {"steps": 40, "warmup_steps": 20, "eval_every": 20, "batch_size": 20}
    limits = {"max_episode_steps": 15, "num_threads": 1}
    builtin = tiny(name="builtin", env=EnvConfig(benchmark="mt10", **limits), **common)
    gym = tiny(name="gym", env=EnvConfig(benchmark=GYMNASIUM, ids=("ctpg/MT10",), **limits),
               **common)  # fmt: skip
    rows = [_without_perf(read_metrics(ctpg.train(c, progress=False) / "metrics.csv"))
            for c in (builtin, gym)]  # fmt: skip
    assert rows[0] == rows[1] and len(rows[0]) == 2
    assert "eval/reach-v3/success" in rows[0][0]


def test_metaworld_vector_env_trains(tiny: Any) -> None:
    env = EnvConfig(benchmark=GYMNASIUM, ids=("Meta-World/MT10",), max_episode_steps=50)
    cfg = tiny(env=env, steps=200, warmup_steps=100, eval_every=200, batch_size=20)
    rows = read_metrics(ctpg.train(cfg, progress=False) / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [200]
    assert "eval/SawyerReachEnvV3/success" in rows[0]


def test_async_vector_and_padded_observations(tiny: Any) -> None:
    kwargs = json.dumps([{"goal": [0.5, 0.5]}, {"goal": [-0.5, 0.5], "extra_obs": 3}])
    env = EnvConfig(benchmark=GYMNASIUM, ids=(POINT, POINT), kwargs=kwargs,
                    max_episode_steps=25, vector="async")  # fmt: skip
    cfg = tiny(env=env, steps=40, warmup_steps=20, eval_every=40)
    trainer = Trainer(cfg, torch.device("cpu"))
    assert trainer.env.single_observation_space.shape == (5,)
    assert trainer.obs[0, 2:].tolist() == [0.0, 0.0, 0.0]
    trainer.env.close()
    trainer.eval_env.close()
    rows = read_metrics(ctpg.train(cfg, progress=False) / "metrics.csv")
    assert [int(r["step"]) for r in rows] == [40]


def test_success_only_at_the_episode_end_counts(tiny: Any) -> None:
    kwargs = json.dumps({"success_key": "is_success", "success_at_end": True, "goal": [0, 0]})
    env = EnvConfig(benchmark=GYMNASIUM, ids=(POINT,), kwargs=kwargs, max_episode_steps=25,
                    success_key="is_success")  # fmt: skip
    trainer = Trainer(tiny(env=env), torch.device("cpu"))
    trainer.env.reset(seed=0)
    seen = []
    for _ in range(50):  # the origin is within a move of every start: stay there
        pos = trainer.env.env.envs[0].unwrapped.pos
        action = np.clip(-pos / point_tasks.STEP, -1, 1).astype(np.float32)[None]
        *_, truncated, info = trainer.env.step(action)
        seen.append((bool(truncated[0]), bool(info["success"][0])))
    assert [s for t, s in seen if t] == [True, True] and not any(s for t, s in seen if not t)


# ---------------------------------------------------------------------- bad inputs


def _one_line_error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    base = ["train", "--preset", "quick", "--steps", "20", "--warmup-steps", "10",
            "--eval-every", "20", "--device", "cpu", "--no-progress", "--no-plots"]  # fmt: skip
    try:
        code = cli.main([*base, *argv])
    except SystemExit as exit_info:
        code = exit_info.code
    assert code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return [line for line in err.splitlines() if "error:" in line][0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--env", "NoSuchEnv-v9"], "--env NoSuchEnv-v9: NameNotFound"),
        (["--env", "no_such_module:X-v0"], "importing 'no_such_module'"),
        (["--env", POINT, "--env-kwargs", '{"speed": 2}'], "TypeError"),
        (["--env", POINT, "--env-kwargs", "{goal: 1}"], "--env-kwargs: not JSON"),
        (["--env", POINT, POINT, "--env-kwargs", "[{}]"], "a list of 1 objects for 2 ids"),
        (["--env", "CartPole-v1"], "action space Discrete(2) is not a Box"),
        (["--env", "Meta-World/MT10", POINT], "must be the only id"),
        (["--success-key", "is_success"], "--success-key: only applies with --env-benchmark"),
    ],
)
def test_bad_inputs_get_one_line(capsys, tmp_path: Path, argv: list[str], expected: str) -> None:
    line = _one_line_error(capsys, [*argv, "--run-dir", str(tmp_path / "run")])
    assert expected in line, line


def test_differing_action_sizes_are_refused_naming_each_task(tiny: Any) -> None:
    env = EnvConfig(benchmark=GYMNASIUM, ids=(POINT, "point_tasks:Point3D-v0"),
                    max_episode_steps=25)  # fmt: skip
    with pytest.raises(EnvError, match=r"PointReach-v0 \(2,\), Point3D-v0 \(3,\)"):
        ctpg.train(tiny(env=env), progress=False)


def test_a_success_key_never_reported_warns_once_and_falls_back(tiny: Any) -> None:
    env = EnvConfig(benchmark=GYMNASIUM, ids=(POINT,), max_episode_steps=25,
                    success_key="reached")  # fmt: skip
    cfg = tiny(env=env, steps=60, warmup_steps=20, eval_every=60)
    with pytest.warns(UserWarning, match="no task reported info\\['reached'\\]") as caught:
        rows = read_metrics(ctpg.train(cfg, progress=False) / "metrics.csv")
    assert sum("reached" in str(w.message) for w in caught) <= 2  # once per env (train, eval)
    assert float(rows[0]["eval/success"]) == 0.0 and float(rows[0]["eval/return"]) < 0.0


def test_env_takes_the_registered_episode_limit_and_names_the_run() -> None:
    def config(*argv: str) -> TrainConfig:
        return config_from_args(build_parser().parse_args(list(argv)))[0]

    cfg = config("--env", POINT, "--seed", "2")
    assert cfg.env.max_episode_steps == 25 and cfg.name == point_tasks.ID
    assert str(cfg.env.ids) == str((POINT,))
    assert config("--env", "HalfCheetah-v5").env.max_episode_steps == 1000
    limited = config("--env", "HalfCheetah-v5", "--env-max-episode-steps", "50")
    assert limited.env.max_episode_steps == 50
    assert config("--env", "ctpg/MT10").env.max_episode_steps == 200  # the preset's (mt10)
    # ctpg sweep takes the train options of every trial, --env among them
    swept = config_from_argv(["--env", POINT, POINT, "--env-kwargs", "{}"])
    assert swept.env.ids == (POINT, POINT) and swept.env.kwargs_list == [{}, {}]
