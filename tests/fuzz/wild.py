"""Hypothesis strategies for what a caller may pass instead of a valid argument.

``wild(valid)`` draws values related to ``valid`` (the same array in another dtype, byte
order, layout or shape, with arbitrary values, as a list) or not related at all (None, bools,
huge ints, NaN, strings, bytes, containers, numpy scalars). Many of them are still valid
(an int32 array where int64 is expected); the fuzz tests accept either outcome as long as a
refusal is a clear error.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

NUMERIC_DTYPES = [
    np.dtype(t)
    for t in (
        "bool",
        "int8",
        "int16",
        "int32",
        "int64",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "float16",
        "float32",
        "float64",
        "longdouble",
        "complex64",
        "complex128",
    )
]
OTHER_DTYPES = [np.dtype(t) for t in ("U4", "S4", "M8[s]", "m8[s]", "O")]

JUNK: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2**31,
    2**63,
    2**64,
    -(2**63) - 1,
    10**400,
    0.5,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    1e300,
    1j,
    "",
    "x",
    "0",
    b"x",
    bytearray(b"1"),
    [],
    [[]],
    [None],
    (),
    {},
    {"a": 1},
    set(),
    object(),
    slice(1),
    np.int8(3),
    np.uint64(2**64 - 1),
    np.float32(math.nan),
    np.float64(2.5),
    np.bool_(True),
    np.array(3),
    np.array([]),
    np.array(["a", "b"]),
    np.array([object(), None]),
]


def _quietly(fn: Any, *args: Any) -> Any:
    """Casts may warn (NaN to int, overflow); a warning is not what is tested here."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*args)


def _relayout(a: np.ndarray, dtype: np.dtype, swap: bool, strided: bool, read_only: bool) -> Any:
    def build() -> Any:
        try:
            out = a.astype(dtype)
        except (TypeError, ValueError):
            return a.tolist()
        if swap and out.dtype.byteorder not in ("|",):
            out = out.astype(out.dtype.newbyteorder())
        if strided and out.ndim > 0:
            out = np.repeat(out, 2, axis=-1)[..., ::2]
        if read_only:
            out.flags.writeable = False
        return out

    return _quietly(build)


def _special_elements(dtype: np.dtype) -> st.SearchStrategy[Any]:
    if dtype.kind == "f":
        special = [math.nan, math.inf, -math.inf, 1e300, -1e300, 3.5e38, -0.0, 1e-310]
        width = 16 if dtype.itemsize == 2 else 32 if dtype.itemsize == 4 else 64
        finite = st.floats(allow_nan=False, allow_infinity=False, width=width)
        return st.one_of(finite, st.sampled_from(special)).map(lambda x: _quietly(dtype.type, x))
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(int(info.min), int(info.max))
    return hnp.from_dtype(dtype)


@st.composite
def _with_values(draw: st.DrawFn, shape: tuple[int, ...]) -> np.ndarray:
    dtype = draw(st.sampled_from([d for d in NUMERIC_DTYPES if d.kind in "biuf"]))
    if dtype.kind == "f" and dtype.itemsize > 8:
        dtype = np.dtype("float64")
    return draw(hnp.arrays(dtype, shape, elements=_special_elements(dtype)))


def arrays_like(valid: np.ndarray) -> st.SearchStrategy[Any]:
    """The valid array in other forms, with other values, or with another shape."""
    relaid = st.builds(
        _relayout,
        st.just(valid),
        st.sampled_from(NUMERIC_DTYPES + OTHER_DTYPES),
        st.booleans(),
        st.booleans(),
        st.booleans(),
    )
    other_shape = hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5)
    return st.one_of(
        relaid,
        _with_values(valid.shape),
        other_shape.flatmap(_with_values),
        st.just(valid.tolist()),
        st.just(valid[..., :0] if valid.ndim else valid.reshape(1)),
    )


def scalars() -> st.SearchStrategy[Any]:
    """Numbers of every kind near the edges of the ranges bindings check."""
    edges = [-(2**64), -(2**63), -1, 0, 1, 2, 2**15, 2**20, 2**24, 2**31, 2**62, 2**63, 2**64]
    return st.one_of(
        st.sampled_from(edges),
        st.integers(-(2**70), 2**70),
        st.integers(-3, 40),
        st.floats(),
        st.sampled_from([np.int32, np.int64, np.uint8, np.float32, np.float64]).flatmap(
            lambda t: st.integers(0, 100).map(t)
        ),
    )


def wild(valid: Any) -> st.SearchStrategy[Any]:
    """What a caller might pass instead of ``valid``."""
    junk = st.one_of(
        st.sampled_from(JUNK),
        st.text(max_size=6),
        st.lists(st.integers(-5, 5), max_size=4),
        scalars(),
    )
    if isinstance(valid, np.ndarray):
        return st.one_of(arrays_like(valid), junk)
    if isinstance(valid, list | tuple):
        items = [wild(v) for v in valid] if valid else [junk]
        return st.one_of(
            junk,
            # one element replaced, or the list longer or shorter
            st.integers(0, max(len(valid) - 1, 0)).flatmap(
                lambda i: items[min(i, len(items) - 1)].map(
                    lambda v: [*valid[:i], v, *valid[i + 1 :]]
                )
            ),
            st.just(list(valid[:-1])),
            st.just([*valid, *valid[-1:]]),
            st.just(tuple(valid)),
        )
    if isinstance(valid, dict) and valid:
        keys = sorted(valid)
        return st.one_of(
            junk,
            st.sampled_from(keys).map(lambda k: {x: v for x, v in valid.items() if x != k}),
            st.sampled_from(keys).flatmap(lambda k: wild(valid[k]).map(lambda v: {**valid, k: v})),
        )
    return junk
