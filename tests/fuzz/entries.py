"""Every entry point of the native bindings, as the fuzz tests call it.

An ``Entry`` says how to build the object a call acts on (in the forked child, twice: one
gets the call, its twin does not), which arguments make a valid call, how to make the call,
what of the object's state must not change when the call is refused, and what a successful
call must give.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from ctpg import _core
from ctpg.tasks import gymnasium_asset_dir, metaworld_asset_dir


@dataclass(frozen=True)
class Entry:
    name: str
    valid: Callable[[], dict[str, Any]]
    call: Callable[[Any, dict[str, Any]], Any]
    make: Callable[[], Any] = lambda: None
    state: Callable[[Any], Any] = lambda target: None
    check: Callable[[Any, Any], None] = lambda target, result: None
    # refusals besides ValueError, TypeError, MemoryError and OSError: RuntimeError where the
    # system refuses a worker thread
    also_refused: tuple[str, ...] = ()
    # more values drawn for an argument, besides wild(valid value)
    extra: dict[str, st.SearchStrategy[Any]] = field(default_factory=dict)
    # more words that count as naming an argument in an error message; VALUE stands for
    # the argument's value as text (a file name)
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)


VALUE = "<value>"


def assert_finite(**arrays: Any) -> None:
    for name, a in arrays.items():
        a = np.asarray(a)
        if a.dtype.kind in "fc":
            assert np.isfinite(a).all(), f"{name} holds non-finite values"


# ---- ReplayBuffer ------------------------------------------------------------------------

T, CAPACITY, D, A, K = 2, 8, 3, 2, 3


def replay_rows(n: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    return [
        {
            "obs": rng.normal(size=(T, D)).astype(np.float32),
            "action": rng.normal(size=(T, A)).astype(np.float32),
            "reward": rng.normal(size=T).astype(np.float32),
            "next_obs": rng.normal(size=(T, D)).astype(np.float32),
            "terminated": np.array([i == 4, False]),
            "truncated": np.array([False, i == 6]),
            "behaviour": np.array([i % T, 1], np.int64),
            "guide_begin": np.array([i % K == 0, True]),
        }
        for i in range(n)
    ]


def replay_buffer() -> _core.ReplayBuffer:
    rb = _core.ReplayBuffer(T, CAPACITY, D, A, guide_step=K, prioritized=True, seed=1)
    for row in replay_rows(11):  # wraps around the capacity
        rb.add(**row)
    return rb


def replay_state(rb: _core.ReplayBuffer, scratch: Path) -> tuple[Any, ...]:
    """Everything a buffer holds: its file has the rows, the sum-trees and the RNG state."""
    path = scratch / f"state-{os.getpid()}-{id(rb)}.bin"
    rb.save(str(path))
    data = path.read_bytes()
    path.unlink()
    return (rb.sizes().tolist(), rb.beta, data)


def check_sample(rb: _core.ReplayBuffer, batch: dict[str, np.ndarray]) -> None:
    batch = {k: v[:100_000] for k, v in batch.items()}  # a huge batch is checked in part
    assert_finite(**batch)
    if "weight" in batch:
        assert np.all(batch["weight"] > 0), "weights must be > 0"
    sizes = rb.sizes()
    assert np.all((batch["index"] >= 0) & (batch["index"] < sizes[batch["task"]]))


def check_empty(_: Any, rb: _core.ReplayBuffer) -> None:
    assert rb.nbytes > 0 and rb.sizes().tolist() == [0] * rb.num_tasks


def check_sampling_still_works(rb: _core.ReplayBuffer, _: Any) -> None:
    check_sample(rb, rb.sample(4))
    check_sample(rb, rb.sample_segments(4))


@dataclass(frozen=True)
class ReplayFile:
    """A file for ReplayBuffer.load: a valid file cut, flipped at a byte, or extended."""

    cut: int | None
    flip: int | None
    extra: bytes

    def write(self, good: Path, scratch: Path) -> str:
        data = bytearray(good.read_bytes())
        if self.flip is not None:
            data[self.flip % len(data)] ^= 0x5A
        if self.cut is not None:
            data = data[: self.cut % (len(data) + 1)]
        path = scratch / f"case-{os.getpid()}.bin"
        path.write_bytes(bytes(data) + self.extra)
        return str(path)


def replay_entries(scratch: Path) -> list[Entry]:
    """Entries of ReplayBuffer; ``scratch`` is a folder for the files the calls write."""
    good = scratch / "good.bin"
    replay_buffer().save(str(good))
    paths = st.sampled_from(
        [
            str(scratch),
            str(scratch / "missing" / "x.bin"),
            "",
            str(scratch / "a\0b"),
            str(scratch / "x.bin").encode(),
            scratch / "x.bin",
        ]
    )
    files = st.builds(
        ReplayFile,
        st.none() | st.integers(0, 1 << 20),
        st.none() | st.integers(0, 1 << 20),
        st.sampled_from([b"", b"\0", b"x" * 100]),
    )

    def save(rb: _core.ReplayBuffer, args: dict[str, Any]) -> None:
        try:
            rb.save(args["path"])
        finally:
            stray = [p.name for p in scratch.iterdir() if p.name.endswith(".tmp")]
            assert not stray, f"save left temporary files {stray}"

    def load(_: Any, args: dict[str, Any]) -> _core.ReplayBuffer:
        path = args["path"]
        if isinstance(path, ReplayFile):
            path = path.write(good, scratch)
        return _core.ReplayBuffer.load(path)

    def set_beta(rb: _core.ReplayBuffer, args: dict[str, Any]) -> None:
        rb.beta = args["beta"]

    made = {
        "make": replay_buffer,
        "state": lambda rb: replay_state(rb, scratch),
        "check": check_sampling_still_works,
    }
    row = replay_rows(1)[0]
    return [
        Entry(
            "ReplayBuffer",
            lambda: {
                "num_tasks": T,
                "capacity_per_task": CAPACITY,
                "obs_dim": D,
                "action_dim": A,
                "guide_step": K,
                "prioritized": True,
                "alpha": 0.6,
                "beta": 0.4,
                "seed": 0,
            },
            lambda _, args: _core.ReplayBuffer(**args),
            check=check_empty,
        ),
        Entry("ReplayBuffer.add", lambda: dict(row), lambda rb, args: rb.add(**args), **made),
        Entry(
            "ReplayBuffer.sample",
            lambda: {"batch_per_task": np.array([3, 2], np.int64)},
            lambda rb, args: rb.sample(**args),
            make=replay_buffer,
            state=made["state"],
            check=check_sample,
        ),
        Entry(
            "ReplayBuffer.sample_segments",
            lambda: {"batch_per_task": 4},
            lambda rb, args: rb.sample_segments(**args),
            make=replay_buffer,
            state=made["state"],
            check=lambda rb, batch: assert_finite(**{k: v[:10_000] for k, v in batch.items()}),
        ),
        Entry(
            "ReplayBuffer.update_priorities",
            lambda: {
                "task": np.array([0, 1, 1], np.int64),
                "index": np.array([2, 0, 7], np.int64),
                "priority": np.array([0.5, 3.0, 1e-3]),
            },
            lambda rb, args: rb.update_priorities(**args),
            **made,
        ),
        Entry("ReplayBuffer.beta", lambda: {"beta": 0.7}, set_beta, **made),
        Entry(
            "ReplayBuffer.save",
            lambda: {"path": str(scratch / "saved.bin")},
            save,
            extra={"path": paths},
            aliases={"path": (str(scratch), VALUE)},
            **made,
        ),
        Entry(
            "ReplayBuffer.load",
            lambda: {"path": str(good)},
            load,
            check=lambda _, rb: check_sampling_still_works(rb, None),
            extra={"path": st.one_of(paths, files)},
            aliases={"path": (str(scratch), VALUE)},
        ),
    ]


# ---- GuideScheduler ----------------------------------------------------------------------

N = 3


def deciding_scheduler() -> tuple[_core.GuideScheduler, np.ndarray]:
    """A 3-env scheduler a few steps in, inside a step whose begin_step asked envs to choose,
    and those envs."""
    g = _core.GuideScheduler(N, 2, task_of_env=np.array([0, 1, 1], np.int64))
    for step in range(4):
        need = np.flatnonzero(g.begin_step())
        g.set_behaviour(need, (need + step) % 2)
        g.end_step(np.array([step == 1, False, False]))
    return g, np.flatnonzero(g.begin_step())


def scheduler() -> _core.GuideScheduler:
    return deciding_scheduler()[0]


def scheduler_entries() -> list[Entry]:
    made = {"make": scheduler, "state": lambda g: g.state_dict()}
    deciding = deciding_scheduler()[1]
    assert len(deciding) > 0
    return [
        Entry(
            "GuideScheduler",
            lambda: {"num_envs": N, "guide_step": 2, "task_of_env": np.array([0, 1, 1], np.int64)},
            lambda _, args: _core.GuideScheduler(**args),
        ),
        Entry(
            "GuideScheduler.set_behaviour",
            lambda: {"env_ids": deciding, "tasks": np.zeros(len(deciding), np.int64)},
            lambda g, args: g.set_behaviour(**args),
            **made,
        ),
        Entry(
            "GuideScheduler.end_step",
            lambda: {"done": np.array([False, True, False])},
            lambda g, args: g.end_step(**args),
            **made,
        ),
        Entry(
            "GuideScheduler.set_blocked",
            lambda: {"blocked": np.array([True, False, False])},
            lambda g, args: g.set_blocked(**args),
            **made,
        ),
        Entry(
            "GuideScheduler.load_state_dict",
            lambda: {"state_dict": scheduler().state_dict()},
            lambda g, args: g.load_state_dict(**args),
            **made,
        ),
    ]


# ---- VecEnv ------------------------------------------------------------------------------

TASKS = ["reach-v3", "push-v3"]


def vec_env() -> _core.VecEnv:
    env = _core.VecEnv(TASKS, metaworld_asset_dir(), gymnasium_asset_dir(), 3, 2, [500, 500])
    env.reset(seed=1)
    return env


def env_state(env: _core.VecEnv) -> tuple[Any, ...]:
    """What a rejected call could have changed: the episode's state and the task vectors
    (a frozen vector shows at the next reset)."""
    vectors = env.task_vectors()
    stepped = env.step(np.zeros((env.num_envs, env.action_dim), np.float32))
    obs = env.reset(seed=9)
    return (vectors, stepped, obs, env.task_vectors())


def check_outputs(_: Any, result: Any) -> None:
    arrays = result if isinstance(result, tuple) else () if result is None else (result,)
    assert_finite(**{f"output {i}": a for i, a in enumerate(arrays)})


def env_entries() -> list[Entry]:
    made = {"make": vec_env, "state": env_state, "check": check_outputs}
    probe = vec_env()
    nq, nv = 16, 15  # sawyer tasks: arm, gripper and object joints
    return [
        Entry(
            "VecEnv",
            lambda: {
                "task_names": list(TASKS),
                "metaworld_asset_dir": metaworld_asset_dir(),
                "gymnasium_asset_dir": gymnasium_asset_dir(),
                "seed": 3,
                "num_threads": 2,
                "max_episode_steps": [500, 500],
            },
            lambda _, args: _core.VecEnv(**args).reset(seed=0),
            check=check_outputs,
            also_refused=("RuntimeError",),
            extra={
                "task_names": st.lists(
                    st.sampled_from(["reach-v3", "push-v3", "halfcheetah-leg-big", "x", ""]),
                    max_size=3,
                ),
                "metaworld_asset_dir": st.sampled_from(
                    ["/", "/nonexistent", gymnasium_asset_dir()]
                ),
            },
        ),
        Entry("VecEnv.reset", lambda: {"seed": 5}, lambda e, args: e.reset(**args), **made),
        Entry(
            "VecEnv.step",
            lambda: {"actions": np.full((2, probe.action_dim), 0.3, np.float32), "with_info": True},
            lambda e, args: e.step(**args),
            **made,
        ),
        Entry(
            "VecEnv.step_async",
            lambda: {
                "actions": np.full((2, probe.action_dim), -0.2, np.float32),
                "with_info": False,
            },
            lambda e, args: (e.step_async(**args), e.step_wait())[1],
            **made,
        ),
        Entry(
            "VecEnv.freeze_task_vectors",
            lambda: {"vectors": [probe.task_vectors()[0], None]},
            lambda e, args: e.freeze_task_vectors(**args),
            **made,
        ),
        Entry(
            "VecEnv.set_state",
            lambda: {"env": 1, "qpos": np.full(nq, 0.1), "qvel": np.zeros(nv)},
            lambda e, args: e.set_state(**args),
            aliases={"qpos": ("set_state",), "qvel": ("set_state",)},
            **made,
        ),
        Entry(
            "VecEnv.get_state",
            lambda: {"env": 1},
            lambda e, args: e.get_state(**args),
            make=vec_env,
            state=env_state,
            check=lambda _, state: assert_finite(**state),
        ),
    ]


# ---- module functions --------------------------------------------------------------------

XML = """<mujoco><worldbody><body pos="0 0 1"><freejoint/>
<geom type="box" size=".1 .1 .1"/></body></worldbody></mujoco>"""


def module_entries() -> list[Entry]:
    return [
        Entry(
            "simulate_xml",
            lambda: {"xml": XML, "num_steps": 20},
            lambda _, args: _core.simulate_xml(**args),
            check=check_outputs,
            extra={"xml": st.integers(0, len(XML)).map(lambda i: XML[:i]) | st.text(max_size=40)},
        ),
        Entry(
            "thread_pool_check",
            lambda: {"num_threads": 3, "n": 8, "rounds": 2, "throw_at": -1},
            lambda _, args: _core.thread_pool_check(**args),
            also_refused=("RuntimeError",),
        ),
    ]
