"""Vector envs from gymnasium ids: ``make_id_env(ids, kwargs, ...)``, what ``--env`` builds.

Each id gives one sub-env and one task, in the order given (``module:Id`` imports ``module``
first, so that a user's package registers its ids on import); an id registered with a
vector entry point (``Meta-World/MT10``, ``ctpg/MT10``) gives all its sub-envs and must be
the only id. Task names are the ids (``#k`` appended where an id repeats) unless a
``task_name`` keyword names the task.

Every sub-env runs under the run's episode limit (gymnasium's ``max_episode_steps``), its
observations flattened and zero-padded to the largest size of the family, its actions
rescaled from [-1, 1] to the task's bounds. Sub-envs whose action sizes differ are refused
(one line naming each task's shape): ctpg's policies have one action size.
"""

from __future__ import annotations

import importlib
import typing
from collections.abc import Sequence
from functools import partial
from typing import Any

import gymnasium
import numpy as np
from gymnasium.spaces import Box
from gymnasium.vector import AutoresetMode

from ctpg.envs.adapter import EnvError, GymVecEnv, adapt_vector_env, float_box_problem
from ctpg.envs.protocol import CtpgEnv

CTPG_PREFIX = "ctpg/"
METAWORLD_PREFIX = "Meta-World/"
NAMESPACE_MODULES = {"Meta-World": "metaworld"}
"""Packages that register a namespace on import, imported for an id of theirs given without
the ``module:`` prefix (``Meta-World/MT10`` works as ``metaworld:Meta-World/MT10``)."""


def split_id(env_id: str) -> tuple[str | None, str]:
    """``("module", "Id")`` of ``module:Id``, ``(None, env_id)`` otherwise."""
    module, sep, name = env_id.rpartition(":")
    return (module, name) if sep else (None, env_id)


def env_spec(env_id: str) -> gymnasium.envs.registration.EnvSpec:
    """The registered spec of ``env_id`` (its module imported first); EnvError naming the id."""
    module, name = split_id(env_id)
    namespace = name.split("/", 1)[0] if "/" in name else None
    if module is None and namespace in NAMESPACE_MODULES:
        module = NAMESPACE_MODULES[namespace]
    if module is not None:
        try:
            importlib.import_module(module)
        except Exception as error:  # noqa: BLE001 - any import failure is the user's module
            raise EnvError(f"--env {env_id}: importing {module!r} raised {_line(error)}") from None
    try:
        return gymnasium.spec(name)
    except gymnasium.error.Error as error:
        raise EnvError(f"--env {env_id}: {_line(error)}") from None


def _line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".rstrip(": ")


def is_vector_id(env_id: str) -> bool:
    """Whether ``env_id`` is registered with a vector entry point only (all sub-envs)."""
    spec = env_spec(env_id)
    return spec.vector_entry_point is not None and spec.entry_point is None


def registered_limit(ids: Sequence[str]) -> int | None:
    """The largest episode limit the ids are registered with (None when an id has none or
    is a vector id)."""
    limits = []
    for env_id in ids:
        spec = env_spec(env_id)
        if is_vector_id(env_id) or spec.max_episode_steps is None:
            return None
        limits.append(int(spec.max_episode_steps))
    return max(limits) if limits else None


def make_id_env(
    ids: Sequence[str],
    kwargs: Sequence[dict[str, Any]],
    *,
    seed: int,
    max_episode_steps: int,
    vector: str = "sync",
    success_key: str = "success",
    num_threads: int = 0,
) -> CtpgEnv:
    """The ctpg env of gymnasium ``ids`` (one keyword dict per id); see the module docstring.
    EnvError (one line naming the id) for an unknown id, a factory that raises or a space
    ctpg cannot train on."""
    ids = list(ids)
    if not ids:
        raise EnvError("--env: no ids given")
    vector_ids = [i for i in ids if is_vector_id(i)]
    if vector_ids:
        if len(ids) != 1:
            raise EnvError(
                f"--env {vector_ids[0]}: a vector id gives all its sub-envs and must be the only "
                f"id, got {ids}"
            )
        return _vector_id_env(ids[0], kwargs[0], seed, max_episode_steps, vector, success_key,
                              num_threads)  # fmt: skip
    return _single_ids_env(ids, kwargs, seed, max_episode_steps, vector, success_key)


def _vector_id_env(
    env_id: str,
    kwargs: dict[str, Any],
    seed: int,
    limit: int,
    vector: str,
    success_key: str,
    num_threads: int,
) -> CtpgEnv:
    _, name = split_id(env_id)
    options: dict[str, Any] = {"seed": seed, "max_episode_steps": limit}
    if name.startswith(CTPG_PREFIX) and num_threads:
        options["num_threads"] = num_threads
    if name.startswith(METAWORLD_PREFIX):
        options["vector_strategy"] = vector
    options.update(kwargs)
    try:
        env = gymnasium.make_vec(name, **options)
    except Exception as error:  # noqa: BLE001 - the entry point is the user's code
        raise EnvError(f"--env {env_id}: building it raised {_line(error)}") from None
    adapted = adapt_vector_env(env, success_key=success_key)
    if isinstance(adapted, GymVecEnv):
        adapted.episode_limit = limit
    return adapted


def _task_names(ids: list[str], kwargs: Sequence[dict[str, Any]]) -> list[str]:
    names = []
    for env_id, kw in zip(ids, kwargs, strict=True):
        name = kw.get("task_name", split_id(env_id)[1])
        names.append(str(name))
    repeated = {n for n in names if names.count(n) > 1}
    counts: dict[str, int] = {}
    unique = []
    for name in names:
        if name in repeated:
            unique.append(f"{name}#{counts.get(name, 0)}")
            counts[name] = counts.get(name, 0) + 1
        else:
            unique.append(name)
    return unique


def make_task_env(env_id: str, kwargs: dict[str, Any], limit: int, obs_dim: int = 0) -> Any:
    """One sub-env of ``env_id``: flat float observations zero-padded to ``obs_dim`` (0: its
    own size), actions in [-1, 1] rescaled to its bounds."""
    spec = env_spec(env_id)
    kw = {k: v for k, v in kwargs.items() if k != "task_name"}
    try:
        env: Any = gymnasium.make(spec, max_episode_steps=limit, **kw)
    except Exception as error:  # noqa: BLE001 - the factory is the user's code
        raise EnvError(f"--env {env_id}: building it raised {_line(error)}") from None
    for space, what in ((env.observation_space, "observation"), (env.action_space, "action")):
        problem = float_box_problem(space, what)
        if problem is not None:
            raise EnvError(f"--env {env_id}: {problem}")
    if len(env.observation_space.shape) != 1:
        env = gymnasium.wrappers.FlattenObservation(env)
    size = int(env.observation_space.shape[0])
    target = max(obs_dim, size)
    padded = Box(-np.inf, np.inf, (target,), np.float32)
    env = gymnasium.wrappers.TransformObservation(
        env, partial(_pad, size=target), observation_space=padded
    )
    space = env.action_space
    if not (np.all(space.low == -1.0) and np.all(space.high == 1.0)) or space.dtype != np.float32:
        env = gymnasium.wrappers.RescaleAction(env, -1.0, 1.0)  # type: ignore[arg-type]
        env.action_space = Box(-1.0, 1.0, space.shape, np.float32)
    return env


def _pad(obs: Any, size: int) -> np.ndarray:
    flat = np.asarray(obs, dtype=np.float32).reshape(-1)
    if flat.size == size:
        return flat
    out = np.zeros(size, dtype=np.float32)
    out[: flat.size] = flat
    return out


def _single_ids_env(
    ids: list[str],
    kwargs: Sequence[dict[str, Any]],
    seed: int,
    limit: int,
    vector: str,
    success_key: str,
) -> CtpgEnv:
    names = _task_names(ids, kwargs)
    probes: list[Any] = [make_task_env(i, kw, limit) for i, kw in zip(ids, kwargs, strict=True)]
    action_shapes = {p.action_space.shape for p in probes}
    if len(action_shapes) > 1:
        shapes = ", ".join(
            f"{n} {p.action_space.shape}" for n, p in zip(names, probes, strict=True)
        )
        raise EnvError(
            f"--env: the tasks' action sizes differ ({shapes}); ctpg trains one action size "
            "(observations of different sizes are zero-padded, actions are not)"
        )
    obs_dim = max(int(p.observation_space.shape[0]) for p in probes)
    low = [np.asarray(p.unwrapped.action_space.low, np.float64) for p in probes]
    high = [np.asarray(p.unwrapped.action_space.high, np.float64) for p in probes]
    for probe in probes:
        probe.close()
    fns = [partial(make_task_env, i, kw, limit, obs_dim) for i, kw in zip(ids, kwargs, strict=True)]
    cls = gymnasium.vector.AsyncVectorEnv if vector == "async" else gymnasium.vector.SyncVectorEnv
    try:
        env = cls(fns, autoreset_mode=AutoresetMode.SAME_STEP)
    except EnvError:
        raise
    except Exception as error:  # noqa: BLE001 - a sub-env process failed to start
        raise EnvError(
            f"--env {' '.join(ids)}: building the vector env raised {_line(error)}"
        ) from None
    adapted = GymVecEnv(env, task_names=names, success_key=success_key)
    adapted.task_action_low, adapted.task_action_high = np.stack(low), np.stack(high)
    adapted.episode_limit = limit
    return typing.cast(CtpgEnv, adapted)


def package_of(env_id: str) -> str:
    """The top-level package of an id's entry point (for the fingerprint)."""
    spec = env_spec(env_id)
    entry = spec.entry_point or spec.vector_entry_point
    if isinstance(entry, str):
        return entry.split(":", 1)[0].split(".", 1)[0]
    module = getattr(entry, "__module__", None) or "unknown"
    return module.split(".", 1)[0]
