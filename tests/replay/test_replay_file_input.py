"""save/load under bad paths and crafted files: ValueError naming the problem,
no stray files, nothing allocated before the header is checked."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import numpy as np
import pytest

import ctpg

D, A = 4, 2
# magic, version, 5 x int64 config, uint8 prioritized, alpha, beta, seed, RNG state
CONFIG_AT = 12
BODY_AT = 12 + 5 * 8 + 1 + 3 * 8 + 4 * 8


def checksum(data: bytes) -> int:
    """The file's checksum (replay_file.cpp), to craft files that pass it."""
    mask = 2**64 - 1
    h = 0x6A09E667F3BCC908 ^ len(data)
    whole = len(data) // 8 * 8
    for (word,) in struct.iter_unpack("<Q", data[:whole]):
        h = ((h ^ word) * 0x9E3779B97F4A7C15) & mask
        h ^= h >> 29
    for byte in data[whole:]:
        h = ((h ^ byte) * 0x100000001B3) & mask
        h ^= h >> 29
    return h


def rewrite(path: Path, edit: dict[int, bytes]) -> None:
    """Patches bytes of a saved file at the given offsets and recomputes its checksum."""
    body = bytearray(path.read_bytes()[:-8])
    for at, data in edit.items():
        body[at : at + len(data)] = data
    path.write_bytes(bytes(body) + struct.pack("<Q", checksum(bytes(body))))


def small(obs_dim: int = D) -> ctpg.ReplayBuffer:
    rb = ctpg.ReplayBuffer(1, 8, obs_dim, A, prioritized=True, seed=0)
    for i in range(3):
        obs = np.full((1, obs_dim), i, np.float32)
        rb.add(obs, np.zeros((1, A)), np.ones(1), obs + 1, np.zeros(1, bool), np.zeros(1, bool))
    return rb


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_unchanged_file_round_trips(tmp_path: Path) -> None:
    small().save(tmp_path / "r.bin")
    rewrite(tmp_path / "r.bin", {})
    np.testing.assert_array_equal(ctpg.ReplayBuffer.load(tmp_path / "r.bin").sizes(), [3])


@pytest.mark.parametrize("path", [b"x.bin", 3, None])
def test_paths_are_str_or_pathlike_only(tmp_path: Path, path: object) -> None:
    with pytest.raises(ValueError, match="path must be a str or os.PathLike"):
        small().save(path)
    with pytest.raises(ValueError, match="path must be a str or os.PathLike"):
        ctpg.ReplayBuffer.load(path)
    assert os.listdir(tmp_path) == []


def test_pathlike_of_bytes_is_refused(tmp_path: Path) -> None:
    class BytesPath(os.PathLike[bytes]):
        def __fspath__(self) -> bytes:
            return b"x.bin"

    with pytest.raises(ValueError, match="path"):
        small().save(BytesPath())
    assert os.listdir(tmp_path) == []


def test_nul_in_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="NUL"):
        small().save(str(tmp_path / "a\0b.bin"))
    with pytest.raises(ValueError, match="NUL"):
        ctpg.ReplayBuffer.load(tmp_path / "a\0b.bin")
    assert os.listdir(tmp_path) == []


def test_failed_save_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="cannot move") as error:
        small().save(tmp_path / "d")
    assert error.value.filename == str(tmp_path / "d")
    assert sorted(os.listdir(tmp_path)) == ["d"]


def test_loading_a_directory_names_it(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError, match="cannot load") as error:
        ctpg.ReplayBuffer.load(tmp_path / "d")
    assert error.value.filename == str(tmp_path / "d")


def test_short_file_is_truncated_not_bad_magic(tmp_path: Path) -> None:
    small().save(tmp_path / "r.bin")
    (tmp_path / "r.bin").write_bytes((tmp_path / "r.bin").read_bytes()[:10])
    with pytest.raises(ValueError, match="truncated: only 10 bytes"):
        ctpg.ReplayBuffer.load(tmp_path / "r.bin")


def test_huge_capacity_is_refused_before_allocating(tmp_path: Path) -> None:
    small(obs_dim=1000).save(tmp_path / "r.bin")
    rewrite(tmp_path / "r.bin", {CONFIG_AT + 8: struct.pack("<q", 2**31 - 1)})
    with pytest.raises(ValueError, match="GB of storage"):
        ctpg.ReplayBuffer.load(tmp_path / "r.bin")


def test_size_beyond_the_file_is_refused_before_allocating(tmp_path: Path) -> None:
    small().save(tmp_path / "r.bin")
    rewrite(tmp_path / "r.bin", {CONFIG_AT + 16: struct.pack("<q", 2**20)})  # obs_dim
    with pytest.raises(ValueError, match="corrupted: ends before its data"):
        ctpg.ReplayBuffer.load(tmp_path / "r.bin")


@pytest.mark.parametrize(
    ("offset", "value", "what"),
    [
        (BODY_AT + 24, np.nan, "pending next_obs"),  # task 0's pending next obs
        (BODY_AT + 24 + 4 * D, np.inf, "record"),  # obs of the oldest row
        (BODY_AT + 24 + 4 * D + 4 * (D + A), np.nan, "record"),  # its reward
    ],
)
def test_non_finite_records_are_refused(
    tmp_path: Path, offset: int, value: float, what: str
) -> None:
    small().save(tmp_path / "r.bin")
    rewrite(tmp_path / "r.bin", {offset: struct.pack("<f", value)})
    with pytest.raises(ValueError, match=f"corrupted: a {what} of task 0 holds"):
        ctpg.ReplayBuffer.load(tmp_path / "r.bin")


def test_overflowing_priority_in_a_file_is_refused(tmp_path: Path) -> None:
    small().save(tmp_path / "r.bin")
    data = (tmp_path / "r.bin").read_bytes()
    leaves_at = len(data) - 8 - 3 * 8
    rewrite(tmp_path / "r.bin", {leaves_at: struct.pack("<d", 1e308)})
    with pytest.raises(ValueError, match="bad priority"):
        ctpg.ReplayBuffer.load(tmp_path / "r.bin")
