"""Stopping on SIGINT / SIGTERM at a step boundary, and passing the stop on to child runs.

Training: ``StopSignals`` records the first SIGINT or SIGTERM instead of raising, so the loop
finishes its step, writes a checkpoint and exits with 128 + the signal number::

    with StopSignals() as stop:
        while trainer.step < cfg.steps and not stop.requested:
            trainer.train_step()
        if stop.requested:
            save_checkpoint(...)
            print(stop.message(trainer.step, resume_command(argv)))
    return stop.exit_code

(``ctpg.train.train`` raises ``ctpg.train.Interrupted`` there, whose ``line`` is the same
message, and the command line prints it.)

A second SIGINT while the first is pending raises ``KeyboardInterrupt`` at once (the usual
"press Ctrl-C again to abort"); a repeated SIGTERM, or a SIGINT after a SIGTERM, keeps the
pending request. Saving inside the ``with`` block keeps a repeated SIGTERM from killing
the process half way through the save (the checkpoint is atomic either way).

Sweeps: every trial is a ``python -m ctpg.train`` child started by ``run_forwarding`` (through
``Children.spawn``) in its own session, so a Ctrl-C in the terminal reaches the sweep only and
each trial gets the signal exactly once, from its parent:

* Local trials (threads of the sweep process): the sweep's main thread holds
  ``StopForwarding``. Its handler records the signal like ``StopSignals``, sends it to the
  process group of every running child in ``CHILDREN`` (the registry of this process), lets
  no new child start (``run_forwarding`` returns 128 + the signal number at once) and arms a
  timer that SIGKILLs children still running after ``grace`` seconds (120 by default). The
  trials write their checkpoints and exit 130 / 143; their threads return; the sweep then
  writes its summary and exits ``stop.exit_code``.
* Ray trials (local Ray or a cluster): a Ray task runs in the main thread of a Ray worker
  process, where the sweep's handlers do not run. ``run_forwarding`` called in a main thread
  installs the forwarding handlers itself for as long as its child runs; on a local Ray the
  worker shares the terminal's process group, so it may hear a Ctrl-C itself as well as the
  sweep's cancel, and the trial still gets the signal once (a repeat does not abort there).
  Ray's daemons start with SIGINT ignored (``sigint_ignored``), so a Ctrl-C does not end
  them under the trials. The sweep, once ``StopForwarding`` has a
  request, calls ``ray_stop(refs, signum)``: it stores the signal number in Ray's key-value
  store (under the sweep's job id) and ``ray.cancel``-s every unfinished task. Ray cancels
  tasks that have not started and delivers a cancel to a running one by calling the
  worker's Python SIGINT handler in its main thread: that handler reads the stored signal
  number and forwards it (SIGTERM stays SIGTERM) to the trial, which checkpoints and exits,
  and the task returns normally with the trial's exit status.

Handlers are installed only in the main thread (Python allows no other); elsewhere these
context managers do nothing but can still be asked to stop with ``request(signum)``.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import FrameType, TracebackType
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
GRACE_SECONDS = 120.0  # how long a forwarded stop may take before the children are killed
RESUME_OPTION = "--resume"
_RAY_KEY = "ctpg/stop-signal/"

Handler = Callable[[int, FrameType | None], Any] | int | None


def signal_name(signum: int) -> str:
    """``SIGINT`` for 2, ``SIGTERM`` for 15, ..."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def resume_command(argv: Sequence[str]) -> str:
    """The shell command that continues the run started by ``argv``: ``argv`` with
    ``--resume`` added (before a ``--``, if any) when it is not there already."""
    args = list(argv)
    if not args:
        raise ValueError("argv: expected the command line of the run, got an empty list")
    if RESUME_OPTION not in args:
        at = args.index("--") if "--" in args else len(args)
        args.insert(at, RESUME_OPTION)
    return shlex.join(args)


def stop_line(what: str, step: int, saved: bool, command: str = "") -> str:
    """The line a stopped run prints: what stopped it (``SIGINT``) at which step, whether a
    checkpoint of that step is on disk, and the command that resumes (when saved and given)."""
    if not saved:
        return f"interrupted by {what} at step {step}; no checkpoint to resume from"
    line = f"interrupted by {what} at step {step}; checkpoint written"
    return f"{line}; resume with: {command}" if command else line


def in_main_thread() -> bool:
    """Whether this is the main thread (the only one that may set signal handlers)."""
    return threading.current_thread() is threading.main_thread()


class StopSignals:
    """Context manager that turns SIGINT and SIGTERM into a stop request.

    On entry in the main thread it installs handlers for ``signals`` (elsewhere it installs
    nothing: Python delivers signals to the main thread only); on exit it restores the
    handlers it found. The first signal sets ``signum`` (``requested`` becomes true); a
    second SIGINT while a SIGINT is pending raises ``KeyboardInterrupt``; other repeats are
    ignored."""

    repeat_aborts = True  # whether a second SIGINT raises KeyboardInterrupt

    def __init__(self, signals: Iterable[int] = STOP_SIGNALS) -> None:
        self.signals = tuple(signals)
        for signum in self.signals:
            if signum not in signal.valid_signals():
                raise ValueError(f"signals: expected signal numbers, got {signum!r}")
        self.signum: int | None = None
        self.active = False  # whether the handlers are installed
        self._previous: dict[int, Handler] = {}
        self._blocked: set[int] = set()

    @property
    def requested(self) -> bool:
        """Whether a stop was requested."""
        return self.signum is not None

    @property
    def name(self) -> str:
        """The name of the signal that asked to stop (``""`` when none did)."""
        return signal_name(self.signum) if self.signum is not None else ""

    @property
    def exit_code(self) -> int:
        """128 + the signal number (130 for SIGINT, 143 for SIGTERM); 0 without a request."""
        return 128 + self.signum if self.signum is not None else 0

    def request(self, signum: int) -> None:
        """Record a stop asked for by ``signum`` (what the handlers do)."""
        if self.signum is None:
            self.signum = signum
            self.on_request(signum)
        elif signum == signal.SIGINT and self.signum == signal.SIGINT and self.repeat_aborts:
            raise KeyboardInterrupt

    def on_request(self, signum: int) -> None:
        """Called once, on the first request (subclasses pass it on)."""

    def message(self, step: int, command: str, saved: bool = True) -> str:
        """One line saying what stopped the run at ``step`` and how to resume it
        (``stop_line``)."""
        return stop_line(self.name or "a stop request", step, saved, command)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.request(signum)

    def __enter__(self) -> StopSignals:
        if in_main_thread():
            for signum in self.signals:
                self._previous[signum] = signal.signal(signum, self._handle)
            # A process inherits its parent's blocked signals (a Ray worker blocks SIGINT
            # in the thread that starts a trial): blocked, the handlers would never run.
            self._blocked = set(signal.pthread_sigmask(signal.SIG_UNBLOCK, self.signals))
            self.active = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.active:
            signal.pthread_sigmask(signal.SIG_SETMASK, self._blocked)
        for signum, previous in self._previous.items():
            _restore_handler(signum, previous)
        self._previous.clear()
        self.active = False


class StopRequested(RuntimeError):
    """A child was to start after a stop had been requested."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(f"command: not started, {signal_name(signum)} asked to stop")


class Children:
    """The child processes (each in its own session) to pass a stop on to.

    Thread-safe: trials start from several threads while the main thread forwards."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, subprocess.Popen[Any]] = {}
        self._signalled: set[int] = set()
        self._timer: threading.Timer | None = None
        self.stopped: int | None = None  # the signal forwarded, once one was

    def spawn(self, command: Sequence[str], **popen_kwargs: Any) -> subprocess.Popen[Any]:
        """``subprocess.Popen(command, start_new_session=True, **popen_kwargs)``, tracked until
        ``wait`` sees it end; StopRequested when a stop was forwarded already."""
        with self._lock:
            if self.stopped is not None:
                raise StopRequested(self.stopped)
            popen_kwargs.setdefault("start_new_session", True)
            process = subprocess.Popen(list(command), **popen_kwargs)
            self._running[process.pid] = process
            return process

    def running(self) -> list[subprocess.Popen[Any]]:
        """The children that have not been waited for."""
        with self._lock:
            return list(self._running.values())

    def forward(self, signum: int, grace: float | None = GRACE_SECONDS) -> None:
        """Send ``signum`` to every running child not signalled before (to its process
        group), refuse new children and kill those still running ``grace`` seconds later
        (``None``: never)."""
        with self._lock:
            if self.stopped is None:
                self.stopped = signum
            targets = [p for pid, p in self._running.items() if pid not in self._signalled]
            self._signalled.update(p.pid for p in targets)
            if grace is not None and self._timer is None:
                self._timer = threading.Timer(grace, self.kill)
                self._timer.daemon = True
                self._timer.start()
        for process in targets:
            _signal_group(process, signum)

    def kill(self) -> None:
        """SIGKILL every running child's process group."""
        for process in self.running():
            _signal_group(process, signal.SIGKILL)

    def wait(self, process: subprocess.Popen[Any], poll: float = 0.2) -> int:
        """Wait for ``process`` to end and return its exit status.

        Waits in ``poll``-second slices, so a signal handler of this thread (also Ray's
        cancel, which calls the SIGINT handler without a signal) runs while waiting."""
        try:
            while True:
                try:
                    return process.wait(timeout=poll)
                except subprocess.TimeoutExpired:
                    continue
        finally:
            with self._lock:
                self._running.pop(process.pid, None)
                self._signalled.discard(process.pid)

    def reset(self) -> None:
        """Forget a forwarded stop (children may start again); the kill timer is cancelled."""
        with self._lock:
            self.stopped = None
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None


CHILDREN = Children()  # the children of this process


def _signal_group(process: subprocess.Popen[Any], signum: int) -> None:
    """``signum`` to the child's process group (its own session), or to the child alone when
    it shares this process's group; nothing when it has ended."""
    if process.poll() is not None:
        return
    try:
        if os.getpgid(process.pid) == process.pid:
            os.killpg(process.pid, signum)
        else:
            os.kill(process.pid, signum)
    except ProcessLookupError:
        pass


class StopForwarding(StopSignals):
    """``StopSignals`` that also passes the first signal on to the children in ``children``
    (see ``Children.forward``), killing those still running after ``grace`` seconds.

    Under Ray (a task running in a worker's main thread) the SIGINT that ``ray.cancel``
    delivers is replaced by the signal the sweep stored with ``ray_stop``."""

    def __init__(
        self,
        children: Children = CHILDREN,
        grace: float | None = GRACE_SECONDS,
        signals: Iterable[int] = STOP_SIGNALS,
    ) -> None:
        super().__init__(signals)
        self.children = children
        self.grace = grace

    def request(self, signum: int) -> None:
        """Record the stop (see ``StopSignals.request``) and forward it."""
        if signum == signal.SIGINT:
            signum = _ray_stop_signal() or signum
        super().request(signum)

    def on_request(self, signum: int) -> None:
        self.children.forward(signum, self.grace)


def run_forwarding(
    command: Sequence[str],
    children: Children = CHILDREN,
    grace: float | None = GRACE_SECONDS,
    **popen_kwargs: Any,
) -> int:
    """Run ``command`` as a child in its own session (``Children.spawn``) and return its
    exit status. In the main thread (a Ray worker's task) a SIGINT or SIGTERM during the run
    is forwarded to the child (``StopForwarding``); in other threads the main thread's
    ``StopForwarding`` forwards. After a stop the command is not started and the result is
    128 + the signal number."""
    try:
        process = children.spawn(command, **popen_kwargs)
    except StopRequested as refused:
        return 128 + refused.signum
    if not in_main_thread():
        return children.wait(process)
    # A Ray worker can hear one stop twice (the terminal's Ctrl-C and the sweep's cancel):
    # the trial gets it once, and a repeat does not abort the wait.
    with StopForwarding(children, grace) as stop:
        stop.repeat_aborts = False
        return children.wait(process)


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """SIGINT ignored in the block (main thread only), so that the processes started in it
    inherit an ignored SIGINT: the daemons of a local Ray, which would otherwise end with the
    terminal's Ctrl-C and take the running trials with them before they checkpoint."""
    if not in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        _restore_handler(signal.SIGINT, previous)


def _restore_handler(signum: int, previous: Handler) -> None:
    """Put back the handler ``signal.signal`` returned (None: a handler set outside Python,
    which cannot be put back; the default then)."""
    signal.signal(signum, previous if previous is not None else signal.SIG_DFL)


def ray_stop(refs: Iterable[Any], signum: int) -> None:
    """Ask the Ray tasks ``refs`` (of ``run_forwarding`` trials) to stop with ``signum``:
    tasks not started are cancelled, running ones forward ``signum`` to their trial and
    return its exit status. Call from the driver (the sweep) with Ray initialised."""
    import ray
    from ray.experimental import internal_kv

    key = _RAY_KEY + ray.get_runtime_context().get_job_id()
    internal_kv._internal_kv_put(key, str(signum), overwrite=True)
    for ref in refs:
        ray.cancel(ref)


def _ray_stop_signal() -> int | None:
    """The signal ``ray_stop`` stored for this Ray job, when this process runs Ray tasks."""
    ray = sys.modules.get("ray")
    if ray is None or not ray.is_initialized():
        return None
    try:
        from ray.experimental import internal_kv

        key = _RAY_KEY + ray.get_runtime_context().get_job_id()
        value = internal_kv._internal_kv_get(key)
    except Exception:  # no Ray store to read: forward the signal received
        return None
    return int(value) if value else None
