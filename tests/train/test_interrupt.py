"""SIGINT / SIGTERM end a loop at a step boundary; sweeps pass the signal on to their trials."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import ctpg
from ctpg import interrupt
from ctpg.interrupt import StopForwarding, StopSignals, resume_command
from ctpg.sweep import run_command

TIMEOUT = 60  # seconds any child process or wait may take
PYTHON_PATH = str(Path(ctpg.__file__).resolve().parent.parent)

# A training loop stand-in: each step prints "begin N", works for STEP_SECONDS (polling, so
# it can say "pending" as soon as a stop is requested) and prints "end N".
LOOP = """
import signal, sys, time
if len(sys.argv) > 2:  # started as a Ray worker starts a trial: SIGINT blocked in every thread
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGTERM])
from ctpg.interrupt import StopSignals, resume_command
step_seconds = float(sys.argv[1])
step = 0
with StopSignals() as stop:
    print("ready", flush=True)
    while step < 1000 and not stop.requested:
        step += 1
        print(f"begin {step}", flush=True)
        said = False
        end = time.monotonic() + step_seconds
        while time.monotonic() < end:
            if stop.requested and not said:
                print("pending", flush=True)
                said = True
            time.sleep(0.01)
        print(f"end {step}", flush=True)
command = resume_command(["python", "-m", "ctpg.train", "--preset", "quick"])
print(stop.message(step, command), flush=True)
sys.exit(stop.exit_code)
"""

# A trial stand-in: on SIGINT / SIGTERM it writes the signal's name into RUN/marker and exits
# 128 + the signal number; it says it runs by creating RUN/started.
TRIAL = """
import pathlib, signal, sys, time
run = pathlib.Path(sys.argv[1])
def stop(signum, frame):
    (run / "marker").write_text(signal.Signals(signum).name)
    sys.exit(128 + signum)
signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)
(run / "started").write_text("")
time.sleep(120)
"""


def _env() -> dict[str, str]:
    path = os.pathsep.join([PYTHON_PATH, os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


def _loop(step_seconds: float, *blocked: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", LOOP, str(step_seconds), *blocked],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
    )


def _read_until(child: subprocess.Popen[str], wanted: str) -> list[str]:
    """Lines of the child's stdout up to and including ``wanted`` (fails at EOF)."""
    assert child.stdout is not None
    lines: list[str] = []
    while True:
        line = child.stdout.readline()
        if not line:
            child.kill()
            _, err = child.communicate(timeout=TIMEOUT)
            pytest.fail(f"child ended before {wanted!r}: {lines} {err}")
        lines.append(line.rstrip("\n"))
        if lines[-1] == wanted:
            return lines


def _wait_for(path: Path) -> None:
    """Until ``path`` exists (another process creates it), at most TIMEOUT seconds."""
    deadline = time.monotonic() + TIMEOUT
    while not path.exists():
        if time.monotonic() > deadline:
            pytest.fail(f"{path} did not appear within {TIMEOUT} s")
        time.sleep(0.02)


@pytest.mark.parametrize("blocked", [(), ("blocked",)], ids=["", "inherited-block"])
@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_finishes_the_step(signum: int, code: int, blocked: tuple[str, ...]) -> None:
    child = _loop(0.5, *blocked)
    try:
        _read_until(child, "ready")
        _read_until(child, "begin 1")
        os.kill(child.pid, signum)
        out, err = child.communicate(timeout=TIMEOUT)
    finally:
        child.kill()
    assert out.splitlines() == [
        "pending",
        "end 1",  # the step it was in finished, and no other began
        f"interrupted by {signal.Signals(signum).name} at step 1; checkpoint written; "
        "resume with: python -m ctpg.train --preset quick --resume",
    ]
    assert err == ""  # no traceback
    assert child.returncode == code


def test_second_sigint_aborts_at_once() -> None:
    child = _loop(step_seconds=TIMEOUT)  # a step that would outlast the test
    try:
        _read_until(child, "begin 1")
        os.kill(child.pid, signal.SIGINT)
        _read_until(child, "pending")
        started = time.monotonic()
        os.kill(child.pid, signal.SIGINT)
        out, err = child.communicate(timeout=TIMEOUT)
    finally:
        child.kill()
    assert time.monotonic() - started < TIMEOUT / 2
    assert "end 1" not in out
    assert "KeyboardInterrupt" in err
    assert child.returncode != 0


def test_second_sigterm_keeps_the_request() -> None:
    child = _loop(step_seconds=1.0)
    try:
        _read_until(child, "begin 1")
        os.kill(child.pid, signal.SIGTERM)
        _read_until(child, "pending")
        os.kill(child.pid, signal.SIGTERM)
        out, err = child.communicate(timeout=TIMEOUT)
    finally:
        child.kill()
    assert out.splitlines()[0] == "end 1"
    assert err == ""
    assert child.returncode == 143


def test_handlers_restored() -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    with StopSignals() as stop:
        assert stop.active
        assert signal.getsignal(signal.SIGINT) != before[signal.SIGINT]
        assert signal.getsignal(signal.SIGTERM) != before[signal.SIGTERM]
        os.kill(os.getpid(), signal.SIGTERM)  # recorded, not fatal
        assert stop.requested and stop.name == "SIGTERM" and stop.exit_code == 143
    assert not stop.active
    assert {s: signal.getsignal(s) for s in before} == before


def test_restored_after_an_exception() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(RuntimeError, match="boom"):
        with StopSignals():
            raise RuntimeError("boom")
    assert signal.getsignal(signal.SIGTERM) == before


def test_outside_the_main_thread_nothing_is_installed() -> None:
    before = signal.getsignal(signal.SIGTERM)
    seen: dict[str, Any] = {}

    def body() -> None:
        with StopSignals() as stop:
            seen["active"] = stop.active
            seen["handler"] = signal.getsignal(signal.SIGTERM)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join(TIMEOUT)
    assert seen == {"active": False, "handler": before}


def test_request_rules() -> None:
    stop = StopSignals()
    assert not stop.requested and stop.exit_code == 0 and stop.name == ""
    stop.request(signal.SIGTERM)
    stop.request(signal.SIGINT)  # after a SIGTERM: keeps the request
    stop.request(signal.SIGTERM)
    assert stop.signum == signal.SIGTERM
    stop = StopSignals()
    stop.request(signal.SIGINT)
    assert stop.exit_code == 130
    with pytest.raises(KeyboardInterrupt):
        stop.request(signal.SIGINT)
    assert stop.message(7, "x", saved=False) == (
        "interrupted by SIGINT at step 7; no checkpoint to resume from"
    )
    with pytest.raises(ValueError, match="signals: expected signal numbers, got 0"):
        StopSignals([0])


def test_resume_command() -> None:
    assert resume_command(["python", "-m", "ctpg.train", "--run-dir", "a b"]) == (
        "python -m ctpg.train --run-dir 'a b' --resume"
    )
    assert resume_command(["ctpg", "train", "--resume", "--seed", "1"]) == (
        "ctpg train --resume --seed 1"
    )
    assert resume_command(["ctpg", "train", "--", "x"]) == "ctpg train --resume -- x"
    with pytest.raises(ValueError, match="argv: expected the command line"):
        resume_command([])


@pytest.fixture
def children() -> Iterator[interrupt.Children]:
    """The process's registry, clean before and after (a forwarded stop is remembered)."""
    interrupt.CHILDREN.reset()
    yield interrupt.CHILDREN
    interrupt.CHILDREN.kill()
    interrupt.CHILDREN.reset()


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_sweep_forwards_to_local_trials(
    tmp_path: Path, children: interrupt.Children, signum: int, code: int
) -> None:
    runs = [tmp_path / "a", tmp_path / "b"]
    for run in runs:
        run.mkdir()
    results: dict[int, dict[str, Any]] = {}

    def trial(i: int) -> None:
        results[i] = run_command([sys.executable, "-c", TRIAL, str(runs[i])], str(runs[i]))

    threads = [threading.Thread(target=trial, args=(i,)) for i in range(2)]
    with StopForwarding(children) as stop:
        for thread in threads:
            thread.start()
        for run in runs:
            _wait_for(run / "started")
        os.kill(os.getpid(), signum)  # the sweep is told to stop
        for thread in threads:
            thread.join(TIMEOUT)
        assert stop.exit_code == code
    assert sorted(results) == [0, 1]
    for i, run in enumerate(runs):
        assert results[i]["returncode"] == code
        assert (run / "marker").read_text() == signal.Signals(signum).name
    assert children.running() == []
    # a trial due after the stop does not start
    late = tmp_path / "late"
    late.mkdir()
    assert run_command([sys.executable, "-c", TRIAL, str(late)], str(late))["returncode"] == code
    assert not (late / "started").exists()


def test_forwarding_kills_after_the_grace(children: interrupt.Children) -> None:
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(120)"
    )
    process = children.spawn([sys.executable, "-c", stubborn], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline() == "ready\n"
    children.forward(signal.SIGTERM, grace=0.5)
    assert children.wait(process) == -signal.SIGKILL
    process.stdout.close()


def test_run_forwarding_in_the_main_thread_forwards(
    tmp_path: Path, children: interrupt.Children
) -> None:
    """What a Ray worker does: run_command in the main thread installs forwarding itself."""
    before = signal.getsignal(signal.SIGTERM)

    def stop_when_started() -> None:
        _wait_for(tmp_path / "started")
        os.kill(os.getpid(), signal.SIGTERM)

    timer = threading.Thread(target=stop_when_started)
    timer.start()
    result = run_command([sys.executable, "-c", TRIAL, str(tmp_path)], str(tmp_path))
    timer.join(TIMEOUT)
    assert result["returncode"] == 143
    assert (tmp_path / "marker").read_text() == "SIGTERM"
    assert signal.getsignal(signal.SIGTERM) == before


# A sweep driver on local Ray: two one-CPU trials on one CPU (the second waits), stopped
# with SIGTERM through ray_stop once the first runs.
RAY_DRIVER = """
import os, signal, sys, time, pathlib
import ray
from ctpg.interrupt import ray_stop
from ctpg.sweep import run_command
runs = [pathlib.Path(p) for p in sys.argv[1:3]]
trial = sys.argv[3]
ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)
remote = ray.remote(num_cpus=1)(run_command)
refs = [remote.remote([sys.executable, "-c", trial, str(r)], str(r)) for r in runs]
deadline = time.monotonic() + 120
while not (runs[0] / "started").exists():
    assert time.monotonic() < deadline, "the first trial did not start"
    time.sleep(0.05)
ray_stop(refs, signal.SIGTERM)
print("first", ray.get(refs[0], timeout=60)["returncode"], flush=True)
try:
    print("second", ray.get(refs[1], timeout=60)["returncode"], flush=True)
except ray.exceptions.TaskCancelledError:
    print("second cancelled", flush=True)
"""


def test_ray_trials_get_the_signal(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    runs = [tmp_path / "a", tmp_path / "b"]
    for run in runs:
        run.mkdir()
    driver = subprocess.run(
        [sys.executable, "-c", RAY_DRIVER, *map(str, runs), TRIAL],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=240,
        cwd=tmp_path,
    )
    assert driver.returncode == 0, driver.stderr[-3000:]
    assert driver.stdout.splitlines() == ["first 143", "second cancelled"], driver.stderr[-3000:]
    assert (runs[0] / "marker").read_text() == "SIGTERM"
    assert not (runs[1] / "started").exists()
