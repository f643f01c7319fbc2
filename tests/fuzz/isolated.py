"""Run one call in a forked child, so that a crash or a hang is a result, not the end of pytest.

``run_isolated(fn)`` forks; the child runs ``fn()`` and sends back what it returned, or the
type and message of what it raised; the parent waits at most ``timeout`` seconds. The
child's address space is capped, so that a huge allocation fails there instead of pushing
the machine into swap. A child that dies by a signal (a segfault, an abort) or exits
without answering is ``crashed``; one that has not answered in time is killed and ``hung``.
The child leaves with ``os._exit``, so nothing of pytest runs twice.
"""

from __future__ import annotations

import faulthandler
import os
import pickle
import resource
import select
import signal
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Outcome:
    kind: str  # "returned", "raised", "crashed" or "hung"
    value: Any = None  # what fn returned
    error_type: str = ""  # the exception's class name, when raised
    message: str = ""  # its message, or how the child died

    def describe(self) -> str:
        if self.kind == "raised":
            return f"raised {self.error_type}: {self.message}"
        return f"{self.kind}: {self.message or self.value!r}"


def _limit_memory(extra_bytes: int) -> None:
    """Lets the child map at most ``extra_bytes`` more than it has: an allocation beyond
    that fails in the child instead of pushing the machine into its OOM killer."""
    with open("/proc/self/status") as f:
        vm_kb = next(int(line.split()[1]) for line in f if line.startswith("VmSize:"))
    limit = vm_kb * 1024 + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, resource.getrlimit(resource.RLIMIT_AS)[1]))


def _child(fn: Callable[[], Any], write_fd: int, memory_bytes: int) -> None:
    faulthandler.enable()  # a segfault prints the Python stack to stderr
    _limit_memory(memory_bytes)
    try:
        payload: tuple[Any, ...] = ("returned", fn())
    except BaseException as e:  # noqa: BLE001 - every exception is a result here
        payload = ("raised", type(e).__name__, str(e), traceback.format_exc())
    try:
        data = pickle.dumps(payload)
    except Exception as e:  # noqa: BLE001
        data = pickle.dumps(("raised", "PicklingError", f"result not picklable: {e}", ""))
    with os.fdopen(write_fd, "wb") as f:
        f.write(data)


def run_isolated(
    fn: Callable[[], Any],
    timeout: float = 30.0,
    memory_bytes: int = 2 << 30,
    cwd: str | os.PathLike[str] | None = None,
) -> Outcome:
    """Runs ``fn()`` in a forked child that may map ``memory_bytes`` more than its parent,
    in the folder ``cwd`` (where relative paths the call is given land); see the module
    docstring."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_fd)
        try:
            if cwd is not None:
                os.chdir(cwd)
            _child(fn, write_fd, memory_bytes)
        finally:
            os._exit(0)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    hung = False
    with os.fdopen(read_fd, "rb", buffering=0) as f:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([f], [], [], left)[0]:
                hung = True
                break
            chunk = f.read(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    if hung:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    if hung:
        return Outcome("hung", message=f"no answer within {timeout:g} s")
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return Outcome("crashed", message=f"killed by {name}")
    if not chunks:
        return Outcome("crashed", message=f"exited with status {os.WEXITSTATUS(status)}, no answer")
    payload = pickle.loads(b"".join(chunks))
    if payload[0] == "returned":
        return Outcome("returned", value=payload[1])
    _, error_type, message, trace = payload
    return Outcome("raised", error_type=error_type, message=message, value=trace)
