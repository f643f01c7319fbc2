"""Arrays that are valid but unusual at a binding: each variant holds the values of ``a``.

An equal dtype that is not numpy's own object (pickle), another byte order, a strided view,
a read-only buffer and dtype metadata must all give the result of the plain array.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable

import numpy as np

Variant = Callable[[np.ndarray], np.ndarray]


def pickled(a: np.ndarray) -> np.ndarray:
    out: np.ndarray = pickle.loads(pickle.dumps(a))
    assert out.dtype == a.dtype and out.dtype is not a.dtype
    return out


def byteswapped(a: np.ndarray) -> np.ndarray:
    return a.astype(a.dtype.newbyteorder())


def strided(a: np.ndarray) -> np.ndarray:
    out = np.repeat(a, 2, axis=-1)[..., ::2]
    assert not out.flags.c_contiguous and np.array_equal(out, a)
    return out


def read_only(a: np.ndarray) -> np.ndarray:
    out = a.copy()
    out.flags.writeable = False
    return out


def with_metadata(a: np.ndarray) -> np.ndarray:
    out = a.astype(np.dtype(a.dtype, metadata={"a": 1}))
    assert out.dtype.metadata == {"a": 1}
    return out


VARIANTS: list[Variant] = [pickled, byteswapped, strided, read_only, with_metadata]
