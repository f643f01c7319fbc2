"""ReplayBuffer under unusual but valid arrays, and priorities that would overflow.

An array with an equal dtype that is not numpy's own object (pickle), another
byte order, a strided view, a read-only buffer or dtype metadata gives the
result of a plain array. Priorities whose ``priority ** alpha`` or tree sum
would overflow are refused instead of turning weights into NaN.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from array_variants import VARIANTS, Variant

import ctpg

T, D, A, K = 2, 3, 2, 2


def rows(n: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        out.append(
            {
                "obs": rng.normal(size=(T, D)).astype(np.float32),
                "action": rng.normal(size=(T, A)).astype(np.float32),
                "reward": rng.normal(size=T).astype(np.float32),
                "next_obs": rng.normal(size=(T, D)).astype(np.float32),
                "terminated": np.array([False, i == 3]),
                "truncated": np.array([i == 4, False]),
                "behaviour": np.array([i % T, 0], np.int64),
                "guide_begin": np.array([i % K == 0, True]),
            }
        )
    return rows_cache.setdefault(n, out)


rows_cache: dict[int, list[dict[str, np.ndarray]]] = {}


def filled(variant: Variant | None, prioritized: bool = True) -> ctpg.ReplayBuffer:
    rb = ctpg.ReplayBuffer(T, 8, D, A, guide_step=K, prioritized=prioritized, seed=4)
    for row in rows(6):
        rb.add(**{k: v if variant is None else variant(v) for k, v in row.items()})
    return rb


def assert_same(got: dict[str, np.ndarray], expected: dict[str, np.ndarray]) -> None:
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_array_equal(got[key], value, err_msg=key)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_add_takes_equal_dtypes_and_any_layout(variant: Variant) -> None:
    expected, got = filled(None), filled(variant)
    np.testing.assert_array_equal(got.sizes(), expected.sizes())
    assert_same(got.sample(5), expected.sample(5))
    assert_same(got.sample_segments(3), expected.sample_segments(3))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_sample_counts_take_equal_dtypes_and_any_layout(variant: Variant) -> None:
    counts = np.array([3, 1], np.int64)
    expected, got = filled(None), filled(None)
    assert_same(got.sample(variant(counts)), expected.sample(counts))
    assert_same(got.sample_segments(variant(counts)), expected.sample_segments(counts))


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.__name__)
def test_update_priorities_takes_equal_dtypes_and_any_layout(variant: Variant) -> None:
    task = np.array([0, 1, 1], np.int64)
    index = np.array([2, 0, 5], np.int64)
    priority = np.array([5.0, 0.5, 3.0])
    expected, got = filled(None), filled(None)
    expected.update_priorities(task, index, priority)
    got.update_priorities(variant(task), variant(index), variant(priority))
    assert_same(got.sample(6), expected.sample(6))


@pytest.mark.parametrize(
    ("capacity", "alpha", "priority"),
    [
        (8, 1.0, 1e308),  # the leaf itself is finite, the tree sum is not
        (8, 1.0, sys.float_info.max),
        (8, 100.0, 1e4),  # 1e4 ** 100 overflows
        (8, 2.0, 1e160),
        (2**20, 1.0, 1e303),  # fine alone, 2**20 of them overflow the sum
    ],
)
def test_priorities_that_overflow_are_refused(capacity: int, alpha: float, priority: float) -> None:
    def two_rows() -> ctpg.ReplayBuffer:
        rb = ctpg.ReplayBuffer(1, capacity, D, A, prioritized=True, alpha=alpha, seed=0)
        obs = np.zeros((1, D), np.float32)
        for _ in range(2):
            rb.add(obs, np.zeros((1, A)), np.zeros(1), obs, np.zeros(1, bool), np.zeros(1, bool))
        return rb

    rb, untouched = two_rows(), two_rows()
    with pytest.raises(ValueError, match=r"priority\[1\].*alpha"):
        rb.update_priorities(np.zeros(2, np.int64), np.arange(2), np.array([3.0, priority]))
    # Nothing changed: the draws and weights of a buffer that never saw the call.
    assert_same(rb.sample(64), untouched.sample(64))


def test_extreme_but_accepted_priorities_give_finite_weights() -> None:
    rb = ctpg.ReplayBuffer(1, 4, D, A, prioritized=True, alpha=1.0, beta=1.0, seed=0)
    obs = np.zeros((1, D), np.float32)
    for _ in range(4):
        rb.add(obs, np.zeros((1, A)), np.zeros(1), obs, np.zeros(1, bool), np.zeros(1, bool))
    rb.update_priorities(np.zeros(4, np.int64), np.arange(4), np.array([1e-300, 1e-20, 1.0, 1e295]))
    b = rb.sample(2000)
    assert np.all(np.isfinite(b["weight"])) and np.all(b["weight"] >= 0)
    assert b["weight"].max() == 1.0


@pytest.mark.parametrize("alpha", [float("inf"), float("nan"), -1.0])
def test_alpha_must_be_finite(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        ctpg.ReplayBuffer(1, 4, D, A, prioritized=True, alpha=alpha)


@pytest.mark.parametrize("seed", [True, np.bool_(False), 1.5, "0", -1, 2**63])
def test_seed_must_be_a_non_negative_int(seed: object) -> None:
    with pytest.raises(ValueError, match="seed"):
        ctpg.ReplayBuffer(1, 4, D, A, seed=seed)


def test_numpy_integer_seed_is_the_same_seed() -> None:
    a = ctpg.ReplayBuffer(1, 4, D, A, seed=np.uint16(9))
    b = ctpg.ReplayBuffer(1, 4, D, A, seed=9)
    for rb in (a, b):
        obs = np.arange(4 * D, dtype=np.float32).reshape(4, 1, D)
        for o in obs:
            rb.add(o, np.zeros((1, A)), np.zeros(1), o, np.zeros(1, bool), np.zeros(1, bool))
    assert_same(a.sample(8), b.sample(8))


def test_errors_name_the_argument_instead_of_a_cast_failure() -> None:
    rb = filled(None)
    with pytest.raises(ValueError, match="batch_per_task"):
        rb.sample(2**63)
    with pytest.raises(ValueError, match="batch_per_task"):
        rb.sample_segments(-(2**64))
    row = rows(1)[0] | {"obs": np.full((T, D), 1e300)}
    with pytest.raises(ValueError, match=r"obs holds 1e\+300 .*float32 range"):
        rb.add(**row)


def test_empty_lists_are_empty_updates() -> None:
    rb, untouched = filled(None), filled(None)
    rb.update_priorities([], [], [])
    assert_same(rb.sample(6), untouched.sample(6))


@pytest.mark.parametrize("dtype", ["U1", "S1", object])
def test_empty_arrays_of_any_dtype_are_empty(dtype: object) -> None:
    rb, untouched = filled(None), filled(None)
    empty = np.array([], dtype=dtype)
    rb.update_priorities(empty, empty, empty)
    assert_same(rb.sample(6), untouched.sample(6))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("num_tasks", True),
        ("capacity_per_task", 4.0),
        ("obs_dim", "3"),
        ("action_dim", 2**64),
        ("guide_step", None),
        ("prioritized", 1),
        ("prioritized", "yes"),
    ],
)
def test_constructor_arguments_of_the_wrong_type_are_named(name: str, value: object) -> None:
    kwargs: dict[str, object] = {
        "num_tasks": 1,
        "capacity_per_task": 4,
        "obs_dim": D,
        "action_dim": A,
        name: value,
    }
    with pytest.raises(ValueError, match=name):
        ctpg.ReplayBuffer(**kwargs)
    ctpg.ReplayBuffer(np.int32(1), np.uint64(4), D, A, np.int8(2), np.bool_(True))


@pytest.mark.parametrize(("name", "value"), [("alpha", "0.6"), ("beta", True), ("alpha", None)])
def test_exponents_that_are_not_numbers_are_named(name: str, value: object) -> None:
    with pytest.raises(ValueError, match=f"{name} must be a real number"):
        ctpg.ReplayBuffer(1, 4, D, A, prioritized=True, **{name: value})
    rb = filled(None)
    with pytest.raises(ValueError, match="beta must be a real number"):
        rb.beta = "0.5"  # type: ignore[assignment]
    rb.beta = np.float32(0.5)
    assert rb.beta == 0.5


def test_index_and_priority_lengths_are_compared_with_task() -> None:
    rb = filled(None)
    task = np.array([0, 1], np.int64)
    with pytest.raises(ValueError, match=r"index must have 2 entries \(one per entry of task\)"):
        rb.update_priorities(task, np.array([0, 1, 2], np.int64), np.ones(2))
    with pytest.raises(ValueError, match=r"priority must have 2 entries \(one per entry of task\)"):
        rb.update_priorities(task, np.array([0, 1], np.int64), np.ones(1))


def test_requests_larger_than_memory_are_a_memory_error_naming_them() -> None:
    """Within every range, but more bytes than exist (or than a size_t holds)."""
    with pytest.raises(MemoryError, match=r"ReplayBuffer\(num_tasks=32767, capacity_per_task="):
        ctpg.ReplayBuffer(32767, 2**31 - 1, 2**20, 2**20)
    rb = ctpg.ReplayBuffer(T, 8, 2**20, A, guide_step=2**20)
    rb.add(
        np.zeros((T, 2**20)),
        np.zeros((T, A)),
        np.zeros(T),
        np.zeros((T, 2**20)),
        np.zeros(T, bool),
        np.zeros(T, bool),
    )
    with pytest.raises(MemoryError, match=r"sample_segments: 4294967296 segments"):
        rb.sample_segments(2**31)
