"""``adapt_vector_env``: any ``gymnasium.vector.VectorEnv`` (one sub-env per task) as a ctpg
env (``ctpg.envs.protocol.CtpgEnv``).

What the adapter adds to a gymnasium vector env:

- float32 observations, flattened to [T, obs_dim] (any float Box);
- actions: the policy acts in [-1, 1]; each step rescales them to the action space's bounds
  (SB3's convention), so the env receives actions in its own units;
- a dense ``info["final_obs"]`` (every row: the true next observation) and a dense bool
  ``info["success"]`` from the info key ``success_key`` (a key reported at any step, or only
  in the final info of an ended episode, as ``is_success`` is);
- autoreset in the same step whatever the env's mode: under NEXT_STEP (gymnasium's default)
  or DISABLED, the sub-envs that ended are reset at once with ``reset(options={"reset_mask":
  ended})`` (gymnasium's partial reset), so the env never spends a step on a reset, a reset
  observation is never the next observation of a stored transition and truncation
  bootstraps from the ended episode's last observation, exactly as on the native engine;
- ``step_async`` / ``step_wait``: the env's own where it has them (``AsyncVectorEnv``), else
  the step runs in ``step_wait``.

``env_fingerprint`` describes an env for a run's config.yaml, so that a resumed run can check
that it is given the same tasks.
"""

from __future__ import annotations

import importlib.metadata
import typing
import warnings
from collections.abc import Sequence
from typing import Any

import gymnasium
import numpy as np
from gymnasium.spaces import Box, Space
from gymnasium.vector import AutoresetMode, VectorEnv

from ctpg.envs._vec_common import check_actions
from ctpg.envs.native import NativeVecEnv
from ctpg.envs.protocol import CtpgEnv, StepResult
from ctpg.envs.python_backend import PythonVecEnv


class EnvError(ValueError):
    """An env that cannot be trained, or its inputs (ids, kwargs, spaces): one line that names
    the input and what it got."""


def adapt_vector_env(
    env: Any, *, task_names: list[str] | None = None, success_key: str = "success"
) -> CtpgEnv:
    """``env`` as a ctpg env: the native and python backends' envs (and an adapted env) as
    they are, any other ``gymnasium.vector.VectorEnv`` wrapped in a ``GymVecEnv``.
    ``task_names`` (default: the env's ``task_names``, else its sub-envs' ``task_name``
    attribute, else ``task0``, ``task1``, ...) name the sub-envs; ``success_key`` is the info
    key that reports success."""
    if isinstance(env, (NativeVecEnv, PythonVecEnv, GymVecEnv)):
        if task_names is not None and list(task_names) != env.task_names:
            raise EnvError(f"task_names: the env's tasks are {env.task_names}, got {task_names}")
        return typing.cast(CtpgEnv, env)
    return typing.cast(CtpgEnv, GymVecEnv(env, task_names=task_names, success_key=success_key))


def float_box_problem(space: Space[Any], what: str) -> str | None:
    """Why ``space`` is not a float Box with finite bounds where ``what`` needs them (None
    when it is); ``what`` is "observation" or "action"."""
    if not isinstance(space, Box):
        return (
            f"{what} space {space} is not a Box (ctpg trains on flat float observations and "
            "continuous actions; Discrete, Dict and tuple spaces are not supported)"
        )
    if not np.issubdtype(space.dtype, np.floating):
        kind = "an image" if what == "observation" and len(space.shape) == 3 else "not float"
        return f"{what} space {space} is {kind} (ctpg takes float {what}s)"
    if what == "action" and not (np.isfinite(space.low).all() and np.isfinite(space.high).all()):
        return f"action space {space} has infinite bounds (actions are rescaled from [-1, 1])"
    return None


def _names_of(env: Any, task_names: list[str] | None) -> list[str]:
    if task_names is None:
        task_names = getattr(env, "task_names", None)
    if task_names is None:
        try:
            task_names = [str(name) for name in env.get_attr("task_name")]
        except (AttributeError, NotImplementedError):
            task_names = [f"task{i}" for i in range(env.num_envs)]
    names = [str(name) for name in task_names]
    if len(names) != env.num_envs:
        raise EnvError(f"task_names: expected {env.num_envs} names (one per sub-env), got {names}")
    if len(set(names)) != len(names):
        raise EnvError(f"task_names: names must be unique (one per task), got {names}")
    return names


class GymVecEnv:
    """A gymnasium vector env as a ctpg env (see the module docstring)."""

    def __init__(
        self, env: Any, *, task_names: list[str] | None = None, success_key: str = "success"
    ) -> None:
        if not isinstance(env, VectorEnv):
            raise EnvError(
                f"env: expected a gymnasium.vector.VectorEnv (one sub-env per task), got "
                f"{type(env).__name__}"
            )
        self.env: Any = env
        self.num_envs = self.num_tasks = int(env.num_envs)
        self.task_names = _names_of(env, task_names)
        for space, what in ((env.single_observation_space, "observation"),
                            (env.single_action_space, "action")):  # fmt: skip
            problem = float_box_problem(space, what)
            if problem is not None:
                raise EnvError(f"env: tasks {self.task_names}: {problem}")
        obs_shape: Any = env.single_observation_space.shape
        obs_dim = int(np.prod(obs_shape))
        action_space: Any = self.env.single_action_space
        if len(action_space.shape) != 1:
            raise EnvError(f"env: action space {action_space} is not 1-D")
        self.single_observation_space: Box = Box(-np.inf, np.inf, (obs_dim,), np.float32)
        self.single_action_space: Box = Box(-1.0, 1.0, action_space.shape, np.float32)
        self.observation_space = gymnasium.vector.utils.batch_space(
            self.single_observation_space, self.num_envs
        )
        self.action_space = gymnasium.vector.utils.batch_space(
            self.single_action_space, self.num_envs
        )
        self.action_low = np.asarray(action_space.low, dtype=np.float64)
        self.action_high = np.asarray(action_space.high, dtype=np.float64)
        self._action_dtype = action_space.dtype
        self.task_action_low = np.tile(self.action_low, (self.num_envs, 1))
        """Per task, the bounds of the env's own actions (what [-1, 1] maps to)."""
        self.task_action_high = np.tile(self.action_high, (self.num_envs, 1))
        self.episode_limit: int | None = None
        """The episode limit, where the builder knows it (for the fingerprint)."""
        self.autoreset_mode = AutoresetMode(
            env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        )
        self.metadata = {**env.metadata, "autoreset_mode": AutoresetMode.SAME_STEP}
        self.render_mode = getattr(env, "render_mode", None)
        self.success_key = success_key
        self.success_reported = False
        self._warned = False
        self._pending: np.ndarray | None = None
        self._own_async = callable(getattr(env, "step_async", None)) and callable(
            getattr(env, "step_wait", None)
        )

    # ------------------------------------------------------------------ protocol

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Resets every sub-env (``seed`` as gymnasium takes it: sub-env i gets seed + i)."""
        if self._pending is not None:
            raise RuntimeError("reset: a step started by step_async is pending; call step_wait()")
        obs, info = self.env.reset(seed=seed, options=options)
        return self._obs(obs), info

    def step(self, actions: np.ndarray) -> StepResult:
        """Steps every sub-env with ``actions`` in [-1, 1] (rescaled to the env's bounds)."""
        self.step_async(actions)
        return self.step_wait()

    def step_async(self, actions: np.ndarray) -> None:
        """Starts the step (the env's own ``step_async`` where it has one)."""
        if self._pending is not None:
            raise RuntimeError("step_async: a step is pending; call step_wait()")
        actions = check_actions(actions, self.task_names, self.single_action_space.shape[0])
        scaled = self._rescale(actions)
        if self._own_async:
            self.env.step_async(scaled)
        self._pending = scaled

    def step_wait(self) -> StepResult:
        """The results of the step ``step_async`` started."""
        if self._pending is None:
            raise RuntimeError("step_wait: no step pending; call step_async(actions) first")
        actions, self._pending = self._pending, None
        result = self.env.step_wait() if self._own_async else self.env.step(actions)
        return self._converted(*result)

    def render(self) -> Any:
        """The sub-envs' frames (``render_mode="rgb_array"`` envs)."""
        return self.env.render()

    def close(self) -> None:
        """Closes the env."""
        self.env.close()

    # ------------------------------------------------------------------ conversion

    def _obs(self, obs: Any) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(obs).reshape(self.num_envs, -1), dtype=np.float32)

    def _rescale(self, actions: np.ndarray) -> np.ndarray:
        low, high = self.action_low, self.action_high
        scaled = low + (actions.astype(np.float64) + 1.0) * 0.5 * (high - low)
        return np.clip(scaled, low, high).astype(self._action_dtype)

    def _converted(
        self, obs: Any, reward: Any, terminated: Any, truncated: Any, info: dict[str, Any]
    ) -> StepResult:
        obs = self._obs(obs)
        terminated = np.asarray(terminated, dtype=bool).reshape(self.num_envs)
        truncated = np.asarray(truncated, dtype=bool).reshape(self.num_envs)
        done = terminated | truncated
        final_obs = obs.copy()
        success = self._success(info, done)
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            if done.any():
                self._dense_final_obs(final_obs, info, done)
        elif done.any():  # NEXT_STEP / DISABLED: reset the ended sub-envs now
            reset_obs, _ = self.env.reset(options={"reset_mask": done.copy()})
            obs[done] = self._obs(reset_obs)[done]
        reward = np.asarray(reward, dtype=np.float32).reshape(self.num_envs)
        return obs, reward, terminated, truncated, {"success": success, "final_obs": final_obs}

    def _dense_final_obs(
        self, final_obs: np.ndarray, info: dict[str, Any], done: np.ndarray
    ) -> None:
        given = info.get("final_obs")
        if given is None:
            raise EnvError("env: SAME_STEP autoreset without info['final_obs'] on an ended episode")
        mask = np.asarray(info.get("_final_obs", done), dtype=bool)
        for i in np.flatnonzero(done & mask).tolist():
            final_obs[i] = np.asarray(given[i], dtype=np.float32).reshape(-1)

    def _success(self, info: dict[str, Any], done: np.ndarray) -> np.ndarray:
        """Dense success: the key at this step, or (SAME_STEP) in the final info of an ended
        episode, where gymnasium puts the ended step's info."""
        same_step = self.autoreset_mode == AutoresetMode.SAME_STEP
        success = np.zeros(self.num_envs, dtype=bool)
        success |= self._reported(info, ~done if same_step else np.ones_like(done))
        final_info = info.get("final_info")
        if same_step and isinstance(final_info, dict):
            success |= self._reported(final_info, done)
        if done.any() and not self.success_reported and not self._warned:
            self._warned = True
            warnings.warn(
                f"env: no task reported info[{self.success_key!r}] by the end of its first "
                "episode; success counts as false and the return is the run's measure "
                "(--success-key names the key)",
                UserWarning,
                stacklevel=3,
            )
        return success

    def _reported(self, info: dict[str, Any], rows: np.ndarray) -> np.ndarray:
        """The success key's values in ``info`` on ``rows`` (false where not reported)."""
        key = self.success_key
        if key not in info:
            return np.zeros(self.num_envs, dtype=bool)
        present = np.asarray(info.get(f"_{key}", np.ones(self.num_envs, bool)), dtype=bool)
        present = present.reshape(self.num_envs) & rows
        if present.any():
            self.success_reported = True
        values = np.asarray(info[key]).reshape(self.num_envs)
        truth = np.array([bool(v) for v in values], dtype=bool)
        return present & truth


def _version(module: str) -> str:
    top = module.split(".", 1)[0]
    try:
        return importlib.metadata.version(top)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def action_bounds(env: CtpgEnv) -> tuple[np.ndarray, np.ndarray]:
    """Per task, the bounds [T, A] of the env's own actions that [-1, 1] maps to."""
    if isinstance(env, GymVecEnv):
        return env.task_action_low, env.task_action_high
    shape = (env.num_envs, env.single_action_space.shape[0])
    return np.full(shape, -1.0), np.full(shape, 1.0)


def env_fingerprint(env: CtpgEnv, packages: Sequence[str] = ()) -> dict[str, Any]:
    """What a resumed run checks its env against: task names, spaces (the action bounds per
    task), episode limit, autoreset mode and the versions of gymnasium and of the packages
    the env comes from (``packages``, else the env's own module's)."""
    inner = getattr(env, "env", env)
    low, high = action_bounds(env)
    if not packages:
        module = type(inner).__module__
        envs = getattr(inner, "envs", None)
        if envs:
            module = type(getattr(envs[0], "unwrapped", envs[0])).__module__
        packages = (module.split(".", 1)[0],)
    limit = getattr(env, "episode_limit", None)
    task_set = getattr(env, "task_set", None)
    if task_set is not None:
        limit = task_set.max_episode_steps
    mode = getattr(env, "autoreset_mode", AutoresetMode.SAME_STEP)
    return {
        "task_names": list(env.task_names),
        "obs_dim": int(env.single_observation_space.shape[0]),
        "action_dim": int(env.single_action_space.shape[0]),
        "action_low": np.asarray(low, np.float64).tolist(),
        "action_high": np.asarray(high, np.float64).tolist(),
        "episode_limit": limit,
        "autoreset_mode": str(AutoresetMode(mode).value),
        "env_class": f"{type(inner).__module__}.{type(inner).__name__}",
        "versions": {"gymnasium": gymnasium.__version__, **{p: _version(p) for p in packages}},
    }


def fingerprint_mismatch(saved: dict[str, Any], current: dict[str, Any]) -> str | None:
    """The first field where two fingerprints differ, as a line naming both values (None
    when they agree)."""
    for key in saved:
        if saved.get(key) != current.get(key):
            return (
                f"env fingerprint: {key} was {saved.get(key)!r} when the run started, the env "
                f"given now has {current.get(key)!r}"
            )
    return None
