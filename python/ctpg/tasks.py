"""Benchmark names, task lists, task families and asset directories.

A benchmark is resolved to a `TaskSet`: the ordered task names, the family they
all belong to (MetaWorld or HalfCheetah; families cannot be mixed because they
have different observation and action sizes) and the episode limit.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TaskFamily:
    """Properties shared by every task of one family."""

    name: str
    """Family name, e.g. "metaworld"."""
    obs_dim: int
    """Observation size."""
    action_dim: int
    """Action size (actions lie in [-1, 1])."""
    default_max_episode_steps: int
    """Episode limit used when the caller gives none."""
    info_keys: tuple[str, ...]
    """Per-step info entries besides "success" and "final_obs", each float64 [T]
    (boolean entries as 0.0 / 1.0), named as the reference envs name them."""


@dataclass(frozen=True)
class CheetahVariant:
    """A HalfCheetah variant: the standard model with gravity or geom sizes scaled."""

    gravity_scale: float
    """Factor on the standard gravity z (-9.81)."""
    size_scale: float
    """Factor on the `size` of every geom in `geoms` (a `fromto` length is kept)."""
    geoms: tuple[str, ...]
    """Names of the geoms whose size is scaled."""


@dataclass(frozen=True)
class TaskSet:
    """A resolved benchmark."""

    task_names: tuple[str, ...]
    """One sub-env per name, in this order."""
    family: TaskFamily
    """The family of every task."""
    max_episode_steps: int
    """Truncation limit of every sub-env."""


METAWORLD = TaskFamily(
    "metaworld",
    obs_dim=39,
    action_dim=4,
    default_max_episode_steps=500,
    info_keys=(
        "near_object",
        "grasp_success",
        "grasp_reward",
        "in_place_reward",
        "obj_to_target",
        "unscaled_reward",
    ),
)
HALFCHEETAH = TaskFamily(
    "halfcheetah",
    obs_dim=17,
    action_dim=6,
    default_max_episode_steps=1000,
    info_keys=("x_position", "x_velocity", "reward_forward", "reward_ctrl"),
)

MT10_TASKS: tuple[str, ...] = (
    "reach-v3",
    "push-v3",
    "pick-place-v3",
    "door-open-v3",
    "drawer-open-v3",
    "drawer-close-v3",
    "button-press-topdown-v3",
    "peg-insert-side-v3",
    "window-open-v3",
    "window-close-v3",
)

# MetaWorld's MT50 order (its ALL_V3_ENVIRONMENTS).
MT50_TASKS: tuple[str, ...] = (
    "assembly-v3",
    "basketball-v3",
    "bin-picking-v3",
    "box-close-v3",
    "button-press-topdown-v3",
    "button-press-topdown-wall-v3",
    "button-press-v3",
    "button-press-wall-v3",
    "coffee-button-v3",
    "coffee-pull-v3",
    "coffee-push-v3",
    "dial-turn-v3",
    "disassemble-v3",
    "door-close-v3",
    "door-lock-v3",
    "door-open-v3",
    "door-unlock-v3",
    "hand-insert-v3",
    "drawer-close-v3",
    "drawer-open-v3",
    "faucet-open-v3",
    "faucet-close-v3",
    "hammer-v3",
    "handle-press-side-v3",
    "handle-press-v3",
    "handle-pull-side-v3",
    "handle-pull-v3",
    "lever-pull-v3",
    "pick-place-wall-v3",
    "pick-out-of-hole-v3",
    "pick-place-v3",
    "plate-slide-v3",
    "plate-slide-side-v3",
    "plate-slide-back-v3",
    "plate-slide-back-side-v3",
    "peg-insert-side-v3",
    "peg-unplug-side-v3",
    "soccer-v3",
    "stick-push-v3",
    "stick-pull-v3",
    "push-v3",
    "push-wall-v3",
    "push-back-v3",
    "reach-v3",
    "reach-wall-v3",
    "shelf-place-v3",
    "sweep-into-v3",
    "sweep-v3",
    "window-open-v3",
    "window-close-v3",
)

_STANDARD = 1.0
_BIG = 1.25
_SMALL = 0.75
_BODY_PARTS: dict[str, tuple[str, ...]] = {
    "torso": ("torso",),
    "thigh": ("bthigh", "fthigh"),
    "leg": ("bshin", "fshin"),
    "foot": ("bfoot", "ffoot"),
}

CHEETAH_VARIANTS: dict[str, CheetahVariant] = {
    f"halfcheetah-gravity-{g}": CheetahVariant(float(g), _STANDARD, ())
    for g in ("1.0", "0.5", "0.75", "1.5", "1.25")
}
CHEETAH_VARIANTS.update(
    {
        f"halfcheetah-{part}-{kind}": CheetahVariant(_STANDARD, scale, geoms)
        for part, geoms in _BODY_PARTS.items()
        for kind, scale in (("big", _BIG), ("small", _SMALL))
    }
)

HALFCHEETAH_MT5_TASKS: tuple[str, ...] = tuple(
    f"halfcheetah-gravity-{g}" for g in ("1.0", "0.5", "0.75", "1.5", "1.25")
)
HALFCHEETAH_MT8_TASKS: tuple[str, ...] = tuple(
    f"halfcheetah-{part}-{kind}" for part in _BODY_PARTS for kind in ("big", "small")
)

BENCHMARKS: dict[str, tuple[str, ...]] = {
    "mt10": MT10_TASKS,
    "mt50": MT50_TASKS,
    "halfcheetah-mt5": HALFCHEETAH_MT5_TASKS,
    "halfcheetah-mt8": HALFCHEETAH_MT8_TASKS,
}


def metaworld_protocol_problem(tasks: Sequence[str]) -> str | None:
    """Why MetaWorld's own evaluation protocol cannot score ``tasks`` (None when it can): it
    needs MetaWorld tasks, each once (it pools episodes by task name)."""
    others = [task for task in tasks if task not in MT50_TASKS]
    if others:
        return (
            f"'metaworld' is MetaWorld's own evaluation and needs MetaWorld tasks; {others} "
            "are not (use 'paper')"
        )
    if len(set(tasks)) != len(tasks):
        return (
            "'metaworld' pools episodes by task name, as MetaWorld does; tasks repeat: "
            f"{list(tasks)}"
        )
    return None


def family_of(task: str) -> TaskFamily:
    """The family of one task name; ValueError naming the valid names if unknown."""
    if task in MT50_TASKS:
        return METAWORLD
    if task in CHEETAH_VARIANTS:
        return HALFCHEETAH
    raise ValueError(
        f"unknown task {task!r}; valid tasks: MetaWorld v3 {list(MT50_TASKS)} "
        f"and HalfCheetah {list(CHEETAH_VARIANTS)}"
    )


def resolve(name_or_tasks: str | Sequence[str], max_episode_steps: int | None = None) -> TaskSet:
    """Resolves a benchmark name or a list of task names to a `TaskSet`.

    Args:
        name_or_tasks: "mt10", "mt50", "halfcheetah-mt5", "halfcheetah-mt8", or a
            non-empty list of task names of one family (repeats allowed).
        max_episode_steps: Truncation limit; None = the family's default
            (MetaWorld 500, HalfCheetah 1000).
    """
    if isinstance(name_or_tasks, str):
        if name_or_tasks not in BENCHMARKS:
            raise ValueError(
                f"name_or_tasks: unknown benchmark {name_or_tasks!r}; valid names: "
                f"{sorted(BENCHMARKS)}, or a list of task names"
            )
        tasks = BENCHMARKS[name_or_tasks]
    else:
        tasks = tuple(name_or_tasks)
        if not tasks:
            raise ValueError("name_or_tasks: the task list is empty")
        for task in tasks:
            if not isinstance(task, str):
                raise ValueError(f"name_or_tasks: task names must be str, got {task!r}")
    families = {family_of(t).name: family_of(t) for t in tasks}
    if len(families) != 1:
        raise ValueError(
            f"name_or_tasks: tasks of different families cannot share one env "
            f"(obs/action sizes differ): {sorted(families)}"
        )
    family = next(iter(families.values()))
    limit = family.default_max_episode_steps if max_episode_steps is None else max_episode_steps
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"max_episode_steps: expected a positive int or None, got {limit!r}")
    return TaskSet(task_names=tasks, family=family, max_episode_steps=limit)


def _package_dir(package: str) -> str:
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        raise RuntimeError(f"the {package!r} package is not installed")
    return os.path.dirname(spec.origin)


def metaworld_asset_dir() -> str:
    """`<site-packages>/metaworld/assets` of the installed metaworld package."""
    return os.path.join(_package_dir("metaworld"), "assets")


def gymnasium_asset_dir() -> str:
    """`<site-packages>/gymnasium/envs/mujoco/assets` (holds half_cheetah.xml)."""
    return os.path.join(_package_dir("gymnasium"), "envs", "mujoco", "assets")
