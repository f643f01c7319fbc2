"""The harness the fuzz tests rely on reports crashes and hangs instead of dying with them."""

from __future__ import annotations

import ctypes
import os
import signal
import time

from isolated import run_isolated


def test_a_returned_value_comes_back() -> None:
    outcome = run_isolated(lambda: {"a": [1, 2]})
    assert outcome.kind == "returned" and outcome.value == {"a": [1, 2]}


def test_an_exception_comes_back_with_its_type_and_message() -> None:
    def fail() -> None:
        raise ValueError("x must be 1")

    outcome = run_isolated(fail)
    assert outcome.kind == "raised"
    assert (outcome.error_type, outcome.message) == ("ValueError", "x must be 1")


def test_a_segfault_is_a_crash() -> None:
    outcome = run_isolated(lambda: ctypes.string_at(0))
    assert outcome.kind == "crashed" and "SIGSEGV" in outcome.message


def test_an_abort_is_a_crash() -> None:
    outcome = run_isolated(lambda: os.kill(os.getpid(), signal.SIGABRT))
    assert outcome.kind == "crashed" and "SIGABRT" in outcome.message


def test_a_child_that_never_answers_is_a_hang() -> None:
    start = time.monotonic()
    outcome = run_isolated(lambda: time.sleep(60), timeout=0.5)
    assert outcome.kind == "hung" and time.monotonic() - start < 10


def test_an_allocation_beyond_the_cap_fails_in_the_child() -> None:
    outcome = run_isolated(lambda: len(bytearray(3 << 30)), memory_bytes=1 << 30)
    assert outcome.kind == "raised" and outcome.error_type == "MemoryError"


def test_the_child_runs_in_the_folder_given(tmp_path) -> None:  # type: ignore[no-untyped-def]
    outcome = run_isolated(lambda: os.getcwd(), cwd=tmp_path)
    assert outcome.value == str(tmp_path) and os.getcwd() != str(tmp_path)
