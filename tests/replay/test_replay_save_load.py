"""save/load: contents and sampler state survive a round trip; damaged files raise."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ctpg

T, D, A, K = 3, 4, 2, 3


def filled(prioritized: bool) -> ctpg.ReplayBuffer:
    rb = ctpg.ReplayBuffer(T, 20, D, A, guide_step=K, prioritized=prioritized, seed=11)
    rng = np.random.default_rng(0)
    obs = rng.normal(size=(T, D)).astype(np.float32)
    for _n in range(33):
        nxt = rng.normal(size=(T, D)).astype(np.float32)
        done = rng.random(T) < 0.15
        rb.add(
            obs,
            rng.normal(size=(T, A)),
            rng.normal(size=T),
            nxt,
            done,
            np.zeros(T, bool),
            rng.integers(0, T, T),
            rng.random(T) < 0.4,
        )
        obs = np.where(done[:, None], rng.normal(size=(T, D)), nxt).astype(np.float32)
    if prioritized:
        rb.update_priorities(
            np.repeat(np.arange(T), 20), np.tile(np.arange(20), T), rng.random(T * 20) * 3
        )
    rb.sample(5)  # move the sampler state away from the seed
    return rb


def assert_same_samples(a: ctpg.ReplayBuffer, b: ctpg.ReplayBuffer) -> None:
    for _ in range(3):
        x, y = a.sample(np.array([7, 0, 5])), b.sample(np.array([7, 0, 5]))
        for key in x:
            np.testing.assert_array_equal(x[key], y[key], err_msg=key)
        x, y = a.sample_segments(4), b.sample_segments(4)
        for key in x:
            np.testing.assert_array_equal(x[key], y[key], err_msg=key)


@pytest.mark.parametrize("prioritized", [False, True])
def test_round_trip_restores_contents_and_sampler(tmp_path: Path, prioritized: bool) -> None:
    rb = filled(prioritized)
    path = tmp_path / "replay.bin"
    rb.save(path)
    assert not (tmp_path / "replay.bin.tmp").exists()
    loaded = ctpg.ReplayBuffer.load(str(path))
    np.testing.assert_array_equal(loaded.sizes(), rb.sizes())
    assert loaded.nbytes == rb.nbytes
    assert (loaded.prioritized, loaded.guide_step, loaded.obs_dim) == (prioritized, K, D)
    assert_same_samples(rb, loaded)
    # Both continue identically after more rows (episode continuation included).
    obs = np.full((T, D), 0.25, np.float32)
    for buf in (rb, loaded):
        buf.add(obs, np.ones((T, A)), np.ones(T), obs + 1, np.zeros(T, bool), np.zeros(T, bool))
    assert_same_samples(rb, loaded)


def test_loaded_copy_is_independent(tmp_path: Path) -> None:
    rb = filled(False)
    rb.save(tmp_path / "a.bin")
    loaded = ctpg.ReplayBuffer.load(tmp_path / "a.bin")
    loaded.add(
        np.zeros((T, D)),
        np.zeros((T, A)),
        np.zeros(T),
        np.zeros((T, D)),
        np.zeros(T, bool),
        np.zeros(T, bool),
    )

    def has_zero_row(buf: ctpg.ReplayBuffer) -> bool:
        return bool((buf.sample(np.array([0, 0, 200]))["obs"] == 0).all(axis=1).any())

    assert has_zero_row(loaded) and not has_zero_row(rb)  # the new row is only in the copy
    np.testing.assert_array_equal(rb.sizes(), [20, 20, 20])


def test_truncated_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "r.bin"
    filled(True).save(path)
    data = path.read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 13, 0):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="corrupted or truncated|not a ctpg replay file"):
            ctpg.ReplayBuffer.load(path)


def test_corrupted_file_raises(tmp_path: Path) -> None:
    path = tmp_path / "r.bin"
    filled(False).save(path)
    data = bytearray(path.read_bytes())
    for pos in (20, len(data) // 2, len(data) - 12, len(data) - 1):
        bad = bytearray(data)
        bad[pos] ^= 0x10
        path.write_bytes(bytes(bad))
        with pytest.raises(ValueError, match="corrupted or truncated"):
            ctpg.ReplayBuffer.load(path)
    bad = bytearray(data)
    bad[0:8] = b"NOTREPLY"
    path.write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="not a ctpg replay file"):
        ctpg.ReplayBuffer.load(path)
    bad = bytearray(data)
    bad[8] = 99
    path.write_bytes(bytes(bad))
    with pytest.raises(ValueError, match="format version 99"):
        ctpg.ReplayBuffer.load(path)


def test_missing_file_and_unwritable_path_raise(tmp_path: Path) -> None:
    """File-system failures are OSError with errno and the file name, as open() raises."""
    with pytest.raises(FileNotFoundError, match="cannot open") as missing:
        ctpg.ReplayBuffer.load(tmp_path / "missing.bin")
    assert missing.value.filename == str(tmp_path / "missing.bin")
    with pytest.raises(FileNotFoundError, match="cannot write") as unwritable:
        filled(False).save(tmp_path / "no" / "such" / "dir.bin")
    assert unwritable.value.filename == str(tmp_path / "no" / "such" / "dir.bin.tmp")
