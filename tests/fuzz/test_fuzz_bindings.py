"""Every binding entry point, fed wild arguments one at a time, each call in a forked child.

For each drawn call: one argument is replaced by a wild value (wild.py), the others stay
valid. The call must not crash or hang; it either returns a sane result (finite outputs, a
buffer that still samples) or raises ValueError, TypeError, MemoryError or (from the file
system) OSError whose message names the replaced argument; after a refusal the object's
state equals that of a twin that was never called.
The short profile runs by default; ``-m slow`` runs the long one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from entries import (
    VALUE,
    Entry,
    env_entries,
    module_entries,
    replay_entries,
    scheduler_entries,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from isolated import Outcome, run_isolated
from wild import wild

# OSError and its subclasses (FileNotFoundError, ...) come from the file system.
REFUSALS = ("ValueError", "TypeError", "MemoryError", "OSError")
PROFILES = [
    pytest.param(12, id="short"),
    pytest.param(300, id="long", marks=pytest.mark.slow),
]


def same(a: Any, b: Any) -> bool:
    """Equality of nested containers of arrays, NaN equal to NaN."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def probe(entry: Entry, args: dict[str, Any]) -> dict[str, Any]:
    """In the child: make the call on one object, compare it with an untouched twin if refused."""
    target, twin = entry.make(), entry.make()
    try:
        result = entry.call(target, args)
    except (ValueError, TypeError, MemoryError, OSError, RuntimeError) as e:
        kind = "OSError" if isinstance(e, OSError) else type(e).__name__
        unchanged = same(entry.state(target), entry.state(twin))
        return {"refused": (kind, str(e)), "unchanged": unchanged}
    entry.check(target, result)  # an AssertionError here comes back as a failure
    return {"refused": None}


def judge(entry: Entry, name: str, value: Any, outcome: Outcome) -> None:
    call = f"{entry.name}({name}={value!r:.200})"
    assert outcome.kind == "returned", f"{call}: {outcome.describe()}\n{outcome.value or ''}"
    refused = outcome.value["refused"]
    if refused is None:
        return
    error_type, message = refused
    assert error_type in REFUSALS + entry.also_refused, f"{call}: {error_type}: {message}"
    aliases = entry.aliases.get(name, ())
    shown = [str(value), repr(value)] if VALUE in aliases and str(value) else []
    names = (name, *aliases, *shown)
    assert any(n in message for n in names), f"{call}: the message does not name {name}: {message}"
    assert outcome.value["unchanged"], f"{call} was refused ({message}) but changed the object"


def all_entries(scratch: Path) -> list[Entry]:
    return [*replay_entries(scratch), *scheduler_entries(), *env_entries(), *module_entries()]


ENTRY_NAMES = [
    "ReplayBuffer",
    "ReplayBuffer.add",
    "ReplayBuffer.sample",
    "ReplayBuffer.sample_segments",
    "ReplayBuffer.update_priorities",
    "ReplayBuffer.beta",
    "ReplayBuffer.save",
    "ReplayBuffer.load",
    "GuideScheduler",
    "GuideScheduler.set_behaviour",
    "GuideScheduler.end_step",
    "GuideScheduler.set_blocked",
    "GuideScheduler.load_state_dict",
    "VecEnv",
    "VecEnv.reset",
    "VecEnv.step",
    "VecEnv.step_async",
    "VecEnv.freeze_task_vectors",
    "VecEnv.set_state",
    "VecEnv.get_state",
    "simulate_xml",
    "thread_pool_check",
]


def entry_named(name: str, scratch: Path) -> Entry:
    entries = {e.name: e for e in all_entries(scratch)}
    assert set(entries) == set(ENTRY_NAMES), "ENTRY_NAMES must list every entry"
    return entries[name]


@pytest.mark.parametrize("name", ENTRY_NAMES)
def test_the_valid_call_succeeds(name: str, tmp_path: Path) -> None:
    """The fuzz starts from a call that works, so refusals come from the wild argument."""
    entry = entry_named(name, tmp_path)
    outcome = run_isolated(lambda: probe(entry, entry.valid()), cwd=tmp_path)
    assert outcome.kind == "returned", outcome.describe()
    assert outcome.value["refused"] is None, outcome.value


@pytest.mark.parametrize("examples", PROFILES)
@pytest.mark.parametrize("name", ENTRY_NAMES)
def test_wild_arguments(name: str, examples: int, tmp_path: Path) -> None:
    entry = entry_named(name, tmp_path)
    valid = entry.valid()

    def argument(arg: str) -> st.SearchStrategy[tuple[str, Any]]:
        values = wild(valid[arg])
        if arg in entry.extra:
            values = values | entry.extra[arg]
        return values.map(lambda v: (arg, v))

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.sampled_from(sorted(valid)).flatmap(argument))
    def fuzz(drawn: tuple[str, Any]) -> None:
        arg, value = drawn
        # relative paths drawn for files land in the test's own folder
        outcome = run_isolated(lambda: probe(entry, {**valid, arg: value}), cwd=tmp_path)
        judge(entry, arg, value, outcome)

    fuzz()
