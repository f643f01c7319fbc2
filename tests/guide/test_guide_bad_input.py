"""GuideScheduler under unusual but valid arrays, and state dicts of the wrong types.

An array with an equal dtype that is not numpy's own object (pickle), another
byte order, a strided view, a read-only buffer or dtype metadata gives the
result of a plain array; a state-dict field of the wrong type raises
ValueError naming the field.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from array_variants import VARIANTS, Variant

import ctpg


def run(variant: Variant | None) -> dict[str, Any]:
    """A few steps of a 4-env scheduler with every array argument passed through `variant`."""
    v: Variant = (lambda a: a) if variant is None else variant
    sched = ctpg.GuideScheduler(4, 2, task_of_env=v(np.array([0, 1, 1, 2], np.int64)))
    rng = np.random.default_rng(0)
    for step in range(7):
        need = sched.begin_step()
        ids = np.flatnonzero(need).astype(np.int64)
        tasks = rng.integers(0, 3, len(ids)).astype(np.int64)
        if len(ids):
            sched.set_behaviour(v(ids), v(tasks))
        sched.end_step(v(np.array([step == 3, False, step == 5, False])))
        sched.set_blocked(v(np.array([False, step > 2, False, True])))
    return sched.state_dict()


def assert_same_state(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_calls_take_equal_dtypes_and_any_layout(variant: Variant) -> None:
    assert_same_state(run(variant), run(None))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_load_state_dict_takes_equal_dtypes_and_any_layout(variant: Variant) -> None:
    state = run(None)
    sched = ctpg.GuideScheduler(4, 2)
    sched.load_state_dict(
        {k: variant(v) if isinstance(v, np.ndarray) else v for k, v in state.items()}
    )
    assert_same_state(sched.state_dict(), state)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("num_envs", 4.0),
        ("num_envs", "4"),
        ("num_envs", True),
        ("guide_step", 2**70),
        ("in_step", "yes"),
        ("in_step", 1),
    ],
)
def test_load_state_dict_names_a_field_of_the_wrong_type(key: str, value: object) -> None:
    state = run(None)
    sched = ctpg.GuideScheduler(4, 2)
    before = sched.state_dict()
    with pytest.raises(ValueError, match=key):
        sched.load_state_dict(state | {key: value})
    assert_same_state(sched.state_dict(), before)


def test_empty_lists_choose_nothing() -> None:
    a, b = ctpg.GuideScheduler(2, 2), ctpg.GuideScheduler(2, 2)
    for sched in (a, b):
        sched.begin_step()
    a.set_behaviour([], [])
    assert_same_state(a.state_dict(), b.state_dict())


@pytest.mark.parametrize(
    ("name", "value"), [("num_envs", "4"), ("num_envs", 2**30), ("guide_step", np.array([]))]
)
def test_constructor_arguments_are_named(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=name):
        ctpg.GuideScheduler(**{"num_envs": 4, "guide_step": 2, name: value})


def test_lengths_are_compared_with_the_argument_that_sets_them() -> None:
    with pytest.raises(ValueError, match=r"task_of_env must have 2 entries \(one per env"):
        ctpg.GuideScheduler(2, 2, task_of_env=np.array([0, 1, 1]))
    sched = ctpg.GuideScheduler(2, 2)
    sched.begin_step()
    with pytest.raises(ValueError, match=r"tasks must have 1 entries \(one per entry of env_ids"):
        sched.set_behaviour(np.array([0]), np.array([0, 1]))


@pytest.mark.parametrize("value", [[1], None, "state"])
def test_a_state_dict_that_is_not_a_dict_is_named(value: object) -> None:
    with pytest.raises(ValueError, match="state_dict must be a dict"):
        ctpg.GuideScheduler(2, 2).load_state_dict(value)  # type: ignore[arg-type]
