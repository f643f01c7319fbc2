"""``get_state(env)``: what a renderer copies into the full model to draw a sub-env.

The native engine's copy of the state must be the one MetaWorld's and gymnasium's own envs
hold after the same goals and actions (bit for bit, as the parity tests find for the
observations), including the model fields a task edits at reset: MetaWorld moves the drawer,
window, box, door and the goal marker by writing ``body_pos`` / ``site_pos``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import ctpg
from ctpg import _core
from ctpg.envs._vec_common import STATE_KEYS
from ctpg.tasks import gymnasium_asset_dir, metaworld_asset_dir

# Tasks whose reset edits body_pos (drawer, window, box) and site_pos (the goal marker).
METAWORLD = ["reach-v3", "drawer-close-v3", "window-open-v3", "peg-insert-side-v3"]
METAWORLD += ["button-press-topdown-v3", "door-open-v3"]
CHEETAH = ["halfcheetah-gravity-0.5", "halfcheetah-foot-big"]
BACKENDS = ["native", "python"]


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # MuJoCo writes MUJOCO_LOG.TXT on warnings


def _driven(tasks: list[str], backend: str, vectors: list[np.ndarray] | None, steps: int) -> Any:
    """An env of ``tasks`` reset to ``vectors`` (MetaWorld) or seed 5, then stepped with
    seeded random actions."""
    env = ctpg.make_vec_env(tasks, backend=backend, seed=5, max_episode_steps=100)
    if vectors is not None:
        env.reset(seed=5, options={"task_vectors": vectors})
    else:
        env.reset(seed=5)
    rng = np.random.default_rng(1)
    shape = env.action_space.shape
    for _ in range(steps):
        env.step(rng.uniform(-1, 1, shape).astype(np.float32))
    return env


def test_native_state_is_metaworlds_after_the_same_goals_and_actions() -> None:
    probe = ctpg.make_vec_env(METAWORLD, seed=2)
    probe.reset(seed=2)
    vectors = probe.task_vectors()
    native = _driven(METAWORLD, "native", vectors, 25)
    reference = _driven(METAWORLD, "python", vectors, 25)
    fresh = ctpg.make_vec_env(METAWORLD, seed=2)  # the models as loaded, before any reset
    fresh.reset(seed=9)
    for i, task in enumerate(METAWORLD):
        ours, theirs = native.get_state(i), reference.get_state(i)
        assert list(ours) == list(STATE_KEYS)
        for key in STATE_KEYS:
            assert ours[key].dtype == np.float64, (task, key)
            np.testing.assert_array_equal(ours[key], theirs[key], err_msg=f"{task} {key}")
        # the goal marker or the moved object sits where this episode put it, not where
        # another episode's goals put it
        other = fresh.get_state(i)
        edited = [k for k in ("body_pos", "site_pos") if not np.array_equal(ours[k], other[k])]
        assert edited, task


def test_native_state_is_gymnasiums_after_the_same_state_and_actions() -> None:
    native = ctpg.make_vec_env(CHEETAH, seed=0)
    reference = ctpg.make_vec_env(CHEETAH, backend="python", seed=0)
    native.reset(seed=0)
    reference.reset(seed=0)
    rng = np.random.default_rng(4)
    for i in range(len(CHEETAH)):  # reset noise comes from each backend's own generator
        qpos, qvel = rng.normal(0, 0.1, 9), rng.normal(0, 0.1, 9)
        native.set_state(i, qpos, qvel)
        reference.set_state(i, qpos, qvel)
    for _ in range(20):
        actions = rng.uniform(-1, 1, (len(CHEETAH), 6)).astype(np.float32)
        native.step(actions)
        reference.step(actions)
    for i, task in enumerate(CHEETAH):
        ours, theirs = native.get_state(i), reference.get_state(i)
        for key in STATE_KEYS:  # the solvers' warm starts differ after set_state: ~1e-13
            np.testing.assert_allclose(ours[key], theirs[key], atol=1e-9, err_msg=f"{task} {key}")
        assert ours["mocap_pos"].shape == (0, 3) and ours["site_pos"].shape == (0, 3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_get_state_reads_what_set_state_wrote_and_returns_copies(backend: str) -> None:
    env = ctpg.make_vec_env(["push-v3", "reach-v3"], backend=backend, seed=0)
    env.reset(seed=0)
    before = env.get_state(1)
    qpos = before["qpos"] + 0.01
    qvel = np.linspace(-0.1, 0.1, before["qvel"].size)
    env.set_state(1, qpos, qvel)
    state = env.get_state(1)
    np.testing.assert_array_equal(state["qpos"], qpos)
    np.testing.assert_array_equal(state["qvel"], qvel)
    for key in STATE_KEYS:
        state[key][...] = 7.0  # the caller's copy
    again = env.get_state(1)
    np.testing.assert_array_equal(again["qpos"], qpos)
    np.testing.assert_array_equal(again["body_pos"], before["body_pos"])
    assert not np.array_equal(env.get_state(0)["qpos"][:9], qpos[:9])  # sub-env 0 untouched


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("env_index", [2, -1, True, 1.0, "0", None])
def test_get_state_refuses_a_bad_env_index(backend: str, env_index: object) -> None:
    env = ctpg.make_vec_env(["reach-v3", "push-v3"], backend=backend, seed=0)
    env.reset(seed=0)
    with pytest.raises(ValueError, match="env"):
        env.get_state(env_index)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKENDS)
def test_get_state_before_reset_is_an_error(backend: str) -> None:
    env = ctpg.make_vec_env(["reach-v3"], backend=backend, seed=0)
    with pytest.raises(RuntimeError, match="reset"):
        env.get_state(0)


def test_core_get_state_names_the_argument() -> None:
    core = _core.VecEnv(["reach-v3"], metaworld_asset_dir(), gymnasium_asset_dir(), 0, 1, [50])
    core.reset(0)
    for bad in (1, -1, True, "0", 0.5):
        with pytest.raises(ValueError, match="env"):
            core.get_state(bad)
